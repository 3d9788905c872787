// kernel32's SetFileCompletionNotificationModes over a provider's sockets: which completions skip the port.
import { ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER } from '../provider/constants.js';
import type { Socket } from '../provider/socket.js';
import { FALSE, TRUE, failWin32, readDword, win32Call } from './win32-call.js';

/** An operation that succeeds at once queues no packet to the handle's completion port. */
export const FILE_SKIP_COMPLETION_PORT_ON_SUCCESS = 0x1;
/** The I/O manager does not signal the handle itself (the file object's event) when an operation completes. */
export const FILE_SKIP_SET_EVENT_ON_HANDLE = 0x2;

const KNOWN_MODES = FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE;

/** By socket object, as the associations are: the modes belong to the handle for its life. */
const MODES = new WeakMap<Socket, number>();

/**
 * True when a completion of an operation on `sock` that the call reported as an immediate
 * success (it returned 0) must not be queued to the socket's port.
 */
export function skipsPortOnSuccess(sock: Socket): boolean {
  return ((MODES.get(sock) ?? 0) & FILE_SKIP_COMPLETION_PORT_ON_SUCCESS) !== 0;
}

/** The modes set on `sock` (0: none). */
export function notificationModes(sock: Socket): number {
  return MODES.get(sock) ?? 0;
}

/**
 * kernel32's SetFileCompletionNotificationModes on socket `s`. `Flags` is
 * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS and/or FILE_SKIP_SET_EVENT_ON_HANDLE; modes add up and
 * are never removed (its reference page: "after a mode has been set for a file handle, it cannot
 * be removed"). Returns TRUE, or FALSE with `lpErrno`: ERROR_INVALID_HANDLE (no such socket),
 * ERROR_INVALID_PARAMETER (a flag that is no mode, a value that is no UCHAR).
 */
export function setFileCompletionNotificationModes(lookup: (s: unknown) => Socket | undefined, FileHandle: unknown, Flags: unknown, lpErrno: unknown): number {
  return win32Call(lpErrno, FALSE, () => {
    const sock = lookup(FileHandle);
    if (sock === undefined) return failWin32(lpErrno, ERROR_INVALID_HANDLE, FALSE);
    const flags = readDword(Flags);
    if (flags === undefined || flags > 0xff || (flags & ~KNOWN_MODES) !== 0) return failWin32(lpErrno, ERROR_INVALID_PARAMETER, FALSE);
    MODES.set(sock, (MODES.get(sock) ?? 0) | flags);
    return TRUE;
  });
}
