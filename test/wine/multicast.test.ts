/**
 * Multicast: the rows of Wine's test_set_getsockopt for the multicast options (the option-size
 * table rows live in options.test.ts), the option errors Microsoft documents ("Multicast Socket
 * Option Behavior", "IPPROTO_IP socket options"), delivery on one host over loopback (both
 * networks; the host network skips when a probe finds that this kernel delivers no multicast
 * over loopback), and delivery between hosts of the virtual network.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import * as W from '../../src/index.js';
import {
  AF_INET, AF_INET6, IPPROTO_IP, IPPROTO_IPV6, SOCK_DGRAM, SOCK_STREAM, VirtualNetwork, WSAEADDRNOTAVAIL, WSAEFAULT,
  WSAEINVAL, WSAENOPROTOOPT, errorName, type ServiceProvider, type SockAddr,
} from '../../src/index.js';
import {
  addr, call, expectErr, expectOk, getInt, hostWorld, nameOf, nonBlocking, ok, onNetworks, setInt, sock, virtualWorld, type World,
} from './harness.js';

const {
  IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, IP_ADD_SOURCE_MEMBERSHIP, IP_DROP_SOURCE_MEMBERSHIP, IP_MULTICAST_IF, IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL, IPV6_ADD_MEMBERSHIP, IPV6_DROP_MEMBERSHIP, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_IF, IPV6_MULTICAST_LOOP,
} = W;

// ---- C shapes ---------------------------------------------------------------------------------

function v4(text: string): number[] {
  return text.split('.').map(Number);
}

/** struct ip_mreq { imr_multiaddr; imr_interface; }, both in network order. */
function ipMreq(group: string, iface = '0.0.0.0'): Uint8Array {
  return Uint8Array.from([...v4(group), ...v4(iface)]);
}

/** struct ip_mreq_source { imr_multiaddr; imr_sourceaddr; imr_interface; }. */
function ipMreqSource(group: string, source: string, iface = '0.0.0.0'): Uint8Array {
  return Uint8Array.from([...v4(group), ...v4(source), ...v4(iface)]);
}

