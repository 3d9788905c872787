/**
 * The queue of a listening socket: connection requests acknowledged and held until
 * WSPAccept takes them. Every entry holds a descriptor reserved for the socket it will
 * become, as the Windows AFD driver pre-allocates its connection objects.
 */
import { ByteQueue } from './byte-queue.js';
import type { StreamConnection, StreamEvents, StreamFailReason, SynVerdict } from './transport.js';
import type { ListenHandle } from './transport.js';
import type { Socket } from './socket.js';

/** Where a queued connection is. */
export type PendingState =
  /** SYN acknowledged, handshake not finished. */
  | 'handshake'
  /** SYN held for the condition function (SO_CONDITIONAL_ACCEPT). */
  | 'held'
  /** Established, waiting for WSPAccept. */
  | 'ready'
  /** Reset by the peer after being indicated; WSPAccept reports WSAECONNRESET for it. */
  | 'reset';

/** What the queue needs from the provider that owns it. */
export interface QueueOwner {
  /** Reserves a descriptor (and its memory) for a connection; false if none is left. */
  reserveDescriptor(): boolean;
  releaseDescriptor(): void;
  nowMs(): number;
  /** What a full queue does with a SYN: answer RST (Windows) or ignore it (Linux). */
  readonly fullQueue: 'reset' | 'drop';
  /** A queued connection changed state (readiness for the data-path issue). */
  queueChanged(listener: Socket): void;
}

/** Counters for tests, tools and the demonstration (non-standard). */
export interface ListenStats {
  /** Connection requests taken into the queue. */
  queued: number;
  /** Refused because the queue was full. */
  refusedFull: number;
  /** Refused because no descriptor (or memory) was available, or listening was suspended for that. */
  refusedNoDescriptor: number;
  /** Queued connections reset by a lower backlog or the listener's close. */
  resetByListener: number;
  /** Queued connections the peer withdrew or reset before WSPAccept. */
  withdrawn: number;
  /** Handed out by WSPAccept. */
  accepted: number;
}

export class PendingConnection implements StreamEvents {
  state: PendingState;
  /** Data and end-of-stream received before WSPAccept (moved to the accepted socket). */
  readonly received = new ByteQueue();
  peerClosed = false;
  /**
   * Taken by a posted AcceptEx while its handshake is still to finish (a SYN held by
   * SO_CONDITIONAL_ACCEPT): WSPAccept no longer sees it.
   */
  claimed = false;

  constructor(
    readonly queue: ListenQueue,
    readonly conn: StreamConnection,
    readonly arrivedAtMs: number,
    held: boolean,
  ) {
    this.state = held ? 'held' : 'handshake';
  }

  established(): void {
    this.state = 'ready';
    this.queue.changed();
  }

  failed(_conn: StreamConnection, _reason: StreamFailReason): void {
    if (this.state === 'ready') {
      this.state = 'reset';
      this.queue.changed();
    } else {
      this.queue.withdraw(this);
    }
  }

  remoteClosed(): void {
    this.peerClosed = true;
  }

  data(_conn: StreamConnection, bytes: Uint8Array, owned = false): void {
    if (owned) this.received.adopt(bytes);
    else this.received.push(bytes);
  }

  acked(): void {}

  closed(): void {}
}

export class ListenQueue {
  /** Effective backlog after clamping. */
  backlog: number;
  /** Listening stopped for lack of descriptors; resumes only on WSPListen/WSPAccept. */
  suspended = false;
  /** Arrival order is insertion order; deletion anywhere is O(1). */
  readonly entries = new Map<StreamConnection, PendingConnection>();
  readonly stats: ListenStats = { queued: 0, refusedFull: 0, refusedNoDescriptor: 0, resetByListener: 0, withdrawn: 0, accepted: 0 };
  handle: ListenHandle | null = null;
  /**
   * AcceptEx calls posted on the listener and still waiting for a connection: each takes the next
   * connection straight from the network, so each adds one place to the backlog
   * (docs/semantics.md, "AcceptEx and the backlog").
   */
  posted = 0;

  constructor(
    readonly owner: QueueOwner,
    readonly listener: Socket,
    backlog: number,
  ) {
    this.backlog = backlog;
  }

  /** The transport's question when a SYN arrives. */
  onSyn(conn: StreamConnection): SynVerdict {
    if (this.suspended) {
      this.stats.refusedNoDescriptor++;
      return 'refuse';
    }
    if (this.entries.size >= this.backlog + this.posted) {
      this.stats.refusedFull++;
      return this.owner.fullQueue === 'drop' ? 'drop' : 'refuse';
    }
    if (!this.owner.reserveDescriptor()) {
      this.suspended = true;
      this.stats.refusedNoDescriptor++;
      return 'refuse';
    }
    const held = this.listener.conditionalAccept;
    const pending = new PendingConnection(this, conn, this.owner.nowMs(), held);
    conn.events = pending;
    // The SYN-ACK already advertises the window the accepted socket will have (it inherits SO_RCVBUF).
    conn.setReceiveBuffer(this.listener.receiveBuffer);
    this.entries.set(conn, pending);
    this.stats.queued++;
    this.changed();
    return held ? 'defer' : 'accept';
  }

  /** Oldest entry WSPAccept may take: a held one (conditional accept) or a ready/reset one. */
  first(): PendingConnection | undefined {
    for (const entry of this.entries.values()) {
      if (entry.state !== 'handshake' && !entry.claimed) return entry;
    }
    return undefined;
  }

  /** Number of entries in each state. */
  counts(): { handshake: number; held: number; ready: number; reset: number } {
    const c = { handshake: 0, held: 0, ready: 0, reset: 0 };
    for (const e of this.entries.values()) c[e.state]++;
    return c;
  }

  /** Removes an entry that becomes a socket; its descriptor passes to that socket. */
  take(entry: PendingConnection): void {
    this.entries.delete(entry.conn);
    this.stats.accepted++;
    this.changed();
  }

  /** Resets an entry (RST) and frees its descriptor. */
  reject(entry: PendingConnection): void {
    this.entries.delete(entry.conn);
    entry.conn.events = null;
    entry.conn.abort();
    this.owner.releaseDescriptor();
    this.changed();
  }

  /** Drops an entry whose connection is already gone. */
  discard(entry: PendingConnection): void {
    this.entries.delete(entry.conn);
    entry.conn.events = null;
    this.owner.releaseDescriptor();
    this.changed();
  }

  /** The peer withdrew a request before it was established. */
  withdraw(entry: PendingConnection): void {
    if (!this.entries.has(entry.conn)) return;
    this.stats.withdrawn++;
    this.discard(entry);
  }

  /** Applies a new backlog: the newest entries beyond it are reset and dropped. */
  setBacklog(backlog: number): number {
    this.backlog = backlog;
    const excess = this.entries.size - backlog;
    if (excess <= 0) return 0;
    const newest = [...this.entries.values()].slice(-excess);
    for (const entry of newest) {
      this.stats.resetByListener++;
      this.reject(entry);
    }
    return excess;
  }

  /** Closing the listener: every queued connection is reset. */
  close(): void {
    this.handle?.close();
    this.handle = null;
    for (const entry of [...this.entries.values()]) {
      this.stats.resetByListener++;
      this.reject(entry);
    }
  }

  /** @internal */
  changed(): void {
    this.owner.queueChanged(this.listener);
  }
}
