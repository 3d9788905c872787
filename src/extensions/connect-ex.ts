/**
 * ConnectEx (mswsock.h), as SIO_GET_EXTENSION_FUNCTION_POINTER hands it out: an overlapped
 * connect of a bound stream socket, with optional data sent once the connection is established.
 * Arguments and states are checked as Windows checks them (Wine's test_connect,
 * test_connecting_socket, test_AcceptEx); the connection itself is WSPConnect's, made
 * non-blocking for the call, so routes, ports and failures follow the same rules.
 *
 * Until SO_UPDATE_CONNECT_CONTEXT is set on it, a socket ConnectEx connects (or is connecting)
 * is in ProviderCore.connectContextPending: WSPConnect on it is WSAEINVAL (test_connect asserts
 * it on a connected one, test_connecting_socket on a connecting one) and, while connecting, it
 * has no peer for getpeername (test_connecting_socket), unlike a socket WSPConnect is connecting.
 */
import {
  SOCK_STREAM, STATUS_CANCELLED, STATUS_CONNECTION_ABORTED, STATUS_SUCCESS,
  WSAECONNREFUSED, WSAEFAULT, WSAEINVAL, WSAEISCONN, WSAENOTCONN, WSAEWOULDBLOCK, WSA_IO_PENDING,
} from '../provider/constants.js';
import { OverlappedEngine, type Completion } from '../provider/overlapped.js';
import { errorToStatus } from '../provider/overlapped-status.js';
import type { ProviderCore } from '../provider/provider.js';
import type { Socket } from '../provider/socket.js';
import { callerBytes, fail, probe } from '../spi/funnel.js';
import { given } from '../spi/overlapped-args.js';
import { readSockAddrArg, type SockAddrArg } from '../spi/sockaddr.js';
import type { LPINT, WSAOVERLAPPED } from '../spi/types.js';
import { AcceptExEngine } from './accept-engine.js';
import type { ExtensionHost } from './accept-ex.js';
import { markPending, refuseAtOnce, requiredOverlapped } from './overlapped-op.js';

/**
 * LPFN_CONNECTEX with a trailing lpErrno (the C function reports through WSAGetLastError).
 * `name` is a sockaddr as WSPConnect takes it (bytes or `{ family, address, port }`).
 * Returns TRUE (1) or FALSE (0); a call that starts is FALSE with WSA_IO_PENDING.
 */
export type ConnectExFn = (
  s: number, name: SockAddrArg, namelen: number, lpSendBuffer: Uint8Array | null, dwSendDataLength: number,
  lpdwBytesSent: LPINT | null, lpOverlapped: WSAOVERLAPPED, lpErrno?: LPINT | null,
) => number;

/** One ConnectEx waiting for its connection. */
interface PostedConnect {
  /** The caller's OVERLAPPED (what CancelIoEx names the call by). */
  readonly overlapped: object;
  /** The send data, copied at the call (Wine's test_connect clears its buffer right after the call). */
  readonly send: Uint8Array;
  /** Called once, when the call completes. */
  readonly finish: (c: Completion) => void;
}

const ENGINES = new WeakMap<ProviderCore, ConnectExEngine>();

/** Pending ConnectEx calls, one per socket at most (a second one is WSAEINVAL). */
export class ConnectExEngine {
  private readonly pending = new Map<Socket, PostedConnect>();

  static of(core: ProviderCore): ConnectExEngine {
    let engine = ENGINES.get(core);
    if (engine === undefined) {
      engine = new ConnectExEngine(core);
      ENGINES.set(core, engine);
    }
    return engine;
  }

  static existing(core: ProviderCore): ConnectExEngine | undefined {
    return ENGINES.get(core);
  }

  private constructor(private readonly core: ProviderCore) {
    core.beforeChange.add((sock) => {
      if (this.pending.size !== 0 && this.pending.has(sock)) this.progress(sock);
    });
  }

  /** True while a ConnectEx on `sock` waits for its connection. */
  isPending(sock: Socket): boolean {
    return this.pending.has(sock);
  }

  /** Takes a call whose connection attempt has started. */
  post(sock: Socket, op: PostedConnect): void {
    this.pending.set(sock, op);
    if (sock.phase !== 'connecting') this.progress(sock);
  }

  /**
   * CancelIoEx on `sock`: its ConnectEx (the one with that OVERLAPPED, or any) ends with
   * STATUS_CANCELLED and the connection attempt is abandoned (the socket stays bound).
   * Returns how many were cancelled. (A call already sending its data is the overlapped
   * engine's: that send is cancelled there.)
   */
  cancel(sock: Socket, overlapped: object | null): number {
    const op = this.pending.get(sock);
    if (op === undefined || (overlapped !== null && op.overlapped !== overlapped)) return 0;
    this.pending.delete(sock);
    this.core.connectContextPending.delete(sock);
    const conn = sock.conn;
    sock.conn = null;
    sock.remote = null;
    sock.phase = 'bound';
    if (conn !== null) {
      conn.events = null;
      if (conn.abandon !== undefined) conn.abandon();
      else conn.abort();
    }
    op.finish({ status: STATUS_CANCELLED, count: 0, flags: 0, from: null });
    this.core.changed(sock);
    return 1;
  }

