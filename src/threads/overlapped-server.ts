/**
 * The owner's side of worker threads' overlapped I/O and completion ports (docs/overlapped.md,
 * "Worker threads"). A worker's WSAOVERLAPPED, event object and completion routine cannot travel:
 * the owner keeps a mirror WSAOVERLAPPED per worker OVERLAPPED id and hands the provider the
 * mirror, a mirror event and a routine of its own. What happens to a mirror (the call pended,
 * the operation completed, with which bytes) becomes a {@link Notice} for its worker, sent with
 * the worker's next answer; a completion routine becomes a {@link RoutineDue}, sent when the
 * worker waits alertably. Completion ports live here, named by number ({@link PortRef}).
 */
import {
  ERROR_ABANDONED_WAIT_0, ERROR_INVALID_HANDLE, ERROR_NOACCESS, INVALID_HANDLE_VALUE, STATUS_PENDING, WAIT_IO_COMPLETION, WAIT_TIMEOUT,
  WSA_INFINITE, WSA_IO_INCOMPLETE, WSA_IO_PENDING, WSA_WAIT_FAILED, WSA_WAIT_TIMEOUT,
} from '../provider/constants.js';
import { WSAEvent } from '../provider/readiness.js';
import { noPortNotification, NoPortNotification } from '../iocp/no-port-event.js';
import { CompletionPort, type CompletionPacket, type WaitEnd } from '../iocp/port.js';
import {
  CloseHandle, GetQueuedCompletionStatus, GetQueuedCompletionStatusEx, PostQueuedCompletionStatus, type OVERLAPPED_ENTRY,
} from '../iocp/queued-status.js';
import { packetSucceeded, statusToWin32 } from '../iocp/win32-status.js';
import { FALSE, failWin32, readTimeout } from '../iocp/win32-call.js';
import { store } from '../spi/funnel.js';
import type { LPINT, WSABUF, WSAOVERLAPPED, WSATHREADID } from '../spi/types.js';
import type { ChannelLike, Job } from './job.js';
import {
  OVERLAPPED_SHAPES, isOverlappedRef, isPortRef, type EventKind, type MsgNotice, type Notice, type OverlappedRef, type PortRef, type RoutineDue,
} from './protocol.js';

/** Written into a mirror's Internal before a call: still there after it, the provider wrote nothing. */
const UNTOUCHED = Number.NaN;

/** A WSAOVERLAPPED as a worker's program holds it, by value (a packet of another thread's). */
export interface OverlappedFields {
  Internal: unknown;
  InternalHigh: unknown;
  Offset: unknown;
  OffsetHigh: unknown;
  hEvent: null;
}

/** The owner's copy of one worker WSAOVERLAPPED. */
class Mirror {
  private internal: unknown = 0;
  /** An operation started with it pends: its completion becomes a notice. */
  armed = false;
  /** Its completion's notice has not reached the worker yet: the worker's fields are stale, the owner's are the truth. */
  unreported = false;
  /** The kind of hEvent the worker has now, and the provider-side value standing for it. */
  private kind: EventKind = 'none';
  /** The operation in progress has a completion routine (its hEvent is left alone). */
  routine = false;
  recvBufs: WSABUF[] | null = null;
  from: unknown = undefined;
  fromlen: unknown = undefined;
  out: unknown = undefined;
  /** AcceptEx's output buffer (the owner's copy). */
  bytes: Uint8Array | null = null;
  /** WSARecvMsg's WSAMSG (the owner's copy). */
  msg: Record<string, unknown> | null = null;
  readonly ov: WSAOVERLAPPED;

  constructor(readonly id: number, private readonly completed: (m: Mirror) => void) {
    // Internal is an accessor: the provider writes it last at completion (after InternalHigh, the
    // sender and the bytes), so its write is the moment to tell the worker.
    const self = this;
    this.ov = {
      get Internal(): number {
        return self.internal as number;
      },
      set Internal(v: number) {
        self.internal = v;
        if (self.armed && v !== STATUS_PENDING) {
          self.armed = false;
          self.completed(self);
        }
      },
      InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: null,
    } as WSAOVERLAPPED;
  }

