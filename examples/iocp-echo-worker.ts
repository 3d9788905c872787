/**
 * The worker thread of examples/iocp-echo.ts's `--threads` mode: one of N threads that call the
 * blocking GetQueuedCompletionStatus on one shared completion port (a {@link PortRef} the owner
 * posted), as libuv's and .NET's pools of I/O threads do on Windows.
 *
 * A packet of an operation another thread started reaches this thread **by value** (a copy of the
 * OVERLAPPED's fields, docs/overlapped.md, "Worker threads"), so nothing here is reached through
 * an OVERLAPPED pointer:
 * - **Connections are named by their completion key** `{ s, slot, peer }` (the socket handle, a
 *   row of the shared table, the peer for the log). A connection has **at most one operation in
 *   flight** — its zero-byte receive or one send — so whichever thread dequeues that operation's
 *   packet owns the connection until it starts the next one, and no lock is needed. What the
 *   packet is about (receive or send) is in the row, written before the operation starts.
 * - **AcceptEx calls are entries of shared memory**: the accept socket in an Int32Array, the
 *   output buffer a view of a SharedArrayBuffer (written in place at completion). The listener's
 *   packet says "one AcceptEx completed"; the thread claims a completed entry (compare-and-swap),
 *   takes its socket and addresses, and re-posts AcceptEx into it with this thread's own AcceptEx
 *   (SIO_GET_EXTENSION_FUNCTION_POINTER in this thread).
 *
 * This module runs its loop only when started as that worker; the owner imports its types and
 * the shared-memory layout ({@link makeEchoShared}).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import {
  ERROR_ABANDONED_WAIT_0, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, IPPROTO_TCP, SD_SEND, SOCKET_ERROR,
  SOCK_STREAM, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, TCP_NODELAY, WAIT_TIMEOUT, WSAEWOULDBLOCK, WSA_IO_PENDING, WSAID_ACCEPTEX_BYTES,
  WSAID_GETACCEPTEXSOCKADDRS_BYTES, decodeSockAddr, errorName, slotSize,
  type AcceptExFn, type GetAcceptExSockaddrsFn, type LPCOMPLETION_KEY, type LPLPOVERLAPPED, type ServiceProvider,
  type WSAOVERLAPPED,
} from '../src/index.js';
import { threadProvider, type PortRef, type ProviderChannel } from '../src/threads/index.js';
import { check, extension, int32, setNonBlocking } from './spi-helpers.js';

/** kernel32's INFINITE. */
const INFINITE = 0xffffffff;
/** One read's buffer (64 KiB, as libuv's default read size). */
const READ_SIZE = 65536;
const ZERO_BUFS = [{ len: 0, buf: new Uint8Array(0) }];
/** Names of the Win32 codes a completion port reports for the failures an echo server meets. */
const WIN32_NAMES: Record<number, string> = {
  64: 'ERROR_NETNAME_DELETED', 995: 'ERROR_OPERATION_ABORTED', 1236: 'ERROR_CONNECTION_ABORTED', 1229: 'ERROR_CONNECTION_INVALID',
};
const win32Name = (code: number): string => WIN32_NAMES[code] ?? `error ${code}`;

/** The key of the packet that ends one thread's loop (posted with a null OVERLAPPED). */
export const STOP_KEY = 'stop';

/** The listener's completion key. */
export interface ListenerKey { listener: number }
/** A connection's completion key: its socket, its row of {@link EchoShared}, its peer. */
export interface ConnectionKey { s: number; slot: number; peer: string }

// ---- shared memory ------------------------------------------------------------------------------

/** AcceptEx entry states. */
const FREE = 0;
const POSTED = 1;
const CLAIMED = 2;
/** What a connection's one operation in flight is. */
const NONE = 0;
const RECEIVE = 1;
const SEND = 2;
/** Counters. */
const OPEN = 0;
const CLOSING = 1;
/** A row's socket when it is free. */
const NO_SOCKET = 0;

