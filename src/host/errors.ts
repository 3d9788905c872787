/**
 * The one table from the error codes Node reports for real sockets (libuv's names for errno
 * values) to Winsock's. Everything the host network reports passes through {@link wsaFromNodeError}.
 */
import * as W from '../provider/constants.js';

/** Node (libuv) error code → Winsock error code. */
export const NODE_TO_WSA: Readonly<Record<string, number>> = {
  ECONNREFUSED: W.WSAECONNREFUSED,
  ECONNRESET: W.WSAECONNRESET,
  // Writing to a connection the peer has reset or closed: Winsock reports the reset.
  EPIPE: W.WSAECONNRESET,
  ECONNABORTED: W.WSAECONNABORTED,
  EADDRINUSE: W.WSAEADDRINUSE,
  EADDRNOTAVAIL: W.WSAEADDRNOTAVAIL,
  EACCES: W.WSAEACCES,
  EPERM: W.WSAEACCES,
  ETIMEDOUT: W.WSAETIMEDOUT,
  ENETUNREACH: W.WSAENETUNREACH,
  EHOSTUNREACH: W.WSAEHOSTUNREACH,
  ENETDOWN: W.WSAENETDOWN,
  EHOSTDOWN: W.WSAEHOSTDOWN,
  ENETRESET: W.WSAENETRESET,
  EMFILE: W.WSAEMFILE,
  ENFILE: W.WSAEMFILE,
  ENOBUFS: W.WSAENOBUFS,
  ENOMEM: W.WSAENOBUFS,
  EINVAL: W.WSAEINVAL,
  EAFNOSUPPORT: W.WSAEAFNOSUPPORT,
  EPROTONOSUPPORT: W.WSAEPROTONOSUPPORT,
  EPROTOTYPE: W.WSAEPROTOTYPE,
  ENOPROTOOPT: W.WSAENOPROTOOPT,
  EOPNOTSUPP: W.WSAEOPNOTSUPP,
  ENOTSUP: W.WSAEOPNOTSUPP,
  EISCONN: W.WSAEISCONN,
  ENOTCONN: W.WSAENOTCONN,
  ESHUTDOWN: W.WSAESHUTDOWN,
  EMSGSIZE: W.WSAEMSGSIZE,
  EAGAIN: W.WSAEWOULDBLOCK,
  EWOULDBLOCK: W.WSAEWOULDBLOCK,
  EINPROGRESS: W.WSAEINPROGRESS,
  EALREADY: W.WSAEALREADY,
  EINTR: W.WSAEINTR,
  ECANCELED: W.WSAEINTR,
  EBADF: W.WSAENOTSOCK,
  ENOTSOCK: W.WSAENOTSOCK,
  EDESTADDRREQ: W.WSAEDESTADDRREQ,
  EFAULT: W.WSAEFAULT,
  // Node's own codes for sockets it has already closed or cannot use.
  ERR_SOCKET_CLOSED: W.WSAENOTSOCK,
  ERR_SOCKET_DGRAM_NOT_RUNNING: W.WSAENOTSOCK,
  ERR_SOCKET_DGRAM_IS_CONNECTED: W.WSAEISCONN,
  ERR_SOCKET_DGRAM_NOT_CONNECTED: W.WSAENOTCONN,
  ERR_SOCKET_BAD_PORT: W.WSAEINVAL,
  ERR_STREAM_DESTROYED: W.WSAECONNABORTED,
  ERR_STREAM_WRITE_AFTER_END: W.WSAESHUTDOWN,
};

/**
 * The Winsock code for an error Node reported (an `Error` with a `code`, or the code itself).
 * Anything unknown is a failure of the network subsystem as far as a caller can tell: WSAENETDOWN.
 */
export function wsaFromNodeError(error: unknown): number {
  const code = typeof error === 'string' ? error : (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? NODE_TO_WSA[code] ?? W.WSAENETDOWN : W.WSAENETDOWN;
}

/**
 * A failed multicast join or drop: Linux says EADDRINUSE for a group joined twice and
 * EADDRNOTAVAIL or ENODEV for an interface it lacks (or, on a drop, a group not joined);
 * Windows documents WSAEADDRNOTAVAIL for the first two and WSAEINVAL for the third
 * (Microsoft, "Multicast Socket Option Behavior").
 */
export function wsaFromMembershipError(error: unknown, join: boolean): number {
  const code = typeof error === 'string' ? error : (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'ENODEV') return join ? W.WSAEADDRNOTAVAIL : W.WSAEINVAL;
  if (code === 'EINVAL' || code === 'ERR_INVALID_ARG_TYPE' || code === 'ERR_INVALID_ARG_VALUE') return W.WSAEINVAL;
  return wsaFromNodeError(error);
}
