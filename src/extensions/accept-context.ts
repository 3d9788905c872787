/**
 * SO_UPDATE_ACCEPT_CONTEXT: what a socket AcceptEx connected needs before getsockname and
 * getpeername answer, and how it takes the listener's options.
 */
import { SOCK_STREAM, WSAEFAULT, WSAENOTCONN, WSAENOTSOCK } from '../provider/constants.js';
import { oobInlineChanged } from '../provider/data.js';
import { applyKeepAliveTiming } from '../provider/options.js';
import type { ProviderCore } from '../provider/provider.js';
import type { Socket } from '../provider/socket.js';
import { callerBytes, readInt } from '../spi/funnel.js';

/**
 * setsockopt(s, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, &listener, sizeof(SOCKET)): `optval` holds
 * the listener's handle (4 bytes, little-endian). Until it is set, a socket AcceptEx connected
 * answers getsockname with WSAEINVAL and getpeername with WSAENOTCONN, as an unconnected socket
 * does (Wine's test_AcceptEx: "On Windows, this requires setting SO_UPDATE_ACCEPT_CONTEXT").
 *
 * The first time, the accept socket also takes the options of the socket named (what a socket
 * WSPAccept makes inherits: buffers, SO_KEEPALIVE, SO_LINGER, TCP_NODELAY, SO_OOBINLINE, …):
 * Microsoft's reference says the option "updates the accept socket with the context of the
 * listening socket", and the SO_UPDATE_ACCEPT_CONTEXT entry of the SOL_SOCKET options table that
 * it "updates the properties of the socket which are inherited from the listening socket".
 * Not taken: the non-blocking mode and the WSPEventSelect/WSPAsyncSelect association, which are
 * the handle's, not the connection's context. Setting the option again changes nothing.
 *
 * Returns 0 or a negated code: WSAENOTSOCK (either handle), WSAEFAULT (fewer than 4 bytes),
 * WSAENOTCONN (a socket no connection was accepted into).
 */
export function updateAcceptContext(core: ProviderCore, s: unknown, optval: unknown, optlen: unknown): number {
  const sock = core.enter(s);
  if (typeof sock === 'number') return sock;
  const len = typeof optlen === 'number' && Number.isInteger(optlen) ? optlen : -1;
  const bytes = len >= 4 ? callerBytes(optval, 4) : undefined;
  if (bytes === undefined) return -WSAEFAULT;
  const listener = core.lookup(readInt(bytes, true));
  if (listener === undefined) return -WSAENOTSOCK;
  if (sock.type !== SOCK_STREAM || (sock.phase !== 'connected' && !core.acceptContextPending.has(sock))) return -WSAENOTCONN;
  if (core.acceptContextPending.delete(sock) && listener !== sock && listener.type === SOCK_STREAM) takeContext(sock, listener);
  return 0;
}

/** The accept socket takes the listener's options, and its connection follows them. */
function takeContext(sock: Socket, listener: Socket): void {
  sock.inheritOptions(listener);
  if (sock.conditionalAccept) sock.conditionalAccept = false; // the listener's option, not the connection's
  const conn = sock.conn;
  if (conn === null) return;
  conn.noDelay = sock.noDelay;
  conn.keepAlive = sock.keepAlive;
  applyKeepAliveTiming(sock);
  conn.setReceiveBuffer(sock.receiveBuffer);
  oobInlineChanged(sock);
}
