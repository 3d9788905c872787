/**
 * DisconnectEx (mswsock.h), as SIO_GET_EXTENSION_FUNCTION_POINTER hands it out: a graceful
 * disconnect of a connected stream socket, overlapped or not, and with TF_REUSE_SOCKET the
 * socket made fresh again for AcceptEx or ConnectEx.
 *
 * What Windows does (Wine's test_DisconnectEx, test_shutdown_completion_port): the call sends
 * FIN as WSPShutdown(SD_SEND) does — afterwards WSPSend is WSAESHUTDOWN, the peer reads 0, the
 * socket still receives, still has its names, and WSPConnect on it is WSAEISCONN; overlapped,
 * it returns FALSE with ERROR_IO_PENDING and completes with 0 bytes; without an OVERLAPPED it
 * returns TRUE at once, and may be called again.
 *
 * Overlapped sends posted before it and still queued (the send buffer was full) are not failed:
 * the FIN waits until the overlapped engine has taken them all, as the FIN of a graceful close
 * goes after the data queued before it (docs/overlapped.md); they complete whole and the peer
 * reads every byte before the 0. Until then sends posted after the call join that queue (our
 * decision: Windows' record is silent; a program does not send after DisconnectEx).
 *
 * When it completes (Windows' record is silent; our decision, docs/overlapped.md): once every
 * byte queued before it has been acknowledged, as a graceful close can tell, or when the
 * connection is gone (reset: the reset's status). With TF_REUSE_SOCKET the socket then lets go
 * of its connection, which finishes its close on the network (FIN exchange, TIME_WAIT) without
 * it, and of its address: ProviderCore.recycle.
 */
import {
  SD_SEND, SOCK_STREAM, STATUS_CONNECTION_ABORTED, STATUS_SUCCESS, WSAEFAULT, WSAEINVAL, WSAENOTCONN,
  WSA_IO_PENDING,
} from '../provider/constants.js';
import { closeSending, shutdown } from '../provider/data.js';
import { OverlappedEngine, type Completion } from '../provider/overlapped.js';
import { errorToStatus } from '../provider/overlapped-status.js';
import type { ProviderCore } from '../provider/provider.js';
import type { Socket } from '../provider/socket.js';
import { fail } from '../spi/funnel.js';
import { given, readOverlapped } from '../spi/overlapped-args.js';
import type { LPINT, WSAOVERLAPPED } from '../spi/types.js';
import type { ExtensionHost } from './accept-ex.js';
import { markPending } from './overlapped-op.js';

/** TransmitFile/DisconnectEx flag (mswsock.h): a graceful close follows (TransmitFile's; DisconnectEx always closes). */
export const TF_DISCONNECT = 0x01;
/** DisconnectEx/TransmitFile flag (mswsock.h): the socket handle may be reused by AcceptEx or ConnectEx once the call completes. */
export const TF_REUSE_SOCKET = 0x02;

/**
 * LPFN_DISCONNECTEX with a trailing lpErrno (the C function reports through WSAGetLastError).
 * `lpOverlapped` may be null (a synchronous call). Returns TRUE (1) or FALSE (0).
 */
export type DisconnectExFn = (
  s: number, lpOverlapped: WSAOVERLAPPED | null, dwFlags: number, dwReserved: number, lpErrno?: LPINT | null,
) => number;

interface PostedDisconnect {
  readonly reuse: boolean;
  readonly finish: (c: Completion) => void;
}

const ENGINES = new WeakMap<ProviderCore, DisconnectExEngine>();

/** The DisconnectEx calls pending on one socket, in posting order. */
interface SocketDisconnects {
  readonly ops: PostedDisconnect[];
  /** The FIN waits for overlapped sends posted before the first call. */
  finDeferred: boolean;
}

/** True while overlapped sends of `sock` are queued (not all taken into the send buffer). */
function sendsQueued(core: ProviderCore, sock: Socket): boolean {
  const engine = OverlappedEngine.existing(core);
  return engine !== undefined && engine.pendingCount(sock, 'send') > 0;
}

/** Pending DisconnectEx calls, per socket in posting order. */
class DisconnectExEngine {
  private readonly pending = new Map<Socket, SocketDisconnects>();

  static of(core: ProviderCore): DisconnectExEngine {
    let engine = ENGINES.get(core);
    if (engine === undefined) {
      engine = new DisconnectExEngine(core);
      ENGINES.set(core, engine);
    }
    return engine;
  }

  private constructor(private readonly core: ProviderCore) {
    // The overlapped engine's hook first: a change that lets it take the last queued send is
    // then seen here after it, and the FIN goes at that same change.
    OverlappedEngine.of(core);
    core.beforeChange.add((sock) => {
      if (this.pending.size !== 0 && this.pending.has(sock)) this.progress(sock);
    });
  }

