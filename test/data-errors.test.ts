/**
 * The documented error codes of WSPSend, WSPRecv, WSPSendTo, WSPRecvFrom and WSPShutdown that the
 * stream and datagram suites do not already produce (docs/semantics.md maps every code to a test).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, AF_INET6, CF_ACCEPT, IPPROTO_UDP, SD_RECEIVE, SD_SEND, SOCK_DGRAM, SOL_SOCKET, SO_LINGER, VirtualNetwork,
  WSAEAFNOSUPPORT, WSAECONNRESET, WSAEINPROGRESS, WSAEINTR, WSAEINVAL, WSAEMSGSIZE, WSAENETDOWN, WSAENETUNREACH,
  WSAENOBUFS, WSAENOTCONN, WSAENOTSOCK, WSAESHUTDOWN, WSAEWOULDBLOCK, type LPINT, type ServiceProvider, type SockAddr,
} from '../src/index.js';
import { accept, attempt, bind, connect, expectError, listener, ok, pair, setNonBlocking, tcp, v4, v6 } from './helpers.js';

const SERVER = v4('10.0.0.1', 80);
const UDP_SERVER = v4('10.0.0.1', 5000);

const buffers = (n: number) => [{ len: n, buf: new Uint8Array(n) }];

function send(p: ServiceProvider, s: number, n: number, e: LPINT): number {
  return p.WSPSend(s, buffers(n), 1, { value: 0 }, 0, null, null, null, e);
}
function recv(p: ServiceProvider, s: number, n: number, e: LPINT): number {
  return p.WSPRecv(s, buffers(n), 1, { value: 0 }, { value: 0 }, null, null, null, e);
}
function sendTo(p: ServiceProvider, s: number, n: number, to: SockAddr | null, e: LPINT, tolen = 16): number {
  return p.WSPSendTo(s, buffers(n), 1, { value: 0 }, 0, to, tolen, null, null, null, e);
}
function recvFrom(p: ServiceProvider, s: number, n: number, e: LPINT): number {
  return p.WSPRecvFrom(s, buffers(n), 1, { value: 0 }, { value: 0 }, {}, { value: 16 }, null, null, null, e);
}

function udp(p: ServiceProvider, at: SockAddr | null = null): number {
  const s = ok((e) => p.WSPSocket(at?.family ?? AF_INET, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
  if (at !== null) assert.equal(bind(p, s, at).ret, 0);
  return s;
}

/** A connected TCP pair: [client socket, accepted server socket]. */
function streams() {
  const p = pair();
  const l = listener(p.server, SERVER, 5);
  const c = tcp(p.client);
  assert.equal(connect(p.client, c, SERVER).ret, 0);
  const a = accept(p.server, l).ret;
  return { ...p, c, a };
}

describe('WSAENETDOWN and WSAEINPROGRESS on the data path', () => {
  test('WSAENETDOWN: WSPSend, WSPRecv and WSPShutdown while the host network is down', () => {
    const net = new VirtualNetwork();
    const serverHost = net.addHost({ addresses: ['10.0.0.1'] });
    const client = net.addHost({ addresses: ['10.0.0.2'] }).provider;
    const l = listener(serverHost.provider, SERVER, 5);
    const c = tcp(client);
    assert.equal(connect(client, c, SERVER).ret, 0);
    const a = accept(serverHost.provider, l).ret;
    serverHost.setNetworkDown(true);
    expectError((e) => send(serverHost.provider, a, 4, e), WSAENETDOWN);
    expectError((e) => recv(serverHost.provider, a, 4, e), WSAENETDOWN);
    expectError((e) => serverHost.provider.WSPShutdown(a, SD_SEND, e), WSAENETDOWN);
    serverHost.setNetworkDown(false);
    assert.equal(ok((e) => send(serverHost.provider, a, 4, e)), 0);
  });

  test('WSAEINPROGRESS: the five functions called from inside a callback (a condition function)', () => {
    const { net, server, client, c, a } = streams();
    const l2 = listener(server, v4('10.0.0.1', 81), 5);
    assert.equal(connect(client, tcp(client), v4('10.0.0.1', 81)).ret, 0);
    const u = udp(server, UDP_SERVER);
    const inner: number[] = [];
    ok((e) => server.WSPAccept(l2, null, null, () => {
      for (const call of [
        (x: LPINT) => send(server, a, 1, x), (x: LPINT) => recv(server, a, 1, x),
        (x: LPINT) => sendTo(server, u, 1, v4('10.0.0.2', 9), x), (x: LPINT) => recvFrom(server, u, 1, x),
        (x: LPINT) => server.WSPShutdown(a, SD_SEND, x),
      ]) {
        inner.push(attempt(call).err);
      }
      return CF_ACCEPT;
    }, 0, e));
    assert.deepEqual(inner, Array(5).fill(WSAEINPROGRESS));
    net.run();
    assert.equal(c > 0, true);
  });
});

