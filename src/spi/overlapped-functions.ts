/**
 * The overlapped path shared by every overlapped call: starting an overlapped transfer, recording
 * a completion where the caller looks for it (the WSAOVERLAPPED, the event, the completion
 * routine through WPUQueueApc, ws2_32's WPUCompleteOverlappedRequest, the socket's completion
 * port), WSPGetOverlappedResult, and the non-standard alertable waits that run default-queued
 * completion routines. The rules live in `provider/overlapped.ts`; docs/overlapped.md.
 */
import {
  SOCKET_ERROR, WSAEFAULT, WSAEINVAL, WSAENOTSOCK, WSAEMSGSIZE, STATUS_BUFFER_OVERFLOW, STATUS_PENDING, STATUS_SUCCESS,
  WSA_INVALID_HANDLE, WSA_IO_INCOMPLETE, WSA_IO_PENDING,
} from '../provider/constants.js';
import { ApcQueues, threadKey } from '../provider/overlapped-apc.js';
import { ntSuccess, statusToError } from '../provider/overlapped-status.js';
import { OverlappedEngine, type Completion, type OverlappedOp } from '../provider/overlapped.js';
import type { Endpoint } from '../provider/socket.js';
import type { ProviderCore } from '../provider/provider.js';
import type { Socket } from '../provider/socket.js';
import { fail, guard, probe, store } from './funnel.js';
import {
  eventOf, failValue, given, OVERLAPPED_KEYS, RESULT_FLAGS, signal, storeInternal, storeResult, storeValue, type OverlappedArgs,
} from './overlapped-args.js';
import { associationOf, postCompletion } from '../iocp/associations.js';
import { skipsPortOnSuccess } from '../iocp/notification-modes.js';
import { writeSockAddrArg } from './sockaddr.js';
import type { LPINT, WSAOVERLAPPED, WSPUPCALLTABLE, WSATHREADID } from './types.js';

/**
 * One overlapped WSPSend/WSPSendTo/WSPRecv/WSPRecvFrom: the operation the engine runs and what
 * its completion needs (the socket, the overlapped arguments, WSPRecvFrom's lpFrom). A class
 * with a method rather than an object literal and a closure per call: this is the hot path of
 * every completion-port server.
 */
class OverlappedCall implements OverlappedOp {
  constructor(
    private readonly owner: OverlappedFunctions,
    readonly sock: Socket,
    readonly a: OverlappedArgs,
    readonly direction: 'recv' | 'send',
    readonly buffers: readonly Uint8Array[],
    readonly flags: number,
    readonly to: Endpoint | null,
    readonly viaSendTo: boolean,
    readonly lpFrom: unknown,
    readonly lpFromlen: LPINT | null,
  ) {
    this.overlapped = a.ov;
  }

  /** The caller's WSAOVERLAPPED (what CancelIoEx names the operation by). */
  readonly overlapped: object;

  /** A later completion (never one at once: the call reports that itself). */
  finish(c: Completion): void {
    this.owner.completeInCallback(this, c, false);
  }
}

/** Common base of {@link ServiceProvider}: the overlapped path. */
export abstract class OverlappedFunctions {
  /** What ws2_32 passed to WSPStartup (WSPAsyncSelect posts through its WPUPostMessage, completion routines go through its WPUQueueApc). */
  upcalls: WSPUPCALLTABLE | null = null;

  constructor(
    /** The provider core (for tools and layers above; not part of ws2spi.h). */
    readonly core: ProviderCore,
  ) {}

  /** The provider's overlapped engine, once an overlapped transfer made it. */
  private engine: OverlappedEngine | null = null;

  /** The default completion-routine queues, made at the first overlapped call that needs them. */
  private apcQueues: ApcQueues | null = null;

  protected get apcs(): ApcQueues {
    this.apcQueues ??= new ApcQueues(() => this.upcalls, this.core.transport, (fn) => this.core.runCallback(fn));
    return this.apcQueues;
  }

