/**
 * Overlapped I/O through ws2 (src/ws2): WSARecv/WSASend pass their WSAOVERLAPPED through to the
 * provider (directly, and through a pass-through layered provider); the event is signaled, and a
 * completion routine comes back through WPUQueueApc and runs in the thread's alertable wait. Also
 * what a wait does where the thread cannot block (the host network's own thread), and that no
 * ws2 function throws whatever it is given.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, INVALID_SOCKET, SOCK_STREAM, SOCKET_ERROR, WSA_IO_PENDING, WSA_WAIT_EVENT_0, WSA_WAIT_FAILED, WSAEWOULDBLOCK,
  type WSAOVERLAPPED,
} from '../src/index.js';
import { Catalog, Ws2, WSA_WAIT_IO_COMPLETION } from '../src/ws2/index.js';
import { hostWorld, virtualWorld, type World } from './wine/harness.js';
import { PassThroughLsp } from './ws2-lsp.js';

function setUp(w: World, layered: boolean): Ws2 {
  const catalog = new Catalog();
  const bases = catalog.installBase(w.p);
  if (layered) catalog.installLayered(new PassThroughLsp(catalog, '{7}'), { ProviderId: '{7}', name: 'lsp', over: bases.map((b) => b.dwCatalogEntryId) });
  const ws = new Ws2(catalog);
  assert.equal(ws.WSAStartup(0x0202, {}), 0);
  return ws;
}

/** A connected pair on the virtual network, made with blocking calls. */
function pair(ws: Ws2): { c: number; a: number } {
  const l = ws.socket(AF_INET, SOCK_STREAM, 0);
  assert.equal(ws.bind(l, { family: AF_INET, address: '127.0.0.1', port: 7000 }, 16), 0);
  assert.equal(ws.listen(l, 1), 0);
  const c = ws.socket(AF_INET, SOCK_STREAM, 0);
  assert.equal(ws.connect(c, { family: AF_INET, address: '127.0.0.1', port: 7000 }, 16), 0);
  const a = ws.accept(l, null, null);
  assert.notEqual(a, INVALID_SOCKET);
  return { c, a };
}

const ovl = (ws: Ws2): WSAOVERLAPPED => ({ Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: ws.WSACreateEvent() });

for (const layered of [false, true]) {
  describe(`ws2 overlapped I/O ${layered ? 'through a layered provider' : 'over the base provider'}`, () => {
    test('WSARecv with an event: SOCKET_ERROR and WSA_IO_PENDING; the event is signaled when data comes; WSAGetOverlappedResult gives the count', () => {
      const w = virtualWorld();
      const ws = setUp(w, layered);
      const { c, a } = pair(ws);
      const ov = ovl(ws);
      const buf = new Uint8Array(8);
      assert.equal(ws.WSARecv(a, [{ len: 8, buf }], 1, null, { value: 0 }, ov, null), SOCKET_ERROR);
      assert.equal(ws.WSAGetLastError(), WSA_IO_PENDING);
      assert.equal(ws.send(c, new Uint8Array([7, 8, 9]), 3, 0), 3);
      assert.equal(ws.WSAWaitForMultipleEvents(1, [ov.hEvent!], false, 1000, false), WSA_WAIT_EVENT_0);
      const n = { value: 0 };
      assert.equal(ws.WSAGetOverlappedResult(a, ov, n, false, { value: 0 }), 1);
      assert.equal(n.value, 3);
      assert.deepEqual([...buf.subarray(0, 3)], [7, 8, 9]);
    });

    test('WSARecv with a completion routine: it runs only in the thread\'s alertable wait (WSA_WAIT_IO_COMPLETION), with the count', () => {
      const w = virtualWorld();
      const ws = setUp(w, layered);
      const { c, a } = pair(ws);
      const ov = ovl(ws);
      const ran: [number, number][] = [];
      const buf = new Uint8Array(8);
      assert.equal(ws.WSARecv(a, [{ len: 8, buf }], 1, null, { value: 0 }, ov, (err, n) => ran.push([err, n])), SOCKET_ERROR);
      assert.equal(ws.WSAGetLastError(), WSA_IO_PENDING);
      ws.send(c, new Uint8Array([1, 2]), 2, 0);
      w.net!.run();
      assert.deepEqual(ran, [], 'not before an alertable wait');
      const idle = ws.WSACreateEvent();
      assert.equal(ws.WSAWaitForMultipleEvents(1, [idle], false, 0, false), 0x102, 'a wait that is not alertable runs no routine');
      assert.equal(ws.WSAWaitForMultipleEvents(1, [idle], false, 1000, true), WSA_WAIT_IO_COMPLETION);
      assert.deepEqual(ran, [[0, 2]]);
    });
  });
}

describe('ws2 waits where the thread cannot block', () => {
  test('on the host network\'s own thread, a WSAWaitForMultipleEvents that would block fails with WSAEWOULDBLOCK; one with a 0 timeout answers', async () => {
    const w = hostWorld();
    try {
      const ws = setUp(w, false);
      const ev = ws.WSACreateEvent();
      assert.equal(ws.WSAWaitForMultipleEvents(1, [ev], false, 0, false), 0x102);
      assert.equal(ws.WSAWaitForMultipleEvents(1, [ev], false, 50, false), WSA_WAIT_FAILED);
      assert.equal(ws.WSAGetLastError(), WSAEWOULDBLOCK);
    } finally {
      await w.close();
    }
  });
});

describe('ws2 never throws', () => {
  test('every function, given hostile and wrong-typed arguments (throwing getters, Proxies, strings, huge numbers), returns', () => {
    const w = virtualWorld();
    const ws = setUp(w, true);
    const s = ws.socket(AF_INET, SOCK_STREAM, 0);
    const hostile = new Proxy({}, { get() { throw new Error('boom'); }, has() { throw new Error('boom'); } });
    const junk: unknown[] = [undefined, null, hostile, 'x', -1, 2 ** 40, NaN, {}, [], s, Symbol('s'), () => { throw new Error('cb'); }];
    let rng = 12345;
    const pick = () => {
      rng = (Math.imul(rng, 1103515245) + 12345) >>> 0;
      return junk[rng % junk.length];
    };
    const names = Object.keys(ws).filter((k) => typeof (ws as unknown as Record<string, unknown>)[k] === 'function' && k !== 'WSACleanup');
    assert.ok(names.length > 40, `${names.length} functions`);
    for (let round = 0; round < 40; round++) {
      for (const name of names) {
        const fn = (ws as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;
        const args = Array.from({ length: 9 }, pick);
        assert.doesNotThrow(() => fn(...args), name);
      }
    }
    // The socket given as junk is still usable afterwards or closed by a junk closesocket: either way, ws2 answers.
    assert.doesNotThrow(() => ws.closesocket(s));
  });
});
