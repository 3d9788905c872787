/** UDP: WSPSendTo, WSPRecvFrom, and WSPSend/WSPRecv/WSPConnect/WSPIoctl on datagram sockets. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, AF_INET6, FIONREAD, IPPROTO_UDP, MSG_OOB, MSG_PEEK, MSG_WAITALL, SIO_UDP_CONNRESET, SOCKET_ERROR,
  SOCK_DGRAM, SOL_SOCKET, SO_BROADCAST, SO_RCVBUF, SO_RCVTIMEO, VirtualNetwork, WSAEACCES, WSAEADDRNOTAVAIL,
  WSAECONNRESET, WSAEDESTADDRREQ, WSAEFAULT, WSAEINVAL, WSAEMSGSIZE, WSAENETDOWN, WSAENOTCONN, WSAEOPNOTSUPP,
  WSAETIMEDOUT, WSAEWOULDBLOCK, decodeSockAddr, errorName, type ServiceProvider, type SockAddr,
} from '../src/index.js';
import { attempt, bind, connect, expectError, ok, pair, setInt, setNonBlocking, tcp, v4, v6, type Outcome } from './helpers.js';

const SERVER = v4('10.0.0.1', 5000);
const CLIENT = v4('10.0.0.2', 6000);
const SERVER6 = v6('fd00::1', 5000);
const CLIENT6 = v6('fd00::2', 6000);

function udp(p: ServiceProvider, af = AF_INET): number {
  return ok((e) => p.WSPSocket(af, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
}

/** A UDP socket bound to `a`. */
function bound(p: ServiceProvider, a: SockAddr): number {
  const s = udp(p, a.family);
  assert.equal(bind(p, s, a).ret, 0);
  return s;
}

const bytes = (...xs: number[]) => Uint8Array.from(xs);
const fill = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const len = (a: SockAddr) => (a.family === AF_INET6 ? 28 : 16);

interface Sent extends Outcome { count: number }

function sendTo(p: ServiceProvider, s: number, data: Uint8Array, to: SockAddr | null, flags = 0, tolen = to ? len(to) : 0): Sent {
  const n = { value: -1 };
  const r = attempt((e) => p.WSPSendTo(s, [{ len: data.length, buf: data }], 1, n, flags, to, tolen, null, null, null, e));
  return { ...r, count: n.value };
}

interface Got extends Outcome { count: number; data: Uint8Array; raw: Uint8Array; from: SockAddr; fromlen: number; flags: number }

/** WSPRecvFrom into one buffer of `size` bytes (or scatter buffers of the given sizes). */
function recvFrom(p: ServiceProvider, s: number, size: number | number[], flags = 0): Got {
  const bufs = (Array.isArray(size) ? size : [size]).map((n) => ({ len: n, buf: new Uint8Array(n).fill(0xee) }));
  const n = { value: -1 };
  const f = { value: flags };
  const from = { family: 0, address: '', port: 0 };
  const fromlen = { value: 28 };
  const r = attempt((e) => p.WSPRecvFrom(s, bufs, bufs.length, n, f, from, fromlen, null, null, null, e));
  const all = new Uint8Array(bufs.reduce((a, b) => a + b.len, 0));
  let off = 0;
  for (const b of bufs) { all.set(b.buf, off); off += b.len; }
  return { ...r, count: n.value, data: all.subarray(0, Math.max(n.value, 0)), raw: all, from, fromlen: fromlen.value, flags: f.value };
}

function expectCode(o: Outcome, code: number): void {
  assert.equal(o.ret, SOCKET_ERROR, 'expected SOCKET_ERROR');
  assert.equal(errorName(o.err), errorName(code));
}

function fionread(p: ServiceProvider, s: number): number {
  const out = new Uint8Array(4);
  ok((e) => p.WSPIoctl(s, FIONREAD, null, 0, out, 4, { value: 0 }, null, null, null, e));
  return new DataView(out.buffer).getInt32(0, true);
}

function udpConnReset(p: ServiceProvider, s: number, on: boolean): Outcome {
  const arg = bytes(on ? 1 : 0, 0, 0, 0);
  return attempt((e) => p.WSPIoctl(s, SIO_UDP_CONNRESET, arg, 4, null, 0, { value: 0 }, null, null, null, e));
}

