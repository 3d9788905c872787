/**
 * The owner's side of {@link threadProvider}: runs the calls worker threads send against one
 * provider. A call that must wait (a blocking accept, connect, send, receive or select) is kept
 * and tried again whenever a socket changes, so the owner's thread never blocks; on the virtual
 * network, virtual time moves on once every thread is waiting.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import {
  INVALID_SOCKET, MSG_WAITALL, SOCK_STREAM, WAIT_IO_COMPLETION, SOCKET_ERROR, WSAEFAULT, WSAEINTR, WSAEINVAL, WSAENOTSOCK, WSAETIMEDOUT, WSAEWOULDBLOCK,
} from '../provider/constants.js';
import type { Socket } from '../provider/socket.js';
import { probe, store } from '../spi/funnel.js';
import { PROC_NAMES, type ServiceProvider } from '../spi/service-provider.js';
import type { FD_SET, LPINT, TIMEVAL, WSABUF } from '../spi/types.js';
import type { CompletionPort } from '../iocp/port.js';
import type { ChannelLike, Job } from './job.js';
import { extensionJob, namePointer } from './extensions-server.js';
import { ThreadEvents } from './events-server.js';
import { ThreadOverlapped } from './overlapped-server.js';
import {
  ANSWERED, CALLBACK, CLOSED, IDLE, OVERLAPPED_SHAPES, STATE_BYTES, WORD_CALLER, WORD_CLOSED, WORD_OWNER, copyBack, isFunctionRef, type PortRef,
  type ProviderChannel, type ToCaller, type ToOwner,
} from './protocol.js';
import { releaseSockets } from './lifetime.js';

/** How long the owner waits for a worker to run one of its callbacks. */
const CALLBACK_TIMEOUT_MS = 10_000;

let nextSerial = 1;

class Channel implements ChannelLike {
  job: Job | null = null;
  threadId: number | undefined = undefined;
  readonly serial = nextSerial++;
  readonly sockets = new Map<number, Socket>();
  constructor(readonly port: MessagePort, readonly state: Int32Array, readonly provider: ServiceProvider) {}

  reply(m: ToCaller): void {
    try {
      this.port.postMessage(m);
    } catch {
      // Something the call left in an argument cannot be cloned (a function, say): the result
      // still travels, the arguments stay as the caller had them.
      try {
        this.port.postMessage(m.type === 'return'
          ? { ...m, args: m.args.map(() => null), result: undefined, notices: m.notices?.map((n) => ({ ...n, out: undefined })) }
          : { ...m, args: m.args.map(() => null) });
      } catch {
        this.port.postMessage({ type: 'return', ret: typeof (m as { ret?: unknown }).ret === 'number' ? (m as { ret: number }).ret : SOCKET_ERROR, args: [] });
      }
    }
    Atomics.store(this.state, WORD_CALLER, m.type === 'return' ? ANSWERED : CALLBACK);
    Atomics.notify(this.state, WORD_CALLER);
  }

  /** The owner no longer serves this channel: the worker's calls (one waiting now, and all later ones) fail at once. */
  shut(): void {
    Atomics.store(this.state, WORD_CLOSED, 1);
    Atomics.store(this.state, WORD_CALLER, CLOSED);
    Atomics.notify(this.state, WORD_CALLER);
    Atomics.store(this.state, WORD_OWNER, CLOSED);
    Atomics.notify(this.state, WORD_OWNER);
  }
}

/** The functions a worker may call (anything else in a message is refused, never looked up on the provider). */
const CALLABLE = new Set<string>([
  ...PROC_NAMES, 'GetCurrentProcessId', 'CancelIoEx', '__cancelBlockingCall', '__alertableWait', '__waitForEvents', '__CreateIoCompletionPort',
  '__GetQueuedCompletionStatus', '__GetQueuedCompletionStatusEx', '__PostQueuedCompletionStatus', '__CloseHandle',
  '__SetFileCompletionNotificationModes',
  ...Object.keys(OVERLAPPED_SHAPES).filter((n) => n.startsWith('__')),
]);

/** The functions whose success hands the worker a new socket descriptor. */
const MAKES_SOCKET = new Set(['WSPSocket', 'WSPAccept', 'WSPJoinLeaf']);

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/**
 * A worker's arguments with the markers of src/threads/wire.ts replaced: a part that could not
 * travel becomes a frozen empty object (unusable to the provider, as a bad pointer or handle),
 * a frozen part is frozen again.
 */
