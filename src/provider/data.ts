/**
 * The data path: send and receive on streams and datagrams, urgent data (MSG_OOB, SO_OOBINLINE,
 * SIOCATMARK), shutdown, readiness for WSPSelect, and FIONREAD. Results follow the core's
 * convention: >= 0 success, < 0 a negated WSA error code. The rules are Windows' as Wine's
 * ws2_32 test suite shows them (test/wine/stream.test.ts, udp.test.ts, oob.test.ts).
 */
import {
  IPPROTO_IP, IPPROTO_IPV6, IP_PKTINFO, IPV6_PKTINFO, MSG_DONTROUTE, MSG_OOB, MSG_PARTIAL, MSG_PEEK, MSG_PUSH_IMMEDIATE, MSG_WAITALL, SD_BOTH, SD_RECEIVE, SD_SEND,
  SOCK_DGRAM, SOCK_STREAM, WSAEACCES, WSAECONNABORTED, WSAECONNRESET, WSAEDESTADDRREQ, WSAEFAULT, WSAEADDRNOTAVAIL, WSAEINTR,
  WSAEINVAL, WSAEMSGSIZE, WSAENETUNREACH, WSAENOBUFS, WSAENOTCONN, WSAENOTSOCK, WSAEOPNOTSUPP, WSAESHUTDOWN,
  WSAETIMEDOUT, WSAEWOULDBLOCK, FD_OOB, FD_READ, FD_WRITE,
} from './constants.js';
import type { ProviderCore } from './provider.js';
import { hasException, isReadable, isWritable, reenable, sendSpace } from './readiness.js';
import { NO_DATAGRAMS, type Endpoint, type Socket } from './socket.js';
import { addressFor, type BlockOutcome, type DatagramReceiver, type StreamConnection } from './transport.js';
import { isMulticastAddress, multicastSend, multicastSource } from './multicast-options.js';

/** Largest UDP payload: 65535 minus the IPv4 (20) or, for IPv6, only the UDP (8) header. */
export function maxDatagram(version: 4 | 6): number {
  return version === 4 ? 65507 : 65527;
}

/** What a successful receive reports. */
export interface Received {
  count: number;
  /** lpFlags on return: MSG_PARTIAL never (no message-oriented stream protocol here), else 0. */
  flags: number;
  /** The sender (datagrams) or the peer (streams). */
  from: Endpoint | null;
  /** Set for a datagram truncated to fit (the bytes are still delivered): WSAEMSGSIZE. */
  truncated: boolean;
}

function total(bufs: readonly Uint8Array[]): number {
  let n = 0;
  for (const b of bufs) n += b.length;
  return n;
}

/** Copies `out.length` bytes starting at logical offset `from` of the scatter list into `out`. */
function gather(bufs: readonly Uint8Array[], from: number, out: Uint8Array): Uint8Array {
  const len = out.length;
  // One buffer holds it all (the usual case). set() into an array is more than twice as fast
  // as slice() for large copies in V8 (measured at 64 KiB).
  const first = bufs[0];
  if (first !== undefined && from + len <= first.length) {
    out.set(from === 0 && len === first.length ? first : first.subarray(from, from + len));
    return out;
  }
  let skip = from;
  let filled = 0;
  for (const b of bufs) {
    if (filled === len) break;
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    const n = Math.min(b.length - skip, len - filled);
    out.set(b.subarray(skip, skip + n), filled);
    filled += n;
    skip = 0;
  }
  return out;
}

/** Copies a datagram into scatter buffers; returns the count copied. */
function scatter(payload: Uint8Array, targets: readonly Uint8Array[]): number {
  let off = 0;
  for (const t of targets) {
    if (off === payload.length) break;
    const n = Math.min(t.length, payload.length - off);
    t.set(payload.subarray(off, off + n));
    off += n;
  }
  return off;
}

