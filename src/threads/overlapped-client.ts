/**
 * The worker's side of overlapped I/O across threads (docs/overlapped.md, "Worker threads"). Each
 * WSAOVERLAPPED the worker's program passes gets an id; the owner thread keeps a mirror of it. The
 * worker keeps, per operation in progress, what a completion writes (the buffers as they were
 * given, lpFrom, the event, the routine) and writes it when it learns of the completion: notices
 * come with the answer to any call this thread makes. Completion routines run in this thread's
 * alertable waits, as APCs run in the initiating thread's.
 */
import { NoPortNotification } from '../iocp/no-port-event.js';
import { WSAEvent } from '../provider/readiness.js';
import { probe } from '../spi/funnel.js';
import type { WSAOVERLAPPED, WSAOVERLAPPED_COMPLETION_ROUTINE } from '../spi/types.js';
import {
  OVERLAPPED_SHAPES, copyBack, type EventKind, type MsgNotice, type Notice, type OverlappedRef, type RoutineDue, type ToCaller,
} from './protocol.js';

const OVERLAPPED_KEYS = ['Internal', 'InternalHigh', 'Offset', 'OffsetHigh', 'hEvent'] as const;

/** One operation in progress, as this thread's program gave it. */
interface Operation {
  readonly ov: WSAOVERLAPPED;
  /** The buffers' memory, captured at the call (the WSABUF array may change afterwards). */
  readonly bufs: (Uint8Array | null)[] | null;
  readonly from: unknown;
  readonly fromlen: unknown;
  readonly out: unknown;
  /** AcceptEx's output buffer and its received-data length (the rest is address slots). */
  readonly bytes: Uint8Array | null;
  readonly bytesCounted: number;
  /** WSARecvMsg's WSAMSG and the memory it named at the call. */
  readonly msg: MsgTarget | null;
  readonly routine: WSAOVERLAPPED_COMPLETION_ROUTINE | null;
  /** The event its completion signals (null: none, or a routine's: hEvent is left alone). */
  readonly event: WSAEvent | null;
}

/** A WSAMSG as the worker gave it: the object (namelen, dwFlags), its name, Control and buffers at the call. */
interface MsgTarget {
  readonly msg: Record<string, unknown>;
  readonly name: unknown;
  readonly control: Record<string, unknown> | null;
  readonly controlBuf: Uint8Array | null;
  readonly bufs: (Uint8Array | null)[];
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/** The parts of a WSAMSG a completion writes, read at the call (undefined: no WSAMSG the call could use). */
function msgTarget(x: unknown): MsgTarget | null {
  if (!isObject(x)) return null;
  try {
    const control = isObject(x.Control) ? x.Control : null;
    const list = x.lpBuffers;
    return {
      msg: x, name: x.name, control, controlBuf: control !== null && control.buf instanceof Uint8Array ? control.buf : null,
      bufs: Array.isArray(list) ? list.map((b: unknown) => (isObject(b) && b.buf instanceof Uint8Array ? b.buf : null)) : [],
    };
  } catch {
    return null;
  }
}

/** Writes `d`'s bytes into `b` (the worker's memory), as many as fit. */
function put(b: Uint8Array | null | undefined, d: Uint8Array | null | undefined, at = 0): void {
  if (b === null || b === undefined || d === null || d === undefined || at >= b.length) return;
  b.set(d.subarray(0, b.length - at), at);
}

/** What an hEvent is, and the event object behind it. */
function eventKind(h: unknown): { kind: EventKind; event: WSAEvent | null } {
  if (h === null || h === undefined) return { kind: 'none', event: null };
  if (NoPortNotification.is(h)) return { kind: h.event === null ? 'noport-null' : 'noport', event: h.event };
  if (WSAEvent.is(h) && probe(h, 'signaled')) return { kind: 'event', event: h };
  return { kind: 'other', event: null };
}

/** A WSAOVERLAPPED the provider could write: all five fields, Internal and InternalHigh writable. */
function usable(x: unknown): x is WSAOVERLAPPED {
  if (!isObject(x)) return false;
  try {
    // Inside the try: Array.isArray throws on a revoked Proxy.
    if (Array.isArray(x) || ArrayBuffer.isView(x)) return false;
    for (const k of OVERLAPPED_KEYS) if (!(k in x)) return false;
  } catch {
    return false;
  }
  return probe(x, 'Internal') && probe(x, 'InternalHigh');
}

export class WorkerOverlapped {
  private readonly ids = new WeakMap<object, number>();
  private readonly objects = new Map<number, WeakRef<WSAOVERLAPPED>>();
  private nextId = 1;
  private freed: number[] = [];
  private readonly registry = new FinalizationRegistry<number>((id) => {
    this.objects.delete(id);
    this.freed.push(id);
  });
  private readonly operations = new Map<number, Operation>();
  /** Thread keys: a WSATHREADID's ThreadHandle → a number (0: no WSATHREADID). */
  private readonly threadKeys = new Map<unknown, number>();
  /** Completion routines due, by thread key, oldest first. */
  private readonly due = new Map<number, RoutineDue[]>();

