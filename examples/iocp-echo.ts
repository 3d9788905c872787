/**
 * An echo server written the way libuv (src/win/tcp.c) and .NET write Windows servers: overlapped
 * I/O and one I/O completion port, no select, no readiness events.
 *
 * What it shows:
 * - **One completion port** (`provider.CreateIoCompletionPort`) with every socket associated with
 *   it; the completion key of each socket is its own object (C passes a pointer to the handle's
 *   struct), and each operation's WSAOVERLAPPED is a request object carrying what the operation
 *   needs (C's CONTAINING_RECORD of libuv's `uv_req_t`).
 * - **A pool of posted AcceptEx calls** (the pointer from `WSPIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER,
 *   WSAID_ACCEPTEX_BYTES)`), each re-posted with a fresh socket as soon as it completes; the
 *   accepted socket gets `SO_UPDATE_ACCEPT_CONTEXT` and GetAcceptExSockaddrs gives its peer.
 * - **FILE_SKIP_COMPLETION_PORT_ON_SUCCESS** on each connection (SetFileCompletionNotificationModes,
 *   as libuv and .NET set it): an operation that succeeds at once is handled where it was
 *   started and queues no packet; only operations that pend come back through the port.
 * - **Zero-byte overlapped receives** (a WSABUF of length 0) to learn that a connection is
 *   readable without tying up a buffer per idle connection, then **non-blocking reads** of what
 *   is there, then **overlapped sends** of what was read. A connection whose echoes are not
 *   being taken stops being read (flow control), and resumes when its sends complete.
 * - **Graceful close**: at the peer's FIN (a read of 0 bytes) the server finishes its sends,
 *   then `WSPShutdown(SD_SEND)` and `WSPCloseSocket`. A reset fails the pending receive
 *   (`ERROR_NETNAME_DELETED` through the port) and the connection is closed.
 * - **Several workers dequeue completions**: by default N completion loops share this thread,
 *   each awaiting GetQueuedCompletionStatusAsync. With `--threads N` ({@link startIocpEchoThreads})
 *   they are N worker threads (examples/iocp-echo-worker.ts) calling the blocking
 *   GetQueuedCompletionStatus on the same port, named by a PortRef (`winsock-spi/threads`); this
 *   thread owns the network and serves their calls. A thread gets the packets of other threads'
 *   operations by value, so there connections are named by their completion key and AcceptEx
 *   calls live in shared memory (docs/overlapped.md, "Worker threads").
 *
 * Run: `npm run build:examples && node build/run/examples/iocp-echo.js` — the virtual network,
 * a server and a few clients (one sends 1 MB, one resets, one closes early), deterministic
 * (`--threads N`: the same clients, not deterministic: the threads really run at once).
 * `… iocp-echo.js --host [--port N] [--threads N]` serves on 127.0.0.1 of the real network until
 * Ctrl-C (try `curl --no-buffer telnet://127.0.0.1:N` and type).
 */
import {
  AF_INET, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, GetQueuedCompletionStatus, GetQueuedCompletionStatusAsync, INVALID_HANDLE_VALUE, INVALID_SOCKET, IPPROTO_TCP,
  PostQueuedCompletionStatus, CloseHandle, SD_SEND, SOCKET_ERROR, SOCK_STREAM,
  SOL_SOCKET, SO_LINGER, SO_UPDATE_ACCEPT_CONTEXT, TCP_NODELAY, VirtualNetwork, WSAEWOULDBLOCK,
  WSA_IO_PENDING, WSAID_ACCEPTEX_BYTES, WSAID_GETACCEPTEXSOCKADDRS_BYTES, decodeSockAddr, errorName,
  slotSize,
  type AcceptExFn, type CompletionPort, type GetAcceptExSockaddrsFn, type LPCOMPLETION_KEY,
  type LPINT, type LPLPOVERLAPPED, type ServiceProvider, type SockAddr, type WSAEvent, type WSAOVERLAPPED,
} from '../src/index.js';
import { Worker } from 'node:worker_threads';
import { HostNetwork } from '../src/host/index.js';
import { ProviderServer } from '../src/threads/index.js';
import {
  acceptSockets, connectionSockets, makeEchoShared, openConnections, postAccept, setClosing,
  type EchoWorkerData, type EchoWorkerMessage, type EchoWorkerReport, type ListenerKey,
} from './iocp-echo-worker.js';
import {
  SpiError, Stream, check, connectDone, extension, int32, isMain, localName, nameLen, setNonBlocking, startConnect, type Party,
} from './spi-helpers.js';

export type Log = (line: string) => void;

/** kernel32's INFINITE. */
const INFINITE = 0xffffffff;
const WAIT_TIMEOUT = 258;
const ERROR_ABANDONED_WAIT_0 = 735;
/** Names of the Win32 codes a completion port reports for the failures an echo server meets. */
const WIN32_NAMES: Record<number, string> = {
  64: 'ERROR_NETNAME_DELETED', 995: 'ERROR_OPERATION_ABORTED', 1236: 'ERROR_CONNECTION_ABORTED', 1229: 'ERROR_CONNECTION_INVALID',
};
const win32Name = (code: number): string => WIN32_NAMES[code] ?? `error ${code}`;

