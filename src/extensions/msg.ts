/**
 * WSARecvMsg and WSASendMsg (mswsock.h), as SIO_GET_EXTENSION_FUNCTION_POINTER hands them out:
 * datagram receives and sends described by a WSAMSG, with control data. The transfers are the
 * data path's (provider/data.ts), overlapped ones the engine WSPRecv and WSPSend use.
 *
 * What Windows does (Wine's test_ip_pktinfo, test_ipv4_cmsg, test_ipv6_cmsg, test_WSASendMsg):
 * a null WSAMSG is WSAEFAULT; with IP_PKTINFO (IPV6_PKTINFO) set, each datagram comes with an
 * in_pktinfo (in6_pktinfo) record naming the address it was sent to; a control buffer too small
 * for it sets MSG_CTRUNC and the call reports WSAEMSGSIZE (an overlapped one completes with
 * STATUS_BUFFER_OVERFLOW, its routine seeing WSAEMSGSIZE and flags 0, and the call pends even
 * with the datagram already there); WSASendMsg sends the buffers to `name`, binding an unbound
 * socket, and refuses a stream socket with WSAEINVAL. docs/overlapped.md, "WSARecvMsg and
 * WSASendMsg", has the rest and the decisions.
 */
import {
  AF_INET6, IPPROTO_IP, IPPROTO_IPV6, IP_PKTINFO, IPV6_PKTINFO, MSG_BCAST, MSG_CTRUNC, MSG_MCAST, MSG_PEEK,
  MSG_TRUNC, SOCK_STREAM, SOCKET_ERROR, STATUS_BUFFER_OVERFLOW, STATUS_SUCCESS, WSAEAFNOSUPPORT, WSAEFAULT, WSAEINVAL,
  WSAEMSGSIZE, WSAENOTSOCK, WSA_IO_PENDING,
} from '../provider/constants.js';
import * as data from '../provider/data.js';
import { isMulticastAddress } from '../provider/multicast-options.js';
import type { Completion } from '../provider/overlapped.js';
import type { Endpoint, Socket } from '../provider/socket.js';
import { v4Mapped } from '../provider/transport.js';
import { callerBytes, fail, probe, store } from '../spi/funnel.js';
import { given, readOverlapped, type OverlappedArgs } from '../spi/overlapped-args.js';
import { canWriteSockAddr, readSockAddrArg, splitScope, writeSockAddrArg } from '../spi/sockaddr.js';
import type { LPINT, WSAMSG, WSAOVERLAPPED, WSAOVERLAPPED_COMPLETION_ROUTINE } from '../spi/types.js';
import { parseIPv4, parseIPv6 } from '../wire/ip.js';
import { readBuffers } from '../spi/wsabuf.js';
import type { ExtensionHost } from './accept-ex.js';
import { startOverlapped } from './overlapped-op.js';

/**
 * LPFN_WSARECVMSG with a trailing lpErrno (the C function reports through WSAGetLastError).
 * Returns 0 or SOCKET_ERROR, as WSARecv does.
 */
export type WSARecvMsgFn = (
  s: number, lpMsg: WSAMSG | null, lpdwNumberOfBytesRecvd: LPINT | null, lpOverlapped: WSAOVERLAPPED | null,
  lpCompletionRoutine: WSAOVERLAPPED_COMPLETION_ROUTINE | null, lpErrno?: LPINT | null,
) => number;

/**
 * LPFN_WSASENDMSG with a trailing lpErrno (the C function reports through WSAGetLastError).
 * Returns 0 or SOCKET_ERROR, as WSASend does.
 */
export type WSASendMsgFn = (
  s: number, lpMsg: WSAMSG | null, dwFlags: number, lpNumberOfBytesSent: LPINT | null, lpOverlapped: WSAOVERLAPPED | null,
  lpCompletionRoutine: WSAOVERLAPPED_COMPLETION_ROUTINE | null, lpErrno?: LPINT | null,
) => number;

// ---- control data (WSACMSGHDR records) -------------------------------------------------------

/**
 * sizeof(WSACMSGHDR) as laid out here: cmsg_len is a SIZE_T, 4 bytes with the 32-bit pointers
 * this provider's C structures use (FUNCTION_POINTER_SIZE), then cmsg_level and cmsg_type (INT).
 */
export const WSACMSGHDR_SIZE = 12;

/** WSA_CMSG_ALIGN: to the alignment of WSACMSGHDR, which is its SIZE_T's (4 here). */
export function WSA_CMSG_ALIGN(length: number): number {
  return (length + 3) & ~3;
}

/** WSA_CMSG_SPACE: the bytes a record with `length` bytes of data takes, padding included. */
export function WSA_CMSG_SPACE(length: number): number {
  return WSACMSGHDR_SIZE + WSA_CMSG_ALIGN(length);
}