describe('WSPSendTo / WSPRecvFrom: message boundaries and addresses', () => {
  test('datagram boundaries are kept: two sends, two receives, each exactly one datagram even with a big buffer', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER);
    const c = bound(client, CLIENT);
    assert.equal(sendTo(client, c, bytes(1, 2, 3), SERVER).count, 3);
    assert.equal(sendTo(client, c, bytes(4, 5), SERVER).count, 2);
    const a = recvFrom(server, s, 1000);
    assert.equal(a.ret, 0);
    assert.deepEqual([a.count, [...a.data]], [3, [1, 2, 3]]);
    const b = recvFrom(server, s, 1000);
    assert.deepEqual([b.ret, b.count, [...b.data]], [0, 2, [4, 5]]);
  });

  test('scatter/gather: WSPSendTo gathers several WSABUFs into one datagram, WSPRecvFrom scatters it', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER);
    const c = bound(client, CLIENT);
    const n = { value: 0 };
    const parts = [bytes(1, 2), bytes(), bytes(3, 4, 5, 99)];
    ok((e) => client.WSPSendTo(c, parts.map((b, i) => ({ len: i === 2 ? 3 : b.length, buf: b })), 3, n, 0, SERVER, 16, null, null, null, e));
    assert.equal(n.value, 5);
    const r = recvFrom(server, s, [2, 1, 4]);
    assert.equal(r.count, 5);
    assert.deepEqual([...r.raw], [1, 2, 3, 4, 5, 0xee, 0xee], 'tail of the last buffer untouched');
  });

  test('lpFrom and lpFromlen receive the sender address (IPv4, object and sockaddr_in bytes)', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER);
    const c = bound(client, CLIENT);
    sendTo(client, c, bytes(9), SERVER);
    sendTo(client, c, bytes(8), SERVER);
    const r = recvFrom(server, s, 10);
    assert.deepEqual(r.from, { family: AF_INET, address: '10.0.0.2', port: 6000 });
    assert.equal(r.fromlen, 16);
    const raw = new Uint8Array(16);
    const fromlen = { value: 16 };
    ok((e) => server.WSPRecvFrom(s, [{ len: 4, buf: new Uint8Array(4) }], 1, { value: 0 }, { value: 0 }, raw, fromlen, null, null, null, e));
    assert.equal(fromlen.value, 16);
    assert.deepEqual(decodeSockAddr(raw, 16), { family: AF_INET, address: '10.0.0.2', port: 6000 });
  });

  test('lpFrom and lpFromlen receive the sender address (IPv6, 28 bytes)', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER6);
    const c = bound(client, CLIENT6);
    assert.equal(sendTo(client, c, bytes(6, 6), SERVER6).count, 2);
    const r = recvFrom(server, s, 10);
    assert.deepEqual([r.ret, r.count, [...r.data]], [0, 2, [6, 6]]);
    assert.equal(r.fromlen, 28);
    assert.deepEqual(r.from, { family: AF_INET6, address: 'fd00::2', port: 6000, flowinfo: 0, scopeId: 0 });
  });

  test('WSAEMSGSIZE: a datagram larger than the buffers — first part delivered, count = buffer size, rest discarded', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER);
    const c = bound(client, CLIENT);
    const big = fill(100);
    sendTo(client, c, big, SERVER);
    sendTo(client, c, bytes(42), SERVER);
    const r = recvFrom(server, s, [6, 4]);
    expectCode(r, WSAEMSGSIZE);
    assert.equal(r.count, 10);
    assert.deepEqual([...r.data], [...big.subarray(0, 10)]);
    assert.deepEqual(r.from, { family: AF_INET, address: '10.0.0.2', port: 6000 });
    const next = recvFrom(server, s, 200);
    assert.deepEqual([next.ret, next.count, [...next.data]], [0, 1, [42]]);
  });

  test('MSG_PEEK leaves the datagram queued; the next receive returns it again', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER);
    const c = bound(client, CLIENT);
    sendTo(client, c, bytes(1, 2, 3), SERVER);
    const peek = recvFrom(server, s, 10, MSG_PEEK);
    assert.deepEqual([peek.ret, peek.count, [...peek.data]], [0, 3, [1, 2, 3]]);
    assert.equal(peek.from.port, 6000);
    assert.equal(fionread(server, s), 3);
    const real = recvFrom(server, s, 10);
    assert.deepEqual([real.ret, real.count, [...real.data]], [0, 3, [1, 2, 3]]);
    assert.equal(fionread(server, s), 0);
  });

  test('a zero-length datagram is delivered with count 0', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER);
    const c = bound(client, CLIENT);
    assert.equal(sendTo(client, c, bytes(), SERVER).count, 0);
    sendTo(client, c, bytes(7), SERVER);
    const r = recvFrom(server, s, 10);
    assert.deepEqual([r.ret, r.count, r.from.port], [0, 0, 6000]);
    assert.deepEqual([...recvFrom(server, s, 10).data], [7]);
  });

  test('the first WSPSendTo binds an unbound socket implicitly (WSPGetSockName shows the wildcard and a port)', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER);
    const c = udp(client);
    expectError((e) => client.WSPGetSockName(c, { family: 0, address: '', port: 0 }, { value: 16 }, e), WSAEINVAL);
    assert.equal(sendTo(client, c, bytes(1), SERVER).count, 1);
    const name = { family: 0, address: '', port: 0 };
    ok((e) => client.WSPGetSockName(c, name, { value: 16 }, e));
    assert.equal(name.address, '0.0.0.0');
    assert.ok(name.port >= 49152, `ephemeral port, got ${name.port}`);
    const r = recvFrom(server, s, 10);
    assert.deepEqual(r.from, { family: AF_INET, address: '10.0.0.2', port: name.port });
  });
});

