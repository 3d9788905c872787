/**
 * Ports of Wine's test_bind, test_reuseaddr (the SO_REUSEADDR cases and the IPv4 rows of the
 * SO_EXCLUSIVEADDRUSE table) and test_getsockname (dlls/ws2_32/tests/sock.c). The IPv6 rows of
 * the exclusive table that need IPV6_V6ONLY are in dual-stack.test.ts.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import {
  AF_INET, AF_INET6, INVALID_SOCKET, IPPROTO_UDP, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET,
  SO_EXCLUSIVEADDRUSE, SO_REUSEADDR, WSAEACCES, WSAEADDRINUSE, WSAEADDRNOTAVAIL, WSAEAFNOSUPPORT,
  WSAEFAULT, WSAEINVAL, WSAEWOULDBLOCK, encodeSockAddr, errorName, type SockAddr,
} from '../../src/index.js';
import {
  addr, call, fails, getInt, nameOf, nonBlocking, ok, onNetworks, setInt, socket, type World,
} from './harness.js';

const sizeOf = (af: number): number => (af === AF_INET ? 16 : 28);
const loop = (w: World, af: number): string => (af === AF_INET ? w.loopback4 : w.loopback6);
const any = (af: number): string => (af === AF_INET ? '0.0.0.0' : '::');

function bind(w: World, s: number, address: string, port: number, len?: number): { ret: number; err: number } {
  const at = addr(address, port);
  return call((e) => w.p.WSPBind(s, at, len ?? sizeOf(at.family), e));
}

function bindOk(w: World, s: number, address: string, port: number): number {
  const r = bind(w, s, address, port);
  assert.equal(r.ret, 0, `bind ${address}:${port} failed with ${errorName(r.err)}`);
  return nameOf(w, s).port;
}

function bindFails(w: World, s: number, address: string, port: number, code: number): void {
  const r = bind(w, s, address, port);
  assert.equal(r.ret, -1, `bind ${address}:${port}: expected ${errorName(code)}, got success`);
  assert.equal(errorName(r.err), errorName(code), `bind ${address}:${port}`);
}

function reuse(w: World, s: number, opt = SO_REUSEADDR): void {
  assert.equal(setInt(w, s, SOL_SOCKET, opt, 1).ret, 0);
}

function listen(w: World, s: number, backlog = 1): void {
  ok('WSPListen', (e) => w.p.WSPListen(s, backlog, e));
}

function close(w: World, ...ss: number[]): void {
  for (const s of ss) ok('WSPCloseSocket', (e) => w.p.WSPCloseSocket(s, e));
}

/** connect(), non-blocking so that it works on both networks; resolves once connected. */
async function connectTo(w: World, af: number, at: SockAddr): Promise<number> {
  const c = socket(w, SOCK_STREAM, af);
  nonBlocking(w, c);
  const r = call((e) => w.p.WSPConnect(c, at, sizeOf(af), null, null, null, null, e));
  assert.ok(r.ret === 0 || r.err === WSAEWOULDBLOCK, `connect: ${errorName(r.err)}`);
  await w.settle(() => w.p.inspect(c)?.phase !== 'connecting', 'the connect');
  assert.equal(w.p.inspect(c)?.phase, 'connected', 'the connect did not succeed');
  return c;
}

/** accept() on a listener, once a connection is there; INVALID_SOCKET when none arrives. */
async function acceptFrom(w: World, s: number): Promise<number> {
  try {
    await w.settle(() => (w.p.inspect(s)?.listen?.ready ?? 0) > 0, 'a connection to accept');
  } catch {
    return INVALID_SOCKET;
  }
  nonBlocking(w, s);
  return w.p.WSPAccept(s, null, null, null, 0, { value: 0 });
}

/** Connections waiting in a listener's queue (the non-standard inspect()). */
const queued = (w: World, s: number): number => w.p.inspect(s)!.listen!.queueLength;

/** The unicast addresses of the machine the world runs on (Wine: GetAdaptersAddresses), a link-local one with its scope id. */
function hostAddresses(w: World): { address: string; scopeId: number }[] {
  if (w.kind === 'virtual') return [{ address: '10.0.0.1', scopeId: 0 }, { address: 'fd00::1', scopeId: 0 }];
  const out: { address: string; scopeId: number }[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      const linkLocal = a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80');
      out.push({ address: a.address, scopeId: linkLocal ? a.scopeid ?? 0 : 0 });
    }
  }
  return out;
}

