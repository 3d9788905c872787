/**
 * Readiness: what WSPSelect reports, and the network events of WSPEventSelect and
 * WSPAsyncSelect. An event is an occurrence (a connection arriving, data arriving, a connect
 * finishing, a stream becoming writable again, the peer closing), recorded once and then not
 * again until its re-enabling function is called (recv for FD_READ and FD_OOB, accept for FD_ACCEPT, a send
 * that met a full buffer for FD_WRITE, connect for FD_CONNECT); if the condition still holds
 * then, it is recorded again at once. Event mode and message mode differ in what selecting again
 * does (see {@link selectEvents}); the rules are the ones Wine's test suite shows for Windows.
 */
import {
  FD_ACCEPT, FD_CLOSE, FD_CONNECT, FD_MAX_EVENTS, FD_OOB, FD_READ, FD_WRITE, SOCK_STREAM, WSAECONNABORTED, WSAECONNRESET,
} from './constants.js';
import { streamBytesReadable, urgentPending } from './data.js';
import type { Endpoint, Socket } from './socket.js';

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

/**
 * One socket's WSPEventSelect or WSPAsyncSelect association. It is made by the first of those
 * calls and kept for the socket's life: cancelling (lNetworkEvents 0) only empties `selected`,
 * and events keep being recorded meanwhile (Windows reports them once they are selected again).
 */
export interface EventSelection {
  /** lNetworkEvents: the FD_* bits asked for. */
  selected: number;
  /** Which call made the association last: events signal an event object, or are posted. */
  mode: 'event' | 'message';
  /**
   * Occurred and not yet reported by WSPEnumNetworkEvents — selected or not: enumerating
   * reports and clears only the selected ones, the others wait for a later selection.
   */
  recorded: number;
  /** Recorded (or posted) and not re-enabled since: a new occurrence is not recorded again. */
  disabled: number;
  /** iErrorCode, indexed by FD_*_BIT. */
  readonly errors: number[];
  /** WSPEventSelect: the event object to signal. */
  event: WSAEvent | null;
  /** WSPAsyncSelect: where each event is posted. */
  message: AsyncTarget | null;
  /** The socket's state when it was last looked at: an event occurs when it changes. */
  seen: Seen;
}