describe('connected datagram sockets', () => {
  test('WSPSend/WSPRecv on a connected UDP socket go to and come from the peer', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER);
    const c = bound(client, CLIENT);
    assert.equal(connect(client, c, SERVER).ret, 0);
    const n = { value: 0 };
    ok((e) => client.WSPSend(c, [{ len: 2, buf: bytes(10, 11) }], 1, n, 0, null, null, null, e));
    assert.equal(n.value, 2);
    const r = recvFrom(server, s, 10);
    assert.deepEqual([r.count, [...r.data], r.from.port], [2, [10, 11], 6000]);
    sendTo(server, s, bytes(12, 13, 14), CLIENT);
    const buf = new Uint8Array(10);
    const got = { value: 0 };
    ok((e) => client.WSPRecv(c, [{ len: 10, buf }], 1, got, { value: 0 }, null, null, null, e));
    assert.deepEqual([...buf.subarray(0, got.value)], [12, 13, 14]);
  });

  test('WSPConnect sets the default peer; datagrams from other senders are not received', () => {
    const net = new VirtualNetwork();
    const a = net.addHost({ addresses: ['10.0.0.1'] }).provider;
    const b = net.addHost({ addresses: ['10.0.0.2'] }).provider;
    const x = net.addHost({ addresses: ['10.0.0.3'] }).provider;
    const s = bound(a, SERVER);
    assert.equal(connect(a, s, CLIENT).ret, 0);
    const peer = { family: 0, address: '', port: 0 };
    ok((e) => a.WSPGetPeerName(s, peer, { value: 16 }, e));
    assert.deepEqual(peer, { family: AF_INET, address: '10.0.0.2', port: 6000 });
    sendTo(x, bound(x, v4('10.0.0.3', 6000)), bytes(66), SERVER); // right port, wrong host
    const b1 = bound(b, CLIENT);
    sendTo(b, bound(b, v4('10.0.0.2', 6001)), bytes(77), SERVER); // right host, wrong port
    sendTo(b, b1, bytes(88), SERVER);
    net.run();
    assert.equal(fionread(a, s), 1);
    const r = recvFrom(a, s, 10);
    assert.deepEqual([r.count, [...r.data], r.from.address, r.from.port], [1, [88], '10.0.0.2', 6000]);
  });

  test('WSPSendTo with lpTo on a connected datagram socket sends that one datagram to lpTo', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER);
    const other = bound(server, v4('10.0.0.1', 5001));
    const c = bound(client, CLIENT);
    connect(client, c, SERVER);
    const r = sendTo(client, c, bytes(5), v4('10.0.0.1', 5001));
    assert.deepEqual([r.ret, r.count], [0, 1]);
    assert.deepEqual([...recvFrom(server, other, 10).data], [5]);
    setNonBlocking(server, s);
    expectCode(recvFrom(server, s, 10), WSAEWOULDBLOCK);
  });

  test('WSAENOTCONN: WSPSend on an unconnected UDP socket', () => {
    const { client } = pair();
    const c = bound(client, CLIENT);
    expectError((e) => client.WSPSend(c, [{ len: 1, buf: bytes(1) }], 1, { value: 0 }, 0, null, null, null, e), WSAENOTCONN);
  });

  test('WSAEDESTADDRREQ: WSPSendTo without lpTo on an unconnected datagram socket', () => {
    const { client } = pair();
    const c = bound(client, CLIENT);
    expectCode(sendTo(client, c, bytes(1), null), WSAEDESTADDRREQ);
  });
});

