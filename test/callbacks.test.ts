/**
 * Issue 13, item 4: callbacks cannot corrupt state. While a provider runs a caller's callback
 * (the WSPAccept condition function, the WPUPostMessage upcall of WSPAsyncSelect), every WSP*
 * call into that provider that would change state fails with WSAEINPROGRESS ("a callback is in
 * progress") and changes nothing. What a callback can reach past the SPI — host.crash(),
 * host.setNetworkDown(true), running the network — never makes WSPAccept return the handle of a
 * destroyed connection, and descriptorsInUse never goes negative.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, CF_ACCEPT, CF_DEFER, CF_REJECT, FD_ACCEPT, FD_CLOSE, FD_CONNECT, FD_READ, FD_WRITE, FIONBIO, INVALID_SOCKET,
  IPPROTO_UDP, SD_SEND, SOCK_DGRAM, SOCK_STREAM, SOCKET_ERROR, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, SO_ERROR, SO_LINGER,
  SO_RCVBUF, VirtualNetwork, WSAEINPROGRESS, WSAEvent, errorName, type LPINT,
  type ServiceProvider, type SockAddr, type VirtualHost,
} from '../src/index.js';
import { documented } from './documented-errors.js';
import { attempt, bind, connect, listener, ok, setInt, setNonBlocking, startConnect, tcp, v4 } from './helpers.js';
import { assertLive, assertUnchanged, checkAccounting, snapshotHosts } from './state-snapshot.js';

const SERVER = v4('10.0.0.1', 80);
const OTHER = v4('10.0.0.1', 81);
const NOBODY = v4('10.0.0.1', 99);
const HWND = { window: 1 };
const WM = 0x8001;

interface World {
  net: VirtualNetwork;
  A: VirtualHost;
  B: VirtualHost;
  server: ServiceProvider;
  client: ServiceProvider;
}

function world(): World {
  const net = new VirtualNetwork({ timeWaitMs: 1000 });
  const A = net.addHost({ name: 'server', addresses: ['10.0.0.1'] });
  const B = net.addHost({ name: 'client', addresses: ['10.0.0.2'] });
  return { net, A, B, server: A.provider, client: B.provider };
}

/** Installs a WPUPostMessage upcall on the provider (through WSPStartup, as ws2_32 does). */
function upcall(p: ServiceProvider, fn: (socket: number, lParam: number) => void): void {
  const lpWPUPostMessage = (_h: unknown, _m: number, w: number, l: number) => { fn(w, l); return true; };
  assert.equal(p.WSPStartup(0x0202, {}, null, { lpWPUPostMessage }, {}), 0);
}

