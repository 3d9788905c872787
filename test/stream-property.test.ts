/**
 * Streams under random schedules (fast-check): whatever sizes, buffers, Nagle setting and
 * interleaving of sends, receives and network steps, every byte a sender was told was sent
 * arrives once and in order, and nothing is left held afterwards.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as W from '../src/index.js';

const step = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), size: fc.integer({ min: 0, max: 40_000 }), from: fc.boolean() }),
  fc.record({ kind: fc.constant('recv' as const), size: fc.integer({ min: 1, max: 30_000 }), from: fc.boolean(), peek: fc.boolean() }),
  fc.record({ kind: fc.constant('run' as const), events: fc.integer({ min: 1, max: 50 }) }),
);

function setInt(p: W.ServiceProvider, s: number, level: number, opt: number, v: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  assert.equal(p.WSPSetSockOpt(s, level, opt, b, 4, { value: 0 }), 0);
}

test('random send/recv schedules: every byte sent arrives once and in order, both directions', () => {
  fc.assert(
    fc.property(
      fc.array(step, { maxLength: 80 }),
      fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 200_000 }), fc.boolean(), fc.nat(1000),
      (steps, sndbuf, rcvbuf, noDelay, seed) => {
        const net = new W.VirtualNetwork({ seed, timeWaitMs: 1000 });
        const a = net.addHost({ addresses: ['10.0.0.1'] }).provider;
        const b = net.addHost({ addresses: ['10.0.0.2'] }).provider;
        const e = { value: 0 };
        const ls = b.WSPSocket(W.AF_INET, W.SOCK_STREAM, 0, null, 0, 0, e);
        assert.equal(b.WSPBind(ls, { family: W.AF_INET, address: '10.0.0.2', port: 80 }, 16, e), 0);
        assert.equal(b.WSPListen(ls, 5, e), 0);
        setInt(b, ls, W.SOL_SOCKET, W.SO_RCVBUF, rcvbuf); // inherited by the accepted socket
        const c = a.WSPSocket(W.AF_INET, W.SOCK_STREAM, 0, null, 0, 0, e);
        setInt(a, c, W.SOL_SOCKET, W.SO_SNDBUF, sndbuf);
        setInt(a, c, W.IPPROTO_TCP, W.TCP_NODELAY, noDelay ? 1 : 0);
        assert.equal(a.WSPConnect(c, { family: W.AF_INET, address: '10.0.0.2', port: 80 }, 16, null, null, null, null, e), 0);
        const s = b.WSPAccept(ls, null, null, null, 0, e);
        assert.notEqual(s, W.INVALID_SOCKET);
        const nb = new Uint8Array([1, 0, 0, 0]);
        for (const [p, h] of [[a, c], [b, s]] as const) assert.equal(p.WSPIoctl(h, W.FIONBIO, nb, 4, null, 0, { value: 0 }, null, null, null, e), 0);

        const ends = [
          { p: a, h: c, next: 0, sent: [] as number[], got: [] as number[] },
          { p: b, h: s, next: 0, sent: [] as number[], got: [] as number[] },
        ];
        const recvInto = (end: (typeof ends)[number], size: number, peek: boolean): number => {
          const buf = new Uint8Array(size);
          const count = { value: 0 };
          const flags = { value: peek ? W.MSG_PEEK : 0 };
          const r = end.p.WSPRecv(end.h, [{ len: size, buf }], 1, count, flags, null, null, null, e);
          if (r === W.SOCKET_ERROR) {
            assert.equal(e.value, W.WSAEWOULDBLOCK);
            return 0;
          }
          if (!peek) for (let i = 0; i < count.value; i++) end.got.push(buf[i]!);
          else {
            // A peek shows the bytes the next receive will return.
            const expected = ends[ends.indexOf(end) ^ 1]!.sent.slice(end.got.length, end.got.length + count.value);
            assert.deepEqual([...buf.subarray(0, count.value)], expected);
          }
          return count.value;
        };
        for (const st of steps) {
          if (st.kind === 'run') {
            for (let i = 0; i < st.events; i++) net.advance(0.05);
            continue;
          }
          const end = ends[st.from ? 0 : 1]!;
          if (st.kind === 'send') {
            const buf = new Uint8Array(st.size);
            for (let i = 0; i < st.size; i++) buf[i] = (end.next + i) & 0xff;
            const count = { value: -1 };
            const r = end.p.WSPSend(end.h, [{ len: st.size, buf }], 1, count, 0, null, null, null, e);
            if (r === W.SOCKET_ERROR) {
              assert.equal(e.value, W.WSAEWOULDBLOCK);
              continue;
            }
            assert.ok(count.value >= 0 && count.value <= st.size);
            for (let i = 0; i < count.value; i++) end.sent.push(buf[i]!);
            end.next += count.value;
          } else {
            recvInto(end, st.size, st.peek);
          }
        }
        // Drain: everything told "sent" must arrive.
        for (let guard = 0; guard < 10_000; guard++) {
          net.run();
          const moved = recvInto(ends[0]!, 65536, false) + recvInto(ends[1]!, 65536, false);
          if (moved === 0 && ends[0]!.got.length === ends[1]!.sent.length && ends[1]!.got.length === ends[0]!.sent.length) break;
        }
        assert.deepEqual(ends[1]!.got, ends[0]!.sent);
        assert.deepEqual(ends[0]!.got, ends[1]!.sent);
        for (const [p, h] of [[a, c], [b, s], [b, ls]] as const) assert.equal(p.WSPCloseSocket(h, e), 0);
        net.run();
        net.advance(1000);
        for (const p of [a, b]) {
          assert.equal(p.core.descriptorsInUse, 0);
          assert.equal(p.core.bytesInUse, 0);
        }
      },
    ),
    { numRuns: 150, seed: 424242 },
  );
});
