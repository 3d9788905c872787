/**
 * TCP connection state machine (RFC 9293) for the virtual network, sans I/O: segments go
 * out through {@link TcpEnvironment.transmit} and come in through {@link TcpStack.receive};
 * time is the scheduler's.
 *
 * Set-up (SYN and SYN-ACK retransmitted, ending in a time-out), tear-down (FIN in both
 * directions, TIME_WAIT), resets, and a reliable data path: a send queue paced by the peer's
 * window and the MSS, Nagle's algorithm unless `noDelay`, a receive window that follows the free
 * space of the owner's buffer, retransmission on the RFC 6298 time-out and on three duplicate
 * acknowledgments, out-of-order segments held for reassembly, and window probes while the
 * peer's window is closed. There is no congestion control: the network has no queues to fill.
 *
 * Urgent data (MSG_OOB): the last byte of an urgent send is announced with URG and the urgent
 * pointer (BSD's reading, as Windows': the offset just past the byte); the receiver holds that
 * byte apart for {@link TcpConnection.takeUrgent} unless {@link TcpConnection.oobInline}, and
 * several can wait (Wine's test_fionread_siocatmark shows Windows keeping two).
 */
import type { Scheduler, ScheduledEvent, Timer } from './scheduler.js';
import type { Random } from './random.js';
import { Reassembly } from './reassembly.js';
import { RtoEstimator } from './rto.js';
import { SendBufferPool } from './send-buffers.js';
import { TupleTable } from './tuple-table.js';
import {
  ACK, FIN, PSH, RST, SYN, URG, type IpVersion, type Segment, segmentLength, seqAdd, seqLe, seqLt,
} from './segment.js';

/**
 * A segment with the TCP urgent pointer (RFC 9293 §3.1), which the in-memory {@link Segment}
 * leaves out: only segments with URG carry it (so the usual segment keeps its shape). Like BSD
 * and Windows, the pointer is the offset from `seq` of the byte just past the urgent byte.
 */
export interface UrgentSegment extends Segment {
  readonly urgentPointer: number;
}

/** Why a connection failed or was torn down abnormally. */
export type FailReason = 'refused' | 'reset' | 'timed-out' | 'host-unreachable' | 'net-unreachable' | 'keepalive';

/** What the owner of a connection (the provider) is told. */
export interface ConnectionEvents {
  /** The three-way handshake completed. */
  established(conn: TcpConnection): void;
  /** The connection attempt failed, or an open connection was aborted. The TCB is gone. */
  failed(conn: TcpConnection, reason: FailReason): void;
  /** The peer sent FIN: no more data will arrive. */
  remoteClosed(conn: TcpConnection): void;
  /**
   * In-order payload arrived (it fits the receive window the owner granted). The bytes are the
   * sender's memory, valid during the call only: copy them (the sender reuses the buffer once
   * they are acknowledged).
   */
  data(conn: TcpConnection, bytes: Uint8Array): void;
  /** The peer acknowledged data: {@link TcpConnection.bufferedBytes} went down. */
  acked(conn: TcpConnection): void;
  /** Both directions are closed; the TCB is gone (or waits in TIME_WAIT without its owner). */
  closed(conn: TcpConnection): void;
}

/** A listener's answer to an arriving SYN ('drop': ignore it, as Linux does when its queue is full). */
export type SynVerdict = 'accept' | 'refuse' | 'defer' | 'drop';

/** What a listening endpoint is asked. */
export interface ListenerHooks {
  /**
   * A SYN arrived. 'accept' answers SYN-ACK now; 'refuse' answers RST (Windows' full-queue
   * behaviour); 'defer' holds the SYN until {@link TcpConnection.acceptSyn} or
   * {@link TcpConnection.abort} (conditional accept). The hook must set `conn.events`
   * unless it refuses.
   */
  onSyn(conn: TcpConnection): SynVerdict;
}

export type TcpStateName =
  | 'SYN-SENT' | 'SYN-RECEIVED' | 'ESTABLISHED' | 'FIN-WAIT-1' | 'FIN-WAIT-2'
  | 'CLOSE-WAIT' | 'CLOSING' | 'LAST-ACK' | 'TIME-WAIT' | 'CLOSED';

/** Tunables of one host's TCP, in microseconds where they are times. */
export interface TcpConfig {
  /** First SYN retransmission time-out; doubles on each retry. */
  synRtoUs: number;
  /** SYN retransmissions before the attempt fails with 'timed-out'. */
  synRetries: number;
  /** How long a connection stays in TIME_WAIT (2·MSL). */
  timeWaitUs: number;
  /** Receive buffer a connection starts with (its window until the owner says otherwise). */
  window: number;
  /** Largest payload per segment to another host (the link MTU less 40 bytes of IP and TCP header). */
  mss: number;
  /** Largest payload per segment on loopback and to the host's own addresses (Windows: 65495). Default: `mss`. */
  loopbackMss?: number;
  /** Retransmission time-out before the first measurement (RFC 6298: 1 s). */
  rtoInitialUs?: number;
  /** Lower bound of the retransmission time-out (Windows' MinRto: 300 ms). */
  rtoMinUs?: number;
  /** Upper bound of the retransmission time-out (60 s). */
  rtoMaxUs?: number;
  /** Retransmissions of one segment before the connection is dropped (Windows' TcpMaxDataRetransmissions: 5). */
  dataRetries?: number;
  /** Idle time before the first keep-alive probe (Windows' KeepAliveTime: 2 hours). */
  keepAliveTimeUs?: number;
  /** Time between unanswered keep-alive probes (Windows' KeepAliveInterval: 1 s). */
  keepAliveIntervalUs?: number;
  /** Unanswered probes before the connection is dropped (Windows: 10). */
  keepAliveProbes?: number;
  /** How long an acknowledgment may wait for a second segment or an answer to ride on (Windows: 200 ms). */
  delayedAckUs?: number;
}

/** What the stack needs from its host. */
export interface TcpEnvironment {
  readonly scheduler: Scheduler;
  readonly random: Random;
  readonly config: TcpConfig;
  transmit(seg: Segment): void;
  /** True if segments to this address never leave the host (loopback or one of its own addresses). */
  staysLocal(address: string): boolean;
}

/** A registered listening endpoint. */
export class TcpListener {
  constructor(
    readonly stack: TcpStack,
    readonly key: string,
    readonly hooks: ListenerHooks,
  ) {}
  /** Stops matching SYNs to this listener. Connections already created are not touched. */
  close(): void {
    this.stack.unlisten(this);
  }
}

