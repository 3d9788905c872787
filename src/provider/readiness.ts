/**
 * Readiness: what WSPSelect reports, and the network events of WSPEventSelect and
 * WSPAsyncSelect with Winsock's re-enabling rules. An event is recorded once when its
 * condition becomes true, then stays quiet until the function that re-enables it is called
 * (recv for FD_READ, accept for FD_ACCEPT, send after WSAEWOULDBLOCK for FD_WRITE, a new
 * connect for FD_CONNECT); if the condition still holds then, it is recorded again.
 */
import {
  FD_ACCEPT, FD_CLOSE, FD_CONNECT, FD_MAX_EVENTS, FD_READ, FD_WRITE, SOCK_STREAM, WSAECONNRESET,
} from './constants.js';
import type { Socket } from './socket.js';

/**
 * An event object (what WSACreateEvent makes and WSPEventSelect signals): manual-reset,
 * created non-signaled.
 */
export class WSAEvent {
  readonly #brand = true;

  /** True for an event object this package made; never for a Proxy of one or a look-alike. */
  static is(x: unknown): x is WSAEvent {
    return typeof x === 'object' && x !== null && #brand in x;
  }

  /** True while signaled. */
  signaled = false;
  /** Called when the event becomes signaled (a waiter may hook in). */
  onSet: (() => void) | null = null;

  /** WSASetEvent. */
  set(): void {
    if (this.signaled) return;
    this.signaled = true;
    this.onSet?.();
  }

  /** WSAResetEvent. */
  reset(): void {
    this.signaled = false;
  }
}

/** One socket's WSPEventSelect or WSPAsyncSelect association. */
export interface EventSelection {
  /** lNetworkEvents: the FD_* bits asked for. */
  selected: number;
  /** Recorded since the last WSPEnumNetworkEvents. */
  recorded: number;
  /** Recorded and not re-enabled since. */
  disabled: number;
  /** iErrorCode, indexed by FD_*_BIT. */
  readonly errors: number[];
  /** WSPEventSelect: the event object to signal. */
  event: WSAEvent | null;
  /** WSPAsyncSelect: where each event is posted. */
  message: AsyncTarget | null;
}

/** A WSPAsyncSelect target: the window, the message, and the upcall that posts it (WPUPostMessage). */
export interface AsyncTarget {
  readonly hWnd: unknown;
  readonly wMsg: number;
  readonly post: (hWnd: unknown, wMsg: number, wParam: number, lParam: number) => unknown;
}

/** WSAMAKESELECTREPLY: the event in the low word, the error in the high word. */
export function makeSelectReply(event: number, error: number): number {
  return ((error & 0xffff) << 16 | (event & 0xffff)) >>> 0;
}

export function newSelection(selected: number, event: WSAEvent | null, message: AsyncTarget | null): EventSelection {
  return { selected, recorded: 0, disabled: 0, errors: new Array<number>(FD_MAX_EVENTS).fill(0), event, message };
}

/** Bytes a send may queue now. SO_SNDBUF 0 means "no buffering": one send at a time, whole. */
export function sendSpace(sock: Socket): number {
  const conn = sock.conn;
  if (conn === null) return 0;
  const buffered = conn.bufferedBytes;
  if (sock.sendBuffer === 0) return buffered === 0 ? Number.MAX_SAFE_INTEGER : 0;
  return Math.max(0, sock.sendBuffer - buffered);
}

/** readfds: a connection to accept, data, end of stream, a reset, or a datagram (or its ICMP error). */
export function isReadable(sock: Socket): boolean {
  if (sock.type !== SOCK_STREAM) {
    return sock.datagramHead < sock.datagrams.length || (sock.pendingUnreachable && sock.reportUnreachable);
  }
  if (sock.phase === 'listening') return sock.queue !== null && sock.queue.first() !== undefined;
  if (sock.phase !== 'connected') return false;
  return sock.inbox.length > 0 || sock.peerClosed || sock.reset || sock.receiveShutdown;
}

/** writefds: connected (a non-blocking connect succeeded) and a send would not block. */
export function isWritable(sock: Socket): boolean {
  if (sock.sendShutdown) return false;
  if (sock.type !== SOCK_STREAM) return true;
  return sock.phase === 'connected' && !sock.reset && sendSpace(sock) > 0;
}

/** exceptfds: a non-blocking connect failed (no out-of-band data exists here). */
export function hasException(sock: Socket): boolean {
  return sock.type === SOCK_STREAM && sock.phase === 'bound' && sock.connectResult !== null && sock.connectResult !== 0;
}

/** FD_* bits whose condition holds now. */
function conditions(sock: Socket): number {
  let bits = 0;
  if (sock.type !== SOCK_STREAM) {
    if (isReadable(sock)) bits |= FD_READ;
    if (sock.writeArmed && isWritable(sock)) bits |= FD_WRITE;
    return bits;
  }
  if (sock.phase === 'listening') return isReadable(sock) ? FD_ACCEPT : 0;
  if (sock.connectResult !== null) bits |= FD_CONNECT;
  if (sock.phase === 'connected') {
    if (sock.inbox.length > 0) bits |= FD_READ;
    if (sock.writeArmed && isWritable(sock)) bits |= FD_WRITE;
    // FD_CLOSE once the data before the FIN has been read; at once for a reset.
    if (sock.reset || (sock.peerClosed && sock.inbox.length === 0)) bits |= FD_CLOSE;
  }
  return bits;
}

function errorFor(sock: Socket, bit: number): number {
  if (bit === FD_CONNECT) return sock.connectResult ?? 0;
  if (bit === FD_CLOSE) return sock.reset ? sock.resetCode || WSAECONNRESET : 0;
  return 0;
}

/** Posts through WPUPostMessage; a throwing upcall must not unwind the network that called us. */
function postMessage(m: AsyncTarget, handle: number, lParam: number): void {
  try {
    m.post(m.hWnd, m.wMsg, handle, lParam);
  } catch {
    // WPUPostMessage reports failure by returning FALSE; a lost message is all it can cost.
  }
}

/** Records the events that became due and signals the event object or posts the messages. */
export function evaluate(sock: Socket): void {
  const n = sock.notify;
  if (n === null || n.selected === 0) return;
  const fresh = conditions(sock) & n.selected & ~n.disabled;
  if (fresh === 0) return;
  for (let i = 0; i < FD_MAX_EVENTS; i++) {
    const bit = 1 << i;
    if ((fresh & bit) === 0) continue;
    const error = errorFor(sock, bit);
    n.disabled |= bit;
    n.recorded |= bit;
    n.errors[i] = error;
    if (bit === FD_WRITE) sock.writeArmed = false;
    if (n.message !== null) postMessage(n.message, sock.handle, makeSelectReply(bit, error));
  }
  if (n.event !== null) signal(n.event);
}

/** Sets the event through the class's own method; a caller who redefined it must not unwind the network. */
function signal(event: WSAEvent): void {
  try {
    WSAEvent.prototype.set.call(event);
  } catch {
    // the caller broke its own event object; the recorded events are still there to enumerate
  }
}

/** The re-enabling function for `bits` was called. */
export function reenable(sock: Socket, bits: number): void {
  const n = sock.notify;
  if (n === null) return;
  n.disabled &= ~bits;
  evaluate(sock);
}
