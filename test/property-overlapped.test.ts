/**
 * Overlapped and plain receives mixed on one stream (fast-check): whatever the interleaving of
 * sends, overlapped receives (some with a completion routine, some zero-length, some with
 * scattered buffers), plain non-blocking receives and network steps, every byte is delivered
 * once and in order — an overlapped receive at its completion, a plain one at its call — the
 * peer's close completes what is still pending with 0 bytes, and nothing is left held. The runs
 * must reach pending completions often, or the property proves little.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as W from '../src/index.js';

const step = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), size: fc.integer({ min: 1, max: 6000 }) }),
  fc.record({
    kind: fc.constant('overlapped' as const), size: fc.integer({ min: 0, max: 5000 }), split: fc.boolean(), routine: fc.boolean(),
    waitAll: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('recv' as const), size: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({ kind: fc.constant('run' as const), ms: fc.integer({ min: 0, max: 5 }) }),
);

/** How much the runs did: pending completions that carried bytes, and immediate ones. */
const reached = { pendingWithBytes: 0, immediate: 0, routines: 0, atClose: 0 };

interface Posted {
  readonly ov: W.WSAOVERLAPPED;
  readonly bufs: Uint8Array[];
  readonly pended: boolean;
}

test('random interleavings of overlapped and plain receives on a stream deliver every byte once and in order', () => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 5, maxLength: 80 }), fc.nat(1000), (steps, seed) => {
      const net = new W.VirtualNetwork({ seed, timeWaitMs: 1000 });
      const a = net.addHost({ addresses: ['10.0.0.1'] }).provider;
      const b = net.addHost({ addresses: ['10.0.0.2'] }).provider;
      const e = { value: 0 };
      // Deliveries in the order they happen: a plain receive at its call, an overlapped one when
      // its event is set or its routine queued. This ws2_32 runs an APC as soon as it is queued
      // (the routines only record), so a routine shows exactly when its receive completed.
      const timeline: (() => void)[] = [];
      const records = new Map<W.WSAOVERLAPPED, () => void>();
      const routine: W.WSAOVERLAPPED_COMPLETION_ROUTINE = (_err, _n, ov) => {
        reached.routines++;
        timeline.push(records.get(ov)!);
      };
      const upcalls = { lpWPUQueueApc: (_t: W.WSATHREADID, apc: (c: number) => void, ctx: number) => { apc(ctx); return 0; } };
      assert.equal(b.WSPStartup(0x0202, {}, null, upcalls, {}), 0);
      const ls = b.WSPSocket(W.AF_INET, W.SOCK_STREAM, 0, null, 0, 0, e);
      assert.equal(b.WSPBind(ls, { family: W.AF_INET, address: '10.0.0.2', port: 80 }, 16, e), 0);
      assert.equal(b.WSPListen(ls, 5, e), 0);
      const c = a.WSPSocket(W.AF_INET, W.SOCK_STREAM, 0, null, 0, 0, e);
      assert.equal(a.WSPConnect(c, { family: W.AF_INET, address: '10.0.0.2', port: 80 }, 16, null, null, null, null, e), 0);
      const s = b.WSPAccept(ls, null, null, null, 0, e);
      assert.notEqual(s, W.INVALID_SOCKET);
      const nb = new Uint8Array([1, 0, 0, 0]);
      for (const [p, h] of [[a, c], [b, s]] as const) assert.equal(p.WSPIoctl(h, W.FIONBIO, nb, 4, null, 0, { value: 0 }, null, null, null, e), 0);

      const sent: number[] = [];
      const got: number[] = [];
      const posted: Posted[] = [];
      let next = 0;
      const take = (bufs: readonly Uint8Array[], n: number): void => {
        for (const buf of bufs) {
          const k = Math.min(n, buf.length);
          for (let i = 0; i < k; i++) got.push(buf[i]!);
          n -= k;
        }
      };
      const event = (entry: Posted) => (): void => {
        // Called when the completion is recorded: the event signaled (or the APC queued).
        take(entry.bufs, entry.ov.InternalHigh);
        if (entry.pended && entry.ov.InternalHigh > 0) reached.pendingWithBytes++;
      };

      for (const st of steps) {
        if (st.kind === 'send') {
          const buf = new Uint8Array(st.size);
          for (let i = 0; i < st.size; i++) buf[i] = (next + i) & 0xff;
          const count = { value: 0 };
          if (a.WSPSend(c, [{ len: st.size, buf }], 1, count, 0, null, null, null, e) === 0) {
            for (let i = 0; i < count.value; i++) sent.push(buf[i]!);
            next += count.value;
          } else {
            assert.equal(e.value, W.WSAEWOULDBLOCK);
          }
        } else if (st.kind === 'overlapped') {
          const half = st.split ? st.size >> 1 : st.size;
          const bufs = st.split && st.size > 1 ? [new Uint8Array(half), new Uint8Array(st.size - half)] : [new Uint8Array(st.size)];
          const ev = new W.WSAEvent();
          const ov: W.WSAOVERLAPPED = { Internal: 0xdeadbeef, InternalHigh: 0xdeadbeef, Offset: 0, OffsetHigh: 0, hEvent: st.routine ? null : ev };
          const entry = { ov, bufs, pended: false };
          const record = event(entry);
          records.set(ov, record);
          // An event object's completion is seen when it is set.
          ev.onSet = () => timeline.push(record);
          const flags = { value: st.waitAll ? W.MSG_WAITALL : 0 };
          const count = { value: -1 };
          const r = b.WSPRecv(s, bufs.map((buf) => ({ len: buf.length, buf })), bufs.length, count, flags, ov,
            st.routine ? routine : null, st.routine ? { ThreadHandle: 1, Reserved: 0 } : null, e);
          if (r === 0) {
            reached.immediate++;
            assert.equal(count.value, ov.InternalHigh);
            if (!st.routine) assert.ok(ev.signaled);
          } else {
            assert.equal(e.value, W.WSA_IO_PENDING);
            entry.pended = true;
            assert.equal(ov.Internal, W.STATUS_PENDING);
            assert.equal(count.value, -1, 'the count is untouched while pending');
          }
          posted.push(entry);
        } else if (st.kind === 'recv') {
          const buf = new Uint8Array(st.size);
          const count = { value: 0 };
          if (b.WSPRecv(s, [{ len: st.size, buf }], 1, count, { value: 0 }, null, null, null, e) === 0) timeline.push(() => take([buf], count.value));
          else assert.equal(e.value, W.WSAEWOULDBLOCK);
        } else {
          net.advance(st.ms);
        }
      }
      // The sender closes: what it sent arrives, then the end of the stream completes what pends.
      assert.equal(a.WSPShutdown(c, W.SD_SEND, e), 0);
      for (let guard = 0; guard < 1000; guard++) {
        net.run();
        const buf = new Uint8Array(65536);
        const count = { value: 0 };
        const r = b.WSPRecv(s, [{ len: buf.length, buf }], 1, count, { value: 0 }, null, null, null, e);
        if (r === 0 && count.value > 0) {
          timeline.push(() => take([buf], count.value));
          continue;
        }
        if (r === 0 || e.value !== W.WSAEWOULDBLOCK) break;
      }
      for (const entry of posted) {
        assert.notEqual(entry.ov.Internal, W.STATUS_PENDING, 'the end of the stream completes every receive');
        if (entry.pended && entry.ov.InternalHigh === 0) reached.atClose++;
      }
      for (const f of timeline) f();
      assert.deepEqual(got, sent, 'every byte once, in order');
      for (const [p, h] of [[a, c], [b, s], [b, ls]] as const) assert.equal(p.WSPCloseSocket(h, e), 0);
      net.run();
      net.advance(1000);
      for (const p of [a, b]) {
        assert.equal(p.core.descriptorsInUse, 0);
        assert.equal(p.core.bytesInUse, 0);
      }

    }),
    { numRuns: 200, seed: 151515 },
  );
  assert.ok(reached.pendingWithBytes >= 200, `pending completions that carried bytes: ${JSON.stringify(reached)}`);
  assert.ok(reached.immediate >= 50 && reached.routines >= 100 && reached.atClose >= 20, JSON.stringify(reached));
});

