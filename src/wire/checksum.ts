/**
 * The Internet checksum (RFC 1071) and the pseudo-header sums that TCP, UDP and ICMPv6 include
 * (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1). Pure: numbers in, numbers out.
 *
 * Sums here are "folded" ones'-complement sums: integers in 0..0xffff where a carry out of bit
 * 15 has been added back in at bit 0. The checksum field a sender writes is the bitwise
 * complement of the folded sum; a receiver sums everything, checksum field included, and
 * accepts when the result is 0xffff.
 *
 * Caller bytes are brand-checked once on entry (see ./bytes.ts): anything that is not a real
 * Uint8Array (a Proxy, a look-alike, another typed array, an array of numbers, null, ...)
 * makes the result NaN instead of an exception. NaN carries through every sum here
 * (`foldSum`, `checksumFromSum`, the pseudo-header sums) and `sumIsValid(NaN)` is false, so
 * such input can only ever fail a check.
 */
import { byteLength } from './bytes.js';

/** Folds a non-negative accumulator into 16 bits, adding every carry back in (end-around carry). */
export function foldSum(accumulator: number): number {
  if (typeof accumulator !== 'number') return Number.NaN;
  let s = accumulator;
  // Division instead of `>>>`: the accumulator may exceed 32 bits for very large inputs.
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/**
 * Adds `data`, read as big-endian 16-bit words, to a running folded sum. `data` is taken to
 * start on an even byte of the summed stream; an odd final byte is padded with a zero byte.
 */
export function sum16(data: Uint8Array, initial = 0): number {
  // Indexed reads of a real Uint8Array go to its buffer whatever its own properties or
  // prototype say; only the length has to come from the intrinsic.
  const length = byteLength(data);
  if (length < 0 || typeof initial !== 'number') return Number.NaN;
  let acc = initial;
  const even = length - (length & 1);
  for (let i = 0; i < even; i += 2) acc += (data[i]! << 8) | data[i + 1]!;
  if (even !== length) acc += data[even]! << 8;
  return foldSum(acc);
}

/**
 * Folded sum over the concatenation of `parts`, whatever their lengths: a part that ends on an
 * odd byte leaves the next part starting in the low half of a word, exactly as if the parts
 * were one contiguous buffer.
 */
export function sumParts(parts: readonly Uint8Array[], initial = 0): number {
  const list = byteArrays(parts);
  if (list === undefined || typeof initial !== 'number') return Number.NaN;
  let acc = initial;
  let odd = false;
  for (let p = 0; p < list.length; p++) {
    const part = list[p]!;
    const length = byteLength(part);
    let i = 0;
    if (odd && length > 0) {
      acc += part[0]!;
      i = 1;
      odd = false;
    }
    for (; i + 1 < length; i += 2) acc += (part[i]! << 8) | part[i + 1]!;
    if (i < length) {
      acc += part[i]! << 8;
      odd = true;
    }
    acc = foldSum(acc);
  }
  return foldSum(acc);
}

/**
 * The elements of `parts` when it is an array (or a Proxy of one) of real Uint8Arrays, copied
 * out once inside a try, so a trap or an element getter that throws makes a drop; undefined
 * for anything else.
 */
function byteArrays(parts: unknown): Uint8Array[] | undefined {
  try {
    // Array.isArray sees through a Proxy, and throws on a revoked one.
    if (!Array.isArray(parts)) return undefined;
    const n = parts.length;
    const list: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const part: unknown = parts[i];
      if (byteLength(part) < 0) return undefined;
      list.push(part as Uint8Array);
    }
    return list;
  } catch {
    return undefined;
  }
}

/** The value a sender writes into a checksum field, given the folded sum of everything else (NaN stays NaN). */
export function checksumFromSum(sum: number): number {
  const folded = foldSum(sum);
  return folded === folded ? ~folded & 0xffff : Number.NaN;
}

/** The Internet checksum of the concatenation of `parts` (with `initial`, e.g. a pseudo-header sum). */
export function internetChecksum(parts: readonly Uint8Array[], initial = 0): number {
  return checksumFromSum(sumParts(parts, initial));
}

/** True when a folded sum taken over data that includes its checksum field shows no error. */
export function sumIsValid(sum: number): boolean {
  return foldSum(sum) === 0xffff;
}

/**
 * Sum of the IPv4 pseudo-header: source, destination, a zero byte, the protocol number and
 * the 16-bit transport length (header plus data).
 */
export function pseudoHeaderSumV4(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  return foldSum(sum16(src) + sum16(dst) + (protocol & 0xff) + (length & 0xffff));
}

/**
 * Sum of the IPv6 pseudo-header: source, destination, the 32-bit upper-layer length, three
 * zero bytes and the next-header value of the upper-layer protocol.
 */
export function pseudoHeaderSumV6(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): number {
  const high = Math.floor(length / 0x10000) & 0xffff;
  return foldSum(sum16(src) + sum16(dst) + high + (length & 0xffff) + (nextHeader & 0xff));
}

/** The pseudo-header sum for either version, chosen by the address length (4 or 16 bytes). */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  return byteLength(src) === 16
    ? pseudoHeaderSumV6(src, dst, protocol, length)
    : pseudoHeaderSumV4(src, dst, protocol, length);
}
