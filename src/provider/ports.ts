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
  readonly address: string;
  readonly wildcard: boolean;
  readonly reuseAddr: boolean;
  readonly exclusiveAddrUse: boolean;
}

export class PortTable {
  private readonly holders = new Map<number, Set<Socket>>();
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

  /** Sockets holding a port (for tests and the listen-time check). */
  holdersOf(port: number): ReadonlySet<Socket> | undefined {
    return this.holders.get(port);
  }

  /**
   * Whether `req` may bind `port`: 0, WSAEADDRINUSE or WSAEACCES, following the Windows
   * rules for SO_REUSEADDR and SO_EXCLUSIVEADDRUSE (docs/semantics.md, "Binding").
   */
  check(port: number, req: BindRequest): number {
    const set = this.holders.get(port);
    if (set === undefined) return 0;
    for (const other of set) {
      const verdict = sharing(other, req, this.wildcardAddress);
      if (verdict !== 0) return verdict;
    }
    return 0;
  }

  add(port: number, socket: Socket): void {
    let set = this.holders.get(port);
    if (set === undefined) {
      set = new Set();
      this.holders.set(port, set);
    }
    set.add(socket);
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
 * One pair of the Windows sharing matrix. Only overlapping addresses conflict: the same
 * specific address, or either side the wildcard. Windows does not treat a specific address
 * and the wildcard on one port as a conflict unless exclusivity is asked for.
 */
function sharing(holder: Socket, req: BindRequest, wildcard: string): number {
  const holderWildcard = holder.boundAddress === wildcard;
  const overlap = holderWildcard || req.wildcard || holder.boundAddress === req.address;
  if (!overlap) return 0;
  const same = holder.boundAddress === req.address;
  if (holder.exclusiveAddrUse || req.exclusiveAddrUse) return WSAEADDRINUSE;
  if (!same) return 0; // specific beside wildcard: allowed, most specific wins at demux
  if (req.reuseAddr) return holder.reuseAddr ? 0 : WSAEACCES;
  return WSAEADDRINUSE;
}
