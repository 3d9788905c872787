/**
 * The WSP* functions of the data path and of readiness: WSPSend, WSPRecv, WSPSendTo,
 * WSPRecvFrom (overlapped or not), WSPGetOverlappedResult, WSPShutdown, WSPSelect,
 * WSPEventSelect, WSPEnumNetworkEvents and WSPAsyncSelect. Arguments are checked here; the rules
 * live in `provider/data.ts`, `provider/overlapped.ts` and `provider/readiness.ts`.
 */
import {
  FD_ALL_EVENTS, FD_READ, WSAEAFNOSUPPORT, FD_MAX_EVENTS, SOCK_STREAM, SOCKET_ERROR, WSAEFAULT, WSAEINVAL, WSAENOTSOCK,
  WSAEMSGSIZE, WSA_INFINITE, WSA_WAIT_TIMEOUT, WSA_WAIT_FAILED, STATUS_BUFFER_OVERFLOW, STATUS_PENDING, WSA_INVALID_HANDLE,
  WSA_IO_INCOMPLETE, WSA_IO_PENDING, WSAEINTR, WSAEWOULDBLOCK, WAIT_IO_COMPLETION,
} from '../provider/constants.js';
import * as data from '../provider/data.js';
import { ApcQueues, threadKey } from '../provider/overlapped-apc.js';
import { ntSuccess, statusToError } from '../provider/overlapped-status.js';
import { OverlappedEngine, type Completion, type OverlappedOp } from '../provider/overlapped.js';
import type { ProviderCore } from '../provider/provider.js';
import { clearRecorded, recordedEvents, reenable, selectEvents, WSAEvent, type AsyncTarget } from '../provider/readiness.js';
import type { Endpoint, Socket } from '../provider/socket.js';
import { callerBytes, fail, guard, probe, probeAll, store } from './funnel.js';
import { eventOf, given, OVERLAPPED_KEYS, readOverlapped, RESULT_FLAGS, signal, usableEvent, type OverlappedArgs } from './overlapped-args.js';
import { associationOf, postCompletion } from '../iocp/associations.js';
import { AcceptExEngine } from '../extensions/accept-engine.js';
import { cancelIoEx, createIoCompletionPort, type SocketScope } from '../iocp/create.js';
import type { CompletionPort, PortOwner } from '../iocp/port.js';
import { canWriteSockAddr, readSockAddrArg, writeSockAddrArg, type SockAddrArg, type SockAddrOut } from './sockaddr.js';
import type { FD_SET, LPINT, TIMEVAL, WSABUF, WSANETWORKEVENTS, WSPUPCALLTABLE, WSAOVERLAPPED, WSAOVERLAPPED_COMPLETION_ROUTINE, WSATHREADID } from './types.js';

/** Reads an array of WSABUF as views of the caller's bytes; undefined when any is malformed (WSAEFAULT). */
function readBuffers(lpBuffers: unknown, count: unknown): Uint8Array[] | undefined {
  if (!Array.isArray(lpBuffers) || typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > lpBuffers.length) {
    return undefined;
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const b = lpBuffers[i] as WSABUF | null;
    if (typeof b !== 'object' || b === null) return undefined;
    const len = b.len;
    if (typeof len !== 'number' || !Number.isInteger(len)) return undefined;
    const bytes = callerBytes(b.buf, len); // a view only when it is shorter (or the caller's object is odd)
    if (bytes === undefined) return undefined;
    out.push(bytes);
  }
  return out;
}

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

/** Common base of {@link ServiceProvider}: the data-path and readiness functions. */
export abstract class IoFunctions {
  /** What ws2_32 passed to WSPStartup (WSPAsyncSelect posts through its WPUPostMessage, completion routines go through its WPUQueueApc). */
  upcalls: WSPUPCALLTABLE | null = null;

  constructor(
    /** The provider core (for tools and layers above; not part of ws2spi.h). */
    readonly core: ProviderCore,
  ) {}

  /** The default completion-routine queues, made at the first overlapped call that needs them. */
  private apcQueues: ApcQueues | null = null;