function udp(p: ServiceProvider, at: SockAddr): number {
  const s = ok((e) => p.WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
  assert.equal(bind(p, s, at).ret, 0);
  return s;
}

function bytes(n: number): { len: number; buf: Uint8Array }[] {
  return [{ len: n, buf: new Uint8Array(n).fill(7) }];
}

/** Closes everything, lets the network settle, and checks no descriptor, byte, port or TCB is held. */
function settleAndCheck(w: World): void {
  for (const h of [w.A, w.B]) {
    h.restart();
    checkAccounting(h.provider, `${h.name} before closing`);
    for (const s of h.provider.core.handles()) assert.equal(h.provider.WSPCloseSocket(s, { value: 0 }), 0);
  }
  w.net.run();
  w.net.advance(5000);
  for (const h of [w.A, w.B]) {
    assert.equal(h.provider.core.descriptorsInUse, 0, `${h.name}: descriptors`);
    assert.equal(h.provider.core.bytesInUse, 0, `${h.name}: budget bytes`);
    assert.equal(h.provider.core.portsHeld, 0, `${h.name}: ports`);
    assert.equal(h.net.tcp.connectionCount, 0, `${h.name}: TCBs`);
  }
}

/** Watches descriptorsInUse on every state change of a provider; returns the lowest value seen. */
function watchDescriptors(p: ServiceProvider): () => number {
  let lowest = p.core.descriptorsInUse;
  p.core.watchers.add(() => { lowest = Math.min(lowest, p.core.descriptorsInUse); });
  return () => Math.min(lowest, p.core.descriptorsInUse);
}

/** Sockets in many states on the server host, for the battery of calls made inside a callback. */
function scene(w: World) {
  const { net, server, client } = w;
  const l = listener(server, SERVER, 5);
  const l2 = listener(server, OTHER, 5);
  assert.equal(connect(client, tcp(client), OTHER).ret, 0); // queued on l2
  const l3 = listener(server, v4('10.0.0.1', 82), 5);
  const c = tcp(client);
  assert.equal(connect(client, c, v4('10.0.0.1', 82)).ret, 0);
  const a = ok((e) => server.WSPAccept(l3, null, null, null, 0, e));
  ok((e) => client.WSPSend(c, bytes(50), 1, { value: 0 }, 0, null, null, null, e)); // unread at a
  const u = udp(server, v4('10.0.0.1', 53));
  const cu = udp(client, v4('10.0.0.2', 53));
  ok((e) => client.WSPSendTo(cu, bytes(20), 1, { value: 0 }, 0, v4('10.0.0.1', 53), 16, null, null, null, e)); // queued at u
  const ev = new WSAEvent();
  ok((e) => server.WSPEventSelect(l2, ev, FD_ACCEPT, e));
  const fresh = tcp(server);
  net.run();
  assert.equal(ev.signaled, true);
  return { l, l2, a, u, ev, fresh, c };
}

type Scene = ReturnType<typeof scene>;

/** Every state-changing WSP* call on the server provider; each must fail with WSAEINPROGRESS. */
function stateChangingCalls(p: ServiceProvider, s: Scene): [string, (e: LPINT) => number, number][] {
  const set = () => ({ fd_count: 3, fd_array: [s.l2, s.a, s.u] });
  return [
    ['WSPSocket', (e) => p.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 0, e), INVALID_SOCKET],
    ['WSPBind', (e) => p.WSPBind(s.fresh, v4('10.0.0.1', 90), 16, e), SOCKET_ERROR],
    ['WSPListen (the listener in the callback)', (e) => p.WSPListen(s.l, 1, e), SOCKET_ERROR],
    ['WSPListen (another listener)', (e) => p.WSPListen(s.l2, 1, e), SOCKET_ERROR],
    ['WSPAccept (the same listener again)', (e) => p.WSPAccept(s.l, null, null, null, 0, e), INVALID_SOCKET],
    ['WSPAccept (another listener with a queued connection)', (e) => p.WSPAccept(s.l2, null, null, null, 0, e), INVALID_SOCKET],
    ['WSPConnect', (e) => p.WSPConnect(s.fresh, v4('10.0.0.2', 7), 16, null, null, null, null, e), SOCKET_ERROR],
    ['WSPCloseSocket (the listener)', (e) => p.WSPCloseSocket(s.l, e), SOCKET_ERROR],
    ['WSPCloseSocket (a connected socket)', (e) => p.WSPCloseSocket(s.a, e), SOCKET_ERROR],
    ['WSPSend', (e) => p.WSPSend(s.a, bytes(10), 1, { value: 0 }, 0, null, null, null, e), SOCKET_ERROR],
    ['WSPRecv (data waiting)', (e) => p.WSPRecv(s.a, bytes(100), 1, { value: 0 }, { value: 0 }, null, null, null, e), SOCKET_ERROR],
    ['WSPSendTo', (e) => p.WSPSendTo(s.u, bytes(10), 1, { value: 0 }, 0, v4('10.0.0.2', 53), 16, null, null, null, e), SOCKET_ERROR],
    ['WSPRecvFrom (a datagram waiting)', (e) => p.WSPRecvFrom(s.u, bytes(100), 1, { value: 0 }, { value: 0 }, null, null, null, null, null, e), SOCKET_ERROR],
    ['WSPShutdown', (e) => p.WSPShutdown(s.a, SD_SEND, e), SOCKET_ERROR],
    ['WSPSetSockOpt', (e) => p.WSPSetSockOpt(s.a, SOL_SOCKET, SO_RCVBUF, new Uint8Array([0, 16, 0, 0]), 4, e), SOCKET_ERROR],
    ['WSPSetSockOpt(SO_ERROR)', (e) => p.WSPSetSockOpt(s.a, SOL_SOCKET, SO_ERROR, new Uint8Array([0xd2, 4, 0, 0]), 4, e), SOCKET_ERROR],
    ['WSPIoctl(FIONBIO)', (e) => p.WSPIoctl(s.a, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e), SOCKET_ERROR],
    ['WSPSelect', (e) => p.WSPSelect(0, set(), set(), set(), { tv_sec: 0, tv_usec: 0 }, e), SOCKET_ERROR],
    ['WSPEventSelect', (e) => p.WSPEventSelect(s.a, new WSAEvent(), FD_READ, e), SOCKET_ERROR],
    ['WSPAsyncSelect', (e) => p.WSPAsyncSelect(s.a, HWND, WM, FD_READ, e), SOCKET_ERROR],
    ['WSPEnumNetworkEvents (events recorded)', (e) => p.WSPEnumNetworkEvents(s.l2, s.ev, { lNetworkEvents: 0, iErrorCode: [] }, e), SOCKET_ERROR],
    // Last: if it worked it would close everything and hide what the others do.
    ['WSPCleanup', (e) => p.WSPCleanup(e), SOCKET_ERROR],
  ];
}

