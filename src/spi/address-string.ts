/**
 * WSPAddressToString and WSPStringToAddress: sockaddr ⇄ text as Windows' TCP/IP provider prints
 * and parses it (ntdll's RtlIpv4StringToAddressEx / RtlIpv6StringToAddressEx in non-strict mode,
 * as Wine's protocol.c test_WSAAddressToString and test_WSAStringToAddress record Windows).
 *
 * Text forms:
 * - IPv4 `a.b.c.d`, `a.b.c.d:port` (port printed only when not 0). Parsing also takes the
 *   shortened forms `a`, `a.b`, `a.b.c` (the last part fills the remaining bytes) and each part
 *   or the port in hexadecimal (`0x1f`) or octal (`017`).
 * - IPv6 `addr`, `addr%scope`, `[addr]:port`, `[addr%scope]:port` (brackets only with a port;
 *   the scope id printed when not 0, for any address, as Windows does).
 *
 * Strings are JS strings. The out-buffer of WSPAddressToString is `{ value: string }` and its
 * length `{ value }` counts characters including the terminating NUL, as the W function counts
 * WCHARs.
 */
import { AF_INET, AF_INET6, AF_UNSPEC, SOCKET_ERROR, WSAEFAULT, WSAEINVAL } from '../provider/constants.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../wire/ip.js';
import { isByteArray } from '../wire/bytes.js';
import { callerBytes, fail, probe, store } from './funnel.js';
import { canWriteSockAddr, decodeSockAddr, sockAddrSize, splitScope, writeSockAddrArg, type SockAddr, type SockAddrOut } from './sockaddr.js';
import type { LPINT, WSAPROTOCOL_INFOW } from './types.js';

/** Where WSPAddressToString writes its text (`LPWSTR`): `value` receives the string. */
export interface LPWSTR {
  value: string;
}

/** Longest text either form can take (an IPv6 address with scope and port is 65 characters). */
const MAX_TEXT = 128;

/**
 * One number of an address or port as RtlIpv4StringToAddressEx reads it: `0x`/`0X` then at least
 * one hex digit, a leading `0` then octal digits, else decimal. Returns the value (wrapped to 32
 * bits, as the C accumulator wraps: Windows reads `0x123456789` as 0x23456789) and where it ended.
 */
function readNumber(text: string, at: number): { value: number; end: number } | undefined {
  let base = 10;
  let i = at;
  if (text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
    base = 16;
    i += 2;
  } else if (text[i] === '0') {
    base = 8;
  }
  const start = i;
  let value = 0;
  for (; i < text.length; i++) {
    const d = parseInt(text[i]!, 16);
    if (Number.isNaN(d) || d >= base) {
      // An octal or decimal number followed by a letter or digit it cannot take ("08", "1234BEEF") is no number.
      if (/[0-9a-zA-Z]/.test(text[i]!)) return undefined;
      break;
    }
    value = (value * base + d) % 0x1_0000_0000;
  }
  if (i === start) return undefined;
  return { value, end: i };
}

/** A port after `:`: a number from 1 to 65535 that ends the text (Windows refuses `:0`). */
function readPort(text: string, at: number): number | undefined {
  const n = readNumber(text, at);
  if (n === undefined || n.end !== text.length || n.value < 1 || n.value > 0xffff) return undefined;
  return n.value;
}

/** IPv4 text (with an optional port) → address bytes and port; undefined when Windows refuses it. */
export function parseIPv4String(text: string): { bytes: Uint8Array; port: number } | undefined {
  const parts: number[] = [];
  let i = 0;
  for (;;) {
    const n = readNumber(text, i);
    if (n === undefined) return undefined;
    parts.push(n.value);
    i = n.end;
    if (text[i] !== '.') break;
    if (parts.length === 4) return undefined;
    i++;
  }
  let port = 0;
  if (i < text.length) {
    if (text[i] !== ':') return undefined;
    const p = readPort(text, i + 1);
    if (p === undefined) return undefined;
    port = p;
  }
  // Every part but the last is one byte; the last fills the bytes that remain.
  const last = parts[parts.length - 1]!;
  const leading = parts.slice(0, -1);
  if (leading.some((v) => v > 0xff)) return undefined;
  const restBytes = 4 - leading.length;
  if (restBytes < 4 && last >= 2 ** (8 * restBytes)) return undefined;
  const bytes = new Uint8Array(4);
  leading.forEach((v, k) => { bytes[k] = v; });
  for (let k = 3, v = last; k >= leading.length; k--, v = Math.floor(v / 256)) bytes[k] = v % 256;
  return { bytes, port };
}

/** IPv6 text: `addr[%scope]` or `[addr[%scope]]:port` (or bracketed without a port). */
export function parseIPv6String(text: string): { bytes: Uint8Array; port: number; scopeId: number } | undefined {
  let inner = text;
  let port = 0;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    inner = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after !== '') {
      if (after[0] !== ':') return undefined;
      const p = readPort(after, 1);
      if (p === undefined) return undefined;
      port = p;
    }
  }
  let scopeId = 0;
  const pct = inner.indexOf('%');
  if (pct >= 0) {
    const scope = inner.slice(pct + 1);
    if (!/^[0-9]{1,10}$/.test(scope) || Number(scope) > 0xffffffff) return undefined;
    scopeId = Number(scope);
    inner = inner.slice(0, pct);
  }
  const bytes = parseIPv6(inner);
  return bytes === undefined ? undefined : { bytes, port, scopeId };
}

/** A sockaddr as Windows prints it (see the module comment). */
export function formatAddressString(addr: SockAddr): string {
  if (addr.family === AF_INET) return addr.port === 0 ? addr.address : `${addr.address}:${addr.port}`;
  const core = addr.scopeId ? `${addr.address}%${addr.scopeId}` : addr.address;
  return addr.port === 0 ? core : `[${core}]:${addr.port}`;
}

