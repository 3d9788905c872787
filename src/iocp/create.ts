// CreateIoCompletionPort and the non-standard CancelIoEx, for a provider's sockets (the provider's methods call these).
import { ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_NOT_FOUND } from '../provider/constants.js';
import type { Socket } from '../provider/socket.js';
import type { WSAOVERLAPPED } from '../spi/types.js';
import { associate, associationOf } from './associations.js';
import { CompletionPort, type PortOwner } from './port.js';
import { FALSE, TRUE, failWin32, isInvalidHandleValue, readDword, win32Call } from './win32-call.js';

/** What these functions need from the provider whose method was called. */
export interface SocketScope {
  /** The live socket behind a handle. */
  lookup(s: unknown): Socket | undefined;
  /** The owner new ports wait through. */
  readonly owner: PortOwner;
  /** Cancels the pending operations of a socket (all, or those of one OVERLAPPED); returns how many. */
  cancel(sock: Socket, lpOverlapped: WSAOVERLAPPED | null): number;
}

/**
 * kernel32's CreateIoCompletionPort over a provider's sockets. `FileHandle` INVALID_HANDLE_VALUE
 * (-1) with `ExistingCompletionPort` null makes a port (`CompletionKey` is then ignored);
 * a socket with a port associates the socket with it under `CompletionKey` (any value, handed
 * back in every packet) and returns that port; a socket with null makes a port and associates.
 * Returns the port, or null with `lpErrno`: ERROR_INVALID_HANDLE (no such socket, or a port that
 * is not open), ERROR_INVALID_PARAMETER (INVALID_HANDLE_VALUE with a port, a socket already
 * associated with a port — a handle gets one for life —, a thread count that is no DWORD).
 */
export function createIoCompletionPort(
  scope: SocketScope, FileHandle: unknown, ExistingCompletionPort: unknown, CompletionKey: unknown, NumberOfConcurrentThreads: unknown,
  lpErrno: unknown,
): CompletionPort | null {
  return win32Call<CompletionPort | null>(lpErrno, null, () => {
    const threads = readDword(NumberOfConcurrentThreads);
    if (threads === undefined) return failWin32(lpErrno, ERROR_INVALID_PARAMETER, null);
    const existing = ExistingCompletionPort === null || ExistingCompletionPort === undefined ? null : ExistingCompletionPort;
    if (existing !== null && (!CompletionPort.is(existing) || existing.closed)) return failWin32(lpErrno, ERROR_INVALID_HANDLE, null);
    if (isInvalidHandleValue(FileHandle)) {
      if (existing !== null) return failWin32(lpErrno, ERROR_INVALID_PARAMETER, null);
      return new CompletionPort(scope.owner, threads);
    }
    const sock = scope.lookup(FileHandle);
    if (sock === undefined) return failWin32(lpErrno, ERROR_INVALID_HANDLE, null);
    if (associationOf(sock) !== undefined) return failWin32(lpErrno, ERROR_INVALID_PARAMETER, null);
    const port = (existing as CompletionPort | null) ?? new CompletionPort(scope.owner, threads);
    associate(sock, port, CompletionKey);
    return port;
  });
}

/**
 * Non-standard, for emulators (kernel32's CancelIoEx on a socket handle): the pending overlapped
 * operations of socket `s` — all of them with `lpOverlapped` null, else those started with that
 * WSAOVERLAPPED — complete now with STATUS_CANCELLED (ERROR_OPERATION_ABORTED 995 through
 * GetQueuedCompletionStatus, WSA_OPERATION_ABORTED through WSPGetOverlappedResult or a
 * completion routine), with the bytes they had moved. Their completion is indicated as any
 * (event, routine, port packet). Returns TRUE, or FALSE with ERROR_NOT_FOUND (nothing pending
 * matched: Wine's test_send_buffering, fact 43) or ERROR_INVALID_HANDLE (no such socket).
 */
export function cancelIoEx(scope: SocketScope, s: unknown, lpOverlapped: unknown, lpErrno: unknown): number {
  return win32Call(lpErrno, FALSE, () => {
    const sock = scope.lookup(s);
    if (sock === undefined) return failWin32(lpErrno, ERROR_INVALID_HANDLE, FALSE);
    const ov = lpOverlapped === null || lpOverlapped === undefined ? null : lpOverlapped as WSAOVERLAPPED;
    if (scope.cancel(sock, ov) === 0) return failWin32(lpErrno, ERROR_NOT_FOUND, FALSE);
    return TRUE;
  });
}
