/**
 * The overlapped-I/O engine: the receives and sends a socket has pending, completed in posting
 * order as data, buffer space, the peer's close or reset, or the socket's own close arrive. It
 * knows nothing of the caller's objects: each operation carries a `finish` callback (the SPI
 * layer writes the WSAOVERLAPPED, signals the event or queues the completion routine).
 *
 * The transfers themselves are the data path's (`data.ts`), run with the socket made
 * non-blocking for the call, so the rules are the ones synchronous calls follow (scatter and
 * gather, urgent data, FD_READ and FD_WRITE re-enabling, the budget, datagram truncation).
 *
 * Pending operations are kept per socket in a map that exists only once some socket of the
 * provider used overlapped I/O, and an entry only while a socket has something pending: an idle
 * socket pays nothing.
 */
import { MSG_PEEK, MSG_PUSH_IMMEDIATE, MSG_WAITALL, SOCK_STREAM, STATUS_BUFFER_OVERFLOW, STATUS_CANCELLED, STATUS_CONNECTION_ABORTED, STATUS_SUCCESS, WSAEINPROGRESS, WSAENETDOWN, WSAENOBUFS, WSAESHUTDOWN, WSAEWOULDBLOCK } from './constants.js';
import * as data from './data.js';
import { errorToStatus } from './overlapped-status.js';
import type { ProviderCore } from './provider.js';
import type { Endpoint, Socket } from './socket.js';

/** How an operation ended: what its WSAOVERLAPPED and completion indication carry. */
export interface Completion {
  /** NTSTATUS: STATUS_SUCCESS, STATUS_BUFFER_OVERFLOW (truncated datagram) or a failure. */
  readonly status: number;
  /** Bytes transferred (InternalHigh, cbTransferred). */
  readonly count: number;
  /** The receive's flags on return (lpFlags, dwFlags); 0 for sends. */
  readonly flags: number;
  /** A datagram's sender (WSPRecvFrom's lpFrom), else null. */
  readonly from: Endpoint | null;
}

/** One overlapped receive or send, as the SPI layer hands it over. */
export interface OverlappedOp {
  readonly direction: 'recv' | 'send';
  /** The caller's buffers, captured at the call (views of the caller's memory). */
  readonly buffers: readonly Uint8Array[];
  /** dwFlags (send) or *lpFlags (receive) at the call. */
  readonly flags: number;
  /** WSPSendTo: the destination (null: the connected peer) — `viaSendTo` picks its error for none. */
  readonly to: Endpoint | null;
  readonly viaSendTo: boolean;
  /** The caller's WSAOVERLAPPED, by identity: what CancelIoEx names an operation by. */
  readonly overlapped?: object;
  /** Called once, when the operation completes later (never for one that completes at once). */
  readonly finish: (c: Completion) => void;
}

/** What starting an operation did: completed at once, pends, or failed at once (a negated code). */
export type StartResult = Completion | 'pending' | number;

/** An operation in the engine's hands. Mutable: the engine's scratch record is reused for every start. */
class Pending {
  constructor(
    public op: OverlappedOp,
    /** Bytes moved so far: a send the budget cut short, a MSG_WAITALL receive filling up. */
    public done: number,
    public size: number,
  ) {}
}

interface Queues {
  recv: Pending[];
  send: Pending[];
}

const ENGINES = new WeakMap<ProviderCore, OverlappedEngine>();

function total(bufs: readonly Uint8Array[]): number {
  let n = 0;
  for (const b of bufs) n += b.length;
  return n;
}

/** Codes that mean "not now": the operation stays pending and is tried at the next change. */
function notNow(code: number): boolean {
  return code === WSAEWOULDBLOCK || code === WSAEINPROGRESS || code === WSAENETDOWN;
}

/** Flags a pending stream receive may carry and still be known to wait when nothing is readable. */
const PLAIN_RECV_FLAGS = MSG_PEEK | MSG_WAITALL | MSG_PUSH_IMMEDIATE;