function unmark(x: unknown, depth = 0): unknown {
  if (!isObject(x) || depth > 16 || ArrayBuffer.isView(x) || x instanceof ArrayBuffer || x instanceof SharedArrayBuffer) return x;
  if (x.__uncloneable === true || isFunctionRef(x)) return Object.freeze({});
  if ('__frozen' in x) return Object.freeze(unmark(x.__frozen, depth + 1));
  if (Array.isArray(x)) for (let i = 0; i < x.length; i++) x[i] = unmark(x[i], depth + 1);
  else for (const k of Object.keys(x)) if (k !== '__proto__') x[k] = unmark(x[k], depth + 1);
  return x;
}

/** What a call that failed before acting returns (INVALID_SOCKET for the functions that make sockets). */
function failValueOf(fn: string): number {
  return fn === 'WSPSocket' || fn === 'WSPAccept' || fn === 'WSPJoinLeaf' ? INVALID_SOCKET : fn.startsWith('WSP') || fn === '__WSARecvMsg' || fn === '__WSASendMsg' ? SOCKET_ERROR : 0;
}

const total = (bufs: WSABUF[], count: number): number => bufs.slice(0, count).reduce((n, b) => n + b.len, 0);

/** The WSABUFs past their first `n` bytes (views of the same memory). */
function skip(bufs: WSABUF[], count: number, n: number): WSABUF[] {
  const out: WSABUF[] = [];
  for (const b of bufs.slice(0, count)) {
    if (n >= b.len) {
      n -= b.len;
      continue;
    }
    out.push({ len: b.len - n, buf: b.buf.subarray(n, b.len) });
    n = 0;
  }
  return out;
}

function copySet(set: FD_SET | null): FD_SET | null {
  return set === null || set === undefined ? null : { fd_count: set.fd_count, fd_array: [...set.fd_array] };
}

/** How long (real time) every thread may wait on a virtual network that has nothing left to do. */
const DEFAULT_STALL_MS = 1000;

export interface ProviderServerOptions {
  /**
   * On the virtual network: when every thread waits and nothing in the network can wake any of
   * them, the waiting calls fail with WSAEINTR after this much real time (a thread not started
   * yet may still come and call). Default 1000 ms.
   */
  stallMs?: number;
}

export class ProviderServer {
  private readonly channels = new Set<Channel>();
  private readonly providers = new Set<ServiceProvider>();
  private readonly stallMs: number;
  private stallTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly parked = new Set<Job>();
  private closed = false;
  private dirty = false;
  private settling = false;
  private retryQueued = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Counts what the program does outside the simulation's run (a call, a socket it changes): each restarts the stall grace. */
  private activity = 0;
  /** When the network was found idle with every thread waiting (real ms), and `activity` then; null while it is not. */
  private idle: { at: number; activity: number } | null = null;
  private readonly watcher = (): void => {
    this.dirty = true;
    // A socket changed by the owner's own program (a send, an accept), not by the run of the network here.
    if (!this.settling) this.activity++;
    this.queueRetry();
  };
  /** Worker threads' overlapped operations and completion ports. */
  private readonly overlapped = new ThreadOverlapped(this.watcher);
  /** Worker threads' event objects (WSPEventSelect, WSPEnumNetworkEvents, waits). */
  private readonly events = new ThreadEvents();

  /** Serves `provider`, and any other provider of the same network given to {@link open}. */
  constructor(readonly provider: ServiceProvider, options: ProviderServerOptions = {}) {
    this.stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  }

  /**
   * A channel for one worker thread, to `provider` (this server's, or another host's of the same
   * network): pass it in workerData with `port` in the transfer list.
   */
  open(provider: ServiceProvider = this.provider): ProviderChannel {
    if (!this.providers.has(provider)) {
      this.providers.add(provider);
      provider.core.watchers.add(this.watcher);
    }
    // A new thread may call and wake the others: whatever was about to be declared a stall is not.
    this.activity++;
    this.clearStall();
    const { port1, port2 } = new MessageChannel();
    const shared = new SharedArrayBuffer(STATE_BYTES);
    const channel = new Channel(port1, new Int32Array(shared), provider);
    if (this.closed) {
      channel.shut();
      port1.close();
      return { port: port2, state: shared };
    }
    this.channels.add(channel);
    port1.on('message', (m: ToOwner) => this.receive(channel, m));
    port1.on('close', () => this.drop(channel));
    return { port: port2, state: shared };
  }

