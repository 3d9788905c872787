/**
 * The WSP* functions of the data path and of readiness: WSPSend, WSPRecv, WSPSendTo and
 * WSPRecvFrom (plain, or overlapped through the path in `overlapped-functions.ts`), WSPShutdown,
 * WSPSelect, WSPEventSelect, WSPEnumNetworkEvents and WSPAsyncSelect. Arguments are checked
 * here; the rules live in `provider/data.ts`, `provider/overlapped.ts` and `provider/readiness.ts`.
 */
import {
  FD_ALL_EVENTS, FD_READ, WSAEAFNOSUPPORT, FD_MAX_EVENTS, SOCK_STREAM, SOCKET_ERROR, WSAEFAULT, WSAEINVAL, WSAENOTSOCK,
  WSAEMSGSIZE, WSA_INFINITE, WSA_WAIT_TIMEOUT, WSA_WAIT_FAILED, WSAEINTR, WSAEWOULDBLOCK,
} from '../provider/constants.js';
import * as data from '../provider/data.js';
import { OverlappedEngine } from '../provider/overlapped.js';
import type { ProviderCore } from '../provider/provider.js';
import { clearRecorded, recordedEvents, reenable, selectEvents, WSAEvent, type AsyncTarget } from '../provider/readiness.js';
import type { Endpoint } from '../provider/socket.js';
import { fail, guard, probe, probeAll, store } from './funnel.js';
import { given, probeValue, readOverlapped, usableEvent, type OverlappedArgs } from './overlapped-args.js';
import { PortFunctions } from './port-functions.js';
import { readBuffers } from './wsabuf.js';
import { canWriteSockAddr, readSockAddrArg, writeSockAddrArg, type SockAddrArg, type SockAddrOut } from './sockaddr.js';
import type { FD_SET, LPINT, TIMEVAL, WSABUF, WSANETWORKEVENTS, WSAOVERLAPPED, WSAOVERLAPPED_COMPLETION_ROUTINE, WSATHREADID } from './types.js';

function flagsOf(dwFlags: unknown): number | undefined {
  return typeof dwFlags === 'number' && Number.isInteger(dwFlags) ? dwFlags >>> 0 : undefined;
}

const FD_SET_KEYS = ['fd_count', 'fd_array'];

/**
 * Reads an fd_set: null stays null; a malformed or unwritable one is undefined (WSAEFAULT). The
 * first `fd_count` entries are where select writes its result, so they must be writable (a
 * frozen array is an fd_set in read-only memory).
 */
function readSet(set: unknown): unknown[] | null | undefined {
  if (set === null || set === undefined) return null;
  if (typeof set !== 'object' || !probeAll(set, FD_SET_KEYS)) return undefined;
  const { fd_count: count, fd_array: array } = set as FD_SET;
  if (!Array.isArray(array) || typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > array.length) return undefined;
  for (let i = 0; i < count; i++) if (!probe(array, String(i))) return undefined;
  return array.slice(0, count);
}

/**
 * Rewrites an fd_set as select does in C: `fd_count`, and the first `fd_count` entries of
 * `fd_array`; the entries after them are left as they were (Wine's test_select: a set holding
 * one socket twice comes back with a count of 1 and its second entry untouched). The entries
 * were probed writable; an array that throws all the same (a Proxy) is replaced by a copy.
 */
function writeSet(set: unknown, ready: readonly number[]): void {
  if (set === null || set === undefined) return;
  const array = (set as FD_SET).fd_array;
  let inPlace = false;
  try {
    if (Array.isArray(array)) {
      for (let i = 0; i < ready.length; i++) array[i] = ready[i]!;
      inPlace = true;
    }
  } catch {
    // fall through: replace it
  }
  if (!inPlace) {
    let rest: unknown[] = [];
    try {
      if (Array.isArray(array)) rest = array.slice(ready.length);
    } catch {
      // an unreadable array: only the set itself
    }
    store(set, 'fd_array', [...ready, ...rest]);
  }
  store(set, 'fd_count', ready.length);
}

/**
 * The sets select writes back: each socket once per set, in the order given; a set passed in
 * two places (the same fd_set for readfds and writefds) receives both results, once each.
 */
