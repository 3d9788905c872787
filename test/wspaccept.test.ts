/** WSPAccept: queue order, addresses, the condition function, and its error codes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, CF_ACCEPT, CF_DEFER, CF_REJECT, INVALID_SOCKET, SOL_SOCKET, SO_CONDITIONAL_ACCEPT,
  SO_KEEPALIVE, SO_RCVBUF, TCP_NODELAY, IPPROTO_TCP, WSAECONNREFUSED, WSAECONNRESET, WSAEFAULT,
  WSAEINTR, WSAEINVAL, WSAENOTSOCK, WSAEOPNOTSUPP, WSAEWOULDBLOCK, WSATRY_AGAIN, decodeSockAddr,
  type WSABUF,
} from '../src/index.js';
import {
  accept, attempt, bind, connect, expectError, getInt, listener, ok, pair, setInt, setNonBlocking,
  resetError, soError, startConnect, tcp, v4,
} from './helpers.js';

const SERVER = v4('10.0.0.1', 80);
const acceptError = (fn: Parameters<typeof expectError>[0], code: number) => expectError(fn, code, INVALID_SOCKET);

describe('WSPAccept', () => {
  test('fills the peer address and its length; the new socket is connected to the client', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 5);
    const c = tcp(client);
    ok((e) => client.WSPBind(c, v4('10.0.0.2', 4321), 16, e));
    connect(client, c, SERVER);
    const addr = new Uint8Array(32);
    const len = { value: 32 };
    const a = ok((e) => server.WSPAccept(s, addr, len, null, 0, e));
    assert.equal(len.value, 16);
    assert.deepEqual(decodeSockAddr(addr, 16), { family: AF_INET, address: '10.0.0.2', port: 4321 });
    const peer = { family: 0, address: '', port: 0 };
    ok((e) => server.WSPGetPeerName(a, peer, { value: 16 }, e));
    assert.equal(peer.port, 4321);
    const local = { family: 0, address: '', port: 0 };
    ok((e) => server.WSPGetSockName(a, local, { value: 16 }, e));
    assert.deepEqual(local, { family: AF_INET, address: '10.0.0.1', port: 80 });
  });

  test('returns connections in arrival order', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 5);
    const ports = [6001, 6002, 6003];
    for (const port of ports) {
      const c = tcp(client);
      bind(client, c, v4('10.0.0.2', port));
      connect(client, c, SERVER);
    }
    const got = ports.map(() => {
      const addr = { family: 0, address: '', port: 0 };
      ok((e) => server.WSPAccept(s, addr, { value: 16 }, null, 0, e));
      return addr.port;
    });
    assert.deepEqual(got, ports);
  });

  test('WSAEINVAL: the socket is not listening', () => {
    const { server } = pair();
    const s = tcp(server);
    acceptError((e) => server.WSPAccept(s, null, null, null, 0, e), WSAEINVAL);
    bind(server, s, SERVER);
    acceptError((e) => server.WSPAccept(s, null, null, null, 0, e), WSAEINVAL);
  });

  test('WSAEOPNOTSUPP: a datagram socket', () => {
    const { server } = pair();
    const u = ok((e) => server.WSPSocket(AF_INET, 2, 17, null, 0, 0, e));
    acceptError((e) => server.WSPAccept(u, null, null, null, 0, e), WSAEOPNOTSUPP);
  });

  test('WSAENOTSOCK: not a descriptor', () => {
    const { server } = pair();
    acceptError((e) => server.WSPAccept(4242, null, null, null, 0, e), WSAENOTSOCK);
  });

  test('WSAEWOULDBLOCK: empty queue on a non-blocking socket', () => {
    const { server } = pair();
    const s = listener(server, SERVER, 5);
    setNonBlocking(server, s);
    acceptError((e) => server.WSPAccept(s, null, null, null, 0, e), WSAEWOULDBLOCK);
  });

  test('a blocking WSPAccept runs the network until a client arrives', () => {
    const { net, server, client } = pair();
    const s = listener(server, SERVER, 5);
    const c = startConnect(client, SERVER);
    assert.equal(net.now(), 0);
    const a = accept(server, s);
    assert.ok(a.ret > 0);
    assert.ok(net.now() > 0, 'virtual time moved');
    net.run();
    assert.equal(soError(client, c), 0);
  });

  test('a blocking WSPAccept nobody will ever connect to fails with WSAEINTR instead of hanging', () => {
    const { server } = pair();
    const s = listener(server, SERVER, 5);
    acceptError((e) => server.WSPAccept(s, null, null, null, 0, e), WSAEINTR);
  });

  test('WSAEFAULT: addr given with *addrlen too small; the connection stays queued', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 5);
    connect(client, tcp(client), SERVER);
    acceptError((e) => server.WSPAccept(s, new Uint8Array(16), { value: 8 }, null, 0, e), WSAEFAULT);
    acceptError((e) => server.WSPAccept(s, new Uint8Array(4), { value: 16 }, null, 0, e), WSAEFAULT);
    assert.equal(server.inspect(s)!.listen!.queueLength, 1);
    assert.ok(accept(server, s).ret > 0);
  });

  test('addr given without addrlen: the connection is accepted and addr is not written (Wine test_accept)', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 5);
    connect(client, tcp(client), SERVER);
    const addr = new Uint8Array(16).fill(0xaa);
    assert.ok(ok((e) => server.WSPAccept(s, addr, null, null, 0, e)) > 0);
    assert.ok(addr.every((b) => b === 0xaa));
  });

  test('WSAEFAULT: a condition "function" that is not one', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 5);
    connect(client, tcp(client), SERVER);
    acceptError((e) => server.WSPAccept(s, null, null, 42 as never, 0, e), WSAEFAULT);
  });

  test('WSAECONNRESET: a queued connection the peer reset before it was accepted', () => {
    const { net, server, client } = pair();
    const s = listener(server, SERVER, 5);
    const c = tcp(client);
    connect(client, c, SERVER);
    const linger = new Uint8Array([1, 0, 0, 0]);
    ok((e) => client.WSPSetSockOpt(c, SOL_SOCKET, 0x0080, linger, 4, e));
    ok((e) => client.WSPCloseSocket(c, e));
    net.run();
    acceptError((e) => server.WSPAccept(s, null, null, null, 0, e), WSAECONNRESET);
    assert.equal(server.inspect(s)!.listen!.queueLength, 0);
  });

  test('accepted sockets inherit the listener\'s options', () => {
    const { server, client } = pair();
    const s = tcp(server);
    bind(server, s, SERVER);
    setInt(server, s, SOL_SOCKET, SO_KEEPALIVE, 1);
    setInt(server, s, SOL_SOCKET, SO_RCVBUF, 12345);
    setInt(server, s, IPPROTO_TCP, TCP_NODELAY, 1);
    ok((e) => server.WSPListen(s, 5, e));
    connect(client, tcp(client), SERVER);
    const a = accept(server, s).ret;
    assert.equal(getInt(server, a, SOL_SOCKET, SO_KEEPALIVE), 1);
    assert.equal(getInt(server, a, SOL_SOCKET, SO_RCVBUF), 12345);
    assert.equal(getInt(server, a, IPPROTO_TCP, TCP_NODELAY), 1);
    assert.equal(getInt(server, a, SOL_SOCKET, 0x0002), 0, 'the accepted socket is not listening');
  });
});

describe('WSPAccept condition function', () => {
  test('sees the caller and callee addresses; CF_ACCEPT accepts', () => {
    const { server, client } = pair();
    const s = listener(server, v4('0.0.0.0', 80), 5);
    const c = tcp(client);
    bind(client, c, v4('10.0.0.2', 7777));
    connect(client, c, SERVER);
    let seen: unknown[] = [];
    const a = ok((e) => server.WSPAccept(s, null, null, (caller: WSABUF | null, callerData, sqos, gqos, callee: WSABUF | null, calleeData, g, data) => {
      seen = [decodeSockAddr(caller!.buf, caller!.len), callerData, sqos, gqos, decodeSockAddr(callee!.buf, callee!.len), calleeData, g.value, data];
      return CF_ACCEPT;
    }, 'ctx', e));
    assert.ok(a > 0);
    assert.deepEqual(seen, [
      { family: AF_INET, address: '10.0.0.2', port: 7777 }, null, null, null,
      { family: AF_INET, address: '10.0.0.1', port: 80 }, null, 0, 'ctx',
    ]);
  });

  test('CF_REJECT resets that connection and returns WSAECONNREFUSED', () => {
    const { net, server, client } = pair();
    const s = listener(server, SERVER, 5);
    const c = tcp(client);
    connect(client, c, SERVER);
    acceptError((e) => server.WSPAccept(s, null, null, () => CF_REJECT, 0, e), WSAECONNREFUSED);
    net.run();
    assert.equal(resetError(client, c), WSAECONNRESET);
    assert.equal(server.inspect(s)!.listen!.queueLength, 0);
  });

  test('CF_DEFER returns WSATRY_AGAIN and leaves the connection first in the queue', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 5);
    for (const port of [7001, 7002]) {
      const c = tcp(client);
      bind(client, c, v4('10.0.0.2', port));
      connect(client, c, SERVER);
    }
    acceptError((e) => server.WSPAccept(s, null, null, () => CF_DEFER, 0, e), WSATRY_AGAIN);
    const addr = { family: 0, address: '', port: 0 };
    ok((e) => server.WSPAccept(s, addr, { value: 16 }, () => CF_ACCEPT, 0, e));
    assert.equal(addr.port, 7001);
  });

  test('a value that is not CF_ACCEPT, CF_REJECT or CF_DEFER: WSAEINVAL, connection kept', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 5);
    connect(client, tcp(client), SERVER);
    acceptError((e) => server.WSPAccept(s, null, null, () => 7, 0, e), WSAEINVAL);
    assert.equal(server.inspect(s)!.listen!.queueLength, 1);
  });

  test('SO_CONDITIONAL_ACCEPT holds the handshake until the condition function decides', () => {
    const { net, server, client } = pair();
    const s = tcp(server);
    bind(server, s, SERVER);
    assert.equal(setInt(server, s, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, 1).ret, 0);
    ok((e) => server.WSPListen(s, 5, e));
    const c = startConnect(client, SERVER);
    net.advance(1);
    assert.equal(client.inspect(c)!.phase, 'connecting', 'no SYN-ACK yet');
    assert.equal(server.inspect(s)!.listen!.held, 1);
    const a = ok((e) => server.WSPAccept(s, null, null, () => CF_ACCEPT, 0, e));
    assert.ok(a > 0);
    net.run();
    assert.equal(client.inspect(c)!.phase, 'connected');
  });

  test('SO_CONDITIONAL_ACCEPT with CF_REJECT: the client\'s connect fails with WSAECONNREFUSED', () => {
    const { net, server, client } = pair();
    const s = tcp(server);
    bind(server, s, SERVER);
    setInt(server, s, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, 1);
    ok((e) => server.WSPListen(s, 5, e));
    const c = startConnect(client, SERVER);
    net.advance(1);
    acceptError((e) => server.WSPAccept(s, null, null, () => CF_REJECT, 0, e), WSAECONNREFUSED);
    net.run();
    assert.equal(soError(client, c), WSAECONNREFUSED);
  });

  test('a condition function that throws does not escape WSPAccept (WSAEFAULT), the connection stays', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 5);
    connect(client, tcp(client), SERVER);
    const r = attempt((e) => server.WSPAccept(s, null, null, () => { throw new Error('boom'); }, 0, e));
    assert.equal(r.ret, INVALID_SOCKET);
    assert.equal(r.err, WSAEFAULT);
    assert.equal(server.inspect(s)!.listen!.queueLength, 1);
  });
});
