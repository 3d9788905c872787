/** SO_UPDATE_ACCEPT_CONTEXT: what a socket AcceptEx connected needs before getsockname and getpeername answer. */
import { SOCK_STREAM, WSAEFAULT, WSAENOTCONN, WSAENOTSOCK } from '../provider/constants.js';
import type { ProviderCore } from '../provider/provider.js';
import { callerBytes, readInt } from '../spi/funnel.js';

/**
 * setsockopt(s, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, &listener, sizeof(SOCKET)): `optval` holds
 * the listener's handle (4 bytes, little-endian). Until it is set, a socket AcceptEx connected
 * answers getsockname with WSAEINVAL and getpeername with WSAENOTCONN, as an unconnected socket
 * does (Wine's test_AcceptEx: "On Windows, this requires setting SO_UPDATE_ACCEPT_CONTEXT").
 * Setting it again is harmless. Returns 0 or a negated code: WSAENOTSOCK (either handle),
 * WSAEFAULT (fewer than 4 bytes), WSAENOTCONN (a socket no connection was accepted into).
 */
export function updateAcceptContext(core: ProviderCore, s: unknown, optval: unknown, optlen: unknown): number {
  const sock = core.enter(s);
  if (typeof sock === 'number') return sock;
  const len = typeof optlen === 'number' && Number.isInteger(optlen) ? optlen : -1;
  const bytes = len >= 4 ? callerBytes(optval, 4) : undefined;
  if (bytes === undefined) return -WSAEFAULT;
  if (core.lookup(readInt(bytes, true)) === undefined) return -WSAENOTSOCK;
  if (sock.type !== SOCK_STREAM || (sock.phase !== 'connected' && !core.acceptContextPending.has(sock))) return -WSAENOTCONN;
  core.acceptContextPending.delete(sock);
  return 0;
}