  private get apcs(): ApcQueues {
    this.apcQueues ??= new ApcQueues(() => this.upcalls, this.core.transport, (fn) => this.core.runCallback(fn));
    return this.apcQueues;
  }

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
    if (ovl === null ? !probe(lpCount, 'value') : given(lpCount) && !probe(lpCount, 'value')) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
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
      if (args.ovl !== null) return this.overlapped(s, args.ovl, { direction: 'send', buffers: args.bufs, flags, to: null, viaSendTo: false }, lpNumberOfBytesSent, null, null, null, lpErrno);
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
      if (args.ovl !== null) return this.overlapped(s, args.ovl, { direction: 'send', buffers: args.bufs, flags, to, viaSendTo: true }, lpNumberOfBytesSent, null, null, null, lpErrno);
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
      if (!probe(lpFlags, 'value')) return this.refusedRecv(s, fail(lpErrno, WSAEFAULT, SOCKET_ERROR));
      const flags = flagsOf(lpFlags.value);
      if (flags === undefined) return this.refusedRecv(s, fail(lpErrno, WSAEINVAL, SOCKET_ERROR));
      if (args.ovl !== null) return this.overlapped(s, args.ovl, { direction: 'recv', buffers: args.bufs, flags, to: null, viaSendTo: false }, lpNumberOfBytesRecvd, lpFlags, null, null, lpErrno);
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
      if (!probe(lpFlags, 'value')) return this.refusedRecv(s, fail(lpErrno, WSAEFAULT, SOCKET_ERROR));
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
      if (args.ovl !== null) return this.overlapped(s, args.ovl, { direction: 'recv', buffers: args.bufs, flags, to: null, viaSendTo: false }, lpNumberOfBytesRecvd, lpFlags, from, fromlen, lpErrno);
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
   * An overlapped transfer whose arguments were checked: completes at once (0, the count and
   * flags written, the completion indicated), pends (SOCKET_ERROR with WSA_IO_PENDING, Internal
   * STATUS_PENDING, the event reset, out-parameters untouched), or fails at once changing
   * nothing (no completion will come). A datagram truncated at once is delivered and reported
   * as WSAEMSGSIZE, with its completion indicated (STATUS_BUFFER_OVERFLOW is a warning).
   */
  private overlapped(
    s: unknown, a: OverlappedArgs, op: Omit<OverlappedOp, 'finish'>, lpCount: LPINT | null, lpFlags: LPINT | null,
    lpFrom: unknown, lpFromlen: LPINT | null, lpErrno: unknown,
  ): number {
    const sock = this.core.lookup(s) as Socket;
    // A completion routine on a socket bound to a completion port: WSAEINVAL, and the routine is
    // never called (Wine's test_WSARecv, fact 14).
    if (a.routine !== null && associationOf(sock) !== undefined) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
    const finish = (c: Completion): void => this.core.runCallback(() => this.complete(sock, a, c, lpFrom, lpFromlen));
    const r = OverlappedEngine.of(this.core).start(sock, { ...op, overlapped: a.ov, finish });
    if (r === 'pending') {
      store(a.ov, 'Internal', STATUS_PENDING);
      if (a.event !== null) signal(a.event, false);
      return fail(lpErrno, WSA_IO_PENDING, SOCKET_ERROR);
    }
    if (typeof r === 'number') return fail(lpErrno, -r, SOCKET_ERROR);
    if (given(lpCount)) store(lpCount, 'value', r.count);
    if (lpFlags !== null) store(lpFlags, 'value', r.flags);
    finish(r);
    return r.status === STATUS_BUFFER_OVERFLOW ? fail(lpErrno, WSAEMSGSIZE, SOCKET_ERROR) : 0;
  }

  /**
   * Records a completion where the caller looks for it: the sender (WSPRecvFrom), InternalHigh
   * then Internal (a program polling Internal sees the count already there), and the indication:
   * the completion routine queued to the initiating thread; or else ws2_32's
   * WPUCompleteOverlappedRequest when it gave one (it signals the event and queues to the port it
   * knows); or else the event signaled and, unless hEvent carried the "low bit"
   * (NoPortNotification), a packet queued to the socket's completion port — for an operation
   * that completed at once too (Wine's test_completion_port, fact 7).
   */
  private complete(sock: Socket, a: OverlappedArgs, c: Completion, lpFrom: unknown, lpFromlen: LPINT | null): void {
    if (given(lpFrom) && c.from !== null) writeSockAddrArg(c.from, lpFrom, lpFromlen);
    RESULT_FLAGS.set(a.ov, c.flags);
    store(a.ov, 'InternalHigh', c.count);
    store(a.ov, 'Internal', c.status);
    if (a.routine !== null) {
      this.apcs.queue(a.thread, a.routine, statusToError(c.status), c.count, a.ov, c.flags);
      return;
    }
    if (this.completeThroughWs2(sock.handle, a.ov, c)) return;
    if (a.event !== null) signal(a.event, true);
    if (!a.noPort) postCompletion(sock, a.ov, c.count, c.status);
  }

