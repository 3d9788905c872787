/**
 * A pool of send buffers of the size bulk senders use (a default send buffer, 64 KiB). A sender
 * asks for a buffer, fills it, hands it to its transport, which claims it back and recycles it
 * once nothing reads it any more (TCP: every byte acknowledged; the host network: Node wrote it).
 * An allocation per 64 KiB send was the largest cost of a bulk transfer.
 */

/** Pooled size, and the smallest request served from the pool (smaller ones are cheap to allocate). */
const POOLED_SIZE = 65536;
const POOLED_MIN = 16384;
/** Spare buffers kept. */
const POOL_LIMIT = 16;

export class SendBufferPool {
  private readonly spare: Uint8Array[] = [];
  /** The buffer last lent, until {@link claim} recognises it. */
  private handedOut: Uint8Array | null = null;

  /** `allocate` makes buffers whose bytes the caller overwrites (they need not be zeroed). */
  constructor(private readonly allocate: (length: number) => Uint8Array = (length) => new Uint8Array(length)) {}

  /** An array of `length` bytes to fill: a view of a pooled buffer for the sizes bulk senders use. */
  lend(length: number): Uint8Array {
    if (length < POOLED_MIN || length > POOLED_SIZE) return this.allocate(length);
    const buffer = this.spare.pop() ?? this.allocate(POOLED_SIZE);
    this.handedOut = buffer;
    return length === POOLED_SIZE ? buffer : buffer.subarray(0, length);
  }

  /** The whole pooled buffer behind `bytes` if it is the one just lent, else null (not pooled). */
  claim(bytes: Uint8Array): Uint8Array | null {
    const lent = this.handedOut;
    if (lent === null || bytes.buffer !== lent.buffer) return null;
    this.handedOut = null;
    return lent;
  }

  /** Nothing reads a claimed buffer any more: it may be lent again. */
  recycle(buffer: Uint8Array): void {
    if (this.spare.length < POOL_LIMIT) this.spare.push(buffer);
  }
}
