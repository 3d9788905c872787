/**
 * Starting an extension function's transfer on the overlapped engine (provider/overlapped.ts),
 * with the three outcomes WSPSend/WSPRecv have: completed at once (indicated now), pending
 * (Internal STATUS_PENDING, the event reset), or failed at once (nothing written, nothing to
 * come). The engine and the indication are the ones WSPSend/WSPRecv use; only the caller's
 * structures (WSAMSG, TRANSMIT_PACKETS_ELEMENT) differ.
 */
import { ERROR_INVALID_PARAMETER, STATUS_PENDING, STATUS_SUCCESS, WSAEINVAL } from '../provider/constants.js';
import { OverlappedEngine, type Completion, type OverlappedOp } from '../provider/overlapped.js';
import type { Socket } from '../provider/socket.js';
import { associationOf } from '../iocp/associations.js';
import { fail, store } from '../spi/funnel.js';
import { given, readOverlapped, signal, type OverlappedArgs } from '../spi/overlapped-args.js';
import type { LPINT } from '../spi/types.js';
import type { ExtensionHost } from './accept-ex.js';

/** Marks a call pending as every initiating call does: Internal STATUS_PENDING, the event reset. */
export function markPending(a: OverlappedArgs): void {
  store(a.ov, 'Internal', STATUS_PENDING);
  if (a.event !== null) signal(a.event, false);
}

/**
 * The OVERLAPPED AcceptEx and ConnectEx require, read, or the code for a missing or malformed
 * one (ERROR_INVALID_PARAMETER, WSAEFAULT; nothing written then).
 */
export function requiredOverlapped(lpOverlapped: unknown): OverlappedArgs | number {
  if (!given(lpOverlapped)) return ERROR_INVALID_PARAMETER;
  const a = readOverlapped(lpOverlapped, null, null);
  return a === null ? ERROR_INVALID_PARAMETER : a;
}

/**
 * Fails AcceptEx or ConnectEx at once as Windows does (Wine's test_AcceptEx and test_connect
 * assert it for each synchronous failure): FALSE, `code` in lpErrno, and STATUS_PENDING left in
 * Internal, the one thing such a call writes (InternalHigh stays as it was).
 */
export function refuseAtOnce(a: OverlappedArgs, lpErrno: LPINT | null, code: number): number {
  store(a.ov, 'Internal', STATUS_PENDING);
  return fail(lpErrno, code, 0);
}

/** What starting did: the completion already indicated, 'pending', or a Winsock code (failed at once). */
export type Started = Completion | 'pending' | number;

/**
 * Starts `op` on `sock` for the overlapped arguments `a`. `done` turns the engine's completion
 * into the one indicated (it writes the caller's structures first: WSARecvMsg's name, control
 * data and flags); it runs once, at once or later, and never for an operation that failed at
 * once. A completion routine on a socket bound to a completion port is WSAEINVAL, as for
 * WSPRecv (Wine's test_WSARecv). `zeroOnSuccess`: the function returns 0 when its transfer
 * succeeds at once (WSARecvMsg, WSASendMsg, as WSPRecv), so a socket with
 * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS gets no packet for it; TransmitPackets always says pending.
 */
export function startOverlapped(
  host: ExtensionHost, sock: Socket, a: OverlappedArgs, op: Omit<OverlappedOp, 'finish' | 'overlapped'>,
  done: (c: Completion) => Completion, zeroOnSuccess = false,
): Started {
  if (a.routine !== null && associationOf(sock) !== undefined) return WSAEINVAL;
  const finish = (c: Completion): void => host.indicate(sock, a, done(c));
  const r = OverlappedEngine.of(host.core).start(sock, { ...op, overlapped: a.ov, finish });
  if (r === 'pending') {
    markPending(a);
    return 'pending';
  }
  if (typeof r === 'number') return -r;
  const c = done(r);
  host.indicate(sock, a, c, zeroOnSuccess && c.status === STATUS_SUCCESS);
  return c;
}
