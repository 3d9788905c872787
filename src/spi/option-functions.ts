/**
 * The WSP* functions of socket options and ioctls: WSPSetSockOpt, WSPGetSockOpt and WSPIoctl.
 * Option values are C bytes here; the option table lives in `provider/options.ts`.
 *
 * Lengths are handled as Windows handles them (Wine's ws2_32 tests: test_set_getsockopt,
 * test_sockopt_validity, and the ioctl tests test_fionbio, test_fionread_siocatmark,
 * test_keepalive_vals, test_unsupported_ioctls, test_get_extension_func, test_address_list_query,
 * test_get_interface_list, test_sioRoutingInterfaceQuery): see the shapes in options.ts.
 *
 * C structures that hold pointers (SOCKET_ADDRESS_LIST, CSADDR_INFO) are laid out for 32-bit
 * pointers, as SOCKET is 32 bits here, and each pointer is written as the byte offset of what it
 * points to from the start of the caller's buffer (there is no address space to point into).
 */
import {
  AF_INET, AF_INET6, BASE_PROTOCOL, FIONBIO, FIONREAD, IFF_BROADCAST, IFF_LOOPBACK, IFF_MULTICAST, IFF_UP,
  PFL_HIDDEN, PFL_MATCHES_PROTOCOL_ZERO, SIOCATMARK, SIO_ADDRESS_LIST_CHANGE, SIO_ADDRESS_LIST_QUERY,
  SIO_BASE_HANDLE, SIO_BSP_HANDLE, SIO_BSP_HANDLE_POLL, SIO_BSP_HANDLE_SELECT, SIO_ENABLE_CIRCULAR_QUEUEING,
  SIO_GET_EXTENSION_FUNCTION_POINTER, SIO_GET_INTERFACE_LIST, SIO_IDEAL_SEND_BACKLOG_QUERY, SIO_KEEPALIVE_VALS,
  SIO_ROUTING_INTERFACE_QUERY, SIO_UDP_CONNRESET, SOCKET_ERROR, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, SO_UPDATE_CONNECT_CONTEXT, SOCK_RAW, SOCK_STREAM, WSAEAFNOSUPPORT,
  WSAEFAULT, WSAEINTR, WSAEINVAL, WSAENETUNREACH, WSAENOBUFS, WSAENOTCONN, WSAENOTSOCK, WSAEOPNOTSUPP,
  WSAEWOULDBLOCK, XP1_CONNECTIONLESS, XP1_IFS_HANDLES, XP1_MESSAGE_ORIENTED, XP1_SUPPORT_BROADCAST,
  XP1_SUPPORT_MULTIPOINT,
} from '../provider/constants.js';
import { atMark, bytesReadable } from '../provider/data.js';
import {
  setKeepAliveValues, type BspState, type OptionFailure, type OptionShape, type OptionValue, type ProtocolOf,
} from '../provider/options.js';
import type { ProviderCore } from '../provider/provider.js';
import type { Endpoint, Linger } from '../provider/socket.js';
import type { IpVersion } from '../provider/transport.js';
import { parseIPv4 } from '../wire/ip.js';
import { PROVIDER_ID, protocolCatalog } from './catalog.js';
import { callerBytes, fail, finish, guard, isRef, normalizeOptName, probe, readInt, store, writeInt } from './funnel.js';
import { IoFunctions } from './io-functions.js';
import { readOverlapped } from './overlapped-args.js';
import { overlappedIoctl, type IoctlResult } from './overlapped-ioctl.js';
import { FUNCTION_POINTER_SIZE, lookupExtension } from '../extensions/function-pointers.js';
import { updateAcceptContext } from '../extensions/accept-context.js';
import { updateConnectContext } from '../extensions/connect-ex.js';
import { decodeSockAddr, encodeSockAddr, sockAddrSize, splitScope } from './sockaddr.js';
import type { LPINT, WSAOVERLAPPED, WSAOVERLAPPED_COMPLETION_ROUTINE, WSAPROTOCOL_INFOW, WSATHREADID } from './types.js';

