/**
 * Starting an extension function's transfer on the overlapped engine (provider/overlapped.ts),
 * with the three outcomes WSPSend/WSPRecv have: completed at once (indicated now), pending
 * (Internal STATUS_PENDING, the event reset), or failed at once (nothing written, nothing to
 * come). The engine and the indication are the ones WSPSend/WSPRecv use; only the caller's
 * structures (WSAMSG, TRANSMIT_PACKETS_ELEMENT) differ.
 */
import { STATUS_PENDING, STATUS_SUCCESS, WSAEINVAL } from '../provider/constants.js';
import { OverlappedEngine, type Completion, type OverlappedOp } from '../provider/overlapped.js';
import type { Socket } from '../provider/socket.js';
import { associationOf } from '../iocp/associations.js';
import { store } from '../spi/funnel.js';
import { signal, type OverlappedArgs } from '../spi/overlapped-args.js';
import type { ExtensionHost } from './accept-ex.js';

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
    store(a.ov, 'Internal', STATUS_PENDING);
    if (a.event !== null) signal(a.event, false);
    return 'pending';
  }
  if (typeof r === 'number') return -r;
  const c = done(r);
  host.indicate(sock, a, c, zeroOnSuccess && c.status === STATUS_SUCCESS);
  return c;
}
