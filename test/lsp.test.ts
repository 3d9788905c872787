/**
 * The sample layered providers (src/lsp): the tracing LSP and the chaos LSP installed in a chain
 * (tracing over chaos over the base provider) in the catalogue of src/ws2, on both networks. A
 * C-shaped program's trace; each chaos verb (fail, reset, truncate, delay) and each way a rule
 * matches (name, socket, nth, seeded chance); overlapped I/O and AcceptEx through both layers;
 * SIO_BASE_HANDLE answered by the base. The HTTP example through both LSPs is in lsp-http.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, FIONBIO, FIONREAD, INVALID_SOCKET, SIO_BASE_HANDLE, SIO_GET_EXTENSION_FUNCTION_POINTER, SO_UPDATE_ACCEPT_CONTEXT, SOCK_STREAM,
  SOCKET_ERROR, SOL_SOCKET, STATUS_SUCCESS, WSA_IO_PENDING, WSAECONNRESET, WSAENETUNREACH, WSAEWOULDBLOCK, WSAID_ACCEPTEX_BYTES, WSAEvent,
  type SockAddr, type WSAOVERLAPPED,
} from '../src/index.js';
import type { AcceptExFn } from '../src/extensions/index.js';
import { makeUpcalls, type Ws2 } from '../src/ws2/index.js';
import { stack as stackOver, type Stack } from './lsp-stack.js';
import { hostWorld, virtualWorld, type World } from './wine/harness.js';
import type { ChaosRule } from '../src/lsp/index.js';

const stack = (w: World, rules: ChaosRule[] = [], seed = 1, top: 'tracing' | 'chaos' = 'tracing'): Stack => stackOver(w.p, rules, seed, top);

const nb = (ws: Ws2, s: number) => assert.equal(ws.ioctlsocket(s, FIONBIO, { value: 1 }), 0);

function nameOf(ws: Ws2, s: number): SockAddr {
  const a = { family: 0, address: '', port: 0 } as SockAddr;
  assert.equal(ws.getsockname(s, a, { value: 28 }), 0);
  return a;
}

/** A non-blocking listener on 127.0.0.1 (port chosen by the network). */
function listening(ws: Ws2): { l: number; at: SockAddr } {
  const l = ws.socket(AF_INET, SOCK_STREAM, 0);
  assert.notEqual(l, INVALID_SOCKET);
  assert.equal(ws.bind(l, { family: AF_INET, address: '127.0.0.1', port: 0 }, 16), 0);
  assert.equal(ws.listen(l, 4), 0);
  nb(ws, l);
  return { l, at: nameOf(ws, l) };
}

/** A connected pair made with non-blocking calls (the host network's own thread cannot block). */
async function connected(w: World, ws: Ws2): Promise<{ l: number; c: number; a: number }> {
  const { l, at } = listening(ws);
  const c = ws.socket(AF_INET, SOCK_STREAM, 0);
  nb(ws, c);
  assert.equal(ws.connect(c, at, 16), SOCKET_ERROR);
  assert.equal(ws.WSAGetLastError(), WSAEWOULDBLOCK);
  let a = INVALID_SOCKET;
  await w.settle(() => (a = a !== INVALID_SOCKET ? a : ws.accept(l, null, null)) !== INVALID_SOCKET, 'accept');
  await w.settle(() => ws.send(c, new Uint8Array(0), 0, 0) === 0, 'connect done');
  return { l, c, a };
}

async function recvAll(w: World, ws: Ws2, s: number, n: number): Promise<Uint8Array> {
  const out: number[] = [];
  const buf = new Uint8Array(64);
  await w.settle(() => {
    for (;;) {
      const r = ws.recv(s, buf, buf.length, 0);
      if (r <= 0) return out.length >= n;
      out.push(...buf.subarray(0, r));
    }
  }, `${n} bytes`);
  return new Uint8Array(out);
}

const ovl = (): WSAOVERLAPPED => ({ Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: new WSAEvent() });

const WORLDS = [['virtual', () => virtualWorld()], ['host', () => hostWorld()]] as const;

