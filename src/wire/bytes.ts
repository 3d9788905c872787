/**
 * Brand checks for caller-supplied bytes. `instanceof Uint8Array` also accepts a Proxy of one
 * and an object with Uint8Array's prototype, whose reads can throw or lie; the intrinsic
 * `%TypedArray%.prototype[@@toStringTag]` getter answers from the internal slot and cannot be
 * fooled, and lengths and views taken through the intrinsics ignore own-property overrides.
 */

const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const tagGetter = Object.getOwnPropertyDescriptor(typedArrayProto, Symbol.toStringTag)!.get!;
const lengthGetter = Object.getOwnPropertyDescriptor(typedArrayProto, 'length')!.get!;
const bufferGetter = Object.getOwnPropertyDescriptor(typedArrayProto, 'buffer')!.get!;
const offsetGetter = Object.getOwnPropertyDescriptor(typedArrayProto, 'byteOffset')!.get!;

/** True only for a real Uint8Array (a Node Buffer included): never a Proxy, never a look-alike. */
export function isByteArray(x: unknown): x is Uint8Array {
  return typeof x === 'object' && x !== null && Reflect.apply(tagGetter, x, []) === 'Uint8Array';
}

/** The element count of a real Uint8Array, immune to an own `length` property; -1 for anything else. */
export function byteLength(x: unknown): number {
  return isByteArray(x) ? (Reflect.apply(lengthGetter, x, []) as number) : -1;
}

/**
 * A fresh view of `bytes[start, end)` for a value {@link isByteArray} accepted, with
 * 0 <= start <= end <= its length. Built from the internal slots: `subarray` would consult the
 * caller's `constructor`.
 */
export function byteView(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const buffer = Reflect.apply(bufferGetter, bytes, []) as ArrayBufferLike;
  const offset = Reflect.apply(offsetGetter, bytes, []) as number;
  return new Uint8Array(buffer, offset + start, end - start);
}