/** A blocking wait's timeout: SO_SNDTIMEO/SO_RCVTIMEO of 0 means none. */
function timeout(ms: number): number | undefined {
  return ms > 0 ? ms : undefined;
}

/** The error a blocking wait that did not succeed turns into. */
function waitFailed(outcome: BlockOutcome): number {
  if (outcome === 'deadline') return -WSAETIMEDOUT;
  if (outcome === 'unsupported') return -WSAEWOULDBLOCK;
  return -WSAEINTR;
}

/**
 * What calls on a broken connection report: why it broke. A reset that comes after the peer's
 * FIN (the peer closed, then refused data it could no longer read) reads as WSAECONNABORTED, as
 * on Windows (Wine's test_shutdown: send to a peer that shut down and closed, then recv).
 */
function brokenCode(sock: Socket): number {
  const code = sock.resetCode || WSAECONNRESET;
  return -(code === WSAECONNRESET && sock.peerClosed ? WSAECONNABORTED : code);
}

// ---- urgent data ----------------------------------------------------------------------------

/**
 * What a stream connection offers for urgent data (MSG_OOB). The virtual network's TCP has it;
 * node:net has no urgent data, so on the host network MSG_OOB is refused (WSAEOPNOTSUPP).
 */
interface UrgentStream {
  /** SO_OOBINLINE as the connection applies it to urgent bytes that arrive. */
  oobInline: boolean;
  /** Urgent bytes held apart from the stream, not yet taken. */
  readonly urgentCount: number;
  /** Queues bytes whose last byte is urgent. */
  sendUrgent(bytes: Uint8Array): void;
  peekUrgent(): number;
  takeUrgent(): number;
  /** Where the oldest held urgent byte sits: minus the normal bytes delivered after it. */
  urgentOffset(): number;
}

function urgentStream(conn: StreamConnection | null): UrgentStream | null {
  return conn !== null && typeof (conn as Partial<UrgentStream>).takeUrgent === 'function' ? conn as unknown as UrgentStream : null;
}

/**
 * Tells the connection the socket's SO_OOBINLINE, so that urgent bytes arriving from now on stay
 * in the stream (or not). Every data call does it; the option's setter and the code that gives
 * a socket its connection should call it too, so that a byte arriving before any data call is
 * placed right.
 */
export function oobInlineChanged(sock: Socket): void {
  const u = urgentStream(sock.conn);
  if (u !== null && u.oobInline !== sock.oobInline) u.oobInline = sock.oobInline;
}

/**
 * Urgent bytes waiting for a MSG_OOB receive: what exceptfds and FD_OOB report. None with
 * SO_OOBINLINE on (Wine's test_select: the socket is then readable, not in exceptfds).
 */
export function urgentPending(sock: Socket): number {
  if (sock.oobInline || sock.type !== SOCK_STREAM) return 0;
  return urgentStream(sock.conn)?.urgentCount ?? 0;
}

/**
 * Bytes a normal receive on a stream could return now: the unread bytes, and with SO_OOBINLINE
 * the urgent bytes that arrived (held apart) before it was set, which now read as data (Wine's
 * test_fionread_siocatmark: FIONREAD counts such a byte once SO_OOBINLINE is on). What readfds,
 * FD_READ and FIONREAD report.
 */
export function streamBytesReadable(sock: Socket): number {
  const n = sock.inbox.length;
  return sock.oobInline ? n + (urgentStream(sock.conn)?.urgentCount ?? 0) : n;
}

/**
 * SIOCATMARK: 1 (TRUE) unless an urgent byte waits to be read, with or without SO_OOBINLINE
 * (Wine's test_fionread_siocatmark and oob_server). Datagram sockets, and sockets without a
 * connection, are always at the mark.
 */
export function atMark(core: ProviderCore, s: unknown): number {
  const sock = core.enter(s, true);
  if (typeof sock === 'number') return sock;
  if (sock.type !== SOCK_STREAM) return 1;
  oobInlineChanged(sock);
  return (urgentStream(sock.conn)?.urgentCount ?? 0) > 0 ? 0 : 1;
}

