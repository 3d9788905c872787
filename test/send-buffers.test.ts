/**
 * Pooled send buffers: a host reuses a 64 KiB send buffer once its bytes are acknowledged. Late
 * duplicates and reordered copies of segments that still point into a reused buffer must never
 * reach a reader, and a reader that falls behind must still get every byte.

 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AF_INET, IPPROTO_TCP, SOCK_STREAM, VirtualNetwork } from '../src/index.js';

const e = () => ({ value: 0 });

/** Chunk `i` of the stream: every byte depends on its position, so a stale or misplaced byte shows. */
function chunk(i: number, size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, j) => (i * 131 + j * 7 + (j >> 8)) & 0xff);
}

test('property: with duplicates, reordering and jitter, 64 KiB sends arrive intact while their buffers are reused', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 60_000 }), (seed, lag) => {
    const net = new VirtualNetwork({ seed, duplicateRate: 0.2, reorderRate: 0.2, jitterMs: 0.3, lossRate: 0.02 });
    const a = net.addHost({ addresses: ['10.0.0.1'] }).provider;
    const b = net.addHost({ addresses: ['10.0.0.2'] }).provider;
    const l = a.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e());
    a.WSPBind(l, { family: AF_INET, address: '10.0.0.1', port: 9 }, 16, e());
    a.WSPListen(l, 5, e());
    const c = b.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e());
    assert.equal(b.WSPConnect(c, { family: AF_INET, address: '10.0.0.1', port: 9 }, 16, null, null, null, null, e()), 0);
    const s = a.WSPAccept(l, null, null, null, 0, e());
    const chunks = 24;
    const expected = Buffer.concat(Array.from({ length: chunks }, (_, i) => chunk(i, 65536)));
    const got: Uint8Array[] = [];
    let received = 0;
    const into = new Uint8Array(20_000);
    const n = e();
    const read = () => {
      const err = e();
      assert.equal(a.WSPRecv(s, [{ len: into.length, buf: into }], 1, n, { value: 0 }, null, null, null, err), 0, `recv: ${err.value}`);
      got.push(into.slice(0, n.value));
      received += n.value;
    };
    for (let i = 0; i < chunks; i++) {
      const err = e();
      // Blocking: returns once the 64 KiB are queued, which needs the reader to make room.
      const buf = chunk(i, 65536);
      // The reader stays up to `lag` bytes behind (what the send and receive buffers can hold).
      while (received < i * 65536 - lag) read();
      assert.equal(b.WSPSend(c, [{ len: buf.length, buf }], 1, n, 0, null, null, null, err), 0, `send: ${err.value}`);
    }
    b.WSPCloseSocket(c, e());
    for (;;) {
      read();
      if (n.value === 0) break;
    }
    assert.equal(Buffer.compare(Buffer.concat(got), expected), 0);
    return true;
  }), { numRuns: 12 });
});