onNetworks('test_bind', (it) => {
  it('test_bind (arguments): NULL name or a short namelen is WSAEFAULT, an unknown family WSAEAFNOSUPPORT', (w) => {
    const s = socket(w);
    fails('bind(NULL, 0)', (e) => w.p.WSPBind(s, null as never, 0, e), WSAEFAULT);
    fails('bind(NULL, sizeof)', (e) => w.p.WSPBind(s, null as never, 16, e), WSAEFAULT);
    const family = new Uint8Array(16);
    family[0] = AF_INET;
    fails('bind(&addr, 0)', (e) => w.p.WSPBind(s, family, 0, e), WSAEFAULT);
    family[0] = 0xad;
    family[1] = 0xde;
    fails('bind(family 0xdead)', (e) => w.p.WSPBind(s, family, 16, e), WSAEAFNOSUPPORT);
    fails('bind(sizeof - 1)', (e) => w.p.WSPBind(s, encodeSockAddr(addr(w.loopback4, 0)), 15, e), WSAEFAULT);
    // None of these bound the socket.
    fails('getsockname', (e) => w.p.WSPGetSockName(s, { family: 0, address: '', port: 0 }, { value: 16 }, e), WSAEINVAL);
  });

  it('test_bind (TCP): an address the host lacks is WSAEADDRNOTAVAIL; loopback binds; a second bind is WSAEINVAL; another socket gets WSAEADDRINUSE', async (w) => {
    const s = socket(w);
    bindFails(w, s, '192.0.2.0', 0, WSAEADDRNOTAVAIL);
    const port = bindOk(w, s, w.loopback4, await w.port());
    bindFails(w, s, w.loopback4, 0, WSAEINVAL);
    const s2 = socket(w);
    bindFails(w, s2, w.loopback4, port, WSAEADDRINUSE);
    close(w, s2, s);
  });

  it('test_bind (UDP): an address the host lacks is WSAEADDRNOTAVAIL; loopback binds', (w) => {
    const s = socket(w, SOCK_DGRAM);
    bindFails(w, s, '192.0.2.0', 0, WSAEADDRNOTAVAIL);
    bindOk(w, s, w.loopback4, 0);
    close(w, s);
  });

  it('test_bind (every address of the host): each binds; IPv6 with the 24-byte sockaddr_in6_old is WSAEFAULT, and getsockname reports the address', (w) => {
    for (const { address, scopeId } of hostAddresses(w)) {
      const af = address.includes(':') ? AF_INET6 : AF_INET;
      const at = { ...addr(address, 0), scopeId };
      const s = socket(w, SOCK_STREAM, af);
      ok(`bind ${address}%${scopeId}`, (e) => w.p.WSPBind(s, at, af === AF_INET ? 16 : 28, e));
      close(w, s);
      if (af !== AF_INET6) continue;
      const s6 = socket(w, SOCK_STREAM, af);
      fails('bind(sizeof(sockaddr_in6_old))', (e) => w.p.WSPBind(s6, encodeSockAddr(at), 24, e), WSAEFAULT);
      ok(`bind ${address}%${scopeId}`, (e) => w.p.WSPBind(s6, encodeSockAddr(at), 28, e));
      fails('getsockname(sizeof(sockaddr_in6_old))', (e) => w.p.WSPGetSockName(s6, new Uint8Array(28), { value: 24 }, e), WSAEFAULT);
      const name = { family: 0, address: '', port: 0, scopeId: 1 };
      ok('getsockname', (e) => w.p.WSPGetSockName(s6, name, { value: 28 }, e));
      assert.equal(name.family, AF_INET6);
      assert.notEqual(name.port, 0);
      assert.equal(name.address, address);
      assert.equal(name.scopeId, scopeId, 'sin6_scope_id: the interface of a link-local address, 0 for others');
      close(w, s6);
    }
  });
});