// ---- streams --------------------------------------------------------------------------

// Each transfer call re-enables its event even when it fails (the WSPEventSelect page).

/** WSPSend. */
export function send(core: ProviderCore, s: unknown, data: readonly Uint8Array[], flags: number): number {
  const sock = core.enter(s);
  if (typeof sock === 'number') return sock;
  const r = sock.type === SOCK_STREAM ? streamSend(core, sock, data, flags) : datagramSend(core, sock, data, flags, null, false);
  if (sock.type === SOCK_STREAM) oobInlineChanged(sock);
  reenable(sock, FD_WRITE);
  return r;
}

/**
 * WSPSendTo, and WSPSend on a datagram socket (`viaSendTo` false). With no destination, WSPSend
 * reports WSAENOTCONN and WSPSendTo WSAEDESTADDRREQ, as each documents. A stream ignores `to`.
 */
export function sendTo(core: ProviderCore, s: unknown, data: readonly Uint8Array[], flags: number, to: Endpoint | null): number {
  const sock = core.enter(s);
  if (typeof sock === 'number') return sock;
  const r = sock.type === SOCK_STREAM ? streamSend(core, sock, data, flags) : datagramSend(core, sock, data, flags, to, true);
  reenable(sock, FD_WRITE);
  return r;
}

/** WSPRecv and WSPRecvFrom. */
export function recv(core: ProviderCore, s: unknown, targets: readonly Uint8Array[], flags: number): Received | number {
  const sock = core.enter(s);
  if (typeof sock === 'number') return sock;
  if (sock.type !== SOCK_STREAM) {
    const r = datagramRecv(core, sock, targets, flags);
    reenable(sock, FD_READ);
    return r;
  }
  oobInlineChanged(sock);
  const r = (flags & MSG_OOB) !== 0 ? urgentRecv(core, sock, targets, flags) : streamRecv(core, sock, targets, flags);
  // Every receive re-enables FD_READ and FD_OOB (the WSPAsyncSelect page; Wine's test_oob_events).
  reenable(sock, FD_READ | FD_OOB);
  return r;
}

/**
 * Windows takes a send whole whenever the send buffer is not full, blocking or not (Wine's
 * test_send_buffering: non-blocking sends of 50 MiB on a fresh connection return 50 MiB until
 * one fails with WSAEWOULDBLOCK, never a part). Only a full buffer makes a send wait (blocking)
 * or fail with WSAEWOULDBLOCK (non-blocking). The host's memory budget can still cut a
 * non-blocking send short (decisions.md). With MSG_OOB the last byte is urgent.
 */
function streamSend(core: ProviderCore, sock: Socket, data: readonly Uint8Array[], flags: number): number {
  if (flags & ~(MSG_OOB | MSG_DONTROUTE | MSG_PARTIAL | MSG_PUSH_IMMEDIATE)) return -WSAEOPNOTSUPP;
  if (sock.reset) return brokenCode(sock);
  if (sock.phase !== 'connected') return -WSAENOTCONN;
  if (sock.sendShutdown) return -WSAESHUTDOWN;
  const urgent = (flags & MSG_OOB) !== 0;
  if (urgent && sock.conn !== null && urgentStream(sock.conn) === null) return -WSAEOPNOTSUPP;
  const size = total(data);
  let sent = 0;
  while (sent < size) {
    const conn = sock.conn;
    if (conn === null || sock.reset) {
      if (sent > 0) break;
      return sock.reset ? brokenCode(sock) : -WSAENOTCONN;
    }
    const space = sendRoom(sock);
    const room = space > 0 ? Math.min(size - sent, core.budgetFree()) : 0;
    if (room <= 0) {
      // Out of send buffer, or of the host's memory budget (which acknowledgments give back).
      const noMemory = space > 0;
      if (sock.nonBlocking) {
        if (sent > 0) break;
        if (noMemory) return -WSAENOBUFS;
        sock.writeArmed = true;
        return -WSAEWOULDBLOCK;
      }
      const roomAgain = () => sock.conn !== conn || sock.reset || Math.min(sendRoom(sock), core.budgetFree()) > 0;
      const outcome = core.transport.block(roomAgain, timeout(sock.sendTimeoutMs));
      if (outcome !== 'done') {
        if (sent > 0) break;
        return noMemory && outcome === 'idle' ? -WSAENOBUFS : waitFailed(outcome);
      }
      continue;
    }
    core.charge(room);
    sock.sendCharged += room;
    // Handed over in pieces of at most SEND_PIECE bytes, so a large send reuses the connection's
    // pooled send buffers instead of allocating one of its own size.
    const end = sent + room;
    while (sent < end) {
      const n = Math.min(end - sent, SEND_PIECE);
      const piece = gather(data, sent, conn.allocate(n));
      sent += n;
      const u = urgent && sent === size ? urgentStream(conn) : null;
      if (u !== null) u.sendUrgent(piece);
      else conn.sendData(piece);
    }
  }
  return sent;
}