  /** The event a completion signals (inside a NoPortNotification too). */
  get event(): WSAEvent | null {
    const h: unknown = this.ov.hEvent;
    if (NoPortNotification.is(h)) return h.event;
    return WSAEvent.is(h) ? h : null;
  }

  /** Takes the worker's fields (not while an operation pends: the owner's state is the truth then). */
  sync(ref: OverlappedRef): void {
    if (ref.event !== this.kind) {
      this.kind = ref.event;
      const h = ref.event === 'event' ? new WSAEvent()
        : ref.event === 'noport' ? noPortNotification(new WSAEvent())!
          : ref.event === 'noport-null' ? noPortNotification(null)!
            : ref.event === 'other' ? { notAnEvent: true } : null;
      (this.ov as { hEvent: unknown }).hEvent = h;
    }
    const event = this.event;
    if (this.armed || this.unreported) {
      // The worker set its own event while the operation pends (a wait then returns at once [49]).
      if (ref.signaled && event !== null) event.set();
      return;
    }
    this.internal = ref.Internal;
    (this.ov as { InternalHigh: unknown }).InternalHigh = ref.InternalHigh;
    (this.ov as { Offset: unknown }).Offset = ref.Offset;
    (this.ov as { OffsetHigh: unknown }).OffsetHigh = ref.OffsetHigh;
    if (event !== null) {
      if (ref.signaled) event.set();
      else event.reset();
    }
  }

  /** Before a call that may start an operation with it. */
  mark(): unknown {
    const before = this.internal;
    this.internal = UNTOUCHED;
    return before;
  }

  /** After that call: 'untouched' (it failed at once: the worker's value is put back), 'pending' or 'done'. */
  settle(before: unknown): 'untouched' | 'pending' | 'done' {
    if (Number.isNaN(this.internal)) {
      this.internal = before;
      return 'untouched';
    }
    if (this.internal === STATUS_PENDING) {
      this.armed = true;
      return 'pending';
    }
    return 'done';
  }

  /**
   * After an extension function that failed at once (a code other than WSA_IO_PENDING): nothing
   * pends. What it wrote into Internal (AcceptEx and ConnectEx leave STATUS_PENDING there, as
   * Windows does) is for the worker to write too — and nothing else: its event stays as it was.
   */
  settleFailed(before: unknown): Notice | undefined {
    // (An operation of the same OVERLAPPED still pending stays armed: its completion is still to come.)
    if (Number.isNaN(this.internal)) {
      this.internal = before;
      return undefined;
    }
    const high = this.ov.InternalHigh;
    return { id: this.id, Internal: this.internal as number, InternalHigh: typeof high === 'number' ? high : 0, done: false };
  }

  /** What the worker must write into its own objects now. */
  notice(done: boolean): Notice {
    const high = this.ov.InternalHigh;
    const n: { -readonly [K in keyof Notice]: Notice[K] } = {
      id: this.id, Internal: this.internal as number, InternalHigh: typeof high === 'number' ? high : 0, done,
    };
    if (!this.routine && this.event !== null) n.signaled = done;
    if (done) {
      if (this.recvBufs !== null) n.data = received(this.recvBufs, n.InternalHigh);
      if (this.from !== undefined) {
        n.from = this.from;
        n.fromlen = this.fromlen;
      }
      if (this.out !== undefined) n.out = this.out;
      if (this.bytes !== null) n.bytes = this.bytes.buffer instanceof SharedArrayBuffer ? null : this.bytes;
      if (this.msg !== null) n.msg = msgNotice(this.msg, n.InternalHigh);
    }
    return n;
  }
}

/** The bytes a receive put in the owner's copies of its buffers: `count` of them, buffer by buffer. */
function received(bufs: WSABUF[], count: number): (Uint8Array | null)[] {
  let left = count;
  return bufs.map((b) => {
    const take = Math.max(0, Math.min(left, b.len, b.buf.length));
    left -= take;
    // A view of shared memory was written where the worker sees it.
    return b.buf.buffer instanceof SharedArrayBuffer ? null : b.buf.slice(0, take);
  });
}