/** One read's buffer (64 KiB, as libuv's default read size). */
const READ_SIZE = 65536;
/** Echo bytes in flight on one connection beyond which it stops being read. */
const HIGH_WATER = 256 * 1024;
const EMPTY = new Uint8Array(0);
/** A zero-byte receive's WSABUF array (captured at each call, so one serves every call). */
const ZERO_BUFS = [{ len: 0, buf: EMPTY }];

// ---- requests and the completion loop (what a worker thread runs) ---------------------------------

/**
 * One overlapped operation: a WSAOVERLAPPED (the five fields the provider writes) plus what the
 * server needs when it completes, as libuv's requests embed their OVERLAPPED.
 */
export class IoRequest implements WSAOVERLAPPED {
  Internal = 0;
  InternalHigh = 0;
  Offset = 0;
  OffsetHigh = 0;
  hEvent: WSAEvent | null = null;
  /** The accept socket an AcceptEx request accepts into. */
  socket = INVALID_SOCKET;
  constructor(readonly kind: 'accept' | 'read' | 'send', public buf: Uint8Array) {}
}

/** What every completion key is: the object of the handle the packet is about. */
export interface CompletionTarget {
  /** One dequeued packet: `error` is 0 when the operation succeeded, else its Win32 code. */
  complete(req: IoRequest, bytes: number, error: number, worker: number): void;
}

/** What a completion loop needs: the dequeue of kernel32 (in a worker thread, the worker's own). */
export interface CompletionApi {
  GetQueuedCompletionStatusAsync(
    port: CompletionPort, lpNumberOfBytes: LPINT, lpCompletionKey: LPCOMPLETION_KEY, lpOverlapped: LPLPOVERLAPPED,
    dwMilliseconds: number, lpErrno?: LPINT | null,
  ): Promise<number>;
}

/** The completion API of this thread. */
export const kernel32: CompletionApi = { GetQueuedCompletionStatusAsync };

/** The key of the packet PostQueuedCompletionStatus sends to end one loop (with a null OVERLAPPED). */
export const STOP_KEY = 'stop';

/**
 * Handles one dequeue's result. Returns false when the loop should end (its stop packet, or the
 * port closed); throws on anything a correct program never sees.
 */
function dispatchPacket(ok: number, bytes: LPINT, key: LPCOMPLETION_KEY, ov: LPLPOVERLAPPED, err: LPINT, worker: number): boolean {
  if (ov.value === null) {
    if (ok === 1) {
      if (key.value === STOP_KEY) return false;
      throw new Error(`worker ${worker}: a posted packet with key ${String(key.value)}`);
    }
    if (err.value === WAIT_TIMEOUT) return true;
    if (err.value === ERROR_ABANDONED_WAIT_0) return false;
    throw new Error(`worker ${worker}: GetQueuedCompletionStatus failed with ${win32Name(err.value)}`);
  }
  (key.value as CompletionTarget).complete(ov.value as IoRequest, bytes.value, ok === 1 ? 0 : err.value, worker);
  return true;
}

/**
 * A worker: dequeues packets from `port` and hands each to its key's object until it receives
 * the stop packet. `waitMs` bounds each wait (INFINITE on the host network; on the virtual
 * network a short wait lets the other loops and the clients of this thread take their turn).
 * Resolves with the number of completions it handled.
 */
export async function completionLoop(api: CompletionApi, port: CompletionPort, worker: number, waitMs = INFINITE): Promise<number> {
  const bytes = { value: 0 };
  const key: LPCOMPLETION_KEY = { value: null };
  const ov: LPLPOVERLAPPED = { value: null };
  const err = { value: 0 };
  let handled = 0;
  await null; // start after the caller's synchronous set-up (the first wait may run the network)
  for (;;) {
    const ok = await api.GetQueuedCompletionStatusAsync(port, bytes, key, ov, waitMs, err);
    if (ov.value !== null) handled++;
    if (!dispatchPacket(ok, bytes, key, ov, err, worker)) return handled;
  }
}

// ---- the server ---------------------------------------------------------------------------------

export interface IocpEchoOptions {
  /** AcceptEx calls kept posted (default 4). */
  acceptPool?: number;
  /** Completion loops started (default 4; 0: the caller dequeues with {@link IocpEchoServer.serveOne}). */
  workers?: number;
  /** Each loop's wait in GetQueuedCompletionStatus, ms (default INFINITE). */
  waitMs?: number;
  /** WSPListen's backlog (default 64). */
  backlog?: number;
  /** TCP_NODELAY on accepted connections (default true: an echo answers at once). */
  noDelay?: boolean;
  /**
   * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS on accepted sockets (default true, as libuv and .NET set
   * it): an operation that succeeds at once is handled inline and queues no packet.
   */
  skipCompletionPortOnSuccess?: boolean;
  /** The completion API the loops use (default: this thread's). */
  api?: CompletionApi;
  log?: Log;
}