/** WSA_CMSG_LEN: cmsg_len of a record with `length` bytes of data (no trailing padding). */
export function WSA_CMSG_LEN(length: number): number {
  return WSACMSGHDR_SIZE + length;
}

/** One control record, decoded: level, type and the data's bytes (a view into the buffer). */
export interface ControlRecord {
  readonly level: number;
  readonly type: number;
  readonly data: Uint8Array;
}

/** Reads the WSACMSGHDR records of a control buffer (WSA_CMSG_FIRSTHDR / WSA_CMSG_NXTHDR), stopping at one that does not fit. */
export function readControl(buf: Uint8Array, len = buf.length): ControlRecord[] {
  const out: ControlRecord[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, Math.min(len, buf.length));
  for (let at = 0; at + WSACMSGHDR_SIZE <= view.byteLength;) {
    const cmsgLen = view.getUint32(at, true);
    if (cmsgLen < WSACMSGHDR_SIZE || at + cmsgLen > view.byteLength) break;
    out.push({
      level: view.getInt32(at + 4, true), type: view.getInt32(at + 8, true),
      data: buf.subarray(at + WSACMSGHDR_SIZE, at + cmsgLen),
    });
    at += WSA_CMSG_ALIGN(cmsgLen);
  }
  return out;
}

/**
 * The records WSARecvMsg writes for one datagram, as [level, type, data]. No destination: a
 * unicast datagram that arrived while neither option was on (data.ts keeps it only then), so
 * none — the option must be on at arrival and at the receive (docs/overlapped.md).
 */
function controlFor(host: ExtensionHost, sock: Socket, destination: string | undefined): [number, number, Uint8Array][] {
  if (destination === undefined) return [];
  const out: [number, number, Uint8Array][] = [];
  const on = (level: number, name: number): boolean => {
    const r = host.core.getOption(sock.handle, level, name);
    return typeof r !== 'number' && r.value === 1;
  };
  const plain = splitScope(destination).address;
  const v4 = plain.includes(':') ? v4Mapped(plain) : plain;
  const index = (version: 4 | 6, address: string): number => host.core.transport.interfaceIndex?.(version, address) ?? 0;
  // in_pktinfo: ipi_addr (4 bytes, network order), ipi_ifindex (ULONG).
  if (v4 !== undefined && on(IPPROTO_IP, IP_PKTINFO)) {
    const rec = new Uint8Array(8);
    rec.set(parseIPv4(v4) ?? new Uint8Array(4));
    new DataView(rec.buffer).setUint32(4, index(4, v4), true);
    out.push([IPPROTO_IP, IP_PKTINFO, rec]);
  }
  // in6_pktinfo: ipi6_addr (16 bytes), ipi6_ifindex (ULONG); an IPv4 destination v4-mapped.
  if (sock.af === AF_INET6 && on(IPPROTO_IPV6, IPV6_PKTINFO)) {
    const rec = new Uint8Array(20);
    rec.set(parseIPv6(v4 !== undefined ? `::ffff:${v4}` : plain) ?? new Uint8Array(16));
    new DataView(rec.buffer).setUint32(16, index(v4 !== undefined ? 4 : 6, v4 ?? plain), true);
    out.push([IPPROTO_IPV6, IPV6_PKTINFO, rec]);
  }
  return out;
}

/**
 * Writes the records into the caller's control buffer, each whole or not at all. Returns the
 * bytes written and whether any record was left out (MSG_CTRUNC).
 */
function writeControl(records: [number, number, Uint8Array][], buf: Uint8Array | undefined): { length: number; truncated: boolean } {
  let at = 0;
  let truncated = false;
  for (const [level, type, bytes] of records) {
    const space = WSA_CMSG_SPACE(bytes.length);
    if (buf === undefined || at + WSA_CMSG_LEN(bytes.length) > buf.length) {
      truncated = true;
      continue;
    }
    const view = new DataView(buf.buffer, buf.byteOffset + at, Math.min(space, buf.length - at));
    view.setUint32(0, WSA_CMSG_LEN(bytes.length), true);
    view.setInt32(4, level, true);
    view.setInt32(8, type, true);
    buf.set(bytes, at + WSACMSGHDR_SIZE);
    at = Math.min(at + space, buf.length);
  }
  return { length: at, truncated };
}

// ---- the caller's WSAMSG --------------------------------------------------------------------

/** A WSAMSG read and checked before a call acts. */
interface Msg {
  readonly msg: WSAMSG;
  /** msg.Control as read at the call (written back through this object). */
  readonly ctl: object;
  readonly buffers: Uint8Array[];
  /** The control buffer (absent: none, length 0). */
  readonly control: Uint8Array | undefined;
  readonly name: unknown;
  readonly namelen: number;
}

