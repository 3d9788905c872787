/**
 * Waiting without blocking: promises that resolve when a condition on some socket holds. On the
 * virtual network nothing moves unless somebody runs it, so once the program has nothing else
 * to do (a macrotask later), the driver runs the simulation until a waiter can go on.
 *
 * The stall rule. A simulation with nothing left to run ("idle") is not a failure by itself:
 * code outside it — a JavaScript timer, another promise, a worker thread — may still call and
 * wake the waiters. A wait fails as stalled (WSAEINTR, the code of a blocking call that nothing
 * can complete) only once the simulation has stayed idle, with no socket of the network
 * changing and no new wait starting, for the wait's `stallMs` of real time (default 1000 ms,
 * the threads layer's grace): when its grace ends the driver runs the simulation once more and
 * fails the wait only if that still moves nothing. The host network has no such rule: its own
 * sockets and the operating system wake the waiters, and a wait lasts until it is satisfied
 * or aborted.
 */
import { WSAEINTR } from '../provider/constants.js';
import type { ProviderCore } from '../provider/provider.js';
import { WinsockError } from './winsock-error.js';

/** Real time (ms) an idle simulation may stay idle before a wait on it fails as stalled. */
export const DEFAULT_STALL_MS = 1000;

interface Waiter {
  ready(): boolean;
  /** This wait's grace (ms of real time) on an idle simulation; Infinity: never stalls. */
  readonly stallMs: number;
  resolve(): void;
  reject(e: unknown): void;
}

/** Runs `fn` once pending promise continuations and I/O callbacks have had their turn. */
const later: (fn: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (fn) => (globalThis as unknown as { setImmediate(f: () => void): void }).setImmediate(fn)
    : (fn) => setTimeout(fn, 0);

/** Real time in milliseconds (Node and browsers both have `performance`). */
const realNow = (): number => performance.now();

/** A `stallMs` option as given: a number of milliseconds >= 0 (Infinity allowed), else RangeError. */
export function checkStallMs(value: unknown): number {
  if (value === undefined) return DEFAULT_STALL_MS;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new RangeError(`stallMs must be a number of milliseconds >= 0, got ${String(value)}`);
  }
  return value;
}

const drivers = new WeakMap<object, Driver>();

/** The driver of the network `core` belongs to (one per network: its hosts share one clock). */
export function driverOf(core: ProviderCore): Driver {
  let d = drivers.get(core.transport.domain);
  if (d === undefined) {
    d = new Driver(core);
    drivers.set(core.transport.domain, d);
  }
  d.watch(core);
  return d;
}

export class Driver {
  private readonly waiters = new Set<Waiter>();
  private readonly cores = new WeakSet<ProviderCore>();
  private pumpQueued = false;
  /** True while the driver itself runs the simulation (its changes need no further pump). */
  private pumping = false;
  /** The network cannot be run from here (the host network): its own events wake the waiters. */
  private passive = false;
  /** Waiters resolved so far: a pump stops as soon as one more program continuation can run. */
  private resolved = 0;
  /** Socket changes and new waits: anything that may let an idle simulation move again. */
  private activity = 0;
  /** When the simulation was found idle (real ms), and `activity` then; null while it is not. */
  private idle: { at: number; activity: number } | null = null;
  private stallTimer: ReturnType<typeof setTimeout> | null = null;

  private readonly check = (): void => {
    for (const w of this.waiters) {
      if (w.ready()) {
        this.waiters.delete(w);
        this.resolved++;
        w.resolve();
      }
    }
    if (this.waiters.size === 0) this.clearStall();
  };

  /** A socket of the network changed: waiters may go on, and the network may have work again. */
  private readonly changed = (): void => {
    this.check();
    if (this.pumping) return;
    this.activity++;
    if (this.waiters.size > 0) this.queuePump();
  };

  constructor(private readonly core: ProviderCore) {}

  watch(core: ProviderCore): void {
    if (this.cores.has(core)) return;
    this.cores.add(core);
    core.watchers.add(this.changed);
  }

  /**
   * Resolves once `ready()` holds; rejects with `signal.reason` once the signal aborts, or (on
   * the virtual network) with WSAEINTR once the simulation has been idle for `stallMs` (above).
   */
  wait(ready: () => boolean, signal?: AbortSignal, stallMs = DEFAULT_STALL_MS): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (ready()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiters.delete(w);
        if (this.waiters.size === 0) this.clearStall();
        reject(signal!.reason);
      };
      const w: Waiter = {
        ready,
        stallMs,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(w);
      this.activity++; // the program is still acting: every grace starts again
      this.queuePump();
    });
  }

  private queuePump(): void {
    if (this.pumpQueued || this.passive) return;
    this.pumpQueued = true;
    later(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Virtual network: run it until a waiter can go on. Host network: its own events wake us. */
  private pump(): void {
    if (this.waiters.size === 0) return;
    const before = this.resolved;
    const progressed = () => this.resolved > before || [...this.waiters].some((w) => w.ready());
    this.pumping = true;
    let outcome;
    try {
      outcome = this.core.transport.block(progressed);
    } finally {
      this.pumping = false;
    }
    this.check();
    if (outcome === 'unsupported') {
      this.passive = true;
      return;
    }
    if (this.waiters.size === 0) return;
    if (outcome === 'idle' && this.resolved === before) this.stalling();
    else {
      this.idle = null;
      this.queuePump();
    }
  }

  /**
   * The simulation is idle and no waiter can go on: start (or go on with) the grace, and fail
   * the waits whose grace has run out with nothing having happened since the idle began.
   */
  private stalling(): void {
    const now = realNow();
    if (this.idle === null || this.idle.activity !== this.activity) {
      this.idle = { at: now, activity: this.activity };
    } else {
      const elapsed = now - this.idle.at;
      for (const w of [...this.waiters]) {
        if (w.stallMs > elapsed) continue;
        this.waiters.delete(w);
        // As for a blocking call nothing can complete: WSAEINTR.
        w.reject(new WinsockError(WSAEINTR, 'wait'));
      }
      if (this.waiters.size === 0) {
        this.idle = null;
        return this.clearStall();
      }
    }
    this.armStall(this.idle.at);
  }

  /** One timer, for the wait whose grace ends first; when it fires, the simulation is tried again. */
  private armStall(idleAt: number): void {
    this.clearStall();
    let first = Number.POSITIVE_INFINITY;
    for (const w of this.waiters) first = Math.min(first, w.stallMs);
    if (first === Number.POSITIVE_INFINITY) return;
    // A timer may fire up to a millisecond early: one more keeps the grace at least `stallMs`.
    const delay = Math.max(0, idleAt + first - realNow()) + 1;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      this.pump();
    }, delay);
  }

  private clearStall(): void {
    if (this.stallTimer === null) return;
    clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }
}