  /** True while a call on `sock` waits to send its FIN. */
  finDeferred(sock: Socket): boolean {
    return this.pending.get(sock)?.finDeferred === true;
  }

  /** Takes a call; `deferFin`: its FIN waits for the socket's queued overlapped sends. */
  post(sock: Socket, op: PostedDisconnect, deferFin: boolean): void {
    let entry = this.pending.get(sock);
    if (entry === undefined) {
      entry = { ops: [], finDeferred: false };
      this.pending.set(sock, entry);
    }
    entry.ops.push(op);
    if (deferFin) entry.finDeferred = true;
    this.progress(sock);
  }

  private progress(sock: Socket): void {
    const entry = this.pending.get(sock)!;
    if (entry.finDeferred) {
      const open = sock.phase === 'connected' && !sock.reset && !sock.sendShutdown;
      if (open && sendsQueued(this.core, sock)) return;
      entry.finDeferred = false;
      if (open) {
        closeSending(sock);
        this.core.changed(sock); // runs this again: the calls may complete there
        if (this.pending.get(sock) !== entry) return;
      }
    }
    const outcome = disconnected(sock);
    if (outcome === undefined) return;
    const list = entry.ops;
    this.pending.delete(sock);
    if (sock.phase !== 'closed' && list.some((op) => op.reuse)) this.core.recycle(sock);
    for (const op of list) op.finish(outcome);
  }
}

/**
 * How a disconnect under way ended, or undefined while it goes on: success once everything sent
 * was acknowledged, the reset's status if the connection broke, STATUS_CONNECTION_ABORTED if
 * the socket was closed (as a pending receive ends, Wine's iocp_async_read_closesocket).
 */
function disconnected(sock: Socket): Completion | undefined {
  if (sock.phase === 'closed') return { status: STATUS_CONNECTION_ABORTED, count: 0, flags: 0, from: null };
  if (sock.reset) return { status: errorToStatus(sock.resetCode, SOCK_STREAM), count: 0, flags: 0, from: null };
  if (sock.conn !== null && sock.conn.bufferedBytes > 0) return undefined;
  return { status: STATUS_SUCCESS, count: 0, flags: 0, from: null };
}

/** A DWORD argument, or undefined. */
function dword(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff ? x : undefined;
}

/** The DisconnectEx of `host`. */
export function makeDisconnectEx(host: ExtensionHost): DisconnectExFn {
  const core = host.core;
  return (s, lpOverlapped, dwFlags, dwReserved, lpErrno = null) => {
    try {
      const a = given(lpOverlapped) ? readOverlapped(lpOverlapped, null, null) : null;
      if (typeof a === 'number') return fail(lpErrno, a, 0);
      const sock = core.enter(s);
      if (typeof sock === 'number') return fail(lpErrno, -sock, 0);
      // dwReserved must be 0, and TF_REUSE_SOCKET is the only flag (the reference page: WSAEINVAL).
      const flags = dword(dwFlags);
      if (dword(dwReserved) !== 0 || flags === undefined || (flags & ~TF_REUSE_SOCKET) !== 0) return fail(lpErrno, WSAEINVAL, 0);
      if (sock.type !== SOCK_STREAM || sock.phase !== 'connected') return fail(lpErrno, WSAENOTCONN, 0);
      const reuse = (flags & TF_REUSE_SOCKET) !== 0;
      // Overlapped sends still queued (or an earlier call waiting for them): the FIN goes after them.
      const engine = DisconnectExEngine.of(core);
      const deferFin = engine.finDeferred(sock) || sendsQueued(core, sock);
      if (!deferFin) {
        const r = shutdown(core, s, SD_SEND);
        if (r < 0) return fail(lpErrno, -r, 0);
      }
      if (a === null && deferFin) {
        // Synchronous: TRUE at once all the same; the FIN (and, with reuse, the wait for the
        // disconnect) is the engine's, as for an overlapped call with nobody to tell.
        let outcome: Completion | undefined;
        engine.post(sock, { reuse, finish: (c) => { outcome = c; } }, true);
        if (reuse) core.transport.block(() => outcome !== undefined);
        return 1;
      }
      if (a === null) {
        // Synchronous: TRUE at once (Wine's test_DisconnectEx). Reuse waits for the disconnect
        // to finish, as a blocking call can; the socket is fresh when the call returns.
        if (reuse) {
          core.transport.block(() => disconnected(sock) !== undefined);
          if ((sock.phase as string) !== 'closed') core.recycle(sock); // the network ran while we waited
        }
        return 1;
      }
      markPending(a);
      engine.post(sock, { reuse, finish: (c) => host.indicate(sock, a, c) }, deferFin);
      // Always pending (Wine's test_DisconnectEx): the completion may already be indicated.
      return fail(lpErrno, WSA_IO_PENDING, 0);
    } catch {
      return fail(lpErrno, WSAEFAULT, 0);
    }
  };
}
