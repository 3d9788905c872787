/**
 * Ports of Wine's datagram tests (dlls/ws2_32/tests/sock.c): test_UDP, test_connect_udp,
 * test_broadcast and the UDP part of test_shutdown. What Wine asserts, todo_wine included (the
 * asserted value is Windows'), is asserted.
 *
 * Left out: nothing of these functions needs overlapped I/O; Wine's second sending thread in
 * test_UDP (send_udp_thread) is a loop in sequence here. test_broadcast needs no broadcast
 * medium: its rows are options, errors and sends that leave the host.
 *
 * Cases that need a change in a file of another owner are declared with node:test's `todo`
 * (they run, and report, without failing the suite); each names the change.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, AF_INET6, FIONREAD, SD_RECEIVE, SD_SEND, SOCK_DGRAM, SOCKET_ERROR, SOL_SOCKET, SO_BROADCAST, WSAEINVAL, WSAENOTCONN,
  WSAESHUTDOWN, WSAEWOULDBLOCK, errorName, type SockAddr,
} from '../../src/index.js';
import { addr, call, getInt, nameOf, nonBlocking, ok, onNetworks, recv, send, setInt, socket, virtualWorld, type World } from './harness.js';

// ---- helpers --------------------------------------------------------------------------------

function udp(w: World, af = AF_INET): number {
  return socket(w, SOCK_DGRAM, af);
}

/** bind to the loopback address of the socket's family, port `port`; returns the name bound. */
function bindLoopback(w: World, s: number, port = 0, af = AF_INET): SockAddr {
  ok('bind', (e) => w.p.WSPBind(s, addr(af === AF_INET ? w.loopback4 : w.loopback6, port), af === AF_INET ? 16 : 28, e));
  return nameOf(w, s);
}

function sendTo(w: World, s: number, bytes: Uint8Array, to: SockAddr | Uint8Array, tolen = 16): { ret: number; err: number; sent: number } {
  const sent = { value: 0 };
  const r = call((e) => w.p.WSPSendTo(s, [{ len: bytes.length, buf: bytes }], 1, sent, 0, to as SockAddr, tolen, null, null, null, e));
  return { ...r, sent: sent.value };
}

function recvFrom(w: World, s: number, buf: Uint8Array, from: unknown, fromlen: { value: number } | null): { ret: number; err: number; count: number } {
  const got = { value: 0 };
  const r = call((e) => w.p.WSPRecvFrom(s, [{ len: buf.length, buf }], 1, got, { value: 0 }, from as SockAddr, fromlen, null, null, null, e));
  return { ...r, count: r.ret === 0 ? got.value : 0 };
}

/** A receive that waits (the host network's thread cannot block): non-blocking calls until one does not report WSAEWOULDBLOCK. */
async function settleRecvFrom(w: World, s: number, buf: Uint8Array, from: unknown, fromlen: { value: number } | null) {
  let r = recvFrom(w, s, buf, from, fromlen);
  if (r.ret === SOCKET_ERROR && r.err === WSAEWOULDBLOCK) {
    await w.settle(() => {
      r = recvFrom(w, s, buf, from, fromlen);
      return !(r.ret === SOCKET_ERROR && r.err === WSAEWOULDBLOCK);
    }, 'a datagram');
  }
  return r;
}

/** FIONREAD: the bytes of the datagrams waiting. */
function pending(w: World, s: number): number {
  const out = new Uint8Array(4);
  ok('FIONREAD', (e) => w.p.WSPIoctl(s, FIONREAD, null, 0, out, 4, { value: 0 }, null, null, null, e));
  return new DataView(out.buffer).getInt32(0, true);
}

function expectFailure(what: string, r: { ret: number; err: number }, code?: number): void {
  assert.equal(r.ret, SOCKET_ERROR, `${what}: expected a failure, got success`);
  if (code !== undefined) assert.equal(errorName(r.err), errorName(code), `${what}: wrong error`);
}

function peerOf(w: World, s: number): { ret: number; err: number; name: SockAddr } {
  const name = { family: 0, address: '', port: 0 };
  const r = call((e) => w.p.WSPGetPeerName(s, name, { value: 28 }, e));
  return { ...r, name };
}

function connect(w: World, s: number, to: SockAddr | Uint8Array, len = 16): { ret: number; err: number } {
  return call((e) => w.p.WSPConnect(s, to as SockAddr, len, null, null, null, null, e));
}

function close(w: World, s: number): void {
  ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
}

const enc = (t: string) => new TextEncoder().encode(t);
const u16 = (port: number) => new Uint8Array([port >> 8, port & 0xff]);

// ---- test_UDP -------------------------------------------------------------------------------

/** Wine's peers: peer 0 bound to a fixed port there (any port here), the others to port 0. */
function peers(w: World, n = 3): { s: number; at: SockAddr }[] {
  const out: { s: number; at: SockAddr }[] = [];
  for (let i = 0; i < n; i++) {
    const s = udp(w);
    nonBlocking(w, s);
    const at = bindLoopback(w, s);
    assert.notEqual(at.port, 0, 'bind associated a port');
    out.push({ s, at });
  }
  return out;
}