describe('ICMP port unreachable and SIO_UDP_CONNRESET', () => {
  test('WSAECONNRESET: after a datagram to a port nobody holds, the next WSPRecvFrom on the sender fails', () => {
    const { server, client } = pair();
    bound(server, SERVER);
    const c = bound(client, CLIENT);
    sendTo(client, c, bytes(1), v4('10.0.0.1', 9));
    expectCode(recvFrom(client, c, 10), WSAECONNRESET);
    // Reported once: the socket still works afterwards.
    sendTo(server, bound(server, v4('10.0.0.1', 5002)), bytes(3), CLIENT);
    const r = recvFrom(client, c, 10);
    assert.deepEqual([r.ret, [...r.data]], [0, [3]]);
  });

  test('SIO_UDP_CONNRESET with FALSE turns the WSAECONNRESET report off', () => {
    const { net, client } = pair();
    const c = bound(client, CLIENT);
    assert.deepEqual(udpConnReset(client, c, false), { ret: 0, err: 0 });
    setNonBlocking(client, c);
    sendTo(client, c, bytes(1), v4('10.0.0.1', 9));
    net.run();
    expectCode(recvFrom(client, c, 10), WSAEWOULDBLOCK);
  });

  test('WSAEINVAL: SIO_UDP_CONNRESET on a TCP socket', () => {
    const { client } = pair();
    const t = tcp(client);
    expectCode(udpConnReset(client, t, false), WSAEINVAL);
  });
});

