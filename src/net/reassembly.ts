/**
 * Out-of-order segments a receiver keeps until the hole before them is filled (RFC 9293
 * §3.10.7.4: segments beyond RCV.NXT are held, not dropped). Sequence numbers are 32-bit.
 */
import { seqAdd, seqLe, seqLt } from './segment.js';

interface Piece {
  seq: number;
  data: Uint8Array;
}

export class Reassembly {
  /** Held pieces in sequence order, not overlapping each other. */
  private pieces: Piece[] = [];
  /** Sequence number just past a FIN that arrived early, if one did. */
  finAt: number | null = null;

  get size(): number {
    return this.pieces.length;
  }

  /** Keeps `data` starting at `seq` (after `rcvNxt`), trimming what is already held. */
  insert(seq: number, data: Uint8Array): void {
    let start = seq;
    let bytes = data;
    const out: Piece[] = [];
    let placed = false;
    for (const p of this.pieces) {
      const pEnd = seqAdd(p.seq, p.data.length);
      if (placed || seqLe(pEnd, start)) {
        out.push(p);
        continue;
      }
      const end = seqAdd(start, bytes.length);
      if (seqLe(end, p.seq)) {
        out.push({ seq: start, data: bytes }, p);
        placed = true;
        continue;
      }
      // Overlap: keep what is held, add the parts of the new piece on either side.
      if (seqLt(start, p.seq)) out.push({ seq: start, data: bytes.subarray(0, (p.seq - start) >>> 0) });
      out.push(p);
      if (seqLe(end, pEnd)) {
        placed = true;
        continue;
      }
      bytes = bytes.subarray((pEnd - start) >>> 0);
      start = pEnd;
    }
    if (!placed && bytes.length > 0) out.push({ seq: start, data: bytes });
    this.pieces = out;
  }

  /** Removes and returns the bytes that now follow `rcvNxt` without a gap. */
  take(rcvNxt: number): Uint8Array[] {
    const got: Uint8Array[] = [];
    let next = rcvNxt;
    while (this.pieces.length > 0) {
      const p = this.pieces[0]!;
      if (seqLt(next, p.seq)) break;
      this.pieces.shift();
      const end = seqAdd(p.seq, p.data.length);
      if (seqLe(end, next)) continue; // already delivered
      const part = p.data.subarray((next - p.seq) >>> 0);
      got.push(part);
      next = end;
    }
    return got;
  }

  clear(): void {
    this.pieces = [];
    this.finAt = null;
  }
}
