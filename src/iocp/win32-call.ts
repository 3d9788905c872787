// The error path of the kernel32-shaped functions: the Win32 code goes to a trailing lpErrno (their C versions use SetLastError), and no call throws.
import { ERROR_NOACCESS, INVALID_HANDLE_VALUE, WSA_INFINITE } from '../provider/constants.js';
import { ProviderBug, store } from '../spi/funnel.js';

/** FALSE and TRUE of these BOOL functions. */
export const FALSE = 0;
export const TRUE = 1;

/**
 * Writes `code` to `lpErrno` (GetLastError's value in C) when the caller gave one, and returns
 * `ret`. The kernel32 functions here take `lpErrno` as a trailing `{ value }` out-parameter, as
 * the WSP* functions do; it may be null or left out (the code is then lost, as a C program that
 * never calls GetLastError loses it).
 */
export function failWin32<T>(lpErrno: unknown, code: number, ret: T): T {
  if (typeof lpErrno === 'object' && lpErrno !== null) store(lpErrno, 'value', code);
  return ret;
}

/**
 * Runs a call; a caller's object that throws under it (a getter, a Proxy) fails the call with
 * ERROR_NOACCESS, C's access violation on a bad pointer. Every argument is read before the call
 * acts, so nothing has changed then. Provider bugs propagate.
 */
export function win32Call<T>(lpErrno: unknown, failValue: T, body: () => T): T {
  try {
    return body();
  } catch (err) {
    return win32Caught(err, lpErrno, failValue);
  }
}

/** What {@link win32Call} does with what its body threw, for a call that writes its own `try` (no closure on a hot path). */
export function win32Caught<T>(err: unknown, lpErrno: unknown, failValue: T): T {
  if (isBug(err)) throw err;
  return failWin32(lpErrno, ERROR_NOACCESS, failValue);
}

function isBug(err: unknown): boolean {
  try {
    return err instanceof ProviderBug;
  } catch {
    return false;
  }
}

/**
 * A DWORD time-out in milliseconds: null for INFINITE (0xffffffff, or -1 as `(DWORD)-1`), the
 * number otherwise, undefined (ERROR_INVALID_PARAMETER) for what is no DWORD.
 */
export function readTimeout(ms: unknown): number | null | undefined {
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < -1 || ms > 0xffffffff) return undefined;
  return ms === -1 || ms === WSA_INFINITE ? null : ms;
}

/** A DWORD count; undefined for what is none. */
export function readDword(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? n : undefined;
}

/** `(HANDLE)-1`, also spelled as the 32-bit INVALID_SOCKET a cast would give. */
export function isInvalidHandleValue(h: unknown): boolean {
  return h === INVALID_HANDLE_VALUE || h === 0xffffffff;
}
