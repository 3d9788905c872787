/**
 * WSPIoctl with an OVERLAPPED: how each code's outcome reaches the caller, as Wine's ioctl tests
 * record Windows (docs/research/wine-overlapped-facts.md, facts 78-85; docs/overlapped.md,
 * "Overlapped WSPIoctl"). The ioctl itself is the plain one (`option-functions.ts`); this file
 * decides what is written where and when the completion is indicated.
 */
import {
  FIONBIO, FIONREAD, SIOCATMARK, SIO_ADDRESS_LIST_CHANGE, SIO_ADDRESS_LIST_QUERY, SIO_ENABLE_CIRCULAR_QUEUEING,
  SIO_GET_EXTENSION_FUNCTION_POINTER, SIO_GET_INTERFACE_LIST, SIO_IDEAL_SEND_BACKLOG_QUERY, SIO_KEEPALIVE_VALS,
  SIO_ROUTING_INTERFACE_QUERY, SIO_UDP_CONNRESET, SOCKET_ERROR, STATUS_BUFFER_TOO_SMALL, STATUS_NOT_SUPPORTED, STATUS_PENDING,
  STATUS_SUCCESS, WSAEFAULT, WSAEINVAL, WSA_IO_PENDING,
} from '../provider/constants.js';
import { errorToStatus } from '../provider/overlapped-status.js';
import type { Completion } from '../provider/overlapped.js';
import type { ProviderCore } from '../provider/provider.js';
import type { Socket } from '../provider/socket.js';
import { associationOf } from '../iocp/associations.js';
import { AddressChangeWaits } from './address-change-waits.js';
import { fail, store } from './funnel.js';
import { signal, type OverlappedArgs } from './overlapped-args.js';
import type { LPINT } from './types.js';

/** What a plain ioctl did: the count for lpcbBytesReturned, or an error and what lpcbBytesReturned becomes (undefined: left alone). */
export type IoctlResult = { count: number } | { error: number; count?: number };

/**
 * How an overlapped call of a code behaves:
 * - `immediate`: done during the call, which returns 0 with lpcbBytesReturned written; the
 *   completion (0 bytes, Internal and InternalHigh 0) is indicated at once [78, 79];
 * - `deferred`: always reported as pending (lpcbBytesReturned untouched); the result, or its
 *   failure as a status, completes it [84: SIO_GET_INTERFACE_LIST];
 * - `unsupported`: pending, then completed with STATUS_NOT_SUPPORTED, the output untouched [83:
 *   codes Windows does not know, and SIO_BASE_HANDLE, which only ws2_32's plain call answers];
 * - `address-change`: pending until the address list changes or the socket goes [85, 42].
 */
export type OverlappedIoctlKind = 'immediate' | 'deferred' | 'unsupported' | 'address-change';

const IMMEDIATE = new Set<number>([
  FIONBIO, FIONREAD, SIOCATMARK, SIO_KEEPALIVE_VALS, SIO_GET_EXTENSION_FUNCTION_POINTER, SIO_ROUTING_INTERFACE_QUERY,
  SIO_ADDRESS_LIST_QUERY, SIO_UDP_CONNRESET, SIO_IDEAL_SEND_BACKLOG_QUERY, SIO_ENABLE_CIRCULAR_QUEUEING,
]);

/** The kind of an overlapped call of `code` (SIO_BSP_HANDLE* go with SIO_BASE_HANDLE: unsupported). */
export function overlappedIoctlKind(code: number): OverlappedIoctlKind {
  if (IMMEDIATE.has(code)) return 'immediate';
  if (code === SIO_GET_INTERFACE_LIST) return 'deferred';
  if (code === SIO_ADDRESS_LIST_CHANGE) return 'address-change';
  return 'unsupported';
}

/** What this needs from the provider: its core, and the completion indication every overlapped call uses. */
export interface IoctlHost {
  readonly core: ProviderCore;
  indicate(sock: Socket, a: OverlappedArgs, c: Completion, immediate?: boolean): void;
}

const done = (status: number, count = 0): Completion => ({ status, count, flags: 0, from: null });

/**
 * An overlapped WSPIoctl whose socket, OVERLAPPED and lpcbBytesReturned were checked (a NULL
 * lpcbBytesReturned is WSAEFAULT with an OVERLAPPED too [80]). `run` is the plain ioctl.
 */
export function overlappedIoctl(
  host: IoctlHost, sock: Socket, code: number, a: OverlappedArgs, run: () => IoctlResult, lpcbBytesReturned: LPINT, lpErrno: unknown,
): number {
  // A completion routine on a socket bound to a completion port: WSAEINVAL, as WSPRecv's is
  // (fact 14; Wine tests ioctl routines on sockets without a port only).
  if (a.routine !== null && associationOf(sock) !== undefined) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
  const kind = overlappedIoctlKind(code);
  if (kind === 'immediate') {
    const r = run();
    if ('error' in r) {
      // SIO_KEEPALIVE_VALS with a short input: Internal becomes STATUS_PENDING and the size is
      // left alone, though the call fails at once (test_keepalive_vals, todo_wine on Wine [82]).
      if (code === SIO_KEEPALIVE_VALS && r.error === WSAEFAULT) {
        store(a.ov, 'Internal', STATUS_PENDING);
        return fail(lpErrno, r.error, SOCKET_ERROR);
      }
      // Other failures are the plain call's, the OVERLAPPED untouched, nothing indicated [82].
      if (r.count !== undefined) store(lpcbBytesReturned, 'value', r.count);
      return fail(lpErrno, r.error, SOCKET_ERROR);
    }
    // SIO_KEEPALIVE_VALS leaves the size alone unless a routine is given, which sees it set to
    // 0 (test_keepalive_vals: 0xdeadbeef with a port, todo_wine on Wine; 0 with an APC).
    if (code !== SIO_KEEPALIVE_VALS || a.routine !== null) store(lpcbBytesReturned, 'value', r.count);
    // InternalHigh 0, not the output size; the packet or routine reports 0 bytes [78, 79].
    host.indicate(sock, a, done(STATUS_SUCCESS), true);
    return 0;
  }
  // The plain call's entry checks (inside a callback, a network that is down) fail it at once.
  const entered = host.core.enter(sock.handle, kind !== 'address-change');
  if (typeof entered === 'number') return fail(lpErrno, -entered, SOCKET_ERROR);
  // Reported as pending whatever happens next: Internal STATUS_PENDING, the event reset, the
  // size untouched.
  store(a.ov, 'Internal', STATUS_PENDING);
  if (a.event !== null) signal(a.event, false);
  if (kind === 'address-change') {
    AddressChangeWaits.of(host.core).add(sock, a.ov, (c) => host.indicate(sock, a, c));
  } else if (kind === 'unsupported') {
    host.indicate(sock, a, done(STATUS_NOT_SUPPORTED));
  } else {
    const r = run();
    // A short buffer is STATUS_BUFFER_TOO_SMALL (ERROR_INSUFFICIENT_BUFFER through a port, WSAEFAULT to a routine) [84].
    host.indicate(sock, a, 'error' in r ? done(r.error === WSAEFAULT ? STATUS_BUFFER_TOO_SMALL : errorToStatus(r.error, sock.type)) : done(STATUS_SUCCESS, r.count));
  }
  return fail(lpErrno, WSA_IO_PENDING, SOCKET_ERROR);
}