/** sizeof(WSAPROTOCOL_INFOW): 116 bytes of fields, then szProtocol as 256 UTF-16 units. */
export const WSAPROTOCOL_INFOW_SIZE = 628;
/** sizeof(INTERFACE_INFO): iiFlags and three 24-byte sockaddr_gen. */
export const INTERFACE_INFO_SIZE = 76;
/** sizeof(CSADDR_INFO) with 32-bit pointers: two SOCKET_ADDRESS, iSocketType, iProtocol. */
export const CSADDR_INFO_SIZE = 24;
/** What SIO_IDEAL_SEND_BACKLOG_QUERY reports for a connection (Windows on loopback: 64 KiB). */
const IDEAL_SEND_BACKLOG = 0x10000;

/** A little-endian integer of the first `n` (0…4) bytes, as C reads a short value into a zeroed int. */
function readSized(bytes: Uint8Array, n: number, unsigned: boolean): number {
  let v = 0;
  for (let i = 0; i < n; i++) v |= bytes[i]! << (8 * i);
  return unsigned ? v >>> 0 : v | 0;
}

function writeSized(bytes: Uint8Array, n: number, v: number): void {
  for (let i = 0; i < n; i++) bytes[i] = (v >>> (8 * i)) & 0xff;
}

/** A C `int` argument: integers only; an unsigned 32-bit spelling (0xffffffff) is the negative int. */
function cInt(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isInteger(x) ? x | 0 : undefined;
}

/** The option value in the caller's bytes, or the error code the shape gives for this length. */
function decodeOption(shape: OptionShape, optval: unknown, optlen: unknown): { value: OptionValue } | number {
  const len = cInt(optlen);
  if (len === undefined) return WSAEFAULT;
  let n: number;
  switch (shape) {
    case 'bool': n = len < 0 ? 4 : Math.min(len, 4); break; // any length; none at all reads FALSE
    case 'byte':
      if (len < 0) return WSAENOBUFS;
      if (len === 0) return WSAEFAULT;
      n = 1;
      break;
    case 'small':
      if (len < 0) return WSAENOBUFS;
      if (len === 0) return WSAEFAULT;
      n = Math.min(len, 4);
      break;
    case 'ip-int':
      if (len < 0) return WSAENOBUFS;
      if (len < 4) return WSAEFAULT;
      n = 4;
      break;
    case 'blob':
      if (len < 0) return WSAENOBUFS;
      n = len;
      break;
    default: // SOL_SOCKET four-byte values: a negative length reads as a large one
      if (len >= 0 && len < 4) return WSAEFAULT;
      n = 4;
  }
  const bytes = callerBytes(optval, n); // also the NULL check: Windows refuses NULL even for length 0
  if (bytes === undefined) return WSAEFAULT;
  if (shape === 'linger') return { value: { onoff: bytes[0]! | (bytes[1]! << 8), seconds: bytes[2]! | (bytes[3]! << 8) } };
  if (shape === 'blob') return { value: bytes.slice() };
  return { value: readSized(bytes, n, shape !== 'int' && shape !== 'int-zeroed') };
}

function isFailure(v: OptionValue): v is OptionFailure {
  return typeof v === 'object' && 'error' in v;
}

/** GUID text → its 16 bytes (Data1, Data2, Data3 little-endian, Data4 as written). */
function guidBytes(text: string): Uint8Array {
  const hex = text.replace(/[{}-]/g, '');
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return new Uint8Array([b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.subarray(8)]);
}

/**
 * The catalogue entry describing a socket. A raw socket has none in the catalogue (raw IP is
 * not carried): it gets the record Windows' provider gives raw sockets (test_WSASocket:
 * protocol 0, iProtocolMaxOffset 255, hidden, connectionless).
 */