const MSG_FIELDS = ['name', 'namelen', 'lpBuffers', 'dwBufferCount', 'Control', 'dwFlags'] as const;

/** A DWORD argument, or undefined. */
function dword(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff ? x : undefined;
}

/**
 * The WSAMSG, or WSAEFAULT: an object with its six fields, the fields the call writes writable
 * (`writes`), buffers that hold what their lengths say, a control buffer null only with a
 * length of 0, and a null name only with a namelen of 0 (the WSARecvMsg reference page).
 */
function readMsg(lpMsg: unknown, writes: boolean): Msg | number {
  if (typeof lpMsg !== 'object' || lpMsg === null || Array.isArray(lpMsg) || ArrayBuffer.isView(lpMsg)) return WSAEFAULT;
  const msg = lpMsg as WSAMSG;
  for (const k of MSG_FIELDS) if (!(k in msg)) return WSAEFAULT;
  const buffers = readBuffers(msg.lpBuffers, msg.dwBufferCount);
  if (buffers === undefined) return WSAEFAULT;
  const ctl: unknown = msg.Control;
  if (typeof ctl !== 'object' || ctl === null) return WSAEFAULT;
  const { len, buf } = ctl as { len: unknown; buf: unknown };
  const clen = dword(len);
  if (clen === undefined) return WSAEFAULT;
  let control: Uint8Array | undefined;
  if (given(buf)) {
    control = callerBytes(buf, clen);
    if (control === undefined) return WSAEFAULT;
  } else if (clen !== 0) {
    return WSAEFAULT;
  }
  const name: unknown = msg.name;
  const namelen: unknown = msg.namelen;
  if (typeof namelen !== 'number' || !Number.isInteger(namelen)) return WSAEFAULT;
  if (!given(name) && namelen !== 0) return WSAEFAULT;
  if (writes && !(probe(msg, 'namelen') && probe(msg, 'dwFlags') && probe(ctl, 'len'))) return WSAEFAULT;
  return { msg, ctl, buffers, control, name: given(name) ? name : null, namelen };
}

// ---- WSARecvMsg ---------------------------------------------------------------------------

/** What a datagram received through a WSAMSG reports there. */
function deliver(host: ExtensionHost, sock: Socket, m: Msg, from: Endpoint | null, truncated: boolean, flags: number): boolean {
  const destination = data.datagramDestination(from);
  const control = writeControl(controlFor(host, sock, destination), m.control);
  if (m.name !== null && from !== null) {
    const namelen = { value: m.namelen };
    if (writeSockAddrArg(from, m.name, namelen)) store(m.msg, 'namelen', namelen.value);
  }
  store(m.ctl, 'len', control.length);
  let out = flags | (truncated ? MSG_TRUNC : 0) | (control.truncated ? MSG_CTRUNC : 0);
  if (destination !== undefined) {
    const plain = v4Mapped(destination) ?? destination;
    if (isMulticastAddress(plain)) out |= MSG_MCAST;
    else if (plain === '255.255.255.255') out |= MSG_BCAST;
  }
  store(m.msg, 'dwFlags', out);
  return control.truncated;
}

/** The WSARecvMsg of `host`. */
export function makeWSARecvMsg(host: ExtensionHost): WSARecvMsgFn {
  const core = host.core;
  return (s, lpMsg, lpdwNumberOfBytesRecvd, lpOverlapped, lpCompletionRoutine, lpErrno = null) => {
    try {
      const sock = core.lookup(s);
      if (sock === undefined) return fail(lpErrno, WSAENOTSOCK, SOCKET_ERROR);
      const a = readOverlapped(lpOverlapped, lpCompletionRoutine, null);
      if (typeof a === 'number') return fail(lpErrno, a, SOCKET_ERROR);
      const m = readMsg(lpMsg, true);
      if (typeof m === 'number') return fail(lpErrno, m, SOCKET_ERROR);
      // The count may be null only with an OVERLAPPED (the reference page; Wine's test_ip_pktinfo).
      if (a === null ? !probe(lpdwNumberOfBytesRecvd, 'value') : given(lpdwNumberOfBytesRecvd) && !probe(lpdwNumberOfBytesRecvd, 'value')) {
        return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      }
      // Datagram and raw sockets only: a stream is refused as WSASendMsg refuses one (Wine's test_WSASendMsg).
      if (sock.type === SOCK_STREAM) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      if (m.buffers.length === 0 && a !== null) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      const flags = dword(m.msg.dwFlags);
      // On input only MSG_PEEK, and only without an OVERLAPPED (the WSAMSG reference page).
      if (flags === undefined || (flags & ~MSG_PEEK) !== 0 || (a !== null && flags !== 0)) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      if (m.name !== null && !canWriteSockAddr(sock.af, m.name, { value: m.namelen })) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      if (a !== null) return overlappedRecv(host, sock, a, m, lpdwNumberOfBytesRecvd, lpErrno);
      const r = data.recv(core, s, m.buffers, flags);
      if (typeof r === 'number') return fail(lpErrno, -r, SOCKET_ERROR);
      store(lpdwNumberOfBytesRecvd, 'value', r.count);
      const ctrunc = deliver(host, sock, m, r.from, r.truncated, r.flags);
      // A truncated datagram, or control data that did not fit: WSAEMSGSIZE, the count written (Wine's test_ip_pktinfo).
      return r.truncated || ctrunc ? fail(lpErrno, WSAEMSGSIZE, SOCKET_ERROR) : 0;
    } catch {
      return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
    }
  };
}

