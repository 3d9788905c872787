/**
 * Ports of Wine's test_listen, test_accept, test_connecting_socket and the rows of
 * test_WSASocket a provider decides (dlls/ws2_32/tests/sock.c).
 */
import assert from 'node:assert/strict';
import {
  AF_INET, CF_DEFER, INVALID_SOCKET, IPPROTO_ICMP, IPPROTO_RAW, IPPROTO_TCP, IPPROTO_UDP,
  SOCK_DGRAM, SOCK_RAW, SOCK_STREAM, SOL_SOCKET, SOMAXCONN, SO_ACCEPTCONN, SO_REUSEADDR, SO_TYPE,
  WSAEADDRINUSE, WSAEAFNOSUPPORT, WSAEALREADY, WSAEFAULT, WSAEINVAL,
  WSAENOTSOCK, WSAEOPNOTSUPP, WSAEPROTONOSUPPORT, WSAESOCKTNOSUPPORT, WSAEWOULDBLOCK, WSATRY_AGAIN,
  FROM_PROTOCOL_INFO, errorName, type SockAddr, type WSAPROTOCOL_INFOW,
} from '../../src/index.js';
import {
  addr, call, fails, getInt, nameOf, nonBlocking, ok, onNetworks, recv, send, setInt, socket, type World,
} from './harness.js';

function close(w: World, ...ss: number[]): void {
  for (const s of ss) ok('WSPCloseSocket', (e) => w.p.WSPCloseSocket(s, e));
}

/** Wine's setup_server_socket: SO_REUSEADDR, bound to 127.0.0.1 (any port), listening with a backlog of 5. */
function setupServer(w: World): { s: number; at: SockAddr } {
  const s = socket(w);
  assert.equal(setInt(w, s, SOL_SOCKET, SO_REUSEADDR, 1).ret, 0);
  ok('bind', (e) => w.p.WSPBind(s, addr(w.loopback4, 0), 16, e));
  ok('listen', (e) => w.p.WSPListen(s, 5, e));
  return { s, at: nameOf(w, s) };
}

/** Wine's setup_connector_socket: connects, and (here) waits until the server has the connection queued. */
async function setupConnector(w: World, server: number, at: SockAddr): Promise<number> {
  const c = socket(w);
  nonBlocking(w, c);
  const r = call((e) => w.p.WSPConnect(c, at, 16, null, null, null, null, e));
  assert.ok(r.ret === 0 || r.err === WSAEWOULDBLOCK, `connect: ${errorName(r.err)}`);
  await w.settle(() => w.p.inspect(c)?.phase === 'connected' && (w.p.inspect(server)?.listen?.ready ?? 0) > 0, 'the connection');
  nonBlocking(w, c, false);
  return c;
}

