/**
 * What the extension-function ports (connectex, disconnectex) share: an OVERLAPPED filled with
 * 0xdeadbeef as Wine's tests fill theirs, the function pointer through
 * SIO_GET_EXTENSION_FUNCTION_POINTER, and waits on the network for a completion or a connection.
 */
import assert from 'node:assert/strict';
import {
  FUNCTION_POINTER_SIZE, GetQueuedCompletionStatus, INVALID_SOCKET, SIO_GET_EXTENSION_FUNCTION_POINTER, STATUS_PENDING, WSAEvent,
  type CompletionPort, type FunctionPointerOut, type WSAOVERLAPPED,
} from '../../src/index.js';
import { call, ok, type World } from './harness.js';

export const DEADBEEF = 0xdeadbeef;

/** A WSAOVERLAPPED as Wine's tests prepare it: Internal and InternalHigh 0xdeadbeef. */
export function overlapped(hEvent: unknown = new WSAEvent()): WSAOVERLAPPED {
  return { Internal: DEADBEEF, InternalHigh: DEADBEEF, Offset: 0, OffsetHigh: 0, hEvent } as WSAOVERLAPPED;
}

/** The extension function of `guid` for socket `s` (its count, sizeof(void *), checked). */
export function extension<T>(w: World, s: number, guid: Uint8Array): T {
  const out: FunctionPointerOut = { value: null };
  const size = { value: DEADBEEF };
  ok('SIO_GET_EXTENSION_FUNCTION_POINTER', (e) => w.p.WSPIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, guid, 16, out as never, FUNCTION_POINTER_SIZE, size, null, null, null, e));
  assert.equal(size.value, FUNCTION_POINTER_SIZE, 'bytesReturned == sizeof(void *)');
  assert.equal(typeof out.value, 'function');
  return out.value as T;
}

/** WSPGetOverlappedResult without waiting: its result, error and count. */
export function result(w: World, s: number, ov: WSAOVERLAPPED) {
  const bytes = { value: DEADBEEF };
  const r = call((e) => w.p.WSPGetOverlappedResult(s, ov, bytes, false, null, e));
  return { ...r, bytes: bytes.value };
}

export async function completed(w: World, ov: WSAOVERLAPPED, what = 'the completion'): Promise<void> {
  await w.settle(() => ov.Internal !== STATUS_PENDING, what);
}

/** The first success of `f` once the network let it happen (and never after). */
export async function until<T>(w: World, f: () => T | undefined, what: string): Promise<T> {
  let got: T | undefined;
  await w.settle(() => (got ??= f()) !== undefined, what);
  return got!;
}

/** A non-blocking WSPAccept: the socket, or undefined while nothing is queued. */
export function acceptNow(w: World, l: number): number | undefined {
  const s = w.p.WSPAccept(l, null, null, null, 0, { value: 0 });
  return s === INVALID_SOCKET ? undefined : s;
}

/** GetQueuedCompletionStatus without waiting: all it wrote. */
export function gqcs(port: CompletionPort) {
  const bytes = { value: DEADBEEF }, key = { value: DEADBEEF as unknown }, olp = { value: null as WSAOVERLAPPED | null }, err = { value: 0 };
  const ret = GetQueuedCompletionStatus(port, bytes, key, olp, 0, err);
  return { ret, err: err.value, bytes: bytes.value, key: key.value, ov: olp.value };
}