  /**
   * A completion port this thread made (CreateIoCompletionPort), as worker threads name it: post
   * the reference to them (it is plain data) and they can associate sockets with the port, wait
   * on it and post to it.
   */
  portRef(port: CompletionPort): PortRef {
    return this.overlapped.portRef(port);
  }

  /**
   * Cancels the blocking call in progress in the worker thread `threadId` (node:worker_threads'
   * id): a WSPAccept, WSPConnect, WSPSend, WSPRecv, WSPSendTo, WSPRecvFrom or WSPSelect waiting
   * there fails with WSAEINTR, as Winsock 1.1's WSACancelBlockingCall made it fail (and as
   * CancelSynchronousIo on the thread does). Returns false when that thread has no blocking call
   * waiting (the call WSPCancelBlockingCall would answer with WSAEINVAL).
   */
  cancelBlockingCall(threadId: number): boolean {
    for (const c of this.channels) {
      const job = c.job;
      if (c.threadId !== threadId || job === null || job.cancellable !== true || !this.parked.has(job)) continue;
      this.finish(job, this.interrupt(job, true));
      this.queueRetry();
      return true;
    }
    return false;
  }

  /** Non-standard, for tests and tools: how many worker threads are waiting in a call now. */
  waiting(): number {
    let n = 0;
    for (const c of this.channels) if (c.job !== null && this.parked.has(c.job)) n++;
    return n;
  }

  /**
   * Stops serving: calls still waiting fail with WSAEINTR; every later call of a worker fails at
   * once with WSAENETDOWN. The workers' sockets stay open (the owner's program may still use them).
   */
  close(): void {
    this.closed = true;
    for (const c of [...this.channels]) {
      if (c.job !== null) this.finish(c.job, this.interrupt(c.job));
      this.drop(c, false);
    }
    for (const p of this.providers) p.core.watchers.delete(this.watcher);
    if (this.timer !== null) clearTimeout(this.timer);
    this.clearStall();
  }

  /** The channel ends (the worker closed it or ended, or the server closes): `release` its sockets too. */
  private drop(channel: Channel, release = true): void {
    if (!this.channels.delete(channel)) return;
    if (channel.job !== null) {
      this.parked.delete(channel.job);
      try {
        channel.job.dispose?.();
      } catch {
        // a wait that cannot undo itself is dropped all the same
      }
      channel.job = null;
    }
    channel.shut();
    channel.port.close();
    if (release) releaseSockets(channel);
    this.queueRetry(); // the threads still here may all be waiting now
  }

  private receive(channel: Channel, m: ToOwner): void {
    this.activity++;
    this.clearStall();
    if (!isObject(m) || !this.channels.has(channel)) return;
    if (m.type === 'close') {
      this.drop(channel);
      return;
    }
    if (m.type === 'hello') {
      if (typeof m.threadId === 'number') channel.threadId = m.threadId;
      return;
    }
    if (m.type !== 'call') return;
    const fn = typeof m.fn === 'string' && CALLABLE.has(m.fn) ? m.fn : '';
    const raw: unknown[] = Array.isArray(m.args) ? m.args : [];
    if (channel.job !== null) return; // one call at a time per thread: a second one is not the client's doing
    let job: Job | undefined;
    try {
      if (Array.isArray(m.freed)) this.overlapped.free(channel, m.freed.filter((id) => typeof id === 'number'));
      // Only WSPAccept's condition function is a callback; anything else marked is no data the provider can use.
      const cond = fn === 'WSPAccept' && isFunctionRef(raw[3]) ? this.callbackProxy(channel, raw[3].__function) : undefined;
      const plain = m.marked === true || cond !== undefined ? raw.map((a, i) => (i === 3 && cond !== undefined ? cond : unmark(a))) : raw;
      const args = this.events.resolve(channel, fn, plain);
      if (fn.startsWith('WSP') && !probe(args[args.length - 1], 'value')) {
        // The worker's lpErrno cannot be written (it was frozen, a Proxy, missing): the code is lost, as
        // the provider loses it on the owner thread, and this side keeps its own.
        args[Math.max(args.length - 1, 0)] = { value: 0 };
      }
      job = fn === '' ? this.refusal(channel, args, WSAEINVAL) : this.specialJob(channel, fn, args) ?? this.job(channel, fn, args);
      job.fn = fn;
      if (fn === 'WSPIoctl') namePointer(job);
      channel.job = job;
      const ret = this.attempt(job);
      if (ret !== undefined) this.finish(job, ret);
      else this.parked.add(job);
    } catch {
      // Nothing a worker passes may break the owner: the call fails as for an argument the
      // provider cannot read, and the worker is answered.
      const failed = job ?? this.refusal(channel, raw, WSAEFAULT);
      this.finish(failed, this.fault(failed, WSAEFAULT));
    }
    this.settle();
  }