/** The largest piece a send hands the connection at once (the largest pooled send buffer). */
const SEND_PIECE = 65536;

/**
 * Whether a send may be taken now (> 0). SO_SNDBUF 0 never fills: each send is taken whole,
 * whatever is still unacknowledged (Wine's test_set_getsockopt: three non-blocking 4096-byte
 * sends with SO_SNDBUF 0 to a peer with SO_RCVBUF 1024 each return 4096).
 */
function sendRoom(sock: Socket): number {
  return sock.sendBuffer === 0 && sock.conn !== null ? Number.MAX_SAFE_INTEGER : sendSpace(sock);
}

function streamRecv(core: ProviderCore, sock: Socket, targets: readonly Uint8Array[], flags: number): Received | number {
  if (flags & ~(MSG_PEEK | MSG_WAITALL | MSG_PUSH_IMMEDIATE)) return -WSAEOPNOTSUPP;
  const waitAll = (flags & MSG_WAITALL) !== 0;
  // WSARecv: MSG_WAITALL is refused on a non-blocking socket and together with MSG_PEEK.
  if (waitAll && (sock.nonBlocking || (flags & MSG_PEEK) !== 0)) return -WSAEOPNOTSUPP;
  if (sock.phase !== 'connected') return -WSAENOTCONN;
  if (sock.receiveShutdown) return -WSAESHUTDOWN;
  const peek = (flags & MSG_PEEK) !== 0;
  const capacity = total(targets);
  // A stream receive reports no sender: WSPRecvFrom leaves lpFrom and lpFromlen alone (Wine's
  // test_tcp_sendto_recvfrom and simple_mixed_client).
  const done = (count: number): Received => ({ count, flags: 0, from: null, truncated: false });
  let got = 0;
  // MSG_WAITALL fills the caller's buffers as data arrives (as AFD does), so the window keeps
  // opening and a request larger than SO_RCVBUF still completes.
  for (;;) {
    if (sock.reset) return got > 0 ? done(got) : brokenCode(sock);
    if (got < capacity) {
      const late = sock.oobInline ? urgentStream(sock.conn) : null;
      if (late !== null && late.urgentCount > 0) {
        // Urgent bytes held apart before SO_OOBINLINE was set read as data, in their place.
        const count = readLateUrgent(core, sock, late, got === 0 ? targets : skipBytes(targets, got), peek);
        got += count;
        if (!waitAll || count === 0) break;
        continue;
      }
      if (sock.inbox.length > 0) {
        const count = sock.inbox.read(got === 0 ? targets : skipBytes(targets, got), peek);
        if (!peek) {
          sock.conn?.consumed(count);
          core.refund(count);
        }
        got += count;
        if (!waitAll) break;
      }
    }
    // A zero-byte receive completes once there is something to read (as on Windows), not at once.
    if ((got === capacity && (capacity > 0 || streamBytesReadable(sock) > 0)) || sock.peerClosed) break;
    if (sock.nonBlocking) return -WSAEWOULDBLOCK;
    const outcome = core.transport.block(() => sock.reset || sock.peerClosed || streamBytesReadable(sock) > 0, timeout(sock.receiveTimeoutMs));
    if (outcome !== 'done') {
      if (got > 0) break; // MSG_WAITALL cut short: what there is
      return waitFailed(outcome);
    }
  }
  return done(got);
}