function collectSets(places: readonly [unknown, readonly number[]][]): Map<object, number[]> {
  const out = new Map<object, number[]>();
  const seen = new Map<object, Set<number>>();
  for (const [set, ready] of places) {
    if (set === null || set === undefined) continue;
    const key = set as object;
    let list = out.get(key);
    let has = seen.get(key);
    if (list === undefined || has === undefined) {
      list = [];
      has = new Set();
      out.set(key, list);
      seen.set(key, has);
    }
    for (const h of ready) {
      if (has.has(h)) continue;
      has.add(h);
      list.push(h);
    }
  }
  return out;
}

const NETWORK_EVENTS_KEYS = ['lNetworkEvents', 'iErrorCode'];

/** Common base of {@link ServiceProvider}: the data-path and readiness functions (on top of the overlapped path and completion ports). */
export abstract class IoFunctions extends PortFunctions {
  /**
   * Output counts, overlapped arguments: shared checks of the four transfer functions. Returns
   * the buffers and the overlapped arguments (null: not overlapped), or the failure's return.
   * With an OVERLAPPED the count may be NULL (Wine's test_WSARecv, test_send), and a receive
   * needs at least one buffer (test_empty_recv: no buffers is WSAEINVAL).
   */
  private transferArgs(
    s: unknown, lpBuffers: unknown, dwBufferCount: unknown, lpCount: unknown, lpOverlapped: unknown,
    lpCompletionRoutine: unknown, lpThreadId: unknown, lpErrno: unknown, receive: boolean,
  ): { bufs: Uint8Array[]; ovl: OverlappedArgs | null } | number {
    if (this.core.lookup(s) === undefined) return fail(lpErrno, WSAENOTSOCK, SOCKET_ERROR);
    const ovl = readOverlapped(lpOverlapped, lpCompletionRoutine, lpThreadId);
    if (typeof ovl === 'number') return fail(lpErrno, ovl, SOCKET_ERROR);
    const bufs = readBuffers(lpBuffers, dwBufferCount);
    if (bufs === undefined) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
    if (ovl === null ? !probeValue(lpCount) : given(lpCount) && !probeValue(lpCount)) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
    if (ovl !== null && receive && bufs.length === 0) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
    return { bufs, ovl };
  }