for (const [kind, make] of WORLDS) {
  describe(`LSPs on the ${kind} network`, () => {
    const it = (name: string, fn: (w: World) => Promise<void>) => test(name, async () => {
      const w = make();
      try {
        await fn(w);
      } finally {
        await w.close();
      }
    });

    it('the tracing LSP logs a C-shaped program: one readable line and one JSON line per call, with arguments, result and lpErrno', async (w) => {
      const { ws, text, json, records } = stack(w);
      const { l, c, a } = await connected(w, ws);
      assert.equal(ws.send(c, new TextEncoder().encode('hello'), 5, 0), 5);
      assert.deepEqual(new TextDecoder().decode(await recvAll(w, ws, a, 5)), 'hello');
      for (const s of [c, a, l]) assert.equal(ws.closesocket(s), 0);
      assert.equal(text.length, json.length);
      assert.equal(text.length, records.length);
      // Every JSON line is the record of the same call.
      json.forEach((j, i) => assert.deepEqual(JSON.parse(j), records[i]));
      const hexS = (s: number) => `0x${s.toString(16)}`;
      assert.match(text[0]!, /^#1 WSPSocket\(af=2, type=1, protocol=0, lpProtocolInfo=&\{entry \d+\}, g=0, dwFlags=1\) = 0x4[0-9a-f]{7}$/);
      assert.ok(text.includes(`#2 WSPBind(s=${hexS(l)}, name=127.0.0.1:0, namelen=16) = 0`), text.slice(0, 4).join('\n'));
      assert.ok(text.some((t) => t.startsWith(`#`) && t.includes(`WSPConnect(s=${hexS(c)}, `) && t.endsWith('= -1 WSAEWOULDBLOCK (10035)')), 'the pending connect, with its code');
      assert.ok(text.some((t) => t.includes(`WSPSend(s=${hexS(c)}, lpBuffers=[5 B], dwBufferCount=1, lpNumberOfBytesSent=&5, dwFlags=0`) && t.endsWith(') = 0')));
      assert.ok(text.some((t) => t.includes(`WSPRecv(s=${hexS(a)}, `) && t.endsWith('= 0') && t.includes('lpNumberOfBytesRecvd=&5')));
      assert.ok(text.some((t) => t.includes(`WSPIoctl(s=${hexS(c)}, dwIoControlCode=0x8004667e`)), 'FIONBIO in hex');
      assert.deepEqual(records.filter((r) => r.call === 'WSPCloseSocket').map((r) => [r.socket, r.result]), [[c, 0], [a, 0], [l, 0]]);
      // The sequence of distinct calls (polls collapsed) is the program's.
      const calls = records.map((r) => r.call).filter((n, i, all) => n !== all[i - 1]);
      assert.deepEqual(calls.slice(0, 6), ['WSPSocket', 'WSPBind', 'WSPListen', 'WSPIoctl', 'WSPGetSockName', 'WSPSocket']);
      assert.ok(records.every((r, i) => r.seq === i + 1));
      const failed = records.filter((r) => r.errno !== 0);
      assert.ok(failed.length > 0 && failed.every((r) => r.result === SOCKET_ERROR || r.result === INVALID_SOCKET), 'lpErrno only on failures');
    });

    it('chaos fail: WSPConnect fails with the chosen code and nothing reaches the base (no connection is queued)', async (w) => {
      const { ws, chaos } = stack(w, [{ call: 'WSPConnect', action: { fail: WSAENETUNREACH } }], 1, 'chaos');
      const { l, at } = listening(ws);
      const c = ws.socket(AF_INET, SOCK_STREAM, 0);
      assert.equal(ws.connect(c, at, 16), SOCKET_ERROR);
      assert.equal(ws.WSAGetLastError(), WSAENETUNREACH);
      await w.pass(50);
      assert.equal(ws.accept(l, null, null), INVALID_SOCKET);
      assert.equal(ws.WSAGetLastError(), WSAEWOULDBLOCK);
      assert.deepEqual(chaos.fired.map((f) => [f.call, f.socket]), [['WSPConnect', c]]);
    });

    it('chaos truncate: a send sends fewer bytes (the count says so), a recv returns fewer', async (w) => {
      const { ws, chaos } = stack(w, [], 1, 'chaos');
      const { c, a } = await connected(w, ws);
      chaos.rules = [{ call: 'WSPSend', socket: c, action: { truncate: 4 } }];
      const data = new TextEncoder().encode('0123456789');
      assert.equal(ws.send(c, data, 10, 0), 4, 'a short send');
      assert.equal(ws.send(c, data.subarray(4), 6, 0), 4);
      const avail = { value: 0 };
      await w.settle(() => ws.ioctlsocket(a, FIONREAD, avail) === 0 && avail.value === 8, '8 bytes arrive');
      chaos.rules.push({ call: 'WSPRecv', socket: a, times: 1, action: { truncate: 3 } });
      const buf = new Uint8Array(16);
      assert.equal(ws.recv(a, buf, 16, 0), 3, 'a short recv, with more waiting');
      assert.equal(new TextDecoder().decode(buf.subarray(0, 3)), '012');
      assert.equal(new TextDecoder().decode(await recvAll(w, ws, a, 5)), '34567', 'the rest, untruncated');
    });

    it('chaos reset: the call fails with WSAECONNRESET, the peer sees the connection reset, later calls fail too', async (w) => {
      const { ws, chaos } = stack(w, [], 1, 'chaos');
      const { c, a } = await connected(w, ws);
      chaos.rules = [{ call: 'WSPRecv', socket: a, action: { reset: true } }];
      const buf = new Uint8Array(8);
      assert.equal(ws.recv(a, buf, 8, 0), SOCKET_ERROR);
      assert.equal(ws.WSAGetLastError(), WSAECONNRESET);
      assert.equal(ws.send(a, buf, 1, 0), SOCKET_ERROR);
      assert.equal(ws.WSAGetLastError(), WSAECONNRESET);
      await w.settle(() => ws.recv(c, buf, 8, 0) === SOCKET_ERROR && ws.WSAGetLastError() === WSAECONNRESET, 'the peer sees RST');
      assert.equal(ws.closesocket(a), 0, 'the handle still closes');
      assert.equal(ws.closesocket(c), 0);
    });

    it('chaos rules match by nth call, by socket, and by a seeded chance (the same seed gives the same faults)', async (w) => {
      const run = async (seed: number) => {
        const { ws, chaos } = stack(w, [], seed, 'chaos');
        const { c, a } = await connected(w, ws);
        chaos.rules = [
          { call: 'WSPSend', socket: a, action: { fail: 10055 } }, // never fires: a sends nothing
          { call: 'WSPSend', nth: 3, action: { fail: 10055 } },
          { call: 'WSPSend', probability: 0.5, action: { fail: 10050 } },
        ];
        const out = Array.from({ length: 24 }, () => (ws.send(c, new Uint8Array([1]), 1, 0) === 1 ? 0 : ws.WSAGetLastError()));
        for (const s of [c, a]) ws.closesocket(s);
        return out;
      };
      const one = await run(7);
      assert.equal(one[2], 10055, 'the 3rd send');
      assert.ok(!one.slice(0, 2).includes(10055) && !one.slice(3).includes(10055));
      const chance = one.filter((x) => x === 10050).length;
      assert.ok(chance > 3 && chance < 20, `${chance} of 23 by chance`);
      assert.deepEqual(await run(7), one, 'the same seed: the same faults');
      assert.notDeepEqual(await run(8), one, 'another seed: others');
    });

    it('overlapped WSARecv and WSASend pass through both layers: pending, the program\'s event, its OVERLAPPED completed, WSAGetOverlappedResult', async (w) => {
      const { ws, records } = stack(w);
      const { c, a } = await connected(w, ws);
      const ov = ovl();
      const buf = new Uint8Array(8);
      assert.equal(ws.WSARecv(a, [{ len: 8, buf }], 1, null, { value: 0 }, ov, null), SOCKET_ERROR);
      assert.equal(ws.WSAGetLastError(), WSA_IO_PENDING);
      const sov = ovl();
      const sent = { value: 0 };
      const r = ws.WSASend(c, [{ len: 3, buf: new Uint8Array([7, 8, 9]) }], 1, sent, 0, sov, null);
      assert.ok(r === 0 || ws.WSAGetLastError() === WSA_IO_PENDING);
      await w.settle(() => ov.hEvent!.signaled, 'the receive completes');
      assert.equal(ov.Internal, STATUS_SUCCESS);
      assert.equal(ov.InternalHigh, 3);
      const n = { value: 0 };
      assert.equal(ws.WSAGetOverlappedResult(a, ov, n, false, { value: 0 }), 1);
      assert.equal(n.value, 3);
      assert.deepEqual([...buf.subarray(0, 3)], [7, 8, 9]);
      assert.ok(records.some((x) => x.call === 'WSPGetOverlappedResult' && x.socket === a && x.result === 1));
      // A completion routine comes back as an APC on the program's thread, with the program's OVERLAPPED.
      const got: [number, number, WSAOVERLAPPED][] = [];
      const rov = ovl();
      assert.equal(ws.WSARecv(a, [{ len: 8, buf }], 1, null, { value: 0 }, rov, (err, count, o) => got.push([err, count, o])), SOCKET_ERROR);
      assert.equal(ws.send(c, new Uint8Array([1, 2]), 2, 0), 2);
      await w.settle(() => ws.runApcs() > 0 || got.length > 0, 'the routine runs');
      assert.deepEqual(got, [[0, 2, rov]]);
    });

    it('AcceptEx from SIO_GET_EXTENSION_FUNCTION_POINTER is the layer\'s: it goes through both LSPs (traced, chaos-able) and accepts into the program\'s socket', async (w) => {
      const { ws, records, chaos } = stack(w);
      const { l, at } = listening(ws);
      const out = { value: null as AcceptExFn | null };
      assert.equal(ws.WSAIoctl(l, SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_ACCEPTEX_BYTES, 16, out as never, 4, { value: 0 }, null, null), 0);
      const ax = out.value!;
      const again = { value: null as AcceptExFn | null };
      ws.WSAIoctl(l, SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_ACCEPTEX_BYTES, 16, again as never, 4, { value: 0 }, null, null);
      assert.equal(again.value, ax, 'the same GUID gives the same pointer');
      // The base's own AcceptEx, asked for directly, is another function.
      const baseOut = { value: null as AcceptExFn | null };
      const bl = w.p.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 1, { value: 0 });
      w.p.WSPIoctl(bl, SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_ACCEPTEX_BYTES, 16, baseOut as never, 4, { value: 0 }, null, null, null, { value: 0 });
      assert.notEqual(baseOut.value, ax);
      w.p.WSPCloseSocket(bl, { value: 0 });

      // A chaos rule on AcceptEx proves the program's call reaches the layer.
      chaos.rules = [{ call: 'AcceptEx', nth: 1, action: { fail: 10055 } }];
      const sa = ws.socket(AF_INET, SOCK_STREAM, 0);
      const lpErrno = { value: 0 };
      const ov = ovl();
      const bufx = new Uint8Array(64);
      assert.equal(ax(l, sa, bufx, 0, 32, 32, { value: 0 }, ov, lpErrno), 0);
      assert.equal(lpErrno.value, 10055);
      assert.equal(ax(l, sa, bufx, 0, 32, 32, { value: 0 }, ov, lpErrno), 0);
      assert.equal(lpErrno.value, WSA_IO_PENDING);
      const c = ws.socket(AF_INET, SOCK_STREAM, 0);
      nb(ws, c);
      ws.connect(c, at, 16);
      await w.settle(() => ov.hEvent!.signaled, 'AcceptEx completes');
      assert.equal(ov.Internal, STATUS_SUCCESS);
      const lh = new Uint8Array(4);
      new DataView(lh.buffer).setUint32(0, l, true);
      assert.equal(ws.setsockopt(sa, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, lh, 4), 0, 'the listening socket in optval is translated');
      const peer = { family: 0, address: '', port: 0 } as SockAddr;
      assert.equal(ws.getpeername(sa, peer, { value: 28 }), 0);
      assert.deepEqual(peer, nameOf(ws, c));
      const traced = records.filter((r) => r.call === 'AcceptEx');
      assert.equal(traced.length, 2);
      assert.deepEqual([traced[0]!.result, traced[0]!.errno], [0, 10055]);
      assert.equal(traced[1]!.args.sAcceptSocket, `0x${sa.toString(16)}`);
      for (const s of [c, sa, l]) assert.equal(ws.closesocket(s), 0);
    });

    it('SIO_BASE_HANDLE is never intercepted: it returns the base provider\'s own handle, not the program\'s WPU handle', async (w) => {
      const { ws, records } = stack(w);
      const { l, at } = listening(ws);
      const out = new Uint8Array(4);
      const got = { value: 0 };
      assert.equal(ws.WSAIoctl(l, SIO_BASE_HANDLE, null, 0, out, 4, got, null, null), 0);
      assert.equal(got.value, 4);
      const base = new DataView(out.buffer).getUint32(0, true);
      assert.ok(l >= 0x40000000 && base < 0x40000000 && base !== l, `program ${l}, base ${base}`);
      const name = { family: 0, address: '', port: 0 } as SockAddr;
      assert.equal(w.p.WSPGetSockName(base, name, { value: 28 }, { value: 0 }), 0, 'the base provider knows the handle');
      assert.deepEqual(name, at);
      assert.ok(records.some((r) => r.call === 'WSPIoctl' && r.args.dwIoControlCode === '0x48000022' && r.result === 0));
    });
  });
}

