/**
 * Posted AcceptEx calls: which connection each one takes, when it completes, what aborts it.
 *
 * A posted AcceptEx takes the listener's oldest connection that WSPAccept could take (one a
 * condition function deferred with CF_DEFER included), or else the next one that arrives,
 * straight from the network: the connection never waits in the backlog and raises no FD_ACCEPT
 * (docs/semantics.md, "AcceptEx and the backlog"). A SYN held by SO_CONDITIONAL_ACCEPT is
 * accepted: AcceptEx has no condition function. With receive data asked for, the accept socket
 * is connected at once (SO_CONNECT_TIME counts from then) and the call completes with the first
 * data, or 0 bytes at the peer's close, through an overlapped receive on the accept socket.
 *
 * The engine knows nothing of the caller's objects: each call carries a `finish` callback.
 */
import { STATUS_BUFFER_TOO_SMALL, STATUS_CANCELLED, STATUS_SUCCESS } from '../provider/constants.js';
import type { PendingConnection } from '../provider/listen-queue.js';
import { OverlappedEngine, type Completion } from '../provider/overlapped.js';
import type { ProviderCore } from '../provider/provider.js';
import type { Socket } from '../provider/socket.js';

/** One AcceptEx, as the call hands it over once its arguments were checked. */
export interface PostedAccept {
  readonly listener: Socket;
  readonly target: Socket;
  /** The caller's OVERLAPPED (what CancelIoEx names the call by). */
  readonly overlapped: object;
  /** dwReceiveDataLength: >0 waits for the first data. */
  readonly receive: Uint8Array;
  /** Whether the address slots are big enough; checked when a connection comes, as Windows does. */
  readonly slotsFit: boolean;
  /** Writes the address slots once the accept socket is connected. */
  readonly writeAddresses: (accepted: Socket) => void;
  /** Called once, when the call completes (never at the call itself). */
  readonly finish: (c: Completion) => void;
}

interface Waiting {
  readonly op: PostedAccept;
  /** A held SYN this call accepted and whose handshake has not finished yet. */
  entry: PendingConnection | null;
}

const ENGINES = new WeakMap<ProviderCore, AcceptExEngine>();

export class AcceptExEngine {
  /** Calls waiting for a connection, per listener, in posting order. */
  private readonly waiting = new Map<Socket, Waiting[]>();
  /** Accept socket → its call, from posting until completion (connection and first data). */
  private readonly byTarget = new Map<Socket, PostedAccept>();
  private busy = false;

  static of(core: ProviderCore): AcceptExEngine {
    let engine = ENGINES.get(core);
    if (engine === undefined) {
      engine = new AcceptExEngine(core);
      ENGINES.set(core, engine);
    }
    return engine;
  }

  static existing(core: ProviderCore): AcceptExEngine | undefined {
    return ENGINES.get(core);
  }

  private constructor(private readonly core: ProviderCore) {
    // Before readiness: a connection a posted AcceptEx takes raises no FD_ACCEPT (Wine's test_accept_events).
    core.beforeChange.add((sock) => {
      if (this.byTarget.size === 0) return;
      if (this.waiting.has(sock)) this.serve(sock);
      else if (sock.phase === 'closed' && this.byTarget.has(sock)) this.targetClosed(sock);
    });
  }

  /** True while an AcceptEx is accepting into `sock` (a second one on it is WSAEINVAL). */
  isTarget(sock: Socket): boolean {
    return this.byTarget.has(sock);
  }

  /** Posts a call: it may take a queued connection (and complete) before this returns. */
  post(op: PostedAccept): void {
    const queue = op.listener.queue!;
    let list = this.waiting.get(op.listener);
    if (list === undefined) {
      list = [];
      this.waiting.set(op.listener, list);
    }
    list.push({ op, entry: null });
    queue.posted++;
    this.byTarget.set(op.target, op);
    this.core.acceptTargets.add(op.target);
    this.serve(op.listener);
  }

  /**
   * CancelIoEx on `sock`: its AcceptEx calls (all, or the one with that OVERLAPPED) complete
   * with STATUS_CANCELLED. Only calls issued on the listener: CancelIo on the accept socket
   * cancels nothing (Wine's test_AcceptEx). Returns how many were cancelled.
   */
  cancel(sock: Socket, overlapped: object | null): number {
    let n = 0;
    for (const [target, op] of [...this.byTarget]) {
      if (op.listener !== sock || (overlapped !== null && op.overlapped !== overlapped)) continue;
      n++;
      this.abort(target, op);
    }
    return n;
  }

