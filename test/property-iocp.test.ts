/**
 * Completion ports under random load (fast-check): overlapped sends and receives posted at random
 * on several connected sockets associated with one port, the peers sending and reading at
 * random, the network stepping and GetQueuedCompletionStatus taking packets between. Whatever
 * the interleaving, every operation the provider accepted (0 or WSA_IO_PENDING) delivers exactly
 * one packet, with its socket's key and its own OVERLAPPED, and a socket's packets of one
 * direction come in the order the operations were posted; an operation refused at once delivers
 * none. The runs must reach pending completions (and with bytes) often, or the property proves
 * little: the last test checks how many they reached.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as W from '../src/index.js';

const SOCKETS = 3;

const step = fc.oneof(
  fc.record({ kind: fc.constant('recv' as const), i: fc.nat(SOCKETS - 1), size: fc.integer({ min: 1, max: 4000 }) }),
  fc.record({ kind: fc.constant('send' as const), i: fc.nat(SOCKETS - 1), size: fc.integer({ min: 1, max: 40000 }) }),
  fc.record({ kind: fc.constant('peerSend' as const), i: fc.nat(SOCKETS - 1), size: fc.integer({ min: 1, max: 6000 }) }),
  fc.record({ kind: fc.constant('peerRecv' as const), i: fc.nat(SOCKETS - 1), size: fc.integer({ min: 1, max: 30000 }) }),
  fc.record({ kind: fc.constant('run' as const), ms: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ kind: fc.constant('take' as const), max: fc.integer({ min: 1, max: 4 }) }),
);

/** How much the runs did. */
const reached = { packets: 0, pended: 0, pendedWithBytes: 0, immediate: 0, refused: 0, failed: 0 };

interface Op {
  readonly ov: W.WSAOVERLAPPED;
  readonly i: number;
  readonly direction: 'recv' | 'send';
  readonly pended: boolean;
}

