/**
 * Ethernet II framing (destination MAC, source MAC, EtherType, payload; no FCS, as captures
 * show it) and deterministic locally administered MAC addresses. Pure; a malformed frame
 * yields a drop reason (a string), never an exception, and so does anything that is not a
 * real Uint8Array ('not-bytes').
 */
import { byteLength, byteView } from './bytes.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Destination, source and EtherType. */
export const ETHERNET_HEADER_LENGTH = 14;
/** Shortest frame on the wire without the FCS; shorter frames are padded with zeros. */
export const ETHERNET_MIN_FRAME = 60;

/** A parsed Ethernet II frame; the byte fields are views into the parsed buffer. */
export interface EthernetFrame {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly etherType: number;
  /** Everything after the header, padding included (the IP layer knows its own length). */
  readonly payload: Uint8Array;
}

/** Why a frame was dropped. `not-bytes`: the input is not a real Uint8Array. */
export type EthernetDropReason = 'not-bytes' | 'ethernet-truncated' | 'ethernet-type';

/**
 * A locally administered unicast MAC for host number `index` (0..65535):
 * 02:00:00:00:hi:lo. The 0x02 bit of the first byte marks it locally administered, and the
 * 0x01 (group) bit stays clear.
 */
export function macForHost(index: number): Uint8Array {
  const n = Math.floor(Math.abs(index)) & 0xffff;
  return Uint8Array.of(0x02, 0, 0, 0, n >> 8, n & 0xff);
}

/**
 * A locally administered unicast MAC derived from an IP address: 02:00 followed by its last
 * four bytes (for IPv4, the whole address). Used as the default when a caller names no MAC.
 * A multicast address maps to its group MAC instead: 01:00:5e and the low 23 bits for IPv4
 * (RFC 1112), 33:33 and the low 32 bits for IPv6 (RFC 2464).
 */
export function macForAddress(address: Uint8Array): Uint8Array {
  if (address.length === 4 && (address[0]! & 0xf0) === 0xe0) return Uint8Array.of(0x01, 0x00, 0x5e, address[1]! & 0x7f, address[2]!, address[3]!);
  if (address.length === 16 && address[0] === 0xff) return Uint8Array.of(0x33, 0x33, ...address.subarray(12));
  const tail = address.subarray(Math.max(0, address.length - 4));
  const out = Uint8Array.of(0x02, 0, 0, 0, 0, 0);
  out.set(tail, 6 - tail.length);
  return out;
}

/** "aa:bb:cc:dd:ee:ff", lower case. */
export function formatMac(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Six colon- or dash-separated hex pairs → 6 bytes; anything else (any other length at once) → undefined. */
export function parseMac(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length !== 17 || !/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(text)) return undefined;
  return Uint8Array.from(text.split(/[:-]/), (h) => parseInt(h, 16));
}

/** Writes the 14-byte header at `offset` of `out`; returns the offset just past it. */
export function writeEthernetHeader(out: Uint8Array, offset: number, dst: Uint8Array, src: Uint8Array, etherType: number): number {
  out.set(dst.subarray(0, 6), offset);
  out.set(src.subarray(0, 6), offset + 6);
  out[offset + 12] = (etherType >> 8) & 0xff;
  out[offset + 13] = etherType & 0xff;
  return offset + ETHERNET_HEADER_LENGTH;
}

/**
 * A new frame around `payload`. With `pad`, frames shorter than {@link ETHERNET_MIN_FRAME}
 * are zero-padded to it, as a NIC would before sending.
 */
export function emitEthernetFrame(dst: Uint8Array, src: Uint8Array, etherType: number, payload: Uint8Array, pad = false): Uint8Array {
  const length = ETHERNET_HEADER_LENGTH + payload.length;
  const out = new Uint8Array(pad ? Math.max(length, ETHERNET_MIN_FRAME) : length);
  writeEthernetHeader(out, 0, dst, src, etherType);
  out.set(payload, ETHERNET_HEADER_LENGTH);
  return out;
}

/**
 * Parses the header; only IPv4 and IPv6 EtherTypes are accepted (VLAN tags are not supported).
 * The views returned are fresh plain Uint8Arrays over the caller's memory.
 */
export function parseEthernet(bytes: Uint8Array): EthernetFrame | EthernetDropReason {
  const length = byteLength(bytes);
  if (length < 0) return 'not-bytes';
  if (length < ETHERNET_HEADER_LENGTH) return 'ethernet-truncated';
  // Indexed reads of a real Uint8Array cannot be intercepted; views must not use its own
  // `subarray` (or `constructor`), so they come from byteView.
  const etherType = (bytes[12]! << 8) | bytes[13]!;
  if (etherType !== ETHERTYPE_IPV4 && etherType !== ETHERTYPE_IPV6) return 'ethernet-type';
  return {
    dst: byteView(bytes, 0, 6),
    src: byteView(bytes, 6, 12),
    etherType,
    payload: byteView(bytes, ETHERNET_HEADER_LENGTH, length),
  };
}
