/**
 * AcceptEx and GetAcceptExSockaddrs (mswsock.h), as SIO_GET_EXTENSION_FUNCTION_POINTER hands
 * them out: arguments checked as Windows checks them (Wine's test_AcceptEx), the output buffer's
 * address slots written and parsed. Which connection a call takes is `accept-engine.ts`'s.
 */
import {
  SOCK_STREAM, WSAEFAULT, WSAEINVAL, WSAENOTSOCK, WSA_IO_PENDING,
} from '../provider/constants.js';
import type { Completion } from '../provider/overlapped.js';
import type { ProviderCore } from '../provider/provider.js';
import type { Socket } from '../provider/socket.js';
import { callerBytes, fail, probe, store } from '../spi/funnel.js';
import { given, type OverlappedArgs } from '../spi/overlapped-args.js';
import { encodeSockAddr, sockAddrSize } from '../spi/sockaddr.js';
import type { LPINT, WSAOVERLAPPED } from '../spi/types.js';
import { AcceptExEngine } from './accept-engine.js';
import { markPending, refuseAtOnce, requiredOverlapped } from './overlapped-op.js';

/** What the extension functions need from the provider that hands them out. */
export interface ExtensionHost {
  readonly core: ProviderCore;
  /**
   * Indicates a completion as every overlapped operation's is (event, WPUCompleteOverlappedRequest,
   * port). `immediate`: the call returns success for it, so FILE_SKIP_COMPLETION_PORT_ON_SUCCESS
   * posts no packet.
   */
  indicate(sock: Socket, a: OverlappedArgs, c: Completion, immediate?: boolean): void;
}

/**
 * The room an address slot needs: the family's sockaddr plus 16 bytes, as AcceptEx's reference
 * page asks ("at least 16 bytes more than the maximum address length for the transport").
 */
export function slotSize(family: number): number {
  return sockAddrSize(family) + 16;
}

/**
 * LPFN_ACCEPTEX with a trailing lpErrno (the C function reports through WSAGetLastError).
 * Returns TRUE (1) or FALSE (0).
 */
export type AcceptExFn = (
  sListenSocket: number, sAcceptSocket: number, lpOutputBuffer: Uint8Array, dwReceiveDataLength: number,
  dwLocalAddressLength: number, dwRemoteAddressLength: number, lpdwBytesReceived: LPINT | null,
  lpOverlapped: WSAOVERLAPPED, lpErrno?: LPINT | null,
) => number;

/** LPFN_GETACCEPTEXSOCKADDRS: the sockaddr out-parameters receive views into lpOutputBuffer. */
export type GetAcceptExSockaddrsFn = (
  lpOutputBuffer: Uint8Array, dwReceiveDataLength: number, dwLocalAddressLength: number, dwRemoteAddressLength: number,
  LocalSockaddr: { value: Uint8Array | null } | null, LocalSockaddrLength: LPINT | null,
  RemoteSockaddr: { value: Uint8Array | null } | null, RemoteSockaddrLength: LPINT | null,
) => void;

/** A DWORD argument, or undefined. */
function dword(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff ? x : undefined;
}

/**
 * Writes one address slot: the sockaddr's length (u16, little-endian), two zero bytes, the
 * sockaddr's C bytes, zeros to the end of the slot. A private layout, as Windows' is: only
 * {@link getAcceptExSockaddrs} reads it.
 */
function writeSlot(slot: Uint8Array, addr: Uint8Array): void {
  slot.fill(0);
  slot[0] = addr.length & 0xff;
  slot[1] = addr.length >>> 8;
  slot.set(addr, 4);
}

/** The sockaddr bytes of a slot written by {@link writeSlot}, as a view; undefined when the slot holds none. */
function readSlot(slot: Uint8Array): Uint8Array | undefined {
  if (slot.length < 4) return undefined;
  const n = slot[0]! | (slot[1]! << 8);
  if (n === 0 || 4 + n > slot.length) return undefined;
  return slot.subarray(4, 4 + n);
}

