/**
 * A TCP segment as the virtual network carries it: structured in memory, with the header
 * fields a real segment has, so a capture can later emit exact bytes for it.
 */

/** TCP header flag bits (RFC 9293 §3.1). */
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;

/** IP version of an address or a segment. */
export type IpVersion = 4 | 6;

export interface Segment {
  readonly version: IpVersion;
  /** Canonical address text (see wire/ip.ts). */
  readonly srcAddress: string;
  readonly dstAddress: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /**
   * 32-bit sequence number, held as a signed integer so that V8 keeps it a small integer
   * (an unsigned one above 2^31 would be a boxed double in every connection): the 32 bits are
   * what count; compare with seqLt/seqLe, and `>>> 0` gives the unsigned reading.
   */
  readonly seq: number;
  /** 32-bit acknowledgment number (meaningful with ACK), held like `seq`. */
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  /** Payload bytes, or null for none. */
  readonly payload: Uint8Array | null;
}

/** Sequence-space length of a segment: payload plus one for SYN and one for FIN. */
export function segmentLength(seg: Segment): number {
  let n = seg.payload === null ? 0 : seg.payload.length;
  if (seg.flags & SYN) n++;
  if (seg.flags & FIN) n++;
  return n;
}

/** a < b in 32-bit sequence space (RFC 9293 §3.4). */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** a <= b in 32-bit sequence space. */
export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** Adds to a sequence number modulo 2^32 (a signed 32-bit result, see {@link Segment.seq}). */
export function seqAdd(a: number, n: number): number {
  return (a + n) | 0;
}

/** Human-readable flags, e.g. "SYN,ACK". */
export function flagNames(flags: number): string {
  const names: string[] = [];
  if (flags & SYN) names.push('SYN');
  if (flags & FIN) names.push('FIN');
  if (flags & RST) names.push('RST');
  if (flags & PSH) names.push('PSH');
  if (flags & ACK) names.push('ACK');
  if (flags & URG) names.push('URG');
  return names.join(',');
}