/** What WSARecvMsg wrote into the owner's copy of a worker's WSAMSG, `count` bytes received. */
function msgNotice(msg: Record<string, unknown>, count: number): MsgNotice {
  const ctl = isObject(msg.Control) ? msg.Control : {};
  const len = typeof ctl.len === 'number' ? ctl.len : 0;
  const buf = ctl.buf instanceof Uint8Array ? ctl.buf : null;
  const bufs = Array.isArray(msg.lpBuffers)
    ? (msg.lpBuffers as unknown[]).filter((b): b is WSABUF => isObject(b) && b.buf instanceof Uint8Array && typeof b.len === 'number')
    : [];
  return {
    name: msg.name, namelen: msg.namelen, dwFlags: msg.dwFlags, controlLen: ctl.len,
    control: buf === null || buf.buffer instanceof SharedArrayBuffer ? null : buf.slice(0, Math.min(len, buf.length)),
    data: received(bufs, count),
  };
}

/** What the owner keeps for one worker. */
class ChannelOverlapped {
  readonly mirrors = new Map<number, Mirror>();
  readonly notices: Notice[] = [];
  readonly routines: RoutineDue[] = [];
  constructor(readonly channel: ChannelLike) {}

  /** The provider-side WSATHREADID of the worker's thread `key`. */
  threadId(key: number): WSATHREADID {
    return { ThreadHandle: `worker ${this.channel.serial} thread ${key}`, Reserved: 0 };
  }
}

/** Whose mirror a provider-side WSAOVERLAPPED is. */
const MIRRORS = new WeakMap<object, { mirror: Mirror; owner: ChannelOverlapped }>();

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

export class ThreadOverlapped {
  private readonly channels = new WeakMap<ChannelLike, ChannelOverlapped>();
  private readonly ports = new Map<number, CompletionPort>();
  private readonly portIds = new WeakMap<CompletionPort, number>();
  private nextPort = 1;

  /** `activity`: something a waiting call may be waiting for happened (a completion, a packet). */
  constructor(private readonly activity: () => void) {}

  private of(channel: ChannelLike): ChannelOverlapped {
    let c = this.channels.get(channel);
    if (c === undefined) this.channels.set(channel, (c = new ChannelOverlapped(channel)));
    return c;
  }

  /** The provider-side WSATHREADID of the worker's thread `key` (0: the thread of calls that name none). */
  threadIdOf(channel: ChannelLike, key: number): WSATHREADID {
    return this.of(channel).threadId(key);
  }

  /** The name every thread uses for `port`. */
  portRef(port: CompletionPort): PortRef {
    let id = this.portIds.get(port);
    if (id === undefined) {
      id = this.nextPort++;
      this.portIds.set(port, id);
      this.ports.set(id, port);
    }
    return { __port: id };
  }

  /** The port a reference names; anything else stays as it is (and is refused as no port). */
  private port(x: unknown): unknown {
    if (!isPortRef(x)) return x;
    const p = this.ports.get(x.__port);
    return p === undefined || p.closed ? { closedPort: x.__port } : p;
  }

  /** Notices and routines due to the worker, taken. */
  drain(channel: ChannelLike): { notices?: Notice[]; routines?: RoutineDue[] } {
    const c = this.channels.get(channel);
    if (c === undefined) return {};
    const out: { notices?: Notice[]; routines?: RoutineDue[] } = {};
    if (c.notices.length > 0) {
      out.notices = c.notices.splice(0);
      for (const n of out.notices) {
        const m = c.mirrors.get(n.id);
        if (m !== undefined) m.unreported = false;
      }
    }
    if (c.routines.length > 0) out.routines = c.routines.splice(0);
    return out;
  }

  /** The worker no longer holds these WSAOVERLAPPEDs. */
  free(channel: ChannelLike, ids: readonly number[]): void {
    const c = this.channels.get(channel);
    if (c === undefined) return;
    for (const id of ids) if (c.mirrors.get(id)?.armed === false) c.mirrors.delete(id);
  }

  private mirror(c: ChannelOverlapped, ref: OverlappedRef): Mirror {
    let m = c.mirrors.get(ref.__overlapped);
    if (m === undefined) {
      m = new Mirror(ref.__overlapped, (done) => {
        done.unreported = true;
        c.notices.push(done.notice(true));
        this.activity();
      });
      c.mirrors.set(ref.__overlapped, m);
      MIRRORS.set(m.ov, { mirror: m, owner: c });
    }
    m.sync(ref);
    return m;
  }

