/**
 * The WSP* functions for code in a worker thread: each call is carried to the thread that owns
 * the network and this thread sleeps until it is answered, so a blocking call truly blocks here
 * (as ws2_32 callers expect) while the network goes on elsewhere. Overlapped calls, completion
 * ports and alertable waits are carried too (src/threads/overlapped-client.ts).
 */
import { receiveMessageOnPort, threadId } from 'node:worker_threads';
import {
  ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_NOACCESS, INVALID_SOCKET, SIO_GET_EXTENSION_FUNCTION_POINTER, SOCKET_ERROR, WAIT_IO_COMPLETION,
  WSA_INFINITE, WSA_INVALID_HANDLE, WSA_INVALID_PARAMETER, WSA_WAIT_FAILED, WSA_WAIT_TIMEOUT, WSAEFAULT, WSAEINPROGRESS, WSAENETDOWN,
  WSANOTINITIALISED,
} from '../provider/constants.js';
import { WSAEvent } from '../provider/readiness.js';
import { probe, probeAll, store } from '../spi/funnel.js';
import { PROC_NAMES, type ServiceProvider, type WSPPROC_TABLE } from '../spi/service-provider.js';
import type { LPINT, WSAOVERLAPPED, WSATHREADID } from '../spi/types.js';
import type { LPCOMPLETION_KEY, LPLPOVERLAPPED, OVERLAPPED_ENTRY } from '../iocp/queued-status.js';
import { WorkerEvents } from './events-client.js';
import { WorkerExtensions } from './extensions-client.js';
import { WorkerOverlapped } from './overlapped-client.js';
import {
  ANSWERED, IDLE, OVERLAPPED_SHAPES, WORD_CALLER, WORD_CLOSED, WORD_OWNER, copyBack, isExtensionMarker, isPortRef, type PortRef, type ProviderChannel,
  type ToCaller, type ToOwner,
} from './protocol.js';
import { WireConverter } from './wire.js';

/** WSAWaitForMultipleEvents' limit (winsock2.h's WSA_MAXIMUM_WAIT_EVENTS, MAXIMUM_WAIT_OBJECTS). */
const WSA_MAXIMUM_WAIT_EVENTS = 64;
/** WSAWaitForMultipleEvents' answer after completion routines ran (WAIT_IO_COMPLETION). */
const WSA_WAIT_IO_COMPLETION = WAIT_IO_COMPLETION;

/** Non-standard functions of the provider carried as the WSP* ones are. */
const EXTRA_NAMES = ['GetCurrentProcessId'] as const;

type ProcName = (typeof PROC_NAMES)[number] | (typeof EXTRA_NAMES)[number];