/** IPv6 text (full or with one "::") as 16 bytes. */
function v6(text: string): number[] {
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const part = (s: string | undefined) => (s === undefined || s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = part(head);
  const t = part(tail);
  const groups = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** struct ipv6_mreq { ipv6mr_multiaddr; ipv6mr_interface (ULONG) }. */
function ipv6Mreq(group: string, index = 0): Uint8Array {
  const b = new Uint8Array(20);
  b.set(v6(group));
  new DataView(b.buffer).setUint32(16, index, true);
  return b;
}

/** IP_MULTICAST_IF's DWORD: an in_addr in network order as the caller's little-endian int. */
function inAddrDword(text: string): number {
  const b = v4(text);
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) | 0;
}

function setBytes(p: ServiceProvider, s: number, level: number, opt: number, bytes: Uint8Array, len = bytes.length): { ret: number; err: number } {
  return call((e) => p.WSPSetSockOpt(s, level, opt, bytes, len, e));
}

function bind(p: ServiceProvider, s: number, at: SockAddr): void {
  ok('WSPBind', (e) => p.WSPBind(s, at, at.family === AF_INET ? 16 : 28, e));
}

function sendTo(p: ServiceProvider, s: number, text: string, to: SockAddr): void {
  const buf = new TextEncoder().encode(text);
  const sent = { value: 0 };
  ok('WSPSendTo', (e) => p.WSPSendTo(s, [{ len: buf.length, buf }], 1, sent, 0, to, to.family === AF_INET ? 16 : 28, null, null, null, e));
  assert.equal(sent.value, buf.length);
}

/** One non-blocking receive: the text and sender, or null when nothing waits. */
function tryRecv(p: ServiceProvider, s: number): { text: string; from: string } | null {
  const buf = new Uint8Array(256);
  const got = { value: 0 };
  const from = { family: 0, address: '', port: 0 };
  const r = call((e) => p.WSPRecvFrom(s, [{ len: buf.length, buf }], 1, got, { value: 0 }, from, { value: 28 }, null, null, null, e));
  if (r.ret !== 0) {
    assert.equal(errorName(r.err), 'WSAEWOULDBLOCK', 'recvfrom');
    return null;
  }
  return { text: new TextDecoder().decode(buf.subarray(0, got.value)), from: from.address };
}

function dgramSocket(p: ServiceProvider, af = AF_INET): number {
  const s = ok('WSPSocket', (e) => p.WSPSocket(af, SOCK_DGRAM, 0, null, 0, 0, e));
  ok('FIONBIO', (e) => p.WSPIoctl(s, W.FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e));
  return s;
}

// ---- Wine's rows --------------------------------------------------------------------------------

onNetworks('multicast options (Wine test_set_getsockopt)', (it) => {
  it('test_set_getsockopt (IP_MULTICAST_TTL): 8, 16, 24 and 32-bit values read back masked to their length', (w) => {
    const s = sock(w, AF_INET, SOCK_DGRAM);
    expectOk(setInt(w, s, IPPROTO_IP, IP_MULTICAST_TTL, 0x0a), 'set 0x0a with 4 bytes');
    const tests = [0xffffff0a, 0xffff000b, 0xff00000c, 0x0000000d];
    tests.forEach((value, i) => {
      const r = setInt(w, s, IPPROTO_IP, IP_MULTICAST_TTL, value | 0, i + 1);
      expectOk(r, `set ${value.toString(16)} with ${i + 1} bytes`);
      const g = getInt(w, s, IPPROTO_IP, IP_MULTICAST_TTL);
      expectOk(g, 'get');
      const expected = i !== 3 ? value & ((2 ** ((i + 1) * 8)) - 1) : value;
      assert.equal(g.value, expected, `test ${i}`);
    });
    ok('close', (e) => w.p.WSPCloseSocket(s, e));
  });

  it('test_sockopt_validity (membership options): getsockopt of IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, IPV6_ADD_MEMBERSHIP, IPV6_DROP_MEMBERSHIP is WSAENOPROTOOPT on TCP and UDP', (w) => {
    for (const [af, level, opts] of [
      [AF_INET, IPPROTO_IP, [IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP]],
      [AF_INET6, IPPROTO_IPV6, [IPV6_ADD_MEMBERSHIP, IPV6_DROP_MEMBERSHIP]],
    ] as const) {
      for (const type of [SOCK_STREAM, SOCK_DGRAM]) {
        const s = sock(w, af, type);
        for (const opt of opts) expectErr(getInt(w, s, level, opt, 256), WSAENOPROTOOPT, `type ${type}, option ${opt}`);
        ok('close', (e) => w.p.WSPCloseSocket(s, e));
      }
    }
  });
});

// ---- what Microsoft documents -------------------------------------------------------------------

const GROUP = '239.255.77.1';
const GROUP6 = 'ff15::7701';

onNetworks('multicast options (Microsoft: IPPROTO_IP options, Multicast Socket Option Behavior)', (it) => {
  it('defaults: IP_MULTICAST_TTL 1, IP_MULTICAST_LOOP 1, IP_MULTICAST_IF 0, IPV6_MULTICAST_HOPS 1, IPV6_MULTICAST_LOOP 1, IPV6_MULTICAST_IF 0', (w) => {
    const s4 = sock(w, AF_INET, SOCK_DGRAM);
    const s6 = sock(w, AF_INET6, SOCK_DGRAM);
    for (const [s, level, opt, v] of [
      [s4, IPPROTO_IP, IP_MULTICAST_TTL, 1], [s4, IPPROTO_IP, IP_MULTICAST_LOOP, 1], [s4, IPPROTO_IP, IP_MULTICAST_IF, 0],
      [s6, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 1], [s6, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 1], [s6, IPPROTO_IPV6, IPV6_MULTICAST_IF, 0],
    ] as const) {
      const g = getInt(w, s, level, opt);
      expectOk(g, `option ${opt}`);
      assert.deepEqual([g.value, g.len], [v, 4], `option ${opt}`);
    }
  });

  it('IP_MULTICAST_IF: a local address or an interface index reads back; an address the host lacks is WSAEADDRNOTAVAIL', (w) => {
    const s = sock(w, AF_INET, SOCK_DGRAM);
    expectOk(setInt(w, s, IPPROTO_IP, IP_MULTICAST_IF, inAddrDword('127.0.0.1')), '127.0.0.1');
    assert.equal(getInt(w, s, IPPROTO_IP, IP_MULTICAST_IF).value, inAddrDword('127.0.0.1'));
    expectOk(setInt(w, s, IPPROTO_IP, IP_MULTICAST_IF, inAddrDword('0.0.0.1')), 'interface index 1 (0.0.0.1)');
    expectErr(setInt(w, s, IPPROTO_IP, IP_MULTICAST_IF, inAddrDword('192.0.2.77')), WSAEADDRNOTAVAIL, '192.0.2.77');
    assert.equal(getInt(w, s, IPPROTO_IP, IP_MULTICAST_IF).value, inAddrDword('0.0.0.1'), 'the failed set changed nothing');
  });

  it('IP_ADD_MEMBERSHIP: needs a bound datagram socket (WSAEINVAL before bind and on TCP), a group address (WSAEINVAL), a whole ip_mreq (WSAEFAULT)', (w) => {
    const s = sock(w, AF_INET, SOCK_DGRAM);
    expectErr(setBytes(w.p, s, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreq(GROUP, '127.0.0.1')), WSAEINVAL, 'before bind');
    bind(w.p, s, addr('0.0.0.0', 0));
    expectErr(setBytes(w.p, s, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreq('10.1.2.3', '127.0.0.1')), WSAEINVAL, 'a unicast group');
    expectErr(setBytes(w.p, s, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreq(GROUP, '127.0.0.1'), 7), WSAEFAULT, 'seven bytes');
    expectErr(setBytes(w.p, s, IPPROTO_IP, IPV6_ADD_MEMBERSHIP, ipv6Mreq(GROUP6)), WSAEINVAL, 'IPv6 level on IPv4 socket');
    const t = sock(w, AF_INET, SOCK_STREAM);
    expectErr(setBytes(w.p, t, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreq(GROUP, '127.0.0.1')), WSAEINVAL, 'a TCP socket');
    expectErr(getInt(w, t, IPPROTO_IP, IP_MULTICAST_TTL), WSAEINVAL, 'IP_MULTICAST_TTL on TCP');
  });

  it('IP_ADD_MEMBERSHIP twice on one interface is WSAEADDRNOTAVAIL; IP_DROP_MEMBERSHIP of a group not joined is WSAEINVAL; an interface the host lacks is WSAEADDRNOTAVAIL', (w) => {
    const s = sock(w, AF_INET, SOCK_DGRAM);
    bind(w.p, s, addr('0.0.0.0', 0));
    const mreq = ipMreq(GROUP, '127.0.0.1');
    expectErr(setBytes(w.p, s, IPPROTO_IP, IP_DROP_MEMBERSHIP, mreq), WSAEINVAL, 'drop before join');
    expectOk(setBytes(w.p, s, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq), 'join on 127.0.0.1');
    expectErr(setBytes(w.p, s, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq), WSAEADDRNOTAVAIL, 'join again');
    expectErr(setBytes(w.p, s, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, ipMreqSource(GROUP, '127.0.0.2', '127.0.0.1')), WSAEADDRNOTAVAIL,
      'a source-specific join of a group joined for any source');
    expectOk(setBytes(w.p, s, IPPROTO_IP, IP_DROP_MEMBERSHIP, mreq), 'drop');
    expectErr(setBytes(w.p, s, IPPROTO_IP, IP_DROP_MEMBERSHIP, mreq), WSAEINVAL, 'drop again');
    expectErr(setBytes(w.p, s, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreq(GROUP, '192.0.2.77')), WSAEADDRNOTAVAIL, 'an interface the host lacks');
  });

  it('IP_ADD_SOURCE_MEMBERSHIP: the same source twice is WSAEADDRNOTAVAIL; dropping a source not joined is WSAEINVAL', (w) => {
    const s = sock(w, AF_INET, SOCK_DGRAM);
    bind(w.p, s, addr('0.0.0.0', 0));
    const src = ipMreqSource(GROUP, '127.0.0.1', '127.0.0.1');
    expectOk(setBytes(w.p, s, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, src), 'join (group, source)');
    expectErr(setBytes(w.p, s, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, src), WSAEADDRNOTAVAIL, 'again');
    expectErr(setBytes(w.p, s, IPPROTO_IP, IP_DROP_SOURCE_MEMBERSHIP, ipMreqSource(GROUP, '127.0.0.9', '127.0.0.1')), WSAEINVAL, 'another source');
    expectOk(setBytes(w.p, s, IPPROTO_IP, IP_DROP_SOURCE_MEMBERSHIP, src), 'drop it');
    expectErr(setBytes(w.p, s, IPPROTO_IP, IP_DROP_MEMBERSHIP, ipMreq(GROUP, '127.0.0.1')), WSAEINVAL, 'nothing left to drop');
  });

  it('IPV6_ADD_MEMBERSHIP: a 20-byte ipv6_mreq (WSAEFAULT shorter), a group address (WSAEINVAL), twice is WSAEADDRNOTAVAIL, a drop not joined is WSAEINVAL', (w) => {
    const s = sock(w, AF_INET6, SOCK_DGRAM);
    bind(w.p, s, addr('::', 0));
    const mreq = ipv6Mreq(GROUP6, 1);
    expectErr(setBytes(w.p, s, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mreq, 19), WSAEFAULT, '19 bytes');
    expectErr(setBytes(w.p, s, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, ipv6Mreq('fd00::9', 1)), WSAEINVAL, 'a unicast group');
    expectErr(setBytes(w.p, s, IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, mreq), WSAEINVAL, 'drop before join');
    const joined = setBytes(w.p, s, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mreq);
    expectOk(joined, 'join on interface 1 (loopback)');
    expectErr(setBytes(w.p, s, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mreq), WSAEADDRNOTAVAIL, 'join again');
    expectOk(setBytes(w.p, s, IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, mreq), 'drop');
  });
});

// ---- delivery on one host, over loopback (both networks) --------------------------------------------

/**
 * A member bound to the wildcard on a port, joined on 127.0.0.1, and a sender with
 * IP_MULTICAST_IF 127.0.0.1 and a TTL of 0 (so that on the host network nothing can leave this
 * machine). Returns whether the member received `text` within the world's settle time.
 */
async function loopbackRound(w: World, port: number, group: string, text: string): Promise<{ member: number; sender: number; got: boolean }> {
  const member = sock(w, AF_INET, SOCK_DGRAM);
  nonBlocking(w, member);
  bind(w.p, member, addr('0.0.0.0', port));
  const at = nameOf(w, member);
  expectOk(setBytes(w.p, member, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreq(group, '127.0.0.1')), 'join');
  const sender = sock(w, AF_INET, SOCK_DGRAM);
  expectOk(setInt(w, sender, IPPROTO_IP, IP_MULTICAST_IF, inAddrDword('127.0.0.1')), 'IP_MULTICAST_IF');
  expectOk(setInt(w, sender, IPPROTO_IP, IP_MULTICAST_TTL, 0), 'IP_MULTICAST_TTL 0');
  sendTo(w.p, sender, text, addr(group, at.port));
  let got: { text: string } | null = null;
  try {
    await w.settle(() => (got = tryRecv(w.p, member)) !== null, 'the group datagram');
  } catch {
    return { member, sender, got: false };
  }
  assert.equal(got!.text, text);
  return { member, sender, got: true };
}

/** Whether this kernel delivers multicast over loopback (a probe with node:dgram alone). */
async function hostLoopbackMulticast(): Promise<boolean> {
  const { default: dgram } = await import('node:dgram');
  const rx = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  const tx = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      rx.once('error', reject);
      rx.bind(0, '0.0.0.0', () => resolve());
    });
    rx.addMembership('239.255.77.99', '127.0.0.1');
    await new Promise<void>((resolve) => tx.bind(0, '127.0.0.1', () => resolve()));
    tx.setMulticastInterface('127.0.0.1');
    tx.setMulticastTTL(0);
    const got = new Promise<boolean>((resolve) => {
      rx.once('message', () => resolve(true));
      setTimeout(() => resolve(false), 500);
    });
    tx.send('probe', rx.address().port, '239.255.77.99');
    return await got;
  } catch {
    return false;
  } finally {
    rx.close();
    tx.close();
  }
}

