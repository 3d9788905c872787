/**
 * The one way out for errors (the funnel), and the small C-argument helpers the WSP*
 * functions share.
 */
import { WSAEFAULT } from '../provider/constants.js';
import { byteLength, byteView } from '../wire/bytes.js';
import type { LPINT } from './types.js';

/** Raised only for a broken invariant inside the provider (a bug), never for bad input. */
export class ProviderBug extends Error {}

export function isRef(x: unknown): x is LPINT {
  return typeof x === 'object' && x !== null;
}

/** The funnel: records `code` in lpErrno (when it can be written: a hostile one is left alone) and returns `ret`. */
export function fail(lpErrno: unknown, code: number, ret: number): number {
  store(lpErrno, 'value', code);
  return ret;
}

/**
 * Whether `ref[key] = v` will succeed, decided without changing anything a caller could see:
 * Windows probes output buffers before a call acts, so an unwritable out-parameter fails the
 * call with WSAEFAULT before it has consumed data, queued bytes or taken a connection. The
 * probe writes back the value that is there (or, for a missing key, adds the key and removes it
 * again), so frozen objects, getter-only and throwing properties and throwing Proxies fail it.
 */
export function probe(ref: unknown, key: string): boolean {
  if (typeof ref !== 'object' || ref === null) return false;
  try {
    if (!(key in ref)) {
      // A key that is not there yet: add it and take it away again (a Proxy may refuse either).
      if (!Reflect.defineProperty(ref, key, { value: undefined, writable: true, enumerable: true, configurable: true })) return false;
      return Reflect.deleteProperty(ref, key);
    }
    const r = ref as Record<string, unknown>;
    r[key] = r[key];
    return true;
  } catch {
    return false;
  }
}

/** Every key of `keys` passes {@link probe}. */
export function probeAll(ref: unknown, keys: readonly string[]): boolean {
  for (const k of keys) if (!probe(ref, k)) return false;
  return true;
}

/**
 * Writes an out-parameter after the call took effect. It was probed first; a Proxy that
 * passed the probe and throws now loses only this value, never the call's effect.
 */
export function store(ref: unknown, key: string, value: unknown): void {
  if (typeof ref !== 'object' || ref === null) return;
  try {
    (ref as Record<string, unknown>)[key] = value;
  } catch {
    // a hostile out-parameter: nothing more can be done for it
  }
}

/** Core results: >= 0 success, < 0 a negated error code. */
export function finish(result: number, lpErrno: unknown, failValue: number, successValue?: number): number {
  if (result < 0) return fail(lpErrno, -result, failValue);
  return successValue ?? result;
}

/**
 * Hostile arguments (throwing getters, proxies) surface as `faultCode`: WSAEFAULT, or for a
 * function whose documented list lacks it, the code it documents for a bad argument
 * (WSAEINVAL). Every argument is read before a call acts, so nothing has changed when this
 * catches. Provider bugs propagate.
 */
export function guard(lpErrno: unknown, failValue: number, body: () => number, faultCode = WSAEFAULT): number {
  try {
    return body();
  } catch (err) {
    if (isBug(err)) throw err;
    return fail(lpErrno, faultCode, failValue);
  }
}

/** A caller can throw anything from a getter, even a Proxy whose prototype trap throws. */
function isBug(err: unknown): boolean {
  try {
    return err instanceof ProviderBug;
  } catch {
    return false;
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

const BUFFER_PROTO = (globalThis as { Buffer?: { prototype: object } }).Buffer?.prototype;
const U8_PROTO = Uint8Array.prototype;

/**
 * The first `len` bytes of a caller's buffer as a view the provider may use freely, or undefined
 * when `buf` is not a real Uint8Array with at least `len` bytes (WSAEFAULT). A plain array (the
 * usual case, checked without leaving the fast path: `ArrayBuffer.isView` reads the internal
 * slot, so no Proxy passes it) is used as it is; one with its own `set`, `subarray` or `length`,
 * or another prototype, is re-viewed through its internal slots so none of its methods ever run.
 */
export function callerBytes(buf: unknown, len: number): Uint8Array | undefined {
  if (ArrayBuffer.isView(buf)) {
    const proto = Object.getPrototypeOf(buf) as object;
    if ((proto === U8_PROTO || proto === BUFFER_PROTO)
      && !Object.hasOwn(buf, 'length') && !Object.hasOwn(buf, 'set') && !Object.hasOwn(buf, 'subarray')) {
      const bytes = buf as Uint8Array;
      const size = bytes.length;
      if (!(len >= 0 && len <= size)) return undefined;
      // A shorter view is taken through the internal slots: subarray would consult `constructor`.
      return len === size ? bytes : byteView(bytes, 0, len);
    }
  }
  const size = byteLength(buf);
  if (size < 0 || !(len >= 0 && len <= size)) return undefined;
  return byteView(buf as Uint8Array, 0, len);
}