describe('WSPSendTo error codes', () => {
  test('WSAEMSGSIZE: a payload over 65507 bytes on IPv4 (65507 itself is sent whole); nothing is sent', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER);
    const c = bound(client, CLIENT);
    const r = sendTo(client, c, fill(65508), SERVER);
    expectCode(r, WSAEMSGSIZE);
    assert.equal(r.count, -1, 'lpNumberOfBytesSent untouched');
    assert.equal(sendTo(client, c, fill(65507, 3), SERVER).count, 65507);
    const got = recvFrom(server, s, 70000);
    assert.equal(got.count, 65507);
    assert.deepEqual(got.data, fill(65507, 3));
  });

  test('WSAEMSGSIZE: a payload over 65527 bytes on IPv6 (65527 itself is sent whole)', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER6);
    const c = bound(client, CLIENT6);
    expectCode(sendTo(client, c, fill(65528), SERVER6), WSAEMSGSIZE);
    assert.equal(sendTo(client, c, fill(65527), SERVER6).count, 65527);
    assert.equal(recvFrom(server, s, 70000).count, 65527);
  });

  test('WSAEACCES: 255.255.255.255 without SO_BROADCAST (allowed once it is set)', () => {
    const { client } = pair();
    const c = bound(client, CLIENT);
    expectCode(sendTo(client, c, bytes(1), v4('255.255.255.255', 5000)), WSAEACCES);
    assert.equal(setInt(client, c, SOL_SOCKET, SO_BROADCAST, 1).ret, 0);
    assert.equal(sendTo(client, c, bytes(1, 2), v4('255.255.255.255', 5000)).count, 2);
  });

  test('WSAEADDRNOTAVAIL: the remote address is not valid (ADDR_ANY, in6addr_any); port 0 is sent (Windows)', () => {
    const { client } = pair();
    const c = bound(client, CLIENT);
    // Wine's test_UDP: sendto 127.0.0.1:0 (and [::1]:0) succeeds.
    assert.equal(sendTo(client, c, bytes(1), v4('10.0.0.1', 0)).count, 1);
    expectCode(sendTo(client, c, bytes(1), v4('0.0.0.0', 5000)), WSAEADDRNOTAVAIL);
    const c6 = bound(client, CLIENT6);
    expectCode(sendTo(client, c6, bytes(1), v6('::', 5000)), WSAEADDRNOTAVAIL);
  });

  test('WSAEFAULT: iTolen is too small for the sockaddr, or lpTo is not a sockaddr', () => {
    const { client } = pair();
    const c = bound(client, CLIENT);
    expectCode(sendTo(client, c, bytes(1), SERVER, 0, 8), WSAEFAULT);
    const raw = new Uint8Array(16);
    raw.set([2, 0, 0x13, 0x88, 10, 0, 0, 1]);
    expectCode(sendTo(client, c, bytes(1), raw as unknown as SockAddr, 0, 15), WSAEFAULT);
    assert.equal(sendTo(client, c, bytes(1), raw as unknown as SockAddr, 0, 16).count, 1);
    expectCode(sendTo(client, c, bytes(1), 'x' as unknown as SockAddr, 0, 16), WSAEFAULT);
  });

  test('WSAEOPNOTSUPP: MSG_OOB on a datagram socket (WSPSendTo and WSPRecvFrom)', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER);
    const c = bound(client, CLIENT);
    expectCode(sendTo(client, c, bytes(1), SERVER, MSG_OOB), WSAEOPNOTSUPP);
    sendTo(client, c, bytes(2), SERVER);
    expectCode(recvFrom(server, s, 10, MSG_OOB), WSAEOPNOTSUPP);
    assert.deepEqual([...recvFrom(server, s, 10).data], [2], 'only the OOB send was refused');
  });

  test('WSAENETDOWN: WSPSendTo and WSPRecvFrom while the host network is down', () => {
    const net = new VirtualNetwork();
    const host = net.addHost({ addresses: ['10.0.0.2'] });
    const p = host.provider;
    const c = bound(p, CLIENT);
    host.setNetworkDown(true);
    expectCode(sendTo(p, c, bytes(1), SERVER), WSAENETDOWN);
    expectCode(recvFrom(p, c, 10), WSAENETDOWN);
    host.setNetworkDown(false);
    assert.equal(sendTo(p, c, bytes(1), SERVER).count, 1);
  });
});