/** Runs the battery inside a callback: every call fails with WSAEINPROGRESS, nothing changes. */
function battery(w: World, s: Scene, where: string): string[] {
  const problems: string[] = [];
  const before = snapshotHosts([w.A, w.B]);
  const evBefore = s.ev.signaled;
  for (const [name, call, failValue] of stateChangingCalls(w.server, s)) {
    let r = { ret: 0, err: 0 };
    try {
      r = attempt(call);
    } catch (err) {
      problems.push(`${name} threw ${(err as Error).message}`);
      continue;
    }
    if (r.ret !== failValue || r.err !== WSAEINPROGRESS) {
      problems.push(`${name}: ${r.ret === failValue ? errorName(r.err) ?? r.err : `succeeded (${r.ret})`}`);
    }
  }
  const started = w.server.WSPStartup(0x0202, {}, null, null, {});
  if (started !== WSAEINPROGRESS) problems.push(`WSPStartup returned ${errorName(started) ?? started}`);
  try {
    assertUnchanged(before, snapshotHosts([w.A, w.B]), `${where}: the calls changed state`);
  } catch (err) {
    problems.push((err as Error).message.split('\n')[0]!);
  }
  if (s.ev.signaled !== evBefore) problems.push('the event object was reset');
  return problems;
}

describe('rule 4: while a callback runs, WSP* calls into the same provider fail with WSAEINPROGRESS and change nothing', () => {
  test('every state-changing WSP* call from inside the WSPAccept condition function', () => {
    const w = world();
    upcall(w.server, () => {}); // one WSPStartup: a WSPCleanup would close everything
    const s = scene(w);
    assert.equal(connect(w.client, tcp(w.client), SERVER).ret, 0);
    let problems: string[] = ['the condition function was not called'];
    const a = attempt((e) => w.server.WSPAccept(s.l, null, null, () => { problems = battery(w, s, 'condition function'); return CF_ACCEPT; }, 0, e));
    assert.deepEqual(problems, []);
    assertLive(w.server, a.ret, 'the accept itself succeeds');
    // Afterwards the calls work again.
    assert.equal(ok((e) => w.server.WSPRecv(s.a, bytes(100), 1, { value: 0 }, { value: 0 }, null, null, null, e)), 0);
    assertLive(w.server, ok((e) => w.server.WSPAccept(s.l2, null, null, null, 0, e)), 'l2');
    settleAndCheck(w);
  });

  test('every state-changing WSP* call from inside a WPUPostMessage upcall (posted while the network runs)', () => {
    const w = world();
    let problems: string[] | null = null;
    let s: Scene | null = null;
    upcall(w.server, (_sock, lParam) => {
      if (s === null || problems !== null || (lParam & 0xffff) !== FD_ACCEPT) return;
      problems = battery(w, s, 'upcall');
    });
    s = scene(w);
    ok((e) => w.server.WSPAsyncSelect(s!.l, HWND, WM, FD_ACCEPT, e));
    startConnect(w.client, SERVER);
    w.net.run();
    assert.deepEqual(problems, [], 'the upcall ran the battery');
    assertLive(w.server, ok((e) => w.server.WSPAccept(s!.l, null, null, null, 0, e)), 'afterwards');
    settleAndCheck(w);
  });

  test('inside an upcall posted during WSPAccept: closing the new socket or WSPCleanup fails with WSAEINPROGRESS; WSPAccept returns a live socket', () => {
    const w = world();
    const inside: Record<string, number> = {};
    let armed = false;
    upcall(w.server, (sock, lParam) => {
      if (!armed) return;
      const ev = lParam & 0xffff;
      inside[`close ${ev}`] = attempt((e) => w.server.WSPCloseSocket(sock, e)).err;
      inside[`cleanup ${ev}`] = attempt((e) => w.server.WSPCleanup(e)).err;
    });
    const l = listener(w.server, SERVER, 5);
    ok((e) => w.server.WSPAsyncSelect(l, HWND, WM, FD_ACCEPT | FD_READ | FD_WRITE | FD_CLOSE, e));
    startConnect(w.client, SERVER);
    startConnect(w.client, SERVER);
    w.net.run();
    armed = true;
    const a = ok((e) => w.server.WSPAccept(l, null, null, null, 0, e));
    armed = false;
    assert.ok(Object.keys(inside).length > 0, 'an upcall was posted during WSPAccept');
    for (const [k, v] of Object.entries(inside)) assert.equal(errorName(v), 'WSAEINPROGRESS', k);
    assertLive(w.server, a, 'the accepted socket');
    assertLive(w.server, l, 'the listener');
    settleAndCheck(w);
  });

  test('WSPCleanup from inside the condition function fails with WSAEINPROGRESS; the accept returns a live socket; descriptors stay consistent', () => {
    const w = world();
    upcall(w.server, () => {});
    const lowest = watchDescriptors(w.server);
    const l = listener(w.server, SERVER, 5);
    assert.equal(connect(w.client, tcp(w.client), SERVER).ret, 0);
    let inside = { ret: 0, err: 0 };
    const a = attempt((e) => w.server.WSPAccept(l, null, null, () => { inside = attempt((x) => w.server.WSPCleanup(x)); return CF_ACCEPT; }, 0, e));
    assert.deepEqual({ ret: inside.ret, err: errorName(inside.err) }, { ret: SOCKET_ERROR, err: 'WSAEINPROGRESS' });
    assertLive(w.server, a.ret, 'accepted');
    assertLive(w.server, l, 'listener');
    checkAccounting(w.server);
    settleAndCheck(w);
    assert.ok(lowest() >= 0, `descriptorsInUse went down to ${lowest()}`);
  });

  test('WSPCloseSocket of the listener and WSPAccept again, from inside the condition function, fail with WSAEINPROGRESS', () => {
    const w = world();
    const l = listener(w.server, SERVER, 5);
    assert.equal(connect(w.client, tcp(w.client), SERVER).ret, 0);
    assert.equal(connect(w.client, tcp(w.client), SERVER).ret, 0);
    const inside: Record<string, { ret: number; err: number }> = {};
    const a = attempt((e) => w.server.WSPAccept(l, null, null, () => {
      inside.close = attempt((x) => w.server.WSPCloseSocket(l, x));
      inside.accept = attempt((x) => w.server.WSPAccept(l, null, null, () => CF_ACCEPT, 0, x));
      return CF_ACCEPT;
    }, 0, e));
    assert.deepEqual(inside.close, { ret: SOCKET_ERROR, err: WSAEINPROGRESS });
    assert.deepEqual(inside.accept, { ret: INVALID_SOCKET, err: WSAEINPROGRESS });
    assertLive(w.server, a.ret, 'accepted');
    assert.equal(w.server.inspect(l)!.listen!.queueLength, 1, 'the second connection is still queued');
    settleAndCheck(w);
  });

  test('a WPUPostMessage upcall cannot change what a blocking WSPConnect reports (SO_ERROR set from inside fails)', () => {
    const w = world();
    const inside: number[] = [];
    upcall(w.client, (sock, lParam) => {
      if ((lParam & 0xffff) !== FD_CONNECT) return;
      inside.push(setInt(w.client, sock, SOL_SOCKET, SO_ERROR, 1234).err);
    });
    const c = tcp(w.client);
    ok((e) => w.client.WSPAsyncSelect(c, HWND, WM, FD_CONNECT, e));
    setNonBlocking(w.client, c, true);
    const r = connect(w.client, c, NOBODY);
    assert.equal(errorName(r.err), 'WSAEWOULDBLOCK');
    w.net.run();
    assert.deepEqual(inside.map((x) => errorName(x)), ['WSAEINPROGRESS']);
    assert.equal(errorName(new DataView(getSoError(w.client, c).buffer).getInt32(0, true)), 'WSAECONNREFUSED');
  });

  test('calls on another host\'s provider from inside a callback are not affected (another machine)', () => {
    const w = world();
    const l = listener(w.server, SERVER, 5);
    assert.equal(connect(w.client, tcp(w.client), SERVER).ret, 0);
    let other = INVALID_SOCKET;
    ok((e) => w.server.WSPAccept(l, null, null, () => { other = ok((x) => w.client.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 0, x)); return CF_ACCEPT; }, 0, e));
    assertLive(w.client, other, 'made inside the callback');
  });
});