/** What the owner and every worker share (typed arrays over SharedArrayBuffers: they travel by reference). */
export interface EchoShared {
  /** [connections open, the server is closing]. */
  counters: Int32Array;
  /** Per AcceptEx entry: FREE, POSTED, CLAIMED. */
  acceptState: Int32Array;
  /** Per AcceptEx entry: its accept socket. */
  acceptSocket: Int32Array;
  /** Per AcceptEx entry: its output buffer (two address slots), entry i at i * 2 * slot. */
  acceptBuf: Uint8Array;
  /** Per connection row: its socket (0: the row is free). */
  connSocket: Int32Array;
  /** Per connection row: the operation in flight (NONE, RECEIVE, SEND). */
  connPending: Int32Array;
  /** Per connection row: bytes echoed (written only by the thread that owns the connection). */
  connBytes: Float64Array;
}

const shared = <T>(Ctor: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, n: number): T =>
  new Ctor(new SharedArrayBuffer(Math.max(1, n) * Ctor.BYTES_PER_ELEMENT));

/** The shared tables for `entries` AcceptEx entries and `rows` connections of `family`. */
export function makeEchoShared(family: number, entries: number, rows: number): EchoShared {
  return {
    counters: shared(Int32Array, 2),
    acceptState: shared(Int32Array, entries),
    acceptSocket: shared(Int32Array, entries),
    acceptBuf: shared(Uint8Array, entries * 2 * slotSize(family)),
    connSocket: shared(Int32Array, rows),
    connPending: shared(Int32Array, rows),
    connBytes: shared(Float64Array, rows),
  };
}

/** The server is closing (set by the owner before it closes the listener). */
export const setClosing = (sh: EchoShared): void => void Atomics.store(sh.counters, CLOSING, 1);
/** Connections open now. */
export const openConnections = (sh: EchoShared): number => Atomics.load(sh.counters, OPEN);
/** The accept sockets of entries still holding one (the owner closes them at the end). */
export const acceptSockets = (sh: EchoShared): number[] =>
  [...sh.acceptState.keys()].filter((i) => Atomics.load(sh.acceptState, i) !== FREE).map((i) => sh.acceptSocket[i]!);
/** The sockets of connections still open. */
export const connectionSockets = (sh: EchoShared): number[] => [...sh.connSocket].filter((s) => s !== NO_SOCKET);

/** A plain WSAOVERLAPPED (a new one per operation: one in flight must not be reused). */
const plainOverlapped = (): WSAOVERLAPPED => ({ Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: null });

/**
 * Posts AcceptEx into entry `i`: a fresh accept socket, the buffer cleared (a non-zero byte then
 * means the completion wrote its addresses), the entry published before the call, since another
 * thread may dequeue its packet before the call returns.
 */
