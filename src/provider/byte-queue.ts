/**
 * A socket's receive buffer: a ring the arriving bytes are copied into, read front to back
 * into scatter buffers, with or without consuming them (MSG_PEEK).
 *
 * Copying on arrival (as a kernel does) means the queue never holds a view of anyone else's
 * memory, so a sender may reuse its buffers once the bytes are acknowledged; one ring per
 * connection replaces an allocation per segment. The ring grows to what is held (a power of two)
 * and is kept until {@link clear}. Bytes that are the receiver's own already (a read from the
 * operating system) are {@link adopt}ed instead: held as they are while the queue has nothing else.
 */
const NO_BYTES = new Uint8Array(0);
const SMALLEST_RING = 256;

export class ByteQueue {
  private ring: Uint8Array = NO_BYTES;
  /** Adopted bytes, read from `head` on, while the ring is unused (null otherwise). */
  private adopted: Uint8Array | null = null;
  /** Index of the first unread byte in the ring. */
  private head = 0;
  /** Bytes held. */
  length = 0;

  /** Copies bytes in. */
  push(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n === 0) return;
    if (this.adopted !== null) this.unadopt();
    if (this.length + n > this.ring.length) this.grow(this.length + n);
    const ring = this.ring;
    const tail = (this.head + this.length) & (ring.length - 1);
    const first = Math.min(n, ring.length - tail);
    ring.set(first === n ? bytes : bytes.subarray(0, first), tail);
    if (first < n) ring.set(bytes.subarray(first), 0);
    this.length += n;
  }

  /** Takes bytes nobody else will touch: kept without a copy if the queue is empty. */
  adopt(bytes: Uint8Array): void {
    if (this.length === 0 && bytes.length > 0) {
      this.adopted = bytes;
      this.head = 0;
      this.length = bytes.length;
    } else {
      this.push(bytes);
    }
  }

  /** Moves adopted bytes into the ring (more bytes are coming behind them). */
  private unadopt(): void {
    const rest = this.adopted!.subarray(this.head, this.head + this.length);
    this.adopted = null;
    this.head = 0;
    this.length = 0;
    this.push(rest);
  }

  /** Moves everything from another queue to the end of this one. */
  absorb(other: ByteQueue): void {
    if (other.length === 0) return;
    if (other.adopted !== null) other.unadopt();
    const ring = other.ring;
    const end = other.head + other.length;
    if (end <= ring.length) this.push(ring.subarray(other.head, end));
    else {
      this.push(ring.subarray(other.head));
      this.push(ring.subarray(0, end - ring.length));
    }
    other.clear();
  }

  /** Empties the queue and lets go of its ring. */
  clear(): void {
    this.ring = NO_BYTES;
    this.adopted = null;
    this.head = 0;
    this.length = 0;
  }

  /** Copies up to the buffers' total size into them, in order; consumes unless `peek`. Returns the count. */
  read(targets: readonly Uint8Array[], peek: boolean): number {
    if (this.adopted !== null) return this.readAdopted(targets, peek);
    const ring = this.ring;
    const mask = ring.length - 1;
    let at = this.head;
    let left = this.length;
    let copied = 0;
    for (const t of targets) {
      let filled = 0;
      while (filled < t.length && left > 0) {
        const n = Math.min(t.length - filled, left, ring.length - at);
        t.set(ring.subarray(at, at + n), filled);
        filled += n;
        left -= n;
        at = (at + n) & mask;
      }
      copied += filled;
      if (left === 0) break;
    }
    if (!peek) {
      this.length = left;
      this.head = left === 0 ? 0 : at;
    }
    return copied;
  }

  private readAdopted(targets: readonly Uint8Array[], peek: boolean): number {
    const bytes = this.adopted!;
    let at = this.head;
    const end = at + this.length;
    for (const t of targets) {
      if (at === end) break;
      const n = Math.min(t.length, end - at);
      t.set(bytes.subarray(at, at + n));
      at += n;
    }
    const copied = at - this.head;
    if (!peek) {
      this.length -= copied;
      this.head = at;
      if (this.length === 0) {
        this.adopted = null;
        this.head = 0;
      }
    }
    return copied;
  }

  private grow(needed: number): void {
    let size = Math.max(SMALLEST_RING, this.ring.length);
    while (size < needed) size *= 2;
    const bigger = new Uint8Array(size);
    const held = this.length;
    this.read([bigger], true);
    this.ring = bigger;
    this.head = 0;
    this.length = held;
  }
}