/** The AcceptEx of `host`. */
export function makeAcceptEx(host: ExtensionHost): AcceptExFn {
  const core = host.core;
  return (sListenSocket, sAcceptSocket, lpOutputBuffer, dwReceiveDataLength, dwLocalAddressLength, dwRemoteAddressLength,
    lpdwBytesReceived, lpOverlapped, lpErrno = null) => {
    try {
      const a = requiredOverlapped(lpOverlapped);
      if (typeof a === 'number') return fail(lpErrno, a, 0);
      const refuse = (code: number): number => refuseAtOnce(a, lpErrno, code);
      const listener = core.lookup(sListenSocket);
      const target = core.lookup(sAcceptSocket);
      if (listener === undefined || target === undefined) return refuse(WSAENOTSOCK);
      if (listener.type !== SOCK_STREAM || listener.phase !== 'listening' || listener.queue === null) return refuse(WSAEINVAL);
      const recvLen = dword(dwReceiveDataLength);
      const localLen = dword(dwLocalAddressLength);
      const remoteLen = dword(dwRemoteAddressLength);
      if (recvLen === undefined || localLen === undefined || remoteLen === undefined) return refuse(WSAEFAULT);
      const out = callerBytes(lpOutputBuffer, recvLen + localLen + remoteLen);
      if (out === undefined || remoteLen === 0) return refuse(WSAEFAULT);
      if (given(lpdwBytesReceived) && !probe(lpdwBytesReceived, 'value')) return refuse(WSAEFAULT);
      // The accept socket: a fresh, unbound stream socket of the listener's family, not already
      // being accepted into (Wine's test_AcceptEx: UDP, bound, connected and pending are WSAEINVAL).
      const engine = AcceptExEngine.of(core);
      if (target.type !== SOCK_STREAM || target.af !== listener.af || target.phase !== 'open' || target.local !== null
        || engine.isTarget(target)) {
        return refuse(WSAEINVAL);
      }
      const need = slotSize(listener.af);
      const localSlot = out.subarray(recvLen, recvLen + localLen);
      const remoteSlot = out.subarray(recvLen + localLen);
      markPending(a);
      engine.post({
        listener, target, overlapped: a.ov, receive: out.subarray(0, recvLen),
        // A local slot of 0 bytes is allowed (nothing is written there); any other must fit.
        slotsFit: (localLen === 0 || localLen >= need) && remoteLen >= need,
        writeAddresses: (s) => {
          if (localLen > 0 && s.local !== null) writeSlot(localSlot, encodeSockAddr(s.local));
          if (s.remote !== null) writeSlot(remoteSlot, encodeSockAddr(s.remote));
        },
        finish: (c) => host.indicate(listener, a, c),
      });
      // Always pending, even with a connection already queued (Wine's test_AcceptEx, CF_DEFER
      // case): the completion may already have been indicated when the call returns.
      return fail(lpErrno, WSA_IO_PENDING, 0);
    } catch {
      return fail(lpErrno, WSAEFAULT, 0);
    }
  };
}

/**
 * GetAcceptExSockaddrs: finds the two addresses in a buffer AcceptEx filled, with the same three
 * lengths. `LocalSockaddr.value` / `RemoteSockaddr.value` receive views of the sockaddr bytes
 * inside the buffer (C returns pointers into it), the lengths their sizes. A slot that holds no
 * address (a local length of 0) leaves its two out-parameters untouched, as Windows does (Wine's
 * test_AcceptEx). Returns nothing and never throws.
 */
export const getAcceptExSockaddrs: GetAcceptExSockaddrsFn = (
  lpOutputBuffer, dwReceiveDataLength, dwLocalAddressLength, dwRemoteAddressLength,
  LocalSockaddr, LocalSockaddrLength, RemoteSockaddr, RemoteSockaddrLength,
) => {
  try {
    const recvLen = dword(dwReceiveDataLength);
    const localLen = dword(dwLocalAddressLength);
    const remoteLen = dword(dwRemoteAddressLength);
    if (recvLen === undefined || localLen === undefined || remoteLen === undefined) return;
    const out = callerBytes(lpOutputBuffer, recvLen + localLen + remoteLen);
    if (out === undefined) return;
    const local = readSlot(out.subarray(recvLen, recvLen + localLen));
    const remote = readSlot(out.subarray(recvLen + localLen, recvLen + localLen + remoteLen));
    if (local !== undefined) {
      store(LocalSockaddr, 'value', local);
      store(LocalSockaddrLength, 'value', local.length);
    }
    if (remote !== undefined) {
      store(RemoteSockaddr, 'value', remote);
      store(RemoteSockaddrLength, 'value', remote.length);
    }
  } catch {
    // a hostile argument: nothing to report through (the C function is void)
  }
};
