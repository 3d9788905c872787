// Which completion port (and key) each socket is associated with, and the packet a completion on it queues.
import type { Socket } from '../provider/socket.js';
import type { WSAOVERLAPPED } from '../spi/types.js';
import type { CompletionPort } from './port.js';

interface Association {
  readonly port: CompletionPort;
  readonly key: unknown;
}

/**
 * By socket object, not handle: the association must outlive WSPCloseSocket, whose aborted
 * operations still complete to the port (Wine's iocp_async_read_closesocket, fact 30).
 */
const ASSOCIATIONS = new WeakMap<Socket, Association>();

/** The port a socket is associated with, if any. */
export function associationOf(sock: Socket): Association | undefined {
  return ASSOCIATIONS.get(sock);
}

/** Associates a socket with a port; a socket has one port for life (a second association is refused by the caller). */
export function associate(sock: Socket, port: CompletionPort, key: unknown): void {
  ASSOCIATIONS.set(sock, { port, key });
}

/**
 * Queues the completion of an operation on `sock` to the socket's port, if it has one: the key
 * it was associated with, the bytes, the caller's WSAOVERLAPPED and the status. Looked up at
 * completion, not at the call: an operation posted before the association completes to the
 * port too (Wine's test_completion_port, fact 39). Returns true when a packet was queued.
 */
export function postCompletion(sock: Socket, overlapped: WSAOVERLAPPED, bytes: number, status: number): boolean {
  const a = ASSOCIATIONS.get(sock);
  if (a === undefined || a.port.closed) return false;
  a.port.post({ key: a.key, bytes, overlapped, status });
  return true;
}