function protocolInfoOf(p: ProtocolOf, urgentData: boolean): WSAPROTOCOL_INFOW | undefined {
  const catalog = protocolCatalog(urgentData);
  if (p.type !== SOCK_RAW) return catalog.find((e) => e.iAddressFamily === p.af && e.iSocketType === p.type);
  const base = catalog.find((e) => e.iAddressFamily === p.af && e.iSocketType !== SOCK_STREAM);
  if (base === undefined) return undefined;
  return {
    ...base,
    dwServiceFlags1: XP1_IFS_HANDLES | XP1_SUPPORT_BROADCAST | XP1_SUPPORT_MULTIPOINT | XP1_MESSAGE_ORIENTED | XP1_CONNECTIONLESS,
    dwProviderFlags: PFL_MATCHES_PROTOCOL_ZERO | PFL_HIDDEN,
    iSocketType: SOCK_RAW,
    iProtocol: 0,
    iProtocolMaxOffset: 255,
    szProtocol: base.szProtocol.replace('[UDP/IP]', '[RAW/IP]'),
  };
}

/** A WSAPROTOCOL_INFOW as its C bytes. */
export function encodeProtocolInfo(info: WSAPROTOCOL_INFOW): Uint8Array {
  const out = new Uint8Array(WSAPROTOCOL_INFOW_SIZE);
  const v = new DataView(out.buffer);
  const u32 = (at: number, x: number) => v.setUint32(at, x >>> 0, true);
  u32(0, info.dwServiceFlags1);
  u32(4, info.dwServiceFlags2);
  u32(8, info.dwServiceFlags3);
  u32(12, info.dwServiceFlags4);
  u32(16, info.dwProviderFlags);
  out.set(guidBytes(info.ProviderId || PROVIDER_ID), 20);
  u32(36, info.dwCatalogEntryId);
  u32(40, info.ProtocolChain.ChainLen ?? BASE_PROTOCOL);
  info.ProtocolChain.ChainEntries.slice(0, 7).forEach((id, i) => u32(44 + 4 * i, id));
  u32(72, info.iVersion);
  u32(76, info.iAddressFamily);
  u32(80, info.iMaxSockAddr);
  u32(84, info.iMinSockAddr);
  u32(88, info.iSocketType);
  u32(92, info.iProtocol);
  u32(96, info.iProtocolMaxOffset);
  u32(100, info.iNetworkByteOrder);
  u32(104, info.iSecurityScheme);
  u32(108, info.dwMessageSize);
  u32(112, info.dwProviderReserved);
  const name = info.szProtocol.slice(0, 255);
  for (let i = 0; i < name.length; i++) v.setUint16(116 + 2 * i, name.charCodeAt(i), true);
  return out;
}

/** CSADDR_INFO (32-bit layout) followed by the addresses it points to. */
function encodeBspState(st: BspState): Uint8Array {
  const local = st.local === null ? null : encodeSockAddr({ ...st.local });
  const remote = st.remote === null ? null : encodeSockAddr({ ...st.remote });
  const out = new Uint8Array(CSADDR_INFO_SIZE + (local?.length ?? 0) + (remote?.length ?? 0));
  const v = new DataView(out.buffer);
  let at = CSADDR_INFO_SIZE;
  for (const [slot, addr] of [[0, local], [8, remote]] as const) {
    if (addr === null) continue;
    v.setUint32(slot, at, true);
    v.setInt32(slot + 4, addr.length, true);
    out.set(addr, at);
    at += addr.length;
  }
  v.setInt32(16, st.type, true);
  v.setInt32(20, st.protocol, true);
  return out;
}

/** How a get answers: bytes for the caller's buffer and what optlen becomes, or an error (and maybe an optlen). */
type GetPlan =
  | { write: Uint8Array; report: number | null }
  | { error: number; report?: number; zero?: number };