export class OverlappedEngine {
  private readonly queues = new Map<Socket, Queues>();
  /**
   * Sockets being worked on (innermost last; rarely more than one: a transfer on one socket can
   * change another, its peer on the same host), and whether each changed meanwhile (its work is
   * then redone). Two arrays rather than a map: progress runs at every change of a socket with
   * something pending, an ACK included.
   */
  private readonly busy: Socket[] = [];
  private readonly changedWhileBusy: boolean[] = [];
  /** The record {@link start} tries an operation with; a new one is made only for one that pends. */
  private readonly scratch = new Pending(null as unknown as OverlappedOp, 0, 0);
  private scratchInUse = false;
  /** Emptied per-socket entries, for reuse (no allocation per pending operation of a busy server). */
  private readonly spareQueues: Queues[] = [];

  /** The engine of a provider core, made (and hooked in) at its first overlapped operation. */
  static of(core: ProviderCore): OverlappedEngine {
    let engine = ENGINES.get(core);
    if (engine === undefined) {
      engine = new OverlappedEngine(core);
      ENGINES.set(core, engine);
    }
    return engine;
  }

  /** The engine if one was made: calls that only ask (is anything pending?) make none. */
  static existing(core: ProviderCore): OverlappedEngine | undefined {
    return ENGINES.get(core);
  }

  private constructor(private readonly core: ProviderCore) {
    // Pending operations see a change before readiness does: data that completes a pending
    // receive raises no FD_READ (Wine's test_read_events). See docs/overlapped.md, "Hooks".
    core.beforeChange.add((sock) => {
      if (this.queues.size === 0) return;
      const q = this.queues.get(sock);
      if (q === undefined) return;
      // Only receives pend, and the first could take nothing now (the change was an
      // acknowledgment of this socket's sends, say): nothing to do. A change made while a send of
      // the socket is being tried has that send still queued, so it is never skipped here.
      if (q.send.length === 0 && q.recv.length !== 0 && nothingToReceive(sock, q.recv[0]!.op.flags)) return;
      this.progress(sock);
    });
  }

  /** Operations of `direction` pending on `sock`. */
  pendingCount(sock: Socket, direction: 'recv' | 'send'): number {
    return this.queues.get(sock)?.[direction].length ?? 0;
  }

  /**
   * Starts an operation: one that can complete at once does (its Completion is returned and
   * `finish` is not called); one behind others of its direction, or that has to wait, is queued
   * ('pending'); one that fails at once changes nothing and is forgotten (a negated code).
   */
  start(sock: Socket, op: OverlappedOp): StartResult {
    const size = total(op.buffers);
    const q = this.queues.size === 0 ? undefined : this.queues.get(sock);
    if (q !== undefined && q[op.direction].length > 0) {
      q[op.direction].push(new Pending(op, 0, size));
      return 'pending';
    }
    // Most operations complete at once: try with the scratch record (a start nested in this one,
    // from a change it makes, gets its own).
    const nested = this.scratchInUse;
    const p = nested ? new Pending(op, 0, size) : this.scratch;
    p.op = op;
    p.done = 0;
    p.size = size;
    this.scratchInUse = true;
    let r: Completion | 'wait' | number;
    try {
      r = this.attempt(sock, p, true);
    } finally {
      if (!nested) {
        this.scratchInUse = false;
        this.scratch.op = null as unknown as OverlappedOp; // hold no caller's buffers
      }
    }
    if (r === 'wait') {
      this.enqueue(sock, nested ? p : new Pending(op, p.done, size));
      return 'pending';
    }
    return r;
  }