/** The bits of TcpConnection's `bits`. */
const SYN_HELD = 1;
const NO_DELAY = 2;
const FIN_QUEUED = 4;
const FIN_SENT = 8;

/** SO_KEEPALIVE's state, made when first needed (most connections never use keep-alive). */
interface KeepAliveState {
  on: boolean;
  timer: ScheduledEvent | null;
  lastHeardUs: number;
  probesUnanswered: number;
  /** Per-connection timing; undefined: the network's (TcpConfig). */
  idleUs: number | undefined;
  intervalUs: number | undefined;
  probes: number | undefined;
}

export class TcpConnection {
  state: TcpStateName;
  /** The owner; null once the owner let go (an orphan finishing its close). */
  events: ConnectionEvents | null = null;
  /** Free for the owner to hang its own state on (avoids a side map per connection). */
  owner: unknown = null;
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  irs = 0;
  rcvNxt = 0;
  sndWnd = 0;
  /** Segment sequence and acknowledgment numbers of the last window update (RFC 9293 SND.WL1/WL2). */
  private sndWl1 = 0;
  private sndWl2 = 0;
  /** synHeld, noDelay, finQueued, finSent: one field for four (an idle connection stays small). */
  private bits = 0;
  /** A passive connection whose SYN-ACK is held by a 'defer' verdict. */
  get synHeld(): boolean { return (this.bits & SYN_HELD) !== 0; }
  set synHeld(v: boolean) { this.bits = v ? this.bits | SYN_HELD : this.bits & ~SYN_HELD; }
  /** Largest payload per segment on this path (both ends see the same path, so no MSS option is exchanged). */
  readonly mss: number;
  /** Send segments smaller than the MSS at once (TCP_NODELAY) instead of waiting for the ACK of what is in flight. */
  get noDelay(): boolean { return (this.bits & NO_DELAY) !== 0; }
  set noDelay(v: boolean) { this.bits = v ? this.bits | NO_DELAY : this.bits & ~NO_DELAY; }
  /** Size of the owner's receive buffer, and the bytes of it delivered and not yet read. */
  private rcvBuffer: number;
  private rcvHeld = 0;
  private advertised: number;
  /** rcvNxt + the window last advertised: the peer may send up to here, and we never take it back. */
  private rcvRightEdge = 0;
  /** Data handed over and not yet sent (the peer's window or Nagle holds it). */
  private unsent: Uint8Array[] = NO_CHUNKS;
  private unsentHead = 0;
  private unsentOffset = 0;
  private unsentBytes = 0;
  /** Data sent and not yet acknowledged. */
  private unackedData = 0;
  /** The owner closed its direction: FIN follows the queued data. */
  private get finQueued(): boolean { return (this.bits & FIN_QUEUED) !== 0; }
  private set finQueued(v: boolean) { this.bits = v ? this.bits | FIN_QUEUED : this.bits & ~FIN_QUEUED; }
  /** Our FIN is on the wire. */
  private get finSent(): boolean { return (this.bits & FIN_SENT) !== 0; }
  private set finSent(v: boolean) { this.bits = v ? this.bits | FIN_SENT : this.bits & ~FIN_SENT; }
  private timer: ScheduledEvent | null = null;
  private retries = 0;
  /** Payload sent and not yet acknowledged, in order, for retransmission: the first starts at sndUna. */
  private rtx: Uint8Array[] = NO_RTX;
  /** Pooled send buffers in use, with the sequence number just past their bytes. */
  private lent: { buffer: Uint8Array; end: number }[] = NO_LENT;
  private rtxTimer: Timer<TcpConnection> | null = null;
  /** Made when first needed: an idle connection carries no retransmission or reassembly state. */
  private rtoState: RtoEstimator | null = null;
  private dupAcks = 0;
  /** In-order data segments received and not yet acknowledged; their delayed-ACK timer. */
  private ackOwed = 0;
  private delAckTimer: Timer<TcpConnection> | null = null;
  private reassemblyState: Reassembly | null = null;
  /** Urgent data's state (MSG_OOB, SO_OOBINLINE); made when first needed, as most connections never have any. */
  private urg: UrgentState | null = null;
  /** SO_KEEPALIVE's state while it is on (most connections never turn it on). */
  private ka: KeepAliveState | null = null;

  constructor(
    readonly stack: TcpStack,
    readonly version: IpVersion,
    readonly localAddress: string,
    readonly localPort: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
    state: TcpStateName,
  ) {
    this.state = state;
    const cfg = stack.env.config;
    this.mss = stack.env.staysLocal(remoteAddress) ? (cfg.loopbackMss ?? cfg.mss) : cfg.mss;
    this.rcvBuffer = cfg.window;
    this.advertised = this.rcvBuffer;
  }

  private get rto(): RtoEstimator {
    if (this.rtoState === null) {
      const cfg = this.stack.env.config;
      this.rtoState = new RtoEstimator(cfg.rtoInitialUs ?? 1_000_000, cfg.rtoMinUs ?? 300_000, cfg.rtoMaxUs ?? 60_000_000);
    }
    return this.rtoState;
  }

  private get reassembly(): Reassembly {
    return (this.reassemblyState ??= new Reassembly());
  }

  /** Free space in the owner's receive buffer: the window we advertise. */
  get rcvWnd(): number {
    return Math.max(0, this.rcvBuffer - this.rcvHeld);
  }

  /** Bytes handed to {@link sendData} that the peer has not acknowledged yet. */
  get bufferedBytes(): number {
    return this.unsentBytes + this.unackedData;
  }

  /** SO_KEEPALIVE: after an idle time, probe the peer; drop the connection if it never answers. */
  get keepAlive(): boolean {
    return this.ka?.on === true;
  }

  set keepAlive(on: boolean) {
    if (on === this.keepAlive) return;
    const ka = (this.ka ??= { on, timer: null, lastHeardUs: 0, probesUnanswered: 0, idleUs: undefined, intervalUs: undefined, probes: undefined });
    ka.timer?.cancel();
    ka.timer = null;
    ka.on = on;
    if (!on) return;
    ka.lastHeardUs = this.stack.env.scheduler.nowMicros;
    ka.probesUnanswered = 0;
    this.armKeepAlive(this.keepAliveIdleUs(ka));
  }