  /** A WSAOVERLAPPED argument: the mirror of a worker's, a WSAEFAULT stand-in for a bad one, or as it came. */
  private overlapped(c: ChannelOverlapped, x: unknown): unknown {
    if (isOverlappedRef(x)) return this.mirror(c, x).ov;
    if (isObject(x) && x.__badOverlapped === true) return Object.freeze({});
    return x;
  }

  /**
   * A WSPSend / WSPRecv / WSPSendTo / WSPRecvFrom / WSPIoctl call with an OVERLAPPED: returns
   * the arguments the provider gets and a function to call with the call's result, or undefined
   * for a call that is not overlapped.
   */
  transfer(channel: ChannelLike, fn: string, args: unknown[]): { args: unknown[]; keep: number[]; after: (errno?: number) => unknown } | undefined {
    const shape = OVERLAPPED_SHAPES[fn];
    if (shape === undefined || !isOverlappedRef(args[shape.ov])) return undefined;
    const c = this.of(channel);
    const m = this.mirror(c, args[shape.ov] as OverlappedRef);
    const out = [...args];
    out[shape.ov] = m.ov;
    const routineArg = shape.routine === undefined ? undefined : args[shape.routine];
    const routineGiven = isObject(routineArg) && (routineArg as { __routine?: unknown }).__routine === true;
    if (routineGiven) {
      const t = shape.thread === undefined ? undefined : args[shape.thread];
      const key = isObject(t) && typeof t.ThreadHandle === 'number' ? t.ThreadHandle : 0;
      out[shape.routine!] = (dwError: number, cbTransferred: number, _ov: unknown, dwFlags: number): void => {
        c.routines.push({ id: m.id, thread: key, dwError, cbTransferred, dwFlags });
        this.activity();
      };
      if (shape.thread !== undefined) out[shape.thread] = c.threadId(key);
    }
    const keep = [shape.ov];
    for (const i of [shape.routine, shape.thread, shape.recvBufs, shape.from, shape.fromlen, shape.out, shape.bytes, shape.msg]) if (i !== undefined) keep.push(i);
    const before = m.mark();
    return {
      args: out, keep,
      after: (errno?: number) => {
        if (errno !== undefined && errno !== 0 && errno !== WSA_IO_PENDING) {
          const n = m.settleFailed(before);
          if (n !== undefined) c.notices.push(n);
          return { started: false };
        }
        const outcome = m.settle(before);
        if (outcome === 'untouched') return { started: false };
        // The operation's own objects, as the provider holds them: read at completion.
        m.routine = routineGiven;
        const bufs = shape.recvBufs === undefined ? null : out[shape.recvBufs];
        m.recvBufs = Array.isArray(bufs) ? (bufs as WSABUF[]).filter((b) => isObject(b) && b.buf instanceof Uint8Array) : null;
        m.from = shape.from === undefined ? undefined : out[shape.from] ?? undefined;
        m.fromlen = shape.fromlen === undefined ? undefined : out[shape.fromlen] ?? undefined;
        m.out = shape.out === undefined ? undefined : out[shape.out] ?? undefined;
        const bytes = shape.bytes === undefined ? undefined : out[shape.bytes];
        m.bytes = bytes instanceof Uint8Array ? bytes : null;
        const msg = shape.msg === undefined ? undefined : out[shape.msg];
        m.msg = isObject(msg) ? msg : null;
        c.notices.push(m.notice(outcome === 'done'));
        return { started: true };
      },
    };
  }

  /** WSPGetOverlappedResult and CancelIoEx name a worker's WSAOVERLAPPED: its mirror. */
  resolve(channel: ChannelLike, fn: string, args: unknown[]): unknown[] {
    if (fn !== 'WSPGetOverlappedResult' && fn !== 'CancelIoEx') return args;
    const out = [...args];
    out[1] = this.overlapped(this.of(channel), args[1]);
    return out;
  }

  // ---- the functions of worker threads that are no WSP* function -----------------------------

