/**
 * ICMP destination-unreachable messages for IPv4 (RFC 792) and IPv6 (RFC 4443 §3.1): emit one
 * quoting as much of the offending packet as the rules allow, parse any ICMP message and, for
 * error messages, the addresses and ports of the quoted packet. Pure; a malformed message
 * yields a drop reason (a string), never an exception, and so does anything that is not a real
 * Uint8Array ('not-bytes').
 */
import { byteLength, byteView } from './bytes.js';
import { checksumFromSum, pseudoHeaderSumV6, sum16, sumIsValid } from './checksum.js';
import { formatIPv4, formatIPv6 } from './ip.js';
import { IPPROTO_TCP, IPPROTO_UDP, peekIpv4 } from './ipv4.js';
import { IPPROTO_ICMPV6, peekIpv6 } from './ipv6.js';

/** ICMPv4 destination unreachable, and the two codes emitted here. */
export const ICMP4_DEST_UNREACHABLE = 3;
export const ICMP4_HOST_UNREACHABLE = 1;
export const ICMP4_PORT_UNREACHABLE = 3;
/** ICMPv6 destination unreachable, and the two codes emitted here. */
export const ICMP6_DEST_UNREACHABLE = 1;
export const ICMP6_ADDRESS_UNREACHABLE = 3;
export const ICMP6_PORT_UNREACHABLE = 4;

/** Type, code, checksum and the 4 unused bytes. */
export const ICMP_HEADER_LENGTH = 8;
/** Most quoted bytes over IPv4: the whole ICMP datagram stays within 576 bytes (RFC 1812 §4.3.2.3). */
export const ICMP4_MAX_QUOTE = 576 - 20 - ICMP_HEADER_LENGTH;
/** Most quoted bytes over IPv6: the whole packet stays within the minimum MTU, 1280 (RFC 4443 §2.4). */
export const ICMP6_MAX_QUOTE = 1280 - 40 - ICMP_HEADER_LENGTH;

/** What was unreachable: the host (IPv6: the address) or the port. */
export type UnreachableKind = 'host' | 'port';

/** Error types whose body quotes the offending packet: v4 3, 4, 5, 11, 12; v6 1..4. */
const V4_ERRORS: ReadonlySet<number> = new Set([3, 4, 5, 11, 12]);
const V6_ERRORS: ReadonlySet<number> = new Set([1, 2, 3, 4]);

/** The quoted packet of an ICMP error, as far as it could be read. */
export interface IcmpQuoted {
  readonly version: 4 | 6;
  readonly srcAddress: string;
  readonly dstAddress: string;
  readonly protocol: number;
  /** Present when the quote reaches the transport ports (TCP or UDP, first fragment). */
  readonly srcPort?: number;
  readonly dstPort?: number;
  /** TCP sequence number, when the quote reaches it. */
  readonly seq?: number;
}

/** A parsed ICMP or ICMPv6 message. */
export interface IcmpParsed {
  readonly type: number;
  readonly code: number;
  /** Header bytes 4..7 (unused in destination unreachable; MTU or pointer in other errors). */
  readonly rest: number;
  /** The message body after the 8-byte header (a copy). */
  readonly body: Uint8Array;
  /** The quoted packet of an error message, when it is readable. */
  readonly original?: IcmpQuoted;
}

/** Why an ICMP message was dropped. */
export type IcmpDropReason = 'not-bytes' | 'icmp-truncated' | 'icmp-checksum';

/** The type and code of a destination-unreachable message. */
export function unreachableTypeCode(version: 4 | 6, kind: UnreachableKind): { type: number; code: number } {
  if (version === 4) return { type: ICMP4_DEST_UNREACHABLE, code: kind === 'host' ? ICMP4_HOST_UNREACHABLE : ICMP4_PORT_UNREACHABLE };
  return { type: ICMP6_DEST_UNREACHABLE, code: kind === 'host' ? ICMP6_ADDRESS_UNREACHABLE : ICMP6_PORT_UNREACHABLE };
}

/** Length of the message quoting `originalLength` bytes of a packet. */
export function icmpUnreachableLength(version: 4 | 6, originalLength: number): number {
  return ICMP_HEADER_LENGTH + Math.min(originalLength, version === 4 ? ICMP4_MAX_QUOTE : ICMP6_MAX_QUOTE);
}

/**
 * Writes a destination-unreachable message at `offset` of `out`, quoting the start of the IP
 * packet `original` (IPv4: up to {@link ICMP4_MAX_QUOTE} bytes, which always includes the
 * header and 8 more bytes; IPv6: up to {@link ICMP6_MAX_QUOTE}). `src` and `dst` are the
 * addresses of the ICMP packet itself, needed for the ICMPv6 pseudo-header. Returns the
 * offset just past the message.
 */
