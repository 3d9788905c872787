/**
 * sockaddr as the SPI sees it: an object `{ family, address, port }` or the C bytes of a
 * `sockaddr_in` (16) / `sockaddr_in6` (28). Layout: family u16 little-endian (host order),
 * port u16 big-endian (network order), then the IPv4 address and 8 zero bytes, or the IPv6
 * flowinfo (u32 network order), address (16) and scope id (u32 host order).
 */
import { AF_INET, AF_INET6 } from '../provider/constants.js';
import type { Endpoint } from '../provider/socket.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../wire/ip.js';
import { byteLength, byteView, isByteArray } from '../wire/bytes.js';
import { callerBytes, probe, probeAll, store } from './funnel.js';

/** A socket address as an object; `address` is IP text. */
export interface SockAddr {
  family: number;
  address: string;
  port: number;
  /** IPv6 only (sin6_flowinfo). */
  flowinfo?: number;
  /** IPv6 only (sin6_scope_id). */
  scopeId?: number;
}

/** What a `name` argument may be: an object or sockaddr bytes. */
export type SockAddrArg = SockAddr | Uint8Array;

/**
 * Where a function writes an address (WSPAccept's addr, WSPGetSockName's name, WSPRecvFrom's
 * lpFrom): sockaddr bytes at least the family's size, or an object whose fields are filled in.
 */
export type SockAddrOut = Partial<SockAddr> | Uint8Array;

export const SOCKADDR_IN_SIZE = 16;
export const SOCKADDR_IN6_SIZE = 28;

/** The C size of a family's sockaddr, or 0 for a family the provider does not know. */
export function sockAddrSize(family: number): number {
  if (family === AF_INET) return SOCKADDR_IN_SIZE;
  if (family === AF_INET6) return SOCKADDR_IN6_SIZE;
  return 0;
}

function isPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 0xffff;
}

function isU32(v: unknown): boolean {
  return v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
}

/** An object sockaddr → C bytes. Throws `TypeError` for a malformed one (this is a helper, not a WSP* call). */
export function encodeSockAddr(addr: SockAddr): Uint8Array {
  const size = sockAddrSize(addr?.family);
  const ip = addr?.family === AF_INET ? parseIPv4(addr.address) : addr?.family === AF_INET6 ? parseIPv6(addr.address) : undefined;
  if (size === 0 || ip === undefined || !isPort(addr.port) || !isU32(addr.flowinfo) || !isU32(addr.scopeId)) {
    throw new TypeError(`not a valid sockaddr: ${JSON.stringify(addr)}`);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint16(0, addr.family, true);
  view.setUint16(2, addr.port, false);
  if (addr.family === AF_INET) {
    out.set(ip, 4);
  } else {
    view.setUint32(4, addr.flowinfo ?? 0, false);
    out.set(ip, 8);
    view.setUint32(24, addr.scopeId ?? 0, true);
  }
  return out;
}

/** C bytes → an object; `undefined` if the bytes (or `length`) cannot hold a known family's sockaddr. */
export function decodeSockAddr(bytes: Uint8Array, length?: number): SockAddr | undefined {
  const total = byteLength(bytes);
  if (length === undefined) length = total;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 2 || length > total) return undefined;
  bytes = byteView(bytes, 0, length); // a clean view: the caller's object may override its accessors
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const family = view.getUint16(0, true);
  const size = sockAddrSize(family);
  if (size === 0 || length < size) return undefined;
  const port = view.getUint16(2, false);
  if (family === AF_INET) return { family, address: formatIPv4(bytes.subarray(4, 8)), port };
  return {
    family, address: formatIPv6(bytes.subarray(8, 24)), port,
    flowinfo: view.getUint32(4, false), scopeId: view.getUint32(24, true),
  };
}

/**
 * A link-local IPv6 address names an interface too (sin6_scope_id): the provider keeps it in the
 * address text, as `fe80::1%4`, so that every layer compares and stores one string. Other
 * addresses ignore the scope id (their scope is global).
 */
function withScope(address: string, scopeId: unknown): string {
  return typeof scopeId === 'number' && scopeId > 0 && Number.isInteger(scopeId) && /^fe[89ab]/i.test(address) ? `${address}%${scopeId >>> 0}` : address;
}

/** The address text and scope id of an endpoint's address (see {@link withScope}). */
export function splitScope(address: string): { address: string; scopeId: number } {
  const at = address.indexOf('%');
  return at < 0 ? { address, scopeId: 0 } : { address: address.slice(0, at), scopeId: Number(address.slice(at + 1)) >>> 0 };
}