onNetworks('test_UDP', (it) => {
  it('test_UDP (recvfrom with a fromlen too small): it fails and writes nothing of the address; the datagram stays for a recvfrom with room', async (w) => {
    const [p0, p1] = peers(w);
    const buf = new Uint8Array(16);
    assert.equal(sendTo(w, p1!.s, buf, p0!.at).sent, 16);
    const sockaddr = new Uint8Array(1024);
    sockaddr[0] = 0x41; // 'A'
    await w.settle(() => pending(w, p0!.s) > 0, 'the datagram');
    const r = recvFrom(w, p0!.s, buf, sockaddr, { value: 1 });
    expectFailure('recvfrom with fromlen 1', r); // todo_wine in Wine: Windows fails here
    assert.equal(sockaddr[0], 0x41, 'the marker is not overwritten');
    const again = recvFrom(w, p0!.s, buf, sockaddr, { value: 16 });
    assert.deepEqual([again.ret, again.count], [0, 16], 'the datagram was still there');
  });

  it('test_UDP (recvfrom with a large fromlen): only the socket address is written', async (w) => {
    const [p0, p1] = peers(w);
    const buf = new Uint8Array(16);
    assert.equal(sendTo(w, p1!.s, buf, p0!.at).sent, 16);
    const sockaddr = new Uint8Array(1024);
    sockaddr[1023] = 0x42; // 'B'
    const r = await settleRecvFrom(w, p0!.s, buf, sockaddr, { value: 1024 });
    assert.deepEqual([r.ret, r.count], [0, 16]);
    assert.equal(sockaddr[1023], 0x42, 'the marker is not overwritten');
  });

  it("test_UDP (three peers): peer 0 receives each one's datagram, and recvfrom reports the port the datagram carries", async (w) => {
    const all = peers(w);
    for (const p of all.slice(1)) {
      const buf = new Uint8Array(16);
      buf.set(u16(p.at.port));
      assert.equal(sendTo(w, p.s, buf, all[0]!.at).sent, 16);
    }
    for (let i = 1; i < all.length; i++) {
      const buf = new Uint8Array(16);
      const from = { family: 0, address: '', port: 0 };
      const r = await settleRecvFrom(w, all[0]!.s, buf, from, { value: 16 });
      assert.deepEqual([r.ret, r.count], [0, 16]);
      assert.equal((buf[0]! << 8) | buf[1]!, from.port, 'the port numbers match');
    }
  });

  it('test_UDP (connected to a port nobody holds): sends succeed although ICMP port unreachable comes back; non-blocking, 512 sends each leave the socket writable', async (w) => {
    const s = udp(w);
    const buf = new Uint8Array(16);
    assert.equal(connect(w, s, addr(w.loopback4, 255)).ret, 0);
    for (let i = 0; i < 10; i++) {
      const r = send(w, s, buf);
      assert.deepEqual([r.ret, r.sent], [0, 16], `send ${i}: ${errorName(r.err)}`);
      await w.pass(1); // let the ICMP answers come back between sends
    }
    nonBlocking(w, s);
    const zero = { tv_sec: 0, tv_usec: 0 };
    for (let i = 0; i < 512; i++) {
      const r = send(w, s, buf);
      assert.deepEqual([r.ret, r.sent], [0, 16], `send ${i}: ${errorName(r.err)}`);
      const writefds = { fd_count: 1, fd_array: [s] };
      assert.equal(call((e) => w.p.WSPSelect(1, null, writefds, null, zero, e)).ret, 1, `select ${i}`);
    }
    close(w, s);
  });

  it('test_UDP (sendto port 0): IPv4 127.0.0.1:0 and IPv6 [::1]:0 send the datagram', (w) => {
    const buf = new Uint8Array(16);
    const s = udp(w);
    const r = sendTo(w, s, buf, addr(w.loopback4, 0));
    assert.deepEqual([r.ret, r.sent], [0, 16], `sendto: ${errorName(r.err)}`);
    close(w, s);
    const s6 = udp(w, AF_INET6);
    const r6 = sendTo(w, s6, buf, addr(w.loopback6, 0), 28);
    assert.deepEqual([r6.ret, r6.sent], [0, 16], `sendto: ${errorName(r6.err)}`);
    close(w, s6);
  });
});

// ---- test_connect_udp -----------------------------------------------------------------------

