/**
 * The Internet checksum (RFC 1071) and the pseudo-header sums that TCP, UDP and ICMPv6 include
 * (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1). Pure: numbers in, numbers out.
 *
 * Sums here are "folded" ones'-complement sums: integers in 0..0xffff where a carry out of bit
 * 15 has been added back in at bit 0. The checksum field a sender writes is the bitwise
 * complement of the folded sum; a receiver sums everything, checksum field included, and
 * accepts when the result is 0xffff.
 */

/** Folds a non-negative accumulator into 16 bits, adding every carry back in (end-around carry). */
export function foldSum(accumulator: number): number {
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
  let acc = initial;
  const even = data.length - (data.length & 1);
  for (let i = 0; i < even; i += 2) acc += (data[i]! << 8) | data[i + 1]!;
  if (even !== data.length) acc += data[even]! << 8;
  return foldSum(acc);
}

/**
 * Folded sum over the concatenation of `parts`, whatever their lengths: a part that ends on an
 * odd byte leaves the next part starting in the low half of a word, exactly as if the parts
 * were one contiguous buffer.
 */
export function sumParts(parts: readonly Uint8Array[], initial = 0): number {
  let acc = initial;
  let odd = false;
  for (const part of parts) {
    let i = 0;
    if (odd && part.length > 0) {
      acc += part[0]!;
      i = 1;
      odd = false;
    }
    for (; i + 1 < part.length; i += 2) acc += (part[i]! << 8) | part[i + 1]!;
    if (i < part.length) {
      acc += part[i]! << 8;
      odd = true;
    }
    acc = foldSum(acc);
  }
  return foldSum(acc);
}

/** The value a sender writes into a checksum field, given the folded sum of everything else. */
export function checksumFromSum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
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
  return src.length === 16
    ? pseudoHeaderSumV6(src, dst, protocol, length)
    : pseudoHeaderSumV4(src, dst, protocol, length);
}
