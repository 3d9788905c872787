/**
 * The data path: send and receive on streams and datagrams, shutdown, readiness for
 * WSPSelect, and FIONREAD. Results follow the core's convention: >= 0 success, < 0 a
 * negated WSA error code.
 */
import {
  MSG_DONTROUTE, MSG_OOB, MSG_PARTIAL, MSG_PEEK, MSG_PUSH_IMMEDIATE, MSG_WAITALL, SD_BOTH, SD_RECEIVE, SD_SEND,
  SOCK_DGRAM, SOCK_STREAM, WSAEACCES, WSAECONNABORTED, WSAECONNRESET, WSAEDESTADDRREQ, WSAEFAULT, WSAEADDRNOTAVAIL, WSAEINTR,
  WSAEINVAL, WSAEMSGSIZE, WSAENETUNREACH, WSAENOBUFS, WSAENOTCONN, WSAENOTSOCK, WSAEOPNOTSUPP, WSAESHUTDOWN,
  WSAETIMEDOUT, WSAEWOULDBLOCK, FD_READ, FD_WRITE,
} from './constants.js';
import type { ProviderCore } from './provider.js';
import { hasException, isReadable, isWritable, reenable, sendSpace } from './readiness.js';
import { NO_DATAGRAMS, type Endpoint, type Socket } from './socket.js';
import type { BlockOutcome, DatagramReceiver } from './transport.js';

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

function brokenCode(sock: Socket): number {
  return -(sock.resetCode || WSAECONNRESET);
}

// ---- streams --------------------------------------------------------------------------

// Each transfer call re-enables its event even when it fails (the WSPEventSelect page).

/** WSPSend. */
export function send(core: ProviderCore, s: unknown, data: readonly Uint8Array[], flags: number): number {
  const sock = core.enter(s);
  if (typeof sock === 'number') return sock;
  const r = sock.type === SOCK_STREAM ? streamSend(core, sock, data, flags) : datagramSend(core, sock, data, flags, null, false);
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
  const r = sock.type === SOCK_STREAM ? streamRecv(core, sock, targets, flags) : datagramRecv(core, sock, targets, flags);
  reenable(sock, FD_READ);
  return r;
}

/** Blocking sockets queue everything (waiting for space); non-blocking ones queue what fits. */
function streamSend(core: ProviderCore, sock: Socket, data: readonly Uint8Array[], flags: number): number {
  if (flags & MSG_OOB) return -WSAEOPNOTSUPP;
  if (flags & ~(MSG_DONTROUTE | MSG_PARTIAL | MSG_PUSH_IMMEDIATE)) return -WSAEOPNOTSUPP;
  if (sock.reset) return brokenCode(sock);
  if (sock.phase !== 'connected') return -WSAENOTCONN;
  if (sock.sendShutdown) return -WSAESHUTDOWN;
  const size = total(data);
  let sent = 0;
  while (sent < size) {
    const conn = sock.conn;
    if (conn === null || sock.reset) {
      if (sent > 0) break;
      return sock.reset ? brokenCode(sock) : -WSAENOTCONN;
    }
    const space = sendSpace(sock);
    const room = Math.min(space, size - sent, core.budgetFree());
    if (room <= 0) {
      // Out of send buffer, or of the host's memory budget (which acknowledgments give back).
      const noMemory = space > 0;
      if (sock.nonBlocking) {
        if (sent > 0) break;
        if (noMemory) return -WSAENOBUFS;
        sock.writeArmed = true;
        return -WSAEWOULDBLOCK;
      }
      const roomAgain = () => sock.conn !== conn || sock.reset || Math.min(sendSpace(sock), core.budgetFree()) > 0;
      const outcome = core.transport.block(roomAgain, timeout(sock.sendTimeoutMs));
      if (outcome !== 'done') {
        if (sent > 0) break;
        return noMemory && outcome === 'idle' ? -WSAENOBUFS : waitFailed(outcome);
      }
      continue;
    }
    core.charge(room);
    sock.sendCharged += room;
    conn.sendData(gather(data, sent, conn.allocate(room)));
    sent += room;
  }
  return sent;
}