const throwing = (): never => {
  throw new Error('hostile');
};
/** Junk for each overlapped argument: primitives, look-alikes, frozen, getter-only and throwing objects. */
const JUNK: readonly (() => unknown)[] = [
  () => undefined, () => null, () => 0, () => -1, () => 0xdeadbeef, () => NaN, () => 'x', () => true, () => 10n, () => Symbol('j'),
  () => ({}), () => [], () => new Uint8Array(32), () => Object.freeze({ value: 0 }), () => ({ value: 0 }),
  () => Object.freeze({ Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: null }),
  () => Object.defineProperty({ InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: null }, 'Internal', { get: throwing, enumerable: true }),
  () => new Proxy({ Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: null }, { get: throwing, set: throwing, has: throwing }),
  () => ({ Internal: W.STATUS_PENDING, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: 'no event' }),
  () => ({ Internal: 0xc000020d, InternalHigh: 3, Offset: 0, OffsetHigh: 0, hEvent: Object.freeze(new W.WSAEvent()) }),
  () => ({ Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: null }),
  () => () => 0, () => throwing, () => ({ ThreadHandle: 1, Reserved: 0 }),
  () => Object.defineProperty({}, 'ThreadHandle', { get: throwing }),
];

test('overlapped arguments of junk: no throw, a number back, only documented codes, and a failed call changes nothing', async () => {
  const { documented } = await import('./documented-errors.js');
  const reachedCodes = new Set<string>();
  fc.assert(
    fc.property(fc.array(fc.nat(JUNK.length - 1), { minLength: 5, maxLength: 5 }), fc.nat(3), fc.boolean(), (junk, fnPick, wait) => {
      const net = new W.VirtualNetwork({ seed: 7 });
      const b = net.addHost({ addresses: ['10.0.0.2'] }).provider;
      const a = net.addHost({ addresses: ['10.0.0.1'] }).provider;
      const e = { value: 0 };
      const ls = b.WSPSocket(W.AF_INET, W.SOCK_STREAM, 0, null, 0, 0, e);
      b.WSPBind(ls, { family: W.AF_INET, address: '10.0.0.2', port: 80 }, 16, e);
      b.WSPListen(ls, 5, e);
      const c = a.WSPSocket(W.AF_INET, W.SOCK_STREAM, 0, null, 0, 0, e);
      assert.equal(a.WSPConnect(c, { family: W.AF_INET, address: '10.0.0.2', port: 80 }, 16, null, null, null, null, e), 0);
      const s = b.WSPAccept(ls, null, null, null, 0, e);
      assert.equal(a.WSPSend(c, [{ len: 3, buf: new Uint8Array([1, 2, 3]) }], 1, { value: 0 }, 0, null, null, null, e), 0);
      net.run();
      const j = junk.map((i) => JUNK[i]!());
      const fn = ['WSPRecv', 'WSPSend', 'WSPRecvFrom', 'WSPGetOverlappedResult'][fnPick]!;
      const buf = [{ len: 8, buf: new Uint8Array(8) }];
      let r: unknown;
      assert.doesNotThrow(() => {
        const x = { value: 0 };
        if (fn === 'WSPRecv') r = b.WSPRecv(s, buf, 1, j[0] as never, { value: 0 }, j[1] as never, j[2] as never, j[3] as never, x);
        else if (fn === 'WSPSend') r = b.WSPSend(s, buf, 1, j[0] as never, 0, j[1] as never, j[2] as never, j[3] as never, x);
        else if (fn === 'WSPRecvFrom') r = b.WSPRecvFrom(s, buf, 1, j[0] as never, { value: 0 }, null, null, j[1] as never, j[2] as never, j[3] as never, x);
        else r = b.WSPGetOverlappedResult(s, j[1] as never, j[0] as never, wait, j[4] as never, x);
        e.value = x.value;
      });
      assert.equal(typeof r, 'number');
      const failed = fn === 'WSPGetOverlappedResult' ? r === 0 : r === W.SOCKET_ERROR;
      if (failed) {
        reachedCodes.add(`${fn} ${W.errorName(e.value)}`);
        assert.ok(documented[fn]!.includes(e.value), `${fn} failed with undocumented ${W.errorName(e.value) ?? e.value}`);
        if (fn === 'WSPRecv' || fn === 'WSPRecvFrom') {
          // Nothing consumed: the 3 bytes are still there (a pending receive would have taken them).
          if (e.value !== W.WSA_IO_PENDING) assert.equal(b.WSPRecv(s, buf, 1, { value: 0 }, { value: 0 }, null, null, null, { value: 0 }), 0);
        }
      }
      b.WSPCloseSocket(s, e);
      a.WSPCloseSocket(c, e);
      b.WSPCloseSocket(ls, e);
    }),
    { numRuns: 600, seed: 99 },
  );
  for (const want of ['WSPRecv WSAEFAULT', 'WSPSend WSAEFAULT', 'WSPRecv WSAEINVAL', 'WSPGetOverlappedResult WSAEFAULT', 'WSPGetOverlappedResult WSAEINVAL']) {
    assert.ok(reachedCodes.has(want), `not reached: ${want} (${[...reachedCodes].join(', ')})`);
  }
});