describe('multicast over loopback, one host (Microsoft: IP_ADD_MEMBERSHIP, IP_MULTICAST_IF, IP_MULTICAST_LOOP)', () => {
  for (const kind of ['virtual', 'host'] as const) {
    test(`on the ${kind} network: a member joined on 127.0.0.1 receives, after IP_DROP_MEMBERSHIP it does not, and with IP_MULTICAST_LOOP off it ignores its own host`, async (t: TestContext) => {
      if (kind === 'host' && !(await hostLoopbackMulticast())) {
        t.skip('this kernel delivers no multicast over the loopback interface (a node:dgram probe joined 239.255.77.99 on 127.0.0.1 and got nothing)');
        return;
      }
      const w = kind === 'virtual' ? virtualWorld() : hostWorld();
      try {
        const { member, sender, got } = await loopbackRound(w, 0, GROUP, 'one');
        assert.ok(got, 'the member received the group datagram');
        const port = nameOf(w, member).port;
        expectOk(setBytes(w.p, member, IPPROTO_IP, IP_DROP_MEMBERSHIP, ipMreq(GROUP, '127.0.0.1')), 'drop');
        sendTo(w.p, sender, 'two', addr(GROUP, port));
        await w.pass(50);
        assert.equal(tryRecv(w.p, member), null, 'nothing after the drop');
        if (kind === 'virtual') {
          // Windows applies IP_MULTICAST_LOOP on the receiving side (the host network runs Linux's rule).
          expectOk(setBytes(w.p, member, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreq(GROUP, '127.0.0.1')), 'join again');
          expectOk(setInt(w, member, IPPROTO_IP, IP_MULTICAST_LOOP, 0), 'the member: IP_MULTICAST_LOOP off');
          sendTo(w.p, sender, 'three', addr(GROUP, port));
          await w.pass(50);
          assert.equal(tryRecv(w.p, member), null, 'loop off: its own host\'s datagram is not received');
        }
      } finally {
        await w.close();
      }
    });
  }
});