/**
 * A normal receive while urgent bytes held apart read as data (SO_OOBINLINE set after they
 * arrived): the unread bytes before the oldest one, or, when none is left before it, that byte.
 */
function readLateUrgent(core: ProviderCore, sock: Socket, u: UrgentStream, targets: readonly Uint8Array[], peek: boolean): number {
  const before = Math.max(0, sock.inbox.length + u.urgentOffset());
  if (before > 0) {
    const count = sock.inbox.read(upTo(targets, before), peek);
    if (!peek) {
      sock.conn?.consumed(count);
      core.refund(count);
    }
    return count;
  }
  const into = targets.find((t) => t.length > 0);
  if (into === undefined) return 0;
  into[0] = peek ? u.peekUrgent() : u.takeUrgent();
  return 1;
}

/** The buffers cut to their first `n` bytes. */
function upTo(bufs: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of bufs) {
    if (n === 0) break;
    out.push(b.length > n ? b.subarray(0, n) : b);
    n -= Math.min(n, b.length);
  }
  return out;
}

/**
 * recv with MSG_OOB: the oldest urgent byte, one byte a call (Wine's test_select and
 * test_fionread_siocatmark read them one by one; a larger buffer still gets one). MSG_PEEK
 * leaves it. With SO_OOBINLINE on, urgent data is read as data: WSAEINVAL (test_select). With
 * none waiting, a non-blocking socket gets WSAEWOULDBLOCK and a blocking one waits for one
 * (end of stream: 0).
 */
function urgentRecv(core: ProviderCore, sock: Socket, targets: readonly Uint8Array[], flags: number): Received | number {
  if (flags & ~(MSG_OOB | MSG_PEEK | MSG_PUSH_IMMEDIATE)) return -WSAEOPNOTSUPP;
  if (sock.phase !== 'connected') return -WSAENOTCONN;
  if (sock.receiveShutdown) return -WSAESHUTDOWN;
  if (sock.conn !== null && urgentStream(sock.conn) === null) return -WSAEOPNOTSUPP;
  const peek = (flags & MSG_PEEK) !== 0;
  const done = (count: number): Received => ({ count, flags: 0, from: null, truncated: false });
  for (;;) {
    if (sock.oobInline) return -WSAEINVAL;
    if (sock.reset) return brokenCode(sock);
    const u = urgentStream(sock.conn);
    if (u !== null && u.urgentCount > 0) {
      const into = targets.find((t) => t.length > 0);
      if (into === undefined) return done(0);
      into[0] = peek ? u.peekUrgent() : u.takeUrgent();
      return done(1);
    }
    if (sock.peerClosed) return done(0);
    if (sock.nonBlocking) return -WSAEWOULDBLOCK;
    const outcome = core.transport.block(
      () => sock.reset || sock.peerClosed || sock.oobInline || urgentPending(sock) > 0, timeout(sock.receiveTimeoutMs),
    );
    if (outcome !== 'done') return waitFailed(outcome);
  }
}

/** The buffers past their first `n` bytes (the same array when `n` is 0). */
export function skipBytes(bufs: readonly Uint8Array[], n: number): Uint8Array[] {
  if (n === 0) return bufs as Uint8Array[];
  const out: Uint8Array[] = [];
  for (const b of bufs) {
    if (n >= b.length) {
      n -= b.length;
      continue;
    }
    out.push(n > 0 ? b.subarray(n) : b);
    n = 0;
  }
  return out;
}

