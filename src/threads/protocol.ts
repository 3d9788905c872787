/**
 * What a worker thread and the thread that owns the network say to each other. A call travels
 * as a message; the caller sleeps in Atomics.wait on a shared word until the answer (or a
 * request to run one of its callbacks) is posted, then takes it with receiveMessageOnPort.
 */
import { types } from 'node:util';
import type { MessagePort } from 'node:worker_threads';

/** Handed to a worker (in workerData, with `port` in the transfer list). */
export interface ProviderChannel {
  readonly port: MessagePort;
  /** Int32 words: [0] the caller's wake-up word, [1] the owner's wake-up word (callbacks), [2] the owner closed the channel. */
  readonly state: SharedArrayBuffer;
}

/** Values of the caller's wake-up word. */
export const IDLE = 0;
export const ANSWERED = 1;
export const CALLBACK = 2;
/** The owner closed the channel (ProviderServer.close, or it dropped this worker): word [2] is set too. */
export const CLOSED = 3;

/** Int32 words of {@link ProviderChannel.state}. */
export const WORD_CALLER = 0;
export const WORD_OWNER = 1;
/** Non-zero once the owner no longer serves the channel: every call fails at once (WSAENETDOWN). */
export const WORD_CLOSED = 2;
/** Bytes of a channel's state. */
export const STATE_BYTES = 16;

/** A function argument (the condition function of WSPAccept) travels as its index. */
export interface FunctionRef {
  readonly __function: number;
}

export type ToOwner =
  /** `freed`: ids of the caller's WSAOVERLAPPEDs it no longer holds (their mirrors can go). */
  /** `marked`: the arguments hold markers for parts that could not travel (src/threads/wire.ts). */
  | { type: 'call'; fn: string; args: unknown[]; freed?: number[]; marked?: boolean }
  | { type: 'callback-return'; value: unknown; args: unknown[] }
  /** The worker's threadId (node:worker_threads), first thing on the channel: WSPCancelBlockingCall names threads by it. */
  | { type: 'hello'; threadId: number }
  | { type: 'close' };

export type ToCaller =
  /**
   * `ret`: the function's result (a port function returns a {@link PortRef} or null). `notices`:
   * what happened to the caller's overlapped operations since its last call, applied before the
   * call returns; `routines`: completion routines due in its alertable waits. `result`: what a
   * special function hands back besides `ret`.
   */
  | { type: 'return'; ret: unknown; args: unknown[]; notices?: Notice[]; routines?: RoutineDue[]; events?: EventState[]; result?: unknown }
  | { type: 'callback'; index: number; args: unknown[] };

// ---- event objects of worker threads (WSPEventSelect, WSPEnumNetworkEvents, waitForEvents) ----

/** A worker's event object as it travels: its id (the owner keeps a mirror event by id) and its state at the call. */
export interface EventRef {
  readonly __event: number;
  readonly signaled: boolean;
}

/** A mirror event's new state, for the worker to give its own event object (sent with any answer). */
export interface EventState {
  readonly id: number;
  readonly signaled: boolean;
}

export function isEventRef(x: unknown): x is EventRef {
  return typeof x === 'object' && x !== null && typeof (x as EventRef).__event === 'number';
}

// ---- overlapped operations of worker threads (docs/overlapped.md, "Worker threads") ----------

/** What an hEvent was in the worker: none, an event object, `noPortNotification(event | null)`, or anything else. */
export type EventKind = 'none' | 'event' | 'noport' | 'noport-null' | 'other';

/** A worker's WSAOVERLAPPED as it travels: its id and its fields; the owner keeps a mirror by id. */
export interface OverlappedRef {
  readonly __overlapped: number;
  readonly Internal: unknown;
  readonly InternalHigh: unknown;
  readonly Offset: unknown;
  readonly OffsetHigh: unknown;
  readonly event: EventKind;
  /** The worker's event was signaled at the call. */
  readonly signaled: boolean;
}