  /** A job for a non-WSP function of a worker (names start with `__`), or undefined. */
  job(channel: ChannelLike, fn: string, args: unknown[], now: () => number): Job | undefined {
    const c = this.of(channel);
    const lpErrno = args[args.length - 1];
    const once = (attempt: () => unknown): Job => ({ channel, args, deadline: Infinity, attempt, expire: attempt });
    switch (fn) {
      case '__CreateIoCompletionPort': {
        const [file, existing, key, threads] = args;
        return once(() => {
          const port = channel.provider.CreateIoCompletionPort(file as number, this.port(existing) as CompletionPort | null, key, threads as number, lpErrno as LPINT);
          return port === null ? null : this.portRef(port);
        });
      }
      case '__PostQueuedCompletionStatus': {
        const [port, bytes, key, ov] = args;
        return once(() => {
          const r = PostQueuedCompletionStatus(this.port(port) as CompletionPort, bytes as number, key, this.overlapped(c, ov) as WSAOVERLAPPED | null, lpErrno as LPINT);
          this.activity();
          return r;
        });
      }
      case '__CloseHandle':
        return once(() => {
          const port = this.port(args[0]);
          const r = CloseHandle(port as CompletionPort, lpErrno as LPINT);
          // A closed port is forgotten: its number now names nothing (refused as a closed handle).
          if (r !== 0 && isPortRef(args[0])) this.ports.delete(args[0].__port);
          this.activity();
          return r;
        });
      case '__GetQueuedCompletionStatus': return this.gqcs(c, args, now);
      case '__GetQueuedCompletionStatusEx': return this.gqcsEx(c, args, now);
      case '__alertableWait': return this.alertable(c, args, now);
      case '__waitForEvents': return this.waitNotices(c, args, now);
      case 'WSPGetOverlappedResult': return this.overlappedResult(c, args);
      default: return undefined;
    }
  }

  /** A wait's deadline: `ms` from now (null, INFINITE: none). */
  private deadline(ms: number | null, now: () => number): number {
    return ms === null ? Infinity : now() + ms;
  }

  /** The packet's OVERLAPPED as the worker gets it: its own (by id), another thread's by value, or what was posted. */
  private handBack(c: ChannelOverlapped, ov: unknown): unknown {
    if (ov === null || ov === undefined) return null;
    const mine = MIRRORS.get(ov as object);
    if (mine !== undefined && mine.owner === c) return { __overlapped: mine.mirror.id };
    if (isObject(ov) && 'Internal' in ov && 'InternalHigh' in ov) {
      const fields: OverlappedFields = { Internal: ov.Internal, InternalHigh: ov.InternalHigh, Offset: ov.Offset, OffsetHigh: ov.OffsetHigh, hEvent: null };
      return { __foreign: fields };
    }
    try {
      return structuredClone(ov);
    } catch {
      return null;
    }
  }