/** WSPShutdown. */
export function shutdown(core: ProviderCore, s: unknown, how: unknown): number {
  const sock = core.enter(s);
  if (typeof sock === 'number') return sock;
  if (how !== SD_RECEIVE && how !== SD_SEND && how !== SD_BOTH) return -WSAEINVAL;
  // A datagram socket may shut down connected or not (Wine's test_shutdown: SD_RECEIVE on a bound
  // UDP socket, SD_SEND on one that has only sent with sendto).
  if (sock.type === SOCK_STREAM && sock.phase !== 'connected') return -WSAENOTCONN;
  if (how !== SD_SEND) {
    sock.receiveShutdown = true;
    // Windows resets a TCP connection whose unread data (or later data) can never be read.
    if (sock.type === SOCK_STREAM && sock.inbox.length > 0) abortConnection(core, sock);
  }
  if (how !== SD_RECEIVE && !sock.sendShutdown) closeSending(sock);
  core.changed(sock);
  return 0;
}

/**
 * SD_SEND's effect, the argument checks done: no more sends; a stream's FIN goes after the data
 * already queued. The caller reports the change (DisconnectEx, whose FIN may wait for earlier
 * overlapped sends, uses it once they are taken).
 */
export function closeSending(sock: Socket): void {
  sock.sendShutdown = true;
  if (sock.type === SOCK_STREAM) sock.conn?.close();
}

/** Resets the connection from this side; the socket then reports WSAECONNABORTED. */
export function abortConnection(core: ProviderCore, sock: Socket): void {
  const conn = sock.conn;
  sock.conn = null;
  if (conn !== null) {
    conn.events = null;
    conn.abort();
  }
  core.refund(sock.inbox.length + sock.sendCharged);
  sock.inbox.clear();
  sock.sendCharged = 0;
  sock.resetCode = WSAECONNABORTED;
  sock.soError = WSAECONNABORTED;
  core.changed(sock);
}

// ---- datagrams ---------------------------------------------------------------------------

function datagramSend(core: ProviderCore, sock: Socket, data: readonly Uint8Array[], flags: number, to: Endpoint | null, viaSendTo: boolean): number {
  // A raw socket can be made, but no network here carries raw IP: it is receive-only, which is
  // what WSAEOPNOTSUPP documents for both send functions.
  if (sock.type !== SOCK_DGRAM) return -WSAEOPNOTSUPP;
  if (flags & MSG_OOB) return -WSAEOPNOTSUPP;
  if (flags & ~(MSG_DONTROUTE | MSG_PARTIAL)) return -WSAEOPNOTSUPP;
  if (sock.sendShutdown) return -WSAESHUTDOWN;
  const dest = to ?? sock.remote;
  if (dest === null) return viaSendTo ? -WSAEDESTADDRREQ : -WSAENOTCONN;
  if (dest.family !== sock.af) return -WSAEFAULT;
  // Port 0 is a destination like any other (Wine's test_UDP: sendto 127.0.0.1:0 and [::1]:0 send).
  if (dest.address === '0.0.0.0' || dest.address === '::') return -WSAEADDRNOTAVAIL;
  // SO_BROADCAST is asked of a sendto to the broadcast address only: a socket connected to it
  // sends there with send() while SO_BROADCAST is off (Wine's test_broadcast).
  if (to !== null && dest.address === '255.255.255.255' && !sock.broadcast) return -WSAEACCES;
  const size = total(data);
  if (size > maxDatagram(sock.version)) return -WSAEMSGSIZE;
  // The route first: a send that finds none fails changing nothing (no implicit bind).
  const bound = sock.local;
  const group = isMulticastAddress(dest.address);
  // A dual-stack IPv6 socket sends to a v4-mapped destination over IPv4 (route() says how).
  let source: string | undefined;
  let remote = dest.address;
  if (group) {
    source = bound !== null && bound.address !== '0.0.0.0' && bound.address !== '::' ? bound.address : multicastSource(sock, core.transport, dest.address);
  } else {
    const route = core.route(sock, dest.address);
    if (typeof route === 'number') return -route;
    source = route.source;
    remote = route.remote;
  }
  if (source === undefined) return -WSAENETUNREACH;
  if (bound === null) {
    const code = core.autoBind(sock);
    if (code !== 0) return -code;
  }
  const payload = gather(data, 0, new Uint8Array(size));
  if (group) sock.endpoint!.send(source, dest.address, dest.port, payload, multicastSend(sock));
  else sock.endpoint!.send(source, remote, dest.port, payload);
  return size;
}