/** What {@link evaluate} saw last: a network event is an occurrence, not a level. */
interface Seen {
  /** A connect attempt had finished (stream). */
  connect: boolean;
  /** Connections WSPAccept could take. */
  accept: number;
  /** Bytes (stream) or datagrams waiting. */
  read: number;
  /** Urgent bytes waiting for a MSG_OOB receive (stream). */
  oob: number;
  /** An ICMP port unreachable waiting to be reported (datagram). */
  unreachable: boolean;
  /** A stream was writable. */
  write: boolean;
  /** The peer had closed or reset the connection. */
  close: boolean;
  /** A datagram socket had a local address. */
  bound: boolean;
  /** The peer a datagram socket was connected to. */
  remote: Endpoint | null;
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

function nothingSeen(): Seen {
  return { connect: false, accept: 0, read: 0, oob: 0, unreachable: false, write: false, close: false, bound: false, remote: null };
}

/**
 * A fresh association (an accepted socket inherits its listener's this way): nothing seen yet,
 * so whatever already holds on the socket (connected and writable, data) occurs at once.
 */
export function newSelection(selected: number, event: WSAEvent | null, message: AsyncTarget | null): EventSelection {
  return {
    selected, mode: message !== null ? 'message' : 'event', recorded: 0, disabled: 0,
    errors: new Array<number>(FD_MAX_EVENTS).fill(0), event, message, seen: nothingSeen(),
  };
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
  return streamBytesReadable(sock) > 0 || sock.peerClosed || sock.reset || sock.receiveShutdown;
}

/**
 * writefds: connected (a non-blocking connect succeeded) and a send would not block — which
 * includes a reset connection, where a send fails at once (Wine's test_tcp_reset: the socket is
 * then readable and writable).
 */
export function isWritable(sock: Socket): boolean {
  if (sock.sendShutdown) return false;
  if (sock.type !== SOCK_STREAM) return true;
  return sock.phase === 'connected' && (sock.reset || sendSpace(sock) > 0);
}

/**
 * exceptfds: the last connect attempt failed (no out-of-band data exists here). It stays so
 * until the next attempt, even once the socket listens (Wine's test_select: a socket whose
 * connect was refused and that then listens is still in exceptfds).
 */
export function hasException(sock: Socket): boolean {
  if (sock.type !== SOCK_STREAM) return false;
  if (sock.connectResult !== null && sock.connectResult !== 0 && sock.phase !== 'connecting' && sock.phase !== 'connected') return true;
  // Urgent data waiting for a MSG_OOB receive (none with SO_OOBINLINE: it is then readable).
  return sock.phase === 'connected' && urgentPending(sock) > 0;
}

// ---- network events ---------------------------------------------------------------------------

/**
 * The order in which events that occur together are posted (and recorded): FD_CONNECT before
 * FD_WRITE and FD_READ (Wine's test_connect_events), FD_READ before FD_WRITE (test_read_events),
 * FD_CLOSE last.
 */
const ORDER = [FD_CONNECT, FD_ACCEPT, FD_OOB, FD_READ, FD_WRITE, FD_CLOSE] as const;

function bitIndex(bit: number): number {
  return 31 - Math.clz32(bit);
}

/** Connections WSPAccept could take now. */
function acceptable(sock: Socket): number {
  if (sock.phase !== 'listening' || sock.queue === null) return 0;
  let n = 0;
  for (const entry of sock.queue.entries.values()) if (entry.state !== 'handshake') n++;
  return n;
}

/** Bytes (stream) or datagrams waiting to be read. */
function waiting(sock: Socket): number {
  if (sock.type !== SOCK_STREAM) return sock.datagrams.length - sock.datagramHead;
  return sock.phase === 'connected' ? streamBytesReadable(sock) : 0;
}

/** Urgent bytes waiting for a MSG_OOB receive. */
function urgent(sock: Socket): number {
  return sock.type === SOCK_STREAM && sock.phase === 'connected' ? urgentPending(sock) : 0;
}

function unreachable(sock: Socket): boolean {
  return sock.type !== SOCK_STREAM && sock.pendingUnreachable && sock.reportUnreachable;
}

function closed(sock: Socket): boolean {
  return sock.type === SOCK_STREAM && (sock.peerClosed || sock.reset);
}

/**
 * FD_CLOSE's error: 0 for a graceful close; for a reset, WSAECONNABORTED — what Windows reports
 * when the peer resets (Wine's test_close_events: a close with a zero linger on the other end),
 * although the calls on the socket then fail with WSAECONNRESET.
 */
function closeError(sock: Socket): number {
  if (!sock.reset) return 0;
  return sock.resetCode === 0 || sock.resetCode === WSAECONNRESET ? WSAECONNABORTED : sock.resetCode;
}

/** What the socket looks like now, as {@link Seen} records it. */
function look(sock: Socket): Seen {
  return {
    connect: sock.connectResult !== null,
    accept: acceptable(sock),
    read: waiting(sock),
    oob: urgent(sock),
    unreachable: unreachable(sock),
    // A reset stream is writable for WSPSelect, but that is no FD_WRITE (FD_CLOSE reports it).
    write: sock.type === SOCK_STREAM && !sock.reset && isWritable(sock),
    close: closed(sock),
    bound: sock.local !== null,
    remote: sock.type === SOCK_STREAM ? null : sock.remote,
  };
}

/**
 * Records one occurrence, unless the event is disabled (recorded before and not re-enabled);
 * adds it to `due` when it is selected (to be signaled or posted now).
 */
function occur(n: EventSelection, bit: number, error: number, due: number[]): void {
  if ((n.disabled & bit) !== 0) return;
  n.disabled |= bit;
  n.errors[bitIndex(bit)] = error;
  const selected = (n.selected & bit) !== 0;
  // A posted message is the report; an event object's record waits for WSPEnumNetworkEvents.
  if (n.mode === 'event' || !selected) n.recorded |= bit;
  if (selected) due.push(bit);
}

/** Posts through WPUPostMessage; a throwing upcall must not unwind the network that called us. */
function postMessage(m: AsyncTarget, handle: number, lParam: number): void {
  try {
    m.post(m.hWnd, m.wMsg, handle, lParam);
  } catch {
    // WPUPostMessage reports failure by returning FALSE; a lost message is all it can cost.
  }
}

/** Signals the event object or posts the messages for the events now due, in {@link ORDER}. */
function deliver(sock: Socket, n: EventSelection, due: number[]): void {
  if (due.length === 0) return;
  if (n.mode === 'event') {
    if (n.event !== null) signal(n.event);
    return;
  }
  const m = n.message;
  if (m === null) return;
  for (const bit of ORDER) {
    if (due.includes(bit)) postMessage(m, sock.handle, makeSelectReply(bit, n.errors[bitIndex(bit)]!));
  }
}

/**
 * Records what occurred since the socket was last looked at, and signals the event object or
 * posts the messages. An occurrence is a change: a connect finishing, a connection becoming
 * acceptable, bytes, urgent bytes or a datagram arriving, a stream becoming writable (after a
 * send met a full buffer), the peer closing or resetting, a datagram socket being bound or
 * connected.
 */
export function evaluate(sock: Socket): void {
  const n = sock.notify;
  if (n === null) return;
  // The core arms FD_WRITE when a connection is made; only a send's WSAEWOULDBLOCK arms it here.
  sock.writeArmed = false;
  const was = n.seen;
  const now = look(sock);
  n.seen = now;
  const due: number[] = [];
  if (sock.type === SOCK_STREAM) {
    if (now.connect && !was.connect) occur(n, FD_CONNECT, sock.connectResult!, due);
    if (now.accept > was.accept) occur(n, FD_ACCEPT, 0, due);
    if (now.oob > was.oob) occur(n, FD_OOB, 0, due);
    if (now.read > was.read) occur(n, FD_READ, 0, due);
    if (now.write && !was.write) occur(n, FD_WRITE, 0, due);
    if (now.close && !was.close) occur(n, FD_CLOSE, closeError(sock), due);
  } else {
    const connected = now.remote !== null && now.remote !== was.remote;
    // A datagram connect: FD_CONNECT in event mode only, and FD_WRITE again in both modes
    // (Wine's test_connect_events with UDP sockets).
    if (connected && n.mode === 'event') occur(n, FD_CONNECT, 0, due);
    if (now.read > was.read || (now.unreachable && !was.unreachable)) occur(n, FD_READ, 0, due);
    if (connected) {
      n.disabled &= ~FD_WRITE;
      n.recorded &= ~FD_WRITE;
    }
    if (!sock.sendShutdown && ((now.bound && !was.bound) || connected)) occur(n, FD_WRITE, 0, due);
  }
  deliver(sock, n, due);
}

/** Sets the event through the class's own method; a caller who redefined it must not unwind the network. */
function signal(event: WSAEvent): void {
  try {
    WSAEvent.prototype.set.call(event);
  } catch {
    // the caller broke its own event object; the recorded events are still there to enumerate
  }
}

/**
 * The re-enabling function for `bits` was called (WSPRecv for FD_READ and FD_OOB, WSPAccept for FD_ACCEPT,
 * WSPConnect for FD_CONNECT, a WSPSend that met a full buffer for FD_WRITE): the event may be
 * recorded again, and is at once if its condition holds. A send that did not meet a full buffer
 * re-enables nothing (Wine's test_write_events: "calling send() doesn't clear the FD_WRITE bit").
 */
export function reenable(sock: Socket, bits: number): void {
  const n = sock.notify;
  if ((bits & FD_WRITE) !== 0) {
    if (!sock.writeArmed) bits &= ~FD_WRITE;
    sock.writeArmed = false;
  }
  if (n === null || bits === 0) return;
  n.disabled &= ~bits;
  n.recorded &= ~bits;
  const seen = n.seen;
  if ((bits & FD_READ) !== 0) {
    seen.read = 0;
    seen.unreachable = false;
  }
  if ((bits & FD_ACCEPT) !== 0) seen.accept = 0;
  if ((bits & FD_OOB) !== 0) seen.oob = 0;
  if ((bits & FD_CONNECT) !== 0) seen.connect = false;
  if ((bits & FD_WRITE) !== 0) seen.write = false;
  evaluate(sock);
}

/** The conditions an event object's record starts with when a socket is first selected. */
function alreadyOccurred(sock: Socket, now: Seen): number {
  let bits = 0;
  if (sock.type === SOCK_STREAM) {
    if (now.connect) bits |= FD_CONNECT;
    if (now.accept > 0) bits |= FD_ACCEPT;
    if (now.oob > 0) bits |= FD_OOB;
    if (now.read > 0) bits |= FD_READ;
    if (now.write) bits |= FD_WRITE;
    if (now.close) bits |= FD_CLOSE;
  } else {
    if (now.remote !== null) bits |= FD_CONNECT;
    if (now.read > 0 || now.unreachable) bits |= FD_READ;
    if (now.bound && !sock.sendShutdown) bits |= FD_WRITE;
  }
  return bits;
}

/** The events a WSPAsyncSelect posts at once: the conditions that hold now (never FD_CONNECT). */
function holdingNow(sock: Socket, now: Seen): number {
  let bits = 0;
  if (now.accept > 0) bits |= FD_ACCEPT;
  if (now.oob > 0) bits |= FD_OOB;
  if (now.read > 0 || now.unreachable) bits |= FD_READ;
  if (sock.type === SOCK_STREAM ? now.write : !sock.sendShutdown) bits |= FD_WRITE;
  if (now.close) bits |= FD_CLOSE;
  return bits;
}

function errorOf(sock: Socket, bit: number): number {
  if (bit === FD_CONNECT) return sock.type === SOCK_STREAM ? sock.connectResult ?? 0 : 0;
  if (bit === FD_CLOSE) return closeError(sock);
  return 0;
}

/**
 * WSPEventSelect (`message` null) and WSPAsyncSelect: a new association replacing the previous
 * one, with the rules Wine's test_events shows for Windows:
 *
 * - The first selection of a socket finds, as already occurred, what happened to it before:
 *   its connect finished (FD_CONNECT, never for an accepted socket), it became writable, a
 *   connection or data is waiting, the peer closed (a datagram socket: bound, connected).
 * - Event mode keeps its record across selections: selecting again signals the event object if
 *   a recorded event is now selected, but does not record again what was already reported; it
 *   does re-enable recording, so the next occurrence is recorded even without a re-enabling call.
 * - Message mode posts at once every selected condition that holds now (a pending connection,
 *   data, writable, closed), each time it is called, even when it was posted before.
 */
export function selectEvents(sock: Socket, selected: number, event: WSAEvent | null, message: AsyncTarget | null): void {
  const mode = message !== null ? 'message' : 'event';
  let n = sock.notify;
  if (n === null) {
    n = newSelection(selected, event, message);
    const now = look(sock);
    n.seen = now;
    const bits = alreadyOccurred(sock, now);
    n.recorded = bits;
    for (const bit of ORDER) if ((bits & bit) !== 0) n.errors[bitIndex(bit)] = errorOf(sock, bit);
    sock.notify = n;
  } else if (selected !== 0) {
    n.mode = mode;
  }
  sock.writeArmed = false;
  n.selected = selected;
  n.event = selected === 0 ? null : event;
  n.message = selected === 0 ? null : message;
  n.disabled = 0;
  if (selected === 0) return;
  const due: number[] = [];
  if (mode === 'event') {
    if ((n.recorded & selected) !== 0) due.push(n.recorded & selected);
  } else {
    const holding = holdingNow(sock, look(sock)) & selected;
    n.recorded &= ~holding;
    for (const bit of ORDER) {
      if ((holding & bit) === 0) continue;
      n.disabled |= bit;
      n.errors[bitIndex(bit)] = errorOf(sock, bit);
      due.push(bit);
    }
  }
  deliver(sock, n, due);
}

/**
 * WSPEnumNetworkEvents: the recorded events that are selected now, each with its error code;
 * they are cleared, the others stay recorded.
 */
export function recordedEvents(sock: Socket): { events: number; errors: readonly number[] } {
  const n = sock.notify;
  if (n === null) return { events: 0, errors: [] };
  return { events: n.recorded & n.selected, errors: n.errors };
}

/** Clears what {@link recordedEvents} reported. */
export function clearRecorded(sock: Socket, events: number): void {
  const n = sock.notify;
  if (n !== null) n.recorded &= ~events;
}