onNetworks('test_listen', (it) => {
  it('test_listen (not a socket): listen(0) and listen(0xdeadbeef) fail with WSAENOTSOCK', (w) => {
    fails('listen(0)', (e) => w.p.WSPListen(0, 0, e), WSAENOTSOCK);
    fails('listen(0xdeadbeef)', (e) => w.p.WSPListen(0xdeadbeef, 0, e), WSAENOTSOCK);
  });

  it('test_listen (UDP): WSAEOPNOTSUPP', (w) => {
    const s = socket(w, SOCK_DGRAM);
    fails('listen', (e) => w.p.WSPListen(s, 1, e), WSAEOPNOTSUPP);
    close(w, s);
  });

  it('test_listen (TCP): unbound is WSAEINVAL for any backlog; bound listens twice; SO_ACCEPTCONN reads 0 then 1 and cannot be set; the address stays WSAEADDRINUSE', (w) => {
    const a = socket(w);
    let b = socket(w);
    for (const backlog of [-2, 1, SOMAXCONN]) fails(`listen(${backlog}) unbound`, (e) => w.p.WSPListen(a, backlog, e), WSAEINVAL);
    ok('bind', (e) => w.p.WSPBind(a, addr(w.loopback4, 0), 16, e));
    const at = nameOf(w, a);
    assert.equal(call((e) => w.p.WSPBind(b, at, 16, e)).ret, -1, 'bind of the same address should fail');
    assert.equal(getInt(w, a, SOL_SOCKET, SO_ACCEPTCONN).value, 0);
    for (const v of [1, 0]) assert.equal(errorName(setInt(w, a, SOL_SOCKET, SO_ACCEPTCONN, v).err), 'WSAENOPROTOOPT');
    ok('listen(0)', (e) => w.p.WSPListen(a, 0, e));
    ok('listen(SOMAXCONN) again', (e) => w.p.WSPListen(a, SOMAXCONN, e));
    assert.equal(getInt(w, a, SOL_SOCKET, SO_ACCEPTCONN).value, 1);
    for (const v of [1, 0]) assert.equal(errorName(setInt(w, a, SOL_SOCKET, SO_ACCEPTCONN, v).err), 'WSAENOPROTOOPT');
    fails('listen of the socket whose bind failed', (e) => w.p.WSPListen(b, SOMAXCONN, e), WSAEINVAL);
    close(w, b);
    b = socket(w);
    fails('bind to the listening address', (e) => w.p.WSPBind(b, at, 16, e), WSAEADDRINUSE);
    close(w, a, b);
  });
});

onNetworks('test_accept', (it) => {
  it('test_accept (blocking): accept returns the connection of a client that connects while it waits', (w) => {
    const { s, at } = setupServer(w);
    const c = socket(w);
    nonBlocking(w, c);
    call((e) => w.p.WSPConnect(c, at, 16, null, null, null, null, e)); // the SYN is only on its way
    const a = ok('accept', (e) => w.p.WSPAccept(s, null, null, null, 0, e));
    close(w, a, c, s);
  }, { virtualOnly: 'a blocking accept from the thread that runs the host network cannot wait (WSAEWOULDBLOCK)' });

  it('test_accept (CF_DEFER): WSAAccept with a condition function that defers fails with WSATRY_AGAIN; accept then takes the connection', async (w) => {
    const { s, at } = setupServer(w);
    const c = await setupConnector(w, s, at);
    fails('WSAAccept(AlwaysDefer)', (e) => w.p.WSPAccept(s, null, null, () => CF_DEFER, 0, e), WSATRY_AGAIN);
    const a = ok('accept', (e) => w.p.WSPAccept(s, null, null, null, 0, e));
    close(w, a, c, s);
  });

  it('test_accept (closesocket wakes accept): a blocking accept fails once another party closes the listener', (w) => {
    const { s } = setupServer(w);
    // Wine closes the listener from another thread while accept waits; here, from the network's
    // own activity: the next packet of an unrelated connect attempt closes it.
    const other = socket(w);
    nonBlocking(w, other);
    call((e) => w.p.WSPConnect(other, addr(w.loopback4, 9), 16, null, null, null, null, e));
    const stop = w.net!.onPacket(() => {
      stop();
      close(w, s);
    });
    const r = call((e) => w.p.WSPAccept(s, null, null, null, 0, e));
    assert.equal(r.ret, INVALID_SOCKET, 'closesocket did not wake up accept');
    assert.equal(errorName(r.err), 'WSAEINTR');
    close(w, other);
  }, { virtualOnly: 'needs a blocking accept and a second party that closes the listener meanwhile' });

  for (const fn of ['WSAAccept', 'accept'] as const) {
    it(`test_accept (${fn}, addrlen 0): WSAEFAULT and addrlen stays 0`, async (w) => {
      const { s, at } = setupServer(w);
      const c = await setupConnector(w, s, at);
      const len = { value: 0 };
      fails(fn, (e) => w.p.WSPAccept(s, new Uint8Array(128), len, null, 0, e), WSAEFAULT);
      assert.equal(len.value, 0);
      close(w, c, s);
    });

    it(`test_accept (${fn}, NULL address and length): accepted`, async (w) => {
      const { s, at } = setupServer(w);
      const c = await setupConnector(w, s, at);
      const a = ok(fn, (e) => w.p.WSPAccept(s, null, null, null, 0, e));
      close(w, a, c, s);
    });

    it(`test_accept (${fn}, a SOCKADDR_STORAGE): accepted, the length becomes the sockaddr_in's and the family is set`, async (w) => {
      const { s, at } = setupServer(w);
      const c = await setupConnector(w, s, at);
      const ss = new Uint8Array(128);
      const len = { value: 128 };
      const a = ok(fn, (e) => w.p.WSPAccept(s, ss, len, null, 0, e));
      assert.notEqual(len.value, 128);
      assert.equal(len.value, 16);
      assert.equal(ss[0]! | (ss[1]! << 8), AF_INET);
      close(w, a, c, s);
    });
  }

  it('test_accept (accept, an address but NULL length): accepted, the address untouched', async (w) => {
    const { s, at } = setupServer(w);
    const c = await setupConnector(w, s, at);
    const ss = new Uint8Array(128);
    const a = ok('accept', (e) => w.p.WSPAccept(s, ss, null, null, 0, e));
    assert.ok(ss.every((b) => b === 0), 'structure is different');
    close(w, a, c, s);
  });
});