describe('window messages through both LSPs', () => {
  test('WSAAsyncSelect: the base provider\'s WPUPostMessage reaches the program with the program\'s SOCKET as wParam (followed up through both layers\' contexts)', async () => {
    const w = virtualWorld();
    const { ws } = stack(w);
    const { l, at } = listening(ws);
    const got: [number, number, number][] = [];
    assert.equal(ws.WSAAsyncSelect(l, (m: number, wp: number, lp: number) => got.push([m, wp, lp]), 0x401, 0x08 /* FD_ACCEPT */), 0);
    const c = ws.socket(AF_INET, SOCK_STREAM, 0);
    nb(ws, c);
    ws.connect(c, at, 16);
    await w.settle(() => got.length > 0, 'FD_ACCEPT posted');
    assert.deepEqual(got[0], [0x401, l, 0x08]);
  });
});

describe('the chaos LSP\'s delay', () => {
  test('on the virtual network, a delayed call waits in virtual time (the clock moves by the delay, no wall time)', async () => {
    const w = virtualWorld();
    const { ws, chaos } = stack(w);
    const { c } = await connected(w, ws);
    chaos.rules = [{ call: 'WSPSend', nth: 1, action: { delay: 250 } }];
    const t0 = w.net!.now();
    const wall = Date.now();
    assert.equal(ws.send(c, new Uint8Array([1]), 1, 0), 1);
    assert.ok(w.net!.now() - t0 >= 250, `virtual ${w.net!.now() - t0} ms`);
    assert.ok(Date.now() - wall < 200, 'no real waiting');
    const t1 = w.net!.now();
    assert.equal(ws.send(c, new Uint8Array([1]), 1, 0), 1);
    assert.equal(w.net!.now(), t1, 'only the first send is delayed');
  });

  test('on the host network, a delayed call waits in real time', async () => {
    const w = hostWorld();
    try {
      const { ws, chaos } = stack(w);
      const { c } = await connected(w, ws);
      chaos.rules = [{ call: 'WSPSend', action: { delay: 120 } }];
      const t0 = performance.now();
      assert.equal(ws.send(c, new Uint8Array([1]), 1, 0), 1);
      assert.ok(performance.now() - t0 >= 115, `${performance.now() - t0} ms`);
    } finally {
      await w.close();
    }
  });
});

