/**
 * sockaddr as the SPI sees it: an object `{ family, address, port }` or the C bytes of a
 * `sockaddr_in` (16) / `sockaddr_in6` (28). Layout: family u16 little-endian (host order),
 * port u16 big-endian (network order), then the IPv4 address and 8 zero bytes, or the IPv6
 * flowinfo (u32 network order), address (16) and scope id (u32 host order).
 */
import { AF_INET, AF_INET6 } from '../provider/constants.js';
import type { Endpoint } from '../provider/socket.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../wire/ip.js';

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
export function decodeSockAddr(bytes: Uint8Array, length: number = bytes.length): SockAddr | undefined {
  if (!(bytes instanceof Uint8Array) || typeof length !== 'number' || length < 2 || length > bytes.length) return undefined;
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

/** Why a `name` argument could not be read: a bad pointer/length, or an unknown family. */
export type SockAddrProblem = 'fault' | 'family';

/** Reads a `name`/`namelen` pair as C would; never throws on what a caller can pass. */
export function readSockAddrArg(
  name: unknown, namelen: unknown,
): { ok: true; endpoint: Endpoint } | { ok: false; reason: SockAddrProblem } {
  if (typeof namelen !== 'number' || !Number.isInteger(namelen) || namelen < 2) return { ok: false, reason: 'fault' };
  if (name instanceof Uint8Array) {
    if (namelen > name.length) return { ok: false, reason: 'fault' };
    const family = name[0]! | (name[1]! << 8);
    if (sockAddrSize(family) === 0) return { ok: false, reason: 'family' };
    const decoded = decodeSockAddr(name, namelen);
    if (decoded === undefined) return { ok: false, reason: 'fault' };
    return { ok: true, endpoint: { family, address: decoded.address, port: decoded.port } };
  }
  if (typeof name !== 'object' || name === null || Array.isArray(name)) return { ok: false, reason: 'fault' };
  const { family, address, port } = name as Record<string, unknown>;
  if (typeof family !== 'number') return { ok: false, reason: 'fault' };
  const size = sockAddrSize(family);
  if (size === 0) return { ok: false, reason: 'family' };
  if (namelen < size || !isPort(port) || typeof address !== 'string') return { ok: false, reason: 'fault' };
  const ip = family === AF_INET ? parseIPv4(address) : parseIPv6(address);
  if (ip === undefined) return { ok: false, reason: 'fault' };
  return { ok: true, endpoint: { family, address: family === AF_INET ? formatIPv4(ip) : formatIPv6(ip), port } };
}

/**
 * Writes an address into the caller's `name` (object or bytes) and `namelen` (`{ value }`), as C
 * does: fails (returns false, writes nothing) when `namelen` is missing or smaller than the
 * family's sockaddr; on success sets `namelen.value` to the size written.
 */
export function writeSockAddrArg(addr: SockAddr, name: unknown, namelen: unknown): boolean {
  if (typeof namelen !== 'object' || namelen === null) return false;
  const len = (namelen as { value?: unknown }).value;
  const size = sockAddrSize(addr.family);
  if (typeof len !== 'number' || !(len >= size)) return false;
  if (name instanceof Uint8Array) {
    if (name.length < size) return false;
    name.set(encodeSockAddr(addr));
  } else if (typeof name === 'object' && name !== null && !Array.isArray(name)) {
    const out = name as SockAddr;
    out.family = addr.family;
    out.address = addr.address;
    out.port = addr.port;
    if (addr.family === AF_INET6) {
      out.flowinfo = addr.flowinfo ?? 0;
      out.scopeId = addr.scopeId ?? 0;
    }
  } else {
    return false;
  }
  (namelen as { value: number }).value = size;
  return true;
}
