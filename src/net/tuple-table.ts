/**
 * A host's connections by 4-tuple. The key is built from the two ports alone, a small integer V8
 * hashes without allocating (a string key cost a concatenation and a string hash per segment);
 * connections that share it — same ports, other addresses — sit in a short list, and once many
 * do (every client host picks the same first ephemeral port) in a map by remote address, so a
 * lookup never walks a list that grows with the number of hosts.
 */

/** What the table needs of a connection. */
export interface Tupled {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** A slot holds one connection, a short list, or (past {@link LIST_LIMIT}) a map by remote address. */
type Slot<C> = C | C[] | Map<string, C | C[]>;

const LIST_LIMIT = 8;

/** 16 bits of the local port and 14 of the remote one: always a Smi (< 2^30). */
function portKey(localPort: number, remotePort: number): number {
  return localPort * 16384 + (remotePort & 0x3fff);
}

function matches(c: Tupled, localAddress: string, localPort: number, remoteAddress: string, remotePort: number): boolean {
  return c.localPort === localPort && c.remotePort === remotePort && c.remoteAddress === remoteAddress && c.localAddress === localAddress;
}

function find<C extends Tupled>(entry: C | C[], localAddress: string, localPort: number, remoteAddress: string, remotePort: number): C | undefined {
  if (!Array.isArray(entry)) return matches(entry, localAddress, localPort, remoteAddress, remotePort) ? entry : undefined;
  for (const c of entry) if (matches(c, localAddress, localPort, remoteAddress, remotePort)) return c;
  return undefined;
}

/** Adds to a one-or-list entry; returns the entry to store. */
function withAdded<C>(entry: C | C[] | undefined, conn: C): C | C[] {
  if (entry === undefined) return conn;
  if (Array.isArray(entry)) {
    entry.push(conn);
    return entry;
  }
  return [entry, conn];
}

/** Removes from a one-or-list entry; returns what is left (undefined: nothing), or null if `conn` was not there. */
function withRemoved<C>(entry: C | C[], conn: C): C | C[] | undefined | null {
  if (entry === conn) return undefined;
  if (!Array.isArray(entry)) return null;
  const i = entry.indexOf(conn);
  if (i < 0) return null;
  entry.splice(i, 1);
  return entry.length === 1 ? entry[0]! : entry;
}

export class TupleTable<C extends Tupled> {
  private readonly byPorts = new Map<number, Slot<C>>();
  /** Number of connections held. */
  size = 0;

  get(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): C | undefined {
    const slot = this.byPorts.get(portKey(localPort, remotePort));
    if (slot === undefined) return undefined;
    if (slot instanceof Map) {
      const entry = slot.get(remoteAddress);
      return entry === undefined ? undefined : find(entry, localAddress, localPort, remoteAddress, remotePort);
    }
    return find(slot, localAddress, localPort, remoteAddress, remotePort);
  }

  /** Adds a connection; the caller guarantees its tuple is not in the table. */
  add(conn: C): void {
    const key = portKey(conn.localPort, conn.remotePort);
    const slot = this.byPorts.get(key);
    this.size++;
    if (slot instanceof Map) {
      slot.set(conn.remoteAddress, withAdded(slot.get(conn.remoteAddress), conn));
      return;
    }
    const entry = withAdded(slot, conn);
    if (Array.isArray(entry) && entry.length > LIST_LIMIT) {
      const byRemote = new Map<string, C | C[]>();
      for (const c of entry) byRemote.set(c.remoteAddress, withAdded(byRemote.get(c.remoteAddress), c));
      this.byPorts.set(key, byRemote);
    } else if (entry !== slot) {
      this.byPorts.set(key, entry);
    }
  }

  /** Removes this very connection (not another one with its tuple). */
  delete(conn: C): void {
    const key = portKey(conn.localPort, conn.remotePort);
    const slot = this.byPorts.get(key);
    if (slot === undefined) return;
    if (slot instanceof Map) {
      const entry = slot.get(conn.remoteAddress);
      if (entry === undefined) return;
      const left = withRemoved(entry, conn);
      if (left === null) return;
      if (left === undefined) slot.delete(conn.remoteAddress);
      else slot.set(conn.remoteAddress, left);
      if (slot.size === 0) this.byPorts.delete(key);
      this.size--;
      return;
    }
    const left = withRemoved(slot, conn);
    if (left === null) return;
    if (left === undefined) this.byPorts.delete(key);
    else this.byPorts.set(key, left);
    this.size--;
  }

  /** Every connection, in a list of its own (safe to change the table while walking it). */
  all(): C[] {
    const out: C[] = [];
    const take = (entry: C | C[]) => {
      if (Array.isArray(entry)) out.push(...entry);
      else out.push(entry);
    };
    for (const slot of this.byPorts.values()) {
      if (slot instanceof Map) for (const entry of slot.values()) take(entry);
      else take(slot);
    }
    return out;
  }
}