/** A WSAOVERLAPPED argument the worker found unusable (frozen, a Proxy, …): the owner answers WSAEFAULT as for it. */
export interface BadOverlapped {
  readonly __badOverlapped: true;
}

/** A completion-routine argument (the function stays in the worker; its calls come back as {@link RoutineDue}). */
export interface RoutineRef {
  readonly __routine: true;
}

/** A completion port, as every thread of a {@link ProviderServer} names it (it may be posted to other workers). */
export interface PortRef {
  readonly __port: number;
}

/** The state of one of the caller's WSAOVERLAPPEDs, to write into it (and its buffers and event). */
export interface Notice {
  readonly id: number;
  readonly Internal: number;
  readonly InternalHigh: number;
  /** The mirror event's state (absent: the operation has a completion routine, hEvent is left alone). */
  readonly signaled?: boolean;
  /** The operation completed: its results below are final. */
  readonly done: boolean;
  /** Received bytes per buffer (null: a SharedArrayBuffer view, written in place). */
  readonly data?: (Uint8Array | null)[];
  /** WSPRecvFrom's lpFrom and lpFromlen, WSPIoctl's output buffer, as the owner's copies hold them. */
  readonly from?: unknown;
  readonly fromlen?: unknown;
  readonly out?: unknown;
  /** AcceptEx's output buffer as the owner's copy holds it (null: a SharedArrayBuffer view). */
  readonly bytes?: Uint8Array | null;
  readonly msg?: MsgNotice;
}

/** A completion routine to run in the caller's next alertable wait of thread `thread`. */
export interface RoutineDue {
  readonly id: number;
  readonly thread: number;
  readonly dwError: number;
  readonly cbTransferred: number;
  readonly dwFlags: number;
}

export function isOverlappedRef(x: unknown): x is OverlappedRef {
  return typeof x === 'object' && x !== null && typeof (x as OverlappedRef).__overlapped === 'number';
}

export function isPortRef(x: unknown): x is PortRef {
  return typeof x === 'object' && x !== null && typeof (x as PortRef).__port === 'number';
}

/**
 * Where the overlapped arguments of a function sit: the WSAOVERLAPPED, the routine, the
 * WSATHREADID, and what a completion writes later (receive buffers, lpFrom / lpFromlen, an
 * ioctl's output).
 */
export interface OverlappedShape {
  readonly ov: number;
  /** Absent: the function takes no completion routine (AcceptEx, ConnectEx, …). */
  readonly routine?: number;
  /** Absent: no WSATHREADID (the extension functions: their routines go to the worker's thread 0). */
  readonly thread?: number;
  readonly recvBufs?: number;
  readonly from?: number;
  readonly fromlen?: number;
  readonly out?: number;
  /** AcceptEx's lpOutputBuffer: received bytes (their count at `bytesCounted`'s argument), then address slots. */
  readonly bytes?: number;
  readonly bytesCounted?: number;
  /** WSARecvMsg's WSAMSG: name, namelen, dwFlags, Control and the bytes of lpBuffers, written at completion. */
  readonly msg?: number;
  /** lpErrno (an extension function's): a call that fails with a code other than WSA_IO_PENDING started nothing. */
  readonly errno?: number;
}

export const OVERLAPPED_SHAPES: Readonly<Record<string, OverlappedShape>> = {
  WSPSend: { ov: 5, routine: 6, thread: 7 },
  WSPRecv: { ov: 5, routine: 6, thread: 7, recvBufs: 1 },
  WSPSendTo: { ov: 7, routine: 8, thread: 9 },
  WSPRecvFrom: { ov: 7, routine: 8, thread: 9, recvBufs: 1, from: 5, fromlen: 6 },
  WSPIoctl: { ov: 7, routine: 8, thread: 9, out: 4 },
  // The extension functions, as a worker's stand-ins call them (src/threads/extensions-client.ts).
  __AcceptEx: { ov: 7, bytes: 2, bytesCounted: 3, errno: 8 },
  __ConnectEx: { ov: 6, errno: 7 },
  __DisconnectEx: { ov: 1, errno: 4 },
  __TransmitPackets: { ov: 4, errno: 6 },
  __WSARecvMsg: { ov: 3, routine: 4, msg: 1, errno: 5 },
  __WSASendMsg: { ov: 4, routine: 5, errno: 6 },
};

