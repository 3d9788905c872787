/**
 * The owner's side of {@link threadProvider}: runs the calls worker threads send against one
 * provider. A call that must wait (a blocking accept, connect, send, receive or select) is kept
 * and tried again whenever a socket changes, so the owner's thread never blocks; on the virtual
 * network, virtual time moves on once every thread is waiting.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import {
  INVALID_SOCKET, MSG_WAITALL, SOCK_STREAM, SOCKET_ERROR, WSAEINTR, WSAEINVAL, WSAETIMEDOUT, WSAEWOULDBLOCK,
} from '../provider/constants.js';
import type { Socket } from '../provider/socket.js';
import type { ServiceProvider } from '../spi/service-provider.js';
import type { FD_SET, LPINT, TIMEVAL, WSABUF } from '../spi/types.js';
import type { CompletionPort } from '../iocp/port.js';
import type { ChannelLike, Job } from './job.js';
import { extensionJob, namePointer } from './extensions-server.js';
import { ThreadOverlapped } from './overlapped-server.js';
import { ANSWERED, CALLBACK, IDLE, copyBack, isFunctionRef, type PortRef, type ProviderChannel, type ToCaller, type ToOwner } from './protocol.js';

/** How long the owner waits for a worker to run one of its callbacks. */
const CALLBACK_TIMEOUT_MS = 10_000;

let nextSerial = 1;

class Channel implements ChannelLike {
  job: Job | null = null;
  threadId: number | undefined = undefined;
  readonly serial = nextSerial++;
  constructor(readonly port: MessagePort, readonly state: Int32Array, readonly provider: ServiceProvider) {}

  reply(m: ToCaller): void {
    try {
      this.port.postMessage(m);
    } catch {
      // Something the call left in an argument cannot be cloned (a function, say): the result
      // still travels, the arguments stay as the caller had them.
      this.port.postMessage(m.type === 'return'
        ? { ...m, args: m.args.map(() => null), result: undefined, notices: m.notices?.map((n) => ({ ...n, out: undefined })) }
        : m);
    }
    Atomics.store(this.state, 0, m.type === 'return' ? ANSWERED : CALLBACK);
    Atomics.notify(this.state, 0);
  }
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
  private dirty = false;
  private settling = false;
  private retryQueued = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly watcher = (): void => {
    this.dirty = true;
    this.queueRetry();
  };
  /** Worker threads' overlapped operations and completion ports. */
  private readonly overlapped = new ThreadOverlapped(this.watcher);

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
    this.clearStall();
    const { port1, port2 } = new MessageChannel();
    const shared = new SharedArrayBuffer(8);
    const channel = new Channel(port1, new Int32Array(shared), provider);
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

  /** Stops serving: calls still waiting fail with WSAEINTR. */
  close(): void {
    for (const c of [...this.channels]) {
      if (c.job !== null) this.finish(c.job, this.interrupt(c.job));
      this.drop(c);
    }
    for (const p of this.providers) p.core.watchers.delete(this.watcher);
    if (this.timer !== null) clearTimeout(this.timer);
    this.clearStall();
  }

  private drop(channel: Channel): void {
    if (!this.channels.delete(channel)) return;
    if (channel.job !== null) {
      this.parked.delete(channel.job);
      channel.job.dispose?.();
    }
    channel.port.close();
    this.queueRetry(); // the threads still here may all be waiting now
  }

  private receive(channel: Channel, m: ToOwner): void {
    this.clearStall();
    if (m.type === 'close') {
      this.drop(channel);
      return;
    }
    if (m.type === 'hello') {
      channel.threadId = m.threadId;
      return;
    }
    if (m.type !== 'call') return;
    if (m.freed !== undefined) this.overlapped.free(channel, m.freed);
    const args = m.args.map((a) => (isFunctionRef(a) ? this.callbackProxy(channel, a.__function) : a));
    const job = this.specialJob(channel, m.fn, args) ?? this.job(channel, m.fn, args);
    if (m.fn === 'WSPIoctl') namePointer(job);
    channel.job = job;
    const ret = job.attempt();
    if (ret !== undefined) this.finish(job, ret);
    else this.parked.add(job);
    this.settle();
  }