/** The functions a thread gets: the WSP* functions of the owner's provider, blocking for real. */
export type ThreadProvider = { [K in ProcName]: ServiceProvider[K] } & {
  /** Fills a proc table with these functions (what WSPStartup does for ws2_32). */
  procTable(): WSPPROC_TABLE;
  /**
   * Tells the owner this thread is done: the owner closes the sockets this thread made, as
   * at process exit, and no longer waits for it. Every call afterwards fails at once with
   * WSANOTINITIALISED (as after WSACleanup).
   */
  close(): void;
  /** Non-standard: what this thread's calls put on the channel so far ({@link WireStats}). */
  wireStats(): WireStats;
  /**
   * Non-standard (CancelSynchronousIo's effect on a thread blocked in Winsock): cancels the
   * blocking call in progress in worker thread `threadId` (node:worker_threads' id), which fails
   * with WSAEINTR. 0, or SOCKET_ERROR with WSAEINVAL when that thread has no blocking call waiting.
   */
  cancelBlockingCall(threadId: number, lpErrno: LPINT): number;
  /** The provider's CancelIoEx, for this thread's WSAOVERLAPPEDs. */
  CancelIoEx(s: number, lpOverlapped: WSAOVERLAPPED | null, lpErrno?: LPINT | null): number;
  /**
   * SleepEx(timeoutMs, TRUE) for this thread: runs the completion routines of its operations
   * (those started with `lpThreadId`'s ThreadHandle; null: with none) and returns
   * WAIT_IO_COMPLETION, or waits — this thread only — until one is due or `timeoutMs` passes (0).
   */
  alertableWait(timeoutMs: number | null, lpThreadId?: WSATHREADID | null): number;
  /**
   * WSAWaitForMultipleEvents for this thread's event objects — those of its overlapped operations
   * and those it gave WSPEventSelect — blocking this thread only: WSA_WAIT_EVENT_0 + the index of
   * a signaled one (with `waitAll`, WSA_WAIT_EVENT_0 once all are); WSA_WAIT_IO_COMPLETION when
   * `alertable` (true, or the WSATHREADID whose routines to run) and completion routines ran;
   * WSA_WAIT_TIMEOUT; WSA_WAIT_FAILED with WSA_INVALID_PARAMETER in `lpErrno` for 0 or more than
   * WSA_MAXIMUM_WAIT_EVENTS (64) events, WSA_INVALID_HANDLE for one that is no event object, and
   * without a code when nothing of this thread can ever signal them.
   */
  waitForEvents(events: readonly WSAEvent[], waitAll: boolean, timeoutMs: number | null, alertable?: boolean | WSATHREADID,
    lpErrno?: LPINT | null): number;
  /**
   * kernel32's SetFileCompletionNotificationModes on socket `FileHandle` (the owner provider's,
   * src/spi/port-functions.ts): TRUE, or FALSE with the Win32 code in `lpErrno`.
   */
  SetFileCompletionNotificationModes(FileHandle: number, Flags: number, lpErrno?: LPINT | null): number;
  /** kernel32's CreateIoCompletionPort: a port every thread of the owner's server can name ({@link PortRef}). */
  CreateIoCompletionPort(FileHandle: number, ExistingCompletionPort: PortRef | null, CompletionKey: unknown, NumberOfConcurrentThreads: number,
    lpErrno?: LPINT | null): PortRef | null;
  /** kernel32's GetQueuedCompletionStatus: blocks this thread only; the OVERLAPPED handed back is this thread's own object. */
  GetQueuedCompletionStatus(CompletionPort: PortRef, lpNumberOfBytes: LPINT, lpCompletionKey: LPCOMPLETION_KEY, lpOverlapped: LPLPOVERLAPPED,
    dwMilliseconds: number, lpErrno?: LPINT | null): number;
  /** kernel32's GetQueuedCompletionStatusEx; `fAlertable` runs this thread's routines (of no WSATHREADID). */
  GetQueuedCompletionStatusEx(CompletionPort: PortRef, lpEntries: OVERLAPPED_ENTRY[], ulCount: number, ulNumEntriesRemoved: LPINT,
    dwMilliseconds: number, fAlertable: boolean | number, lpErrno?: LPINT | null): number;
  /** kernel32's PostQueuedCompletionStatus. */
  PostQueuedCompletionStatus(CompletionPort: PortRef, dwNumberOfBytesTransferred: number, dwCompletionKey: unknown,
    lpOverlapped: WSAOVERLAPPED | null, lpErrno?: LPINT | null): number;
  /** kernel32's CloseHandle, for a port. */
  CloseHandle(hObject: PortRef, lpErrno?: LPINT | null): number;
};

const setErr = (lpErrno: unknown, code: number): void => {
  if (typeof lpErrno === 'object' && lpErrno !== null) {
    try {
      (lpErrno as LPINT).value = code;
    } catch {
      // an unwritable lpErrno loses the code, as a C caller that never reads it does
    }
  }
};

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

const cloneable = (x: unknown): boolean => {
  try {
    structuredClone(x);
    return true;
  } catch {
    return false;
  }
};

/** What a function of this module returns when it fails without acting (the channel is closed, a nested call). */
const FAIL_VALUES: Readonly<Record<string, unknown>> = {
  WSPSocket: INVALID_SOCKET, WSPAccept: INVALID_SOCKET, WSPJoinLeaf: INVALID_SOCKET, GetCurrentProcessId: 0,
  // The extension functions return FALSE, WSARecvMsg and WSASendMsg SOCKET_ERROR (as WSARecv / WSASend).
  __AcceptEx: 0, __ConnectEx: 0, __DisconnectEx: 0, __TransmitPackets: 0,
  // Win32 functions: FALSE / NULL; waits: failed.
  __CreateIoCompletionPort: null, __GetQueuedCompletionStatus: 0, __GetQueuedCompletionStatusEx: 0, __PostQueuedCompletionStatus: 0,
  __CloseHandle: 0, __SetFileCompletionNotificationModes: 0, CancelIoEx: 0, __CancelIoEx: 0, __GetCurrentProcessId: 0, __alertableWait: 0, __waitForEvents: WSA_WAIT_FAILED,
};

