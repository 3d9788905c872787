/**
 * IP address text and bytes: parse, format (RFC 5952 for IPv6), classify. Pure; malformed
 * input gives `undefined`, never an exception: text parsers take only strings and reject text
 * longer than any address at once (before splitting or a regular expression, so a huge string
 * costs nothing), and byte input must be a real Uint8Array.
 */
import { byteLength, byteView } from './bytes.js';

/** An IP address in both forms; `text` is canonical (the form `format*` produces). */
export interface IpAddress {
  readonly version: 4 | 6;
  readonly text: string;
  readonly bytes: Uint8Array;
}

/** Longest dotted-decimal IPv4 text: 255.255.255.255. */
const IPV4_TEXT_MAX = 15;
/** Longest IPv6 text accepted: six groups of four and a dotted IPv4 (ffff:…:ffff:255.255.255.255). */
const IPV6_TEXT_MAX = 45;

const DECIMAL_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Dotted-decimal IPv4 (exactly four parts, no leading zeros) → 4 bytes. */
export function parseIPv4(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length > IPV4_TEXT_MAX) return undefined;
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!DECIMAL_OCTET.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

/** 4 bytes → dotted decimal. */
export function formatIPv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** IPv6 text (with `::` and an optional trailing dotted IPv4; no zone) → 16 bytes. */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length > IPV6_TEXT_MAX) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const all = [...head, ...tail];
  // A dotted IPv4 may only end the address.
  for (let i = 0; i < all.length - 1; i++) if (all[i]!.includes('.')) return undefined;
  const words: number[] = [];
  const push = (list: string[]): boolean => {
    for (const g of list) {
      if (g.includes('.')) {
        const v4 = parseIPv4(g);
        if (v4 === undefined) return false;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!HEX_GROUP.test(g)) return false;
        words.push(parseInt(g, 16));
      }
    }
    return true;
  };
  if (!push(head)) return undefined;
  const headWords = words.length;
  if (!push(tail)) return undefined;
  const tailWords = words.length - headWords;
  const missing = 8 - headWords - tailWords;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const out = new Uint8Array(16);
  const put = (index: number, w: number) => { out[index * 2] = w >> 8; out[index * 2 + 1] = w & 0xff; };
  for (let i = 0; i < headWords; i++) put(i, words[i]!);
  for (let i = 0; i < tailWords; i++) put(8 - tailWords + i, words[headWords + i]!);
  return out;
}

function groups(part: string): string[] | undefined {
  if (part === '') return [];
  const list = part.split(':');
  return list.some((g) => g === '') ? undefined : list;
}

/** 16 bytes → RFC 5952 text: lower case, longest run (≥ 2) of zero groups as `::`, IPv4-mapped dotted. */
export function formatIPv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${formatIPv4(bytes.subarray(12, 16))}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = (list: number[]) => list.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}

/** Either version from text; `undefined` if it is neither. */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (typeof text !== 'string' || text.length > IPV6_TEXT_MAX) return undefined;
  if (text.includes(':')) {
    const bytes = parseIPv6(text);
    return bytes === undefined ? undefined : { version: 6, text: formatIPv6(bytes), bytes };
  }
  const bytes = parseIPv4(text);
  return bytes === undefined ? undefined : { version: 4, text: formatIPv4(bytes), bytes };
}

/** 4 or 16 bytes → an address (with a copy of them); other lengths, or not a real Uint8Array → `undefined`. */
export function ipAddressFromBytes(bytes: Uint8Array): IpAddress | undefined {
  const length = byteLength(bytes);
  if (length !== 4 && length !== 16) return undefined;
  const copy = byteView(bytes, 0, length).slice();
  return length === 4 ? { version: 4, text: formatIPv4(copy), bytes: copy } : { version: 6, text: formatIPv6(copy), bytes: copy };
}

/** 0.0.0.0 or ::. */
export function isUnspecified(address: IpAddress): boolean {
  return address.bytes.every((b) => b === 0);
}

/** 127.0.0.0/8 or ::1. */
export function isLoopback(address: IpAddress): boolean {
  if (address.version === 4) return address.bytes[0] === 127;
  return address.bytes.subarray(0, 15).every((b) => b === 0) && address.bytes[15] === 1;
}
