/**
 * A socket's receive buffer: chunks as they arrived, read front to back into scatter
 * buffers, with or without consuming them (MSG_PEEK).
 */
/** The chunks of every empty queue (replaced on the first push, never written). */
const NO_CHUNKS: Uint8Array[] = [];

export class ByteQueue {
  private chunks: Uint8Array[] = NO_CHUNKS;
  private head = 0;
  private offset = 0;
  /** Bytes held. */
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.chunks === NO_CHUNKS) this.chunks = [];
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /** Moves everything from another queue to the end of this one. */
  absorb(other: ByteQueue): void {
    for (let i = other.head; i < other.chunks.length; i++) {
      const c = other.chunks[i]!;
      this.push(i === other.head ? c.subarray(other.offset) : c);
    }
    other.clear();
  }

  clear(): void {
    this.chunks = NO_CHUNKS;
    this.head = 0;
    this.offset = 0;
    this.length = 0;
  }

  /** Copies up to the buffers' total size into them, in order; consumes unless `peek`. Returns the count. */
  read(targets: readonly Uint8Array[], peek: boolean): number {
    let copied = 0;
    let ci = this.head;
    let co = this.offset;
    for (const t of targets) {
      let filled = 0;
      while (filled < t.length && ci < this.chunks.length) {
        const c = this.chunks[ci]!;
        const n = Math.min(t.length - filled, c.length - co);
        t.set(co === 0 && n === c.length ? c : c.subarray(co, co + n), filled); // a view only for part of a chunk
        filled += n;
        co += n;
        if (co === c.length) {
          ci++;
          co = 0;
        }
      }
      copied += filled;
      if (ci === this.chunks.length) break;
    }
    if (!peek) {
      this.length -= copied;
      this.head = ci;
      this.offset = co;
      if (this.head === this.chunks.length) this.clear();
      else if (this.head > 64 && this.head * 2 > this.chunks.length) {
        this.chunks.splice(0, this.head);
        this.head = 0;
      }
    }
    return copied;
  }
}