/** Whether `info` is one of `catalogue`'s records (the page: the provider's own WSAPROTOCOL_INFOW). */
export function isOwnProtocol(info: unknown, catalogue: readonly WSAPROTOCOL_INFOW[]): info is WSAPROTOCOL_INFOW {
  if (typeof info !== 'object' || info === null) return false;
  const { dwCatalogEntryId, ProviderId } = info as Partial<WSAPROTOCOL_INFOW>;
  return catalogue.some((p) => p.dwCatalogEntryId === dwCatalogEntryId && p.ProviderId === ProviderId);
}

/** The sockaddr WSPAddressToString is given, or undefined (WSAEINVAL: not a valid address of a known family). */
function readAddress(lpsaAddress: unknown, dwAddressLength: unknown): SockAddr | undefined {
  if (typeof dwAddressLength !== 'number' || !Number.isInteger(dwAddressLength) || dwAddressLength < 2) return undefined;
  if (isByteArray(lpsaAddress)) {
    const bytes = callerBytes(lpsaAddress, dwAddressLength);
    return bytes === undefined ? undefined : decodeSockAddr(bytes, dwAddressLength);
  }
  if (typeof lpsaAddress !== 'object' || lpsaAddress === null) return undefined;
  const { family, address, port, scopeId } = lpsaAddress as Record<string, unknown>;
  if (typeof family !== 'number' || sockAddrSize(family) === 0 || dwAddressLength < sockAddrSize(family)) return undefined;
  if (typeof address !== 'string' || typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 0xffff) return undefined;
  if (family === AF_INET) {
    const ip = parseIPv4(address);
    return ip === undefined ? undefined : { family, address: formatIPv4(ip), port };
  }
  // The provider's own endpoint text may carry a link-local scope as `fe80::1%4` (sockaddr.ts).
  const split = splitScope(address);
  const ip = parseIPv6(split.address);
  const scope = scopeId === undefined || scopeId === 0 ? split.scopeId : scopeId;
  if (ip === undefined || typeof scope !== 'number' || !Number.isInteger(scope) || scope < 0 || scope > 0xffffffff) return undefined;
  return { family, address: formatIPv6(ip), port, scopeId: scope };
}

/** WSPAddressToString's body (see ServiceProvider.WSPAddressToString). */
export function addressToString(
  catalogue: readonly WSAPROTOCOL_INFOW[], lpsaAddress: unknown, dwAddressLength: unknown, lpProtocolInfo: unknown,
  lpszAddressString: unknown, lpdwAddressStringLength: unknown, lpErrno: unknown,
): number {
  if (!isOwnProtocol(lpProtocolInfo, catalogue)) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
  // WSAAddressToString's page: a missing lpdwAddressStringLength is WSAEINVAL.
  if (typeof lpdwAddressStringLength !== 'object' || lpdwAddressStringLength === null) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
  const addr = readAddress(lpsaAddress, dwAddressLength);
  if (addr === undefined) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
  const text = formatAddressString(addr);
  const need = text.length + 1; // characters and the terminating NUL
  const have = (lpdwAddressStringLength as LPINT).value;
  if (typeof have !== 'number' || !Number.isInteger(have) || have < 0 || !probe(lpdwAddressStringLength, 'value')) {
    return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
  }
  if (have < need) {
    // The page: WSAEFAULT, and the length is updated to the size required (Wine: len 0 → 8 for "0.0.0.0").
    store(lpdwAddressStringLength, 'value', need);
    return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
  }
  if (!probe(lpszAddressString, 'value')) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
  store(lpszAddressString, 'value', text);
  store(lpdwAddressStringLength, 'value', need);
  return 0;
}

/** WSPStringToAddress's body (see ServiceProvider.WSPStringToAddress). */
export function stringToAddress(
  catalogue: readonly WSAPROTOCOL_INFOW[], AddressString: unknown, AddressFamily: unknown, lpProtocolInfo: unknown,
  lpAddress: unknown, lpAddressLength: unknown, lpErrno: unknown,
): number {
  if (!isOwnProtocol(lpProtocolInfo, catalogue)) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
  if (typeof AddressString !== 'string' || AddressString.length > MAX_TEXT) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
  // AF_UNSPEC ("unknown", the page): the family of the catalogue entry doing the conversion.
  const family = AddressFamily === AF_UNSPEC ? lpProtocolInfo.iAddressFamily : AddressFamily;
  if (family !== AF_INET && family !== AF_INET6) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
  if (typeof lpAddressLength !== 'object' || lpAddressLength === null) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
  const size = sockAddrSize(family);
  const have = (lpAddressLength as LPINT).value;
  if (typeof have !== 'number' || !Number.isInteger(have) || !probe(lpAddressLength, 'value')) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
  // The length is checked before the text (Wine: "" with length 0 is WSAEFAULT, not WSAEINVAL).
  if (have < size) {
    store(lpAddressLength, 'value', size);
    return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
  }
  if (!canWriteSockAddr(family, lpAddress, lpAddressLength)) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
  let addr: SockAddr;
  if (family === AF_INET) {
    const r = parseIPv4String(AddressString);
    if (r === undefined) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
    addr = { family, address: formatIPv4(r.bytes), port: r.port };
  } else {
    const r = parseIPv6String(AddressString);
    if (r === undefined) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
    addr = { family, address: formatIPv6(r.bytes), port: r.port, flowinfo: 0, scopeId: r.scopeId };
  }
  writeSockAddrArg(addr, lpAddress as SockAddrOut, lpAddressLength);
  return 0;
}