/** Why a `name` argument could not be read: a bad pointer/length, or an unknown family. */
export type SockAddrProblem = 'fault' | 'family';

/** Reads a `name`/`namelen` pair as C would; never throws on what a caller can pass. */
export function readSockAddrArg(
  name: unknown, namelen: unknown,
): { ok: true; endpoint: Endpoint } | { ok: false; reason: SockAddrProblem } {
  if (typeof namelen !== 'number' || !Number.isInteger(namelen) || namelen < 2) return { ok: false, reason: 'fault' };
  if (isByteArray(name)) {
    const bytes = callerBytes(name, namelen);
    if (bytes === undefined) return { ok: false, reason: 'fault' };
    const family = bytes[0]! | (bytes[1]! << 8);
    if (sockAddrSize(family) === 0) return { ok: false, reason: 'family' };
    const decoded = decodeSockAddr(bytes, namelen);
    if (decoded === undefined) return { ok: false, reason: 'fault' };
    return { ok: true, endpoint: { family, address: withScope(decoded.address, decoded.scopeId), port: decoded.port } };
  }
  if (typeof name !== 'object' || name === null || Array.isArray(name)) return { ok: false, reason: 'fault' };
  const { family, address, port, scopeId } = name as Record<string, unknown>;
  if (typeof family !== 'number') return { ok: false, reason: 'fault' };
  const size = sockAddrSize(family);
  if (size === 0) return { ok: false, reason: 'family' };
  if (namelen < size || !isPort(port) || typeof address !== 'string') return { ok: false, reason: 'fault' };
  const ip = family === AF_INET ? parseIPv4(address) : parseIPv6(address);
  if (ip === undefined) return { ok: false, reason: 'fault' };
  return { ok: true, endpoint: { family, address: family === AF_INET ? formatIPv4(ip) : withScope(formatIPv6(ip), scopeId), port } };
}

const ADDR_FIELDS = ['family', 'address', 'port'] as const;
const ADDR6_FIELDS = ['family', 'address', 'port', 'flowinfo', 'scopeId'] as const;

/** Claims to be a typed array without being one (a Proxy of one, a look-alike): neither bytes nor an object to fill. */
function posesAsBytes(x: object): boolean {
  try {
    return ArrayBuffer.isView(x) || x instanceof Object.getPrototypeOf(Uint8Array);
  } catch {
    return true;
  }
}

/**
 * Whether a `name`/`namelen` out-pair can take an address of `family`, as C checks it: `namelen`
 * writable and at least the family's sockaddr size, `name` bytes that long or an object whose
 * fields can be written. Decided before the call acts; nothing is written.
 */
export function canWriteSockAddr(family: number, name: unknown, namelen: unknown): boolean {
  const size = sockAddrSize(family);
  if (size === 0 || typeof namelen !== 'object' || namelen === null) return false;
  const len = (namelen as { value?: unknown }).value;
  if (typeof len !== 'number' || !(len >= size) || !probe(namelen, 'value')) return false;
  if (isByteArray(name)) return callerBytes(name, size) !== undefined;
  if (typeof name !== 'object' || name === null || Array.isArray(name) || posesAsBytes(name)) return false;
  return probeAll(name, family === AF_INET6 ? ADDR6_FIELDS : ADDR_FIELDS);
}

/**
 * Writes an address into the caller's `name` (object or bytes) and `namelen` (`{ value }`), as C
 * does: fails (returns false, writes nothing) unless {@link canWriteSockAddr} holds; on success
 * sets `namelen.value` to the size written.
 */
export function writeSockAddrArg(addr: SockAddr, name: unknown, namelen: unknown): boolean {
  if (!canWriteSockAddr(addr.family, name, namelen)) return false;
  if (addr.family === AF_INET6 && addr.address.includes('%')) addr = { ...addr, ...splitScope(addr.address) };
  const size = sockAddrSize(addr.family);
  const bytes = isByteArray(name) ? callerBytes(name, size) : undefined;
  if (bytes !== undefined) {
    bytes.set(encodeSockAddr(addr));
  } else {
    store(name, 'family', addr.family);
    store(name, 'address', addr.address);
    store(name, 'port', addr.port);
    if (addr.family === AF_INET6) {
      store(name, 'flowinfo', addr.flowinfo ?? 0);
      store(name, 'scopeId', addr.scopeId ?? 0);
    }
  }
  store(namelen, 'value', size);
  return true;
}