  /**
   * Cancels the pending operations of `sock` started with `overlapped` (null: all of them): each
   * completes now with STATUS_CANCELLED and the bytes it had moved, and the next one in line may
   * go. Returns how many were cancelled (CancelIoEx's ERROR_NOT_FOUND is 0).
   */
  cancel(sock: Socket, overlapped: object | null): number {
    const q = this.queues.get(sock);
    if (q === undefined) return 0;
    const hit: Pending[] = [];
    for (const direction of ['recv', 'send'] as const) {
      const list = q[direction];
      // In place: a drain under way holds this very array.
      for (let i = 0; i < list.length;) {
        if (overlapped === null || list[i]!.op.overlapped === overlapped) hit.push(...list.splice(i, 1));
        else i++;
      }
    }
    if (q.recv.length === 0 && q.send.length === 0) this.queues.delete(sock);
    for (const p of hit) p.op.finish({ status: STATUS_CANCELLED, count: p.done, flags: 0, from: null });
    if (hit.length > 0 && this.queues.has(sock)) this.progress(sock);
    return hit.length;
  }

  private enqueue(sock: Socket, p: Pending): void {
    let q = this.queues.get(sock);
    if (q === undefined) {
      q = this.spareQueues.pop() ?? { recv: [], send: [] };
      this.queues.set(sock, q);
    }
    q[p.op.direction].push(p);
  }

  /**
   * Completes what the socket's state now allows, each direction in posting order. A closed
   * socket completes everything with STATUS_CONNECTION_ABORTED (Wine's
   * iocp_async_read_closesocket: not STATUS_CANCELLED).
   */
  private progress(sock: Socket): void {
    const busy = this.busy;
    const at = busy.length === 0 ? -1 : busy.lastIndexOf(sock);
    if (at >= 0) {
      this.changedWhileBusy[at] = true; // a change made by our own transfer: go round again afterwards
      return;
    }
    const mine = busy.length;
    busy.push(sock);
    this.changedWhileBusy.push(false);
    try {
      for (let rounds = 0; rounds < 64; rounds++) {
        this.drain(sock);
        if (!this.changedWhileBusy[mine]) break;
        this.changedWhileBusy[mine] = false;
      }
    } finally {
      // pop(), not `length =`: setting an array's length is a call into the runtime.
      while (busy.length > mine) {
        busy.pop();
        this.changedWhileBusy.pop();
      }
    }
  }

  private drain(sock: Socket): void {
    const q = this.queues.get(sock);
    if (q === undefined) return;
    if (sock.phase === 'closed') {
      this.queues.delete(sock);
      const aborted: Completion = { status: STATUS_CONNECTION_ABORTED, count: 0, flags: 0, from: null };
      for (const p of [...q.recv, ...q.send]) p.op.finish(p.done > 0 ? { ...aborted, count: p.done } : aborted);
      return;
    }
    if (!this.drainList(sock, q, q.recv)) return;
    if (!this.drainList(sock, q, q.send)) return;
    if (q.recv.length === 0 && q.send.length === 0) {
      this.queues.delete(sock);
      // A completion-port server re-posts its receive at once: keep a few entries for the next.
      if (this.spareQueues.length < 16) this.spareQueues.push(q);
    }
  }

  /** Completes the operations of one direction in posting order; false when the socket's queues went away meanwhile. */
  private drainList(sock: Socket, q: Queues, list: Pending[]): boolean {
    while (list.length > 0) {
      const head = list[0]!;
      const r = this.attempt(sock, head, false);
      if (r === 'wait') break;
      list.shift();
      head.op.finish(typeof r === 'number' ? this.failed(sock, head, -r) : r);
      // A completion runs no caller code here (routines run in an alertable wait), but the
      // socket may have closed under an event waiter: look again before going on.
      if (this.queues.get(sock) !== q) return false;
    }
    return true;
  }

  private failed(sock: Socket, p: Pending, code: number): Completion {
    return { status: errorToStatus(code, sock.type), count: p.done, flags: 0, from: null };
  }