function planGet(shape: OptionShape, value: Exclude<OptionValue, OptionFailure>, len: number, nowMs: number, urgentData: boolean): GetPlan {
  const number = (): number => (typeof value === 'number' ? value : 0);
  const four = (x: number): Uint8Array => {
    const b = new Uint8Array(4);
    writeInt(b, x);
    return b;
  };
  switch (shape) {
    case 'bool': {
      if (len <= 0) return { error: WSAEFAULT };
      const b = new Uint8Array(Math.min(len, 4));
      writeSized(b, b.length, number());
      return { write: b, report: len >= 4 ? 4 : 1 };
    }
    case 'byte':
      if (len <= 0) return { error: WSAEFAULT };
      return { write: new Uint8Array([number() & 0xff]), report: 1 };
    case 'small':
      if (len <= 0) return { error: WSAEFAULT };
      if (len < 4) return { write: new Uint8Array([number() & 0xff]), report: 1 };
      return { write: four(number()), report: 4 };
    case 'ip-int':
      if (len < 0) return { error: WSAEFAULT };
      if (len < 4) return { error: WSAEFAULT, report: 0 };
      return { write: four(number()), report: 4 };
    case 'blob': {
      const stored = value instanceof Uint8Array ? value : new Uint8Array(0);
      if (len < 0) return { error: WSAEFAULT };
      if (len < stored.length) return { error: WSAEFAULT, report: 0 };
      return { write: stored.slice(), report: stored.length };
    }
    case 'int-zeroed':
    case 'linger': {
      if (len <= 0) return { error: WSAEFAULT };
      if (len < 4) return { error: WSAEFAULT, zero: len }; // Windows clears the short buffer first
      if (shape === 'int-zeroed') return { write: four(number()), report: 4 };
      const l = value as Linger;
      return { write: new Uint8Array([l.onoff & 0xff, (l.onoff >> 8) & 0xff, l.seconds & 0xff, (l.seconds >> 8) & 0xff]), report: 4 };
    }
    case 'connect-time': {
      if (len < 4) return { error: WSAEFAULT };
      if (typeof value === 'number') return { write: four(value), report: 4 };
      const at = (value as { connectedAtMs: number }).connectedAtMs;
      return { write: four(at >= 0 ? Math.max(0, Math.floor((nowMs - at) / 1000)) : 0), report: 4 };
    }
    case 'protocol-info': {
      // A short buffer learns the size it needs; a large enough one keeps its length (test_set_getsockopt).
      if (len < WSAPROTOCOL_INFOW_SIZE) return { error: WSAEFAULT, report: WSAPROTOCOL_INFOW_SIZE };
      const info = protocolInfoOf(value as ProtocolOf, urgentData);
      if (info === undefined) return { error: WSAEINVAL };
      return { write: encodeProtocolInfo(info), report: null };
    }
    case 'bsp-state': {
      const bytes = encodeBspState(value as BspState);
      if (len < bytes.length) return { error: WSAEFAULT };
      return { write: bytes, report: null };
    }
    default:
      if (len < 4) return { error: WSAEFAULT };
      return { write: four(number()), report: 4 };
  }
}


const done = (count: number): IoctlResult => ({ count });
const refused = (error: number, count?: number): IoctlResult => ({ error, count });

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

/** The host's unicast addresses of one IP version, loopback last. */
function hostAddresses(core: ProviderCore, version: IpVersion): string[] {
  let list = core.transport.localAddresses?.(version);
  if (list === undefined) {
    // Without the hook: the address a route to the outside leaves from, and loopback.
    const out = core.transport.sourceAddress(version, version === 4 ? '192.0.2.1' : '2001:db8::1');
    list = out === undefined ? [] : [out];
  }
  const own = [...new Set(list)].filter((a) => !isLoopback(a));
  return [...own, version === 4 ? '127.0.0.1' : '::1'];
}