  /**
   * An overlapped transfer whose arguments were checked: completes at once (0, the count and
   * flags written, the completion indicated), pends (SOCKET_ERROR with WSA_IO_PENDING, Internal
   * STATUS_PENDING, the event reset, out-parameters untouched), or fails at once changing
   * nothing (no completion will come). A datagram truncated at once is delivered and reported
   * as WSAEMSGSIZE, with its completion indicated (STATUS_BUFFER_OVERFLOW is a warning).
   */
  protected overlapped(
    s: unknown, a: OverlappedArgs, direction: 'recv' | 'send', buffers: readonly Uint8Array[], flags: number, to: Endpoint | null,
    viaSendTo: boolean, lpCount: LPINT | null, lpFlags: LPINT | null, lpFrom: unknown, lpFromlen: LPINT | null, lpErrno: unknown,
  ): number {
    const sock = this.core.lookup(s) as Socket;
    // A completion routine on a socket bound to a completion port: WSAEINVAL, and the routine is
    // never called (Wine's test_WSARecv, fact 14).
    if (a.routine !== null && associationOf(sock) !== undefined) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
    // One record per call: the operation the engine runs, and what its completion writes.
    const call = new OverlappedCall(this, sock, a, direction, buffers, flags, to, viaSendTo, lpFrom, lpFromlen);
    const r = (this.engine ??= OverlappedEngine.of(this.core)).start(sock, call);
    if (r === 'pending') {
      storeInternal(a.ov, STATUS_PENDING);
      if (a.event !== null) signal(a.event, false);
      return failValue(lpErrno, WSA_IO_PENDING, SOCKET_ERROR);
    }
    if (typeof r === 'number') return failValue(lpErrno, -r, SOCKET_ERROR);
    if (given(lpCount)) storeValue(lpCount, r.count);
    if (lpFlags !== null) storeValue(lpFlags, r.flags);
    // The call returns 0 only for a success; a datagram truncated at once returns WSAEMSGSIZE.
    this.completeInCallback(call, r, r.status === STATUS_SUCCESS);
    return r.status === STATUS_BUFFER_OVERFLOW ? fail(lpErrno, WSAEMSGSIZE, SOCKET_ERROR) : 0;
  }

  /** @internal {@link complete} for one of {@link overlapped}'s calls, run as a provider callback (the indication may run caller code). */
  completeInCallback(call: OverlappedCall, c: Completion, immediate: boolean): void {
    this.core.runCallback(() => this.complete(call.sock, call.a, c, call.lpFrom, call.lpFromlen, immediate));
  }

  /**
   * Records a completion where the caller looks for it: the sender (WSPRecvFrom), InternalHigh
   * then Internal (a program polling Internal sees the count already there), and the indication:
   * the completion routine queued to the initiating thread; or else ws2_32's
   * WPUCompleteOverlappedRequest when it gave one (it signals the event and queues to the port it
   * knows); or else the event signaled and, unless hEvent carried the "low bit"
   * (NoPortNotification), a packet queued to the socket's completion port — for an operation
   * that completed at once too (Wine's test_completion_port, fact 7), unless `immediate` (the
   * call returns 0 for it) and the socket has FILE_SKIP_COMPLETION_PORT_ON_SUCCESS.
   */
  protected complete(sock: Socket, a: OverlappedArgs, c: Completion, lpFrom: unknown, lpFromlen: LPINT | null, immediate = false): void {
    if (given(lpFrom) && c.from !== null) writeSockAddrArg(c.from, lpFrom, lpFromlen);
    // Flags are mostly 0, which a missing entry reads as: no WeakMap write then.
    if (c.flags !== 0 || RESULT_FLAGS.has(a.ov)) RESULT_FLAGS.set(a.ov, c.flags);
    storeResult(a.ov, c.count, c.status);
    if (a.routine !== null) {
      this.apcs.queue(a.thread, a.routine, statusToError(c.status), c.count, a.ov, c.flags);
      return;
    }
    if (this.completeThroughWs2(sock.handle, a.ov, c)) return;
    if (a.event !== null) signal(a.event, true);
    // FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: a call that returned 0 posts no packet (fact 59).
    if (!a.noPort && !(immediate && skipsPortOnSuccess(sock))) postCompletion(sock, a.ov, c.count, c.status);
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

  /**
   * @internal Indicates an overlapped completion the way WSPSend/WSPRecv's are (the event,
   * ws2_32's WPUCompleteOverlappedRequest, the socket's completion port): for the extension
   * functions (src/extensions), whose calls complete on the socket they were issued on.
   * `immediate`: the call returns 0 (success) for this completion, so a socket with
   * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS gets no packet; a call that pends passes false.
   */
  indicate(sock: Socket, a: OverlappedArgs, c: Completion, immediate = false): void {
    this.core.runCallback(() => this.complete(sock, a, c, null, null, immediate));
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
}