  /** A call refused before it reaches the provider: `code`. */
  private refusal(channel: Channel, args: unknown[], code: number): Job {
    const job: Job = { channel, args, deadline: Infinity, attempt: () => this.fault(job, code), expire: () => this.fault(job, code) };
    return job;
  }

  /** Fails `job` with `code` (in its lpErrno when that can be written): its failure value. */
  private fault(job: Job, code: number): number {
    store(job.args[job.args.length - 1], 'value', code);
    return job.failValue ?? failValueOf(job.fn ?? '');
  }

  /** `job.attempt()`, or its failure with WSAEFAULT should the attempt throw (it never should). */
  private attempt(job: Job, how: 'attempt' | 'expire' | 'stalled' = 'attempt'): unknown {
    try {
      return how === 'attempt' ? job.attempt() : how === 'expire' ? job.expire() : job.stalled!();
    } catch {
      try {
        job.dispose?.();
      } catch {
        // already failing
      }
      return this.fault(job, WSAEFAULT);
    }
  }

  private finish(job: Job, ret: unknown): void {
    this.parked.delete(job);
    const channel = job.channel as Channel;
    if (channel.job === job) channel.job = null;
    try {
      if (job.fn !== undefined) this.track(channel, job, ret);
      // A callback argument (WSPAccept's condition function) is a proxy here and cannot travel back:
      // the caller keeps its own function (copyBack leaves a function argument alone). An
      // overlapped call's later outputs (the WSAOVERLAPPED, buffers a completion fills) travel in
      // notices instead.
      const keep = job.keep ?? [];
      const args = job.args.map((a, i) => (typeof a === 'function' || keep.includes(i) ? null : a));
      channel.reply({ type: 'return', ret, args, result: job.result, ...this.overlapped.drain(channel), ...this.events.drain(channel) });
    } catch {
      channel.reply({ type: 'return', ret: typeof ret === 'number' ? ret : SOCKET_ERROR, args: [] });
    }
  }

  /** Keeps the worker's socket descriptors: those it made, not those it closed. */
  private track(channel: Channel, job: Job, ret: unknown): void {
    const fn = job.fn!;
    if (MAKES_SOCKET.has(fn) && typeof ret === 'number' && ret !== INVALID_SOCKET) {
      const sock = channel.provider.core.lookup(ret);
      if (sock !== undefined) channel.sockets.set(ret, sock);
    } else if (fn === 'WSPCloseSocket' && ret === 0 && typeof job.args[0] === 'number') channel.sockets.delete(job.args[0]);
  }

  /** The answer of a wait that cannot end (a stall), or of a cancelled blocking call: WSAEINTR. */
  private interrupt(job: Job, cancelled = false): unknown {
    if (!cancelled && job.stalled !== undefined) return this.attempt(job, 'stalled');
    try {
      job.dispose?.();
    } catch {
      // the wait ends all the same
    }
    let partial: unknown;
    try {
      partial = job.partial?.();
    } catch {
      partial = undefined;
    }
    if (partial !== undefined) return partial;
    store(job.args[job.args.length - 1], 'value', WSAEINTR);
    return job.failValue ?? SOCKET_ERROR;
  }