onNetworks('test_reuseaddr', (it) => {
  for (const af of [AF_INET, AF_INET6]) {
    const v = af === AF_INET ? 'IPv4' : 'IPv6';

    it(`test_reuseaddr (${v}, SO_REUSEADDR on the second socket only): WSAEACCES`, async (w) => {
      const s1 = socket(w, SOCK_STREAM, af);
      const port = bindOk(w, s1, loop(w, af), await w.port());
      const s2 = socket(w, SOCK_STREAM, af);
      reuse(w, s2);
      bindFails(w, s2, loop(w, af), port, WSAEACCES);
      close(w, s1, s2);
    });

    it(`test_reuseaddr (${v}, SO_REUSEADDR on both): the second binds once it sets it; both listen; the first gets the connection`, async (w) => {
      const s1 = socket(w, SOCK_STREAM, af);
      reuse(w, s1);
      const port = bindOk(w, s1, loop(w, af), await w.port());
      const s2 = socket(w, SOCK_STREAM, af);
      assert.equal(getInt(w, s2, SOL_SOCKET, SO_REUSEADDR).value, 0);
      assert.equal(bind(w, s2, loop(w, af), port).ret, -1, 'bind without SO_REUSEADDR');
      reuse(w, s2);
      bindOk(w, s2, loop(w, af), port);
      listen(w, s1);
      listen(w, s2);
      const s3 = await connectTo(w, af, addr(loop(w, af), port));
      const s4 = await acceptFrom(w, s1);
      assert.notEqual(s4, INVALID_SOCKET, 'the connection is delivered to the first socket');
      assert.equal(queued(w, s2), 0);
      close(w, s1, s2, s3, s4);
    });

    it(`test_reuseaddr (${v}, any address listening first): the loopback address binds and listens beside it and gets the loopback connection`, async (w) => {
      const s1 = socket(w, SOCK_STREAM, af);
      const port = bindOk(w, s1, any(af), await w.port());
      listen(w, s1);
      const s2 = socket(w, SOCK_STREAM, af);
      bindOk(w, s2, loop(w, af), port);
      listen(w, s2);
      const s3 = await connectTo(w, af, addr(loop(w, af), port));
      const s4 = await acceptFrom(w, s2);
      assert.notEqual(s4, INVALID_SOCKET, 'the loopback listener gets it');
      close(w, s1, s2, s3, s4);
    }, { virtualOnly: 'Linux refuses a specific address beside a listening wildcard on one port (EADDRINUSE); Windows allows it' });

    it(`test_reuseaddr (${v}, loopback listening first): the any address binds and listens beside it; the loopback connection goes to the loopback listener`, async (w) => {
      const s1 = socket(w, SOCK_STREAM, af);
      const port = bindOk(w, s1, loop(w, af), await w.port());
      listen(w, s1);
      const s2 = socket(w, SOCK_STREAM, af);
      bindOk(w, s2, any(af), port);
      listen(w, s2);
      const s3 = await connectTo(w, af, addr(loop(w, af), port));
      const s4 = await acceptFrom(w, s1);
      assert.notEqual(s4, INVALID_SOCKET, 'the loopback listener gets it');
      close(w, s1, s2, s3, s4);
    }, { virtualOnly: 'Linux refuses the wildcard beside a listening specific address on one port (EADDRINUSE); Windows allows it' });

    it(`test_reuseaddr (${v}, any address on two sockets, no options): WSAEADDRINUSE`, async (w) => {
      const s1 = socket(w, SOCK_STREAM, af);
      const port = bindOk(w, s1, any(af), await w.port());
      const s2 = socket(w, SOCK_STREAM, af);
      bindFails(w, s2, any(af), port, WSAEADDRINUSE);
      close(w, s1, s2);
    });

    it(`test_reuseaddr (${v}, successive binds): two SO_REUSEADDR listeners; the first gets the connection, then, once it is closed, the second`, async (w) => {
      const [s1, s2] = [socket(w, SOCK_STREAM, af), socket(w, SOCK_STREAM, af)];
      reuse(w, s1);
      reuse(w, s2);
      const port = bindOk(w, s1, loop(w, af), await w.port());
      bindOk(w, s2, loop(w, af), port);
      listen(w, s1);
      listen(w, s2);
      let c = await connectTo(w, af, addr(loop(w, af), port));
      let a = await acceptFrom(w, s1);
      assert.notEqual(a, INVALID_SOCKET, 'the connection is delivered to the first socket');
      close(w, s1, c, a);
      c = await connectTo(w, af, addr(loop(w, af), port));
      a = await acceptFrom(w, s2);
      assert.notEqual(a, INVALID_SOCKET, 'the connection is delivered to the second socket');
      close(w, s2, c, a);
    });

    it(`test_reuseaddr (${v}, bind after listen): SO_REUSEADDR sockets bind beside a listener; each listens in turn and gets the connections`, async (w) => {
      const [s1, s2, s3, s4] = [0, 1, 2, 3].map(() => socket(w, SOCK_STREAM, af)) as [number, number, number, number];
      for (const s of [s1, s2, s3, s4]) reuse(w, s);
      const at = (port: number) => addr(loop(w, af), port);
      const port = bindOk(w, s1, loop(w, af), await w.port());
      bindOk(w, s2, loop(w, af), port);
      listen(w, s1);
      listen(w, s2);
      let c = await connectTo(w, af, at(port));
      let a = await acceptFrom(w, s1);
      assert.notEqual(a, INVALID_SOCKET, 'the first socket');
      close(w, s1, c, a);
      bindOk(w, s3, loop(w, af), port); // beside the listening s2
      c = await connectTo(w, af, at(port));
      a = await acceptFrom(w, s2);
      assert.notEqual(a, INVALID_SOCKET, 'the second socket');
      close(w, s2, c, a);
      bindOk(w, s4, loop(w, af), port);
      listen(w, s3);
      c = await connectTo(w, af, at(port));
      a = await acceptFrom(w, s3);
      assert.notEqual(a, INVALID_SOCKET, 'the third socket');
      close(w, s3, c, a);
      listen(w, s4);
      c = await connectTo(w, af, at(port));
      a = await acceptFrom(w, s4);
      assert.notEqual(a, INVALID_SOCKET, 'the fourth socket');
      close(w, s4, c, a);
    }, { virtualOnly: 'Linux refuses any bind beside a listening socket of the same address (EADDRINUSE), SO_REUSEADDR or not; Windows allows it' });
  }

  it('test_reuseaddr (SO_REUSEADDR and SO_EXCLUSIVEADDRUSE are mutually exclusive): the second one set fails with WSAEINVAL, either order', (w) => {
    const s = socket(w);
    reuse(w, s);
    assert.equal(errorName(setInt(w, s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1).err), 'WSAEINVAL');
    setInt(w, s, SOL_SOCKET, SO_REUSEADDR, 0);
    reuse(w, s, SO_EXCLUSIVEADDRUSE);
    assert.equal(errorName(setInt(w, s, SOL_SOCKET, SO_REUSEADDR, 1).err), 'WSAEINVAL');
    close(w, s);
  });

  // The IPv4 rows of Wine's tests_exclusive: [first address, exclusive], [second address, exclusive], result.
  const rows: [string, boolean, string, boolean, number][] = [
    ['any', true, 'loopback', false, WSAEACCES],
    ['any', false, 'loopback', true, 0],
    ['any', true, 'loopback', true, WSAEACCES],
    ['loopback', true, 'any', false, 0],
    ['loopback', false, 'any', true, WSAEADDRINUSE],
    ['any', false, 'any', true, WSAEADDRINUSE],
    ['any', false, 'any', false, WSAEADDRINUSE],
    ['loopback', true, 'loopback', false, WSAEADDRINUSE],
    ['loopback', false, 'loopback', true, WSAEADDRINUSE],
  ];
  for (const [a1, x1, a2, x2, expected] of rows) {
    const label = (a: string, x: boolean) => `${a}${x ? ' exclusive' : ''}`;
    it(`test_reuseaddr (SO_EXCLUSIVEADDRUSE, IPv4): ${label(a1, x1)} then ${label(a2, x2)}: ${expected === 0 ? 'success' : errorName(expected)}`, async (w) => {
      const where = (a: string) => (a === 'any' ? '0.0.0.0' : w.loopback4);
      const s = [socket(w), socket(w)] as const;
      if (x1) reuse(w, s[0], SO_EXCLUSIVEADDRUSE);
      if (x2) reuse(w, s[1], SO_EXCLUSIVEADDRUSE);
      const port = bindOk(w, s[0], where(a1), await w.port());
      if (expected === 0) bindOk(w, s[1], where(a2), port);
      else bindFails(w, s[1], where(a2), port, expected);
      close(w, ...s);
    });
  }
});

