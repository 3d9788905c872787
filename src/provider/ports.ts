/**
 * The port table of one protocol and IP version on one host: who holds which local
 * address and port, Windows' rules for sharing them, and ephemeral port allocation.
 */
import { WSAEACCES, WSAEADDRINUSE } from './constants.js';
import type { Socket } from './socket.js';

/** Windows' dynamic port range since Vista. */
export const EPHEMERAL_FIRST = 49152;
export const EPHEMERAL_LAST = 65535;
const EPHEMERAL_COUNT = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;

/** What a bind asks for. */
export interface BindRequest {
  /** The address in this table's family ('0.0.0.0' / '::' for the wildcard). */
  readonly address: string;
  readonly wildcard: boolean;
  readonly reuseAddr: boolean;
  readonly exclusiveAddrUse: boolean;
  /**
   * The IPv4 side of a dual-stack IPv6 wildcard (IPV6_V6ONLY off): it conflicts with IPv4
   * binds only through SO_EXCLUSIVEADDRUSE (Wine's test_reuseaddr, exclusive matrix).
   */
  readonly weak?: boolean;
}

/** A stored hold as a record (made only when a bind is checked, not kept). */
function asHolder(hold: PortHolder | Socket): PortHolder {
  return 'socket' in hold ? hold : { socket: hold, address: hold.boundAddress, weak: false };
}

/** One socket's hold on a port of this table. */
export interface PortHolder {
  readonly socket: Socket;
  /** The address it holds, in this table's family. */
  readonly address: string;
  /** See {@link BindRequest.weak}. */
  readonly weak: boolean;
}

export class PortTable {
  /**
   * The holds on each port. A socket that holds its own bound address (almost every one: each
   * accepted connection is one) is stored as itself; only a hold on another address, or a weak
   * one, needs a {@link PortHolder} record — so an idle connection costs no extra object.
   */
  private readonly holders = new Map<number, Map<Socket, PortHolder | Socket>>();
  /** Ring of ephemeral ports believed free; a port is in it at most once. */
  private readonly ring = new Int32Array(EPHEMERAL_COUNT);
  private readonly inRing = new Uint8Array(EPHEMERAL_COUNT);
  private head = 0;
  private size = 0;

  constructor(readonly wildcardAddress: string) {
    for (let p = EPHEMERAL_FIRST; p <= EPHEMERAL_LAST; p++) this.enqueue(p);
  }

  /** Number of ports held by at least one socket. */
  get portsHeld(): number {
    return this.holders.size;
  }

  /** True if any socket holds the port. */
  isHeld(port: number): boolean {
    return this.holders.has(port);
  }

  /** The holds on a port (for tests and tools). */
  holdersOf(port: number): Iterable<PortHolder> | undefined {
    const set = this.holders.get(port);
    return set === undefined ? undefined : [...set.values()].map(asHolder);
  }

  /**
   * Whether `req` may bind `port`: 0, WSAEADDRINUSE or WSAEACCES, following Windows' rules for
   * SO_REUSEADDR and SO_EXCLUSIVEADDRUSE (see {@link sharing}).
   */
  check(port: number, req: BindRequest): number {
    const set = this.holders.get(port);
    if (set === undefined) return 0;
    for (const hold of set.values()) {
      const verdict = sharing(asHolder(hold), req, this.wildcardAddress);
      if (verdict !== 0) return verdict;
    }
    return 0;
  }

  add(port: number, socket: Socket, address: string = socket.boundAddress, weak = false): void {
    let set = this.holders.get(port);
    if (set === undefined) {
      set = new Map();
      this.holders.set(port, set);
    }
    set.set(socket, address === socket.boundAddress && !weak ? socket : { socket, address, weak });
  }

  remove(port: number, socket: Socket): void {
    const set = this.holders.get(port);
    if (set === undefined || !set.delete(socket)) return;
    if (set.size === 0) {
      this.holders.delete(port);
      if (port >= EPHEMERAL_FIRST) this.enqueue(port);
    }
  }

  /**
   * Picks a free ephemeral port, least recently used first; `usable(port)` may veto a port
   * (a connection tuple still in TIME_WAIT). Returns 0 when none is left (Windows: WSAENOBUFS).
   * Amortised O(1): a port leaves the ring when picked or found taken and re-enters when freed.
   */
  allocate(usable?: (port: number) => boolean): number {
    let vetoed = 0;
    while (this.size > 0 && vetoed < this.size) {
      const port = this.dequeue();
      if (this.holders.has(port)) continue; // taken by an explicit bind; re-enters when freed
      if (usable !== undefined && !usable(port)) {
        this.enqueue(port);
        vetoed++;
        continue;
      }
      return port;
    }
    return 0;
  }

  private enqueue(port: number): void {
    const i = port - EPHEMERAL_FIRST;
    if (this.inRing[i]) return;
    this.inRing[i] = 1;
    this.ring[(this.head + this.size) % EPHEMERAL_COUNT] = port;
    this.size++;
  }

  private dequeue(): number {
    const port = this.ring[this.head]!;
    this.head = (this.head + 1) % EPHEMERAL_COUNT;
    this.size--;
    this.inRing[port - EPHEMERAL_FIRST] = 0;
    return port;
  }
}

/**
 * One pair of Windows' sharing matrix, as Wine's test_reuseaddr records it (its exclusive table
 * and its SO_REUSEADDR cases). Only overlapping addresses can conflict: the same address, or
 * either side the wildcard.
 *
 * - The holder has SO_EXCLUSIVEADDRUSE: on the wildcard it covers every address of the port and
 *   any other bind gets WSAEACCES; on a specific address, that address gives WSAEADDRINUSE, and a
 *   wildcard bind beside it succeeds unless it asks for exclusivity itself.
 * - The request asks for SO_EXCLUSIVEADDRUSE: it fails with WSAEADDRINUSE over any address it
 *   would cover (its own, or every one for the wildcard); a specific address under a shared
 *   wildcard succeeds.
 * - Neither: a specific address beside the wildcard succeeds (the most specific listener gets
 *   the connections); the same address is WSAEADDRINUSE, unless both set SO_REUSEADDR; setting
 *   it only on the second socket gives WSAEACCES.
 * - A weak holder or request (the IPv4 side of a dual-stack IPv6 wildcard) counts only when
 *   it is exclusive.
 */
function sharing(holder: PortHolder, req: BindRequest, wildcard: string): number {
  const other = holder.socket;
  if (holder.weak && !other.exclusiveAddrUse) return 0;
  if (req.weak === true && !req.exclusiveAddrUse) return 0;
  const holderWildcard = holder.address === wildcard;
  const same = holder.address === req.address;
  if (!same && !holderWildcard && !req.wildcard) return 0;
  if (other.exclusiveAddrUse) {
    if (holderWildcard) return WSAEACCES;
    if (same) return WSAEADDRINUSE;
    return req.exclusiveAddrUse ? WSAEADDRINUSE : 0;
  }
  if (req.exclusiveAddrUse) return req.wildcard || same ? WSAEADDRINUSE : 0;
  if (!same) return 0;
  if (req.reuseAddr) return other.reuseAddr ? 0 : WSAEACCES;
  return WSAEADDRINUSE;
}