  WSPSend = (
    s: number, lpBuffers: WSABUF[], dwBufferCount: number, lpNumberOfBytesSent: LPINT | null, dwFlags: number,
    lpOverlapped: WSAOVERLAPPED | null, lpCompletionRoutine: WSAOVERLAPPED_COMPLETION_ROUTINE | null, lpThreadId: WSATHREADID | null, lpErrno: LPINT,
  ): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      const args = this.transferArgs(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno, false);
      if (typeof args === 'number') return args;
      const flags = flagsOf(dwFlags);
      if (flags === undefined) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      if (args.ovl !== null) return this.overlapped(s, args.ovl, 'send', args.bufs, flags, null, false, lpNumberOfBytesSent, null, null, null, lpErrno);
      const turn = this.sendTurn(s);
      if (turn !== 0) return fail(lpErrno, turn, SOCKET_ERROR);
      const r = data.send(this.core, s, args.bufs, flags);
      if (r < 0) return fail(lpErrno, -r, SOCKET_ERROR);
      store(lpNumberOfBytesSent, 'value', r);
      return 0;
    });

  WSPSendTo = (
    s: number, lpBuffers: WSABUF[], dwBufferCount: number, lpNumberOfBytesSent: LPINT | null, dwFlags: number,
    lpTo: SockAddrArg | null, iTolen: number, lpOverlapped: WSAOVERLAPPED | null, lpCompletionRoutine: WSAOVERLAPPED_COMPLETION_ROUTINE | null, lpThreadId: WSATHREADID | null, lpErrno: LPINT,
  ): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      const args = this.transferArgs(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno, false);
      if (typeof args === 'number') return args;
      const flags = flagsOf(dwFlags);
      if (flags === undefined) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      let to: Endpoint | null = null;
      // On a stream socket WSPSendTo is WSPSend: lpTo and iTolen are not even read (Wine's
      // test_tcp_sendto_recvfrom sends with an address of 0xfe bytes).
      if (given(lpTo) && this.core.lookup(s)!.type !== SOCK_STREAM) {
        const r = readSockAddrArg(lpTo, iTolen);
        if (!r.ok) return fail(lpErrno, r.reason === 'family' ? WSAEAFNOSUPPORT : WSAEFAULT, SOCKET_ERROR);
        to = r.endpoint;
      }
      if (args.ovl !== null) return this.overlapped(s, args.ovl, 'send', args.bufs, flags, to, true, lpNumberOfBytesSent, null, null, null, lpErrno);
      const turn = this.sendTurn(s);
      if (turn !== 0) return fail(lpErrno, turn, SOCKET_ERROR);
      const r = data.sendTo(this.core, s, args.bufs, flags, to);
      if (r < 0) return fail(lpErrno, -r, SOCKET_ERROR);
      store(lpNumberOfBytesSent, 'value', r);
      return 0;
    });

  WSPRecv = (
    s: number, lpBuffers: WSABUF[], dwBufferCount: number, lpNumberOfBytesRecvd: LPINT | null, lpFlags: LPINT,
    lpOverlapped: WSAOVERLAPPED | null, lpCompletionRoutine: WSAOVERLAPPED_COMPLETION_ROUTINE | null, lpThreadId: WSATHREADID | null, lpErrno: LPINT,
  ): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      const args = this.transferArgs(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno, true);
      if (typeof args === 'number') return this.refusedRecv(s, args);
      if (!probeValue(lpFlags)) return this.refusedRecv(s, fail(lpErrno, WSAEFAULT, SOCKET_ERROR));
      const flags = flagsOf(lpFlags.value);
      if (flags === undefined) return this.refusedRecv(s, fail(lpErrno, WSAEINVAL, SOCKET_ERROR));
      if (args.ovl !== null) return this.overlapped(s, args.ovl, 'recv', args.bufs, flags, null, false, lpNumberOfBytesRecvd, lpFlags, null, null, lpErrno);
      return this.received(data.recv(this.core, s, args.bufs, flags), lpNumberOfBytesRecvd!, lpFlags, null, null, lpErrno);
    });

  WSPRecvFrom = (
    s: number, lpBuffers: WSABUF[], dwBufferCount: number, lpNumberOfBytesRecvd: LPINT | null, lpFlags: LPINT,
    lpFrom: SockAddrOut | null, lpFromlen: LPINT | null, lpOverlapped: WSAOVERLAPPED | null, lpCompletionRoutine: WSAOVERLAPPED_COMPLETION_ROUTINE | null, lpThreadId: WSATHREADID | null,
    lpErrno: LPINT,
  ): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      const args = this.transferArgs(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno, true);
      if (typeof args === 'number') return this.refusedRecv(s, args);
      if (!probeValue(lpFlags)) return this.refusedRecv(s, fail(lpErrno, WSAEFAULT, SOCKET_ERROR));
      const flags = flagsOf(lpFlags.value);
      if (flags === undefined) return this.refusedRecv(s, fail(lpErrno, WSAEINVAL, SOCKET_ERROR));
      // On a stream socket lpFrom and lpFromlen are left alone, unread (Wine's
      // test_tcp_sendto_recvfrom: a length of 0xc0ffee11 is fine there). Otherwise the address
      // must fit before anything is consumed.
      const sock = this.core.lookup(s)!;
      const stream = sock.type === SOCK_STREAM;
      if (!stream && given(lpFrom) && !canWriteSockAddr(sock.af, lpFrom, lpFromlen)) return this.refusedRecv(s, fail(lpErrno, WSAEFAULT, SOCKET_ERROR));
      const from = stream ? null : lpFrom;
      const fromlen = stream ? null : lpFromlen;
      if (args.ovl !== null) return this.overlapped(s, args.ovl, 'recv', args.bufs, flags, null, false, lpNumberOfBytesRecvd, lpFlags, from, fromlen, lpErrno);
      return this.received(data.recv(this.core, s, args.bufs, flags), lpNumberOfBytesRecvd!, lpFlags, from, fromlen, lpErrno);
    });

  /**
   * A non-overlapped send on a stream with overlapped sends pending goes after them (sends fill
   * in posting order): a non-blocking socket reports WSAEWOULDBLOCK, a blocking one waits for
   * them. Returns 0 when it may go now, else the code to fail with.
   */
  private sendTurn(s: unknown): number {
    const engine = OverlappedEngine.existing(this.core);
    const sock = this.core.lookup(s);
    if (engine === undefined || sock === undefined || engine.pendingCount(sock, 'send') === 0) return 0;
    if (sock.nonBlocking) return WSAEWOULDBLOCK;
    const outcome = this.core.transport.block(() => this.core.lookup(s) !== sock || engine.pendingCount(sock, 'send') === 0);
    if (outcome === 'done') return 0;
    return outcome === 'unsupported' ? WSAEWOULDBLOCK : WSAEINTR;
  }

  /**
   * A WSPRecv or WSPRecvFrom refused for its arguments (a buffer that is not there, for one)
   * re-enables FD_READ in message mode, as Windows does (Wine's test_read_events: after a recv
   * with a length of -1 fails, FD_READ is posted again while data waits); in event mode it does
   * not. Returns `ret`.
   */
  private refusedRecv(s: unknown, ret: number): number {
    const sock = this.core.enter(s);
    if (typeof sock !== 'number' && sock.notify?.mode === 'message') reenable(sock, FD_READ);
    return ret;
  }

  private received(
    r: data.Received | number, lpCount: LPINT, lpFlags: LPINT, lpFrom: unknown, lpFromlen: LPINT | null, lpErrno: unknown,
  ): number {
    if (typeof r === 'number') return fail(lpErrno, -r, SOCKET_ERROR);
    store(lpCount, 'value', r.count);
    store(lpFlags, 'value', r.flags);
    if (given(lpFrom) && r.from !== null) writeSockAddrArg(r.from, lpFrom, lpFromlen);
    // A truncated datagram: its first part is delivered, and the call reports WSAEMSGSIZE.
    if (r.truncated) return fail(lpErrno, WSAEMSGSIZE, SOCKET_ERROR);
    return 0;
  }

  WSPShutdown = (s: number, how: number, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      const r = data.shutdown(this.core, s, how);
      return r < 0 ? fail(lpErrno, -r, SOCKET_ERROR) : 0;
    }, WSAEINVAL);

  /** Sets are `{ fd_count, fd_array }`, modified in place; `timeout` null waits for ever. */
  WSPSelect = (
    nfds: number, readfds: FD_SET | null, writefds: FD_SET | null, exceptfds: FD_SET | null,
    timeout: TIMEVAL | null, lpErrno: LPINT,
  ): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      void nfds; // ignored, as in Winsock
      const sets = [readSet(readfds), readSet(writefds), readSet(exceptfds)];
      if (sets.some((x) => x === undefined)) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      const [r, w, x] = sets as (unknown[] | null)[];
      if ((r?.length ?? 0) + (w?.length ?? 0) + (x?.length ?? 0) === 0) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      let ms: number | null = null;
      if (given(timeout)) {
        if (typeof timeout !== 'object') return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
        const { tv_sec: sec, tv_usec: usec } = timeout!;
        // Each field is a C long: what does not fit 32 bits is no timeval.
        if (typeof sec !== 'number' || typeof usec !== 'number' || !Number.isInteger(sec) || !Number.isInteger(usec) || sec < 0 || usec < 0
          || sec > 0x7fffffff || usec > 0x7fffffff) {
          return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
        }
        ms = sec * 1000 + usec / 1000;
      }
      const result = data.select(this.core, r ?? [], w ?? [], x ?? [], ms);
      if (typeof result === 'number') return fail(lpErrno, -result, SOCKET_ERROR);
      // The return value counts the entries written: a socket ready in a set counts once there.
      let total = 0;
      for (const [set, list] of collectSets([[readfds, result.read], [writefds, result.write], [exceptfds, result.except]])) {
        writeSet(set, list);
        total += list.length;
      }
      return total;
    });

  /** Associates network events with an event object (a {@link WSAEvent}); makes the socket non-blocking. */
  WSPEventSelect = (s: number, hEventObject: WSAEvent, lNetworkEvents: number, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      const sock = this.core.enter(s);
      if (typeof sock === 'number') return fail(lpErrno, -sock, SOCKET_ERROR);
      const events = flagsOf(lNetworkEvents);
      if (events === undefined || (events & ~FD_ALL_EVENTS) !== 0) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      // lNetworkEvents 0 cancels, and hEventObject is then ignored.
      if (events !== 0 && !usableEvent(hEventObject)) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      this.select(sock, events, events === 0 ? null : hEventObject, null);
      return 0;
    }, WSAEINVAL);

  /** Posts network events to a window through the upcall table's WPUPostMessage; makes the socket non-blocking. */
  WSPAsyncSelect = (s: number, hWnd: unknown, wMsg: number, lEvent: number, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      const sock = this.core.enter(s);
      if (typeof sock === 'number') return fail(lpErrno, -sock, SOCKET_ERROR);
      const events = flagsOf(lEvent);
      if (events === undefined || (events & ~FD_ALL_EVENTS) !== 0 || typeof wMsg !== 'number') return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      const post = this.upcalls?.lpWPUPostMessage;
      if (events !== 0 && typeof post !== 'function') return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      // The upcall is the caller's code: calls it makes back into the provider meet WSAEINPROGRESS.
      const core = this.core;
      const target = { hWnd, wMsg, post: (h: unknown, m: number, w: number, l: number) => core.runCallback(() => post!(h, m, w, l)) };
      this.select(sock, events, null, events === 0 ? null : target);
      return 0;
    }, WSAEINVAL);

  private select(sock: NonNullable<ReturnType<ProviderCore['lookup']>>, events: number, event: WSAEvent | null, message: AsyncTarget | null): void {
    // Both calls make the socket non-blocking; cancelling (events 0) leaves it so.
    sock.nonBlocking = true;
    selectEvents(sock, events, event, message);
    this.core.changed(sock);
  }

  /**
   * Reports and clears the recorded network events that are selected; resets the event object
   * if one is given. Only the iErrorCode entries of the reported events are written (Wine's
   * test_WSAEnumNetworkEvents: the others keep what the caller had there).
   */
  WSPEnumNetworkEvents = (s: number, hEventObject: WSAEvent | null, lpNetworkEvents: WSANETWORKEVENTS, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      const sock = this.core.enter(s);
      if (typeof sock === 'number') return fail(lpErrno, -sock, SOCKET_ERROR);
      // Recorded events are cleared only once they can be reported.
      if (!probeAll(lpNetworkEvents, NETWORK_EVENTS_KEYS)) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      if (given(hEventObject) && !usableEvent(hEventObject)) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      const { events, errors } = recordedEvents(sock);
      const codes = lpNetworkEvents.iErrorCode;
      // A C array of FD_MAX_EVENTS ints: written in place when the caller gave one that long,
      // otherwise replaced by one (entries the caller had are kept).
      const inPlace = Array.isArray(codes) && codes.length >= FD_MAX_EVENTS;
      if (inPlace) {
        for (let i = 0; i < FD_MAX_EVENTS; i++) if ((events & (1 << i)) !== 0 && !probe(codes, String(i))) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      }
      let replacement: number[] | null = null;
      if (!inPlace) {
        replacement = new Array<number>(FD_MAX_EVENTS).fill(0);
        for (let i = 0; i < FD_MAX_EVENTS; i++) {
          const had: unknown = Array.isArray(codes) ? codes[i] : undefined;
          replacement[i] = (events & (1 << i)) !== 0 ? errors[i]! : typeof had === 'number' ? had : 0;
        }
      }
      clearRecorded(sock, events);
      store(lpNetworkEvents, 'lNetworkEvents', events);
      if (replacement !== null) store(lpNetworkEvents, 'iErrorCode', replacement);
      else for (let i = 0; i < FD_MAX_EVENTS; i++) if ((events & (1 << i)) !== 0) store(codes, String(i), errors[i]);
      if (WSAEvent.is(hEventObject)) WSAEvent.prototype.reset.call(hEventObject);
      return 0;
    });

  /**
   * Non-standard (ws2_32's WSAWaitForMultipleEvents, for programs on this provider): waits until
   * one event object (or, with `waitAll`, every one) is signaled, running the network meanwhile.
   * `timeoutMs` null or WSA_INFINITE waits for ever. Returns the index of a signaled event
   * (WSA_WAIT_EVENT_0 + i), WSA_WAIT_TIMEOUT, or WSA_WAIT_FAILED when nothing could ever signal them.
   */
  waitForEvents(events: readonly WSAEvent[], waitAll: boolean, timeoutMs: number | null): number {
    const first = () => events.findIndex((e) => e.signaled);
    const done = () => (waitAll ? events.every((e) => e.signaled) : first() >= 0);
    if (!done() && timeoutMs !== 0) {
      const forever = timeoutMs === null || timeoutMs === WSA_INFINITE;
      const outcome = this.core.transport.block(done, forever ? undefined : timeoutMs);
      if (outcome === 'idle' || outcome === 'unsupported') return done() ? Math.max(0, first()) : WSA_WAIT_FAILED;
    }
    if (!done()) return WSA_WAIT_TIMEOUT;
    return waitAll ? 0 : first();
  }
}