  /**
   * GetQueuedCompletionStatus from a worker: a packet now, or the worker waits (only it: the owner
   * serves the others, the network runs) for the port to hand it one — workers waiting on one port
   * are handed packets last in, first out, as Windows releases a port's threads.
   */
  private gqcs(c: ChannelOverlapped, args: unknown[], now: () => number): Job {
    const [portArg, lpBytes, lpKey, , ms, lpErrno] = args as [unknown, LPINT, { value: unknown }, unknown, unknown, LPINT];
    const port = this.port(portArg) as CompletionPort;
    const timeout = readTimeout(ms);
    const job: Job = {
      channel: c.channel, args, deadline: Infinity,
      attempt: () => undefined,
      expire: () => end('timeout'),
      stalled: () => end('timeout'),
      keep: [3],
    };
    // `result.overlapped`: what the worker writes to *lpOverlapped (absent: the call wrote nothing there).
    const end = (e: WaitEnd): number => {
      remove?.();
      remove = undefined;
      if (e === 'timeout' || e === 'abandoned') {
        job.result = { overlapped: null };
        return failWin32(lpErrno, e === 'timeout' ? WAIT_TIMEOUT : ERROR_ABANDONED_WAIT_0, FALSE);
      }
      store(lpBytes, 'value', e.bytes);
      store(lpKey, 'value', e.key);
      job.result = { overlapped: this.handBack(c, e.overlapped), packet: true };
      return packetSucceeded(e.status) ? 1 : failWin32(lpErrno, statusToWin32(e.status), FALSE);
    };
    let remove: (() => void) | undefined;
    job.dispose = () => remove?.();
    // Checks and a packet at hand: the function itself, without waiting.
    const unwritten = {};
    const holder = { value: unwritten as unknown };
    const r = GetQueuedCompletionStatus(port, lpBytes, lpKey, holder as never, 0, lpErrno);
    if (r !== 0 || lpErrno.value !== WAIT_TIMEOUT || timeout === 0 || timeout === undefined || !CompletionPort.is(port)) {
      if (holder.value !== unwritten) {
        const packet = r === 1 || (lpErrno.value !== WAIT_TIMEOUT && lpErrno.value !== ERROR_ABANDONED_WAIT_0);
        job.result = { overlapped: this.handBack(c, holder.value), packet };
      }
      job.attempt = () => r;
      return job;
    }
    if (r === 0) lpErrno.value = 0; // not the answer yet
    let got: WaitEnd | undefined;
    remove = port.wait((e) => {
      got = e;
      this.activity();
    });
    (job as { deadline: number }).deadline = this.deadline(timeout, now);
    job.attempt = () => (got === undefined ? undefined : end(got));
    return job;
  }

  /** GetQueuedCompletionStatusEx from a worker: as {@link gqcs}; alertable, the worker's own routines end it. */
  private gqcsEx(c: ChannelOverlapped, args: unknown[], now: () => number): Job {
    const [portArg, entries, count, removed, ms, alertable, lpErrno] = args as [unknown, OVERLAPPED_ENTRY[], number, LPINT, unknown, unknown, LPINT];
    const port = this.port(portArg) as CompletionPort;
    const timeout = readTimeout(ms);
    const handBackAll = (): void => {
      job.result = Array.isArray(entries) ? entries.map((e) => (isObject(e) ? this.handBack(c, e.lpOverlapped) : null)) : null;
      if (Array.isArray(entries)) for (const e of entries) if (isObject(e)) e.lpOverlapped = null;
    };
    const tryNow = (): number | undefined => {
      const r = GetQueuedCompletionStatusEx(port, entries, count, removed, 0, false, lpErrno);
      if (r === 1 || lpErrno.value !== WAIT_TIMEOUT) {
        if (r === 1) handBackAll();
        return r;
      }
      if (alertable && this.routinesFor(c, 0)) {
        lpErrno.value = WAIT_IO_COMPLETION;
        return FALSE;
      }
      return undefined;
    };
    const job: Job = {
      channel: c.channel, args, deadline: this.deadline(timeout ?? 0, now),
      attempt: () => {
        if (got !== undefined && got !== 'timeout') {
          // A packet handed to this waiter: put it first, then take what else is queued.
          const p = got;
          got = undefined;
          if (p === 'abandoned') return failWin32(lpErrno, ERROR_ABANDONED_WAIT_0, FALSE);
          return this.exWith(port, p, entries, count, removed, lpErrno, handBackAll);
        }
        const r = tryNow();
        if (r !== undefined) remove?.();
        return r;
      },
      expire: () => {
        remove?.();
        return failWin32(lpErrno, WAIT_TIMEOUT, FALSE);
      },
      stalled: () => {
        remove?.();
        return failWin32(lpErrno, WAIT_TIMEOUT, FALSE);
      },
      dispose: () => remove?.(),
    };
    let got: WaitEnd | undefined;
    let remove: (() => void) | undefined;
    const first = tryNow();
    if (first !== undefined || timeout === 0 || timeout === undefined || !CompletionPort.is(port)) {
      const r = first ?? GetQueuedCompletionStatusEx(port, entries, count, removed, 0, false, lpErrno);
      job.attempt = () => r;
      return job;
    }
    lpErrno.value = 0;
    remove = port.wait((e) => {
      got = e;
      remove = undefined;
      this.activity();
    });
    return job;
  }

