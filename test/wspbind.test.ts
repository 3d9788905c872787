/** WSPBind as Windows does it: address sharing rules, ephemeral ports, argument checks. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, AF_INET6, IPPROTO_UDP, SOCK_DGRAM, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, SO_REUSEADDR,
  WSAEACCES, WSAEADDRINUSE, WSAEADDRNOTAVAIL, WSAEAFNOSUPPORT, WSAEFAULT, WSAEINVAL, WSAENOBUFS,
  WSAENOTSOCK, encodeSockAddr,
} from '../src/index.js';
import { attempt, bind, expectError, getInt, ok, pair, setInt, tcp, v4, v6 } from './helpers.js';

function name(p: ReturnType<typeof pair>['server'], s: number) {
  const out = { family: 0, address: '', port: 0 };
  ok((e) => p.WSPGetSockName(s, out, { value: 28 }, e));
  return out;
}

describe('WSPBind', () => {
  test('binds a specific address and port; WSPGetSockName reports them', () => {
    const { server } = pair();
    const s = tcp(server);
    assert.equal(bind(server, s, v4('10.0.0.1', 80)).ret, 0);
    assert.deepEqual(name(server, s), { family: AF_INET, address: '10.0.0.1', port: 80 });
  });

  test('accepts sockaddr bytes as well as objects', () => {
    const { server } = pair();
    const s = tcp(server);
    const bytes = encodeSockAddr(v4('10.0.0.1', 8080));
    assert.equal(attempt((e) => server.WSPBind(s, bytes, 16, e)).ret, 0);
    assert.equal(name(server, s).port, 8080);
  });

  test('WSAEINVAL: a second bind of the same socket', () => {
    const { server } = pair();
    const s = tcp(server);
    bind(server, s, v4('10.0.0.1', 80));
    expectError((e) => server.WSPBind(s, v4('10.0.0.1', 81), 16, e), WSAEINVAL);
  });

  test('WSAEADDRINUSE: an address another socket holds', () => {
    const { server } = pair();
    bind(server, tcp(server), v4('10.0.0.1', 80));
    const r = bind(server, tcp(server), v4('10.0.0.1', 80));
    assert.equal(r.err, WSAEADDRINUSE);
  });

  test('WSAEADDRINUSE: the wildcard on a port where the wildcard is held', () => {
    const { server } = pair();
    bind(server, tcp(server), v4('0.0.0.0', 80));
    assert.equal(bind(server, tcp(server), v4('0.0.0.0', 80)).err, WSAEADDRINUSE);
  });

  test('WSAEACCES: SO_REUSEADDR on the second socket when the first did not set it', () => {
    const { server } = pair();
    bind(server, tcp(server), v4('10.0.0.1', 80));
    const s = tcp(server);
    setInt(server, s, SOL_SOCKET, SO_REUSEADDR, 1);
    assert.equal(bind(server, s, v4('10.0.0.1', 80)).err, WSAEACCES);
  });

  test('both sockets with SO_REUSEADDR share the address', () => {
    const { server } = pair();
    const a = tcp(server);
    const b = tcp(server);
    setInt(server, a, SOL_SOCKET, SO_REUSEADDR, 1);
    setInt(server, b, SOL_SOCKET, SO_REUSEADDR, 1);
    assert.equal(bind(server, a, v4('10.0.0.1', 80)).ret, 0);
    assert.equal(bind(server, b, v4('10.0.0.1', 80)).ret, 0);
  });

  test('SO_REUSEADDR on the first socket only: the second (without it) gets WSAEADDRINUSE', () => {
    const { server } = pair();
    const a = tcp(server);
    setInt(server, a, SOL_SOCKET, SO_REUSEADDR, 1);
    bind(server, a, v4('10.0.0.1', 80));
    assert.equal(bind(server, tcp(server), v4('10.0.0.1', 80)).err, WSAEADDRINUSE);
  });

  test('WSAEINVAL: SO_REUSEADDR and SO_EXCLUSIVEADDRUSE are mutually exclusive, either order', () => {
    const { server } = pair();
    const a = tcp(server);
    assert.equal(setInt(server, a, SOL_SOCKET, SO_REUSEADDR, 1).ret, 0);
    assert.equal(setInt(server, a, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1).err, WSAEINVAL);
    const b = tcp(server);
    assert.equal(setInt(server, b, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1).ret, 0);
    assert.equal(setInt(server, b, SOL_SOCKET, SO_REUSEADDR, 1).err, WSAEINVAL);
    assert.equal(getInt(server, b, SOL_SOCKET, SO_EXCLUSIVEADDRUSE), 1);
    assert.equal(getInt(server, b, SOL_SOCKET, SO_REUSEADDR), 0);
  });

  test('SO_EXCLUSIVEADDRUSE on the wildcard: nobody else binds the port, even with SO_REUSEADDR (WSAEACCES, as Windows)', () => {
    const { server } = pair();
    const a = tcp(server);
    setInt(server, a, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1);
    bind(server, a, v4('0.0.0.0', 80));
    const b = tcp(server);
    setInt(server, b, SOL_SOCKET, SO_REUSEADDR, 1);
    assert.equal(bind(server, b, v4('0.0.0.0', 80)).err, WSAEACCES);
    assert.equal(bind(server, tcp(server), v4('10.0.0.1', 80)).err, WSAEACCES);
  });

  test('SO_EXCLUSIVEADDRUSE on a specific address: that address is WSAEADDRINUSE, the wildcard beside it is allowed', () => {
    const { server } = pair();
    const a = tcp(server);
    setInt(server, a, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1);
    bind(server, a, v4('10.0.0.1', 80));
    assert.equal(bind(server, tcp(server), v4('10.0.0.1', 80)).err, WSAEADDRINUSE);
    assert.equal(bind(server, tcp(server), v4('0.0.0.0', 80)).ret, 0);
  });

  test('asking for SO_EXCLUSIVEADDRUSE: WSAEADDRINUSE over an address in use, allowed for a specific address under a shared wildcard', () => {
    const { server } = pair();
    bind(server, tcp(server), v4('10.0.0.1', 80));
    const x = tcp(server);
    setInt(server, x, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1);
    assert.equal(bind(server, x, v4('0.0.0.0', 80)).err, WSAEADDRINUSE);
    bind(server, tcp(server), v4('0.0.0.0', 81));
    const y = tcp(server);
    setInt(server, y, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1);
    assert.equal(bind(server, y, v4('10.0.0.1', 81)).ret, 0);
  });

  test('a specific address beside the wildcard on one port succeeds, in either order (Windows)', () => {
    const { server } = pair();
    assert.equal(bind(server, tcp(server), v4('0.0.0.0', 80)).ret, 0);
    assert.equal(bind(server, tcp(server), v4('10.0.0.1', 80)).ret, 0);
    assert.equal(bind(server, tcp(server), v4('10.0.0.1', 81)).ret, 0);
    assert.equal(bind(server, tcp(server), v4('0.0.0.0', 81)).ret, 0);
  });

  test('WSAEADDRNOTAVAIL: an address the host does not have', () => {
    const { server } = pair();
    assert.equal(bind(server, tcp(server), v4('10.0.0.2', 80)).err, WSAEADDRNOTAVAIL);
    assert.equal(bind(server, tcp(server, AF_INET6), v6('fd00::9', 80)).err, WSAEADDRNOTAVAIL);
  });

  test('loopback addresses are always the host\'s own', () => {
    const { server } = pair();
    assert.equal(bind(server, tcp(server), v4('127.0.0.1', 80)).ret, 0);
    assert.equal(bind(server, tcp(server), v4('127.1.2.3', 80)).ret, 0);
    assert.equal(bind(server, tcp(server, AF_INET6), v6('::1', 80)).ret, 0);
  });

  test('port 0 picks an ephemeral port (49152-65535) at bind time', () => {
    const { server } = pair();
    const s = tcp(server);
    bind(server, s, v4('0.0.0.0', 0));
    const port = name(server, s).port;
    assert.ok(port >= 49152 && port <= 65535, String(port));
    const t = tcp(server);
    bind(server, t, v4('0.0.0.0', 0));
    assert.notEqual(name(server, t).port, port);
  });

  test('WSAENOBUFS when no ephemeral port is left', () => {
    const { server } = pair({ maxSockets: 20000 });
    for (let i = 49152; i <= 65535; i++) assert.equal(bind(server, tcp(server), v4('0.0.0.0', 0)).ret, 0);
    assert.equal(bind(server, tcp(server), v4('0.0.0.0', 0)).err, WSAENOBUFS);
  });

  test('TCP and UDP ports, and IPv4 and IPv6 ports, are separate', () => {
    const { server } = pair();
    bind(server, tcp(server), v4('10.0.0.1', 53));
    const u = ok((e) => server.WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
    assert.equal(bind(server, u, v4('10.0.0.1', 53)).ret, 0);
    assert.equal(bind(server, tcp(server, AF_INET6), v6('::', 53)).ret, 0);
  });

  test('closing a socket frees its port', () => {
    const { server } = pair();
    const s = tcp(server);
    bind(server, s, v4('10.0.0.1', 80));
    ok((e) => server.WSPCloseSocket(s, e));
    assert.equal(bind(server, tcp(server), v4('10.0.0.1', 80)).ret, 0);
  });

  test('WSAEFAULT: namelen too short for the address, null name, garbage name', () => {
    const { server } = pair();
    const s = tcp(server);
    expectError((e) => server.WSPBind(s, v4('10.0.0.1', 80), 15, e), WSAEFAULT);
    expectError((e) => server.WSPBind(s, encodeSockAddr(v4('10.0.0.1', 80)).subarray(0, 8), 8, e), WSAEFAULT);
    expectError((e) => server.WSPBind(s, null as never, 16, e), WSAEFAULT);
    expectError((e) => server.WSPBind(s, 'x' as never, 16, e), WSAEFAULT);
    expectError((e) => server.WSPBind(s, v4('10.0.0.1', 80), NaN, e), WSAEFAULT);
    expectError((e) => server.WSPBind(s, v6('fd00::1', 80), 16, e), WSAEFAULT);
  });

  test('WSAEFAULT: an address of the other family than the socket', () => {
    const { server } = pair();
    expectError((e) => server.WSPBind(tcp(server), v6('fd00::1', 80), 28, e), WSAEFAULT);
  });

  test('WSAEAFNOSUPPORT: an address family the provider does not know', () => {
    const { server } = pair();
    expectError((e) => server.WSPBind(tcp(server), { family: 17, address: '10.0.0.1', port: 80 }, 16, e), WSAEAFNOSUPPORT);
  });

  test('WSAENOTSOCK before anything else', () => {
    const { server } = pair();
    expectError((e) => server.WSPBind(999, null as never, 0, e), WSAENOTSOCK);
  });

  test('WSPGetSockName on an unbound socket: WSAEINVAL', () => {
    const { server } = pair();
    expectError((e) => server.WSPGetSockName(tcp(server), { family: 0, address: '', port: 0 }, { value: 16 }, e), WSAEINVAL);
  });

  test('WSPGetSockName with a namelen too small: WSAEFAULT, nothing written', () => {
    const { server } = pair();
    const s = tcp(server);
    bind(server, s, v4('10.0.0.1', 80));
    const out = new Uint8Array(16).fill(0xaa);
    const len = { value: 15 };
    expectError((e) => server.WSPGetSockName(s, out, len, e), WSAEFAULT);
    assert.equal(out[0], 0xaa);
    assert.equal(len.value, 15);
    const len2 = { value: 16 };
    ok((e) => server.WSPGetSockName(s, out, len2, e));
    assert.deepEqual([...out.subarray(0, 8)], [2, 0, 0, 80, 10, 0, 0, 1]);
  });
});