export function writeIcmpUnreachable(
  out: Uint8Array, offset: number, version: 4 | 6, kind: UnreachableKind, original: Uint8Array, src: Uint8Array, dst: Uint8Array,
): number {
  const length = icmpUnreachableLength(version, original.length);
  const { type, code } = unreachableTypeCode(version, kind);
  const message = out.subarray(offset, offset + length);
  message.fill(0, 0, ICMP_HEADER_LENGTH);
  message[0] = type;
  message[1] = code;
  message.set(original.subarray(0, length - ICMP_HEADER_LENGTH), ICMP_HEADER_LENGTH);
  const initial = version === 6 ? pseudoHeaderSumV6(src, dst, IPPROTO_ICMPV6, length) : 0;
  const checksum = checksumFromSum(sum16(message, initial));
  message[2] = checksum >> 8;
  message[3] = checksum & 0xff;
  return offset + length;
}

/** A new destination-unreachable message; see {@link writeIcmpUnreachable}. */
export function emitIcmpUnreachable(
  version: 4 | 6, kind: UnreachableKind, original: Uint8Array, src: Uint8Array, dst: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(icmpUnreachableLength(version, original.length));
  writeIcmpUnreachable(out, 0, version, kind, original, src, dst);
  return out;
}

/**
 * Reads what it can of a quoted packet: addresses, protocol, and ports/sequence if present.
 * Undefined when nothing is readable, or `bytes` is not a real Uint8Array.
 */
export function parseQuoted(bytes: Uint8Array): IcmpQuoted | undefined {
  let base: { version: 4 | 6; srcAddress: string; dstAddress: string; protocol: number };
  let transport: Uint8Array | undefined;
  const v4 = peekIpv4(bytes);
  if (v4 !== undefined) {
    base = { version: 4, srcAddress: formatIPv4(v4.src), dstAddress: formatIPv4(v4.dst), protocol: v4.protocol };
    if (v4.firstFragment) transport = v4.payload;
  } else {
    const v6 = peekIpv6(bytes);
    if (v6 === undefined) return undefined;
    base = { version: 6, srcAddress: formatIPv6(v6.src), dstAddress: formatIPv6(v6.dst), protocol: v6.nextHeader };
    transport = v6.payload;
  }
  const isTransport = base.protocol === IPPROTO_TCP || base.protocol === IPPROTO_UDP;
  if (!isTransport || transport === undefined || transport.length < 4) return base;
  const ports = { srcPort: (transport[0]! << 8) | transport[1]!, dstPort: (transport[2]! << 8) | transport[3]! };
  if (base.protocol !== IPPROTO_TCP || transport.length < 8) return { ...base, ...ports };
  const seq = ((transport[4]! << 24) | (transport[5]! << 16) | (transport[6]! << 8) | transport[7]!) >>> 0;
  return { ...base, ...ports, seq };
}

/**
 * Parses and validates an ICMP (`version` 4) or ICMPv6 (`version` 6) message: at least the
 * 8-byte header, and a correct checksum (ICMPv6 over the pseudo-header of `src` → `dst`).
 * Messages of any type are returned; error messages also get {@link IcmpParsed.original}.
 * 'not-bytes' when `input` (or, for ICMPv6, `src` or `dst`) is not a real Uint8Array.
 */
export function parseIcmp(input: Uint8Array, version: 4 | 6, src: Uint8Array, dst: Uint8Array): IcmpParsed | IcmpDropReason {
  const length = byteLength(input);
  if (length < 0) return 'not-bytes';
  if (version === 6 && (byteLength(src) < 0 || byteLength(dst) < 0)) return 'not-bytes';
  if (length < ICMP_HEADER_LENGTH) return 'icmp-truncated';
  const bytes = byteView(input, 0, length);
  const initial = version === 6 ? pseudoHeaderSumV6(src, dst, IPPROTO_ICMPV6, length) : 0;
  if (!sumIsValid(sum16(bytes, initial))) return 'icmp-checksum';
  const type = bytes[0]!;
  const body = bytes.slice(ICMP_HEADER_LENGTH);
  const rest = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
  const parsed: IcmpParsed = { type, code: bytes[1]!, rest, body };
  if (!(version === 4 ? V4_ERRORS : V6_ERRORS).has(type)) return parsed;
  const original = parseQuoted(body);
  return original === undefined ? parsed : { ...parsed, original };
}