  /** GetQueuedCompletionStatusEx's answer with packet `p` (handed to this waiter) first. */
  private exWith(port: CompletionPort, p: CompletionPacket, entries: OVERLAPPED_ENTRY[], count: number, removed: LPINT, lpErrno: LPINT, handBackAll: () => void): number {
    const taken = [p];
    while (taken.length < count) {
      const more = port.take();
      if (more === undefined) break;
      taken.push(more);
    }
    taken.forEach((t, i) => {
      const e = entries[i]!;
      e.lpCompletionKey = t.key;
      e.lpOverlapped = t.overlapped;
      e.Internal = t.status;
      e.dwNumberOfBytesTransferred = t.bytes;
    });
    removed.value = taken.length;
    handBackAll();
    void lpErrno;
    return 1;
  }

  /** A completion routine of the worker's thread `key` is due (its alertable waits end for it). */
  routinesDue(channel: ChannelLike, key: number): boolean {
    return this.routinesFor(this.of(channel), key);
  }

  /** Runs the provider's queue of the worker's thread `key` (its mirror routines note what is due); true when any is due. */
  private routinesFor(c: ChannelOverlapped, key: number): boolean {
    c.channel.provider.alertableWait(0, c.threadId(key));
    return c.routines.some((r) => r.thread === key);
  }

  /** The worker's alertable wait: ends when a routine of its thread `key` is due, or after `ms`. */
  private alertable(c: ChannelOverlapped, args: unknown[], now: () => number): Job {
    const [key, ms] = args as [number, number | null];
    const timeout = ms === null || ms === WSA_INFINITE || !(ms >= 0) ? null : ms;
    return {
      channel: c.channel, args, deadline: this.deadline(timeout, now),
      attempt: () => (this.routinesFor(c, key) ? WAIT_IO_COMPLETION : timeout === 0 ? 0 : undefined),
      expire: () => 0,
      stalled: () => 0,
    };
  }

  /**
   * The worker's waitForEvents: its events are signaled when it applies notices, so it waits here
   * for a notice about one of `ids` (the operations whose events it waits for), then looks again.
   */
  private waitNotices(c: ChannelOverlapped, args: unknown[], now: () => number): Job {
    const [ids, ms, deadline] = args as [number[], number | null, number | null];
    const timeout = ms === null || ms === WSA_INFINITE || !(ms >= 0) ? null : ms;
    const job: Job = {
      channel: c.channel, args, deadline: deadline ?? this.deadline(timeout, now),
      attempt: () => (c.notices.some((n) => n.done && ids.includes(n.id)) ? 0 : timeout === 0 ? WSA_WAIT_TIMEOUT : undefined),
      expire: () => WSA_WAIT_TIMEOUT,
      stalled: () => WSA_WAIT_FAILED,
    };
    job.result = job.deadline;
    return job;
  }

  /** WSPGetOverlappedResult from a worker, on the mirror; fWait makes only that worker wait. */
  private overlappedResult(c: ChannelOverlapped, args: unknown[]): Job {
    const out = this.resolve(c.channel, 'WSPGetOverlappedResult', args);
    const [s, ov, lpcb, fWait, lpFlags, lpErrno] = out as [number, WSAOVERLAPPED, LPINT, unknown, LPINT | null, LPINT];
    const info = isObject(ov) ? MIRRORS.get(ov) : undefined;
    const call = () => c.channel.provider.WSPGetOverlappedResult(s, ov, lpcb, fWait as boolean, lpFlags, lpErrno);
    const waiting = (): boolean => {
      if (info === undefined || !fWait) return false;
      const ev = info.mirror.event;
      return ov.Internal === STATUS_PENDING && !(ev !== null && ev.signaled);
    };
    return {
      channel: c.channel, args: out, deadline: Infinity,
      attempt: () => (waiting() ? undefined : call()),
      expire: () => call(),
      // Nothing can complete it: answered as the owner thread's wait answers then.
      stalled: () => failWin32(lpErrno, WSA_IO_INCOMPLETE, 0),
      keep: [1],
    };
  }
}

/** INVALID_HANDLE_VALUE and ERROR_* used by the worker side too. */
export { INVALID_HANDLE_VALUE, ERROR_INVALID_HANDLE, ERROR_NOACCESS };