  /**
   * Hands a completion to ws2_32's WPUCompleteOverlappedRequest, when WSPStartup's upcall table
   * carried one: this provider's handles are no IFS handles, so ws2_32 is the one that knows
   * whether the caller associated a completion port with the socket (the function's reference
   * page). True when ws2_32 took it; false (the provider indicates it itself, rather than lose
   * it) when there is no upcall or it failed or threw. The upcall runs as the provider's other
   * upcalls do: a call it makes back into the provider meets WSAEINPROGRESS.
   */
  private completeThroughWs2(s: number, ov: OverlappedArgs['ov'], c: Completion): boolean {
    const upcall = this.upcalls?.lpWPUCompleteOverlappedRequest;
    if (typeof upcall !== 'function') return false;
    try {
      return this.core.runCallback(() => upcall(s, ov, statusToError(c.status), c.count, { value: 0 })) === 0;
    } catch {
      return false;
    }
  }

  /** The owner thread of the completion ports this provider makes: its network, its default completion-routine queue. */
  private portOwner: PortOwner | null = null;

  private get scope(): SocketScope {
    const owner = this.portOwner ??= {
      block: (done, ms) => this.core.transport.block(done, ms),
      inCallback: () => this.core.inCallback,
      cannotBlock: () => this.core.transport.block(() => false, 0) === 'unsupported',
      apcsQueued: () => this.apcs.queued(null),
      runApcs: () => this.apcs.alertableWait(0, null) === WAIT_IO_COMPLETION,
    };
    return {
      owner,
      lookup: (s) => this.core.lookup(s),
      cancel: (sock, ov) => OverlappedEngine.existing(this.core)?.cancel(sock, ov) ?? 0,
    };
  }

  /**
   * kernel32's CreateIoCompletionPort, over this provider's sockets (socket handles are this
   * provider's numbers, so the function is a method of the provider, "the process").
   * `CreateIoCompletionPort(INVALID_HANDLE_VALUE, null, 0, 0, lpErrno)` makes a port;
   * `CreateIoCompletionPort(s, port, key, 0, lpErrno)` associates socket `s` with it under `key`
   * (any value; handed back in every packet) and returns the port; `(s, null, key, 0)` makes one
   * and associates. Returns null on failure with the Win32 code in `lpErrno` (a trailing `{ value }`
   * out-parameter: the C function reports through GetLastError): ERROR_INVALID_HANDLE (no such
   * socket, a port that is not open), ERROR_INVALID_PARAMETER (INVALID_HANDLE_VALUE with a port, a
   * socket already associated, a thread count that is no DWORD). A port belongs to this
   * provider's thread (its waits run this provider's network); worker threads are issue 16.
   * Completions then queue packets to it (docs/overlapped.md, "Completion ports"); a completion
   * routine on an associated socket is WSAEINVAL.
   */
  CreateIoCompletionPort = (
    FileHandle: number, ExistingCompletionPort: CompletionPort | null, CompletionKey: unknown, NumberOfConcurrentThreads: number,
    lpErrno?: LPINT | null,
  ): CompletionPort | null => createIoCompletionPort(this.scope, FileHandle, ExistingCompletionPort, CompletionKey, NumberOfConcurrentThreads, lpErrno);

  /**
   * Non-standard, for emulators: kernel32's CancelIoEx on socket `s`. Its pending overlapped
   * operations (all with `lpOverlapped` null, else the ones started with that WSAOVERLAPPED)
   * complete at once with STATUS_CANCELLED (ERROR_OPERATION_ABORTED 995 from
   * GetQueuedCompletionStatus, WSA_OPERATION_ABORTED from WSPGetOverlappedResult and completion
   * routines), indicated as any completion. Returns TRUE (1), or FALSE (0) with ERROR_NOT_FOUND
   * (1168; nothing pending matched) or ERROR_INVALID_HANDLE in `lpErrno`.
   */
  CancelIoEx = (s: number, lpOverlapped: WSAOVERLAPPED | null, lpErrno?: LPINT | null): number => {
    // AcceptEx calls issued on `s` (a listener) are its I/O too; cancelled first, they count.
    const sock = this.core.lookup(s);
    const engine = AcceptExEngine.existing(this.core);
    const accepts = sock === undefined || engine === undefined ? 0 : engine.cancel(sock, given(lpOverlapped) ? lpOverlapped : null);
    if (accepts === 0) return cancelIoEx(this.scope, s, lpOverlapped, lpErrno);
    cancelIoEx(this.scope, s, lpOverlapped, { value: 0 });
    return 1;
  };