function streamRecv(core: ProviderCore, sock: Socket, targets: readonly Uint8Array[], flags: number): Received | number {
  if (flags & MSG_OOB) return -WSAEOPNOTSUPP;
  if (flags & ~(MSG_PEEK | MSG_WAITALL | MSG_PUSH_IMMEDIATE)) return -WSAEOPNOTSUPP;
  const waitAll = (flags & MSG_WAITALL) !== 0;
  // WSARecv: MSG_WAITALL is refused on a non-blocking socket and together with MSG_PEEK.
  if (waitAll && (sock.nonBlocking || (flags & MSG_PEEK) !== 0)) return -WSAEOPNOTSUPP;
  if (sock.phase !== 'connected') return -WSAENOTCONN;
  if (sock.receiveShutdown) return -WSAESHUTDOWN;
  const peek = (flags & MSG_PEEK) !== 0;
  const capacity = total(targets);
  const done = (count: number): Received => ({ count, flags: 0, from: sock.remote, truncated: false });
  let got = 0;
  // MSG_WAITALL fills the caller's buffers as data arrives (as AFD does), so the window keeps
  // opening and a request larger than SO_RCVBUF still completes.
  for (;;) {
    if (sock.reset) return got > 0 ? done(got) : brokenCode(sock);
    if (got < capacity && sock.inbox.length > 0) {
      const count = sock.inbox.read(got === 0 ? targets : skip(targets, got), peek);
      if (!peek) {
        sock.conn?.consumed(count);
        core.refund(count);
      }
      got += count;
      if (!waitAll) break;
    }
    if (got === capacity || sock.peerClosed) break;
    if (sock.nonBlocking) return -WSAEWOULDBLOCK;
    const outcome = core.transport.block(() => sock.reset || sock.peerClosed || sock.inbox.length > 0, timeout(sock.receiveTimeoutMs));
    if (outcome !== 'done') {
      if (got > 0) break; // MSG_WAITALL cut short: what there is
      return waitFailed(outcome);
    }
  }
  return done(got);
}

/** The buffers past their first `n` bytes. */
function skip(bufs: readonly Uint8Array[], n: number): Uint8Array[] {
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
  if (sock.type === SOCK_STREAM ? sock.phase !== 'connected' : sock.remote === null) return -WSAENOTCONN;
  if (how !== SD_SEND) {
    sock.receiveShutdown = true;
    // Windows resets a TCP connection whose unread data (or later data) can never be read.
    if (sock.type === SOCK_STREAM && sock.inbox.length > 0) abortConnection(core, sock);
  }
  if (how !== SD_RECEIVE && !sock.sendShutdown) {
    sock.sendShutdown = true;
    if (sock.type === SOCK_STREAM) sock.conn?.close();
  }
  core.changed(sock);
  return 0;
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
  sock.reset = true;
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
  if (dest.port === 0 || dest.address === '0.0.0.0' || dest.address === '::') return -WSAEADDRNOTAVAIL;
  if (dest.address === '255.255.255.255' && !sock.broadcast) return -WSAEACCES;
  const size = total(data);
  if (size > maxDatagram(sock.version)) return -WSAEMSGSIZE;
  if (sock.local === null) {
    const code = core.autoBind(sock);
    if (code !== 0) return -code;
  }
  const local = sock.local!;
  const source = local.address !== '0.0.0.0' && local.address !== '::'
    ? local.address
    : core.transport.sourceAddress(sock.version, dest.address);
  if (source === undefined) return -WSAENETUNREACH;
  sock.endpoint!.send(source, dest.address, dest.port, gather(data, 0, new Uint8Array(size)));
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

/** The receiver a bound datagram socket gives the network. */
export function datagramReceiver(core: ProviderCore, sock: Socket): DatagramReceiver {
  return {
    datagram(srcAddress, srcPort, payload) {
      // A connected datagram socket hears only its peer; a full buffer drops, as UDP does.
      if (sock.remote !== null && (sock.remote.address !== srcAddress || sock.remote.port !== srcPort)) return;
      if (sock.receiveShutdown) return;
      if (sock.datagramBytes + payload.length > Math.max(sock.receiveBuffer, 1)) return;
      core.charge(payload.length);
      sock.datagramBytes += payload.length;
      if (sock.datagrams === NO_DATAGRAMS) sock.datagrams = [];
      sock.datagrams.push({ from: { family: sock.af, address: srcAddress, port: srcPort }, payload });
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
  return sock.type === SOCK_STREAM ? sock.inbox.length : sock.datagramBytes;
}