onNetworks('test_connecting_socket', (it) => {
  it('test_connecting_socket (connect in progress): again WSAEALREADY; getsockname has a port; getpeername succeeds; recv and send WSAENOTCONN', (w) => {
    const client = socket(w);
    nonBlocking(w, client);
    ok('bind', (e) => w.p.WSPBind(client, addr('0.0.0.0', 0), 16, e));
    const invalid = addr('192.0.2.0', 255);
    fails('connect', (e) => w.p.WSPConnect(client, invalid, 16, null, null, null, null, e), WSAEWOULDBLOCK);
    fails('connect again', (e) => w.p.WSPConnect(client, invalid, 16, null, null, null, null, e), WSAEALREADY);
    const name = nameOf(w, client);
    assert.equal(name.family, AF_INET);
    assert.notEqual(name.port, 0);
    const peer = { family: 0, address: '', port: 0 };
    ok('getpeername', (e) => w.p.WSPGetPeerName(client, peer, { value: 16 }, e));
    assert.deepEqual(peer, { family: AF_INET, address: '192.0.2.0', port: 255 });
    assert.equal(errorName(recv(w, client, 4).err), 'WSAENOTCONN');
    assert.equal(errorName(send(w, client, new Uint8Array(5)).err), 'WSAENOTCONN');
    close(w, client);
  });
});