  private finish(job: Job, ret: unknown): void {
    this.parked.delete(job);
    job.channel.job = null;
    // A callback argument (WSPAccept's condition function) is a proxy here and cannot travel back:
    // the caller keeps its own function (copyBack leaves a function argument alone). An
    // overlapped call's later outputs (the WSAOVERLAPPED, buffers a completion fills) travel in
    // notices instead.
    const keep = job.keep ?? [];
    const args = job.args.map((a, i) => (typeof a === 'function' || keep.includes(i) ? null : a));
    (job.channel as Channel).reply({ type: 'return', ret, args, result: job.result, ...this.overlapped.drain(job.channel) });
  }

  /** The answer of a wait that cannot end (a stall), or of a cancelled blocking call: WSAEINTR. */
  private interrupt(job: Job, cancelled = false): unknown {
    if (!cancelled && job.stalled !== undefined) return job.stalled();
    job.dispose?.();
    const lpErrno = job.args[job.args.length - 1] as LPINT;
    lpErrno.value = WSAEINTR;
    return job.failValue ?? SOCKET_ERROR;
  }

  /** The calls worker threads make that are no plain WSP* call: overlapped ones, ports, waits, cancellation. */
  private specialJob(channel: Channel, fn: string, args: unknown[]): Job | undefined {
    const now = (): number => channel.provider.core.transport.nowMs();
    if (fn === '__cancelBlockingCall') {
      const [threadId, lpErrno] = args as [number, LPINT];
      const attempt = (): number => {
        if (this.cancelBlockingCall(threadId)) return 0;
        lpErrno.value = WSAEINVAL;
        return SOCKET_ERROR;
      };
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
    try {
      for (;;) {
        this.dirty = false;
        const transport = this.provider.core.transport; // every provider served shares one network
        const now = transport.nowMs();
        let next = Number.POSITIVE_INFINITY;
        for (const job of [...this.parked]) {
          const ret = job.attempt();
          if (ret !== undefined) this.finish(job, ret);
          else if (now >= job.deadline) {
            job.dispose?.();
            this.finish(job, job.expire());
          }
          else next = Math.min(next, job.deadline);
        }
        if (this.parked.size === 0) return;
        const everyoneWaits = [...this.channels].every((c) => c.job !== null);
        if (!everyoneWaits) return this.armTimer(next);
        const outcome = transport.block(() => this.dirty, next === Number.POSITIVE_INFINITY ? undefined : next - now);
        if (outcome === 'unsupported') return this.armTimer(next); // real time: sockets and timers wake us
        if (outcome === 'idle') return this.armStall();
      }
    } finally {
      this.settling = false;
    }
  }

  /** Nothing in the network can complete the waiting calls; a thread may still call and change that. */
  private armStall(): void {
    if (this.stallTimer !== null) return;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      // A thread that has not called yet (one just started) may still wake the others.
      if (![...this.channels].every((c) => c.job !== null)) return;
      // As for any blocking call nothing can ever complete: WSAEINTR.
      for (const job of [...this.parked]) this.finish(job, this.interrupt(job));
    }, this.stallMs);
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
      args.forEach((a, i) => copyBack(a, m.args[i]));
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
        const r = this.nonBlocking(sock, () => p.WSPAccept!(...args));
        if (r === INVALID_SOCKET && lpErrno.value === WSAEWOULDBLOCK) return undefined;
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
    const write = (sets: (FD_SET | null)[]): void => {
      [r, w, x].forEach((set, i) => {
        if (set !== null && set !== undefined) copyBack(set, sets[i]);
      });
    };
    return {
      channel, args, cancellable: true,
      deadline: this.provider.core.transport.nowMs() + ms,
      attempt: () => {
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
