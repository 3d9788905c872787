/**
 * The TCP header (RFC 9293 §3.1) with the options of RFC 9293 (MSS), RFC 7323 (window scale,
 * timestamps) and RFC 2018 (SACK-permitted, SACK blocks). Pure; a malformed segment yields a
 * drop reason (a string), never an exception, and so does anything that is not a real
 * Uint8Array ('not-bytes').
 */
import { byteLength, byteView } from './bytes.js';
import { checksumFromSum, pseudoHeaderSum, sum16, sumIsValid } from './checksum.js';
import { IPPROTO_TCP } from './ipv4.js';

/** Flag bits of header byte 13 (URG..FIN from RFC 9293, ECE and CWR from RFC 3168). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

/** Length of the header without options. */
export const TCP_HEADER_LENGTH = 20;
/** Most option bytes a header can carry (data offset 15 × 4 − 20). */
export const TCP_MAX_OPTIONS_LENGTH = 40;

const KIND_END = 0;
const KIND_NOP = 1;
const KIND_MSS = 2;
const KIND_WS = 3;
const KIND_SACK_PERMITTED = 4;
const KIND_SACK = 5;
const KIND_TIMESTAMP = 8;

/** One SACK block: the left edge and the right edge (one past the last byte) received. */
export interface SackBlock {
  readonly left: number;
  readonly right: number;
}

/** The timestamps option: TSval and TSecr. */
export interface TcpTimestamp {
  readonly value: number;
  readonly echo: number;
}

/** The options this module understands; an absent key is an absent option. */
export interface TcpOptions {
  readonly mss?: number;
  readonly windowScale?: number;
  readonly sackPermitted?: boolean;
  readonly sack?: readonly SackBlock[];
  readonly timestamp?: TcpTimestamp;
}

/** The fields of a segment a header carries (the shape of the virtual network's Segment). */
export interface TcpSegmentFields {
  readonly srcPort: number;
  readonly dstPort: number;
  /**
   * 32-bit sequence number. The virtual network holds it as a signed integer so that V8 keeps
   * it a small integer; the 32 bits are what count (emitting writes them, `>>> 0` reads them
   * unsigned, and parsing returns the unsigned value).
   */
  readonly seq: number;
  /** 32-bit acknowledgment number (meaningful with ACK), held like `seq`. */
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  readonly payload: Uint8Array | null;
}

/** Header extras the in-memory segment does not carry. */
export interface TcpExtras {
  readonly options?: TcpOptions;
  /** Default 0. */
  readonly urgentPointer?: number;
}

/** A parsed TCP segment; `payload` is a copy, never a view into the parsed buffer. */
export interface TcpParsed extends TcpSegmentFields {
  readonly payload: Uint8Array;
  readonly urgentPointer: number;
  readonly options: TcpOptions;
  /** Header length in bytes (data offset × 4). */
  readonly headerLength: number;
}

/** Why a TCP segment was dropped. */
export type TcpDropReason = 'not-bytes' | 'tcp-truncated' | 'tcp-data-offset' | 'tcp-checksum' | 'tcp-option-length';

/**
 * Encodes options, each group padded with NOPs to a 4-byte boundary, in the order MSS,
 * SACK-permitted + timestamps, window scale, SACK blocks. SACK blocks that do not fit the
 * 40 option bytes left are left out (the first ones are kept); `sackPermitted: false` and an
 * empty `sack` emit nothing.
 */
export function encodeTcpOptions(o: TcpOptions | undefined): Uint8Array {
  const bytes: number[] = [];
  const u16 = (n: number) => bytes.push((n >>> 8) & 0xff, n & 0xff);
  const u32 = (n: number) => { u16((n >>> 16) & 0xffff); u16(n & 0xffff); };
  if (o === undefined) return new Uint8Array(0);
  if (o.mss !== undefined) { bytes.push(KIND_MSS, 4); u16(o.mss); }
  const ts = o.timestamp;
  if (o.sackPermitted === true) bytes.push(...(ts ? [KIND_SACK_PERMITTED, 2] : [KIND_NOP, KIND_NOP, KIND_SACK_PERMITTED, 2]));
  if (ts !== undefined) {
    if (o.sackPermitted !== true) bytes.push(KIND_NOP, KIND_NOP);
    bytes.push(KIND_TIMESTAMP, 10);
    u32(ts.value);
    u32(ts.echo);
  }
  if (o.windowScale !== undefined) bytes.push(KIND_NOP, KIND_WS, 3, o.windowScale & 0xff);
  const blocks = o.sack ?? [];
  const fit = Math.min(blocks.length, Math.floor((TCP_MAX_OPTIONS_LENGTH - bytes.length - 4) / 8));
  if (fit > 0) {
    bytes.push(KIND_NOP, KIND_NOP, KIND_SACK, 2 + 8 * fit);
    for (const b of blocks.slice(0, fit)) { u32(b.left); u32(b.right); }
  }
  return Uint8Array.from(bytes);
}

/** Header length (options included) that {@link writeTcpSegment} produces for these options. */
export function tcpHeaderLength(options: TcpOptions | undefined): number {
  return TCP_HEADER_LENGTH + encodeTcpOptions(options).length;
}

/**
 * Writes header, options and payload at `offset` of `out`, with the checksum over the
 * pseudo-header of `src` → `dst` (4- or 16-byte addresses). The window is clamped to 65535
 * (scaling is the caller's business). Returns the offset just past the payload.
 */