  /** The socket changed: the attempt may have succeeded, failed, or the socket closed. */
  private progress(sock: Socket): void {
    const op = this.pending.get(sock)!;
    if (sock.phase === 'connecting') return;
    this.pending.delete(sock);
    if (sock.phase === 'closed') {
      // closesocket with the call pending: as a pending receive ends (Wine's iocp_async_read_closesocket).
      op.finish({ status: STATUS_CONNECTION_ABORTED, count: 0, flags: 0, from: null });
      return;
    }
    if (sock.phase !== 'connected') {
      // Refused, unreachable, timed out: the socket is bound again and may connect again.
      this.core.connectContextPending.delete(sock);
      op.finish({ status: errorToStatus(sock.connectResult || WSAECONNREFUSED, SOCK_STREAM), count: 0, flags: 0, from: null });
      return;
    }
    if (op.send.length === 0) {
      op.finish({ status: STATUS_SUCCESS, count: 0, flags: 0, from: null });
      return;
    }
    // The data goes as an overlapped send would: the call completes once all of it is sent.
    const started = OverlappedEngine.of(this.core).start(sock, {
      direction: 'send', buffers: [op.send], flags: 0, to: null, viaSendTo: false, overlapped: op.overlapped, finish: op.finish,
    });
    if (started === 'pending') return;
    op.finish(typeof started === 'number' ? { status: errorToStatus(-started, SOCK_STREAM), count: 0, flags: 0, from: null } : started);
  }
}

/** A DWORD argument, or undefined. */
function dword(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff ? x : undefined;
}

/**
 * Why ConnectEx refuses `sock` before it starts, or 0: a listener, a socket being connected (by
 * WSPConnect or ConnectEx) or accepted into by AcceptEx, an unbound socket and a datagram socket
 * are WSAEINVAL; a connected one WSAEISCONN (Wine's test_connect, test_connecting_socket,
 * test_AcceptEx).
 */
function refusal(core: ProviderCore, sock: Socket): number {
  if (sock.phase === 'connected' && sock.type === SOCK_STREAM) return WSAEISCONN;
  if (sock.type !== SOCK_STREAM || sock.phase === 'listening' || sock.phase === 'connecting') return WSAEINVAL;
  if (AcceptExEngine.existing(core)?.isTarget(sock) === true) return WSAEINVAL;
  if (sock.local === null || sock.phase !== 'bound') return WSAEINVAL;
  return 0;
}

/** The ConnectEx of `host`. */
export function makeConnectEx(host: ExtensionHost): ConnectExFn {
  const core = host.core;
  return (s, name, namelen, lpSendBuffer, dwSendDataLength, lpdwBytesSent, lpOverlapped, lpErrno = null) => {
    try {
      const a = requiredOverlapped(lpOverlapped);
      if (typeof a === 'number') return fail(lpErrno, a, 0);
      const refuse = (code: number): number => refuseAtOnce(a, lpErrno, code);
      const sock = core.enter(s);
      if (typeof sock === 'number') return refuse(-sock);
      const why = refusal(core, sock);
      if (why !== 0) return refuse(why);
      const target = readSockAddrArg(name, namelen);
      if (!target.ok) return refuse(WSAEFAULT);
      let send = new Uint8Array(0);
      if (given(lpSendBuffer)) {
        const len = dword(dwSendDataLength);
        const bytes = len === undefined ? undefined : callerBytes(lpSendBuffer, len);
        if (bytes === undefined) return refuse(WSAEFAULT);
        send = bytes.slice();
      }
      if (given(lpdwBytesSent) && !probe(lpdwBytesSent, 'value')) return refuse(WSAEFAULT);
      // WSPConnect's connection, without its wait: a failure it finds at once (no route, the
      // address in use, a wildcard destination) fails the call; otherwise the attempt is under way.
      const was = sock.nonBlocking;
      sock.nonBlocking = true;
      let r: number;
      try {
        r = core.connect(s, target.endpoint);
      } finally {
        sock.nonBlocking = was;
      }
      if (r < 0 && r !== -WSAEWOULDBLOCK) return refuse(-r);
      core.connectContextPending.add(sock);
      markPending(a);
      ConnectExEngine.of(core).post(sock, { overlapped: a.ov, send, finish: (c) => host.indicate(sock, a, c) });
      return fail(lpErrno, WSA_IO_PENDING, 0);
    } catch {
      return fail(lpErrno, WSAEFAULT, 0);
    }
  };
}

/**
 * setsockopt(s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL, 0) after ConnectEx completed: the
 * socket becomes an ordinary connected one (WSPConnect on it is then WSAEISCONN). `optval` is not
 * read (programs pass NULL and 0). Returns 0 or a negated code: WSAENOTSOCK, WSAENOTCONN for a
 * socket that is not a connected stream socket. Setting it again, or on a socket WSPConnect
 * connected, is harmless.
 */
export function updateConnectContext(core: ProviderCore, s: unknown): number {
  const sock = core.enter(s);
  if (typeof sock === 'number') return sock;
  if (sock.type !== SOCK_STREAM || sock.phase !== 'connected') return -WSAENOTCONN;
  core.connectContextPending.delete(sock);
  return 0;
}
