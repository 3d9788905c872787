/**
 * A host's connections by 4-tuple. The key is built from the two ports alone, a small integer V8
 * hashes without allocating (a string key cost a concatenation and a string hash per segment);
 * the rare connections that share it — same ports, other addresses — sit in a short list.
 */

/** What the table needs of a connection. */
export interface Tupled {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** 16 bits of the local port and 14 of the remote one: always a Smi (< 2^30). */
function portKey(localPort: number, remotePort: number): number {
  return localPort * 16384 + (remotePort & 0x3fff);
}

function matches(c: Tupled, localAddress: string, localPort: number, remoteAddress: string, remotePort: number): boolean {
  return c.localPort === localPort && c.remotePort === remotePort && c.remoteAddress === remoteAddress && c.localAddress === localAddress;
}

export class TupleTable<C extends Tupled> {
  private readonly byPorts = new Map<number, C | C[]>();
  /** Number of connections held. */
  size = 0;

  get(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): C | undefined {
    const slot = this.byPorts.get(portKey(localPort, remotePort));
    if (slot === undefined) return undefined;
    if (!Array.isArray(slot)) return matches(slot, localAddress, localPort, remoteAddress, remotePort) ? slot : undefined;
    for (const c of slot) if (matches(c, localAddress, localPort, remoteAddress, remotePort)) return c;
    return undefined;
  }

  /** Adds a connection; the caller guarantees its tuple is not in the table. */
  add(conn: C): void {
    const key = portKey(conn.localPort, conn.remotePort);
    const slot = this.byPorts.get(key);
    if (slot === undefined) this.byPorts.set(key, conn);
    else if (Array.isArray(slot)) slot.push(conn);
    else this.byPorts.set(key, [slot, conn]);
    this.size++;
  }

  /** Removes this very connection (not another one with its tuple). */
  delete(conn: C): void {
    const key = portKey(conn.localPort, conn.remotePort);
    const slot = this.byPorts.get(key);
    if (slot === conn) {
      this.byPorts.delete(key);
      this.size--;
    } else if (Array.isArray(slot)) {
      const i = slot.indexOf(conn);
      if (i < 0) return;
      slot.splice(i, 1);
      if (slot.length === 1) this.byPorts.set(key, slot[0]!);
      this.size--;
    }
  }

  /** Every connection, in a list of its own (safe to change the table while walking it). */
  all(): C[] {
    const out: C[] = [];
    for (const slot of this.byPorts.values()) {
      if (Array.isArray(slot)) out.push(...slot);
      else out.push(slot);
    }
    return out;
  }
}