/** Wine's test_WSASocket table: [family, type, protocol, error, [family, type, protocol] made]. */
const AF_UNSPEC = 0;
const DEAD = 0xdead;
const table: [number, number, number, number, [number, number, number]?][] = [
  [DEAD, SOCK_STREAM, IPPROTO_TCP, WSAEAFNOSUPPORT],
  [-1, SOCK_STREAM, IPPROTO_TCP, WSAEAFNOSUPPORT],
  [AF_INET, DEAD, IPPROTO_TCP, WSAESOCKTNOSUPPORT],
  [AF_INET, -1, IPPROTO_TCP, WSAESOCKTNOSUPPORT],
  [AF_INET, SOCK_STREAM, DEAD, WSAEPROTONOSUPPORT],
  [AF_INET, SOCK_STREAM, -1, WSAEPROTONOSUPPORT],
  [DEAD, DEAD, IPPROTO_TCP, WSAESOCKTNOSUPPORT],
  [DEAD, SOCK_STREAM, DEAD, WSAEAFNOSUPPORT],
  [AF_INET, DEAD, DEAD, WSAESOCKTNOSUPPORT],
  [DEAD, SOCK_STREAM, IPPROTO_UDP, WSAEAFNOSUPPORT],
  [AF_INET, SOCK_STREAM, 0, 0, [AF_INET, SOCK_STREAM, IPPROTO_TCP]],
  [AF_INET, SOCK_DGRAM, 0, 0, [AF_INET, SOCK_DGRAM, IPPROTO_UDP]],
  [AF_INET, DEAD, 0, WSAESOCKTNOSUPPORT],
  [AF_INET, 0, IPPROTO_TCP, 0, [AF_INET, SOCK_STREAM, IPPROTO_TCP]],
  [AF_INET, 0, IPPROTO_UDP, 0, [AF_INET, SOCK_DGRAM, IPPROTO_UDP]],
  [AF_INET, 0, DEAD, WSAEPROTONOSUPPORT],
  [AF_INET, 0, 0, 0, [AF_INET, SOCK_STREAM, IPPROTO_TCP]],
  [AF_INET, SOCK_STREAM, IPPROTO_UDP, WSAEPROTONOSUPPORT],
  [AF_INET, SOCK_DGRAM, IPPROTO_TCP, WSAEPROTONOSUPPORT],
  [AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP, 0, [AF_INET, SOCK_STREAM, IPPROTO_TCP]],
  [AF_UNSPEC, SOCK_STREAM, DEAD, WSAEPROTONOSUPPORT],
  [AF_UNSPEC, DEAD, IPPROTO_UDP, WSAESOCKTNOSUPPORT],
  [AF_UNSPEC, SOCK_STREAM, 0, WSAEINVAL],
  [AF_UNSPEC, SOCK_DGRAM, 0, WSAEINVAL],
  [AF_UNSPEC, DEAD, 0, WSAEINVAL],
  [AF_UNSPEC, 0, IPPROTO_TCP, 0, [AF_INET, SOCK_STREAM, IPPROTO_TCP]],
  [AF_UNSPEC, 0, IPPROTO_UDP, 0, [AF_INET, SOCK_DGRAM, IPPROTO_UDP]],
  [AF_UNSPEC, 0, DEAD, WSAEPROTONOSUPPORT],
  [AF_UNSPEC, 0, 0, WSAEINVAL],
];

function made(w: World, s: number): [number, number, number] {
  const info = w.p.inspect(s)!;
  return [info.af, info.type, info.protocol];
}

