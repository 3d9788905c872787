/**
 * The IPv4 header (RFC 791): emit a fixed 20-byte header, parse one with validation. Pure;
 * a malformed packet yields a drop reason (a string), never an exception, and so does anything
 * that is not a real Uint8Array ('not-bytes').
 */
import { byteLength, byteView } from './bytes.js';
import { checksumFromSum, sum16, sumIsValid } from './checksum.js';

/** Protocol numbers carried in the IPv4 protocol field (and the IPv6 next-header field). */
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** Length of the header this module emits (no options). */
export const IPV4_HEADER_LENGTH = 20;
/** Default time to live. */
export const DEFAULT_TTL = 64;

const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const OFFSET_MASK = 0x1fff;

/** What an emitted IPv4 header says. */
export interface Ipv4HeaderFields {
  /** 4-byte source address. */
  readonly src: Uint8Array;
  /** 4-byte destination address. */
  readonly dst: Uint8Array;
  readonly protocol: number;
  /** Bytes after the header (the transport header and data). */
  readonly payloadLength: number;
  /** Identification; the caller chooses it so output stays deterministic. Default 0. */
  readonly identification?: number;
  /** Time to live; default {@link DEFAULT_TTL}. */
  readonly ttl?: number;
  /** Type of service / DSCP+ECN byte; default 0. */
  readonly tos?: number;
  /** Don't Fragment; default true. */
  readonly dontFragment?: boolean;
}

/** Why an IPv4 packet was dropped. */
export type Ipv4DropReason =
  | 'not-bytes'
  | 'ipv4-truncated'
  | 'ipv4-version'
  | 'ipv4-header-length'
  | 'ipv4-total-length'
  | 'ipv4-checksum'
  | 'ipv4-fragment';

/** A parsed IPv4 packet. Byte fields are views into the parsed buffer. */
export interface Ipv4Packet {
  readonly version: 4;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly protocol: number;
  readonly ttl: number;
  readonly identification: number;
  readonly tos: number;
  readonly dontFragment: boolean;
  /** Header length in bytes, options included (IHL × 4). */
  readonly headerLength: number;
  /** The bytes the total length covers after the header; link-layer padding is excluded. */
  readonly payload: Uint8Array;
}

/**
 * Writes a 20-byte header at `offset` of `out` (version 4, IHL 5, no options) and its header
 * checksum. Returns the offset just past it.
 */
export function writeIpv4Header(out: Uint8Array, offset: number, f: Ipv4HeaderFields): number {
  const v = new DataView(out.buffer, out.byteOffset + offset, IPV4_HEADER_LENGTH);
  v.setUint8(0, 0x45);
  v.setUint8(1, (f.tos ?? 0) & 0xff);
  v.setUint16(2, (IPV4_HEADER_LENGTH + f.payloadLength) & 0xffff);
  v.setUint16(4, (f.identification ?? 0) & 0xffff);
  v.setUint16(6, f.dontFragment === false ? 0 : FLAG_DF);
  v.setUint8(8, (f.ttl ?? DEFAULT_TTL) & 0xff);
  v.setUint8(9, f.protocol & 0xff);
  v.setUint16(10, 0);
  out.set(f.src.subarray(0, 4), offset + 12);
  out.set(f.dst.subarray(0, 4), offset + 16);
  const header = out.subarray(offset, offset + IPV4_HEADER_LENGTH);
  v.setUint16(10, checksumFromSum(sum16(header)));
  return offset + IPV4_HEADER_LENGTH;
}

/** A new 20-byte IPv4 header. */
export function emitIpv4Header(f: Ipv4HeaderFields): Uint8Array {
  const out = new Uint8Array(IPV4_HEADER_LENGTH);
  writeIpv4Header(out, 0, f);
  return out;
}

/**
 * Parses and validates an IPv4 packet: version 4, IHL ≥ 5 and within the buffer, total length
 * between the header length and the buffer length (trailing bytes, e.g. Ethernet padding, are
 * ignored), a correct header checksum, and no fragmentation (MF set or a non-zero fragment
 * offset is unsupported and dropped). Options are skipped. Anything that is not a real
 * Uint8Array is 'not-bytes'; the views returned are fresh plain Uint8Arrays over its memory.
 */
export function parseIpv4(input: Uint8Array): Ipv4Packet | Ipv4DropReason {
  const length = byteLength(input);
  if (length < 0) return 'not-bytes';
  if (length < IPV4_HEADER_LENGTH) return 'ipv4-truncated';
  const bytes = byteView(input, 0, length);
  if (bytes[0]! >> 4 !== 4) return 'ipv4-version';
  const headerLength = (bytes[0]! & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH) return 'ipv4-header-length';
  if (headerLength > bytes.length) return 'ipv4-header-length';
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const total = v.getUint16(2);
  if (total < headerLength || total > bytes.length) return 'ipv4-total-length';
  if (!sumIsValid(sum16(bytes.subarray(0, headerLength)))) return 'ipv4-checksum';
  const fragment = v.getUint16(6);
  if ((fragment & FLAG_MF) !== 0 || (fragment & OFFSET_MASK) !== 0) return 'ipv4-fragment';
  return fields(bytes, v, headerLength, total);
}

/** The header's fields, with the payload up to `end`. */
function fields(bytes: Uint8Array, v: DataView, headerLength: number, end: number): Ipv4Packet {
  return {
    version: 4,
    src: bytes.subarray(12, 16),
    dst: bytes.subarray(16, 20),
    protocol: bytes[9]!,
    ttl: bytes[8]!,
    identification: v.getUint16(4),
    tos: bytes[1]!,
    dontFragment: (v.getUint16(6) & FLAG_DF) !== 0,
    headerLength,
    payload: bytes.subarray(headerLength, end),
  };
}

/**
 * Lenient parse of an IPv4 header quoted inside an ICMP error: the header must be whole, but
 * the data after it may be cut short and the checksum is not checked. `payload` is what is
 * present of the quoted data; `firstFragment` is false when the quoted packet was a later
 * fragment (so its payload does not start with a transport header). Undefined for anything
 * that is not a real Uint8Array.
 */
export function peekIpv4(input: Uint8Array): (Ipv4Packet & { readonly firstFragment: boolean }) | undefined {
  const length = byteLength(input);
  if (length < IPV4_HEADER_LENGTH) return undefined;
  const bytes = byteView(input, 0, length);
  if (bytes[0]! >> 4 !== 4) return undefined;
  const headerLength = (bytes[0]! & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH || headerLength > bytes.length) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const total = v.getUint16(2);
  const end = Math.max(headerLength, Math.min(total, bytes.length));
  const fragment = v.getUint16(6);
  return {
    ...fields(bytes, v, headerLength, end),
    firstFragment: (fragment & OFFSET_MASK) === 0,
  };
}