onNetworks('test_connect_udp', (it) => {
  it('test_connect_udp: send before connect is WSAENOTCONN, recv before bind WSAEINVAL; connect sets the peer; only the connected socket sends; connecting again (same or another port) succeeds', async (w) => {
    const client = udp(w);
    const server = udp(w);
    nonBlocking(w, client);
    nonBlocking(w, server);
    const data = enc('data');

    expectFailure('send', send(w, client, data), WSAENOTCONN);
    expectFailure('recv on an unbound socket', recv(w, server, 5), WSAEINVAL); // todo_wine in Wine

    const at = bindLoopback(w, server);
    expectFailure('recv', recv(w, server, 5), WSAEWOULDBLOCK);

    assert.equal(connect(w, client, at).ret, 0);
    const peer = peerOf(w, client);
    assert.equal(peer.ret, 0);
    assert.deepEqual(peer.name, at, 'the peer is the address connected to');
    nameOf(w, client); // getsockname succeeds
    expectFailure('getpeername of the unconnected socket', peerOf(w, server), WSAENOTCONN);

    const sent = send(w, client, data);
    assert.deepEqual([sent.ret, sent.sent], [0, 4]);
    let r = recv(w, server, 5);
    if (r.ret !== 0) {
      await w.settle(() => (r = recv(w, server, 5)).ret === 0, 'the datagram');
    }
    assert.deepEqual(r.bytes, data);
    expectFailure('recv, nothing left', recv(w, server, 5), WSAEWOULDBLOCK);
    expectFailure('send on the unconnected socket', send(w, server, data), WSAENOTCONN);

    assert.equal(connect(w, client, at).ret, 0, 'connect again, same address');
    assert.equal(connect(w, client, { ...at, port: at.port === 65535 ? 1 : at.port + 1 }).ret, 0, 'connect again, another port');
    close(w, server);
    close(w, client);
  });
});

describe('test_connect_udp on the virtual network (AF_UNSPEC)', () => {
  test('test_connect_udp (connect to an AF_UNSPEC address): succeeds and dissolves the association; getpeername then fails with WSAENOTCONN', () => {
    const w = virtualWorld();
    const client = udp(w);
    const server = udp(w);
    const at = bindLoopback(w, server);
    assert.equal(connect(w, client, at).ret, 0);
    const unspec = new Uint8Array(16); // memset 0, sin_family = AF_UNSPEC
    const r = connect(w, client, unspec);
    assert.equal(r.ret, 0, `connect(AF_UNSPEC): ${errorName(r.err)}`);
    expectFailure('getpeername', peerOf(w, client), WSAENOTCONN);
  });
});

// ---- test_broadcast -------------------------------------------------------------------------

const BCAST = () => addr('255.255.255.255', 12345);

onNetworks('test_broadcast', (it) => {
  it('test_broadcast: sendto 255.255.255.255 needs SO_BROADCAST; a socket connected to it sends with send() while SO_BROADCAST is off, sendto still fails', (w) => {
    const s = udp(w);
    const test4 = enc('test');
    expectFailure('sendto without SO_BROADCAST', sendTo(w, s, test4, BCAST()));
    assert.equal(setInt(w, s, SOL_SOCKET, SO_BROADCAST, 1).ret, 0);
    assert.equal(sendTo(w, s, test4, BCAST()).sent, 4, 'with SO_BROADCAST');
    assert.equal(setInt(w, s, SOL_SOCKET, SO_BROADCAST, 0).ret, 0);
    expectFailure('sendto with SO_BROADCAST off again', sendTo(w, s, test4, BCAST()));

    const c = connect(w, s, BCAST());
    assert.equal(c.ret, 0, `connect: ${errorName(c.err)}`);
    const opt = getInt(w, s, SOL_SOCKET, SO_BROADCAST);
    assert.deepEqual([opt.ret, opt.value], [0, 0], 'SO_BROADCAST is still 0');
    expectFailure('sendto', sendTo(w, s, test4, BCAST()));
    const r = send(w, s, test4);
    assert.deepEqual([r.ret, r.sent], [0, 4], `send: ${errorName(r.err)}`);
    close(w, s);
  });

  it('test_broadcast (IPv6): sendto ff01::1 (interface-local multicast) sends', (w) => {
    const s = udp(w, AF_INET6);
    const r = sendTo(w, s, enc('test'), addr('ff01::1', 12345), 28);
    assert.deepEqual([r.ret, r.sent], [0, 4], `sendto: ${errorName(r.err)}`);
    close(w, s);
  });
});

// ---- test_shutdown (UDP) --------------------------------------------------------------------

onNetworks('test_shutdown (UDP)', (it) => {
  it('test_shutdown (UDP sockets): SD_RECEIVE on a bound, unconnected socket succeeds and recvfrom fails with WSAESHUTDOWN; SD_SEND (twice) after a sendto succeeds and sendto then fails with WSAESHUTDOWN', (w) => {
    const client = udp(w);
    const server = udp(w);
    const at = bindLoopback(w, server);
    nonBlocking(w, server);

    assert.equal(call((e) => w.p.WSPShutdown(server, SD_RECEIVE, e)).ret, 0);
    expectFailure('recvfrom', recvFrom(w, server, new Uint8Array(5), null, null), WSAESHUTDOWN);

    assert.equal(sendTo(w, client, enc('test\0'), at).sent, 5);
    assert.equal(call((e) => w.p.WSPShutdown(client, SD_SEND, e)).ret, 0);
    assert.equal(call((e) => w.p.WSPShutdown(client, SD_SEND, e)).ret, 0, 'again');
    expectFailure('sendto', sendTo(w, client, enc('test\0'), at), WSAESHUTDOWN);
    close(w, client);
    close(w, server);
  });
});
