/**
 * TCP under bad conditions on the virtual network: loss, duplication, reordering, corruption,
 * bandwidth, partitions, held packets, crashes. Deterministic: one seed, one run.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  AF_INET, FIONBIO, IPPROTO_TCP, SD_SEND, SIO_KEEPALIVE_VALS, TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINTVL, SOCK_STREAM, SOCKET_ERROR, SOL_SOCKET, SO_RCVBUF, VirtualNetwork, connect,
  errorName, listen, type Faults, type ServiceProvider, type VirtualNetworkOptions,
} from '../src/index.js';

const PORT = 5001;
const pattern = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >> 10) + seed) & 0xff);

function world(options: VirtualNetworkOptions = {}) {
  const net = new VirtualNetwork({ seed: 9, ...options });
  const a = net.addHost({ addresses: ['10.0.0.1'] });
  const b = net.addHost({ addresses: ['10.0.0.2'] });
  return { net, a, b };
}

/** Sends `data` from b to a with the async API; returns what a received. */
async function transfer(w: ReturnType<typeof world>, data: Uint8Array): Promise<Uint8Array> {
  const server = await listen(w.a, { address: '10.0.0.1', port: PORT });
  const parts: Uint8Array[] = [];
  const serving = (async () => {
    const c = await server.accept();
    for await (const chunk of c) parts.push(chunk.slice());
    c.close();
  })();
  const c = await connect(w.b, { address: '10.0.0.1', port: PORT });
  await c.write(data);
  c.end();
  await serving;
  c.close();
  server.close();
  return Buffer.concat(parts);
}

// ---- non-blocking SPI helpers for step-by-step scenarios ---------------------------------------

const e = () => ({ value: 0 });
/** A connected pair: `c` on host b, `s` accepted on host a; `prepare` sees the client socket, `prepareListener` the listener, before the connect. */
function pairOf(
  w: ReturnType<typeof world>, prepare?: (c: number) => void, prepareListener?: (l: number) => void,
): { c: number; s: number } {
  const [pa, pb] = [w.a.provider, w.b.provider];
  const l = pa.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e());
  pa.WSPBind(l, { family: AF_INET, address: '10.0.0.1', port: PORT }, 16, e());
  prepareListener?.(l);
  pa.WSPListen(l, 5, e());
  const c = pb.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e());
  prepare?.(c);
  const err = e();
  assert.equal(pb.WSPConnect(c, { family: AF_INET, address: '10.0.0.1', port: PORT }, 16, null, null, null, null, err), 0, errorName(err.value));
  const s = pa.WSPAccept(l, null, null, null, 0, err);
  assert.ok(s > 0, errorName(err.value));
  pa.WSPCloseSocket(l, e());
  for (const [p, x] of [[pa, s], [pb, c]] as const) p.WSPIoctl(x, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, e(), null, null, null, e());
  return { c, s };
}
function sendSome(p: ServiceProvider, s: number, data: Uint8Array): number | string {
  const n = e();
  const err = e();
  if (p.WSPSend(s, [{ len: data.length, buf: data }], 1, n, 0, null, null, null, err) === SOCKET_ERROR) return errorName(err.value)!;
  return n.value;
}
function recvSome(p: ServiceProvider, s: number): Uint8Array | string {
  const buf = new Uint8Array(65536);
  const n = e();
  const err = e();
  if (p.WSPRecv(s, [{ len: buf.length, buf }], 1, n, { value: 0 }, null, null, null, err) === SOCKET_ERROR) return errorName(err.value)!;
  return buf.slice(0, n.value);
}

