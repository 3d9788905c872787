// The completion-port object: its queue of completion packets, the callers waiting on it, and the network it waits through.
import type { BlockOutcome } from '../provider/transport.js';
import type { WSAOVERLAPPED } from '../spi/types.js';

/** One completion packet, as GetQueuedCompletionStatus hands it out. */
export interface CompletionPacket {
  /** The key the socket was associated with (PostQueuedCompletionStatus: the caller's). */
  readonly key: unknown;
  /** Bytes transferred (lpNumberOfBytes, dwNumberOfBytesTransferred). */
  readonly bytes: number;
  /** The operation's WSAOVERLAPPED, exactly the caller's object (fact 67); any value a post gave. */
  readonly overlapped: WSAOVERLAPPED | null;
  /** The NTSTATUS the operation ended with (STATUS_SUCCESS for a post). */
  readonly status: number;
}

/**
 * What a port needs from the provider that made it (its owner thread): a way to run the network
 * while a caller waits, and the owner thread's completion-routine queue (alertable waits).
 */
export interface PortOwner {
  /** Lets the network run until `done()` holds or `timeoutMs` passes (Transport.block). */
  block(done: () => boolean, timeoutMs?: number): BlockOutcome;
  /** True inside a provider callback: a wait there cannot run the network. */
  inCallback(): boolean;
  /** True where the caller's thread cannot wait (the host network's owner thread). */
  cannotBlock(): boolean;
  /** Completion routines queued for the owner thread (the default queue of `lpThreadId` null). */
  apcsQueued(): number;
  /** Runs them; true when any ran. */
  runApcs(): boolean;
}

/** How an asynchronous wait ended. */
export type WaitEnd = CompletionPacket | 'timeout' | 'abandoned';

/** An asynchronous waiter as an object (no closure per wait): told once how its wait ended. */
export interface PortWaiter {
  end(e: WaitEnd): void;
}

type Waiter = ((e: WaitEnd) => void) | PortWaiter;

function tell(w: Waiter, e: WaitEnd): void {
  if (typeof w === 'function') w(e);
  else w.end(e);
}

/**
 * A completion port (kernel32's I/O completion object). Packets are handed out first in, first
 * out; callers of {@link GetQueuedCompletionStatusAsync} waiting together are served last in,
 * first out, as Windows releases the threads waiting on a port. Closing it drops the packets
 * and ends every wait (ERROR_ABANDONED_WAIT_0).
 */
export class CompletionPort {
  readonly #brand = true;
  private readonly packets: CompletionPacket[] = [];
  private head = 0;
  private isClosed = false;
  /** Asynchronous waiters, most recent last. */
  private readonly waiters: Waiter[] = [];

  /** @internal Made by CreateIoCompletionPort. */
  constructor(
    /** @internal */
    readonly owner: PortOwner,
    /** NumberOfConcurrentThreads as given (0: as many as processors); kept, not enforced (ports are per owner thread). */
    readonly concurrency: number,
  ) {
    void this.#brand;
  }

  /** Brand check: a port this package made, whatever a look-alike claims. */
  static is(x: unknown): x is CompletionPort {
    return typeof x === 'object' && x !== null && #brand in x;
  }

  /** True once CloseHandle closed it. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Packets queued and not yet taken. */
  get size(): number {
    return this.packets.length - this.head;
  }

  /** Queues a packet, or hands it to the most recent asynchronous waiter. A closed port drops it. */
  post(packet: CompletionPacket): void {
    if (this.isClosed) return;
    if (this.waiters.length !== 0) {
      tell(this.waiters.pop()!, packet);
      return;
    }
    this.packets.push(packet);
  }

  /** The oldest packet, removed; undefined when none is queued. */
  take(): CompletionPacket | undefined {
    if (this.head >= this.packets.length) return undefined;
    const p = this.packets[this.head]!;
    this.head++;
    // Compact now and then, so a long-lived port does not keep every packet it ever held.
    if (this.head > 64 && this.head * 2 > this.packets.length) {
      this.packets.splice(0, this.head);
      this.head = 0;
    }
    return p;
  }

  /**
   * @internal Registers an asynchronous waiter; returns its removal (for its time-out). A
   * {@link PortWaiter} object is removed with {@link unwait} instead (the returned function works too).
   */
  wait(end: Waiter): () => void {
    this.waiters.push(end);
    return () => void this.unwait(end);
  }

  /** @internal Registers a {@link PortWaiter}; {@link unwait} removes it. */
  addWaiter(w: PortWaiter): void {
    this.waiters.push(w);
  }

  /** @internal Removes a waiter that is still waiting; false when it was not (already told). */
  unwait(end: Waiter): boolean {
    const i = this.waiters.lastIndexOf(end);
    if (i < 0) return false;
    this.waiters.splice(i, 1);
    return true;
  }

  /** CloseHandle: drops the packets and ends every wait with 'abandoned'. */
  close(): void {
    this.isClosed = true;
    this.packets.length = 0;
    this.head = 0;
    for (const w of this.waiters.splice(0).reverse()) tell(w, 'abandoned');
  }
}
