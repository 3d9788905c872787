/**
 * Ports of Wine's test_ipv6only and of the IPv6 rows of test_reuseaddr's SO_EXCLUSIVEADDRUSE
 * table (dlls/ws2_32/tests/sock.c), and the dual-stack connections those rows imply: an AF_INET6
 * socket with IPV6_V6ONLY off takes IPv4 peers as v4-mapped addresses (::ffff:a.b.c.d).
 */
import assert from 'node:assert/strict';
import {
  AF_INET, AF_INET6, IPPROTO_IPV6, IPV6_V6ONLY, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET,
  SO_EXCLUSIVEADDRUSE, SO_REUSEADDR, WSAEACCES, WSAEADDRINUSE, WSAEWOULDBLOCK, errorName, type SockAddr,
} from '../../src/index.js';
import { addr, call, getInt, nameOf, nonBlocking, ok, onNetworks, setInt, socket, type World } from './harness.js';

const sizeOf = (af: number): number => (af === AF_INET ? 16 : 28);

function bind(w: World, s: number, address: string, port: number): { ret: number; err: number } {
  const at = addr(address, port);
  return call((e) => w.p.WSPBind(s, at, sizeOf(at.family), e));
}

function bindOk(w: World, s: number, address: string, port: number): number {
  const r = bind(w, s, address, port);
  assert.equal(r.ret, 0, `bind ${address}:${port} failed with ${errorName(r.err)}`);
  return nameOf(w, s).port;
}

function close(w: World, ...ss: number[]): void {
  for (const s of ss) ok('WSPCloseSocket', (e) => w.p.WSPCloseSocket(s, e));
}

/** getsockopt(IPV6_V6ONLY) into an int that holds 2, as Wine reads it. */
function v6only(w: World, s: number): { ret: number; value: number } {
  const buf = new Uint8Array([2, 0, 0, 0]);
  const len = { value: 4 };
  const r = call((e) => w.p.WSPGetSockOpt(s, IPPROTO_IPV6, IPV6_V6ONLY, buf, len, e));
  assert.equal(r.ret, 0, `getsockopt(IPV6_V6ONLY): ${errorName(r.err)}`);
  return { ret: r.ret, value: new DataView(buf.buffer).getInt32(0, true) };
}
const setV6only = (w: World, s: number, on: boolean) => setInt(w, s, IPPROTO_IPV6, IPV6_V6ONLY, on ? 1 : 0);

/** Starts a non-blocking connect and waits for its outcome; returns the socket and its phase. */
async function connectTo(w: World, af: number, at: SockAddr, prepare?: (s: number) => void): Promise<{ s: number; phase: string; err: number }> {
  const s = socket(w, SOCK_STREAM, af);
  prepare?.(s);
  nonBlocking(w, s);
  const r = call((e) => w.p.WSPConnect(s, at, sizeOf(af), null, null, null, null, e));
  assert.ok(r.ret === 0 || r.err === WSAEWOULDBLOCK, `connect: ${errorName(r.err)}`);
  await w.settle(() => w.p.inspect(s)?.phase !== 'connecting', 'the connect');
  return { s, phase: w.p.inspect(s)!.phase, err: getInt(w, s, SOL_SOCKET, 0x1007 /* SO_ERROR */).value };
}

async function acceptFrom(w: World, s: number, peer?: SockAddr): Promise<number> {
  await w.settle(() => (w.p.inspect(s)?.listen?.ready ?? 0) > 0, 'a connection to accept');
  nonBlocking(w, s);
  return peer === undefined
    ? ok('accept', (e) => w.p.WSPAccept(s, null, null, null, 0, e))
    : ok('accept', (e) => w.p.WSPAccept(s, peer, { value: 28 }, null, 0, e));
}

