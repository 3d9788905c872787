/**
 * TransmitPackets (mswsock.h), as SIO_GET_EXTENSION_FUNCTION_POINTER hands it out: in-memory
 * buffers sent over a connected socket, in order, overlapped or not, optionally followed by a
 * graceful disconnect (DisconnectEx's). There are no files here: a TP_ELEMENT_FILE element is
 * refused (WSAEINVAL).
 *
 * What Windows does (Wine's test_TransmitFile, the same engine in AFD): an unknown socket is
 * WSAENOTSOCK; a socket that is not connected (a stream not connected, a datagram socket without
 * a peer) is WSAENOTCONN; nothing to send succeeds sending nothing; the buffers arrive whole and
 * in order; an overlapped call returns FALSE with ERROR_IO_PENDING and completes with the bytes
 * sent. The rest is the reference page's or decided (docs/overlapped.md, "TransmitPackets").
 */
import {
  SOCK_STREAM, STATUS_PENDING, STATUS_SUCCESS, WSAEFAULT, WSAEINVAL, WSAEMSGSIZE, WSAENOTCONN, WSAEOPNOTSUPP, WSAEWOULDBLOCK,
  WSA_IO_PENDING, WSAEINTR,
} from '../provider/constants.js';
import * as data from '../provider/data.js';
import { OverlappedEngine, type Completion } from '../provider/overlapped.js';
import type { Socket } from '../provider/socket.js';
import { callerBytes, fail, store } from '../spi/funnel.js';
import { given, readOverlapped } from '../spi/overlapped-args.js';
import type { LPINT, WSAOVERLAPPED } from '../spi/types.js';
import type { ExtensionHost } from './accept-ex.js';
import { makeDisconnectEx, TF_DISCONNECT, TF_REUSE_SOCKET } from './disconnect-ex.js';
import { startOverlapped } from './overlapped-op.js';

/** TRANSMIT_PACKETS_ELEMENT.dwElFlags: the data is in a file (the default when neither bit is set). */
export const TP_ELEMENT_FILE = 0x02;
/** TRANSMIT_PACKETS_ELEMENT.dwElFlags: the data is in memory (`pBuffer`, `cLength` bytes). */
export const TP_ELEMENT_MEMORY = 0x01;
/** TRANSMIT_PACKETS_ELEMENT.dwElFlags: end of packet — on a datagram socket, the datagram ends with this element. */
export const TP_ELEMENT_EOP = 0x04;
/** TransmitFile/TransmitPackets flag: the system's default worker (0; accepted, no effect here). */
export const TF_USE_DEFAULT_WORKER = 0x00;
/** TransmitFile/TransmitPackets flag: a system thread does the work (accepted, no effect here). */
export const TF_USE_SYSTEM_THREAD = 0x10;
/** TransmitFile/TransmitPackets flag: kernel APCs do the work (accepted, no effect here). */
export const TF_USE_KERNEL_APC = 0x20;

const KNOWN_FLAGS = TF_DISCONNECT | TF_REUSE_SOCKET | TF_USE_SYSTEM_THREAD | TF_USE_KERNEL_APC;

/**
 * `TRANSMIT_PACKETS_ELEMENT`: one piece of data. A memory element (TP_ELEMENT_MEMORY) sends
 * `cLength` bytes of `pBuffer`; file elements (`hFile`, `nFileOffset`) have no files to name here.
 */
export interface TRANSMIT_PACKETS_ELEMENT {
  dwElFlags: number;
  cLength: number;
  pBuffer?: Uint8Array | null;
  nFileOffset?: number | bigint;
  hFile?: unknown;
}

/**
 * LPFN_TRANSMITPACKETS with a trailing lpErrno (the C function reports through WSAGetLastError).
 * Returns TRUE (1) or FALSE (0).
 */
export type TransmitPacketsFn = (
  hSocket: number, lpPacketArray: readonly TRANSMIT_PACKETS_ELEMENT[] | null, nElementCount: number, nSendSize: number,
  lpOverlapped: WSAOVERLAPPED | null, dwFlags: number, lpErrno?: LPINT | null,
) => number;

/** A DWORD argument, or undefined. */
function dword(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff ? x : undefined;
}

/**
 * The elements as packets of byte views (one packet on a stream; on a datagram socket a packet
 * ends at TP_ELEMENT_EOP or the last element), or a code: WSAEFAULT for what is no element or a
 * buffer shorter than its length, WSAEINVAL for a file element or flags that are neither kind.
 */
function readPackets(list: unknown, count: unknown, stream: boolean): Uint8Array[][] | number {
  const n = dword(count);
  if (n === undefined) return WSAEINVAL;
  if (n === 0) return [];
  if (!Array.isArray(list) || list.length < n) return WSAEFAULT;
  const packets: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const e: unknown = list[i];
    if (typeof e !== 'object' || e === null) return WSAEFAULT;
    const { dwElFlags, cLength, pBuffer } = e as Record<string, unknown>;
    const flags = dword(dwElFlags);
    const len = dword(cLength);
    if (flags === undefined || len === undefined) return WSAEFAULT;
    const memory = (flags & TP_ELEMENT_MEMORY) !== 0;
    // Neither bit is a file element (the default); both is no element at all.
    if (!memory || (flags & TP_ELEMENT_FILE) !== 0 || (flags & ~(TP_ELEMENT_MEMORY | TP_ELEMENT_FILE | TP_ELEMENT_EOP)) !== 0) return WSAEINVAL;
    const bytes = len === 0 && !given(pBuffer) ? new Uint8Array(0) : callerBytes(pBuffer, len);
    if (bytes === undefined) return WSAEFAULT;
    current.push(bytes);
    if (!stream && (flags & TP_ELEMENT_EOP) !== 0) {
      packets.push(current);
      current = [];
    }
  }
  if (current.length > 0) packets.push(current);
  return stream ? [packets.flat()] : packets;
}