export function writeTcpSegment(
  out: Uint8Array, offset: number, seg: TcpSegmentFields, src: Uint8Array, dst: Uint8Array, extras?: TcpExtras,
): number {
  const options = encodeTcpOptions(extras?.options);
  const headerLength = TCP_HEADER_LENGTH + options.length;
  const payload = seg.payload ?? new Uint8Array(0);
  const length = headerLength + payload.length;
  const v = new DataView(out.buffer, out.byteOffset + offset, length);
  v.setUint16(0, seg.srcPort & 0xffff);
  v.setUint16(2, seg.dstPort & 0xffff);
  v.setUint32(4, seg.seq >>> 0);
  v.setUint32(8, seg.ack >>> 0);
  v.setUint8(12, (headerLength / 4) << 4);
  v.setUint8(13, seg.flags & 0xff);
  v.setUint16(14, Math.max(0, Math.min(0xffff, Math.floor(seg.window))));
  v.setUint16(16, 0);
  v.setUint16(18, (extras?.urgentPointer ?? 0) & 0xffff);
  out.set(options, offset + TCP_HEADER_LENGTH);
  out.set(payload, offset + headerLength);
  const whole = out.subarray(offset, offset + length);
  v.setUint16(16, checksumFromSum(sum16(whole, pseudoHeaderSum(src, dst, IPPROTO_TCP, length))));
  return offset + length;
}

/** A new TCP segment (header, options, payload) with its checksum. */
export function emitTcpSegment(seg: TcpSegmentFields, src: Uint8Array, dst: Uint8Array, extras?: TcpExtras): Uint8Array {
  const length = tcpHeaderLength(extras?.options) + (seg.payload?.length ?? 0);
  const out = new Uint8Array(length);
  writeTcpSegment(out, 0, seg, src, dst, extras);
  return out;
}

/**
 * Parses the options area. Returns undefined when an option's length is missing, below 2,
 * runs past the area, or is wrong for a kind with a fixed size. Unknown kinds are skipped by
 * their length; End of Option List stops the scan. Undefined, too, when `area` is not a real
 * Uint8Array.
 */
export function parseTcpOptions(area: Uint8Array): TcpOptions | undefined {
  // Indexed reads of a real Uint8Array cannot be intercepted; only its length needs the intrinsic.
  const length = byteLength(area);
  if (length < 0) return undefined;
  const o: { -readonly [K in keyof TcpOptions]: TcpOptions[K] } = {};
  const u32 = (i: number) => ((area[i]! << 24) | (area[i + 1]! << 16) | (area[i + 2]! << 8) | area[i + 3]!) >>> 0;
  let i = 0;
  while (i < length) {
    const kind = area[i]!;
    if (kind === KIND_END) break;
    if (kind === KIND_NOP) { i++; continue; }
    if (i + 1 >= length) return undefined;
    const len = area[i + 1]!;
    if (len < 2 || i + len > length) return undefined;
    switch (kind) {
      case KIND_MSS:
        if (len !== 4) return undefined;
        o.mss = (area[i + 2]! << 8) | area[i + 3]!;
        break;
      case KIND_WS:
        if (len !== 3) return undefined;
        o.windowScale = area[i + 2]!;
        break;
      case KIND_SACK_PERMITTED:
        if (len !== 2) return undefined;
        o.sackPermitted = true;
        break;
      case KIND_SACK: {
        if (len < 10 || (len - 2) % 8 !== 0) return undefined;
        const blocks: SackBlock[] = [];
        for (let j = i + 2; j < i + len; j += 8) blocks.push({ left: u32(j), right: u32(j + 4) });
        o.sack = blocks;
        break;
      }
      case KIND_TIMESTAMP:
        if (len !== 10) return undefined;
        o.timestamp = { value: u32(i + 2), echo: u32(i + 6) };
        break;
      default:
        break;
    }
    i += len;
  }
  return o;
}

/**
 * Parses and validates a TCP segment (the whole IP payload): a 20-byte header at least, a data
 * offset of 5..15 that stays inside the segment, the checksum over the pseudo-header of
 * `src` → `dst`, and well-formed options. 'not-bytes' when `input`, `src` or `dst` is not a
 * real Uint8Array.
 */
export function parseTcp(input: Uint8Array, src: Uint8Array, dst: Uint8Array): TcpParsed | TcpDropReason {
  const length = byteLength(input);
  if (length < 0 || byteLength(src) < 0 || byteLength(dst) < 0) return 'not-bytes';
  if (length < TCP_HEADER_LENGTH) return 'tcp-truncated';
  const bytes = byteView(input, 0, length);
  const headerLength = (bytes[12]! >> 4) * 4;
  if (headerLength < TCP_HEADER_LENGTH || headerLength > bytes.length) return 'tcp-data-offset';
  if (!sumIsValid(sum16(bytes, pseudoHeaderSum(src, dst, IPPROTO_TCP, bytes.length)))) return 'tcp-checksum';
  const options = parseTcpOptions(bytes.subarray(TCP_HEADER_LENGTH, headerLength));
  if (options === undefined) return 'tcp-option-length';
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return {
    srcPort: v.getUint16(0),
    dstPort: v.getUint16(2),
    seq: v.getUint32(4),
    ack: v.getUint32(8),
    flags: bytes[13]!,
    window: v.getUint16(14),
    urgentPointer: v.getUint16(18),
    options,
    headerLength,
    payload: bytes.slice(headerLength),
  };
}