  /** Ids of WSAOVERLAPPEDs the program let go since the last call (the owner drops their mirrors). */
  takeFreed(): number[] | undefined {
    if (this.freed.length === 0) return undefined;
    return this.freed.splice(0);
  }

  private idOf(ov: WSAOVERLAPPED): number {
    let id = this.ids.get(ov);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(ov, id);
      this.objects.set(id, new WeakRef(ov));
      this.registry.register(ov, id);
    }
    return id;
  }

  /** The key of the thread a WSATHREADID names (its ThreadHandle; null: this thread's default, 0). */
  threadKey(lpThreadId: unknown): number {
    if (!isObject(lpThreadId)) return 0;
    let handle: unknown;
    try {
      handle = lpThreadId.ThreadHandle;
    } catch {
      return 0;
    }
    if (handle === null || handle === undefined) return 0;
    let key = this.threadKeys.get(handle);
    if (key === undefined) this.threadKeys.set(handle, (key = this.threadKeys.size + 1));
    return key;
  }

  /** A WSAOVERLAPPED as it travels (null stays null; one the provider could not write, a marker for WSAEFAULT). */
  ref(ov: unknown): unknown {
    if (ov === null || ov === undefined) return ov;
    if (!usable(ov)) return { __badOverlapped: true };
    try {
      const { kind, event } = eventKind(ov.hEvent);
      const r: OverlappedRef = {
        __overlapped: this.idOf(ov), Internal: ov.Internal, InternalHigh: ov.InternalHigh, Offset: ov.Offset, OffsetHigh: ov.OffsetHigh,
        event: kind, signaled: event?.signaled === true,
      };
      return r;
    } catch {
      return { __badOverlapped: true };
    }
  }

  /**
   * The arguments of an overlapped WSPSend / WSPRecv / WSPSendTo / WSPRecvFrom / WSPIoctl as they
   * travel, and the operation to remember under its WSAOVERLAPPED's id (undefined for a call that
   * is not overlapped).
   */
  transfer(fn: string, args: unknown[]): { wire: unknown[]; id: number | undefined } | undefined {
    const shape = OVERLAPPED_SHAPES[fn];
    if (shape === undefined) return undefined;
    const ov = args[shape.ov];
    if (ov === null || ov === undefined) return undefined;
    const wire = [...args];
    const ref = this.ref(ov);
    wire[shape.ov] = ref;
    const routineArg = shape.routine === undefined ? null : args[shape.routine];
    const routine = typeof routineArg === 'function' ? routineArg as WSAOVERLAPPED_COMPLETION_ROUTINE : null;
    if (shape.routine !== undefined) {
      if (routine !== null) wire[shape.routine] = { __routine: true };
      else if (routineArg !== null && routineArg !== undefined) wire[shape.routine] = { notARoutine: true };
    }
    if (shape.thread !== undefined) {
      const thread = args[shape.thread];
      if (isObject(thread)) wire[shape.thread] = { ThreadHandle: this.threadKey(thread), Reserved: 0 };
    }
    if (!isObject(ref) || typeof ref.__overlapped !== 'number') return { wire, id: undefined };
    let bufs: (Uint8Array | null)[] | null = null;
    if (shape.recvBufs !== undefined) {
      try {
        const list = args[shape.recvBufs];
        bufs = Array.isArray(list) ? list.map((b: unknown) => (isObject(b) && b.buf instanceof Uint8Array ? b.buf : null)) : null;
      } catch {
        bufs = null;
      }
    }
    const at = (i: number | undefined): unknown => (i === undefined ? undefined : args[i]);
    const id = ref.__overlapped;
    const bytes = at(shape.bytes);
    const counted = at(shape.bytesCounted);
    this.operations.set(id, {
      ov: ov as WSAOVERLAPPED, bufs, from: at(shape.from), fromlen: at(shape.fromlen), out: at(shape.out), routine,
      bytes: bytes instanceof Uint8Array ? bytes : null, bytesCounted: typeof counted === 'number' ? counted : 0,
      msg: shape.msg === undefined ? null : msgTarget(args[shape.msg]),
      event: routine !== null ? null : eventKind((ov as WSAOVERLAPPED).hEvent).event,
    });
    return { wire, id };
  }