  /**
   * Per-connection timing (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, SIO_KEEPALIVE_VALS), in
   * place of the network's. A running idle wait is measured again against the new idle time.
   */
  setKeepAliveTiming(idleMs: number, intervalMs: number, probes: number): void {
    const ka = (this.ka ??= { on: false, timer: null, lastHeardUs: 0, probesUnanswered: 0, idleUs: undefined, intervalUs: undefined, probes: undefined });
    // Under 1 ms the probes would outrun any answer: 1 ms is the floor.
    ka.idleUs = Math.max(1, idleMs) * 1000;
    ka.intervalUs = Math.max(1, intervalMs) * 1000;
    ka.probes = probes;
    if (ka.on && ka.probesUnanswered === 0) {
      ka.timer?.cancel();
      const quietUs = this.stack.env.scheduler.nowMicros - ka.lastHeardUs;
      this.armKeepAlive(Math.max(0, ka.idleUs - quietUs));
    }
  }

  private keepAliveIdleUs(ka: KeepAliveState): number {
    return ka.idleUs ?? this.stack.env.config.keepAliveTimeUs ?? 7_200_000_000;
  }

  /** Keep-alive timers never keep the simulation busy: they watch, they do not make progress. */
  private armKeepAlive(delayUs: number): void {
    this.ka!.timer = this.stack.env.scheduler.schedule(delayUs, keepAliveDue, this, true);
  }

  /** @internal */
  onKeepAlive(): void {
    const ka = this.ka;
    if (ka === null || !ka.on || this.state === 'CLOSED' || this.state === 'TIME-WAIT') return;
    ka.timer = null;
    const cfg = this.stack.env.config;
    const idle = this.keepAliveIdleUs(ka);
    const quietUs = this.stack.env.scheduler.nowMicros - ka.lastHeardUs;
    if (ka.probesUnanswered === 0 && quietUs < idle) {
      this.armKeepAlive(idle - quietUs); // something was heard since: wait the rest of the idle time
      return;
    }
    if (ka.probesUnanswered >= (ka.probes ?? cfg.keepAliveProbes ?? 10)) {
      this.fail('keepalive');
      return;
    }
    ka.probesUnanswered++;
    // A probe is an old sequence number: the peer answers with an ACK if it is still there.
    this.output(ACK, seqAdd(this.sndUna, -1), null);
    this.armKeepAlive(ka.intervalUs ?? cfg.keepAliveIntervalUs ?? 1_000_000);
  }

  /** Answers a held SYN with SYN-ACK (after a 'defer' verdict). */
  acceptSyn(): void {
    if (this.state !== 'SYN-RECEIVED' || !this.synHeld) return;
    this.synHeld = false;
    this.output(SYN | ACK, this.iss, null);
    this.armRtx();
  }

  /**
   * An array to fill and pass to {@link sendData}. Sizes a bulk sender uses come from the stack's
   * pool of send buffers, which take them back once the peer acknowledged every byte (receivers
   * copy what arrives, so nothing else holds them by then).
   */
  allocate(length: number): Uint8Array {
    return this.stack.sendBuffers.lend(length);
  }

  /** Queues payload; it leaves as the peer's window allows. The connection keeps the array: pass a copy. */
  sendData(bytes: Uint8Array): void {
    if (this.enqueue(bytes)) this.pump();
  }

  /**
   * Queues payload whose last byte is urgent (MSG_OOB): segments carry URG and the urgent
   * pointer until the peer acknowledges that byte, and Nagle does not hold them back (BSD).
   */
  sendUrgent(bytes: Uint8Array): void {
    if (!this.enqueue(bytes)) return; // closing, or empty: nothing is urgent
    this.urgent().sndUp = seqAdd(this.sndNxt, this.unsentBytes);
    this.pump();
  }

  /** Adds payload to the unsent queue; false when it cannot be sent (closing, empty). */
  private enqueue(bytes: Uint8Array): boolean {
    if (this.finQueued || bytes.length === 0) return false;
    if (this.state !== 'ESTABLISHED' && this.state !== 'CLOSE-WAIT' && this.state !== 'SYN-SENT' && this.state !== 'SYN-RECEIVED') return false;
    if (this.unsent === NO_CHUNKS) this.unsent = [];
    this.unsent.push(bytes);
    this.unsentBytes += bytes.length;
    const lent = this.stack.sendBuffers.claim(bytes);
    if (lent !== null) {
      if (this.lent === NO_LENT) this.lent = [];
      this.lent.push({ buffer: lent, end: seqAdd(this.sndNxt, this.unsentBytes) });
    }
    return true;
  }

  private urgent(): UrgentState {
    return (this.urg ??= { sndUp: null, rcvUp: null, held: [], delivered: 0, inline: false });
  }

  /**
   * SO_OOBINLINE: an urgent byte that arrives stays in the stream as ordinary data (Windows then
   * reports it nowhere else); off, it is held apart for {@link takeUrgent}.
   */
  get oobInline(): boolean {
    return this.urg !== null && this.urg.inline;
  }

  set oobInline(on: boolean) {
    if (on || this.urg !== null) this.urgent().inline = on;
  }

  /** Urgent bytes held apart (SO_OOBINLINE was off when they arrived) and not yet taken. */
  get urgentCount(): number {
    return this.urg === null ? 0 : this.urg.held.length;
  }

  /** The oldest urgent byte held apart, or -1. */
  peekUrgent(): number {
    const held = this.urg?.held;
    return held === undefined || held.length === 0 ? -1 : held[0]!.byte;
  }

  /** Takes the oldest urgent byte held apart (it no longer holds receive window); -1 if none. */
  takeUrgent(): number {
    const held = this.urg?.held;
    if (held === undefined || held.length === 0) return -1;
    const byte = held.shift()!.byte;
    this.consumed(1);
    return byte;
  }

  /**
   * Where the oldest urgent byte held apart sits in the stream, counted back from the newest
   * normal byte delivered: 0 when nothing was delivered after it, -n when n normal bytes were.
   * (The owner's unread bytes before it are its unread count plus this, when that is positive.)
   */
  urgentOffset(): number {
    const u = this.urg;
    return u === null || u.held.length === 0 ? 0 : u.held[0]!.mark - u.delivered;
  }

  /** The owner read `n` bytes from its receive buffer: the window opens by as much. */
  consumed(n: number): void {
    this.rcvHeld = Math.max(0, this.rcvHeld - n);
    this.maybeUpdateWindow();
  }

  /** The owner's receive buffer changed size (SO_RCVBUF); the window follows. */
  setReceiveBuffer(requested: number): void {
    // Less than one segment could never be filled by a sender that avoids silly windows.
    const size = Math.max(requested, this.mss);
    this.rcvBuffer = size;
    this.maybeUpdateWindow();
  }

  /** Receiver-side silly-window avoidance (RFC 1122 §4.2.3.3): announce a window only once it is worth using. */
  private maybeUpdateWindow(): void {
    if (!this.synchronized()) return;
    const worth = Math.min(this.mss, this.rcvBuffer >> 1);
    if (this.advertised < worth && this.rcvWnd >= worth) this.output(ACK, this.sndNxt, null);
  }