function datagramRecv(core: ProviderCore, sock: Socket, targets: readonly Uint8Array[], flags: number): Received | number {
  if (flags & MSG_OOB) return -WSAEOPNOTSUPP;
  if (flags & ~(MSG_PEEK | MSG_PUSH_IMMEDIATE)) return -WSAEOPNOTSUPP;
  if (sock.local === null) return -WSAEINVAL;
  if (sock.receiveShutdown) return -WSAESHUTDOWN;
  const ready = () => sock.datagramHead < sock.datagrams.length || (sock.pendingUnreachable && sock.reportUnreachable);
  if (!ready()) {
    if (sock.nonBlocking) return -WSAEWOULDBLOCK;
    const outcome = core.transport.block(ready, timeout(sock.receiveTimeoutMs));
    if (outcome !== 'done') return waitFailed(outcome);
  }
  if (sock.pendingUnreachable && sock.reportUnreachable) {
    sock.pendingUnreachable = false;
    return -WSAECONNRESET;
  }
  const d = sock.datagrams[sock.datagramHead]!;
  const count = scatter(d.payload, targets);
  if ((flags & MSG_PEEK) === 0) {
    sock.datagrams[sock.datagramHead++] = undefined!;
    if (sock.datagramHead === sock.datagrams.length) {
      sock.datagrams.length = 0;
      sock.datagramHead = 0;
    }
    sock.datagramBytes -= d.payload.length;
    core.refund(d.payload.length);
  }
  return { count, flags: 0, from: d.from, truncated: count < d.payload.length };
}

/**
 * Where a queued datagram was sent, by its sender record (the `from` a receive reports, one
 * object per datagram): what WSARecvMsg's IP_PKTINFO / IPV6_PKTINFO and MSG_MCAST / MSG_BCAST
 * report. Kept aside so the receive path and the overlapped engine carry it without knowing it;
 * recorded only for a datagram that will need it (below), so plain UDP pays nothing for it.
 */
const DESTINATIONS = new WeakMap<Endpoint, string>();

/** The ipExtras keys of IP_PKTINFO and IPV6_PKTINFO (options.ts stores IP options as `level/name`). */
const PKTINFO4 = `${IPPROTO_IP}/${IP_PKTINFO}`;
const PKTINFO6 = `${IPPROTO_IPV6}/${IPV6_PKTINFO}`;

/**
 * True when a datagram arriving now to `dst` needs its destination kept: IP_PKTINFO or
 * IPV6_PKTINFO is on (the record is made at arrival, where a transport builds control data: a
 * datagram queued before the option was set carries none — our decision, Windows' record is
 * silent; docs/overlapped.md), or it went to a group or the broadcast address (MSG_MCAST /
 * MSG_BCAST are reported whatever the options).
 */
function keepsDestination(sock: Socket, dst: string): boolean {
  const extras = sock.ipExtras;
  if (extras[PKTINFO4] === 1 || extras[PKTINFO6] === 1) return true;
  const c = dst.charCodeAt(0);
  // Only 2xx (224-239, 255.255.255.255) and ffxx: addresses start with '2' or 'f'.
  return (c === 0x32 || c === 0x66 || c === 0x46) && (dst === '255.255.255.255' || isMulticastAddress(dst));
}