onNetworks('test_ipv6only', (it) => {
  it('test_ipv6only (the default): IPV6_V6ONLY is 1; a v6-only IPv6 wildcard leaves the IPv4 wildcard of its port free; IPV6_V6ONLY is fixed once bound', async (w) => {
    const v6 = socket(w, SOCK_STREAM, AF_INET6);
    assert.equal(v6only(w, v6).value, 1);
    const port = bindOk(w, v6, '::', await w.port());
    const v4 = socket(w, SOCK_STREAM, AF_INET);
    assert.equal(v6only(w, v4).value, 1, 'an IPv4 socket reads 1 too');
    assert.equal(setV6only(w, v4, false).ret, 0);
    assert.equal(v6only(w, v4).value, 0);
    assert.equal(setV6only(w, v4, true).ret, 0);
    bindOk(w, v4, '0.0.0.0', port);
    assert.equal(v6only(w, v4).value, 1);
    assert.equal(setV6only(w, v4, false).ret, -1, 'set after bind');
    assert.equal(v6only(w, v4).value, 1);
    assert.equal(setV6only(w, v4, true).ret, -1, 'set after bind');
    close(w, v4, v6);
  });

  it('test_ipv6only (IPV6_V6ONLY off, SO_EXCLUSIVEADDRUSE): the IPv6 wildcard binds and stays dual-stack; an IPv4 SO_REUSEADDR bind of the port gets WSAEACCES', async (w) => {
    const v6 = socket(w, SOCK_STREAM, AF_INET6);
    assert.equal(setV6only(w, v6, false).ret, 0);
    assert.equal(v6only(w, v6).value, 0);
    assert.equal(setInt(w, v6, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1).ret, 0);
    const port = bindOk(w, v6, '::', await w.port());
    assert.equal(v6only(w, v6).value, 0, 'IPV6_V6ONLY is enabled after bind');
    const v4 = socket(w, SOCK_STREAM, AF_INET);
    assert.equal(setInt(w, v4, SOL_SOCKET, SO_REUSEADDR, 1).ret, 0);
    const r = bind(w, v4, '0.0.0.0', port);
    assert.equal(r.ret, -1, 'bind succeeded unexpectedly for the IPv4 socket');
    assert.equal(errorName(r.err), 'WSAEACCES');
    close(w, v4, v6);
  });
});

onNetworks('test_reuseaddr (dual stack)', (it) => {
  // The rows of Wine's tests_exclusive with an IPv6 socket (IPV6_V6ONLY off on every IPv6 socket):
  // [first address, exclusive], [second address, exclusive], result.
  const rows: [string, boolean, string, boolean, number][] = [
    ['::', true, '127.0.0.1', false, WSAEACCES],
    ['127.0.0.1', false, '::', true, WSAEADDRINUSE],
    ['::1', false, '0.0.0.0', true, 0],
    ['::1', true, '127.0.0.1', true, 0],
    ['::ffff:127.0.0.1', false, '0.0.0.0', true, WSAEADDRINUSE],
    ['::', true, '0.0.0.0', false, WSAEACCES],
    ['::', false, '0.0.0.0', true, 0],
    ['::', false, '0.0.0.0', false, 0],
    ['::ffff:0.0.0.0', false, '0.0.0.0', false, WSAEADDRINUSE],
    ['::ffff:127.0.0.1', false, '127.0.0.1', false, WSAEADDRINUSE],
    ['127.0.0.1', false, '::ffff:127.0.0.1', false, WSAEADDRINUSE],
  ];
  for (const [a1, x1, a2, x2, expected] of rows) {
    const label = (a: string, x: boolean) => `${a}${x ? ' exclusive' : ''}`;
    it(`test_reuseaddr (SO_EXCLUSIVEADDRUSE, dual stack): ${label(a1, x1)} then ${label(a2, x2)}: ${expected === 0 ? 'success' : errorName(expected)}`, async (w) => {
      const make = (address: string, exclusive: boolean): number => {
        const af = address.includes(':') ? AF_INET6 : AF_INET;
        const s = socket(w, SOCK_STREAM, af);
        if (exclusive) assert.equal(setInt(w, s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1).ret, 0);
        if (af === AF_INET6) assert.equal(setV6only(w, s, false).ret, 0);
        return s;
      };
      const s1 = make(a1, x1);
      const s2 = make(a2, x2);
      const port = bindOk(w, s1, a1, await w.port());
      const r = bind(w, s2, a2, port);
      if (expected === 0) assert.equal(r.ret, 0, `got ${errorName(r.err)}`);
      else assert.equal(errorName(r.err), errorName(expected));
      close(w, s1, s2);
    });
  }
});