  /** The calls worker threads make that are no plain WSP* call: overlapped ones, ports, waits, cancellation. */
  private specialJob(channel: Channel, fn: string, args: unknown[]): Job | undefined {
    const now = (): number => channel.provider.core.transport.nowMs();
    if (fn === '__cancelBlockingCall') {
      const [threadId, lpErrno] = args as [number, LPINT];
      const attempt = (): number => {
        if (this.cancelBlockingCall(threadId)) return 0;
        store(lpErrno, 'value', WSAEINVAL);
        return SOCKET_ERROR;
      };
      return { channel, args, deadline: Infinity, attempt, expire: attempt };
    }
    if (fn === '__waitForEvents') return this.waitJob(channel, args, now);
    if (fn === '__SetFileCompletionNotificationModes') {
      const [file, flags, lpErrno] = args;
      const attempt = (): number => channel.provider.SetFileCompletionNotificationModes(file as number, flags as number, lpErrno as LPINT);
      return { channel, args, deadline: Infinity, attempt, expire: attempt };
    }
    const extension = extensionJob(channel, fn, args, this.overlapped, now);
    if (extension !== undefined) return extension;
    const special = this.overlapped.job(channel, fn, args, now);
    if (special !== undefined) return special;
    const t = this.overlapped.transfer(channel, fn, args);
    if (t === undefined) {
      if (fn !== 'CancelIoEx') return undefined;
      const resolved = this.overlapped.resolve(channel, fn, args);
      const p = channel.provider;
      const attempt = (): number => p.CancelIoEx(...(resolved as Parameters<ServiceProvider['CancelIoEx']>));
      return { channel, args: resolved, deadline: Infinity, attempt, expire: attempt, keep: [1] };
    }
    // An overlapped call never blocks: the provider answers at once (0, WSA_IO_PENDING or an error).
    const p = channel.provider as unknown as Record<string, (...a: unknown[]) => number>;
    const job: Job = {
      channel, args: t.args, deadline: Infinity, keep: t.keep,
      attempt: () => {
        const r = p[fn]!(...t.args);
        job.result = t.after();
        return r;
      },
      expire: () => SOCKET_ERROR,
    };
    return job;
  }

  /**
   * A worker's waitForEvents: ends when a mirror of one of its events changed (it is told with
   * the answer and looks again), an operation of its signaled one, or, alertable, a completion
   * routine of its thread is due (WAIT_IO_COMPLETION).
   */
  private waitJob(channel: Channel, args: unknown[], now: () => number): Job {
    const ids = this.events.sync(channel, args[3]);
    const key = typeof args[4] === 'number' ? args[4] : null;
    const job = this.overlapped.job(channel, '__waitForEvents', args, now)!;
    const notices = job.attempt.bind(job);
    job.attempt = () => (key !== null && this.overlapped.routinesDue(channel, key) ? WAIT_IO_COMPLETION
      : this.events.changed(channel, ids) ? 0 : notices());
    return job;
  }

  private queueRetry(): void {
    if (this.retryQueued) return;
    this.retryQueued = true;
    setImmediate(() => {
      this.retryQueued = false;
      this.settle();
    });
  }

  /** Tries the waiting calls again; when every thread waits, lets the (virtual) network run. */
  private settle(): void {
    if (this.settling) return;
    this.settling = true;
    let moved = false; // whether this settle changed anything: a call answered, the network ran something
    try {
      for (;;) {
        this.dirty = false;
        const transport = this.provider.core.transport; // every provider served shares one network
        const now = transport.nowMs();
        let next = Number.POSITIVE_INFINITY;
        for (const job of [...this.parked]) {
          const ret = this.attempt(job);
          if (ret !== undefined) {
            moved = true;
            this.finish(job, ret);
          } else if (now >= job.deadline) {
            moved = true;
            try {
              job.dispose?.();
            } catch {
              // expired all the same
            }
            this.finish(job, this.attempt(job, 'expire'));
          }
          else next = Math.min(next, job.deadline);
        }
        if (this.parked.size === 0) {
          // Nothing waits any more: no deadline or stall timer may keep the owner's process alive.
          this.armTimer(Number.POSITIVE_INFINITY);
          this.clearStall();
          this.idle = null;
          return;
        }
        const everyoneWaits = [...this.channels].every((c) => c.job !== null);
        if (!everyoneWaits) return this.armTimer(next);
        // Whole microseconds, rounded up: a wait of 0.9999… µs (float milliseconds) would never move the clock.
        const outcome = transport.block(() => this.dirty, next === Number.POSITIVE_INFINITY ? undefined : Math.ceil((next - now) * 1000) / 1000);
        if (outcome === 'unsupported') return this.armTimer(next); // real time: sockets and timers wake us
        if (outcome === 'idle') {
          if (moved) this.activity++;
          return this.stalling();
        }
        moved = true; // the network ran until a socket changed
      }
    } finally {
      this.settling = false;
    }
  }