describe('reliable TCP over a faulty virtual network', () => {
  test('1 MiB crosses a link with 5 % loss intact, retransmitted as needed', async () => {
    const w = world({ lossRate: 0.05 });
    const data = pattern(1 << 20);
    const got = await transfer(w, data);
    assert.equal(Buffer.compare(got, data), 0);
    assert.ok(w.net.faultStats.lost > 20, `lost ${w.net.faultStats.lost}`);
  });

  test('duplication, reordering (jitter) and corruption: the stream still arrives once and in order', async () => {
    const w = world({ duplicateRate: 0.1, reorderRate: 0.1, jitterMs: 0.3, corruptRate: 0.03 });
    const data = pattern(300_000, 1);
    assert.equal(Buffer.compare(await transfer(w, data), data), 0);
    const st = w.net.faultStats;
    assert.ok(st.duplicated > 0 && st.reordered > 0 && st.corrupted > 0, JSON.stringify(st));
  });

  test('bandwidth: 1 MB over an 8 Mbit/s link takes at least one second of virtual time', async () => {
    const w = world();
    w.net.setLink(w.a, w.b, { bandwidthMbps: 8 });
    const t0 = w.net.now();
    await transfer(w, pattern(1_000_000));
    assert.ok(w.net.now() - t0 >= 1000, `took ${w.net.now() - t0} ms`);
  });

  test('a lost SYN-ACK is retransmitted and the handshake completes', () => {
    const w = world();
    const [pa, pb] = [w.a.provider, w.b.provider];
    const l = pa.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e());
    pa.WSPBind(l, { family: AF_INET, address: '10.0.0.1', port: PORT }, 16, e());
    pa.WSPListen(l, 5, e());
    const c = pb.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e());
    pb.WSPIoctl(c, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, e(), null, null, null, e());
    w.net.setLink(w.a, w.b, { lossRate: 1 }, true); // a → b: the SYN-ACK is lost
    pb.WSPConnect(c, { family: AF_INET, address: '10.0.0.1', port: PORT }, 16, null, null, null, null, e());
    w.net.advance(10);
    assert.equal(pb.inspect(c)?.phase, 'connecting');
    w.net.setLink(w.a, w.b, undefined, true);
    w.net.run();
    assert.equal(pb.inspect(c)?.phase, 'connected');
    assert.ok(w.net.now() >= 1000, `the server's SYN-ACK time-out (1 s) passed first: ${w.net.now()} ms`);
    assert.equal(pa.inspect(l)?.listen?.queueLength, 1);
  });

  test('a partition shorter than the give-up time: the connection survives; longer: WSAECONNABORTED', () => {
    const w = world();
    const { c, s } = pairOf(w);
    w.net.partition(w.a, w.b);
    assert.equal(sendSome(w.b.provider, c, pattern(5000)), 5000);
    w.net.advance(2000);
    w.net.repair(w.a, w.b);
    w.net.advance(5000);
    assert.equal((recvSome(w.a.provider, s) as Uint8Array).length, 5000);
    w.net.partition(w.a, w.b);
    assert.equal(sendSome(w.b.provider, c, pattern(100)), 100);
    w.net.advance(60_000);
    assert.equal(recvSome(w.b.provider, c), 'WSAECONNABORTED', 'five retransmissions, then the connection is dropped');
  });

  test('hold and release: packets wait, then arrive in order', () => {
    const w = world();
    const { c, s } = pairOf(w);
    w.net.hold(w.b, w.a, true);
    for (let i = 0; i < 5; i++) sendSome(w.b.provider, c, pattern(1000, i));
    w.net.advance(200); // shorter than the retransmission time-out
    assert.equal(recvSome(w.a.provider, s), 'WSAEWOULDBLOCK');
    w.net.release(w.b, w.a, true);
    w.net.run();
    const got = recvSome(w.a.provider, s) as Uint8Array;
    assert.deepEqual(got, new Uint8Array(Buffer.concat([0, 1, 2, 3, 4].map((i) => pattern(1000, i)))));
  });

  test('a lost window update is recovered by the window probe', () => {
    const w = world();
    const { c, s } = pairOf(w);
    const small = new Uint8Array(4);
    new DataView(small.buffer).setInt32(0, 4096, true);
    w.a.provider.WSPSetSockOpt(s, SOL_SOCKET, SO_RCVBUF, small, 4, e());
    let sent = 0;
    for (let i = 0; i < 20; i++) {
      const r = sendSome(w.b.provider, c, pattern(65536));
      if (typeof r === 'number') sent += r;
      w.net.run();
    }
    w.net.setLink(w.a, w.b, { lossRate: 1 }, true); // every window update a → b is lost
    let got = (recvSome(w.a.provider, s) as Uint8Array).length;
    w.net.run();
    w.net.setLink(w.a, w.b, undefined, true);
    for (let i = 0; i < 200 && got < sent; i++) {
      w.net.advance(1000);
      const r = recvSome(w.a.provider, s);
      if (typeof r !== 'string') got += r.length;
    }
    assert.equal(got, sent);
  });

  test('a crashed and restarted peer answers with RST: the survivor sees WSAECONNRESET', () => {
    const w = world();
    const { c } = pairOf(w);
    w.a.crash();
    w.a.restart();
    sendSome(w.b.provider, c, pattern(10));
    w.net.run();
    assert.equal(recvSome(w.b.provider, c), 'WSAECONNRESET');
    assert.equal(w.a.provider.core.descriptorsInUse, 0);
  });
});

const faults = fc.record({
  lossRate: fc.double({ min: 0, max: 0.2, noNaN: true }),
  duplicateRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
  reorderRate: fc.double({ min: 0, max: 0.2, noNaN: true }),
  corruptRate: fc.double({ min: 0, max: 0.05, noNaN: true }),
  jitterMs: fc.double({ min: 0, max: 1, noNaN: true }),
});