onNetworks('dual-stack connections (IPV6_V6ONLY off)', (it) => {
  it('test_ipv6only (dual-stack listener): an IPv4 client connects to the IPv6 wildcard; accept reports it as ::ffff:127.0.0.1', async (w) => {
    const l = socket(w, SOCK_STREAM, AF_INET6);
    assert.equal(setV6only(w, l, false).ret, 0);
    const port = bindOk(w, l, '::', await w.port());
    ok('listen', (e) => w.p.WSPListen(l, 5, e));
    const c = await connectTo(w, AF_INET, addr('127.0.0.1', port));
    assert.equal(c.phase, 'connected');
    const peer = { family: 0, address: '', port: 0 };
    const a = await acceptFrom(w, l, peer);
    assert.equal(peer.family, AF_INET6);
    assert.equal(peer.address, '::ffff:127.0.0.1');
    assert.equal(peer.port, nameOf(w, c.s).port);
    assert.deepEqual(nameOf(w, a), { family: AF_INET6, address: '::ffff:127.0.0.1', port, flowinfo: 0, scopeId: 0 });
    close(w, a, c.s, l);
  });

  it('test_ipv6only (v6-only listener, the default): an IPv4 client to its port is refused', async (w) => {
    const l = socket(w, SOCK_STREAM, AF_INET6);
    const port = bindOk(w, l, '::', await w.port());
    ok('listen', (e) => w.p.WSPListen(l, 5, e));
    const c = await connectTo(w, AF_INET, addr('127.0.0.1', port));
    assert.notEqual(c.phase, 'connected');
    assert.equal(errorName(c.err), 'WSAECONNREFUSED');
    assert.equal(w.p.inspect(l)!.listen!.queueLength, 0);
    close(w, c.s, l);
  });

  it('test_ipv6only (an IPv4 listener beside a dual-stack one on the port): IPv4 clients go to the IPv4 listener', async (w) => {
    const l4 = socket(w, SOCK_STREAM, AF_INET);
    const port = bindOk(w, l4, '0.0.0.0', await w.port());
    ok('listen', (e) => w.p.WSPListen(l4, 5, e));
    const l6 = socket(w, SOCK_STREAM, AF_INET6);
    assert.equal(setV6only(w, l6, false).ret, 0);
    bindOk(w, l6, '::', port);
    ok('listen', (e) => w.p.WSPListen(l6, 5, e));
    const c = await connectTo(w, AF_INET, addr('127.0.0.1', port));
    const a = await acceptFrom(w, l4);
    assert.equal(w.p.inspect(l6)!.listen!.queueLength, 0);
    const c6 = await connectTo(w, AF_INET6, addr('::1', port));
    const a6 = await acceptFrom(w, l6);
    close(w, a, c.s, a6, c6.s, l4, l6);
  }, { virtualOnly: 'Linux refuses the IPv6 wildcard beside a listening IPv4 wildcard on one port (EADDRINUSE)' });

  it('test_ipv6only (dual-stack client): an IPv6 socket connects to ::ffff:127.0.0.1; its names are v4-mapped and the server sees an IPv4 peer', async (w) => {
    const l = socket(w, SOCK_STREAM, AF_INET);
    const port = bindOk(w, l, '127.0.0.1', await w.port());
    ok('listen', (e) => w.p.WSPListen(l, 5, e));
    const c = await connectTo(w, AF_INET6, addr('::ffff:127.0.0.1', port), (s) => assert.equal(setV6only(w, s, false).ret, 0));
    assert.equal(c.phase, 'connected');
    const peer = { family: 0, address: '', port: 0 };
    ok('getpeername', (e) => w.p.WSPGetPeerName(c.s, peer, { value: 28 }, e));
    assert.equal(peer.family, AF_INET6);
    assert.equal(peer.address, '::ffff:127.0.0.1');
    assert.equal(peer.port, port);
    const local = nameOf(w, c.s);
    assert.equal(local.address, '::ffff:127.0.0.1');
    const seen = { family: 0, address: '', port: 0 };
    const a = await acceptFrom(w, l, seen);
    assert.deepEqual(seen, { family: AF_INET, address: '127.0.0.1', port: local.port });
    close(w, a, c.s, l);
  });

  it('test_ipv6only (an IPv6 socket bound to ::ffff:127.0.0.1 listens on IPv4): an IPv4 client reaches it', async (w) => {
    const l = socket(w, SOCK_STREAM, AF_INET6);
    assert.equal(setV6only(w, l, false).ret, 0);
    const port = bindOk(w, l, '::ffff:127.0.0.1', await w.port());
    ok('listen', (e) => w.p.WSPListen(l, 5, e));
    const c = await connectTo(w, AF_INET, addr('127.0.0.1', port));
    assert.equal(c.phase, 'connected');
    const peer = { family: 0, address: '', port: 0 };
    const a = await acceptFrom(w, l, peer);
    assert.equal(peer.address, '::ffff:127.0.0.1');
    close(w, a, c.s, l);
  });
});

// ---- UDP ------------------------------------------------------------------------------------

function udpSendTo(w: World, s: number, text: string, to: SockAddr): { ret: number; err: number } {
  const bytes = new TextEncoder().encode(text);
  return call((e) => w.p.WSPSendTo(s, [{ len: bytes.length, buf: bytes }], 1, { value: 0 }, 0, to, sizeOf(to.family), null, null, null, e));
}

/** Waits for one datagram (non-blocking calls: the host network's thread cannot block); its text and sender. */
async function udpRecvFrom(w: World, s: number): Promise<{ text: string; from: SockAddr }> {
  nonBlocking(w, s);
  const buf = new Uint8Array(256);
  const from = { family: 0, address: '', port: 0 };
  let got = 0;
  await w.settle(() => {
    const n = { value: 0 };
    const r = call((e) => w.p.WSPRecvFrom(s, [{ len: buf.length, buf }], 1, n, { value: 0 }, from, { value: 28 }, null, null, null, e));
    got = n.value;
    return r.ret === 0;
  }, 'a datagram');
  return { text: new TextDecoder().decode(buf.subarray(0, got)), from: { family: from.family, address: from.address, port: from.port } };
}