function overlappedRecv(host: ExtensionHost, sock: Socket, a: OverlappedArgs, m: Msg, lpCount: LPINT | null, lpErrno: unknown): number {
  const done = (c: Completion): Completion => {
    if (c.status !== STATUS_SUCCESS && c.status !== STATUS_BUFFER_OVERFLOW) return c;
    const ctrunc = deliver(host, sock, m, c.from, c.status === STATUS_BUFFER_OVERFLOW, c.flags);
    // The routine's dwFlags stay the receive's (0): MSG_CTRUNC is in the WSAMSG only (Wine's ip_pktinfo_apc).
    return ctrunc ? { ...c, status: STATUS_BUFFER_OVERFLOW } : c;
  };
  const r = startOverlapped(host, sock, a, { direction: 'recv', buffers: m.buffers, flags: 0, to: null, viaSendTo: false }, done, true);
  if (r === 'pending') return fail(lpErrno, WSA_IO_PENDING, SOCKET_ERROR);
  if (typeof r === 'number') return fail(lpErrno, r, SOCKET_ERROR);
  // Completed at once with a warning (truncated): Windows reports it through the completion
  // only, the call pending (Wine's test_ip_pktinfo, with an APC).
  if (r.status !== STATUS_SUCCESS) return fail(lpErrno, WSA_IO_PENDING, SOCKET_ERROR);
  if (given(lpCount)) store(lpCount, 'value', r.count);
  return 0;
}

// ---- WSASendMsg ---------------------------------------------------------------------------

/** The WSASendMsg of `host`. */
export function makeWSASendMsg(host: ExtensionHost): WSASendMsgFn {
  const core = host.core;
  return (s, lpMsg, dwFlags, lpNumberOfBytesSent, lpOverlapped, lpCompletionRoutine, lpErrno = null) => {
    try {
      const sock = core.lookup(s);
      if (sock === undefined) return fail(lpErrno, WSAENOTSOCK, SOCKET_ERROR);
      const m = readMsg(lpMsg, false);
      if (typeof m === 'number') return fail(lpErrno, m, SOCKET_ERROR);
      const a = readOverlapped(lpOverlapped, lpCompletionRoutine, null);
      if (typeof a === 'number') return fail(lpErrno, a, SOCKET_ERROR);
      // Datagram and raw sockets only (Wine's test_WSASendMsg: a stream socket is WSAEINVAL).
      if (sock.type === SOCK_STREAM) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      const flags = dword(dwFlags);
      if (flags === undefined) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      let to: Endpoint | null = null;
      if (m.name !== null) {
        const r = readSockAddrArg(m.name, m.namelen);
        if (!r.ok) return fail(lpErrno, r.reason === 'family' ? WSAEAFNOSUPPORT : WSAEFAULT, SOCKET_ERROR);
        to = r.endpoint;
      }
      if (a === null && !probe(lpNumberOfBytesSent, 'value')) {
        // Windows binds the socket all the same (Wine's test_WSASendMsg, "a bad call to
        // WSASendMsg will also bind the socket"); nothing is sent.
        if (sock.local === null && sock.phase !== 'closed') core.autoBind(sock);
        return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      }
      if (a !== null && given(lpNumberOfBytesSent) && !probe(lpNumberOfBytesSent, 'value')) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      if (a !== null) {
        const r = startOverlapped(host, sock, a, { direction: 'send', buffers: m.buffers, flags, to, viaSendTo: true }, (c) => c, true);
        if (r === 'pending') return fail(lpErrno, WSA_IO_PENDING, SOCKET_ERROR);
        if (typeof r === 'number') return fail(lpErrno, r, SOCKET_ERROR);
        if (given(lpNumberOfBytesSent)) store(lpNumberOfBytesSent, 'value', r.count);
        return 0;
      }
      const r = data.sendTo(core, s, m.buffers, flags, to);
      if (r < 0) return fail(lpErrno, -r, SOCKET_ERROR);
      store(lpNumberOfBytesSent, 'value', r);
      return 0;
    } catch {
      return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
    }
  };
}