  /**
   * Nothing in the network can complete the waiting calls; a thread, or the owner's own program,
   * may still act and change that. As src/async/driver.ts does: the grace starts again whenever
   * something happened since the idle began; when it ends, the network is run once more (the
   * timer's settle) and the waits fail only if that moved nothing either.
   */
  private stalling(): void {
    const now = performance.now();
    if (this.idle === null || this.idle.activity !== this.activity) this.idle = { at: now, activity: this.activity };
    else if (now - this.idle.at >= this.stallMs) {
      this.idle = null;
      this.clearStall();
      // As for any blocking call nothing can ever complete: WSAEINTR (or the partial count, see interrupt).
      for (const job of [...this.parked]) this.finish(job, this.interrupt(job));
      return;
    }
    this.armStall(this.idle.at);
  }

  private armStall(idleAt: number): void {
    this.clearStall();
    // A timer may fire up to a millisecond early: one more keeps the grace at least `stallMs`.
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      // A thread that has not called yet (one just started) may still wake the others.
      if (![...this.channels].every((c) => c.job !== null)) return;
      this.settle();
    }, Math.max(0, idleAt + this.stallMs - performance.now()) + 1);
    // Waiting workers keep the process alive through their channels; the grace alone must not.
    this.stallTimer.unref();
  }

  private clearStall(): void {
    if (this.stallTimer === null) return;
    clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }

  private armTimer(deadline: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (deadline === Number.POSITIVE_INFINITY) return;
    const wait = Math.max(0, deadline - this.provider.core.transport.nowMs());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.settle();
    }, Math.ceil(wait));
    // A waiting worker keeps the process alive through its channel; the deadline alone must not.
    this.timer.unref();
  }

  /** Runs a worker's callback synchronously: the worker is asleep in its call and wakes for it. */
  private callbackProxy(channel: Channel, index: number): (...args: unknown[]) => unknown {
    return (...args: unknown[]) => {
      Atomics.store(channel.state, 1, IDLE);
      channel.reply({ type: 'callback', index, args });
      if (Atomics.wait(channel.state, 1, IDLE, CALLBACK_TIMEOUT_MS) === 'timed-out') throw new Error('the worker did not answer');
      const got = receiveMessageOnPort(channel.port);
      const m = got?.message as ToOwner | undefined;
      if (m?.type !== 'callback-return') throw new Error('the worker answered something else');
      if (Array.isArray(m.args)) args.forEach((a, i) => copyBack(a, m.args[i]));
      const v = m.value as { __threw?: string } | null;
      if (typeof v === 'object' && v !== null && typeof v.__threw === 'string') throw new Error(v.__threw);
      return m.value;
    };
  }

  // ---- the calls ------------------------------------------------------------------------------

  private job(channel: Channel, fn: string, args: unknown[]): Job {
    const provider = channel.provider;
    const p = provider as unknown as Record<string, (...a: unknown[]) => number>;
    const direct = (): Job => ({ channel, args, deadline: Infinity, attempt: () => p[fn]!(...args), expire: () => SOCKET_ERROR });
    const lpErrno = args[args.length - 1] as LPINT;
    const sock = provider.core.lookup(args[0]);
    const blocking = sock !== undefined && !sock.nonBlocking;
    switch (fn) {
      case 'WSPAccept': return blocking ? this.acceptJob(channel, args, sock!, p, lpErrno) : direct();
      case 'WSPConnect': return blocking ? this.connectJob(channel, args, sock!, p, lpErrno) : direct();
      case 'WSPSend': case 'WSPSendTo':
        return blocking && sock!.type === SOCK_STREAM ? this.transferJob(channel, fn, args, sock!, p, lpErrno, true) : direct();
      case 'WSPRecv': case 'WSPRecvFrom':
        return blocking ? this.transferJob(channel, fn, args, sock!, p, lpErrno, false) : direct();
      case 'WSPSelect': return this.selectJob(channel, args, p, lpErrno) ?? direct();
      default: return direct();
    }
  }

  /** Runs `f` with the socket non-blocking (its blocking is done here, by waiting). */
  private nonBlocking<T>(sock: Socket, f: () => T): T {
    sock.nonBlocking = true;
    try {
      return f();
    } finally {
      sock.nonBlocking = false;
    }
  }

  private acceptJob(channel: Channel, args: unknown[], sock: Socket, p: Record<string, (...a: unknown[]) => number>, lpErrno: LPINT): Job {
    return {
      channel, args, deadline: Infinity, cancellable: true, failValue: INVALID_SOCKET,
      attempt: () => {
        // The listener closed by another thread (AcceptKillThread): the accept fails with WSAEINTR.
        if (channel.provider.core.lookup(args[0]) !== sock) {
          store(lpErrno, 'value', WSAEINTR);
          return INVALID_SOCKET;
        }
        const before = lpErrno.value;
        const r = this.nonBlocking(sock, () => p.WSPAccept!(...args));
        if (r === INVALID_SOCKET && lpErrno.value === WSAEWOULDBLOCK) {
          // The blocking call has not failed: the try's code is not the caller's (a later success leaves lpErrno as it was).
          lpErrno.value = before;
          return undefined;
        }
        const child = channel.provider.core.lookup(r);
        if (child !== undefined) child.nonBlocking = false; // it inherits the listener's real mode
        return r;
      },
      expire: () => SOCKET_ERROR,
    };
  }

  private connectJob(channel: Channel, args: unknown[], sock: Socket, p: Record<string, (...a: unknown[]) => number>, lpErrno: LPINT): Job {
    let started = false;
    return {
      channel, args, deadline: Infinity, cancellable: true,
      attempt: () => {
        if (!started) {
          const r = this.nonBlocking(sock, () => p.WSPConnect!(...args));
          if (r !== SOCKET_ERROR || lpErrno.value !== WSAEWOULDBLOCK) return r;
          started = true;
          lpErrno.value = 0;
        }
        if (sock.phase === 'connecting') return undefined;
        if (sock.phase === 'connected') return 0;
        lpErrno.value = sock.phase === 'closed' ? WSAEINTR : sock.connectResult || WSAEINTR; // the real outcome, not what SO_ERROR may have been set to
        return SOCKET_ERROR;
      },
      expire: () => SOCKET_ERROR,
    };
  }

  /**
   * A blocking send queues every byte (a receive with MSG_WAITALL fills every byte), possibly
   * over several tries; a plain receive returns what the first successful try got.
   */
  private transferJob(
    channel: Channel, fn: string, args: unknown[], sock: Socket, p: Record<string, (...a: unknown[]) => number>,
    lpErrno: LPINT, sending: boolean,
  ): Job {
    const bufs = args[1] as WSABUF[];
    const count = args[2] as number;
    const lpCount = args[3] as LPINT;
    const lpFlags = args[4] as LPINT;
    let size = 0;
    try {
      size = total(bufs, count);
    } catch {
      return { channel, args, deadline: Infinity, attempt: () => p[fn]!(...args), expire: () => SOCKET_ERROR };
    }
    const waitAll = !sending && sock.type === SOCK_STREAM && typeof lpFlags?.value === 'number' && (lpFlags.value & MSG_WAITALL) !== 0;
    const timeoutMs = sending ? sock.sendTimeoutMs : sock.receiveTimeoutMs;
    let done = 0;
    const result = (ret: number): number => {
      if (typeof lpCount === 'object' && lpCount !== null) lpCount.value = done;
      return ret;
    };
    return {
      channel, args, cancellable: true,
      deadline: timeoutMs > 0 ? this.provider.core.transport.nowMs() + timeoutMs : Infinity,
      attempt: () => {
        const rest = done === 0 ? bufs : skip(bufs, count, done);
        const once = [...args];
        once[1] = rest;
        once[2] = done === 0 ? count : rest.length;
        const n = { value: 0 };
        once[3] = n;
        if (waitAll) once[4] = { value: lpFlags.value & ~MSG_WAITALL };
        const r = this.nonBlocking(sock, () => p[fn]!(...once));
        if (r === SOCKET_ERROR) {
          if (lpErrno.value === WSAEWOULDBLOCK) {
            lpErrno.value = 0;
            return undefined;
          }
          if (done > 0) {
            lpErrno.value = 0;
            return result(0);
          }
          done = n.value;
          return result(SOCKET_ERROR);
        }
        done += n.value;
        if (waitAll) lpFlags.value = (once[4] as LPINT).value;
        const complete = sending || waitAll ? done >= size || (!sending && n.value === 0) : true;
        return complete ? result(0) : undefined;
      },
      expire: () => {
        if (done > 0) return result(0);
        lpErrno.value = WSAETIMEDOUT;
        return SOCKET_ERROR;
      },
      // Interrupted after some bytes moved: the call succeeds with that count, as its time-out
      // does; a sender told 0 would send again bytes already queued.
      partial: () => (done > 0 ? result(0) : undefined),
    };
  }

  /** WSPSelect with a time-out other than zero: polled until something is ready or time is up. */
  private selectJob(channel: Channel, args: unknown[], p: Record<string, (...a: unknown[]) => number>, lpErrno: LPINT): Job | undefined {
    const [nfds, r, w, x, timeout] = args as [number, FD_SET | null, FD_SET | null, FD_SET | null, TIMEVAL | null];
    let ms = Infinity;
    if (timeout !== null && timeout !== undefined) {
      if (typeof timeout !== 'object' || !Number.isInteger(timeout.tv_sec) || !Number.isInteger(timeout.tv_usec) || timeout.tv_sec < 0 || timeout.tv_usec < 0) return undefined;
      ms = timeout.tv_sec * 1000 + timeout.tv_usec / 1000;
      if (ms === 0) return undefined;
    }
    const poll = { tv_sec: 0, tv_usec: 0 };
    // The sockets named at the call: one another thread closes while this select waits ends it.
    const core = channel.provider.core;
    const named = new Map<unknown, Socket>();
    try {
      for (const set of [r, w, x]) {
        for (const h of set?.fd_array?.slice(0, set.fd_count) ?? []) {
          const sock = core.lookup(h);
          if (sock !== undefined) named.set(h, sock);
        }
      }
    } catch {
      // an unreadable set: the provider's own select answers for it
    }
    const without = (set: FD_SET | null, gone: Set<unknown>): FD_SET | null => {
      if (set === null || set === undefined) return null;
      const kept = set.fd_array.slice(0, set.fd_count).filter((h) => !gone.has(h));
      return { fd_count: kept.length, fd_array: kept };
    };
    /**
     * Sockets of the sets closed since the call. In the read set, a closed socket is reported
     * readable (Wine's SelectReadThread and SelectCloseThread rows: select returns 1, the socket in
     * readfds); closed only in the write or except set, the select fails with WSAENOTSOCK and the
     * socket is no longer in the set.
     */
    const closedAnswer = (): number | undefined => {
      const gone = new Set<unknown>();
      for (const [h, sock] of named) if (core.lookup(h) !== sock) gone.add(h);
      if (gone.size === 0) return undefined;
      const inRead = (r?.fd_array?.slice(0, r.fd_count) ?? []).filter((h) => gone.has(h));
      if (inRead.length > 0) {
        write([{ fd_count: inRead.length, fd_array: inRead }, w === null || w === undefined ? null : { fd_count: 0, fd_array: [] },
          x === null || x === undefined ? null : { fd_count: 0, fd_array: [] }]);
        return inRead.length;
      }
      write([without(r, gone), without(w, gone), without(x, gone)]);
      store(lpErrno, 'value', WSAENOTSOCK);
      return SOCKET_ERROR;
    };
    const write = (sets: (FD_SET | null)[]): void => {
      [r, w, x].forEach((set, i) => {
        if (set !== null && set !== undefined) copyBack(set, sets[i]);
      });
    };
    return {
      channel, args, cancellable: true,
      deadline: this.provider.core.transport.nowMs() + ms,
      attempt: () => {
        const closed = closedAnswer();
        if (closed !== undefined) return closed;
        let sets: (FD_SET | null)[];
        try {
          sets = [copySet(r), copySet(w), copySet(x)];
        } catch {
          return p.WSPSelect!(...args);
        }
        const n = p.WSPSelect!(nfds, sets[0], sets[1], sets[2], poll, lpErrno);
        if (n === 0) return undefined;
        if (n > 0) write(sets);
        return n;
      },
      expire: () => {
        write([r, w, x].map((s) => (s === null || s === undefined ? null : { fd_count: 0, fd_array: [] })));
        return 0;
      },
    };
  }
}