onNetworks('test_getsockname', (it) => {
  it('test_getsockname (unbound): WSAEINVAL, the address is not changed', (w) => {
    const s = socket(w);
    const name = encodeSockAddr(addr('0.0.0.0', 0));
    const before = [...name];
    fails('getsockname', (e) => w.p.WSPGetSockName(s, name, { value: 16 }, e), WSAEINVAL);
    assert.deepEqual([...name], before);
    close(w, s);
  });

  it('test_getsockname (bound to 0.0.0.0:0): family AF_INET, a port, INADDR_ANY, sin_zero zeroed; a namelen one short is WSAEFAULT and namelen is kept', (w) => {
    const s = socket(w);
    bindOk(w, s, '0.0.0.0', 0);
    const name = new Uint8Array(16).fill(0xff);
    const len = { value: 16 };
    ok('getsockname', (e) => w.p.WSPGetSockName(s, name, len, e));
    const view = new DataView(name.buffer);
    assert.equal(view.getUint16(0, true), AF_INET);
    assert.notEqual(view.getUint16(2, false), 0);
    assert.deepEqual([...name.subarray(4, 8)], [0, 0, 0, 0]);
    assert.deepEqual([...name.subarray(8, 16)], [0, 0, 0, 0, 0, 0, 0, 0], 'sin_zero');
    const short = { value: 15 };
    fails('getsockname(sizeof - 1)', (e) => w.p.WSPGetSockName(s, name, short, e), WSAEFAULT);
    assert.equal(short.value, 15);
    close(w, s);
  });

  it('test_getsockname (UDP bound to each address of the host): the address bound is the address reported', (w) => {
    for (const { address } of hostAddresses(w).filter((a) => !a.address.includes(':'))) {
      const s = ok('WSPSocket', (e) => w.p.WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
      bindOk(w, s, address, 0);
      assert.equal(nameOf(w, s).address, address);
      close(w, s);
    }
  });
});
