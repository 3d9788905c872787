/**
 * Idle is not failure (issue 16, item 6): on the virtual network an async wait fails as stalled
 * (WSAEINTR) only after the simulation has stayed idle, with nothing happening, for the wait's
 * `stallMs` of real time; a JavaScript timer that connects meanwhile wakes it. The grace is real
 * time by nature (it waits for code outside the simulation), so these tests use real timers;
 * each margin is at least 4× the delay it guards.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, FIONBIO, IPPROTO_TCP, SOCK_STREAM, VirtualNetwork, WinsockError, connect, listen,
} from '../src/index.js';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function world() {
  const net = new VirtualNetwork({ seed: 16 });
  return { net, server: net.addHost({ addresses: ['10.0.0.1'] }), client: net.addHost({ addresses: ['10.0.0.2'] }) };
}

const isStall = (e: unknown): boolean => e instanceof WinsockError && e.codeName === 'WSAEINTR';

describe('async API: an idle simulation is not a stalled wait', () => {
  test('a pending accept() succeeds when a setTimeout(…, 50) makes a client connect (default grace)', async () => {
    const w = world();
    const server = await listen(w.server, { address: '10.0.0.1', port: 80 });
    const timer = setTimeout(() => {
      void connect(w.client, { address: '10.0.0.1', port: 80 }).then((c) => c.close());
    }, 50);
    try {
      const a = await server.accept();
      assert.equal(a.remoteAddress.address, '10.0.0.2');
      a.close();
    } finally {
      clearTimeout(timer);
      server.close();
    }
  });

  test('a pending read() succeeds when a timer writes 50 ms later, and a raw non-blocking WSPConnect from a timer wakes a pending accept', async () => {
    const w = world();
    const server = await listen(w.server, { address: '10.0.0.1', port: 80 });
    const c = await connect(w.client, { address: '10.0.0.1', port: 80 });
    const a = await server.accept();
    setTimeout(() => void c.write(new TextEncoder().encode('late')), 50);
    assert.equal(new TextDecoder().decode((await a.read())!), 'late');
    // Not through the async API: only the socket change tells the driver the network has work.
    const p = w.client.provider;
    const e = { value: 0 };
    const s = p.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e);
    p.WSPIoctl(s, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e);
    setTimeout(() => p.WSPConnect(s, { family: AF_INET, address: '10.0.0.1', port: 80 }, 16, null, null, null, null, e), 50);
    const b = await server.accept();
    assert.equal(b.remoteAddress.address, '10.0.0.2');
    for (const x of [a, b, c, server]) x.close();
    p.WSPCloseSocket(s, e);
  });

  test('a truly stalled wait still fails with WSAEINTR, after its stallMs grace and not before', async () => {
    const w = world();
    const server = await listen(w.server, { address: '10.0.0.1', port: 80, stallMs: 150 });
    const t0 = performance.now();
    await assert.rejects(server.accept(), isStall);
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 150, `failed after ${elapsed.toFixed(1)} ms, before the 150 ms grace`);
    // The listener still works afterwards: the stall failed the wait, not the socket.
    const c = await connect(w.client, { address: '10.0.0.1', port: 80 });
    (await server.accept()).close();
    c.close();
    server.close();
  });

  test('the default grace is 1000 ms; accepted connections inherit the listener\'s stallMs', async () => {
    const w = world();
    const server = await listen(w.server, { address: '10.0.0.1', port: 80, stallMs: 100 });
    const c = await connect(w.client, { address: '10.0.0.1', port: 80 });
    const a = await server.accept();
    let t0 = performance.now();
    await assert.rejects(a.read(), isStall); // inherited: 100 ms
    const inherited = performance.now() - t0;
    assert.ok(inherited >= 100, `inherited grace: ${inherited.toFixed(1)} ms`);
    t0 = performance.now();
    await assert.rejects(c.read(), isStall); // connect() without stallMs: the default
    const byDefault = performance.now() - t0;
    assert.ok(byDefault >= 1000, `default grace: ${byDefault.toFixed(1)} ms`);
    // Lower bounds only (a loaded machine makes timers late, never early): the inherited grace is the shorter.
    assert.ok(inherited < byDefault, `inherited ${inherited.toFixed(1)} ms, default ${byDefault.toFixed(1)} ms`);
    for (const x of [a, c, server]) x.close();
  });

  test('activity on the network restarts the grace: a socket closed at 100 ms pushes a 150 ms stall past 250 ms', async () => {
    const w = world();
    const server = await listen(w.server, { address: '10.0.0.1', port: 80, stallMs: 150 });
    const p = w.server.provider; // a host the async API uses: the driver hears of its sockets' changes
    const e = { value: 0 };
    const s = p.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e);
    const t0 = performance.now();
    setTimeout(() => p.WSPCloseSocket(s, e), 100);
    await assert.rejects(server.accept(), isStall);
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 250, `failed after ${elapsed.toFixed(1)} ms: the close at 100 ms did not restart the grace`);
    server.close();
  });

  test('at the end of the grace the simulation runs once more: work scheduled unseen (a host the async API never used) still completes the wait', async () => {
    const w = world();
    const server = await listen(w.server, { address: '10.0.0.1', port: 80, stallMs: 300 });
    const p = w.client.provider; // never given to listen/connect: the driver does not watch it
    const e = { value: 0 };
    const s = p.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e);
    p.WSPIoctl(s, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e);
    setTimeout(() => p.WSPConnect(s, { family: AF_INET, address: '10.0.0.1', port: 80 }, 16, null, null, null, null, e), 50);
    const a = await server.accept();
    assert.equal(a.remoteAddress.address, '10.0.0.2');
    a.close();
    server.close();
    p.WSPCloseSocket(s, e);
  });

  test('an abort during the grace rejects with the signal\'s reason, not WSAEINTR', async () => {
    const w = world();
    const server = await listen(w.server, { address: '10.0.0.1', port: 80, stallMs: 400 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('gave up')), 50);
    await assert.rejects(server.accept(ac.signal), /gave up/);
    server.close();
    await delay(0);
  });

  test('each wait has its own grace: a 100 ms one fails while an Infinity one on the same network is still pending at 300 ms', async () => {
    const w = world();
    const quick = await listen(w.server, { address: '10.0.0.1', port: 80, stallMs: 100 });
    const patient = await listen(w.server, { address: '10.0.0.1', port: 81, stallMs: Infinity });
    const ac = new AbortController();
    let settled = false;
    const waiting = patient.accept(ac.signal).finally(() => (settled = true));
    waiting.catch(() => {});
    await assert.rejects(quick.accept(), isStall);
    await delay(300);
    assert.equal(settled, false, 'the Infinity wait failed');
    ac.abort(new Error('done waiting'));
    await assert.rejects(waiting, /done waiting/);
    quick.close();
    patient.close();
  });

  test('stallMs must be a number of milliseconds >= 0 (RangeError)', async () => {
    const w = world();
    for (const stallMs of [-1, Number.NaN, '5' as unknown as number]) {
      await assert.rejects(listen(w.server, { address: '10.0.0.1', port: 0, stallMs }), RangeError);
      await assert.rejects(connect(w.client, { address: '10.0.0.1', port: 80, stallMs }), RangeError);
    }
  });
});
