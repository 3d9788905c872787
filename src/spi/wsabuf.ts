/** WSABUF arrays as the transfer functions and the extension functions read them. */
import { callerBytes } from './funnel.js';
import type { WSABUF } from './types.js';

/** Reads an array of WSABUF as views of the caller's bytes; undefined when any is malformed (WSAEFAULT). */
export function readBuffers(lpBuffers: unknown, count: unknown): Uint8Array[] | undefined {
  if (!Array.isArray(lpBuffers) || typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > lpBuffers.length) {
    return undefined;
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const b = lpBuffers[i] as WSABUF | null;
    if (typeof b !== 'object' || b === null) return undefined;
    const len = b.len;
    if (typeof len !== 'number' || !Number.isInteger(len)) return undefined;
    const bytes = callerBytes(b.buf, len); // a view only when it is shorter (or the caller's object is odd)
    if (bytes === undefined) return undefined;
    out.push(bytes);
  }
  return out;
}