  /**
   * @internal Indicates an overlapped completion the way WSPSend/WSPRecv's are (the event,
   * ws2_32's WPUCompleteOverlappedRequest, the socket's completion port): for the extension
   * functions (src/extensions), whose calls complete on the socket they were issued on.
   */
  indicate(sock: Socket, a: OverlappedArgs, c: Completion): void {
    this.core.runCallback(() => this.complete(sock, a, c, null, null));
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

  /**
   * Reports an overlapped operation's outcome from its WSAOVERLAPPED, as Windows does (Wine's
   * test_WSAGetOverlappedResult: whatever `Internal` holds decides). Returns TRUE (1) for a
   * success status, with the bytes in lpcbTransfer and the receive's flags in lpdwFlags (which
   * may be NULL); FALSE (0) otherwise, with lpErrno: WSA_IO_INCOMPLETE while it pends, else the
   * operation's error (STATUS_CONNECTION_RESET → WSAECONNRESET, STATUS_CONNECTION_ABORTED →
   * WSAECONNABORTED, STATUS_BUFFER_OVERFLOW → WSAEMSGSIZE with lpcbTransfer still written, any
   * failure Windows' table lacks → WSAEINVAL). `fWait` TRUE waits (not alertably: no completion
   * routine runs) until `Internal` leaves STATUS_PENDING or hEvent is signaled, running the
   * network as a blocking call does; where the caller's thread cannot wait (the host network's
   * owner thread, or inside a callback) it answers as fWait FALSE does: WSA_IO_INCOMPLETE.
   */
  WSPGetOverlappedResult = (
    s: number, lpOverlapped: WSAOVERLAPPED, lpcbTransfer: LPINT, fWait: boolean | number, lpdwFlags: LPINT | null, lpErrno: LPINT,
  ): number =>
    guard(lpErrno, 0, () => {
      if (this.core.lookup(s) === undefined) return fail(lpErrno, WSAENOTSOCK, 0);
      if (!given(lpOverlapped)) return fail(lpErrno, WSAEINVAL, 0);
      if (typeof lpOverlapped !== 'object' || !OVERLAPPED_KEYS.every((k) => k in lpOverlapped)) return fail(lpErrno, WSAEFAULT, 0);
      if (!probe(lpcbTransfer, 'value') || (given(lpdwFlags) && !probe(lpdwFlags, 'value'))) return fail(lpErrno, WSAEFAULT, 0);
      const internal = (): number | undefined => {
        const v: unknown = lpOverlapped.Internal;
        return typeof v === 'number' && Number.isInteger(v) ? v >>> 0 : undefined;
      };
      let status = internal();
      if (status === undefined) return fail(lpErrno, WSAEINVAL, 0);
      if (status === STATUS_PENDING) {
        if (!fWait) return fail(lpErrno, WSA_IO_INCOMPLETE, 0);
        // A NoPortNotification (C's hEvent | 1) names its event, as kernel32 masks the bit off.
        const event = eventOf(lpOverlapped.hEvent);
        if (event === undefined) return fail(lpErrno, WSA_INVALID_HANDLE, 0);
        const done = (): boolean => internal() !== STATUS_PENDING || (event !== null && event.signaled);
        if (!done()) {
          if (this.core.inCallback) return fail(lpErrno, WSA_IO_INCOMPLETE, 0);
          this.core.transport.block(done);
          if (!done()) return fail(lpErrno, WSA_IO_INCOMPLETE, 0);
        }
        status = internal() ?? STATUS_PENDING;
      }
      const high: unknown = lpOverlapped.InternalHigh;
      store(lpcbTransfer, 'value', typeof high === 'number' ? high >>> 0 : 0);
      if (!ntSuccess(status)) return fail(lpErrno, statusToError(status), 0);
      if (given(lpdwFlags)) store(lpdwFlags, 'value', RESULT_FLAGS.get(lpOverlapped) ?? 0);
      return 1;
    });

  /**
   * Non-standard (kernel32's SleepEx(timeoutMs, TRUE), for programs that call the provider
   * without ws2_32): runs the completion routines queued for the thread `lpThreadId` names (null:
   * the thread of calls that passed none) and returns WAIT_IO_COMPLETION (0xC0); with none
   * queued, waits until one is or `timeoutMs` passes (0: no wait; null or WSA_INFINITE: no
   * limit), running the network as a blocking call does (virtual time on the virtual network).
   * Returns 0 when no routine ran. On the host network this thread runs Node's event loop and
   * cannot wait: it runs what is queued and returns; use {@link alertableWaitAsync} there.
   * Routines handed to ws2_32's WPUQueueApc are ws2_32's to run, not this function's.
   */
  alertableWait(timeoutMs: number | null, lpThreadId: WSATHREADID | null = null): number {
    return this.apcs.alertableWait(timeoutMs, threadKey(lpThreadId));
  }

  /**
   * Non-standard: {@link alertableWait} for a thread that runs an event loop (the host network's
   * owner thread). Resolves to WAIT_IO_COMPLETION once routines were queued and ran, or to 0
   * after `timeoutMs` of real time. On the virtual network it is {@link alertableWait}.
   */
  alertableWaitAsync(timeoutMs: number | null, lpThreadId: WSATHREADID | null = null): Promise<number> {
    return this.apcs.alertableWaitAsync(timeoutMs, threadKey(lpThreadId));
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