onNetworks('test_ipv6only (UDP)', (it) => {
  it('test_ipv6only (UDP, IPV6_V6ONLY off): the IPv6 wildcard receives an IPv4 datagram from ::ffff:127.0.0.1 and answers it over IPv4', async (w) => {
    const v6 = socket(w, SOCK_DGRAM, AF_INET6);
    assert.equal(setV6only(w, v6, false).ret, 0);
    const port = bindOk(w, v6, '::', await w.port());
    const v4 = socket(w, SOCK_DGRAM, AF_INET);
    bindOk(w, v4, '127.0.0.1', 0);
    const v4port = nameOf(w, v4).port;
    assert.equal(udpSendTo(w, v4, 'to the dual-stack socket', addr('127.0.0.1', port)).ret, 0);
    const got = await udpRecvFrom(w, v6);
    assert.equal(got.text, 'to the dual-stack socket');
    assert.deepEqual(got.from, { family: AF_INET6, address: '::ffff:127.0.0.1', port: v4port });
    assert.equal(udpSendTo(w, v6, 'back over IPv4', got.from).ret, 0);
    const back = await udpRecvFrom(w, v4);
    assert.equal(back.text, 'back over IPv4');
    assert.deepEqual(back.from, { family: AF_INET, address: '127.0.0.1', port });
    close(w, v4, v6);
  });

  it('test_ipv6only (UDP, connected to a v4-mapped address): send and recv reach the IPv4 peer; the names are v4-mapped', async (w) => {
    const v4 = socket(w, SOCK_DGRAM, AF_INET);
    const v4port = bindOk(w, v4, '127.0.0.1', 0);
    const v6 = socket(w, SOCK_DGRAM, AF_INET6);
    assert.equal(setV6only(w, v6, false).ret, 0);
    ok('connect', (e) => w.p.WSPConnect(v6, addr('::ffff:127.0.0.1', v4port), 28, null, null, null, null, e));
    const local = nameOf(w, v6);
    assert.equal(local.address, '::ffff:127.0.0.1');
    const bytes = new TextEncoder().encode('connected');
    ok('send', (e) => w.p.WSPSend(v6, [{ len: bytes.length, buf: bytes }], 1, { value: 0 }, 0, null, null, null, e));
    const got = await udpRecvFrom(w, v4);
    assert.equal(got.text, 'connected');
    assert.deepEqual(got.from, { family: AF_INET, address: '127.0.0.1', port: local.port });
    assert.equal(udpSendTo(w, v4, 'reply', addr('127.0.0.1', local.port)).ret, 0);
    assert.equal((await udpRecvFrom(w, v6)).text, 'reply');
    close(w, v4, v6);
  });

  it('test_ipv6only (UDP, the default v6-only wildcard): an IPv4 socket binds the IPv4 wildcard of its port and gets the IPv4 datagrams; a v4-mapped destination has no route', async (w) => {
    const v6 = socket(w, SOCK_DGRAM, AF_INET6);
    const port = bindOk(w, v6, '::', await w.port());
    const v4 = socket(w, SOCK_DGRAM, AF_INET);
    bindOk(w, v4, '0.0.0.0', port);
    const sender = socket(w, SOCK_DGRAM, AF_INET);
    assert.equal(udpSendTo(w, sender, 'IPv4', addr('127.0.0.1', port)).ret, 0);
    assert.equal((await udpRecvFrom(w, v4)).text, 'IPv4');
    const six = socket(w, SOCK_DGRAM, AF_INET6);
    assert.equal(udpSendTo(w, six, 'IPv6', addr('::1', port)).ret, 0);
    assert.equal((await udpRecvFrom(w, v6)).text, 'IPv6');
    const r = udpSendTo(w, v6, 'nowhere', addr('::ffff:127.0.0.1', port));
    assert.equal(errorName(r.err), 'WSAENETUNREACH');
    close(w, v6, v4, sender, six);
  });

  it('test_ipv6only (UDP, bound to ::ffff:127.0.0.1): an IPv6 socket takes IPv4 datagrams to 127.0.0.1', async (w) => {
    const v6 = socket(w, SOCK_DGRAM, AF_INET6);
    assert.equal(setV6only(w, v6, false).ret, 0);
    const port = bindOk(w, v6, '::ffff:127.0.0.1', 0);
    const v4 = socket(w, SOCK_DGRAM, AF_INET);
    assert.equal(udpSendTo(w, v4, 'mapped', addr('127.0.0.1', port)).ret, 0);
    const got = await udpRecvFrom(w, v6);
    assert.equal(got.text, 'mapped');
    assert.equal(got.from.address, '::ffff:127.0.0.1');
    close(w, v4, v6);
  });
});
