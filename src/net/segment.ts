/**
 * A TCP segment as the virtual network carries it: structured in memory, with the header
 * fields a real segment has, so a capture can later emit exact bytes for it.
 */
import type { WireSegment } from '../wire/packet.js';

/** TCP header flag bits (RFC 9293 §3.1). */
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;

/** IP version of an address or a segment. */
export type IpVersion = 4 | 6;

/** A segment in memory: the fields its header would carry (see wire/tcp.ts for their meaning). */
export type Segment = WireSegment;

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
