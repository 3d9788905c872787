/**
 * Waiting without blocking: promises that resolve when a condition on some socket holds. On the
 * virtual network nothing moves unless somebody runs it, so once the program has nothing else
 * to do (a macrotask later), the driver runs the simulation until a waiter can go on.
 */
import { WSAEINTR } from '../provider/constants.js';
import type { ProviderCore } from '../provider/provider.js';
import { WinsockError } from './winsock-error.js';

interface Waiter {
  ready(): boolean;
  resolve(): void;
  reject(e: unknown): void;
}

/** Runs `fn` once pending promise continuations and I/O callbacks have had their turn. */
const later: (fn: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (fn) => (globalThis as unknown as { setImmediate(f: () => void): void }).setImmediate(fn)
    : (fn) => setTimeout(fn, 0);

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
  /** The network cannot be run from here (the host network): its own events wake the waiters. */
  private passive = false;
  /** Waiters resolved so far: a pump stops as soon as one more program continuation can run. */
  private resolved = 0;
  private readonly check = (): void => {
    for (const w of this.waiters) {
      if (w.ready()) {
        this.waiters.delete(w);
        this.resolved++;
        w.resolve();
      }
    }
  };

  constructor(private readonly core: ProviderCore) {}

  watch(core: ProviderCore): void {
    if (this.cores.has(core)) return;
    this.cores.add(core);
    core.watchers.add(this.check);
  }

  /** Resolves once `ready()` holds; rejects on `signal`, or with WSAEINTR if it never can. */
  wait(ready: () => boolean, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (ready()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiters.delete(w);
        reject(signal!.reason);
      };
      const w: Waiter = {
        ready,
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
    const outcome = this.core.transport.block(progressed);
    this.check();
    if (outcome === 'idle' && this.resolved === before && this.waiters.size > 0) {
      // Nothing in the network can ever satisfy them: as a blocking call would, WSAEINTR.
      for (const w of [...this.waiters]) {
        this.waiters.delete(w);
        w.reject(new WinsockError(WSAEINTR, 'wait'));
      }
    }
    if (outcome === 'unsupported') this.passive = true;
    else if (this.waiters.size > 0) this.queuePump();
  }
}
