/**
 * A socket's receive buffer: a ring the arriving bytes are copied into, read front to back
 * into scatter buffers, with or without consuming them (MSG_PEEK).
 *
 * Copying on arrival (as a kernel does) means the queue never holds a view of anyone else's
 * memory, so a sender may reuse its buffers once the bytes are acknowledged; one ring per
 * connection replaces an allocation per segment. The ring grows to what is held (a power of two)
 * and is kept until {@link clear}.
 */
const NO_BYTES = new Uint8Array(0);
const SMALLEST_RING = 256;

export class ByteQueue {
  private ring: Uint8Array = NO_BYTES;
  /** Index of the first unread byte in the ring. */
  private head = 0;
  /** Bytes held. */
  length = 0;

  push(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n === 0) return;
    if (this.length + n > this.ring.length) this.grow(this.length + n);
    const ring = this.ring;
    const tail = (this.head + this.length) & (ring.length - 1);
    const first = Math.min(n, ring.length - tail);
    ring.set(first === n ? bytes : bytes.subarray(0, first), tail);
    if (first < n) ring.set(bytes.subarray(first), 0);
    this.length += n;
  }

  /** Moves everything from another queue to the end of this one. */
  absorb(other: ByteQueue): void {
    if (other.length === 0) return;
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
    this.head = 0;
    this.length = 0;
  }

  /** Copies up to the buffers' total size into them, in order; consumes unless `peek`. Returns the count. */
  read(targets: readonly Uint8Array[], peek: boolean): number {
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