  private synchronized(): boolean {
    return this.state !== 'SYN-SENT' && this.state !== 'CLOSED' && this.state !== 'TIME-WAIT' && !(this.state === 'SYN-RECEIVED' && this.synHeld);
  }

  /** Sends what the peer's window allows; then the FIN once nothing is left. */
  private pump(): void {
    if (this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED' || this.state === 'CLOSED' || this.state === 'TIME-WAIT') return;
    const mss = this.mss;
    while (this.unsentBytes > 0) {
      const room = this.sndWnd - this.unackedData;
      const len = Math.min(mss, room, this.unsentBytes);
      if (len <= 0) break;
      // Nagle (RFC 896): one small segment in flight at a time, unless the owner asked for none of that.
      // Nagle (RFC 896) and sender-side silly-window avoidance: while anything is in flight, only
      // full-sized segments leave, unless the owner set noDelay or is closing.
      // Urgent data is not held back either (BSD sends at once in urgent mode).
      if (len < mss && this.unackedData > 0 && !this.noDelay && !this.finQueued && (this.urg === null || this.urg.sndUp === null)) break;
      const payload = this.take(len);
      this.output(ACK | (this.unsentBytes === 0 ? PSH : 0), this.sndNxt, payload);
      if (this.rtx === NO_RTX) this.rtx = [];
      this.rtx.push(payload);
      this.sndNxt = seqAdd(this.sndNxt, len);
      this.unackedData += len;
      if (this.rto.timedSeq === null) {
        this.rto.timedSeq = this.sndNxt;
        this.rto.timedSentUs = this.stack.env.scheduler.nowMicros;
      }
    }
    if (this.finQueued && !this.finSent && this.unsentBytes === 0) {
      this.finSent = true;
      this.output(FIN | ACK, this.sndNxt, null);
      this.sndNxt = seqAdd(this.sndNxt, 1);
    }
    // Outstanding data or FIN needs the retransmission timer; a closed window needs probes.
    if (this.sndUna !== this.sndNxt || this.unsentBytes > 0) this.armRtx();
  }

  private armRtx(): void {
    if (this.rtxTimer?.armed) return;
    // Probing a closed window waits on the peer's reader, not the network: after a few probes
    // (which recover a lost window update) the timer no longer keeps the simulation busy.
    const probing = this.sndUna === this.sndNxt && this.state !== 'SYN-RECEIVED';
    const background = probing && this.rto.backoffs >= PERSIST_FOREGROUND_PROBES;
    (this.rtxTimer ??= this.stack.env.scheduler.timer<TcpConnection>(rtxTimeout, this)).set(this.rto.rtoUs, background);
  }

  private cancelRtx(): void {
    this.rtxTimer?.clear();
  }

  /** @internal The retransmission (or, with nothing in flight, the persist) timer expired. */
  onRtxTimer(): void {
    if (this.state === 'CLOSED' || this.state === 'TIME-WAIT' || this.state === 'SYN-SENT') return;
    const cfg = this.stack.env.config;
    if (this.state === 'SYN-RECEIVED') {
      if (this.synHeld) return;
      if (++this.rto.backoffs > cfg.synRetries) {
        this.fail('timed-out');
        return;
      }
      this.output(SYN | ACK, this.iss, null);
      this.armRtx();
      return;
    }
    if (this.sndUna === this.sndNxt) {
      // Nothing in flight but data waiting: the peer's window is closed. Probe it (RFC 9293 §3.8.6.1).
      if (this.unsentBytes === 0) return;
      this.rto.backoffs++;
      this.output(ACK, seqAdd(this.sndUna, -1), null);
      this.armRtx();
      return;
    }
    if (++this.rto.backoffs > (cfg.dataRetries ?? 5)) {
      this.fail('timed-out');
      return;
    }
    this.rto.timedSeq = null; // Karn: no sample from a retransmitted segment
    this.retransmitFirst();
    this.armRtx();
  }

  /** Sends the oldest unacknowledged segment again (its data, or the FIN). */
  private retransmitFirst(): void {
    const first = this.rtx[0];
    if (first !== undefined) {
      const mss = this.mss;
      this.output(ACK, this.sndUna, first.length > mss ? first.subarray(0, mss) : first);
    } else if (this.finSent && this.sndUna !== this.sndNxt) {
      this.output(FIN | ACK, seqAdd(this.sndNxt, -1), null);
    }
  }

  /** Removes `len` bytes from the front of the unsent queue. */
  private take(len: number): Uint8Array {
    const first = this.unsent[this.unsentHead]!;
    const left = first.length - this.unsentOffset;
    let out: Uint8Array;
    if (left === len && this.unsentOffset === 0) {
      out = first; // the whole chunk: no view to make
      this.advanceChunk();
    } else if (left >= len) {
      out = first.subarray(this.unsentOffset, this.unsentOffset + len);
      this.unsentOffset += len;
      if (this.unsentOffset === first.length) this.advanceChunk();
    } else {
      out = new Uint8Array(len);
      let filled = 0;
      while (filled < len) {
        const chunk = this.unsent[this.unsentHead]!;
        const n = Math.min(len - filled, chunk.length - this.unsentOffset);
        out.set(chunk.subarray(this.unsentOffset, this.unsentOffset + n), filled);
        filled += n;
        this.unsentOffset += n;
        if (this.unsentOffset === chunk.length) this.advanceChunk();
      }
    }
    this.unsentBytes -= len;
    return out;
  }

  private advanceChunk(): void {
    this.unsent[this.unsentHead++] = EMPTY;
    this.unsentOffset = 0;
    if (this.unsentHead === this.unsent.length) {
      this.unsent = NO_CHUNKS; // cheaper than emptying the array in place
      this.unsentHead = 0;
    } else if (this.unsentHead > 64 && this.unsentHead * 2 > this.unsent.length) {
      this.unsent.splice(0, this.unsentHead);
      this.unsentHead = 0;
    }
  }

  /** Graceful close of our sending direction: FIN after any queued data. */
  close(): void {
    switch (this.state) {
      case 'SYN-SENT':
        this.destroy();
        return;
      case 'SYN-RECEIVED':
        if (this.synHeld) {
          this.abort();
          return;
        }
        this.sendFin('FIN-WAIT-1');
        return;
      case 'ESTABLISHED':
        this.sendFin('FIN-WAIT-1');
        return;
      case 'CLOSE-WAIT':
        this.sendFin('LAST-ACK');
        return;
      default:
        return;
    }
  }

  /** Abortive close: RST to the peer if it knows us, and the TCB is gone at once. */
  abort(): void {
    if (this.state === 'CLOSED') return;
    const peerKnowsUs = !(this.state === 'SYN-SENT' || (this.state === 'SYN-RECEIVED' && this.synHeld))
      && this.state !== 'TIME-WAIT';
    if (this.state === 'SYN-RECEIVED' && this.synHeld) {
      // Refusing a held SYN: the peer gets RST for its SYN, as a full queue would answer.
      this.stack.sendReset(this.version, this.localAddress, this.localPort, this.remoteAddress, this.remotePort, 0, seqAdd(this.irs, 1), true);
    } else if (peerKnowsUs) {
      this.output(RST | ACK, this.sndNxt, null);
    }
    this.destroy();
  }

  /** Forgets the owner; the TCB still completes its close handshake on its own. */
  detach(): void {
    this.events = null;
    this.owner = null;
  }

  private sendFin(next: TcpStateName): void {
    if (this.finQueued) return;
    this.finQueued = true;
    this.state = next;
    this.pump();
  }

  /** @internal Starts an active open. */
  openActive(): void {
    this.iss = this.stack.newIss();
    this.sndUna = this.iss;
    this.sndNxt = seqAdd(this.iss, 1);
    this.output(SYN, this.iss, null);
    this.armSynTimer();
  }

  /** @internal Passive open from a listener's SYN. */
  openPassive(seg: Segment): void {
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.sndWnd = seg.window;
    this.sndWl1 = seg.seq;
    this.iss = this.stack.newIss();
    this.sndUna = this.iss;
    this.sndNxt = seqAdd(this.iss, 1);
  }

  private armSynTimer(): void {
    const cfg = this.stack.env.config;
    const delay = cfg.synRtoUs * 2 ** this.retries;
    this.timer = this.stack.env.scheduler.schedule(delay, synTimeout, this);
  }

  /** @internal */
  onSynTimer(): void {
    this.timer = null;
    if (this.state !== 'SYN-SENT') return;
    if (this.retries >= this.stack.env.config.synRetries) {
      this.fail('timed-out');
      return;
    }
    this.retries++;
    this.output(SYN, this.iss, null);
    this.armSynTimer();
  }

  /** @internal An ICMP-style unreachable report for our SYN. */
  unreachable(reason: 'host-unreachable' | 'net-unreachable'): void {
    if (this.state === 'SYN-SENT') this.fail(reason);
  }

  /** @internal Segment processing (RFC 9293 §3.10.7), simplified for an ordered network. */
  receive(seg: Segment): void {
    const flags = seg.flags;
    const ka = this.ka;
    if (ka !== null) {
      ka.lastHeardUs = this.stack.env.scheduler.nowMicros;
      ka.probesUnanswered = 0;
    }
    if (this.state === 'SYN-SENT') {
      this.receiveInSynSent(seg);
      return;
    }
    if (this.state === 'SYN-RECEIVED' && this.synHeld) {
      // Only retransmitted SYNs reach a held connection; a RST withdraws the request.
      if (flags & RST) this.fail('reset');
      return;
    }
    if (this.state === 'SYN-RECEIVED' && (flags & (SYN | ACK | RST)) === SYN && seg.seq === this.irs) {
      this.output(SYN | ACK, this.iss, null); // our SYN-ACK was lost: the peer asks again
      return;
    }
    if (!this.acceptable(seg)) {
      if (!(flags & RST)) this.output(ACK, this.sndNxt, null);
      return;
    }
    if (flags & RST) {
      if (this.state === 'CLOSING' || this.state === 'LAST-ACK' || this.state === 'TIME-WAIT') {
        this.finish();
      } else {
        this.fail(this.state === 'SYN-RECEIVED' ? 'refused' : 'reset');
      }
      return;
    }
    if (flags & SYN) {
      // A SYN inside the window of a synchronized connection: the peer lost its state.
      this.output(RST | ACK, this.sndNxt, null);
      this.fail('reset');
      return;
    }
    if (!(flags & ACK)) return;
    if (!this.processAck(seg)) return;
    if (flags & URG) this.noteUrgent(seg as UrgentSegment);
    const len = seg.payload === null ? 0 : seg.payload.length;
    if (flags & FIN) this.reassembly.finAt = seqAdd(seg.seq, len);
    if (len > 0 && (this.state === 'ESTABLISHED' || this.state === 'FIN-WAIT-1' || this.state === 'FIN-WAIT-2')) {
      if (this.events === null) {
        // Nobody will ever read it: the owner closed. Tell the peer (what Windows does).
        this.abort();
        return;
      }
      if (seqLt(this.rcvNxt, seg.seq)) {
        // A hole before it: hold the segment and repeat our ACK, which tells the sender.
        this.reassembly.insert(seg.seq, seg.payload!);
        this.output(ACK, this.sndNxt, null);
        return;
      }
      const skip = (this.rcvNxt - seg.seq) >>> 0; // a retransmission may overlap what we have
      if (skip < len && !this.deliver(skip === 0 ? seg.payload! : seg.payload!.subarray(skip))) return;
      const held = this.reassemblyState;
      if (held !== null && held.size > 0) {
        this.ackOwed++; // a hole was filled: acknowledge at once (RFC 5681 §4.2)
        for (const part of held.take(this.rcvNxt)) if (!this.deliver(part)) return;
      }
    }
    const fin = this.reassemblyState?.finAt ?? null;
    if (fin !== null && fin === this.rcvNxt && this.state !== 'CLOSED') {
      this.reassemblyState!.finAt = null;
      this.receiveFin();
    } else if (len > 0 && this.state !== 'CLOSED') {
      // Delayed ACK (RFC 1122 §4.2.3.2): every second segment, or when the timer runs out,
      // unless an answer carries it first.
      if (++this.ackOwed >= 2) this.output(ACK, this.sndNxt, null);
      else if (!this.delAckTimer?.armed) {
        (this.delAckTimer ??= this.stack.env.scheduler.timer<TcpConnection>(delayedAck, this)).set(this.stack.env.config.delayedAckUs ?? 200_000);
      }
    }
  }

  /** @internal The delayed-ACK timer ran out. */
  onDelayedAck(): void {
    if (this.ackOwed > 0 && this.state !== 'CLOSED' && this.state !== 'TIME-WAIT') this.output(ACK, this.sndNxt, null);
  }

  /**
   * Hands in-order bytes to the owner. Whatever we offered is taken even if the buffer shrank
   * since (RFC 9293 §3.8.6: no shrinking); bytes beyond the offer are dropped (false: stop).
   */
  private deliver(payload: Uint8Array): boolean {
    const room = Math.max(this.rcvWnd, (this.rcvRightEdge - this.rcvNxt) | 0);
    const bytes = payload.length > room ? payload.subarray(0, room) : payload;
    if (bytes.length > 0) {
      const urg = this.urg;
      if (urg === null) {
        this.rcvNxt = seqAdd(this.rcvNxt, bytes.length);
        this.rcvHeld += bytes.length;
        this.events?.data(this, bytes);
      } else {
        this.deliverWithUrgent(urg, bytes);
      }
    }
    if (bytes.length < payload.length) {
      this.reassemblyState?.clear();
      this.output(ACK, this.sndNxt, null);
      return false;
    }
    return true;
  }

  /**
   * The peer announced urgent data: remember which byte is urgent (the newest announcement wins,
   * as in BSD), unless it was delivered already (a retransmission).
   */
  private noteUrgent(seg: UrgentSegment): void {
    const pointer = seg.urgentPointer;
    if (typeof pointer !== 'number' || pointer <= 0) return;
    const byte = seqAdd(seg.seq, pointer - 1);
    if (seqLt(byte, this.rcvNxt)) return;
    const urg = this.urgent();
    if (urg.rcvUp === null || seqLt(urg.rcvUp, byte)) urg.rcvUp = byte;
  }

  /**
   * Delivers in-order bytes on a connection that has had urgent data. The urgent byte, when they
   * hold it, stays in the stream with SO_OOBINLINE; otherwise it is held apart for
   * {@link takeUrgent} (still occupying receive window until taken), and the owner is told of it
   * by a delivery (an empty one if nothing follows it).
   */
  private deliverWithUrgent(urg: UrgentState, bytes: Uint8Array): void {
    const up = urg.rcvUp;
    const at = up === null ? -1 : (up - this.rcvNxt) | 0;
    this.rcvNxt = seqAdd(this.rcvNxt, bytes.length);
    this.rcvHeld += bytes.length;
    if (at < 0 || at >= bytes.length || urg.inline) {
      if (at < bytes.length) urg.rcvUp = null; // delivered inline (or a stale announcement)
      urg.delivered += bytes.length;
      this.events?.data(this, bytes);
      return;
    }
    urg.rcvUp = null;
    if (at > 0) {
      urg.delivered += at;
      this.events?.data(this, bytes.subarray(0, at));
    }
    urg.held.push({ byte: bytes[at]!, mark: urg.delivered });
    const rest = bytes.length - at - 1;
    urg.delivered += rest;
    // Always one delivery after the byte is held, so the owner looks at the connection again.
    this.events?.data(this, rest > 0 ? bytes.subarray(at + 1) : EMPTY);
  }

  private receiveInSynSent(seg: Segment): void {
    const flags = seg.flags;
    const ackOk = (flags & ACK) !== 0 && seg.ack === this.sndNxt;
    if ((flags & ACK) && !ackOk) {
      if (!(flags & RST)) {
        this.stack.sendReset(this.version, this.localAddress, this.localPort, this.remoteAddress, this.remotePort, seg.ack, 0, false);
      }
      return;
    }
    if (flags & RST) {
      if (ackOk) this.fail('refused');
      return;
    }
    if ((flags & SYN) && ackOk) {
      this.irs = seg.seq;
      this.rcvNxt = seqAdd(seg.seq, 1);
      this.sndUna = seg.ack;
      this.sndWnd = seg.window;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.cancelTimer();
      this.state = 'ESTABLISHED';
      this.output(ACK, this.sndNxt, null);
      this.events?.established(this);
      this.pump();
    }
  }

  private acceptable(seg: Segment): boolean {
    const len = segmentLength(seg);
    const wnd = this.stack.env.config.window;
    if (len === 0) {
      return seg.seq === this.rcvNxt || (seqLe(this.rcvNxt, seg.seq) && seqLt(seg.seq, seqAdd(this.rcvNxt, wnd)));
    }
    const last = seqAdd(seg.seq, len - 1);
    return (seqLe(this.rcvNxt, seg.seq) && seqLt(seg.seq, seqAdd(this.rcvNxt, wnd)))
      || (seqLe(this.rcvNxt, last) && seqLt(last, seqAdd(this.rcvNxt, wnd)));
  }

  /** Returns false when the segment must be dropped. */
  private processAck(seg: Segment): boolean {
    const ack = seg.ack;
    if (this.state === 'SYN-RECEIVED') {
      if (seqLt(this.sndUna, ack) && seqLe(ack, this.sndNxt)) {
        this.sndUna = ack;
        this.sndWnd = seg.window;
        this.sndWl1 = seg.seq;
        this.sndWl2 = ack;
        // Closed before the handshake completed: the FIN goes out now, after any queued data.
        this.state = this.finQueued ? 'FIN-WAIT-1' : 'ESTABLISHED';
        this.rtxTimer?.dispose(); // the SYN-ACK's timer; an idle connection keeps no timer state
        this.rtxTimer = null;
        this.rtoState = null;
        this.events?.established(this);
        this.pump();
        return true;
      }
      this.stack.sendReset(this.version, this.localAddress, this.localPort, this.remoteAddress, this.remotePort, ack, 0, false);
      return false;
    }
    if (seqLt(this.sndNxt, ack)) {
      this.output(ACK, this.sndNxt, null); // acknowledges something not yet sent
      return false;
    }
    let progressed = false;
    if (seqLt(this.sndUna, ack)) {
      const advance = (ack - this.sndUna) >>> 0;
      const data = Math.min(advance, this.unackedData);
      this.unackedData -= data;
      this.sndUna = ack;
      progressed = data > 0;
      this.acknowledged(data, ack);
    } else if (
      ack === this.sndUna && this.unackedData > 0 && (seg.payload === null || seg.payload.length === 0)
      && (seg.flags & (SYN | FIN)) === 0 && seg.window === this.sndWnd && ++this.dupAcks === 3
    ) {
      this.retransmitFirst(); // fast retransmit (RFC 5681 §3.2)
    }
    if (seqLe(this.sndUna, ack) && (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, ack)))) {
      const opened = seg.window > this.sndWnd;
      this.sndWnd = seg.window;
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
      if (opened) progressed = true;
    }
    if (progressed) {
      this.pump();
      this.events?.acked(this);
    }
    const finAcked = this.finSent && this.sndUna === this.sndNxt;
    switch (this.state) {
      case 'FIN-WAIT-1':
        if (finAcked) this.state = 'FIN-WAIT-2';
        break;
      case 'CLOSING':
        if (finAcked) this.enterTimeWait();
        return false;
      case 'LAST-ACK':
        if (finAcked) this.finish();
        return false;
      case 'TIME-WAIT':
        // A retransmitted FIN: acknowledge again and restart the wait.
        if (seg.flags & FIN) {
          this.output(ACK, this.sndNxt, null);
          this.enterTimeWait();
        }
        return false;
      default:
        break;
    }
    return true;
  }

  /** `bytes` of payload were acknowledged (up to `ack`): forget them, measure, and restart the timer (RFC 6298 §5). */
  private acknowledged(bytes: number, ack: number): void {
    if (bytes > 0) this.forgetAcknowledged(bytes);
    const lent = this.lent;
    while (lent.length > 0 && seqLe(lent[0]!.end, ack)) this.stack.sendBuffers.recycle(lent.shift()!.buffer);
    const urg = this.urg;
    if (urg !== null && urg.sndUp !== null && seqLe(urg.sndUp, ack)) urg.sndUp = null; // the urgent byte arrived
    if (this.rto.timedSeq !== null && seqLe(this.rto.timedSeq, ack)) {
      this.rto.sample(this.stack.env.scheduler.nowMicros - this.rto.timedSentUs);
      this.rto.timedSeq = null;
    }
    this.rto.backoffs = 0;
    this.dupAcks = 0;
    if (this.sndUna === this.sndNxt) {
      this.cancelRtx();
    } else {
      // Restart the timer (RFC 6298 §5.3); a Timer does this without a new scheduler entry.
      this.cancelRtx();
      this.armRtx();
    }
  }

  /** Drops the first `bytes` of the retransmission queue. */
  private forgetAcknowledged(bytes: number): void {
    const rtx = this.rtx;
    let drop = 0;
    let left = bytes;
    while (drop < rtx.length && rtx[drop]!.length <= left) left -= rtx[drop++]!.length;
    if (drop === rtx.length) {
      this.rtx = NO_RTX; // the usual case: everything in flight was acknowledged
      return;
    }
    if (drop > 0) rtx.splice(0, drop);
    if (left > 0) rtx[0] = rtx[0]!.subarray(left);
  }

  private receiveFin(): void {
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.output(ACK, this.sndNxt, null);
    switch (this.state) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        this.state = 'CLOSE-WAIT';
        this.events?.remoteClosed(this);
        return;
      case 'FIN-WAIT-1':
        this.events?.remoteClosed(this);
        if (this.sndUna === this.sndNxt) this.enterTimeWait();
        else this.state = 'CLOSING';
        return;
      case 'FIN-WAIT-2':
        this.events?.remoteClosed(this);
        this.enterTimeWait();
        return;
      default:
        return;
    }
  }

  private enterTimeWait(): void {
    this.cancelTimer();
    this.cancelRtx();
    this.state = 'TIME-WAIT';
    const events = this.events;
    this.detach();
    events?.closed(this);
    this.timer = this.stack.env.scheduler.schedule(this.stack.env.config.timeWaitUs, timeWaitExpired, this, true);
  }

  /** @internal TIME_WAIT is over, or a new SYN took the tuple over (RFC 1122 §4.2.2.13). */
  finish(): void {
    const events = this.events;
    this.destroy();
    events?.closed(this);
  }

  private fail(reason: FailReason): void {
    const events = this.events;
    this.destroy();
    events?.failed(this, reason);
  }

  /** @internal The host crashed: the TCB is gone, nobody is told, nothing is sent. */
  vanish(): void {
    this.events = null;
    this.destroy();
  }

  /** Removes the TCB without telling anyone. */
  private destroy(): void {
    this.cancelTimer();
    this.rtxTimer?.dispose();
    this.delAckTimer?.dispose();
    this.keepAlive = false;
    this.state = 'CLOSED';
    this.stack.forget(this);
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.timer.cancel();
      this.timer = null;
    }
  }

  private output(flags: number, seq: number, payload: Uint8Array | null): void {
    if (flags & ACK) {
      this.ackOwed = 0; // every segment we send carries the acknowledgment
      this.delAckTimer?.clear();
    }
    const window = Math.min(this.rcvWnd, MAX_WINDOW);
    this.advertised = window;
    if (seqLt(this.rcvRightEdge, seqAdd(this.rcvNxt, window))) this.rcvRightEdge = seqAdd(this.rcvNxt, window);
    const up = this.urg === null ? null : this.urg.sndUp;
    // A pointer beyond 16 bits cannot be said: later segments, nearer the byte, carry it.
    if (up !== null && payload !== null && seqLt(seq, up) && ((up - seq) | 0) <= 0xffff) {
      this.outputUrgent(flags, seq, payload, window, up);
      return;
    }
    this.stack.env.transmit({
      version: this.version,
      srcAddress: this.localAddress,
      dstAddress: this.remoteAddress,
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq,
      ack: flags & ACK ? this.rcvNxt : 0,
      flags,
      window,
      payload,
    });
  }

  /** A data segment sent while urgent data is outstanding: URG and the urgent pointer (BSD: just past the urgent byte). */
  private outputUrgent(flags: number, seq: number, payload: Uint8Array, window: number, up: number): void {
    const seg: UrgentSegment = {
      version: this.version,
      srcAddress: this.localAddress,
      dstAddress: this.remoteAddress,
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq,
      ack: flags & ACK ? this.rcvNxt : 0,
      flags: flags | URG,
      window,
      payload,
      urgentPointer: (up - seq) | 0,
    };
    this.stack.env.transmit(seg);
  }
}