  /** After the call: an operation that never started (the call failed at once) is forgotten. */
  settled(id: number | undefined, result: unknown): void {
    if (id === undefined) return;
    if (isObject(result) && result.started === false) this.operations.delete(id);
  }

  /** Writes what the owner reports into this thread's objects; queues the routines due. */
  apply(m: Extract<ToCaller, { type: 'return' }>): void {
    for (const n of m.notices ?? []) this.write(n);
    for (const r of m.routines ?? []) {
      let list = this.due.get(r.thread);
      if (list === undefined) this.due.set(r.thread, (list = []));
      list.push(r);
    }
  }

  private write(n: Notice): void {
    const op = this.operations.get(n.id);
    if (op === undefined) return;
    try {
      if (n.done) {
        n.data?.forEach((d, i) => {
          const b = op.bufs?.[i];
          if (d !== null && b !== null && b !== undefined) b.set(d.subarray(0, b.length));
        });
        if (n.from !== undefined) copyBack(op.from, n.from);
        if (n.fromlen !== undefined) copyBack(op.fromlen, n.fromlen);
        if (n.out !== undefined) copyBack(op.out, n.out);
        if (n.bytes !== undefined && n.bytes !== null) {
          // AcceptEx: the received bytes (the count), then the address slots after the data area.
          put(op.bytes, n.bytes.subarray(0, Math.min(n.InternalHigh, op.bytesCounted)));
          put(op.bytes, n.bytes.subarray(op.bytesCounted), op.bytesCounted);
        }
        if (n.msg !== undefined && op.msg !== null) this.writeMsg(op.msg, n.msg);
      }
      // InternalHigh before Internal, as the provider writes them.
      op.ov.InternalHigh = n.InternalHigh;
      op.ov.Internal = n.Internal;
    } catch {
      // the program broke its own objects meanwhile
    }
    if (n.signaled !== undefined && op.event !== null) {
      if (n.signaled) WSAEvent.prototype.set.call(op.event);
      else WSAEvent.prototype.reset.call(op.event);
    }
    if (n.done && op.routine === null) this.operations.delete(n.id);
  }

  /** WSARecvMsg's completion into the worker's WSAMSG and the memory it named at the call. */
  private writeMsg(t: MsgTarget, m: MsgNotice): void {
    m.data.forEach((d, i) => put(t.bufs[i], d));
    put(t.controlBuf, m.control);
    if (isObject(t.name) || t.name instanceof Uint8Array) copyBack(t.name, m.name);
    copyBack(t.msg, { namelen: m.namelen, dwFlags: m.dwFlags });
    if (t.control !== null) copyBack(t.control, { len: m.controlLen });
  }

  /** Routines due for thread `key`. */
  dueFor(key: number): number {
    return this.due.get(key)?.length ?? 0;
  }

  /**
   * Runs the routines due for thread `key`, oldest first, including those that become due while
   * they run (`poll` asks the owner); one that throws stops the run, the rest stay due.
   */
  runRoutines(key: number, poll: () => void): boolean {
    let ran = false;
    for (;;) {
      const list = this.due.get(key);
      if (list === undefined || list.length === 0) {
        if (!ran) return false;
        // Routines may have started operations that completed at once: theirs run in this wait too.
        poll();
        if (this.dueFor(key) === 0) return true;
        continue;
      }
      const r = list.shift()!;
      const op = this.operations.get(r.id);
      if (op === undefined || op.routine === null) continue;
      this.operations.delete(r.id);
      ran = true;
      op.routine(r.dwError, r.cbTransferred, op.ov, r.dwFlags);
    }
  }

  /** The operations whose completion would signal one of `events`. */
  idsFor(events: readonly WSAEvent[]): number[] {
    const out: number[] = [];
    for (const [id, op] of this.operations) if (op.event !== null && events.includes(op.event)) out.push(id);
    return out;
  }

  /** A packet's OVERLAPPED as the owner handed it back: this thread's own object, a copy of another thread's, or a posted value. */
  resolve(x: unknown): unknown {
    if (!isObject(x)) return x ?? null;
    if (typeof x.__overlapped === 'number') return this.objects.get(x.__overlapped)?.deref() ?? null;
    if (isObject(x.__foreign)) return { ...x.__foreign };
    return x;
  }
}