/** Bytes in a packet list. */
function size(packets: readonly Uint8Array[][]): number {
  let n = 0;
  for (const p of packets) for (const b of p) n += b.length;
  return n;
}

/**
 * A synchronous send on a stream, whole: after the overlapped sends already pending (sends fill
 * in posting order), blocking whatever the socket's mode (a TransmitPackets without an
 * OVERLAPPED returns once everything was taken). Returns 0 or a code.
 */
function sendWhole(host: ExtensionHost, sock: Socket, bufs: readonly Uint8Array[]): number {
  const core = host.core;
  const engine = OverlappedEngine.existing(core);
  if (engine !== undefined && engine.pendingCount(sock, 'send') > 0) {
    const outcome = core.transport.block(() => core.lookup(sock.handle) !== sock || engine.pendingCount(sock, 'send') === 0);
    if (outcome !== 'done') return outcome === 'unsupported' ? WSAEWOULDBLOCK : WSAEINTR;
  }
  const was = sock.nonBlocking;
  sock.nonBlocking = false;
  try {
    const total = bufs.reduce((n, b) => n + b.length, 0);
    const r = data.send(core, sock.handle, bufs, 0);
    if (r < 0) return -r;
    // Only a network that cannot block (the host network's thread) stops short.
    return r < total ? WSAEWOULDBLOCK : 0;
  } finally {
    sock.nonBlocking = was;
  }
}

/** The TransmitPackets of `host`. */
export function makeTransmitPackets(host: ExtensionHost): TransmitPacketsFn {
  const core = host.core;
  const disconnectEx = makeDisconnectEx(host);
  return (hSocket, lpPacketArray, nElementCount, nSendSize, lpOverlapped, dwFlags, lpErrno = null) => {
    try {
      const sock = core.enter(hSocket);
      if (typeof sock === 'number') return fail(lpErrno, -sock, 0);
      const a = given(lpOverlapped) ? readOverlapped(lpOverlapped, null, null) : null;
      if (typeof a === 'number') return fail(lpErrno, a, 0);
      const stream = sock.type === SOCK_STREAM;
      // Connected first: Wine's test_TransmitFile gets WSAENOTCONN with TF_REUSE_SOCKET alone.
      if (stream ? sock.phase !== 'connected' : sock.remote === null) return fail(lpErrno, WSAENOTCONN, 0);
      const flags = dword(dwFlags);
      if (flags === undefined || dword(nSendSize) === undefined || (flags & ~KNOWN_FLAGS) !== 0) return fail(lpErrno, WSAEINVAL, 0);
      const disconnect = (flags & TF_DISCONNECT) !== 0;
      const reuse = (flags & TF_REUSE_SOCKET) !== 0;
      // TF_REUSE_SOCKET only with TF_DISCONNECT, and neither on a datagram socket (the reference page).
      if ((reuse && !disconnect) || (disconnect && !stream)) return fail(lpErrno, WSAEINVAL, 0);
      // Not built: reuse at the end of an overlapped transmission (docs/overlapped.md).
      if (reuse && a !== null) return fail(lpErrno, WSAEOPNOTSUPP, 0);
      const packets = readPackets(lpPacketArray, nElementCount, stream);
      if (typeof packets === 'number') return fail(lpErrno, packets, 0);
      // Every datagram checked before any is sent: a call that fails sends nothing.
      if (!stream && packets.some((p) => p.reduce((n, b) => n + b.length, 0) > data.maxDatagram(sock.version))) {
        return fail(lpErrno, WSAEMSGSIZE, 0);
      }
      const err = { value: 0 };
      if (a === null) {
        for (const p of packets) {
          const code = stream ? sendWhole(host, sock, p) : (() => { const r = data.send(core, hSocket, p, 0); return r < 0 ? -r : 0; })();
          if (code !== 0) return fail(lpErrno, code, 0);
        }
        if (disconnect && disconnectEx(hSocket, null, flags & TF_REUSE_SOCKET, 0, err) === 0) return fail(lpErrno, err.value, 0);
        return 1;
      }
      if (!stream) {
        // Datagrams are taken at once or not at all: sent now, the completion indicated now.
        for (const p of packets) {
          const r = data.send(core, hSocket, p, 0);
          if (r < 0) return fail(lpErrno, -r, 0);
        }
        store(a.ov, 'Internal', STATUS_PENDING);
        host.indicate(sock, a, { status: STATUS_SUCCESS, count: size(packets), flags: 0, from: null });
        return fail(lpErrno, WSA_IO_PENDING, 0);
      }
      const done = (c: Completion): Completion => {
        // The disconnect follows the data (DisconnectEx's, without an OVERLAPPED: a FIN now).
        if (disconnect && c.status === STATUS_SUCCESS) disconnectEx(hSocket, null, 0, 0, err);
        return c;
      };
      const r = startOverlapped(host, sock, a, { direction: 'send', buffers: packets[0] ?? [], flags: 0, to: null, viaSendTo: false }, done);
      if (typeof r === 'number') return fail(lpErrno, r, 0);
      // Always pending (Wine's test_TransmitFile): the completion may already be indicated.
      return fail(lpErrno, WSA_IO_PENDING, 0);
    } catch {
      return fail(lpErrno, WSAEFAULT, 0);
    }
  };
}