/** A connection's urgent data (see {@link TcpConnection.sendUrgent} and {@link TcpConnection.takeUrgent}). */
interface UrgentState {
  /** Sending: the sequence number just past the last urgent byte queued, until the peer acknowledged it. */
  sndUp: number | null;
  /** Receiving: the sequence number of the urgent byte announced and not delivered yet. */
  rcvUp: number | null;
  /** Urgent bytes held apart, oldest first, each with the count of normal bytes delivered before it. */
  readonly held: { byte: number; mark: number }[];
  /** Normal bytes delivered since this state was made (marks count from the same point). */
  delivered: number;
  /** SO_OOBINLINE. */
  inline: boolean;
}

/** Window probes that keep a blocking call waiting; later ones run in the background. */
const PERSIST_FOREGROUND_PROBES = 3;

/** Largest window a segment can advertise without window scaling (which arrives with the wire issue). */
const MAX_WINDOW = 0xffff;
const EMPTY = new Uint8Array(0);
/** Shared empty queues of connections that never sent (replaced on first use, never written). */
const NO_CHUNKS: Uint8Array[] = [];
const NO_RTX: Uint8Array[] = [];
const NO_LENT: { buffer: Uint8Array; end: number }[] = [];

function delayedAck(conn: TcpConnection): void {
  conn.onDelayedAck();
}

