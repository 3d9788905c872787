/**
 * WSPRecvDisconnect and WSPSendDisconnect. TCP carries no disconnect data (the catalogue has no
 * XP1_DISCONNECT_DATA, as Windows' TCP/IP entries have none), so each is WSPShutdown(SD_RECEIVE)
 * or WSPShutdown(SD_SEND) when no data buffer is given. A buffer given is refused with
 * WSAENOPROTOOPT ("disconnect data is not supported by the indicated protocol", both pages), and
 * the refused call shuts nothing down.
 */
import { SD_RECEIVE, SD_SEND, SOCKET_ERROR, WSAEFAULT, WSAENOPROTOOPT, WSAENOTSOCK } from '../provider/constants.js';
import { shutdown } from '../provider/data.js';
import type { ProviderCore } from '../provider/provider.js';
import { callerBytes, fail } from './funnel.js';

/** A WSABUF as far as these pages care: `len` bytes at `buf` the caller can reach. */
function readableBuffer(wsabuf: unknown): boolean {
  if (typeof wsabuf !== 'object' || wsabuf === null) return false;
  const { len, buf } = wsabuf as { len?: unknown; buf?: unknown };
  return typeof len === 'number' && Number.isInteger(len) && len >= 0 && callerBytes(buf, len) !== undefined;
}

/** Both functions: `how` is SD_RECEIVE for WSPRecvDisconnect, SD_SEND for WSPSendDisconnect. */
export function disconnect(core: ProviderCore, s: unknown, data: unknown, how: typeof SD_RECEIVE | typeof SD_SEND, lpErrno: unknown): number {
  if (core.lookup(s) === undefined) return fail(lpErrno, WSAENOTSOCK, SOCKET_ERROR);
  if (data !== null && data !== undefined) {
    // WSAEFAULT first: a buffer outside the caller's memory is reported as such (both pages list it).
    if (!readableBuffer(data)) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
    return fail(lpErrno, WSAENOPROTOOPT, SOCKET_ERROR);
  }
  const r = shutdown(core, s, how);
  return r < 0 ? fail(lpErrno, -r, SOCKET_ERROR) : 0;
}