describe('WSPRecv and WSPRecvFrom', () => {
  test('WSAENOTSOCK: WSPSendTo and WSPRecvFrom on a closed handle; WSAEINVAL: flags that are not an integer', () => {
    const { client } = pair();
    const u = udp(client, v4('10.0.0.2', 6000));
    expectError((e) => client.WSPSendTo(u, buffers(1), 1, { value: 0 }, 0.5, UDP_SERVER, 16, null, null, null, e), WSAEINVAL);
    expectError((e) => client.WSPRecvFrom(u, buffers(1), 1, { value: 0 }, { value: 0.5 }, null, null, null, null, null, e), WSAEINVAL);
    ok((e) => client.WSPCloseSocket(u, e));
    expectError((e) => sendTo(client, u, 1, UDP_SERVER, e), WSAENOTSOCK);
    expectError((e) => recvFrom(client, u, 1, e), WSAENOTSOCK);
  });

  test('WSAEINTR: a blocking WSPRecv nothing can ever complete', () => {
    const { client, c } = streams();
    expectError((e) => recv(client, c, 10, e), WSAEINTR);
  });

  test('WSAEINTR: a blocking WSPRecvFrom nothing can ever complete', () => {
    const { client } = pair();
    const u = udp(client, v4('10.0.0.2', 6000));
    expectError((e) => recvFrom(client, u, 10, e), WSAEINTR);
  });

  test('WSAEMSGSIZE: WSPRecv on a connected datagram socket; the first part is delivered', () => {
    const { server, client } = pair();
    const s = udp(server, UDP_SERVER);
    const c = udp(client, v4('10.0.0.2', 6000));
    assert.equal(connect(client, c, UDP_SERVER).ret, 0);
    const payload = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    ok((e) => server.WSPSendTo(s, [{ len: 6, buf: payload }], 1, { value: 0 }, 0, v4('10.0.0.2', 6000), 16, null, null, null, e));
    const buf = new Uint8Array(4);
    const count = { value: 0 };
    expectError((e) => client.WSPRecv(c, [{ len: 4, buf }], 1, count, { value: 0 }, null, null, null, e), WSAEMSGSIZE);
    assert.deepEqual([...buf], [1, 2, 3, 4]);
    assert.equal(count.value, 4);
  });

  test('WSAEINVAL: WSPRecv on a datagram socket that is not bound', () => {
    const { client } = pair();
    expectError((e) => recv(client, udp(client), 10, e), WSAEINVAL);
  });

  test('WSAESHUTDOWN: WSPRecvFrom after SD_RECEIVE on a datagram socket', () => {
    const { client } = pair();
    const u = udp(client, v4('10.0.0.2', 6000));
    assert.equal(connect(client, u, UDP_SERVER).ret, 0);
    ok((e) => client.WSPShutdown(u, SD_RECEIVE, e));
    expectError((e) => recvFrom(client, u, 10, e), WSAESHUTDOWN);
  });

  test('WSAENOTCONN: WSPRecvFrom on a stream socket that is not connected', () => {
    const { client } = pair();
    expectError((e) => recvFrom(client, tcp(client), 10, e), WSAENOTCONN);
  });
});

