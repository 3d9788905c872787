/**
 * The UDP header (RFC 768) with its checksum over the pseudo-header: optional over IPv4 (a
 * zero field means "none"), mandatory over IPv6 (RFC 8200 §8.1). Pure; a malformed datagram
 * yields a drop reason (a string), never an exception, and so does anything that is not a real
 * Uint8Array ('not-bytes').
 */
import { byteLength, byteView } from './bytes.js';
import { checksumFromSum, pseudoHeaderSum, sum16, sumIsValid } from './checksum.js';
import { IPPROTO_UDP } from './ipv4.js';

/** Length of the UDP header. */
export const UDP_HEADER_LENGTH = 8;

/** The fields of a datagram a UDP header carries (the shape of the virtual network's Datagram). */
export interface UdpDatagramFields {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

/** A parsed datagram; `payload` is a copy. `checksum` is the field as received (0: none, IPv4 only). */
export interface UdpParsed extends UdpDatagramFields {
  readonly checksum: number;
}

/** Why a UDP datagram was dropped. */
export type UdpDropReason = 'not-bytes' | 'udp-truncated' | 'udp-length' | 'udp-checksum' | 'udp-checksum-missing';

/**
 * Writes header and payload at `offset` of `out`, with the checksum over the pseudo-header of
 * `src` → `dst` (4- or 16-byte addresses). A computed checksum of 0 is sent as 0xffff, since
 * 0 would mean "no checksum". Returns the offset just past the payload. The caller keeps the
 * payload within 65535 − 8 bytes (the provider's limits are lower still).
 */
export function writeUdpDatagram(out: Uint8Array, offset: number, d: UdpDatagramFields, src: Uint8Array, dst: Uint8Array): number {
  const length = UDP_HEADER_LENGTH + d.payload.length;
  const v = new DataView(out.buffer, out.byteOffset + offset, length);
  v.setUint16(0, d.srcPort & 0xffff);
  v.setUint16(2, d.dstPort & 0xffff);
  v.setUint16(4, length & 0xffff);
  v.setUint16(6, 0);
  out.set(d.payload, offset + UDP_HEADER_LENGTH);
  const sum = checksumFromSum(sum16(out.subarray(offset, offset + length), pseudoHeaderSum(src, dst, IPPROTO_UDP, length)));
  v.setUint16(6, sum === 0 ? 0xffff : sum);
  return offset + length;
}

/** A new UDP datagram (header and payload) with its checksum. */
export function emitUdpDatagram(d: UdpDatagramFields, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const out = new Uint8Array(UDP_HEADER_LENGTH + d.payload.length);
  writeUdpDatagram(out, 0, d, src, dst);
  return out;
}

/**
 * Parses and validates a UDP datagram (the whole IP payload): the length field must be at
 * least 8 and no more than the bytes present. Bytes past the length field (the surplus area
 * of RFC 9868) are ignored, as the checksum does not cover them. A zero checksum is accepted
 * over IPv4 and dropped over IPv6 (where `src` is 16 bytes). 'not-bytes' when `input`, `src`
 * or `dst` is not a real Uint8Array.
 */
export function parseUdp(input: Uint8Array, src: Uint8Array, dst: Uint8Array): UdpParsed | UdpDropReason {
  const present = byteLength(input);
  const srcLength = byteLength(src);
  if (present < 0 || srcLength < 0 || byteLength(dst) < 0) return 'not-bytes';
  if (present < UDP_HEADER_LENGTH) return 'udp-truncated';
  const bytes = byteView(input, 0, present);
  const length = (bytes[4]! << 8) | bytes[5]!;
  if (length < UDP_HEADER_LENGTH || length > present) return 'udp-length';
  const checksum = (bytes[6]! << 8) | bytes[7]!;
  const datagram = bytes.subarray(0, length);
  if (checksum === 0) {
    if (srcLength === 16) return 'udp-checksum-missing';
  } else if (!sumIsValid(sum16(datagram, pseudoHeaderSum(src, dst, IPPROTO_UDP, length)))) {
    return 'udp-checksum';
  }
  return {
    srcPort: (bytes[0]! << 8) | bytes[1]!,
    dstPort: (bytes[2]! << 8) | bytes[3]!,
    payload: bytes.slice(UDP_HEADER_LENGTH, length),
    checksum,
  };
}