  /**
   * One try at the operation, never blocking: a Completion, 'wait', or (only at the call, with
   * nothing moved yet) a negated code for an immediate failure.
   */
  private attempt(sock: Socket, p: Pending, first: boolean): Completion | 'wait' | number {
    const r = p.op.direction === 'recv' ? this.tryRecv(sock, p, first) : this.trySend(sock, p, first);
    if (typeof r === 'number' && !first) {
      if (notNow(-r)) return 'wait';
      return this.failed(sock, p, -r);
    }
    return r;
  }

  private tryRecv(sock: Socket, p: Pending, first: boolean): Completion | 'wait' | number {
    // A receive posted before SD_RECEIVE is not cancelled by it (Wine's test_shutdown); it ends
    // with the connection (reset, close).
    if (!first && sock.receiveShutdown && !sock.reset) return 'wait';
    if (!first && nothingToReceive(sock, p.op.flags)) return 'wait';
    const waitAll = sock.type === SOCK_STREAM && (p.op.flags & MSG_WAITALL) !== 0 && (p.op.flags & MSG_PEEK) === 0;
    const was = sock.nonBlocking;
    sock.nonBlocking = true; // the engine never waits
    let r: data.Received | number;
    try {
      r = data.recv(this.core, sock.handle, data.skipBytes(p.op.buffers, p.done), p.op.flags & ~MSG_WAITALL);
    } finally {
      sock.nonBlocking = was;
    }
    if (typeof r === 'number') {
      if (-r === WSAEWOULDBLOCK) return 'wait';
      if (-r === WSAESHUTDOWN && sock.reset && !first) return this.failed(sock, p, -(sock.resetCode));
      // MSG_WAITALL cut short by a failure: what there is.
      if (p.done > 0) return { status: STATUS_SUCCESS, count: p.done, flags: 0, from: null };
      return r;
    }
    p.done += r.count;
    if (waitAll && p.done < p.size && r.count > 0 && !sock.peerClosed && !sock.reset) return 'wait';
    return { status: r.truncated ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS, count: p.done, flags: r.flags, from: r.from };
  }

  private trySend(sock: Socket, p: Pending, first: boolean): Completion | 'wait' | number {
    const op = p.op;
    const rest = data.skipBytes(op.buffers, p.done);
    const was = sock.nonBlocking;
    sock.nonBlocking = true; // the engine never waits
    let r: number;
    try {
      r = op.viaSendTo ? data.sendTo(this.core, sock.handle, rest, op.flags, op.to) : data.send(this.core, sock.handle, rest, op.flags);
    } finally {
      sock.nonBlocking = was;
    }
    if (r < 0) {
      if (-r === WSAEWOULDBLOCK) return 'wait';
      // Out of the host's memory budget: a send already under way waits for acknowledgments.
      if (-r === WSAENOBUFS && !first) return 'wait';
      if (p.done > 0) return first ? 'wait' : this.failed(sock, p, -r);
      return r;
    }
    p.done += r;
    // The budget can cut a send short; an overlapped send completes only whole (Wine's test_send).
    if (p.done < p.size && sock.type === SOCK_STREAM) return 'wait';
    return { status: STATUS_SUCCESS, count: p.done, flags: 0, from: null };
  }
}

/**
 * True when a pending receive on `sock` would find nothing and wait, known without trying it: a
 * connected stream, nothing readable (no unread bytes, no urgent byte reading as data), no FIN,
 * no reset, plain flags. Only on a socket without WSPAsyncSelect or WSPEventSelect: there a try
 * re-enables FD_READ and FD_OOB, as every receive call does, and must still be made. Spares a
 * pending zero-byte receive the data path at each change of its socket that brings no data (an
 * acknowledgment of the socket's sends, above all).
 */
function nothingToReceive(sock: Socket, flags: number): boolean {
  return sock.notify === null && sock.type === SOCK_STREAM && (flags & ~PLAIN_RECV_FLAGS) === 0 && sock.phase === 'connected'
    && !sock.receiveShutdown && !sock.reset && !sock.peerClosed && data.streamBytesReadable(sock) === 0;
}