// ---- between hosts of the virtual network ----------------------------------------------------------

interface Three {
  net: VirtualNetwork;
  a: ServiceProvider;
  b: ServiceProvider;
  c: ServiceProvider;
}

function three(): Three {
  const net = new VirtualNetwork({ seed: 3 });
  const a = net.addHost({ name: 'a', addresses: ['10.0.0.1', 'fd00::1'] }).provider;
  const b = net.addHost({ name: 'b', addresses: ['10.0.0.2', 'fd00::2'] }).provider;
  const c = net.addHost({ name: 'c', addresses: ['10.0.0.3', 'fd00::3'] }).provider;
  return { net, a, b, c };
}

const PORT = 5007;

/**
 * A non-blocking datagram socket bound to the wildcard on PORT (with SO_REUSEADDR, as Windows
 * needs for a second socket on one port), joined to `group` on the default interface when `join`.
 */
function member(p: ServiceProvider, group: string, join = true): number {
  const af = group.includes(':') ? AF_INET6 : AF_INET;
  const s = dgramSocket(p, af);
  expectOk(setInt({ p } as World, s, W.SOL_SOCKET, W.SO_REUSEADDR, 1), 'SO_REUSEADDR');
  bind(p, s, addr(af === AF_INET ? '0.0.0.0' : '::', PORT));
  if (join) {
    const r = af === AF_INET
      ? setBytes(p, s, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreq(group))
      : setBytes(p, s, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, ipv6Mreq(group));
    expectOk(r, `join ${group}`);
  }
  return s;
}