/**
 * The address a received datagram was sent to, as its socket shows addresses (v4-mapped on an
 * IPv6 socket), from the `from` its receive reported; undefined for a stream's, an unknown one,
 * or a unicast datagram that arrived while neither IP_PKTINFO nor IPV6_PKTINFO was on.
 */
export function datagramDestination(from: Endpoint | null): string | undefined {
  return from === null ? undefined : DESTINATIONS.get(from);
}

/** The receiver a bound datagram socket gives the network. */
export function datagramReceiver(core: ProviderCore, sock: Socket): DatagramReceiver {
  return {
    datagram(source, srcPort, payload, dstAddress) {
      // An IPv6 socket shows an IPv4 sender v4-mapped (dual-stack, or bound to a v4-mapped address).
      const srcAddress = addressFor(sock.af, source);
      // A connected datagram socket hears only its peer; a full buffer drops, as UDP does.
      if (sock.remote !== null && (sock.remote.address !== srcAddress || sock.remote.port !== srcPort)) return;
      if (sock.receiveShutdown) return;
      if (sock.datagramBytes + payload.length > Math.max(sock.receiveBuffer, 1)) return;
      core.charge(payload.length);
      sock.datagramBytes += payload.length;
      if (sock.datagrams === NO_DATAGRAMS) sock.datagrams = [];
      const from: Endpoint = { family: sock.af, address: srcAddress, port: srcPort };
      // A network that does not know the destination: the socket's bound address is the answer.
      const dst = dstAddress ?? sock.local?.address;
      if (dst !== undefined && keepsDestination(sock, dst)) DESTINATIONS.set(from, addressFor(sock.af, dst));
      sock.datagrams.push({ from, payload });
      core.changed(sock);
    },
    portUnreachable() {
      if (!sock.reportUnreachable) return;
      sock.pendingUnreachable = true;
      core.changed(sock);
    },
  };
}

// ---- readiness and FIONREAD -----------------------------------------------------------

/** What WSPSelect found: the ready handles of each set. */
export interface SelectResult {
  read: number[];
  write: number[];
  except: number[];
}

/** WSPSelect over handle lists; `timeoutMs` null waits for ever, 0 polls. */
export function select(
  core: ProviderCore, read: readonly unknown[], write: readonly unknown[], except: readonly unknown[], timeoutMs: number | null,
): SelectResult | number {
  for (const list of [read, write, except]) for (const h of list) if (core.lookup(h) === undefined) return -WSAENOTSOCK;
  const gate = core.enterGlobal();
  if (gate !== 0) return gate;
  // A socket closed while we waited is no longer in any set.
  const ready = (list: readonly unknown[], test: (sock: Socket) => boolean): number[] =>
    list.filter((h) => { const sock = core.lookup(h); return sock !== undefined && test(sock); }) as number[];
  const scan = (): SelectResult => ({ read: ready(read, isReadable), write: ready(write, isWritable), except: ready(except, hasException) });
  const count = (r: SelectResult) => r.read.length + r.write.length + r.except.length;
  let result = scan();
  if (count(result) === 0 && timeoutMs !== 0) {
    const outcome = core.transport.block(() => count(scan()) > 0, timeoutMs ?? undefined);
    if (outcome === 'idle') return -WSAEINTR;
    if (outcome === 'unsupported') return -WSAEWOULDBLOCK;
    result = scan();
  }
  return result;
}

/** FIONREAD: bytes a receive could return now (all pending datagram bytes on a datagram socket). */
export function bytesReadable(core: ProviderCore, s: unknown): number {
  const sock = core.enter(s, true);
  if (typeof sock === 'number') return sock;
  if (sock.type !== SOCK_STREAM) return sock.datagramBytes;
  oobInlineChanged(sock);
  // Urgent bytes held apart are not counted (Wine's test_fionread_siocatmark), unless SO_OOBINLINE now reads them as data.
  return streamBytesReadable(sock);
}