function keepAliveDue(conn: TcpConnection): void {
  conn.onKeepAlive();
}

function rtxTimeout(conn: TcpConnection): void {
  conn.onRtxTimer();
}

function synTimeout(conn: TcpConnection): void {
  conn.onSynTimer();
}

function timeWaitExpired(conn: TcpConnection): void {
  if (conn.state === 'TIME-WAIT') conn.finish();
}

/** Key of a listening endpoint; the wildcard address is '0.0.0.0' or '::'. */
export function listenKey(address: string, port: number): string {
  return `${address}|${port}`;
}

export function wildcardAddress(version: IpVersion): string {
  return version === 4 ? '0.0.0.0' : '::';
}

/** One host's TCP: the connection table and the listeners. */
export class TcpStack {
  private readonly connections = new TupleTable<TcpConnection>();
  private readonly listeners = new Map<string, TcpListener>();
  private lastMatch: TcpConnection | null = null;
  /** @internal Send buffers the host's connections share; recycled once acknowledged. */
  readonly sendBuffers = new SendBufferPool();

  constructor(readonly env: TcpEnvironment) {}

  /** Number of TCBs, TIME_WAIT included. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Registers a listener for an address (or the wildcard) and port. The caller guarantees uniqueness. */
  listen(address: string, port: number, hooks: ListenerHooks): TcpListener {
    const key = listenKey(address, port);
    if (this.listeners.has(key)) throw new Error(`bug: two listeners on ${key}`);
    const listener = new TcpListener(this, key, hooks);
    this.listeners.set(key, listener);
    return listener;
  }