/** Counts of one thread's channel (non-standard, for tests and tools). */
export interface WireStats {
  /** Calls that crossed to the owner. */
  calls: number;
  /**
   * Bytes of ordinary (not shared) memory the arguments put on the channel: a byte view of part
   * of an ArrayBuffer counts its own length (it travels as a copy of its bytes), a view of a
   * SharedArrayBuffer nothing (the owner uses that memory in place).
   */
  bytesSent: number;
}

export function threadProvider(channel: ProviderChannel): ThreadProvider {
  const { port } = channel;
  const state = new Int32Array(channel.state);
  /** Both ends serve this channel: the caller has not closed it, the owner has not either. */
  let closedHere = false;
  const ownerClosed = (): boolean => state.length > WORD_CLOSED && Atomics.load(state, WORD_CLOSED) !== 0;
  const send = (m: ToOwner) => port.postMessage(m);
  const overlapped = new WorkerOverlapped();
  const events = new WorkerEvents();
  const stats: WireStats = { calls: 0, bytesSent: 0 };
  send({ type: 'hello', threadId });

  /** This thread's call is in progress and the owner is running one of our callbacks in it. */
  let inCallback = false;

  /** The call fails without acting: `code` in its lpErrno (its last argument), its failure value returned. */
  const refuse = (fn: string, args: unknown[], code: number): { ret: unknown; result: unknown } => {
    setErr(args[args.length - 1], code);
    return { ret: Object.hasOwn(FAIL_VALUES, fn) ? FAIL_VALUES[fn] : SOCKET_ERROR, result: undefined };
  };

  /** Callback values and arguments as they go back to the owner (the program may have put anything there). */
  const plain = (x: unknown): unknown => new WireConverter().convert(x);

  const rawCall = (fn: string, args: unknown[]): { ret: unknown; result: unknown } => {
    // After WSACleanup a process's calls fail with WSANOTINITIALISED; once the owner stopped
    // serving, the network is gone for this thread: WSAENETDOWN. Neither waits.
    if (closedHere) return refuse(fn, args, WSANOTINITIALISED);
    if (ownerClosed()) return refuse(fn, args, WSAENETDOWN);
    // A call from a callback the owner runs inside this thread's call (Winsock 1.1's blocking
    // hook): the thread's call is in progress, as for upcalls that call back into a provider.
    if (inCallback) return refuse(fn, args, WSAEINPROGRESS);
    const conv = new WireConverter();
    let functions: Function[] | undefined;
    const wire = new Array<unknown>(args.length);
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (typeof a === 'function' && fn === 'WSPAccept' && i === 3) {
        // The condition function stays here; the owner calls it back through the channel.
        (functions ??= []).push(a);
        wire[i] = { __function: functions.length - 1 };
      } else wire[i] = conv.convert(a);
    }
    Atomics.store(state, WORD_CALLER, IDLE);
    if (ownerClosed()) return refuse(fn, args, WSAENETDOWN); // closed before our IDLE: no CLOSED wake-up is coming
    const freed = overlapped.takeFreed();
    const m: Extract<ToOwner, { type: 'call' }> & { freed?: number[]; marked?: boolean } = { type: 'call', fn, args: wire };
    if (freed !== undefined) m.freed = freed;
    if (conv.count.marked) m.marked = true;
    try {
      send(m);
    } catch {
      return refuse(fn, args, WSAEFAULT); // cannot happen with converted arguments; never throw for it
    }
    stats.calls++;
    stats.bytesSent += conv.count.bytes;
    for (;;) {
      const got = receiveMessageOnPort(port);
      if (got === undefined) {
        if (ownerClosed()) return refuse(fn, args, WSAENETDOWN);
        Atomics.wait(state, WORD_CALLER, IDLE);
        continue;
      }
      const msg = got.message as ToCaller;
      Atomics.store(state, WORD_CALLER, IDLE);
      if (msg.type === 'return') {
        for (let i = 0; i < args.length; i++) copyBack(args[i], msg.args[i]);
        overlapped.apply(msg);
        events.apply(msg.events);
        return { ret: msg.ret, result: msg.result };
      }
      // The owner is inside the call and needs one of our callbacks (it waits for the answer).
      let value: unknown;
      inCallback = true;
      try {
        value = plain(functions?.[msg.index]?.(...msg.args));
      } catch (e) {
        value = { __threw: String(e) };
      } finally {
        inCallback = false;
      }
      send({ type: 'callback-return', value, args: msg.args.map(plain) });
      Atomics.store(state, WORD_OWNER, ANSWERED);
      Atomics.notify(state, WORD_OWNER);
    }
  };

  const call = (fn: string, args: unknown[]): number => {
    // WSPCancelBlockingCall from a callback (the blocking-hook case: code running on this thread
    // while its blocking call is in progress). The owner calls back only with a result in hand (a
    // condition function decides an accept that then completes), so the call "completed before the
    // cancellation" and succeeds as if never cancelled; the page lets the cancel return 0. Posting
    // a new call here would break the owner's wait for the callback's answer.
    if (fn === 'WSPCancelBlockingCall' && inCallback) return 0;
    args = events.wire(fn, args);
    const t = overlapped.transfer(fn, args);
    if (t === undefined) {
      // A completion routine without an OVERLAPPED is ignored (docs/overlapped.md): it stays here.
      const shape = OVERLAPPED_SHAPES[fn];
      if (shape?.routine !== undefined && typeof args[shape.routine] === 'function') {
        const plainArgs = [...args];
        plainArgs[shape.routine] = null;
        return rawCall(fn, plainArgs).ret as number;
      }
      return rawCall(fn, args).ret as number;
    }
    // The wire arguments replace the overlapped ones; the rest are the caller's own objects (copied back).
    const sent = args.map((a, i) => (t.wire[i] === a ? a : t.wire[i]));
    const { ret, result } = rawCall(fn, sent);
    overlapped.settled(t.id, result);
    return ret as number;
  };

  /** Asks the owner for what happened to this thread's operations (a call that does nothing else). */
  const poll = (key: number): void => {
    rawCall('__alertableWait', [key, 0]);
  };

  const provider = {} as Record<string, unknown>;
  for (const name of [...PROC_NAMES, ...EXTRA_NAMES]) provider[name] = (...args: unknown[]) => call(name, args);
  // SIO_GET_EXTENSION_FUNCTION_POINTER: the owner answers with the function's name; this thread's stand-in goes to the output.
  const extensions = new WorkerExtensions(call);
  provider.WSPIoctl = (...args: unknown[]): number => {
    if (args[1] !== SIO_GET_EXTENSION_FUNCTION_POINTER) return call('WSPIoctl', args);
    const out = args[4];
    // An output the provider could not write (frozen, …) is NULL to it: WSAEFAULT, as on the owner
    // thread (a clone would be writable). One that holds a function already (a pointer got
    // before) cannot travel: a fresh one does, and only a success writes the caller's.
    const sent = !isObject(out) ? out : !probe(out, 'value') ? null : cloneable(out) ? out : { value: null };
    const wire = [...args];
    wire[4] = sent;
    const ret = call('WSPIoctl', wire);
    const got = isObject(sent) ? sent.value : undefined;
    if (isExtensionMarker(got)) store(out, 'value', extensions.get(got.__extension) ?? null);
    return ret;
  };
  provider.WSPGetOverlappedResult = (s: unknown, ov: unknown, lpcb: unknown, fWait: unknown, lpFlags: unknown, lpErrno: unknown): number =>
    rawCall('WSPGetOverlappedResult', [s, overlapped.ref(ov), lpcb, fWait, lpFlags, lpErrno]).ret as number;
  provider.CancelIoEx = (s: unknown, ov: unknown, lpErrno: unknown): number =>
    rawCall('CancelIoEx', [s, overlapped.ref(ov), lpErrno ?? { value: 0 }]).ret as number;
  provider.cancelBlockingCall = (target: unknown, lpErrno: unknown): number => call('__cancelBlockingCall', [target, lpErrno]);

  provider.alertableWait = (timeoutMs: number | null, lpThreadId: unknown = null): number => {
    const key = overlapped.threadKey(lpThreadId);
    if (overlapped.runRoutines(key, () => poll(key))) return WAIT_IO_COMPLETION;
    rawCall('__alertableWait', [key, timeoutMs ?? WSA_INFINITE]);
    return overlapped.runRoutines(key, () => poll(key)) ? WAIT_IO_COMPLETION : 0;
  };

  provider.waitForEvents = (list: unknown, waitAll: unknown, timeoutMs: unknown, alertable: unknown = false, lpErrno: unknown = null): number => {
    if (!Array.isArray(list) || list.length < 1 || list.length > WSA_MAXIMUM_WAIT_EVENTS) return (setErr(lpErrno, WSA_INVALID_PARAMETER), WSA_WAIT_FAILED);
    if (!list.every((e) => WSAEvent.is(e) && probe(e, 'signaled'))) return (setErr(lpErrno, WSA_INVALID_HANDLE), WSA_WAIT_FAILED);
    const evs = [...list] as WSAEvent[];
    // null: not alertable; otherwise the thread key whose completion routines the wait runs.
    const key = !alertable ? null : overlapped.threadKey(isObject(alertable) ? alertable : null);
    const ready = (): number | undefined => {
      if (key !== null && overlapped.dueFor(key) > 0) return WSA_WAIT_IO_COMPLETION;
      if (waitAll) return evs.every((e) => e.signaled) ? 0 : undefined;
      const i = evs.findIndex((e) => e.signaled);
      return i < 0 ? undefined : i;
    };
    const settle = (r: number): number => {
      if (r === WSA_WAIT_IO_COMPLETION) overlapped.runRoutines(key!, () => poll(key!));
      return r;
    };
    const forever = timeoutMs === null || timeoutMs === undefined || timeoutMs === WSA_INFINITE;
    let deadline: unknown = null;
    for (;;) {
      const now = ready();
      if (now !== undefined) return settle(now);
      const ids = overlapped.idsFor(evs);
      const refs = events.refsFor(evs);
      // Nothing of this thread can signal them: a wait for ever would never end.
      if (ids.length === 0 && refs.every((r) => r === null) && key === null && forever) return WSA_WAIT_FAILED;
      const { ret, result } = rawCall('__waitForEvents', [ids, forever ? null : timeoutMs, deadline, refs, key]);
      deadline = result;
      if (ret === WAIT_IO_COMPLETION) continue; // the routines are due here now: ready() sees them
      if (ret === WSA_WAIT_TIMEOUT || ret === WSA_WAIT_FAILED) return ready() !== undefined ? settle(ready()!) : ret as number;
    }
  };

  provider.SetFileCompletionNotificationModes = (file: unknown, flags: unknown, lpErrno: unknown = null): number => {
    const errno = { value: 0 };
    const { ret } = rawCall('__SetFileCompletionNotificationModes', [file, flags, errno]);
    if (errno.value !== 0) setErr(lpErrno, errno.value);
    return ret as number;
  };

  // ---- completion ports ---------------------------------------------------------------------

  provider.CreateIoCompletionPort = (file: unknown, existing: unknown, key: unknown, threads: unknown, lpErrno: unknown = null): PortRef | null => {
    if (!cloneable(key)) {
      // A key must travel to the threads that dequeue its packets.
      setErr(lpErrno, ERROR_INVALID_PARAMETER);
      return null;
    }
    const errno = { value: 0 };
    const { ret } = rawCall('__CreateIoCompletionPort', [file, existing ?? null, key, threads, errno]);
    if (errno.value !== 0) setErr(lpErrno, errno.value);
    return isPortRef(ret) ? ret : null;
  };

  provider.GetQueuedCompletionStatus = (cp: unknown, lpBytes: unknown, lpKey: unknown, lpOv: unknown, ms: unknown, lpErrno: unknown = null): number => {
    if (!isPortRef(cp)) return (setErr(lpErrno, ERROR_INVALID_HANDLE), 0);
    if (!probe(lpBytes, 'value') || !probe(lpKey, 'value') || !probe(lpOv, 'value')) return (setErr(lpErrno, ERROR_NOACCESS), 0);
    const bytes = { value: 0 };
    const key = { value: null as unknown };
    const errno = { value: 0 };
    const { ret, result } = rawCall('__GetQueuedCompletionStatus', [cp, bytes, key, { value: null }, ms, errno]);
    const r = result as { overlapped?: unknown; packet?: boolean } | undefined;
    if (r !== undefined && r !== null && 'overlapped' in r) {
      if (r.packet === true) {
        (lpBytes as LPINT).value = bytes.value;
        (lpKey as LPCOMPLETION_KEY).value = key.value;
      }
      (lpOv as LPLPOVERLAPPED).value = overlapped.resolve(r.overlapped) as WSAOVERLAPPED | null;
    }
    if (errno.value !== 0) setErr(lpErrno, errno.value);
    return ret as number;
  };

  provider.GetQueuedCompletionStatusEx = (cp: unknown, entries: unknown, count: unknown, removed: unknown, ms: unknown, alertable: unknown,
    lpErrno: unknown = null): number => {
    if (!isPortRef(cp)) return (setErr(lpErrno, ERROR_INVALID_HANDLE), 0);
    const n = typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 0;
    if (n > 0) {
      if (!Array.isArray(entries) || entries.length < n || !probe(removed, 'value')) return (setErr(lpErrno, ERROR_NOACCESS), 0);
      for (let i = 0; i < n; i++) {
        if (!probeAll(entries[i], ['lpCompletionKey', 'lpOverlapped', 'Internal', 'dwNumberOfBytesTransferred'])) return (setErr(lpErrno, ERROR_NOACCESS), 0);
      }
    }
    const fresh = Array.from({ length: n }, () => ({ lpCompletionKey: null as unknown, lpOverlapped: null, Internal: 0, dwNumberOfBytesTransferred: 0 }));
    const got = { value: 0 };
    const errno = { value: 0 };
    const { ret, result } = rawCall('__GetQueuedCompletionStatusEx', [cp, n > 0 ? fresh : entries, count, got, ms, Boolean(alertable), errno]);
    if (ret === 1) {
      const list = entries as OVERLAPPED_ENTRY[];
      const handed = Array.isArray(result) ? result : [];
      for (let i = 0; i < got.value; i++) {
        const e = list[i]!;
        e.lpCompletionKey = fresh[i]!.lpCompletionKey;
        e.Internal = fresh[i]!.Internal;
        e.dwNumberOfBytesTransferred = fresh[i]!.dwNumberOfBytesTransferred;
        e.lpOverlapped = overlapped.resolve(handed[i]) as WSAOVERLAPPED | null;
      }
      (removed as LPINT).value = got.value;
      return 1;
    }
    if (errno.value === WAIT_IO_COMPLETION) overlapped.runRoutines(0, () => poll(0));
    if (errno.value !== 0) setErr(lpErrno, errno.value);
    return ret as number;
  };

  provider.PostQueuedCompletionStatus = (cp: unknown, bytes: unknown, key: unknown, ov: unknown, lpErrno: unknown = null): number => {
    if (!cloneable(key)) return (setErr(lpErrno, ERROR_INVALID_PARAMETER), 0);
    const errno = { value: 0 };
    const wireOv = ov === null || ov === undefined ? null : overlapped.ref(ov);
    const { ret } = rawCall('__PostQueuedCompletionStatus', [cp, bytes, key, wireOv, errno]);
    if (errno.value !== 0) setErr(lpErrno, errno.value);
    return ret as number;
  };

  provider.CloseHandle = (cp: unknown, lpErrno: unknown = null): number => {
    const errno = { value: 0 };
    const { ret } = rawCall('__CloseHandle', [cp, errno]);
    if (errno.value !== 0) setErr(lpErrno, errno.value);
    return ret as number;
  };

  // The last net under every function: whatever a program passes, a call returns (WSAEFAULT, as
  // for an argument the provider cannot read) and never throws in this thread.
  for (const [name, f] of Object.entries(provider)) {
    if (typeof f !== 'function') continue;
    provider[name] = (...args: unknown[]): unknown => {
      try {
        return (f as (...a: unknown[]) => unknown)(...args);
      } catch {
        inCallback = false;
        return refuse(name.startsWith('WSP') ? name : `__${name}`, args, WSAEFAULT).ret;
      }
    };
  }
  provider.procTable = () => Object.fromEntries(PROC_NAMES.map((n) => [`lp${n}`, provider[n]]));
  provider.wireStats = (): WireStats => ({ ...stats });
  provider.close = () => {
    if (closedHere) return;
    closedHere = true;
    try {
      send({ type: 'close' });
    } catch {
      // the owner's end is gone already
    }
    port.close();
  };
  return provider as unknown as ThreadProvider;
}