export function postAccept(p: Pick<ServiceProvider, 'WSPSocket' | 'WSPCloseSocket'>, acceptEx: AcceptExFn, sh: EchoShared, listener: number,
  family: number, i: number, ov: WSAOVERLAPPED = plainOverlapped()): void {
  const slot = slotSize(family);
  const buf = sh.acceptBuf.subarray(i * 2 * slot, (i + 1) * 2 * slot);
  buf.fill(0);
  const a = check('WSPSocket', (e) => p.WSPSocket(family, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
  Atomics.store(sh.acceptSocket, i, a);
  Atomics.store(sh.acceptState, i, POSTED);
  const e = { value: 0 };
  // FALSE + WSA_IO_PENDING is success, even for a connection taken at once.
  if (acceptEx(listener, a, buf, 0, slot, slot, { value: 0 }, ov, e) === 0 && e.value !== WSA_IO_PENDING) {
    Atomics.store(sh.acceptState, i, FREE);
    p.WSPCloseSocket(a, { value: 0 });
    throw new Error(`AcceptEx failed: ${errorName(e.value) ?? e.value}`);
  }
}

// ---- the worker ---------------------------------------------------------------------------------

/** What the owner passes in workerData. */
export interface EchoWorkerData {
  kind: 'iocp-echo-worker';
  index: number;
  channel: ProviderChannel;
  port: PortRef;
  listener: number;
  family: number;
  shared: EchoShared;
  noDelay: boolean;
  /** FILE_SKIP_COMPLETION_PORT_ON_SUCCESS on accepted sockets (this thread's SetFileCompletionNotificationModes). */
  skipCompletionPortOnSuccess: boolean;
  /** Post log lines to the owner. */
  log: boolean;
}

/** What one thread did, posted when its loop ends. */
export interface EchoWorkerReport {
  worker: number;
  /** Completion packets it dequeued. */
  handled: number;
  /** Of those, packets of operations another thread started (their OVERLAPPED a copy, by value). */
  foreign: number;
  accepted: number;
  closed: number;
  failed: number;
  bytes: number;
  /** Why the loop ended early (absent: its stop packet). */
  error?: string;
}

/** Messages to the owner: log lines, and the thread's report when its loop ends. */
export type EchoWorkerMessage = { log: string } | { report: EchoWorkerReport };

/** The completion loop of one thread: until its stop packet, the port's closing, or a failure. */
export function runEchoWorker(d: EchoWorkerData, post: (m: EchoWorkerMessage) => void): EchoWorkerReport {
  const p = threadProvider(d.channel);
  const sp = p as unknown as ServiceProvider;
  const sh = d.shared;
  const report: EchoWorkerReport = { worker: d.index, handled: 0, foreign: 0, accepted: 0, closed: 0, failed: 0, bytes: 0 };
  /** The OVERLAPPEDs of this thread's operations (only to count the packets of others: nothing is looked up by them). */
  const mine = new WeakSet<WSAOVERLAPPED>();
  const overlapped = (): WSAOVERLAPPED => {
    const o = plainOverlapped();
    mine.add(o);
    return o;
  };
  const log = (line: string): void => {
    if (d.log) post({ log: `server  [thread ${d.index}] ${line}` });
  };
  const slot = slotSize(d.family);
  const entries = sh.acceptState.length;
  const chunk = new Uint8Array(READ_SIZE);
  const readBufs = [{ len: READ_SIZE, buf: chunk }];
  const sendBufs = [{ len: 0, buf: chunk }];
  const got = { value: 0 };
  const flags = { value: 0 };
  const err = { value: 0 };
  /** lpErrno of the overlapped calls. */
  const perr = { value: 0 };

  try {
    const acceptEx = extension<AcceptExFn>(p, d.listener, WSAID_ACCEPTEX_BYTES, 'WSAID_ACCEPTEX');
    const getSockaddrs = extension<GetAcceptExSockaddrsFn>(p, d.listener, WSAID_GETACCEPTEXSOCKADDRS_BYTES, 'WSAID_GETACCEPTEXSOCKADDRS');

    const skipOnSuccess = (s: number): void => {
      if (p.SetFileCompletionNotificationModes(s, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, err) === 0) {
        throw new Error(`SetFileCompletionNotificationModes failed: ${err.value}`);
      }
    };

    const close = (c: ConnectionKey): void => {
      sh.connBytes[c.slot] = 0;
      Atomics.store(sh.connPending, c.slot, NONE);
      Atomics.store(sh.connSocket, c.slot, NO_SOCKET);
      Atomics.sub(sh.counters, OPEN, 1);
      p.WSPCloseSocket(c.s, { value: 0 });
    };
    const fail = (c: ConnectionKey, why: string): void => {
      const bytes = sh.connBytes[c.slot]!;
      close(c);
      report.failed++;
      log(`${c.peer} ${why}: closed after echoing ${bytes} bytes (${openConnections(sh)} open)`);
    };
    /** The peer's FIN, every echo taken (one send at a time): FIN back, then close. */
    const finish = (c: ConnectionKey): void => {
      const bytes = sh.connBytes[c.slot]!;
      p.WSPShutdown(c.s, SD_SEND, { value: 0 });
      close(c);
      report.closed++;
      log(`${c.peer} closed: echoed ${bytes} bytes, shut down and closed (${openConnections(sh)} open)`);
    };

    /**
     * This thread owns connection `c` (no operation in flight): non-blocking reads, each chunk
     * sent back overlapped, until a send or the zero-byte receive pends — then the connection
     * belongs to whichever thread dequeues that packet, and this one lets go of it.
     */
    const serve = (c: ConnectionKey): void => {
      for (;;) {
        flags.value = 0;
        if (p.WSPRecv(c.s, readBufs, 1, got, flags, null, null, null, err) === SOCKET_ERROR) {
          if (err.value !== WSAEWOULDBLOCK) return fail(c, `WSPRecv: ${errorName(err.value) ?? err.value}`);
          // Nothing there: the zero-byte receive says when there is (it ties up no buffer).
          Atomics.store(sh.connPending, c.slot, RECEIVE);
          flags.value = 0;
          const r = p.WSPRecv(c.s, ZERO_BUFS, 1, null, flags, overlapped(), null, null, perr);
          if (r !== 0 && perr.value !== WSA_IO_PENDING) return fail(c, `WSPRecv: ${errorName(perr.value) ?? perr.value}`);
          if (r !== 0 || !d.skipCompletionPortOnSuccess) return; // its packet comes: hands off
          Atomics.store(sh.connPending, c.slot, NONE); // done at once, no packet: read on
          continue;
        }
        const n = got.value;
        if (n === 0) return finish(c);
        sh.connBytes[c.slot]! += n;
        report.bytes += n;
        Atomics.store(sh.connPending, c.slot, SEND);
        sendBufs[0]!.len = n;
        // The bytes travel to the owner at the call: the buffer is free again when it returns.
        const r = p.WSPSend(c.s, sendBufs, 1, null, 0, overlapped(), null, null, perr);
        if (r !== 0 && perr.value !== WSA_IO_PENDING) return fail(c, `WSPSend: ${errorName(perr.value) ?? perr.value}`);
        if (r !== 0 || !d.skipCompletionPortOnSuccess) return;
        Atomics.store(sh.connPending, c.slot, NONE);
      }
    };

    const onConnection = (c: ConnectionKey, error: number): void => {
      if (Atomics.load(sh.connSocket, c.slot) !== c.s) return; // closed by the owner at shutdown
      const what = Atomics.exchange(sh.connPending, c.slot, NONE);
      if (error !== 0) return fail(c, `${what === SEND ? 'send' : 'receive'} failed with ${win32Name(error)}`);
      serve(c);
    };

    /** A completed entry nobody took yet (its buffer holds addresses), now this thread's. */
    const claim = (): number => {
      for (let i = 0; i < entries; i++) {
        if (Atomics.load(sh.acceptState, i) !== POSTED) continue;
        if (!sh.acceptBuf.subarray(i * 2 * slot, (i + 1) * 2 * slot).some((b) => b !== 0)) continue;
        if (Atomics.compareExchange(sh.acceptState, i, POSTED, CLAIMED) === POSTED) return i;
      }
      return -1;
    };
    const freeEntry = (): number => {
      for (let i = 0; i < entries; i++) if (Atomics.compareExchange(sh.acceptState, i, FREE, CLAIMED) === FREE) return i;
      return -1;
    };
    const freeRow = (s: number): number => {
      for (let i = 0; i < sh.connSocket.length; i++) if (Atomics.compareExchange(sh.connSocket, i, NO_SOCKET, s) === NO_SOCKET) return i;
      return -1;
    };

    const onAccept = (error: number): void => {
      if (Atomics.load(sh.counters, CLOSING) !== 0) return; // the owner closes the entries' sockets
      if (error !== 0) {
        // Which entry failed the packet does not say: a spare entry keeps the pool's size.
        const spare = freeEntry();
        if (spare >= 0) postAccept(sp, acceptEx, sh, d.listener, d.family, spare, overlapped());
        log(`an AcceptEx failed with ${win32Name(error)}; ${spare >= 0 ? 'a spare entry posted' : 'no spare entry left'}`);
        return;
      }
      const i = claim();
      if (i < 0) throw new Error('an AcceptEx packet, and no completed entry');
      const a = sh.acceptSocket[i]!;
      // A call answered means the owner finished that completion: the addresses are all there.
      const update = { value: 0 };
      const updated = p.WSPSetSockOpt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, int32(d.listener), 4, update);
      const remote: { value: Uint8Array | null } = { value: null };
      getSockaddrs(sh.acceptBuf.subarray(i * 2 * slot, (i + 1) * 2 * slot), 0, slot, slot, null, null, remote, { value: 0 });
      const peerAddr = remote.value === null ? undefined : decodeSockAddr(remote.value);
      const peer = peerAddr === undefined ? '?' : `${peerAddr.address}:${peerAddr.port}`;
      postAccept(sp, acceptEx, sh, d.listener, d.family, i, overlapped()); // the buffer was read: the entry goes again
      report.accepted++;
      Atomics.add(sh.counters, OPEN, 1);
      const row = freeRow(a);
      const c: ConnectionKey = { s: a, slot: row, peer };
      if (row < 0) {
        Atomics.sub(sh.counters, OPEN, 1);
        p.WSPCloseSocket(a, { value: 0 });
        report.failed++;
        log(`${peer} refused: no free connection row`);
        return;
      }
      try {
        if (updated === SOCKET_ERROR) throw new Error(`SO_UPDATE_ACCEPT_CONTEXT: ${errorName(update.value) ?? update.value}`);
        const e = { value: 0 };
        // The key travels by structured clone to whichever thread dequeues the packet.
        if (p.CreateIoCompletionPort(a, d.port, c, 0, e) === null) throw new Error(`CreateIoCompletionPort: Win32 error ${e.value}`);
        if (d.skipCompletionPortOnSuccess) skipOnSuccess(a);
        setNonBlocking(sp, a);
      } catch (why) {
        return fail(c, `could not be set up (${why instanceof Error ? why.message : String(why)})`);
      }
      if (d.noDelay) p.WSPSetSockOpt(a, IPPROTO_TCP, TCP_NODELAY, int32(1), 4, { value: 0 });
      log(`AcceptEx took ${peer} (socket 0x${a.toString(16)}, ${openConnections(sh)} open)`);
      serve(c);
    };

    const bytes = { value: 0 };
    const key: LPCOMPLETION_KEY = { value: null };
    const ov: LPLPOVERLAPPED = { value: null };
    for (;;) {
      ov.value = null;
      const ok = p.GetQueuedCompletionStatus(d.port, bytes, key, ov, INFINITE, err);
      if (ov.value === null) {
        if (ok === 1 && key.value === STOP_KEY) break;
        if (ok === 1) throw new Error(`a posted packet with key ${JSON.stringify(key.value)}`);
        if (err.value === WAIT_TIMEOUT) continue; // a virtual network with nothing left to run
        if (err.value === ERROR_ABANDONED_WAIT_0) break; // the port was closed
        throw new Error(`GetQueuedCompletionStatus failed with ${errorName(err.value) ?? err.value}`);
      }
      report.handled++;
      if (!mine.has(ov.value)) report.foreign++;
      const k = key.value as ListenerKey | ConnectionKey;
      const error = ok === 1 ? 0 : err.value;
      if ('listener' in k) onAccept(error);
      else onConnection(k, error);
    }
  } catch (why) {
    const message = why instanceof Error ? why.message : String(why);
    // Once the owner closes the listener, a thread still starting (or re-posting AcceptEx) meets
    // a socket that is gone: the server is ending, that is no failure of this thread.
    if (Atomics.load(sh.counters, CLOSING) === 0) report.error = message;
    else log(`ended while the server closed: ${message}`);
  } finally {
    p.close();
  }
  return report;
}

if (!isMainThread && (workerData as Partial<EchoWorkerData> | null)?.kind === 'iocp-echo-worker') {
  const post = (m: EchoWorkerMessage): void => parentPort!.postMessage(m);
  post({ report: runEchoWorker(workerData as EchoWorkerData, post) });
}