  /** @internal */
  unlisten(listener: TcpListener): void {
    if (this.listeners.get(listener.key) === listener) this.listeners.delete(listener.key);
  }

  /** True if a TCB (in any state, TIME_WAIT included) uses this 4-tuple. */
  tupleInUse(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): boolean {
    return this.connections.get(localAddress, localPort, remoteAddress, remotePort) !== undefined;
  }

  /** Active open. The caller has checked that the tuple is free. */
  connect(
    version: IpVersion, localAddress: string, localPort: number,
    remoteAddress: string, remotePort: number, events: ConnectionEvents, receiveBuffer?: number,
  ): TcpConnection {
    const conn = new TcpConnection(this, version, localAddress, localPort, remoteAddress, remotePort, 'SYN-SENT');
    conn.events = events;
    if (receiveBuffer !== undefined) conn.setReceiveBuffer(receiveBuffer);
    this.connections.add(conn);
    conn.openActive();
    return conn;
  }

  /** A segment addressed to this host. */
  receive(seg: Segment): void {
    // Most segments belong to the connection the previous one did: skip building the key then.
    const last = this.lastMatch;
    const hit = last !== null && last.state !== 'CLOSED' && last.localPort === seg.dstPort && last.remotePort === seg.srcPort
      && last.remoteAddress === seg.srcAddress && last.localAddress === seg.dstAddress;
    const conn = hit ? last : this.connections.get(seg.dstAddress, seg.dstPort, seg.srcAddress, seg.srcPort);
    if (conn !== undefined) this.lastMatch = conn;
    if (conn !== undefined) {
      const reopens = conn.state === 'TIME-WAIT' && (seg.flags & (SYN | ACK | RST)) === SYN && seqLt(conn.rcvNxt, seg.seq);
      if (!reopens) {
        conn.receive(seg);
        return;
      }
      conn.finish();
    }
    if ((seg.flags & (SYN | ACK | RST)) === SYN) {
      const listener = this.listeners.get(listenKey(seg.dstAddress, seg.dstPort))
        ?? this.listeners.get(listenKey(wildcardAddress(seg.version), seg.dstPort));
      if (listener !== undefined) {
        this.passiveOpen(listener, seg);
        return;
      }
    }
    this.refuse(seg);
  }

