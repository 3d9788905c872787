/**
 * DNS messages (RFC 1035): parse and emit the subset the virtual network's DNS speaks — one
 * question, A / AAAA / PTR answers, RCODEs. Pure; malformed input gives `undefined`, never an
 * exception: lengths are checked before every read and compression pointers may only point back.
 */
import { byteLength, byteView } from './bytes.js';

export const DNS_TYPE_A = 1;
export const DNS_TYPE_PTR = 12;
export const DNS_TYPE_AAAA = 28;
export const DNS_CLASS_IN = 1;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_REFUSED = 5;

/** A resource record; `data` is the RDATA (4 or 16 address bytes, or an encoded name for PTR). */
export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly data: Uint8Array;
}

/** A message as this codec sees it. */
export interface DnsMessage {
  readonly id: number;
  /** QR: true for a response. */
  readonly response: boolean;
  readonly rcode: number;
  /** The (first) question. */
  readonly question: { readonly name: string; readonly type: number } | undefined;
  readonly answers: readonly DnsRecord[];
}

const MAX_MESSAGE = 512;
const MAX_NAME = 255;

function encodeName(name: string): number[] | undefined {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  const out: number[] = [];
  if (n.length > 0) {
    for (const label of n.split('.')) {
      if (label.length === 0 || label.length > 63) return undefined;
      out.push(label.length);
      for (let i = 0; i < label.length; i++) {
        const c = label.charCodeAt(i);
        if (c > 0x7e || c < 0x21) return undefined;
        out.push(c);
      }
    }
  }
  out.push(0);
  return out.length > MAX_NAME ? undefined : out;
}

/** Encodes a name as RDATA (for PTR). Undefined if it is not one. */
export function encodeDnsName(name: string): Uint8Array | undefined {
  const n = encodeName(name);
  return n === undefined ? undefined : Uint8Array.from(n);
}

/** Emits a message; undefined when a name cannot be encoded or it would pass 512 bytes. */
export function encodeDnsMessage(m: DnsMessage): Uint8Array | undefined {
  const out: number[] = [];
  const u16 = (v: number) => out.push((v >>> 8) & 0xff, v & 0xff);
  u16(m.id & 0xffff);
  // QR, opcode 0, AA on responses, RD always, RA on responses, RCODE.
  u16((m.response ? 0x8400 | 0x0080 : 0) | 0x0100 | (m.rcode & 0xf));
  u16(m.question === undefined ? 0 : 1);
  u16(m.answers.length);
  u16(0);
  u16(0);
  if (m.question !== undefined) {
    const q = encodeName(m.question.name);
    if (q === undefined) return undefined;
    out.push(...q);
    u16(m.question.type);
    u16(DNS_CLASS_IN);
  }
  for (const a of m.answers) {
    const n = encodeName(a.name);
    if (n === undefined) return undefined;
    out.push(...n);
    u16(a.type);
    u16(DNS_CLASS_IN);
    u16((a.ttl >>> 16) & 0xffff);
    u16(a.ttl & 0xffff);
    u16(a.data.length);
    for (const b of a.data) out.push(b);
  }
  return out.length > MAX_MESSAGE ? undefined : Uint8Array.from(out);
}

/** Reads a (possibly compressed) name at `at`; its text and where the bytes after it start. */
function readName(b: Uint8Array, at: number): { name: string; next: number } | undefined {
  const labels: string[] = [];
  let pos = at;
  let next = -1;
  let length = 0;
  let jumps = 0;
  for (;;) {
    if (pos >= b.length) return undefined;
    const len = b[pos]!;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= b.length) return undefined;
      const target = ((len & 0x3f) << 8) | b[pos + 1]!;
      if (target >= pos || ++jumps > 32) return undefined; // only backwards: no loops
      if (next < 0) next = pos + 2;
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0 || pos + 1 + len > b.length) return undefined;
    length += len + 1;
    if (length > MAX_NAME) return undefined;
    let label = '';
    for (let i = 0; i < len; i++) label += String.fromCharCode(b[pos + 1 + i]!);
    labels.push(label);
    pos += 1 + len;
  }
  return { name: labels.join('.'), next };
}

/** Parses a message; undefined if it is malformed (truncated, bad pointers, more than one question). */
export function parseDnsMessage(bytes: Uint8Array): DnsMessage | undefined {
  const total = byteLength(bytes);
  if (total < 12 || total > 65535) return undefined;
  const b = byteView(bytes, 0, total);
  const u16 = (at: number) => (b[at]! << 8) | b[at + 1]!;
  const id = u16(0);
  const flags = u16(2);
  const qd = u16(4);
  const an = u16(6);
  if (qd > 1 || ((flags >>> 11) & 0xf) !== 0) return undefined;
  let pos = 12;
  let question: DnsMessage['question'];
  if (qd === 1) {
    const n = readName(b, pos);
    if (n === undefined || n.next + 4 > total) return undefined;
    question = { name: n.name, type: u16(n.next) };
    if (u16(n.next + 2) !== DNS_CLASS_IN) return undefined;
    pos = n.next + 4;
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < an; i++) {
    const n = readName(b, pos);
    if (n === undefined || n.next + 10 > total) return undefined;
    const type = u16(n.next);
    const ttl = ((u16(n.next + 4) << 16) | u16(n.next + 6)) >>> 0;
    const rdlength = u16(n.next + 8);
    const start = n.next + 10;
    if (start + rdlength > total) return undefined;
    let data: Uint8Array = b.slice(start, start + rdlength);
    if (type === DNS_TYPE_A && rdlength !== 4) return undefined;
    if (type === DNS_TYPE_AAAA && rdlength !== 16) return undefined;
    if (type === DNS_TYPE_PTR) {
      // A PTR's name may be compressed: store it expanded.
      const target = readName(b, start);
      if (target === undefined || target.next > start + rdlength) return undefined;
      const expanded = encodeDnsName(target.name);
      if (expanded === undefined) return undefined;
      data = expanded;
    }
    answers.push({ name: n.name, type, ttl, data });
    pos = start + rdlength;
  }
  return { id, response: (flags & 0x8000) !== 0, rcode: flags & 0xf, question, answers };
}

/** The text of a PTR's RDATA (an encoded name). */
export function decodeDnsName(data: Uint8Array): string | undefined {
  return readName(byteView(data, 0, byteLength(data)), 0)?.name;
}

/** The reverse-lookup name of an address: `4.3.2.1.in-addr.arpa` or the nibbles of `ip6.arpa`. */
export function reverseName(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${[...bytes].reverse().join('.')}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (let i = bytes.length - 1; i >= 0; i--) nibbles.push((bytes[i]! & 0xf).toString(16), (bytes[i]! >>> 4).toString(16));
  return `${nibbles.join('.')}.ip6.arpa`;
}