describe('WSPSend and WSPSendTo', () => {
  test('WSAEMSGSIZE: WSPSend of a datagram over 65507 bytes on a connected UDP socket; nothing is sent', () => {
    const { client } = pair();
    const c = udp(client);
    assert.equal(connect(client, c, UDP_SERVER).ret, 0);
    expectError((e) => send(client, c, 65508, e), WSAEMSGSIZE);
  });

  test('WSAESHUTDOWN: WSPSendTo after SD_SEND on a datagram socket', () => {
    const { client } = pair();
    const u = udp(client, v4('10.0.0.2', 6000));
    assert.equal(connect(client, u, UDP_SERVER).ret, 0);
    ok((e) => client.WSPShutdown(u, SD_SEND, e));
    expectError((e) => sendTo(client, u, 1, UDP_SERVER, e), WSAESHUTDOWN);
  });

  test('WSAEAFNOSUPPORT: lpTo of a family the provider does not support', () => {
    const { client } = pair();
    const u = udp(client);
    expectError((e) => sendTo(client, u, 1, { family: 17, address: '10.0.0.1', port: 5000 }, e), WSAEAFNOSUPPORT);
  });

  test('WSAENETUNREACH: an IPv6 datagram from a host that has no IPv6 address', () => {
    const net = new VirtualNetwork();
    const only4 = net.addHost({ addresses: ['10.0.0.5'] }).provider;
    net.addHost({ addresses: ['10.0.0.1', 'fd00::1'] });
    const u = ok((e) => only4.WSPSocket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
    expectError((e) => sendTo(only4, u, 1, v6('fd00::1', 5000), e, 28), WSAENETUNREACH);
  });

  test('WSPSendTo on a stream socket is WSPSend: lpTo ignored, WSAENOTCONN, WSAEWOULDBLOCK, WSAENOBUFS, WSAECONNRESET, WSAEINTR', () => {
    const { client } = pair();
    expectError((e) => sendTo(client, tcp(client), 1, SERVER, e), WSAENOTCONN);

    const small = pair({ bufferBudget: 8 * 1024 });
    const l = listener(small.server, SERVER, 5);
    const c = tcp(small.client);
    assert.equal(connect(small.client, c, SERVER).ret, 0);
    const a = accept(small.server, l).ret;
    // The budget (8 KiB, less the descriptors) cannot hold 16 KiB of unacknowledged data.
    setNonBlocking(small.server, a);
    const first = { value: 0 };
    ok((e) => small.server.WSPSendTo(a, buffers(16 * 1024), 1, first, 0, v4('10.9.9.9', 1), 16, null, null, null, e));
    assert.ok(first.value > 0 && first.value < 16 * 1024, `partial count, got ${first.value}`);
    expectError((e) => sendTo(small.server, a, 16 * 1024, null, e), WSAENOBUFS);

    const p = streams();
    setNonBlocking(p.client, p.c);
    let code = 0;
    for (let i = 0; i < 100 && code === 0; i++) code = attempt((e) => sendTo(p.client, p.c, 65536, null, e)).err;
    assert.equal(code, WSAEWOULDBLOCK);
    // Fill the peer's receive window as well, so that no acknowledgment can make room.
    for (let i = 0; i < 10; i++) {
      p.net.run();
      attempt((e) => sendTo(p.client, p.c, 65536, null, e));
    }
    p.net.run();
    expectError((e) => sendTo(p.client, p.c, 1, null, e), WSAEWOULDBLOCK);

    const q = streams();
    const linger = Uint8Array.of(1, 0, 0, 0);
    ok((e) => q.server.WSPSetSockOpt(q.a, SOL_SOCKET, SO_LINGER, linger, 4, e));
    ok((e) => q.server.WSPCloseSocket(q.a, e));
    q.net.run();
    expectError((e) => sendTo(q.client, q.c, 1, null, e), WSAECONNRESET);

    // The reader never reads: with window and send buffer full, nothing can complete a blocking send.
    setNonBlocking(p.client, p.c, false);
    expectError((e) => sendTo(p.client, p.c, 1, null, e), WSAEINTR);
  });
});