onNetworks('test_WSASocket', (it) => {
  it(`test_WSASocket (the family/type/protocol table, ${table.length} rows): the error, or the socket made`, (w) => {
    table.forEach(([af, type, protocol, error, want], i) => {
      const r = call((e) => w.p.WSPSocket(af, type, protocol, null, 0, 0, e));
      if (error !== 0) {
        assert.equal(r.ret, INVALID_SOCKET, `row ${i}: expected failure`);
        assert.equal(errorName(r.err), errorName(error), `row ${i}`);
      } else {
        assert.notEqual(r.ret, INVALID_SOCKET, `row ${i}: ${errorName(r.err)}`);
        assert.deepEqual(made(w, r.ret), want, `row ${i}`);
        close(w, r.ret);
      }
    });
  });

  it('test_WSASocket (with a protocol record): FROM_PROTOCOL_INFO works; 0 arguments take the record\'s values, others win; a record with no family is WSAEAFNOSUPPORT', (w) => {
    const pi = (): WSAPROTOCOL_INFOW => w.p.protocols()[0]!;
    close(w, ok('WSASocket(FROM_PROTOCOL_INFO x3)', (e) => w.p.WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, pi(), 0, 0, e)));
    fails('family -1 in the record', (e) => w.p.WSPSocket(0, 0, IPPROTO_UDP, { ...pi(), iProtocol: -1, iSocketType: -1, iAddressFamily: -1 }, 0, 0, e), WSAEAFNOSUPPORT);
    fails('family 0 in the record', (e) => w.p.WSPSocket(0, 0, IPPROTO_UDP, { ...pi(), iProtocol: 0, iSocketType: 0, iAddressFamily: 0 }, 0, 0, e), WSAEAFNOSUPPORT);
    const udp = { ...pi(), iProtocol: IPPROTO_UDP, iSocketType: SOCK_DGRAM, iAddressFamily: AF_INET };
    const d = ok('WSASocket(0, 0, 0, udp record)', (e) => w.p.WSPSocket(0, 0, 0, udp, 0, 0, e));
    assert.equal(getInt(w, d, SOL_SOCKET, SO_TYPE).value, SOCK_DGRAM);
    for (const v of [SOCK_STREAM, SOCK_DGRAM]) assert.equal(errorName(setInt(w, d, SOL_SOCKET, SO_TYPE, v).err), 'WSAEINVAL');
    close(w, d);
    const t = ok('WSASocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, udp record)', (e) => w.p.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, udp, 0, 0, e));
    assert.equal(getInt(w, t, SOL_SOCKET, SO_TYPE).value, SOCK_STREAM);
    for (const v of [SOCK_STREAM, SOCK_DGRAM]) assert.equal(errorName(setInt(w, t, SOL_SOCKET, SO_TYPE, v).err), 'WSAENOPROTOOPT');
    close(w, t);
  });

  it('test_WSASocket (no type): AF_INET with type and protocol 0 is the first PFL_MATCHES_PROTOCOL_ZERO entry (TCP); type 0 takes the type of the protocol', (w) => {
    const s = ok('WSASocket(AF_INET, 0, 0)', (e) => w.p.WSPSocket(AF_INET, 0, 0, null, 0, 0, e));
    assert.equal(getInt(w, s, SOL_SOCKET, SO_TYPE).value, w.p.protocols().find((p) => p.iAddressFamily === AF_INET)!.iSocketType);
    close(w, s);
    for (const [protocol, type] of [[IPPROTO_TCP, SOCK_STREAM], [IPPROTO_UDP, SOCK_DGRAM]] as const) {
      const t = ok(`WSASocket(0, 0, ${protocol})`, (e) => w.p.WSPSocket(0, 0, protocol, null, 0, 0, e));
      assert.equal(getInt(w, t, SOL_SOCKET, SO_TYPE).value, type);
      close(w, t);
    }
  });

  it('test_WSASocket (SOCK_RAW): made (Windows without the right gives WSAEACCES, which the suite accepts); SO_TYPE is SOCK_RAW; (0, 0, IPPROTO_RAW) and (AF_INET, SOCK_RAW, IPPROTO_TCP) are raw too', (w) => {
    for (const [af, type, protocol] of [[AF_INET, SOCK_RAW, IPPROTO_ICMP], [0, 0, IPPROTO_RAW], [AF_INET, SOCK_RAW, IPPROTO_TCP]] as const) {
      const s = ok(`WSASocket(${af}, ${type}, ${protocol})`, (e) => w.p.WSPSocket(af, type, protocol, null, 0, 0, e));
      assert.equal(getInt(w, s, SOL_SOCKET, SO_TYPE).value, SOCK_RAW);
      assert.equal(w.p.inspect(s)!.af, AF_INET);
      close(w, s);
    }
  });

  it('test_WSASocket (IPX and Bluetooth are not offered): WSAEAFNOSUPPORT', (w) => {
    const AF_IPX = 6;
    const NSPROTO_IPX = 1000;
    const AF_BTH = 32;
    const BTHPROTO_RFCOMM = 3;
    fails('WSASocket(AF_IPX)', (e) => w.p.WSPSocket(AF_IPX, SOCK_DGRAM, NSPROTO_IPX, null, 0, 0, e), WSAEAFNOSUPPORT);
    fails('WSASocket(AF_BTH)', (e) => w.p.WSPSocket(AF_BTH, SOCK_STREAM, BTHPROTO_RFCOMM, null, 0, 0, e), WSAEAFNOSUPPORT);
  });
});
