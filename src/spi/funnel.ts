/**
 * The one way out for errors (the funnel), and the small C-argument helpers the WSP*
 * functions share.
 */
import { WSAEFAULT } from '../provider/constants.js';
import type { LPINT } from './types.js';

/** Raised only for a broken invariant inside the provider (a bug), never for bad input. */
export class ProviderBug extends Error {}

export function isRef(x: unknown): x is LPINT {
  return typeof x === 'object' && x !== null;
}

/** The funnel: records `code` in lpErrno (when it can be written) and returns `ret`. */
export function fail(lpErrno: unknown, code: number, ret: number): number {
  if (isRef(lpErrno)) lpErrno.value = code;
  return ret;
}

/** Core results: >= 0 success, < 0 a negated error code. */
export function finish(result: number, lpErrno: unknown, failValue: number, successValue?: number): number {
  if (result < 0) return fail(lpErrno, -result, failValue);
  return successValue ?? result;
}

/** Hostile arguments (throwing getters, proxies) surface as WSAEFAULT; provider bugs propagate. */
export function guard(lpErrno: unknown, failValue: number, body: () => number): number {
  try {
    return body();
  } catch (err) {
    if (err instanceof ProviderBug) throw err;
    return fail(lpErrno, WSAEFAULT, failValue);
  }
}

/** SO_EXCLUSIVEADDRUSE and SO_DONTLINGER are negative ints in C; accept their unsigned spelling too. */
export function normalizeOptName(optname: number): number {
  return typeof optname === 'number' ? optname | 0 : optname;
}

export function readInt(buf: Uint8Array, unsigned: boolean): number {
  const v = buf[0]! | (buf[1]! << 8) | (buf[2]! << 16) | (buf[3]! << 24);
  return unsigned ? v >>> 0 : v;
}

export function writeInt(buf: Uint8Array, v: number): void {
  buf[0] = v & 0xff;
  buf[1] = (v >>> 8) & 0xff;
  buf[2] = (v >>> 16) & 0xff;
  buf[3] = (v >>> 24) & 0xff;
}