/** What a worker's WSAMSG receives at completion (WSARecvMsg), as the owner's copy holds it. */
export interface MsgNotice {
  readonly name: unknown;
  readonly namelen: unknown;
  readonly dwFlags: unknown;
  readonly controlLen: unknown;
  /** The control bytes written (null: a SharedArrayBuffer view, written in place). */
  readonly control: Uint8Array | null;
  /** The received bytes per buffer of lpBuffers (null: a SharedArrayBuffer view). */
  readonly data: (Uint8Array | null)[];
}

/** An argument that could not be cloned to the owner (a function or symbol where data belongs): the owner sees an unusable object. */
export interface Uncloneable {
  readonly __uncloneable: true;
}

/** SIO_GET_EXTENSION_FUNCTION_POINTER's output as it travels back: the function's name (the worker makes its own stand-in). */
export interface ExtensionMarker {
  readonly __extension: string;
}

export function isExtensionMarker(x: unknown): x is ExtensionMarker {
  return typeof x === 'object' && x !== null && typeof (x as ExtensionMarker).__extension === 'string';
}

export function isFunctionRef(x: unknown): x is FunctionRef {
  return typeof x === 'object' && x !== null && typeof (x as FunctionRef).__function === 'number';
}

/**
 * Writes what the call did to its (cloned) arguments back into the caller's own objects:
 * bytes into the same byte views (not a view of a SharedArrayBuffer: the owner wrote that memory
 * in place), fields into the same objects, elements into the same arrays. Never throws: a part
 * the caller made unwritable (frozen, a throwing setter, a Proxy) keeps its value, and a cyclic
 * object is walked once.
 */
export function copyBack(original: unknown, result: unknown, seen?: Set<object>): void {
  if (typeof original !== 'object' || original === null || typeof result !== 'object' || result === null) return;
  try {
    if (ArrayBuffer.isView(original)) {
      if (ArrayBuffer.isView(result)) copyBytes(original, result);
      return;
    }
    if (types.isProxy(original) || Object.isFrozen(original)) return;
    const marks = seen ?? new Set<object>();
    if (marks.has(original) || marks.size > 1 << 16) return;
    marks.add(original);
    const o = original as Record<string, unknown>;
    const r = result as Record<string, unknown>;
    for (const key of Object.keys(r)) {
      if (key === '__proto__') continue;
      try {
        const before = o[key];
        const after = r[key];
        if (typeof before === 'object' && before !== null && typeof after === 'object' && after !== null) copyBack(before, after, marks);
        else if (!isFunctionRef(after) && !isMarker(after) && typeof before !== 'function') o[key] = after;
      } catch {
        // a getter-only or throwing property: the caller's object keeps its value
      }
    }
    if (Array.isArray(original) && Array.isArray(result) && original.length !== result.length) original.length = result.length;
  } catch {
    // the caller's object refused (a non-writable length, …): it keeps what it had
  }
}

/** A part the worker could not send, or sent frozen (src/threads/wire.ts): nothing to write back. */
function isMarker(x: unknown): boolean {
  return typeof x === 'object' && x !== null && ((x as { __uncloneable?: unknown }).__uncloneable === true || '__frozen' in x);
}

/** The owner's bytes of a view into the caller's view (skipped for shared memory, written in place). */
function copyBytes(original: ArrayBufferView, result: ArrayBufferView): void {
  if (types.isSharedArrayBuffer(original.buffer)) return;
  const to = new Uint8Array(original.buffer, original.byteOffset, original.byteLength);
  const from = new Uint8Array(result.buffer, result.byteOffset, result.byteLength);
  to.set(from.subarray(0, to.length));
}