  /** Takes connections for the listener's waiting calls, oldest call first. */
  private serve(listener: Socket): void {
    if (this.busy) return; // our own acceptInto changes the listener: the loop below goes on
    this.busy = true;
    try {
      const list = this.waiting.get(listener);
      if (list === undefined) return;
      if (listener.phase !== 'listening' || listener.queue === null) {
        for (const w of [...list]) this.abort(w.op.target, w.op);
        return;
      }
      const queue = listener.queue;
      for (let i = 0; i < list.length;) {
        const w = list[i]!;
        if (w.entry !== null) {
          const e = w.entry;
          if (!queue.entries.has(e.conn) || e.state === 'reset') {
            // The peer withdrew or reset it during the handshake: wait for another one.
            if (queue.entries.has(e.conn)) queue.discard(e);
            w.entry = null;
            queue.posted++;
          } else if (e.state === 'ready') {
            this.take(list, i, e);
            continue;
          } else {
            i++;
            continue;
          }
        }
        const next = this.nextEntry(queue);
        if (next === undefined) break;
        if (next.state === 'held') {
          next.claimed = true;
          next.state = 'handshake';
          next.conn.acceptSyn();
          w.entry = next;
          queue.posted--;
          i++;
          continue;
        }
        queue.posted--;
        this.take(list, i, next);
      }
      if (list.length === 0) this.waiting.delete(listener);
    } finally {
      this.busy = false;
    }
  }

  /** The oldest entry a call may take: ready or held, not claimed; a reset one is dropped. */
  private nextEntry(queue: NonNullable<Socket['queue']>): PendingConnection | undefined {
    for (;;) {
      const e = queue.first();
      if (e === undefined || e.state !== 'reset') return e;
      queue.discard(e);
    }
  }

  /** Gives `entry` to the call at `list[i]` (removing it from the list). */
  private take(list: Waiting[], i: number, entry: PendingConnection): void {
    const { op } = list[i]!;
    list.splice(i, 1);
    entry.claimed = false;
    const queue = op.listener.queue!;
    if (!op.slotsFit) {
      // Too small an address slot fails the call when the connection comes; the connection
      // stays for WSPAccept (Wine's test_AcceptEx, STATUS_BUFFER_TOO_SMALL).
      this.settle(op, { status: STATUS_BUFFER_TOO_SMALL, count: 0, flags: 0, from: null });
      return;
    }
    const r = this.core.acceptInto(op.listener, queue, entry, op.target, false);
    if (r < 0) {
      this.settle(op, { status: STATUS_CANCELLED, count: 0, flags: 0, from: null });
      return;
    }
    op.writeAddresses(op.target);
    this.core.acceptContextPending.add(op.target);
    if (op.receive.length === 0) {
      this.settle(op, { status: STATUS_SUCCESS, count: 0, flags: 0, from: null });
      return;
    }
    // The first data (or the peer's close) completes it: an overlapped receive on the accept socket.
    const started = OverlappedEngine.of(this.core).start(op.target, {
      direction: 'recv', buffers: [op.receive], flags: 0, to: null, viaSendTo: false, overlapped: op.overlapped,
      finish: (c) => this.settle(op, c),
    });
    if (started === 'pending') return;
    this.settle(op, typeof started === 'number' ? { status: STATUS_CANCELLED, count: 0, flags: 0, from: null } : started);
  }

  /** The call ends: forgotten, then indicated. */
  private settle(op: PostedAccept, c: Completion): void {
    if (this.byTarget.get(op.target) !== op) return;
    this.byTarget.delete(op.target);
    this.core.acceptTargets.delete(op.target);
    op.finish(c);
  }

  /** Ends a call with STATUS_CANCELLED, wherever it is (waiting, handshaking, or waiting for data). */
  private abort(target: Socket, op: PostedAccept): void {
    const list = this.waiting.get(op.listener);
    const i = list?.findIndex((w) => w.op === op) ?? -1;
    if (list !== undefined && i >= 0) {
      const w = list[i]!;
      list.splice(i, 1);
      if (list.length === 0) this.waiting.delete(op.listener);
      const queue = op.listener.queue;
      if (w.entry !== null) w.entry.claimed = false;
      else if (queue !== null) queue.posted--;
      this.settle(op, { status: STATUS_CANCELLED, count: 0, flags: 0, from: null });
      return;
    }
    // Connected, waiting for its first data: the receive is cancelled, which settles the call.
    if (OverlappedEngine.existing(this.core)?.cancel(target, op.overlapped) === 0) {
      this.settle(op, { status: STATUS_CANCELLED, count: 0, flags: 0, from: null });
    }
  }

  /** The accept socket was closed: a call still waiting for a connection is aborted. */
  private targetClosed(target: Socket): void {
    const op = this.byTarget.get(target)!;
    if (this.waiting.get(op.listener)?.some((w) => w.op === op) === true) this.abort(target, op);
    // One waiting for data completes through its receive (STATUS_CONNECTION_ABORTED).
  }
}