/** Common base of {@link ServiceProvider}: options and ioctls (on top of the data path and readiness). */
export abstract class OptionFunctions extends IoFunctions {
  WSPSetSockOpt = (s: number, level: number, optname: number, optval: Uint8Array | null, optlen: number, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      optname = normalizeOptName(optname);
      if (level === SOL_SOCKET && optname === SO_UPDATE_ACCEPT_CONTEXT) return finish(updateAcceptContext(this.core, s, optval, optlen), lpErrno, SOCKET_ERROR, 0);
      if (level === SOL_SOCKET && optname === SO_UPDATE_CONNECT_CONTEXT) return finish(updateConnectContext(this.core, s), lpErrno, SOCKET_ERROR, 0);
      const shape = this.core.optionShape(s, level, optname);
      if (typeof shape === 'number') return fail(lpErrno, -shape, SOCKET_ERROR);
      const decoded = decodeOption(shape as OptionShape, optval, optlen);
      if (typeof decoded === 'number') return fail(lpErrno, decoded, SOCKET_ERROR);
      return finish(this.core.setOption(s, level, optname, decoded.value), lpErrno, SOCKET_ERROR, 0);
    });

  WSPGetSockOpt = (s: number, level: number, optname: number, optval: Uint8Array | null, optlen: LPINT, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      const got = this.core.getOption(s, level, normalizeOptName(optname));
      if (typeof got === 'number') return fail(lpErrno, -got, SOCKET_ERROR);
      if (!isRef(optlen) || !probe(optlen, 'value')) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      const len = cInt(optlen.value);
      if (len === undefined) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      const value = got.value;
      if (isFailure(value)) return fail(lpErrno, value.error, SOCKET_ERROR);
      const plan = planGet(got.shape as OptionShape, value, len, this.core.nowMs(), this.core.transport.urgentData === true);
      if ('error' in plan) {
        if (plan.zero !== undefined) callerBytes(optval, plan.zero)?.fill(0);
        if (plan.report !== undefined) store(optlen, 'value', plan.report);
        return fail(lpErrno, plan.error, SOCKET_ERROR);
      }
      const out = callerBytes(optval, plan.write.length);
      if (out === undefined) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      out.set(plan.write);
      if (plan.report !== null) store(optlen, 'value', plan.report);
      return 0;
    });

  WSPIoctl = (
    s: number, dwIoControlCode: number, lpvInBuffer: Uint8Array | null, cbInBuffer: number,
    lpvOutBuffer: Uint8Array | null, cbOutBuffer: number, lpcbBytesReturned: LPINT,
    lpOverlapped: WSAOVERLAPPED | null, lpCompletionRoutine: WSAOVERLAPPED_COMPLETION_ROUTINE | null, lpThreadId: WSATHREADID | null, lpErrno: LPINT,
  ): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      const sock = this.core.lookup(s);
      if (sock === undefined) return fail(lpErrno, WSAENOTSOCK, SOCKET_ERROR);
      // A completion routine without an OVERLAPPED is ignored, as for the transfer functions.
      const ovl = readOverlapped(lpOverlapped, lpCompletionRoutine, lpThreadId);
      if (typeof ovl === 'number') return fail(lpErrno, ovl, SOCKET_ERROR);
      if (typeof dwIoControlCode !== 'number' || !Number.isInteger(dwIoControlCode)) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      // The count is required, whatever the code, with an OVERLAPPED or without (WSAEFAULT on Windows [80, 81]).
      if (!isRef(lpcbBytesReturned) || !probe(lpcbBytesReturned, 'value')) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      const code = dwIoControlCode >>> 0;
      const run = () => this.ioctl(s, code, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer);
      if (ovl !== null) return overlappedIoctl(this, sock, code, ovl, run, lpcbBytesReturned, lpErrno);
      const r = run();
      if ('error' in r) {
        if (r.count !== undefined) store(lpcbBytesReturned, 'value', r.count);
        return fail(lpErrno, r.error, SOCKET_ERROR);
      }
      store(lpcbBytesReturned, 'value', r.count);
      return 0;
    });

  /** One ioctl, arguments as the caller gave them; lpcbBytesReturned is the caller's to write. */
  private ioctl(s: number, code: number, inBuf: unknown, cbIn: unknown, outBuf: unknown, cbOut: unknown): IoctlResult {
    const inLen = cInt(cbIn) ?? -1;
    const outLen = cInt(cbOut) ?? -1;
    const input = (n: number) => (inLen >= n ? callerBytes(inBuf, n) : undefined);
    const output = (n: number) => (outLen >= n ? callerBytes(outBuf, n) : undefined);
    const core = this.core;
    switch (code) {
      case FIONBIO:
      case SIO_UDP_CONNRESET: {
        const arg = input(4);
        if (arg === undefined) return refused(WSAEFAULT, 0);
        const on = readInt(arg, true) !== 0;
        const r = code === FIONBIO ? core.setNonBlocking(s, on) : core.setUdpConnReset(s, on);
        return r < 0 ? refused(-r, 0) : done(0);
      }
      case FIONREAD:
      case SIOCATMARK: {
        const sock = core.enter(s, true);
        if (typeof sock === 'number') return refused(-sock, 0);
        const out = output(4);
        if (out === undefined) return refused(WSAEFAULT);
        // SIOCATMARK: TRUE unless urgent data waits to be read (Wine's test_fionread_siocatmark).
        const r = code === FIONREAD ? bytesReadable(core, s) : atMark(core, s);
        if (r < 0) return refused(-r, 0);
        writeInt(out, r);
        return done(4);
      }
      case SIO_KEEPALIVE_VALS: {
        const sock = core.enter(s);
        if (typeof sock === 'number') return refused(-sock, 0);
        const arg = input(12); // struct tcp_keepalive { onoff, keepalivetime, keepaliveinterval }
        if (arg === undefined) return refused(WSAEFAULT, 0);
        if (sock.type !== SOCK_STREAM) return refused(WSAEOPNOTSUPP, 0);
        setKeepAliveValues(sock, readInt(arg, true) !== 0, readInt(arg.subarray(4), true), readInt(arg.subarray(8), true));
        core.changed(sock);
        return done(0);
      }
      case SIO_BASE_HANDLE:
      case SIO_BSP_HANDLE:
      case SIO_BSP_HANDLE_SELECT:
      case SIO_BSP_HANDLE_POLL: {
        // No layered provider sits above this one: the base handle is the socket itself.
        const sock = core.enter(s, true);
        if (typeof sock === 'number') return refused(-sock, 0);
        const out = output(4);
        if (out === undefined) return refused(WSAEFAULT);
        writeInt(out, sock.handle);
        return done(4);
      }
      case SIO_GET_EXTENSION_FUNCTION_POINTER: {
        const sock = core.enter(s, true);
        if (typeof sock === 'number') return refused(-sock, 0);
        const fn = lookupExtension(this, inBuf, inLen);
        if (typeof fn === 'number') return refused(fn);
        // The pointer goes to `lpvOutBuffer.value` (src/extensions/function-pointers.ts); the
        // buffer must have room for a pointer, as in C.
        if (outLen < FUNCTION_POINTER_SIZE || !probe(outBuf, 'value')) return refused(WSAEFAULT);
        store(outBuf, 'value', fn);
        return done(FUNCTION_POINTER_SIZE);
      }
      case SIO_ADDRESS_LIST_QUERY:
        return this.addressList(s, outBuf, outLen);
      case SIO_GET_INTERFACE_LIST:
        return this.interfaceList(s, outBuf, outLen);
      case SIO_ROUTING_INTERFACE_QUERY:
        return this.routingInterface(s, inBuf, inLen, outBuf, outLen);
      case SIO_IDEAL_SEND_BACKLOG_QUERY: {
        const sock = core.enter(s, true);
        if (typeof sock === 'number') return refused(-sock, 0);
        if (sock.type !== SOCK_STREAM) return refused(WSAEOPNOTSUPP);
        if (sock.phase !== 'connected') return refused(WSAENOTCONN);
        const out = output(4);
        if (out === undefined) return refused(WSAEFAULT);
        writeInt(out, IDEAL_SEND_BACKLOG);
        return done(4);
      }
      case SIO_ENABLE_CIRCULAR_QUEUEING: {
        // Accepted: a full receive queue here never drops the newest datagram anyway.
        const sock = core.enter(s);
        return typeof sock === 'number' ? refused(-sock, 0) : done(0);
      }
      case SIO_ADDRESS_LIST_CHANGE: {
        // The address list of these networks never changes: a non-blocking socket is told to come
        // back later, a blocking one waits until nothing is left that could ever complete it.
        const sock = core.enter(s);
        if (typeof sock === 'number') return refused(-sock, 0);
        if (sock.nonBlocking) return refused(WSAEWOULDBLOCK, 0);
        return refused(core.transport.block(() => false) === 'unsupported' ? WSAEWOULDBLOCK : WSAEINTR, 0);
      }
      default: {
        // Windows answers an ioctl it does not know (or FIOASYNC, SIO_FLUSH) with WSAEOPNOTSUPP.
        const sock = core.enter(s, true);
        return refused(typeof sock === 'number' ? -sock : WSAEOPNOTSUPP, 0);
      }
    }
  }

  /** SIO_ADDRESS_LIST_QUERY: SOCKET_ADDRESS_LIST of the host's addresses of the socket's family (no loopback). */
  private addressList(s: number, outBuf: unknown, outLen: number): IoctlResult {
    const sock = this.core.enter(s, true);
    if (typeof sock === 'number') return refused(-sock, 0);
    const addrs = hostAddresses(this.core, sock.version).filter((a) => !isLoopback(a))
      .map((address) => encodeSockAddr({ family: sock.af, ...splitScope(address), port: 0 }));
    const head = 4 + 8 * addrs.length;
    const needed = head + addrs.reduce((n, a) => n + a.length, 0);
    if (outLen > 0 && outLen < 4) return refused(WSAEINVAL, 0);
    const out = outLen >= needed ? callerBytes(outBuf, needed) : undefined;
    if (out === undefined) return refused(WSAEFAULT, needed); // the caller learns the size it needs
    const v = new DataView(out.buffer, out.byteOffset, needed);
    v.setInt32(0, addrs.length, true);
    let at = head;
    addrs.forEach((a, i) => {
      v.setUint32(4 + 8 * i, at, true);
      v.setInt32(8 + 8 * i, a.length, true);
      out.set(a, at);
      at += a.length;
    });
    return done(needed);
  }

  /** SIO_GET_INTERFACE_LIST: an INTERFACE_INFO per IPv4 address of the host, loopback included. */
  private interfaceList(s: number, outBuf: unknown, outLen: number): IoctlResult {
    const sock = this.core.enter(s, true);
    if (typeof sock === 'number') return refused(-sock, 0);
    const addrs = hostAddresses(this.core, 4);
    const needed = INTERFACE_INFO_SIZE * addrs.length;
    const out = outLen >= needed ? callerBytes(outBuf, needed) : undefined;
    if (out === undefined) return refused(WSAEFAULT, 0);
    out.fill(0);
    const v = new DataView(out.buffer, out.byteOffset, needed);
    addrs.forEach((address, i) => {
      const base = i * INTERFACE_INFO_SIZE;
      const ip = parseIPv4(address) ?? new Uint8Array(4);
      const loop = isLoopback(address);
      const mask = loop ? [255, 0, 0, 0] : [255, 255, 255, 0];
      v.setUint32(base, IFF_UP | IFF_MULTICAST | (loop ? IFF_LOOPBACK : IFF_BROADCAST), true);
      const put = (slot: number, bytes: ArrayLike<number>) => {
        v.setUint16(base + 4 + 24 * slot, AF_INET, true);
        out.set(bytes, base + 4 + 24 * slot + 4);
      };
      put(0, ip);
      put(1, mask);
      if (!loop) put(2, ip.map((b, k) => b | (~mask[k]! & 0xff)));
    });
    return done(needed);
  }

  /** SIO_ROUTING_INTERFACE_QUERY: the local address a packet to the given one leaves from. */
  private routingInterface(s: number, inBuf: unknown, inLen: number, outBuf: unknown, outLen: number): IoctlResult {
    const sock = this.core.enter(s, true);
    if (typeof sock === 'number') return refused(-sock, 0);
    const raw = inLen >= 16 ? callerBytes(inBuf, inLen) : undefined;
    if (raw === undefined) return refused(WSAEINVAL);
    const family = raw[0]! | (raw[1]! << 8);
    const size = sockAddrSize(family);
    if (size === 0) return refused(WSAEAFNOSUPPORT);
    const to = inLen >= size ? decodeSockAddr(raw, size) : undefined;
    if (to === undefined || to.address === '0.0.0.0' || to.address === '::') return refused(WSAEINVAL);
    const version: IpVersion = family === AF_INET6 ? 6 : 4;
    const source = this.core.transport.sourceAddress(version, to.address);
    if (source === undefined) return refused(WSAENETUNREACH);
    const from: Endpoint = { family, address: source, port: 0 };
    if (outBuf === null || outBuf === undefined) return refused(WSAEFAULT);
    if (outLen < size) return refused(WSAEFAULT, size);
    const out = callerBytes(outBuf, size);
    if (out === undefined) return refused(WSAEFAULT);
    out.set(encodeSockAddr(from));
    return done(size);
  }
}