  private passiveOpen(listener: TcpListener, seg: Segment): void {
    const conn = new TcpConnection(this, seg.version, seg.dstAddress, seg.dstPort, seg.srcAddress, seg.srcPort, 'SYN-RECEIVED');
    conn.openPassive(seg);
    const verdict = listener.hooks.onSyn(conn);
    if (verdict === 'refuse') {
      this.refuse(seg);
      return;
    }
    if (verdict === 'drop') return; // the client's SYN retransmissions try again
    this.connections.add(conn);
    if (verdict === 'defer') {
      conn.synHeld = true;
      return;
    }
    conn.synHeld = true;
    conn.acceptSyn();
  }

  /** Answers a segment that matches nothing with RST (RFC 9293 §3.10.7.1). */
  private refuse(seg: Segment): void {
    if (seg.flags & RST) return;
    if (seg.flags & ACK) {
      this.sendReset(seg.version, seg.dstAddress, seg.dstPort, seg.srcAddress, seg.srcPort, seg.ack, 0, false);
    } else {
      this.sendReset(seg.version, seg.dstAddress, seg.dstPort, seg.srcAddress, seg.srcPort, 0, seqAdd(seg.seq, segmentLength(seg)), true);
    }
  }

  /** @internal */
  sendReset(
    version: IpVersion, srcAddress: string, srcPort: number, dstAddress: string, dstPort: number,
    seq: number, ack: number, withAck: boolean,
  ): void {
    this.env.transmit({
      version, srcAddress, dstAddress, srcPort, dstPort, seq,
      ack: withAck ? ack : 0,
      flags: withAck ? RST | ACK : RST,
      window: 0,
      payload: null,
    });
  }

  /** A SYN of ours could not be delivered (no such host or network). */
  unreachable(seg: Segment, reason: 'host-unreachable' | 'net-unreachable'): void {
    const conn = this.connections.get(seg.srcAddress, seg.srcPort, seg.dstAddress, seg.dstPort);
    conn?.unreachable(reason);
  }

  /** The host crashed: every TCB and listener is gone without a word to the peers. */
  crash(): void {
    for (const conn of this.connections.all()) conn.vanish();
    this.listeners.clear();
  }

  /** @internal */
  forget(conn: TcpConnection): void {
    if (this.lastMatch === conn) this.lastMatch = null;
    this.connections.delete(conn);
  }

  /** @internal Initial sequence number (RFC 9293 §3.4.1 wants unpredictable; a seeded draw is). */
  newIss(): number {
    return this.env.random.uint32() | 0;
  }
}