test('random fault schedules: every byte arrives once and in order, or the connection reports an error; nothing hangs', () => {
  fc.assert(
    fc.property(faults, fc.array(fc.tuple(faults, fc.integer({ min: 1, max: 40_000 })), { minLength: 1, maxLength: 6 }), fc.nat(1000),
      (initial: Faults, phases, seed) => {
        const w = world({ seed });
        const { c, s } = pairOf(w);
        w.net.setLink(w.a, w.b, initial);
        const sent: Uint8Array[] = [];
        let received = 0;
        let error: string | null = null;
        const expected = () => new Uint8Array(Buffer.concat(sent));
        for (const [f, size] of phases) {
          w.net.setLink(w.a, w.b, f);
          const r = sendSome(w.b.provider, c, pattern(size, sent.length));
          if (typeof r === 'string') {
            if (r !== 'WSAEWOULDBLOCK') error = r;
          } else {
            sent.push(pattern(size, sent.length).subarray(0, r));
          }
          w.net.advance(50);
        }
        w.b.provider.WSPShutdown(c, SD_SEND, e());
        w.net.setLink(w.a, w.b, undefined);
        const all = expected();
        for (let t = 0; t < 2000; t++) {
          const r = recvSome(w.a.provider, s);
          if (typeof r === 'string') {
            if (r !== 'WSAEWOULDBLOCK') {
              error = r;
              break;
            }
            w.net.advance(100);
            continue;
          }
          if (r.length === 0) break;
          assert.deepEqual(r, all.subarray(received, received + r.length), 'bytes in order, once');
          received += r.length;
        }
        if (error === null) assert.equal(received, all.length, 'everything arrived, and the end of the stream');
      }),
    { numRuns: 60, seed: 55, includeErrorInReport: true },
  );
});

describe('SO_KEEPALIVE', () => {
  const keepAlive = (w: ReturnType<typeof world>, s: number) => {
    const on = new Uint8Array([1, 0, 0, 0]);
    assert.equal(w.b.provider.WSPSetSockOpt(s, SOL_SOCKET, 0x0008, on, 4, e()), 0);
  };

  test('WSAENETRESET: keep-alive probes to a crashed peer go unanswered; the connection is dropped', () => {
    const w = world({ keepAliveTimeMs: 60_000 });
    const { c } = pairOf(w);
    keepAlive(w, c);
    w.a.crash();
    w.net.advance(60_000 + 9_500);
    assert.equal(recvSome(w.b.provider, c), 'WSAEWOULDBLOCK', 'nine probes unanswered: not yet');
    w.net.advance(2_000);
    assert.equal(recvSome(w.b.provider, c), 'WSAENETRESET', 'ten probes unanswered');
  });

  test('per-socket timing (SIO_KEEPALIVE_VALS): 5 s idle, probes every 200 ms, ten unanswered: dropped at 7 s, not before', () => {
    const w = world(); // the network's default idle time is two hours
    const { c } = pairOf(w);
    const vals = new Uint8Array(12);
    new DataView(vals.buffer).setUint32(0, 1, true);
    new DataView(vals.buffer).setUint32(4, 5000, true);
    new DataView(vals.buffer).setUint32(8, 200, true);
    assert.equal(w.b.provider.WSPIoctl(c, SIO_KEEPALIVE_VALS, vals, 12, null, 0, { value: 0 }, null, null, null, e()), 0);
    w.a.crash();
    w.net.advance(5000 + 9 * 200 + 100);
    assert.equal(recvSome(w.b.provider, c), 'WSAEWOULDBLOCK', 'nine probes unanswered: not yet');
    w.net.advance(200);
    assert.equal(recvSome(w.b.provider, c), 'WSAENETRESET', 'ten probes unanswered');
  });

  test('per-socket timing (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT set before connect): 3 s idle, 1 s apart, 3 probes', () => {
    const w = world();
    const { c } = pairOf(w, (s) => {
      for (const [name, value] of [[TCP_KEEPIDLE, 3], [TCP_KEEPINTVL, 1], [TCP_KEEPCNT, 3]] as const) {
        assert.equal(w.b.provider.WSPSetSockOpt(s, IPPROTO_TCP, name, new Uint8Array([value, 0, 0, 0]), 4, e()), 0);
      }
    });
    keepAlive(w, c);
    w.a.crash();
    w.net.advance(3000 + 2 * 1000 + 500);
    assert.equal(recvSome(w.b.provider, c), 'WSAEWOULDBLOCK', 'two probes unanswered: not yet');
    w.net.advance(1000);
    assert.equal(recvSome(w.b.provider, c), 'WSAENETRESET', 'three probes unanswered');
  });

  test('per-socket timing on a listener reaches the connections it accepts', () => {
    const w = world();
    const { s } = pairOf(w, undefined, (l) => {
      assert.equal(w.a.provider.WSPSetSockOpt(l, IPPROTO_TCP, TCP_KEEPIDLE, new Uint8Array([2, 0, 0, 0]), 4, e()), 0);
      assert.equal(w.a.provider.WSPSetSockOpt(l, SOL_SOCKET, 0x0008, new Uint8Array([1, 0, 0, 0]), 4, e()), 0);
    });
    w.b.crash();
    w.net.advance(2000 + 9 * 1000 + 500);
    assert.equal(recvSome(w.a.provider, s), 'WSAEWOULDBLOCK', 'nine probes unanswered: not yet');
    w.net.advance(1000);
    assert.equal(recvSome(w.a.provider, s), 'WSAENETRESET', 'ten probes unanswered');
  });

  test('a live peer answers the probes: an idle connection stays up for hours', () => {
    const w = world();
    const { c, s } = pairOf(w);
    keepAlive(w, c);
    w.net.advance(5 * 3600_000);
    assert.equal(sendSome(w.b.provider, c, pattern(3)), 3);
    w.net.run();
    assert.deepEqual(recvSome(w.a.provider, s), pattern(3));
  });
});