test('random overlapped sends and receives on several sockets of one port deliver exactly one packet per operation, in per-socket posting order', () => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 5, maxLength: 60 }), fc.nat(1000), (steps, seed) => {
      const net = new W.VirtualNetwork({ seed, timeWaitMs: 1000 });
      const a = net.addHost({ addresses: ['10.0.0.1'] }).provider;
      const b = net.addHost({ addresses: ['10.0.0.2'] }).provider;
      const e = { value: 0 };
      const ls = b.WSPSocket(W.AF_INET, W.SOCK_STREAM, 0, null, 0, 0, e);
      assert.equal(b.WSPBind(ls, { family: W.AF_INET, address: '10.0.0.2', port: 80 }, 16, e), 0);
      assert.equal(b.WSPListen(ls, SOCKETS, e), 0);
      const port = b.CreateIoCompletionPort(W.INVALID_HANDLE_VALUE, null, 0, 0, e)!;
      assert.ok(port !== null);
      const peers: number[] = [];
      const socks: number[] = [];
      const nb = new Uint8Array([1, 0, 0, 0]);
      for (let i = 0; i < SOCKETS; i++) {
        const c = a.WSPSocket(W.AF_INET, W.SOCK_STREAM, 0, null, 0, 0, e);
        assert.equal(a.WSPConnect(c, { family: W.AF_INET, address: '10.0.0.2', port: 80 }, 16, null, null, null, null, e), 0);
        const s = b.WSPAccept(ls, null, null, null, 0, e);
        assert.notEqual(s, W.INVALID_SOCKET);
        assert.equal(a.WSPIoctl(c, W.FIONBIO, nb, 4, null, 0, { value: 0 }, null, null, null, e), 0);
        assert.equal(b.CreateIoCompletionPort(s, port, `key ${i}`, 0, e), port);
        peers.push(c);
        socks.push(s);
      }
      const posted: Op[] = [];
      const packets: W.CompletionPacket[] = [];
      const take = (max: number, ms: number): void => {
        for (let n = 0; n < max; n++) {
          const bytes = { value: 0 };
          const key = { value: null as unknown };
          const ov = { value: null as W.WSAOVERLAPPED | null };
          const ret = W.GetQueuedCompletionStatus(port, bytes, key, ov, ms, e);
          if (ov.value === null) return;
          packets.push({ key: key.value, bytes: bytes.value, overlapped: ov.value, status: ret === 1 ? 0 : ov.value.Internal });
        }
      };
      for (const st of steps) {
        if (st.kind === 'recv' || st.kind === 'send') {
          const ov: W.WSAOVERLAPPED = { Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: null };
          const buf = new Uint8Array(st.size);
          const err = { value: 0 };
          const r = st.kind === 'recv'
            ? b.WSPRecv(socks[st.i]!, [{ len: st.size, buf }], 1, null, { value: 0 }, ov, null, null, err)
            : b.WSPSend(socks[st.i]!, [{ len: st.size, buf }], 1, null, 0, ov, null, null, err);
          if (r === 0 || err.value === W.WSA_IO_PENDING) posted.push({ ov, i: st.i, direction: st.kind, pended: r !== 0 });
          else reached.refused++;
          if (r === 0) reached.immediate++;
        } else if (st.kind === 'peerSend') {
          a.WSPSend(peers[st.i]!, [{ len: st.size, buf: new Uint8Array(st.size) }], 1, { value: 0 }, 0, null, null, null, e);
        } else if (st.kind === 'peerRecv') {
          const buf = new Uint8Array(st.size);
          a.WSPRecv(peers[st.i]!, [{ len: st.size, buf }], 1, { value: 0 }, { value: 0 }, null, null, null, e);
        } else if (st.kind === 'run') {
          net.advance(st.ms);
        } else {
          take(st.max, 0);
        }
      }
      // The end: the peers close (resetting if data was left unread), then our sockets close,
      // which aborts whatever still pends. Every accepted operation has completed by then.
      for (const c of peers) a.WSPCloseSocket(c, e);
      net.run();
      for (const s of socks) b.WSPCloseSocket(s, e);
      take(Infinity, 0);
      assert.ok(posted.every((op) => op.ov.Internal !== W.STATUS_PENDING), 'every operation completed');
      // Exactly one packet per operation, with its socket's key.
      assert.equal(packets.length, posted.length, 'one packet per accepted operation');
      const byOv = new Map(posted.map((op) => [op.ov, op]));
      const seen = new Set<W.WSAOVERLAPPED | null>();
      for (const p of packets) {
        const op = byOv.get(p.overlapped!);
        assert.ok(op !== undefined, 'a packet of an operation that was posted');
        assert.ok(!seen.has(p.overlapped), 'no operation twice');
        seen.add(p.overlapped);
        assert.equal(p.key, `key ${op.i}`);
        assert.equal(p.bytes, op.ov.InternalHigh);
      }
      // Per socket and direction, packets come in posting order.
      for (let i = 0; i < SOCKETS; i++) {
        for (const direction of ['recv', 'send'] as const) {
          const want = posted.filter((op) => op.i === i && op.direction === direction).map((op) => op.ov);
          const got = packets.map((p) => byOv.get(p.overlapped!)!).filter((op) => op.i === i && op.direction === direction).map((op) => op.ov);
          assert.deepEqual(got, want, `socket ${i} ${direction}: posting order`);
        }
      }
      reached.packets += packets.length;
      for (const op of posted) {
        if (!op.pended) continue;
        reached.pended++;
        if (op.ov.Internal === W.STATUS_SUCCESS && op.ov.InternalHigh > 0) reached.pendedWithBytes++;
        if (op.ov.Internal !== W.STATUS_SUCCESS) reached.failed++;
      }
    }),
    { numRuns: 300 },
  );
});

test('the random runs reached pending completions, with bytes and with failures, and immediate ones', () => {
  assert.ok(reached.packets > 800, `packets: ${JSON.stringify(reached)}`);
  assert.ok(reached.pended > 350, `pending operations: ${JSON.stringify(reached)}`);
  assert.ok(reached.pendedWithBytes > 150, `pending completions carrying bytes: ${JSON.stringify(reached)}`);
  assert.ok(reached.failed > 40, `pending operations that failed (reset, abort): ${JSON.stringify(reached)}`);
  assert.ok(reached.immediate > 400, `immediate completions: ${JSON.stringify(reached)}`);
});
