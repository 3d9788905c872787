/**
 * The IPv6 fixed header (RFC 8200 §3): emit the 40-byte header, parse one with validation.
 * Extension headers are not supported: a packet whose next header is one is dropped cleanly.
 * Pure; a malformed packet yields a drop reason (a string), never an exception, and so does
 * anything that is not a real Uint8Array ('not-bytes').
 */
import { byteLength, byteView } from './bytes.js';

/** Next-header value of ICMPv6 (RFC 4443). */
export const IPPROTO_ICMPV6 = 58;
/** Length of the fixed header. */
export const IPV6_HEADER_LENGTH = 40;
/** Default hop limit. */
export const DEFAULT_HOP_LIMIT = 64;

/**
 * Next-header values that name an extension header (RFC 8200 §4 and the IANA list: hop-by-hop,
 * routing, fragment, ESP, AH, destination options, mobility, HIP, shim6, experimental), plus
 * 59 "no next header".
 */
const EXTENSION_HEADERS: ReadonlySet<number> = new Set([0, 43, 44, 50, 51, 59, 60, 135, 139, 140, 253, 254]);

/** What an emitted IPv6 header says. */
export interface Ipv6HeaderFields {
  /** 16-byte source address. */
  readonly src: Uint8Array;
  /** 16-byte destination address. */
  readonly dst: Uint8Array;
  readonly nextHeader: number;
  /** Bytes after the fixed header. */
  readonly payloadLength: number;
  /** Default {@link DEFAULT_HOP_LIMIT}. */
  readonly hopLimit?: number;
  /** Default 0. */
  readonly trafficClass?: number;
  /** 20 bits; default 0. */
  readonly flowLabel?: number;
}

/** Why an IPv6 packet was dropped. */
export type Ipv6DropReason = 'not-bytes' | 'ipv6-truncated' | 'ipv6-version' | 'ipv6-payload-length' | 'ipv6-extension-header';

/** A parsed IPv6 packet. Byte fields are views into the parsed buffer. */
export interface Ipv6Packet {
  readonly version: 6;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly trafficClass: number;
  readonly flowLabel: number;
  /** The bytes the payload length covers; trailing link-layer padding is excluded. */
  readonly payload: Uint8Array;
}

/** Writes the 40-byte header at `offset` of `out`; returns the offset just past it. */
export function writeIpv6Header(out: Uint8Array, offset: number, f: Ipv6HeaderFields): number {
  const v = new DataView(out.buffer, out.byteOffset + offset, IPV6_HEADER_LENGTH);
  const tc = (f.trafficClass ?? 0) & 0xff;
  const flow = (f.flowLabel ?? 0) & 0xfffff;
  v.setUint32(0, ((6 << 28) | (tc << 20) | flow) >>> 0);
  v.setUint16(4, f.payloadLength & 0xffff);
  v.setUint8(6, f.nextHeader & 0xff);
  v.setUint8(7, (f.hopLimit ?? DEFAULT_HOP_LIMIT) & 0xff);
  out.set(f.src.subarray(0, 16), offset + 8);
  out.set(f.dst.subarray(0, 16), offset + 24);
  return offset + IPV6_HEADER_LENGTH;
}

/** A new 40-byte IPv6 header. */
export function emitIpv6Header(f: Ipv6HeaderFields): Uint8Array {
  const out = new Uint8Array(IPV6_HEADER_LENGTH);
  writeIpv6Header(out, 0, f);
  return out;
}

function fields(bytes: Uint8Array, payloadEnd: number): Ipv6Packet {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const first = v.getUint32(0);
  return {
    version: 6,
    src: bytes.subarray(8, 24),
    dst: bytes.subarray(24, 40),
    nextHeader: bytes[6]!,
    hopLimit: bytes[7]!,
    trafficClass: (first >>> 20) & 0xff,
    flowLabel: first & 0xfffff,
    payload: bytes.subarray(IPV6_HEADER_LENGTH, payloadEnd),
  };
}

/**
 * Parses and validates an IPv6 packet: version 6, a whole fixed header, a payload length that
 * fits the buffer (trailing bytes are ignored), and an upper-layer next header (extension
 * headers and "no next header" are dropped as unsupported). Anything that is not a real
 * Uint8Array is 'not-bytes'; the views returned are fresh plain Uint8Arrays over its memory.
 */
export function parseIpv6(input: Uint8Array): Ipv6Packet | Ipv6DropReason {
  const length = byteLength(input);
  if (length < 0) return 'not-bytes';
  if (length < IPV6_HEADER_LENGTH) return 'ipv6-truncated';
  const bytes = byteView(input, 0, length);
  if (bytes[0]! >> 4 !== 6) return 'ipv6-version';
  const payloadLength = (bytes[4]! << 8) | bytes[5]!;
  if (IPV6_HEADER_LENGTH + payloadLength > length) return 'ipv6-payload-length';
  if (EXTENSION_HEADERS.has(bytes[6]!)) return 'ipv6-extension-header';
  return fields(bytes, IPV6_HEADER_LENGTH + payloadLength);
}

/**
 * Lenient parse of an IPv6 header quoted inside an ICMPv6 error: the fixed header must be
 * whole; the payload is whatever follows, up to the stated payload length. Undefined for
 * anything that is not a real Uint8Array.
 */
export function peekIpv6(input: Uint8Array): Ipv6Packet | undefined {
  const length = byteLength(input);
  if (length < IPV6_HEADER_LENGTH) return undefined;
  const bytes = byteView(input, 0, length);
  if (bytes[0]! >> 4 !== 6) return undefined;
  const payloadLength = (bytes[4]! << 8) | bytes[5]!;
  return fields(bytes, Math.min(length, IPV6_HEADER_LENGTH + payloadLength));
}

/** True when `nextHeader` names an IPv6 extension header (or "no next header"). */
export function isIpv6ExtensionHeader(nextHeader: number): boolean {
  return EXTENSION_HEADERS.has(nextHeader);
}