describe('multicast between hosts of the virtual network', () => {
  test('a datagram to a group reaches every member on every host, and no socket that only shares the port', () => {
    const { net, a, b, c } = three();
    const onB = member(b, GROUP);
    const onC = member(c, GROUP, false);
    const alsoOnC = member(c, '239.255.77.2');
    const sender = dgramSocket(a);
    sendTo(a, sender, 'hello', addr(GROUP, PORT));
    net.run();
    assert.deepEqual(tryRecv(b, onB), { text: 'hello', from: '10.0.0.1' });
    assert.equal(tryRecv(c, onC), null, 'bound to the port, not a member');
    assert.equal(tryRecv(c, alsoOnC), null, 'a member of another group');
    assert.equal(tryRecv(a, sender), null, 'no ICMP port unreachable comes back for a group');
  });

  test('after IP_DROP_MEMBERSHIP, and after closesocket, a host receives nothing more', () => {
    const { net, a, b, c } = three();
    const onB = member(b, GROUP);
    const onC = member(c, GROUP);
    const sender = dgramSocket(a);
    expectOk(setBytes(b, onB, IPPROTO_IP, IP_DROP_MEMBERSHIP, ipMreq(GROUP)), 'drop on b');
    ok('close on c', (e) => c.WSPCloseSocket(onC, e));
    const again = member(c, GROUP, false); // the port is free again; this socket is no member
    sendTo(a, sender, 'gone', addr(GROUP, PORT));
    net.run();
    assert.equal(tryRecv(b, onB), null);
    assert.equal(tryRecv(c, again), null);
  });

  test('IP_MULTICAST_LOOP acts on the receiver (Windows): a member on the sender\'s host with it off ignores its host\'s datagrams; the sender\'s own setting changes nothing', () => {
    const { net, a, b } = three();
    const local = member(a, GROUP);
    const remote = member(b, GROUP);
    const sender = dgramSocket(a);
    expectOk(setInt({ p: a } as World, sender, IPPROTO_IP, IP_MULTICAST_LOOP, 0), 'the sender: loop off');
    sendTo(a, sender, 'first', addr(GROUP, PORT));
    net.run();
    assert.equal(tryRecv(a, local)?.text, 'first', 'the local member (loop on) receives');
    assert.equal(tryRecv(b, remote)?.text, 'first', 'the remote member receives');
    expectOk(setInt({ p: a } as World, local, IPPROTO_IP, IP_MULTICAST_LOOP, 0), 'the local member: loop off');
    sendTo(a, sender, 'second', addr(GROUP, PORT));
    net.run();
    assert.equal(tryRecv(a, local), null, 'the local member with loop off');
    assert.equal(tryRecv(b, remote)?.text, 'second', 'the remote member is not affected');
  });

  test('IP_MULTICAST_TTL 0 keeps the datagram on its host; 1 reaches the other hosts of the link', () => {
    const { net, a, b } = three();
    const local = member(a, GROUP);
    const remote = member(b, GROUP);
    const sender = dgramSocket(a);
    expectOk(setInt({ p: a } as World, sender, IPPROTO_IP, IP_MULTICAST_TTL, 0), 'TTL 0');
    sendTo(a, sender, 'stay', addr(GROUP, PORT));
    net.run();
    assert.equal(tryRecv(a, local)?.text, 'stay', 'the sender\'s host still hears it');
    assert.equal(tryRecv(b, remote), null, 'it never left');
    expectOk(setInt({ p: a } as World, sender, IPPROTO_IP, IP_MULTICAST_TTL, 1), 'TTL 1');
    sendTo(a, sender, 'go', addr(GROUP, PORT));
    net.run();
    assert.equal(tryRecv(b, remote)?.text, 'go');
  });

  test('IP_MULTICAST_IF 127.0.0.1 sends by the loopback interface: members joined there hear it, other hosts do not', () => {
    const { net, a, b } = three();
    const remote = member(b, GROUP);
    const onLoopback = dgramSocket(a);
    bind(a, onLoopback, addr('0.0.0.0', PORT));
    expectOk(setBytes(a, onLoopback, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreq(GROUP, '127.0.0.1')), 'join on 127.0.0.1');
    const sender = dgramSocket(a);
    expectOk(setInt({ p: a } as World, sender, IPPROTO_IP, IP_MULTICAST_IF, inAddrDword('127.0.0.1')), 'IP_MULTICAST_IF');
    sendTo(a, sender, 'lo', addr(GROUP, PORT));
    net.run();
    assert.deepEqual(tryRecv(a, onLoopback), { text: 'lo', from: '127.0.0.1' });
    assert.equal(tryRecv(b, remote), null);
  });

  test('IPv6: a datagram to ff15::7701 reaches members on other hosts; one to interface-local ff01::7701 stays on its host', () => {
    const { net, a, b } = three();
    const remote = member(b, GROUP6);
    const sender = dgramSocket(a, AF_INET6);
    sendTo(a, sender, 'six', addr(GROUP6, PORT));
    net.run();
    assert.deepEqual(tryRecv(b, remote), { text: 'six', from: 'fd00::1' });
    const local6 = member(b, 'ff01::7701');
    const remoteSender = dgramSocket(a, AF_INET6);
    sendTo(a, remoteSender, 'here', addr('ff01::7701', PORT));
    net.run();
    assert.equal(tryRecv(b, local6), null, 'interface-local scope never leaves a host');
  });

  test('IP_ADD_SOURCE_MEMBERSHIP: a member hears the named source only', () => {
    const { net, a, b, c } = three();
    const s = dgramSocket(b);
    bind(b, s, addr('0.0.0.0', PORT));
    expectOk(setBytes(b, s, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, ipMreqSource(GROUP, '10.0.0.3')), 'join (group, 10.0.0.3)');
    sendTo(a, dgramSocket(a), 'from a', addr(GROUP, PORT));
    sendTo(c, dgramSocket(c), 'from c', addr(GROUP, PORT));
    net.run();
    assert.deepEqual(tryRecv(b, s), { text: 'from c', from: '10.0.0.3' });
    assert.equal(tryRecv(b, s), null);
  });

  test('a capture shows group frames with the group MAC: 01:00:5e and the low 23 bits; 33:33 and the low 32 bits for IPv6', () => {
    const { net, a, b } = three();
    const frames: Uint8Array[] = [];
    const cap = net.capture({ write: (bytes: Uint8Array) => frames.push(bytes.slice()) });
    member(b, GROUP);
    member(b, GROUP6);
    sendTo(a, dgramSocket(a), 'mac', addr(GROUP, PORT));
    sendTo(a, dgramSocket(a, AF_INET6), 'mac', addr(GROUP6, PORT));
    net.run();
    cap.close();
    // frames[0] is the file header; each later write is a record: 16-byte header, then the frame.
    const macs = frames.slice(1).map((r) => Array.from(r.subarray(16, 22), (x) => x.toString(16).padStart(2, '0')).join(':'));
    assert.deepEqual(macs, ['01:00:5e:7f:4d:01', '33:33:00:00:77:01']);
  });
});