describe('the sample LSPs never throw', () => {
  test('every function of the top layer\'s proc table (and the extension functions it hands out) given junk: no throw, a failure value or an answer', async () => {
    const w = virtualWorld();
    const { ws, catalog } = stackOver(w.p, [{ call: 'WSPSend', probability: 0.5, action: { truncate: 1 } }]);
    const { c } = await connected(w, ws);
    const top = catalog.select(AF_INET, SOCK_STREAM, 0);
    assert.ok(typeof top !== 'number');
    const resolved = catalog.resolve(top.dwCatalogEntryId)!;
    const table: Record<string, (...a: unknown[]) => unknown> = {};
    assert.equal(resolved.provider.WSPStartup(0x0202, {} as never, top, makeUpcalls(ws, top.dwCatalogEntryId), table as never), 0);
    const out = { value: null as unknown };
    assert.equal((table.lpWSPIoctl!)(c, SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_ACCEPTEX_BYTES, 16, out, 4, { value: 0 }, null, null, null, { value: 0 }), SOCKET_ERROR,
      'c is ws2\'s handle, not one this fresh table made');
    const hostile = new Proxy({}, { get: () => { throw new Error('hostile'); }, getPrototypeOf: () => { throw new Error('hostile'); } });
    const junk: unknown[] = [undefined, null, hostile, 'x', -1, 2 ** 40, NaN, {}, [], c, 0x40000000, () => { throw new Error('cb'); }, new Uint8Array(2)];
    let rng = 99;
    const pick = () => junk[(rng = (Math.imul(rng, 1103515245) + 12345) >>> 0) % junk.length];
    const fns = Object.entries(table);
    assert.equal(fns.length, 30);
    for (let round = 0; round < 60; round++) {
      for (const [name, fn] of fns) assert.doesNotThrow(() => fn(...Array.from({ length: 11 }, pick)), name);
    }
    assert.doesNotThrow(() => resolved.provider.WSPStartup(0x0202, hostile as never, hostile as never, hostile as never, hostile as never));
    // The layer's AcceptEx (through ws2, whose table knows ws2's handles) given junk.
    const { l } = listening(ws);
    const ax = { value: null as unknown };
    assert.equal(ws.WSAIoctl(l, SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_ACCEPTEX_BYTES, 16, ax as never, 4, { value: 0 }, null, null), 0);
    for (let round = 0; round < 200; round++) assert.doesNotThrow(() => (ax.value as (...a: unknown[]) => unknown)(...Array.from({ length: 9 }, pick)));

  });
});