describe('WSPRecvFrom error codes and queueing', () => {
  test('WSAEINVAL: WSPRecvFrom on an unbound socket', () => {
    const { client } = pair();
    expectCode(recvFrom(client, udp(client), 10), WSAEINVAL);
  });

  test('WSAEFAULT: lpFromlen too small for the sender address; the datagram stays queued', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER);
    sendTo(client, bound(client, CLIENT), bytes(4), SERVER);
    const call = (from: unknown, fromlen: { value: number } | null) => attempt((e) =>
      server.WSPRecvFrom(s, [{ len: 8, buf: new Uint8Array(8) }], 1, { value: 0 }, { value: 0 }, from as never, fromlen, null, null, null, e));
    assert.deepEqual(call({ family: 0, address: '', port: 0 }, { value: 15 }), { ret: SOCKET_ERROR, err: WSAEFAULT });
    assert.deepEqual(call(new Uint8Array(8), { value: 16 }), { ret: SOCKET_ERROR, err: WSAEFAULT });
    assert.deepEqual(call(new Uint8Array(16), null), { ret: SOCKET_ERROR, err: WSAEFAULT });
    const r = recvFrom(server, s, 10);
    assert.deepEqual([r.ret, [...r.data]], [0, [4]]);
  });

  test('WSAEFAULT: lpFromlen of an IPv6 socket must hold 28 bytes', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER6);
    sendTo(client, bound(client, CLIENT6), bytes(4), SERVER6);
    expectError((e) => server.WSPRecvFrom(s, [{ len: 8, buf: new Uint8Array(8) }], 1, { value: 0 }, { value: 0 },
      new Uint8Array(28), { value: 16 }, null, null, null, e), WSAEFAULT);
  });

  test('WSAEOPNOTSUPP: MSG_WAITALL on a datagram socket', () => {
    const { server, client } = pair();
    const s = bound(server, SERVER);
    sendTo(client, bound(client, CLIENT), bytes(4), SERVER);
    expectCode(recvFrom(server, s, 10, MSG_WAITALL), WSAEOPNOTSUPP);
    expectError((e) => server.WSPRecv(s, [{ len: 8, buf: new Uint8Array(8) }], 1, { value: 0 }, { value: MSG_WAITALL }, null, null, null, e), WSAEOPNOTSUPP);
  });

  test('WSAEWOULDBLOCK: non-blocking WSPRecvFrom with nothing queued', () => {
    const { net, server } = pair();
    const s = bound(server, SERVER);
    setNonBlocking(server, s);
    const r = recvFrom(server, s, 10);
    expectCode(r, WSAEWOULDBLOCK);
    assert.equal(r.count, -1);
    assert.equal(net.now(), 0, 'no virtual time passed');
  });

  test('WSAETIMEDOUT: a blocking WSPRecvFrom with SO_RCVTIMEO fails after exactly that virtual time', () => {
    const { net, server } = pair();
    const s = bound(server, SERVER);
    assert.equal(setInt(server, s, SOL_SOCKET, SO_RCVTIMEO, 250).ret, 0);
    const start = net.now();
    expectCode(recvFrom(server, s, 10), WSAETIMEDOUT);
    assert.equal(net.now() - start, 250);
  });

  test('a blocking WSPRecvFrom runs the network until the datagram arrives', () => {
    const { net, server, client } = pair();
    const s = bound(server, SERVER);
    sendTo(client, bound(client, CLIENT), bytes(1, 2), SERVER);
    assert.equal(net.now(), 0);
    const r = recvFrom(server, s, 10);
    assert.deepEqual([r.ret, [...r.data]], [0, [1, 2]]);
    assert.ok(net.now() > 0);
  });

  test('datagrams beyond SO_RCVBUF are dropped; later ones fit again once the queue drains', () => {
    const { net, server, client } = pair();
    const s = bound(server, SERVER);
    const c = bound(client, CLIENT);
    assert.equal(setInt(server, s, SOL_SOCKET, SO_RCVBUF, 1000).ret, 0);
    for (const seed of [1, 2, 3]) sendTo(client, c, fill(400, seed), SERVER);
    net.run();
    assert.equal(fionread(server, s), 800);
    setNonBlocking(server, s);
    assert.deepEqual(recvFrom(server, s, 500).data, fill(400, 1));
    assert.deepEqual(recvFrom(server, s, 500).data, fill(400, 2));
    expectCode(recvFrom(server, s, 500), WSAEWOULDBLOCK);
    sendTo(client, c, fill(400, 4), SERVER);
    net.run();
    assert.deepEqual(recvFrom(server, s, 500).data, fill(400, 4));
  });

  test('FIONREAD on a datagram socket is the total size of all queued datagrams', () => {
    const { net, server, client } = pair();
    const s = bound(server, SERVER);
    const c = bound(client, CLIENT);
    assert.equal(fionread(server, s), 0);
    for (const n of [10, 20, 0, 30]) sendTo(client, c, fill(n), SERVER);
    net.run();
    assert.equal(fionread(server, s), 60);
    assert.equal(recvFrom(server, s, 100).count, 10, 'one receive returns one datagram');
    assert.equal(fionread(server, s), 50);
  });
});