function getSoError(p: ServiceProvider, s: number): Uint8Array {
  const buf = new Uint8Array(4);
  ok((e) => p.WSPGetSockOpt(s, SOL_SOCKET, SO_ERROR, buf, { value: 4 }, e));
  return buf;
}

/** WSPAccept's outcome must be a live socket, or a failure with a code it documents. */
function acceptOutcome(p: ServiceProvider, r: { ret: number; err: number }, label: string): void {
  if (r.ret === INVALID_SOCKET) {
    assert.ok(documented.WSPAccept!.includes(r.err), `${label}: WSPAccept failed with undocumented ${errorName(r.err) ?? r.err}`);
  } else {
    assertLive(p, r.ret, `${label}: WSPAccept returned the handle of a destroyed socket`);
  }
}

describe('rule 4: host.crash() and host.setNetworkDown(true) from inside a callback', () => {
  test('host.crash() inside the condition function: WSPAccept fails with a documented code, returns no handle, nothing leaks', () => {
    for (const verdict of [CF_ACCEPT, CF_REJECT, CF_DEFER]) {
      for (const conditional of [false, true]) {
        const w = world();
        const lowest = watchDescriptors(w.server);
        const l = listener(w.server, SERVER, 5);
        if (conditional) assert.equal(setInt(w.server, l, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, 1).ret, 0);
        startConnect(w.client, SERVER);
        w.net.run();
        const label = `verdict ${verdict}${conditional ? ', SO_CONDITIONAL_ACCEPT' : ''}`;
        let r = { ret: 0, err: 0 };
        assert.doesNotThrow(() => { r = attempt((e) => w.server.WSPAccept(l, null, null, () => { w.A.crash(); return verdict; }, 0, e)); }, label);
        assert.equal(r.ret, INVALID_SOCKET, `${label}: no handle after a crash`);
        assert.ok(documented.WSPAccept!.includes(r.err), `${label}: undocumented ${errorName(r.err) ?? r.err}`);
        assert.deepEqual(w.server.core.handles(), [], `${label}: the crash closed everything`);
        checkAccounting(w.server, label);
        assert.ok(lowest() >= 0, `${label}: descriptorsInUse went down to ${lowest()}`);
        settleAndCheck(w);
        assert.ok(lowest() >= 0, `${label}: descriptorsInUse went down to ${lowest()}`);
      }
    }
  });

  test('host.setNetworkDown(true) inside the condition function: WSPAccept fails with a documented code (WSAENETDOWN), nothing leaks', () => {
    for (const conditional of [false, true]) {
      const w = world();
      const lowest = watchDescriptors(w.server);
      const l = listener(w.server, SERVER, 5);
      if (conditional) assert.equal(setInt(w.server, l, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, 1).ret, 0);
      startConnect(w.client, SERVER);
      w.net.run();
      let r = { ret: 0, err: 0 };
      assert.doesNotThrow(() => { r = attempt((e) => w.server.WSPAccept(l, null, null, () => { w.A.setNetworkDown(true); return CF_ACCEPT; }, 0, e)); });
      assert.equal(r.ret, INVALID_SOCKET, 'the network went down during the accept');
      assert.ok(documented.WSPAccept!.includes(r.err), `undocumented ${errorName(r.err) ?? r.err}`);
      checkAccounting(w.server);
      w.A.setNetworkDown(false);
      w.net.run();
      checkAccounting(w.server);
      settleAndCheck(w);
      assert.ok(lowest() >= 0, `descriptorsInUse went down to ${lowest()}`);
    }
  });

  test('host.crash() inside an upcall posted while the network runs: nothing throws, descriptorsInUse never negative, nothing leaks', () => {
    for (const events of [FD_ACCEPT, FD_ACCEPT | FD_READ | FD_WRITE | FD_CLOSE]) {
      const w = world();
      const lowest = watchDescriptors(w.server);
      upcall(w.server, () => w.A.crash());
      const l = listener(w.server, SERVER, 5);
      ok((e) => w.server.WSPAsyncSelect(l, HWND, WM, events, e));
      startConnect(w.client, SERVER);
      startConnect(w.client, SERVER);
      assert.doesNotThrow(() => w.net.run());
      checkAccounting(w.server);
      assert.ok(lowest() >= 0, `descriptorsInUse went down to ${lowest()}`);
      settleAndCheck(w);
    }
  });

  test('host.crash() or setNetworkDown(true) inside an upcall posted during WSPAccept: never the handle of a destroyed socket', () => {
    for (const act of ['crash', 'down'] as const) {
      const w = world();
      const lowest = watchDescriptors(w.server);
      let armed = false;
      upcall(w.server, () => {
        if (!armed) return;
        armed = false;
        if (act === 'crash') w.A.crash();
        else w.A.setNetworkDown(true);
      });
      const l = listener(w.server, SERVER, 5);
      ok((e) => w.server.WSPAsyncSelect(l, HWND, WM, FD_ACCEPT | FD_READ | FD_WRITE | FD_CLOSE, e));
      startConnect(w.client, SERVER);
      startConnect(w.client, SERVER);
      w.net.run();
      armed = true;
      let r = { ret: 0, err: 0 };
      assert.doesNotThrow(() => { r = attempt((e) => w.server.WSPAccept(l, null, null, null, 0, e)); }, act);
      assert.equal(armed, false, `${act}: an upcall was posted during WSPAccept`);
      acceptOutcome(w.server, r, act);
      checkAccounting(w.server, act);
      assert.ok(lowest() >= 0, `${act}: descriptorsInUse went down to ${lowest()}`);
      settleAndCheck(w);
    }
  });

  test('host.crash() inside an upcall during a lingering WSPCloseSocket: the socket is released once, descriptorsInUse never negative', () => {
    const w = world();
    const lowest = watchDescriptors(w.server);
    let armed = false;
    upcall(w.server, () => { if (armed) { armed = false; w.A.crash(); } });
    const l = listener(w.server, SERVER, 5);
    const c = tcp(w.client);
    assert.equal(connect(w.client, c, SERVER).ret, 0);
    const a = ok((e) => w.server.WSPAccept(l, null, null, null, 0, e));
    ok((e) => w.server.WSPSetSockOpt(a, SOL_SOCKET, SO_LINGER, new Uint8Array([1, 0, 10, 0]), 4, e)); // linger 10 s
    setNonBlocking(w.server, a, true);
    const count = { value: 0 };
    ok((e) => w.server.WSPSend(a, bytes(200_000), 1, count, 0, null, null, null, e)); // the client never reads: data stays queued
    setNonBlocking(w.server, a, false);
    const l2 = listener(w.server, OTHER, 5);
    ok((e) => w.server.WSPAsyncSelect(l2, HWND, WM, FD_ACCEPT, e));
    startConnect(w.client, OTHER); // its SYN arrives while the close lingers
    armed = true;
    let r = { ret: 0, err: 0 };
    assert.doesNotThrow(() => { r = attempt((e) => w.server.WSPCloseSocket(a, e)); });
    assert.equal(armed, false, 'the upcall ran during the close');
    if (r.ret !== 0) assert.ok(documented.WSPCloseSocket!.includes(r.err), `undocumented ${errorName(r.err)}`);
    assert.ok(lowest() >= 0, `descriptorsInUse went down to ${lowest()}`);
    checkAccounting(w.server);
    settleAndCheck(w);
  });

  test('host.crash() inside an upcall during a blocking WSPRecv, WSPAccept or WSPSelect: a documented code, nothing negative', () => {
    for (const op of ['recv', 'accept', 'select'] as const) {
      const w = world();
      const lowest = watchDescriptors(w.server);
      let armed = false;
      upcall(w.server, () => { if (armed) { armed = false; w.A.crash(); } });
      const l = listener(w.server, SERVER, 5);
      const c = tcp(w.client);
      assert.equal(connect(w.client, c, SERVER).ret, 0);
      const a = ok((e) => w.server.WSPAccept(l, null, null, null, 0, e));
      const l2 = listener(w.server, OTHER, 5);
      ok((e) => w.server.WSPAsyncSelect(l2, HWND, WM, FD_ACCEPT, e));
      startConnect(w.client, OTHER);
      armed = true;
      let r = { ret: 0, err: 0 };
      const fn = op === 'recv' ? 'WSPRecv' : op === 'accept' ? 'WSPAccept' : 'WSPSelect';
      assert.doesNotThrow(() => {
        r = attempt((e) => (op === 'recv'
          ? w.server.WSPRecv(a, bytes(10), 1, { value: 0 }, { value: 0 }, null, null, null, e)
          : op === 'accept'
            ? w.server.WSPAccept(l, null, null, null, 0, e)
            : w.server.WSPSelect(0, { fd_count: 2, fd_array: [a, l] }, null, null, null, e)));
      }, op);
      assert.equal(armed, false, `${op}: the upcall ran`);
      if (r.ret === SOCKET_ERROR || (op === 'accept' && r.ret === INVALID_SOCKET)) {
        assert.ok(documented[fn]!.includes(r.err), `${op}: undocumented ${errorName(r.err) ?? r.err}`);
      } else if (op === 'accept') {
        assertLive(w.server, r.ret, op);
      }
      checkAccounting(w.server, op);
      assert.ok(lowest() >= 0, `${op}: descriptorsInUse went down to ${lowest()}`);
      settleAndCheck(w);
    }
  });

  test('a connection reset while the condition function runs (the network ran inside it): WSPAccept fails with WSAECONNRESET or returns a socket that reports it', () => {
    const w = world();
    const l = listener(w.server, SERVER, 5);
    const c = tcp(w.client);
    assert.equal(connect(w.client, c, SERVER).ret, 0);
    const r = attempt((e) => w.server.WSPAccept(l, null, null, () => {
      ok((x) => w.client.WSPSetSockOpt(c, SOL_SOCKET, SO_LINGER, new Uint8Array([1, 0, 0, 0]), 4, x));
      ok((x) => w.client.WSPCloseSocket(c, x)); // RST
      w.net.run();
      return CF_ACCEPT;
    }, 0, e));
    if (r.ret === INVALID_SOCKET) {
      assert.equal(errorName(r.err), 'WSAECONNRESET');
    } else {
      assertLive(w.server, r.ret, 'accepted');
      setNonBlocking(w.server, r.ret);
      const got = attempt((e) => w.server.WSPRecv(r.ret, bytes(10), 1, { value: 0 }, { value: 0 }, null, null, null, e));
      assert.equal(errorName(got.err), 'WSAECONNRESET', 'the accepted socket reports the reset');
    }
    checkAccounting(w.server);
    settleAndCheck(w);
  });
});

