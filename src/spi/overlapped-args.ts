/**
 * The overlapped arguments of the transfer functions (lpOverlapped, lpCompletionRoutine,
 * lpThreadId), read and checked before a call acts, and the caller's event objects those
 * operations reset and signal.
 */
import { WSAEFAULT, WSAEINVAL } from '../provider/constants.js';
import { NoPortNotification } from '../iocp/no-port-event.js';
import { WSAEvent } from '../provider/readiness.js';
import { probe } from './funnel.js';
import type { WSAOVERLAPPED, WSAOVERLAPPED_COMPLETION_ROUTINE, WSATHREADID } from './types.js';

/**
 * {@link probe}(ref, 'value') for the `{ value }` out-parameters (LPINT and its kin), with the
 * same answer: the named property gives the engine one access site per shape instead of the
 * generic keyed one, and the overlapped path probes several of these per call.
 */
export function probeValue(ref: unknown): boolean {
  if (typeof ref !== 'object' || ref === null) return false;
  try {
    if (!('value' in ref)) return probe(ref, 'value');
    const r = ref as { value: unknown };
    r.value = r.value;
    return true;
  } catch {
    return false;
  }
}

/** {@link store}(ref, 'value', v), with a named access (see {@link probeValue}). */
export function storeValue(ref: unknown, v: unknown): void {
  if (typeof ref !== 'object' || ref === null) return;
  try {
    (ref as { value: unknown }).value = v;
  } catch {
    // a hostile out-parameter: nothing more can be done for it
  }
}

/** The funnel's fail(lpErrno, code, ret), with {@link storeValue}. */
export function failValue(lpErrno: unknown, code: number, ret: number): number {
  storeValue(lpErrno, code);
  return ret;
}

/**
 * Writes a completion's InternalHigh then Internal (a program polling Internal sees the count
 * already there), as two {@link store} calls would, with named accesses.
 */
export function storeResult(ov: WSAOVERLAPPED, count: number, status: number): void {
  try {
    ov.InternalHigh = count;
  } catch {
    // probed at the call; a Proxy that throws now loses only this value
  }
  storeInternal(ov, status);
}

/** store(ov, 'Internal', status) with a named access. */
export function storeInternal(ov: WSAOVERLAPPED, status: number): void {
  try {
    ov.Internal = status;
  } catch {
    // as above
  }
}

/** A pointer argument that was passed (not NULL). */
export function given(x: unknown): boolean {
  return x !== null && x !== undefined;
}

/**
 * An event object the provider can signal and reset: one this package made (the brand), whose
 * state a caller has not frozen or replaced by an accessor (a handle that is not a usable event
 * is WSAEINVAL, the code both functions document for it).
 */
export function usableEvent(x: unknown): x is WSAEvent {
  return WSAEvent.is(x) && probe(x, 'signaled');
}

export const OVERLAPPED_KEYS = ['Internal', 'InternalHigh', 'Offset', 'OffsetHigh', 'hEvent'] as const;

/** The overlapped arguments of one call, read and checked before it acts. */
export interface OverlappedArgs {
  readonly ov: WSAOVERLAPPED;
  readonly routine: WSAOVERLAPPED_COMPLETION_ROUTINE | null;
  /** A copy of lpThreadId, taken at the call (ws2spi: the provider keeps the structure, not the pointer). */
  readonly thread: WSATHREADID | null;
  /** The event to reset now and signal at completion; null with a completion routine. */
  readonly event: WSAEvent | null;
  /** hEvent carried the "low bit" ({@link NoPortNotification}): no packet to the socket's port. */
  readonly noPort: boolean;
}

/**
 * The event an hEvent value names: a {@link WSAEvent}, or the one inside a
 * {@link NoPortNotification} (C's `hEvent | 1` names the event without the bit); null for none.
 * Undefined for anything else.
 */
export function eventOf(hEvent: unknown): WSAEvent | null | undefined {
  if (!given(hEvent)) return null;
  if (NoPortNotification.is(hEvent)) return hEvent.event;
  return WSAEvent.is(hEvent) ? hEvent : undefined;
}

/**
 * A WSAOVERLAPPED the provider can write: an object with all five fields, `Internal` and
 * `InternalHigh` writable (frozen, getter-only and Proxy look-alikes fail the probe).
 */
function isOverlapped(x: unknown): x is WSAOVERLAPPED {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
  if (!('Internal' in x && 'InternalHigh' in x && 'Offset' in x && 'OffsetHigh' in x && 'hEvent' in x)) return false;
  // probe(x, 'Internal') && probe(x, 'InternalHigh'), with named accesses (the keys are there).
  try {
    const o = x as { Internal: unknown; InternalHigh: unknown };
    o.Internal = o.Internal;
    o.InternalHigh = o.InternalHigh;
    return true;
  } catch {
    return false;
  }
}

/**
 * lpOverlapped, lpCompletionRoutine and lpThreadId: null when the call is not overlapped (a
 * completion routine without an OVERLAPPED is ignored, as ws2spi says), the arguments, or the
 * code the call fails with: WSAEFAULT for what is no WSAOVERLAPPED, routine or WSATHREADID,
 * WSAEINVAL for an hEvent that is no usable event object (a {@link NoPortNotification} around one
 * is one).
 */
export function readOverlapped(lpOverlapped: unknown, lpCompletionRoutine: unknown, lpThreadId: unknown): OverlappedArgs | null | number {
  if (!given(lpOverlapped)) return null;
  if (!isOverlapped(lpOverlapped)) return WSAEFAULT;
  if (given(lpCompletionRoutine)) {
    if (typeof lpCompletionRoutine !== 'function') return WSAEFAULT;
    let thread: WSATHREADID | null = null;
    if (given(lpThreadId)) {
      if (typeof lpThreadId !== 'object') return WSAEFAULT;
      const id = lpThreadId as WSATHREADID;
      thread = { ThreadHandle: id.ThreadHandle, Reserved: id.Reserved };
    }
    return { ov: lpOverlapped, routine: lpCompletionRoutine as WSAOVERLAPPED_COMPLETION_ROUTINE, thread, event: null, noPort: false };
  }
  const hEvent: unknown = lpOverlapped.hEvent;
  const event = eventOf(hEvent);
  if (event === undefined || (event !== null && !usableEvent(event))) return WSAEINVAL;
  return { ov: lpOverlapped, routine: null, thread: null, event, noPort: NoPortNotification.is(hEvent) };
}

/** Sets an event through the class's own method; an event a caller broke must not unwind the network. */
export function signal(event: WSAEvent, on: boolean): void {
  try {
    if (on) WSAEvent.prototype.set.call(event);
    else WSAEvent.prototype.reset.call(event);
  } catch {
    // the caller broke its own event object
  }
}

/**
 * The receive flags a completion reported, by WSAOVERLAPPED: where WSPGetOverlappedResult's
 * lpdwFlags comes from (Windows leaves Offset and OffsetHigh alone, so they cannot hold it).
 */
export const RESULT_FLAGS = new WeakMap<object, number>();