export interface IocpEchoStats {
  accepted: number;
  /** Closed gracefully after the peer's FIN. */
  closed: number;
  /** Closed because the peer reset, or a send or receive failed. */
  failed: number;
  bytes: number;
  /** Completions handled by each worker. */
  perWorker: number[];
}

export interface IocpEchoServer {
  /** The listening address (with the port the network chose for port 0). */
  readonly address: SockAddr;
  readonly port: CompletionPort;
  readonly stats: IocpEchoStats;
  /** Connections open now. */
  readonly open: number;
  /** The workers' loops; each resolves with its number of completions when the server closes. */
  readonly workers: Promise<number>[];
  /** One synchronous dequeue and its handling (for a caller with `workers: 0`); false after a time-out. */
  serveOne(waitMs: number): boolean;
  /** Stops the workers, closes the listener (its AcceptEx calls abort), every connection and the port. */
  close(): Promise<void>;
}

/** Starts the echo server on `p` at `at`: listener, port, AcceptEx pool and worker loops. */
export function startIocpEchoServer(p: ServiceProvider, at: SockAddr, opts: IocpEchoOptions = {}): IocpEchoServer {
  const log = opts.log ?? (() => {});
  const workers = opts.workers ?? 4;
  const noDelay = opts.noDelay ?? true;
  const skipOnSuccess = opts.skipCompletionPortOnSuccess ?? true;
  const stats: IocpEchoStats = { accepted: 0, closed: 0, failed: 0, bytes: 0, perWorker: Array.from({ length: workers }, () => 0) };
  const conns = new Set<Connection>();
  let closing = false;

  const portErr = { value: 0 };
  const port = p.CreateIoCompletionPort(INVALID_HANDLE_VALUE, null, 0, 0, portErr);
  if (port === null) throw new Error(`CreateIoCompletionPort failed: ${win32Name(portErr.value)}`);
  const associate = (s: number, key: CompletionTarget): void => {
    const e = { value: 0 };
    if (p.CreateIoCompletionPort(s, port, key, 0, e) === null) throw new Error(`CreateIoCompletionPort(0x${s.toString(16)}) failed: ${win32Name(e.value)}`);
  };

  const ls = check('WSPSocket', (e) => p.WSPSocket(at.family, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
  check(`WSPBind(${at.address}:${at.port})`, (e) => p.WSPBind(ls, at, nameLen(at), e));
  check('WSPListen', (e) => p.WSPListen(ls, opts.backlog ?? 64, e));
  const address = localName(p, ls);
  const acceptEx = extension<AcceptExFn>(p, ls, WSAID_ACCEPTEX_BYTES, 'WSAID_ACCEPTEX');
  const getSockaddrs = extension<GetAcceptExSockaddrsFn>(p, ls, WSAID_GETACCEPTEXSOCKADDRS_BYTES, 'WSAID_GETACCEPTEXSOCKADDRS');
  const slot = slotSize(at.family);

  /** A connection: the completion key of its socket. */
  class Connection implements CompletionTarget {
    private readonly zeroRead = new IoRequest('read', EMPTY);
    private readonly flags = { value: 0 };
    private readonly got = { value: 0 };
    /** The read buffer; handed to a send that pends (which owns it until it completes) and replaced. */
    private chunk = new Uint8Array(READ_SIZE);
    private readonly readBufs = [{ len: READ_SIZE, buf: this.chunk }];
    /** The send's WSABUF (C builds it on the stack per call; the provider captures it at the call). */
    private readonly sendBufs = [{ len: 0, buf: this.chunk }];
    /** lpErrno of this connection's calls (C's per-call local). */
    private readonly err = { value: 0 };
    /** A send request ready for the next send: one that completed at once is used again. */
    private spare: IoRequest | null = null;
    /** A zero-byte receive is posted. */
    private reading = false;
    /** Bytes of sends that pend. */
    private inFlight = 0;
    private sends = 0;
    private eof = false;
    closed = false;
    bytes = 0;

    constructor(readonly s: number, readonly peer: string) {}

    /**
     * Posts the zero-byte receive: its completion says data (or the FIN) is there. With
     * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS a receive that completes at once queues no packet, so
     * the data is read here and the receive posted again, as libuv does.
     */
    wantRead(): void {
      while (!this.reading && !this.closed && !this.eof && this.inFlight < HIGH_WATER) {
        this.flags.value = 0;
        const e = this.err;
        const r = p.WSPRecv(this.s, ZERO_BUFS, 1, null, this.flags, this.zeroRead, null, null, e);
        if (r !== 0 && e.value !== WSA_IO_PENDING) return this.fail(`WSPRecv: ${errorName(e.value) ?? e.value}`);
        // Pending, or done at once with its packet on the way: the completion takes it from here.
        if (r !== 0 || !skipOnSuccess) {
          this.reading = true;
          return;
        }
        if (!this.readAll()) return;
      }
    }

    complete(req: IoRequest, bytes: number, error: number): void {
      if (req.kind === 'read') this.reading = false;
      else {
        this.sends--;
        this.inFlight -= req.buf.length;
        req.buf = EMPTY;
        this.spare = req;
      }
      if (this.closed) return; // an operation the close aborted
      if (error !== 0) return this.fail(`${req.kind === 'read' ? 'receive' : 'send'} failed with ${win32Name(error)}`);
      if (req.kind === 'read') {
        if (this.readAll()) this.wantRead();
      } else if (this.eof && this.sends === 0) this.finish();
      else this.wantRead();
    }

    /**
     * Non-blocking reads of what is there; each chunk goes back in an overlapped send. True when
     * the zero-byte receive should be posted again; false at the FIN, a failure, or flow control
     * (the sends' completions resume reading).
     */
    private readAll(): boolean {
      for (;;) {
        const e = this.err;
        this.flags.value = 0;
        if (p.WSPRecv(this.s, this.readBufs, 1, this.got, this.flags, null, null, null, e) === SOCKET_ERROR) {
          if (e.value === WSAEWOULDBLOCK) return true;
          this.fail(`WSPRecv: ${errorName(e.value) ?? e.value}`);
          return false;
        }
        const n = this.got.value;
        if (n === 0) {
          this.eof = true;
          if (this.sends === 0) this.finish();
          return false;
        }
        this.bytes += n;
        stats.bytes += n;
        if (!this.send(n)) return false;
        if (this.inFlight >= HIGH_WATER) return false;
        // A short read took all there was: the zero-byte receive learns of more (one call fewer).
        if (n < READ_SIZE) return true;
      }
    }

    /** Sends the first `n` bytes of the read buffer (overlapped). False when the connection failed. */
    private send(n: number): boolean {
      const req = this.spare ?? new IoRequest('send', EMPTY);
      this.spare = null;
      const e = this.err;
      const bufs = this.sendBufs;
      bufs[0]!.len = n;
      bufs[0]!.buf = this.chunk;
      const r = p.WSPSend(this.s, bufs, 1, null, 0, req, null, null, e);
      if (r !== 0 && e.value !== WSA_IO_PENDING) {
        this.spare = req;
        this.fail(`WSPSend: ${errorName(e.value) ?? e.value}`);
        return false;
      }
      if (r === 0 && skipOnSuccess) {
        this.spare = req; // done, the bytes taken; no packet comes
        return true;
      }
      // The send owns the buffer until its completion: read into a new one.
      req.buf = this.chunk.subarray(0, n);
      this.chunk = new Uint8Array(READ_SIZE);
      this.readBufs[0]!.buf = this.chunk;
      this.sends++;
      this.inFlight += n;
      return true;
    }

    /** The peer sent its FIN and every echo was taken: FIN back, then close. */
    private finish(): void {
      p.WSPShutdown(this.s, SD_SEND, { value: 0 });
      this.close();
      stats.closed++;
      log(`server  ${this.peer} closed: echoed ${this.bytes} bytes, shut down and closed (${conns.size} open)`);
    }

    fail(why: string): void {
      this.close();
      stats.failed++;
      log(`server  ${this.peer} ${why}: closed after echoing ${this.bytes} bytes (${conns.size} open)`);
    }

    close(): void {
      if (this.closed) return;
      this.closed = true;
      conns.delete(this);
      // Pending operations complete with ERROR_CONNECTION_ABORTED; complete() ignores them.
      p.WSPCloseSocket(this.s, { value: 0 });
    }
  }

  /** The listener's key: completes AcceptEx requests and re-posts them. */
  const acceptor: CompletionTarget = {
    complete(req, _bytes, error) {
      const a = req.socket;
      req.socket = INVALID_SOCKET;
      if (closing) {
        p.WSPCloseSocket(a, { value: 0 });
        return;
      }
      if (error !== 0) {
        p.WSPCloseSocket(a, { value: 0 });
        postAccept(req);
        log(`server  an AcceptEx failed with ${win32Name(error)}; posted again`);
        return;
      }
      const remote: { value: Uint8Array | null } = { value: null };
      getSockaddrs(req.buf, 0, slot, slot, null, null, remote, { value: 0 });
      const peerAddr = remote.value === null ? undefined : decodeSockAddr(remote.value);
      const peer = peerAddr === undefined ? '?' : `${peerAddr.address}:${peerAddr.port}`;
      // Re-post only now: the buffer holds this connection's addresses until they are read.
      postAccept(req);
      const c = new Connection(a, peer);
      conns.add(c);
      stats.accepted++;
      try {
        // Until SO_UPDATE_ACCEPT_CONTEXT the accept socket does not know its names (docs/overlapped.md).
        check('WSPSetSockOpt(SO_UPDATE_ACCEPT_CONTEXT)', (e) => p.WSPSetSockOpt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, int32(ls), 4, e));
        associate(a, c);
        if (skipOnSuccess) {
          const e = { value: 0 };
          if (p.SetFileCompletionNotificationModes(a, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, e) === 0) {
            throw new Error(`SetFileCompletionNotificationModes failed: ${win32Name(e.value)}`);
          }
        }
        setNonBlocking(p, a);
      } catch (err) {
        // One connection's set-up failing ends that connection, not the server.
        return c.fail(`could not be set up (${err instanceof Error ? err.message : String(err)})`);
      }
      if (noDelay) p.WSPSetSockOpt(a, IPPROTO_TCP, TCP_NODELAY, int32(1), 4, { value: 0 });
      log(`server  AcceptEx took ${peer} (socket 0x${a.toString(16)}, ${conns.size} open)`);
      c.wantRead();
    },
  };

  function postAccept(req: IoRequest): void {
    const a = check('WSPSocket', (e) => p.WSPSocket(at.family, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
    req.socket = a;
    const e = { value: 0 };
    // Always FALSE + WSA_IO_PENDING on success, even when a queued connection is taken at once.
    if (acceptEx(ls, a, req.buf, 0, slot, slot, { value: 0 }, req, e) === 0 && e.value !== WSA_IO_PENDING) {
      p.WSPCloseSocket(a, { value: 0 });
      req.socket = INVALID_SOCKET;
      throw new SpiError('AcceptEx', e.value);
    }
  }

  associate(ls, acceptor);
  const pool = opts.acceptPool ?? 4;
  for (let i = 0; i < pool; i++) postAccept(new IoRequest('accept', new Uint8Array(2 * slot)));
  log(`server  listening on ${address.address}:${address.port}: ${pool} AcceptEx calls posted, ${workers} workers on one completion port`);

  const api = opts.api ?? kernel32;
  const loops = Array.from({ length: workers }, (_, i) => completionLoop(api, port, i, opts.waitMs ?? INFINITE).then((n) => {
    stats.perWorker[i] = n;
    return n;
  }));

  const sync = { bytes: { value: 0 }, key: { value: null } as LPCOMPLETION_KEY, ov: { value: null } as LPLPOVERLAPPED, err: { value: 0 } };
  return {
    address, port, stats, workers: loops,
    get open() {
      return conns.size;
    },
    serveOne(waitMs) {
      const { bytes, key, ov, err } = sync;
      const ok = GetQueuedCompletionStatus(port, bytes, key, ov, waitMs, err);
      const had = ov.value !== null;
      dispatchPacket(ok, bytes, key, ov, err, -1);
      return had;
    },
    async close() {
      closing = true;
      // Closing the listener completes its AcceptEx calls (ERROR_OPERATION_ABORTED); the
      // acceptor closes their sockets as the packets come.
      p.WSPCloseSocket(ls, { value: 0 });
      for (const c of [...conns]) c.close();
      for (let i = 0; i < workers; i++) PostQueuedCompletionStatus(port, 0, STOP_KEY, null);
      await Promise.all(loops);
      if (workers === 0) while (this.serveOne(0));
      CloseHandle(port);
      log(`server  closed; completions per worker: ${stats.perWorker.join(', ')}`);
    },
  };
}

// ---- clients for the virtual network (non-blocking step functions, as in echo.ts) ---------------

export interface EchoClientResult {
  name: string;
  sent: number;
  echoed: number;
  /** 'echo' clients: every byte came back, in order; the others: they did what they meant to. */
  ok: boolean;
}

/**
 * A client: connects, sends `payload`, then
 * - `'echo'`: reads the echo back, checks it byte for byte and closes gracefully;
 * - `'reset'`: closes at once with SO_LINGER {1, 0} (an RST; the server's receive fails);
 * - `'early'`: closes gracefully without reading the echo (the server's echo meets a closed socket).
 */
export function echoClient(p: ServiceProvider, name: string, server: SockAddr, payload: Uint8Array, mode: 'echo' | 'reset' | 'early' = 'echo', log: Log = () => {}): Party & { result: EchoClientResult } {
  const result: EchoClientResult = { name, sent: payload.length, echoed: 0, ok: false };
  const s = startConnect(p, server);
  const stream = new Stream(p, s);
  const echo = new Uint8Array(payload.length);
  let phase: 'connecting' | 'echoing' | 'done' = 'connecting';
  const done = (ok: boolean, line: string): boolean => {
    result.ok = ok;
    phase = 'done';
    log(`${name} ${line}`);
    return true;
  };
  return {
    result,
    step() {
      if (phase === 'done') return true;
      if (phase === 'connecting') {
        if (!connectDone(p, s, name)) return false;
        phase = 'echoing';
        stream.write(payload);
        if (mode === 'reset') {
          check('WSPSetSockOpt(SO_LINGER {1, 0})', (e) => p.WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, new Uint8Array([1, 0, 0, 0]), 4, e));
          stream.close();
          return done(true, `sent ${payload.length} bytes and reset the connection (SO_LINGER 0, WSPCloseSocket)`);
        }
      }
      stream.flush();
      if (mode === 'early' && stream.pending === 0) {
        stream.close();
        return done(true, `sent ${payload.length} bytes and closed without reading the echo`);
      }
      for (;;) {
        const r = stream.read();
        if (r === 'wait') return false;
        if (r === 'eof' || r === 'reset') {
          stream.close();
          return done(false, `the server ${r === 'eof' ? 'closed' : 'reset'} after ${result.echoed} of ${payload.length} bytes: FAILED`);
        }
        if (result.echoed + r.length > payload.length) return done(false, `${result.echoed + r.length - payload.length} bytes too many: FAILED`);
        echo.set(r, result.echoed);
        result.echoed += r.length;
        if (result.echoed < payload.length) continue;
        stream.close(); // graceful: FIN, the server reads 0
        const same = Buffer.compare(echo, payload) === 0;
        return done(same, `${payload.length} bytes echoed, ${same ? 'byte for byte' : 'DIFFERENT'}; closed`);
      }
    },
  };
}

/** `n` bytes of a simple pseudo-random sequence (the same every run). */
export function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export interface IocpEchoSummary {
  clients: EchoClientResult[];
  server: IocpEchoStats;
  ok: boolean;
}

/**
 * The server and `clients` on one virtual network, on this thread: the workers' loops and a
 * driver that steps the clients take turns (every GetQueuedCompletionStatusAsync of the virtual
 * network resolves at once, after running the simulation for up to `waitMs` of virtual time).
 */
export async function runVirtual(
  serverProvider: ServiceProvider, at: SockAddr, makeClients: (server: SockAddr) => (Party & { result: EchoClientResult })[],
  opts: IocpEchoOptions = {}, maxRounds = 200_000,
): Promise<IocpEchoSummary> {
  const server = startIocpEchoServer(serverProvider, at, { waitMs: 1, ...opts });
  try {
    const clients = makeClients(server.address);
    const open = new Set(clients);
    for (let round = 0; open.size > 0; round++) {
      if (round === maxRounds) throw new Error(`no progress after ${maxRounds} rounds (${open.size} clients unfinished)`);
      for (const c of [...open]) if (c.step()) open.delete(c);
      await null; // the workers' turn
    }
    // Let the server see the last FINs and resets.
    for (let i = 0; i < 1000 && server.open > 0; i++) await null;
    const results = clients.map((c) => c.result);
    return { clients: results, server: server.stats, ok: results.every((r) => r.ok) };
  } finally {
    await server.close();
  }
}

// ---- worker threads (--threads N) ---------------------------------------------------------------

export interface IocpEchoThreadsOptions {
  /** Worker threads calling GetQueuedCompletionStatus on the one port (default 4). */
  threads?: number;
  /** AcceptEx calls kept posted (default 4). */
  acceptPool?: number;
  /** WSPListen's backlog (default 64). */
  backlog?: number;
  /** TCP_NODELAY on accepted connections (default true). */
  noDelay?: boolean;
  /** FILE_SKIP_COMPLETION_PORT_ON_SUCCESS on accepted sockets (default true). */
  skipCompletionPortOnSuccess?: boolean;
  /** Connections open at once at most (rows of the shared table; default 1024). */
  maxConnections?: number;
  log?: Log;
}

export interface IocpEchoThreadsStats extends IocpEchoStats {
  /** Packets a thread dequeued of operations another thread started (handled by key and shared memory). */
  foreign: number;
}

export interface IocpEchoThreadsServer {
  readonly address: SockAddr;
  /** The ProviderServer that serves the threads' calls on this (the owner's) thread. */
  readonly owner: ProviderServer;
  readonly threads: number;
  /** Connections open now. */
  readonly open: number;
  /** Totals and completions per thread: filled in when {@link close} has ended the threads. */
  readonly stats: IocpEchoThreadsStats;
  /** The first thread that failed, and why (undefined: none). */
  readonly failure: string | undefined;
  /** Closes the listener, stops the threads (a stop packet each), closes what is left and the port. */
  close(): Promise<void>;
}

/**
 * The echo server with its completion loops in `threads` worker threads
 * (examples/iocp-echo-worker.ts): this thread owns the network, the listener, the port and the
 * first AcceptEx calls, and serves the threads' calls ({@link ProviderServer}); each thread gets
 * the port as a PortRef and runs the blocking GetQueuedCompletionStatus.
 */
export function startIocpEchoThreads(p: ServiceProvider, at: SockAddr, opts: IocpEchoThreadsOptions = {}): IocpEchoThreadsServer {
  const log = opts.log ?? (() => {});
  const threads = opts.threads ?? 4;
  const pool = opts.acceptPool ?? 4;
  const skipOnSuccess = opts.skipCompletionPortOnSuccess ?? true;
  const stats: IocpEchoThreadsStats = { accepted: 0, closed: 0, failed: 0, bytes: 0, foreign: 0, perWorker: Array.from({ length: threads }, () => 0) };
  // Twice the pool: a failed AcceptEx cannot be told apart from the others, a spare entry replaces it.
  const sh = makeEchoShared(at.family, 2 * pool, opts.maxConnections ?? 1024);

  const portErr = { value: 0 };
  const port = p.CreateIoCompletionPort(INVALID_HANDLE_VALUE, null, 0, 0, portErr);
  if (port === null) throw new Error(`CreateIoCompletionPort failed: ${win32Name(portErr.value)}`);
  const ls = check('WSPSocket', (e) => p.WSPSocket(at.family, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
  check(`WSPBind(${at.address}:${at.port})`, (e) => p.WSPBind(ls, at, nameLen(at), e));
  check('WSPListen', (e) => p.WSPListen(ls, opts.backlog ?? 64, e));
  const address = localName(p, ls);
  // Keys cross to the threads by structured clone: plain data.
  const listenerKey: ListenerKey = { listener: ls };
  if (p.CreateIoCompletionPort(ls, port, listenerKey, 0, portErr) === null) throw new Error(`CreateIoCompletionPort(listener) failed: ${win32Name(portErr.value)}`);
  const acceptEx = extension<AcceptExFn>(p, ls, WSAID_ACCEPTEX_BYTES, 'WSAID_ACCEPTEX');
  for (let i = 0; i < pool; i++) postAccept(p, acceptEx, sh, ls, at.family, i);

  const owner = new ProviderServer(p);
  const portRef = owner.portRef(port);
  let failure: string | undefined;
  const ended = Array.from({ length: threads }, (_, index) => {
    const channel = owner.open();
    const data: EchoWorkerData = {
      kind: 'iocp-echo-worker', index, channel, port: portRef, listener: ls, family: at.family, shared: sh,
      noDelay: opts.noDelay ?? true, skipCompletionPortOnSuccess: skipOnSuccess, log: opts.log !== undefined,
    };
    const worker = new Worker(new URL('./iocp-echo-worker.js', import.meta.url), { workerData: data, transferList: [channel.port] });
    let report: EchoWorkerReport | undefined;
    return new Promise<EchoWorkerReport>((resolve) => {
      worker.on('message', (m: EchoWorkerMessage) => {
        if ('log' in m) log(m.log);
        else if ('report' in m) {
          report = m.report;
          if (report.error !== undefined) failure ??= `thread ${index}: ${report.error}`;
        }
      });
      worker.on('error', (err) => {
        failure ??= `thread ${index}: ${err instanceof Error ? err.message : String(err)}`;
      });
      worker.on('exit', () => resolve(report ?? { worker: index, handled: 0, foreign: 0, accepted: 0, closed: 0, failed: 0, bytes: 0, error: 'no report' }));
    });
  });
  log(`server  listening on ${address.address}:${address.port}: ${pool} AcceptEx calls posted, ${threads} worker threads on one completion port`);

  let closed: Promise<void> | undefined;
  return {
    address, owner, threads, stats,
    get open() {
      return openConnections(sh);
    },
    get failure() {
      return failure;
    },
    close() {
      closed ??= (async () => {
        setClosing(sh);
        // The listener's AcceptEx calls end with ERROR_OPERATION_ABORTED; the threads skip those packets.
        p.WSPCloseSocket(ls, { value: 0 });
        for (let i = 0; i < threads; i++) PostQueuedCompletionStatus(port, 0, STOP_KEY, null);
        const reports = await Promise.all(ended);
        // A thread's sockets close with its channel; what the owner made, or nobody took, closes here.
        for (const s of [...acceptSockets(sh), ...connectionSockets(sh)]) p.WSPCloseSocket(s, { value: 0 });
        CloseHandle(port);
        owner.close();
        for (const r of reports) {
          stats.perWorker[r.worker] = r.handled;
          stats.foreign += r.foreign;
          stats.accepted += r.accepted;
          stats.closed += r.closed;
          stats.failed += r.failed;
          stats.bytes += r.bytes;
        }
        log(`server  closed; completions per worker thread: ${stats.perWorker.join(', ')} (${stats.foreign} of them of operations another thread started)`);
      })();
      return closed;
    },
  };
}

/**
 * The server's threads and `clients` on one virtual network: the clients take non-blocking
 * steps on this thread, which also serves the threads' calls; when every thread waits in
 * GetQueuedCompletionStatus, virtual time moves on by 1 ms. Ends when every client is done and
 * the server has closed every connection. Not deterministic: the threads really run at once.
 */
export async function runVirtualThreads(
  net: VirtualNetwork, serverProvider: ServiceProvider, at: SockAddr, makeClients: (server: SockAddr) => (Party & { result: EchoClientResult })[],
  opts: IocpEchoThreadsOptions = {}, maxRounds = 5_000_000,
): Promise<IocpEchoSummary & { server: IocpEchoThreadsStats }> {
  const server = startIocpEchoThreads(serverProvider, at, opts);
  // The clients on this thread count as one more thread, one that never waits in a call: without
  // it, the owner would let the network run whenever the server's threads all wait, ahead of
  // clients that have not yet read what came (virtual seconds of zero-window probes).
  const clientsTurn = server.owner.open();
  try {
    const clients = makeClients(server.address);
    const open = new Set(clients);
    for (let round = 0; open.size > 0 || server.open > 0; round++) {
      if (server.failure !== undefined) throw new Error(server.failure);
      if (round === maxRounds) throw new Error(`no progress after ${maxRounds} rounds (${open.size} clients unfinished, ${server.open} connections open)`);
      for (const c of [...open]) if (c.step()) open.delete(c);
      if (server.owner.waiting() === server.threads) net.advance(1);
      await new Promise<void>((resolve) => setImmediate(resolve)); // the threads' calls are served in this thread's event loop
    }
    const results = clients.map((c) => c.result);
    return { clients: results, server: server.stats, ok: results.every((r) => r.ok) };
  } finally {
    clientsTurn.port.close();
    await server.close();
    if (server.failure !== undefined) throw new Error(server.failure);
  }
}

// ---- main -----------------------------------------------------------------------------------------

const USAGE = 'usage: node build/run/examples/iocp-echo.js [--host [--port N]] [--workers N | --threads N] [--accepts N]';

function parseArgs(argv: string[]): { host: boolean; port: number; workers: number; threads: number; accepts: number } | string {
  const o = { host: false, port: 0, workers: 4, threads: 0, accepts: 4 };
  let workersGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--host') o.host = true;
    else if (a === '--port' || a === '--workers' || a === '--accepts' || a === '--threads') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < (a === '--port' ? 0 : 1) || v > (a === '--threads' ? 64 : 65535)) return `iocp-echo: ${a} needs a number`;
      if (a === '--port') o.port = v;
      else if (a === '--workers') (o.workers = v), (workersGiven = true);
      else if (a === '--threads') o.threads = v;
      else o.accepts = v;
    } else return a === '--help' || a === '-h' ? USAGE : `iocp-echo: unknown option ${JSON.stringify(a)} (${USAGE})`;
  }
  if (o.port !== 0 && !o.host) return 'iocp-echo: --port needs --host';
  if (workersGiven && o.threads !== 0) return 'iocp-echo: --workers (loops on this thread) and --threads (worker threads) exclude each other';
  return o;
}

async function serveOnHost(port: number, workers: number, threads: number, accepts: number): Promise<number> {
  const host = new HostNetwork();
  let server: Pick<IocpEchoServer, 'address' | 'close'> & { failure?: string | undefined };
  try {
    const at: SockAddr = { family: AF_INET, address: '127.0.0.1', port };
    const log: Log = (l) => console.log(l);
    server = threads > 0
      ? startIocpEchoThreads(host.provider, at, { threads, acceptPool: accepts, log })
      : startIocpEchoServer(host.provider, at, { workers, acceptPool: accepts, log });
  } catch (err) {
    console.error(`iocp-echo: ${err instanceof Error ? err.message : String(err)}`);
    await host.close();
    return 1;
  }
  console.log(`listening on 127.0.0.1:${server.address.port}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await host.close();
  if (server.failure === undefined) return 0;
  console.error(`iocp-echo: ${server.failure}`);
  return 1;
}

async function demoOnVirtual(workers: number, threads: number, accepts: number): Promise<number> {
  const net = new VirtualNetwork({ seed: 7 });
  const serverHost = net.addHost({ name: 'server', addresses: ['10.0.0.1'] });
  const clientHost = net.addHost({ name: 'clients', addresses: ['10.0.0.2'] });
  const log: Log = (line) => console.log(`[${net.now().toFixed(3).padStart(9)} ms] ${line}`);
  console.log(`winsock-spi IOCP echo example: AcceptEx pool of ${accepts}, ` +
    `${threads > 0 ? `${threads} worker threads` : `${workers} completion loops`}, one port, virtual network.`);
  const at: SockAddr = { family: AF_INET, address: '10.0.0.1', port: 7 };
  const makeClients = (server: SockAddr) => {
    const c = clientHost.provider;
    return [
      echoClient(c, 'client1', server, new TextEncoder().encode('hello over a completion port'), 'echo', log),
      echoClient(c, 'client2', server, pattern(1 << 20, 2), 'echo', log),
      echoClient(c, 'client3', server, pattern(3000, 3), 'echo', log),
      echoClient(c, 'client4', server, pattern(5000, 4), 'reset', log),
      echoClient(c, 'client5', server, pattern(200_000, 5), 'early', log),
      echoClient(c, 'client6', server, new TextEncoder().encode('bye'), 'echo', log),
    ];
  };
  const summary = threads > 0
    ? await runVirtualThreads(net, serverHost.provider, at, makeClients, { threads, acceptPool: accepts, log })
    : await runVirtual(serverHost.provider, at, makeClients, { workers, acceptPool: accepts, log });
  const s = summary.server;
  console.log(`summary: ${s.accepted} connections accepted by AcceptEx, ${s.bytes} bytes echoed, ${s.closed} closed gracefully, ` +
    `${s.failed} ended by the peer's reset or close; completions per worker: ${s.perWorker.join(', ')}; ` +
    `${summary.ok ? 'all clients ok' : 'FAILED'} (virtual time ${net.now().toFixed(3)} ms)`);
  return summary.ok ? 0 : 1;
}

if (isMain(import.meta.url)) {
  const o = parseArgs(process.argv.slice(2));
  if (typeof o === 'string') {
    (o === USAGE ? console.log : console.error)(o);
    process.exitCode = o === USAGE ? 0 : 2;
  } else {
    (o.host ? serveOnHost(o.port, o.workers, o.threads, o.accepts) : demoOnVirtual(o.workers, o.threads, o.accepts)).then((code) => {
      process.exitCode = code;
    }, (err: unknown) => {
      console.error(err instanceof SpiError ? `iocp-echo: ${err.message}` : err);
      process.exitCode = 1;
    });
  }
}
