/** WSPSocket, WSPStartup/WSPCleanup, options, WSPIoctl, and the promise that bad input never throws. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, AF_INET6, FIONBIO, INVALID_SOCKET, IPPROTO_TCP, IPPROTO_UDP, PROC_NAMES, SOCKET_ERROR,
  SOCK_DGRAM, SOCK_RAW, SOCK_STREAM, SOL_SOCKET, SO_DONTLINGER, SO_ERROR, SO_LINGER, SO_TYPE,
  VirtualNetwork, WSAEAFNOSUPPORT, WSAEFAULT, WSAEINVAL, WSAEMFILE, WSAENOPROTOOPT, WSAENOTSOCK,
  WSAEOPNOTSUPP, WSAEPROTONOSUPPORT, WSAESOCKTNOSUPPORT, WSANOTINITIALISED, WSAVERNOTSUPPORTED,
  WSAEWOULDBLOCK, errorName, errorText, type WSPPROC_TABLE, FROM_PROTOCOL_INFO,
} from '../src/index.js';
import { attempt, expectError, getInt, listener, ok, pair, setInt, tcp, v4 } from './helpers.js';

const bad = (fn: Parameters<typeof expectError>[0], code: number) => expectError(fn, code, INVALID_SOCKET);

describe('WSPSocket', () => {
  test('creates TCP and UDP sockets over IPv4 and IPv6; protocol 0 picks the default', () => {
    const { server } = pair();
    for (const af of [AF_INET, AF_INET6]) {
      const t = ok((e) => server.WSPSocket(af, SOCK_STREAM, 0, null, 0, 0, e));
      const u = ok((e) => server.WSPSocket(af, SOCK_DGRAM, 0, null, 0, 0, e));
      assert.equal(getInt(server, t, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
      assert.equal(getInt(server, u, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
      assert.equal(server.inspect(t)!.protocol, IPPROTO_TCP);
      assert.equal(server.inspect(u)!.protocol, IPPROTO_UDP);
    }
  });

  test('handles are distinct, non-zero multiples of 4, never INVALID_SOCKET', () => {
    const { server } = pair();
    const hs = Array.from({ length: 10 }, () => tcp(server));
    assert.equal(new Set(hs).size, 10);
    for (const h of hs) assert.ok(h > 0 && h % 4 === 0 && h !== INVALID_SOCKET);
  });

  test('WSAEAFNOSUPPORT, WSAESOCKTNOSUPPORT, WSAEPROTONOSUPPORT (a protocol of another type too, never WSAEPROTOTYPE: Windows)', () => {
    const { server } = pair();
    bad((e) => server.WSPSocket(99, SOCK_STREAM, 0, null, 0, 0, e), WSAEAFNOSUPPORT);
    bad((e) => server.WSPSocket(AF_INET, 9, 0, null, 0, 0, e), WSAESOCKTNOSUPPORT);
    bad((e) => server.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_UDP, null, 0, 0, e), WSAEPROTONOSUPPORT);
    bad((e) => server.WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_TCP, null, 0, 0, e), WSAEPROTONOSUPPORT);
    bad((e) => server.WSPSocket(AF_INET, SOCK_STREAM, 99, null, 0, 0, e), WSAEPROTONOSUPPORT);
  });

  test('WSAEINVAL: a group or unknown flags', () => {
    const { server } = pair();
    bad((e) => server.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 1, 0, e), WSAEINVAL);
    bad((e) => server.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 0x1000, e), WSAEINVAL);
    assert.ok(ok((e) => server.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 1, e)) > 0, 'WSA_FLAG_OVERLAPPED is fine');
  });

  test('FROM_PROTOCOL_INFO takes the values from lpProtocolInfo', () => {
    const { server } = pair();
    const info = server.protocols().find((p) => p.iAddressFamily === AF_INET6 && p.iSocketType === SOCK_DGRAM)!;
    const s = ok((e) => server.WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, info, 0, 0, e));
    assert.equal(server.inspect(s)!.af, AF_INET6);
    assert.equal(server.inspect(s)!.type, SOCK_DGRAM);
  });

  test('SOCK_RAW sockets can be made (they do not listen or connect)', () => {
    const { server } = pair();
    assert.ok(ok((e) => server.WSPSocket(AF_INET, SOCK_RAW, 1, null, 0, 0, e)) > 0);
  });

  test('WSAEMFILE: "No more socket descriptors are available"', () => {
    const net = new VirtualNetwork();
    const p = net.addHost({ maxSockets: 2 }).provider;
    tcp(p);
    const b = tcp(p);
    bad((e) => p.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 0, e), WSAEMFILE);
    ok((e) => p.WSPCloseSocket(b, e));
    assert.ok(tcp(p) > 0);
  });
});

describe('WSPStartup and WSPCleanup', () => {
  test('fills the proc table and WSPDATA; functions from the table work', () => {
    const { server } = pair();
    const data: { wVersion?: number; wHighVersion?: number; szDescription?: string } = {};
    const table: WSPPROC_TABLE = {};
    assert.equal(server.WSPStartup(0x0202, data, server.protocols()[0]!, {}, table), 0);
    assert.equal(data.wVersion, 0x0202);
    assert.equal(data.wHighVersion, 0x0202);
    for (const name of PROC_NAMES) assert.equal(typeof (table as Record<string, unknown>)[`lp${name}`], 'function', name);
    const s = ok((e) => table.lpWSPSocket!(AF_INET, SOCK_STREAM, 0, null, 0, 0, e));
    ok((e) => table.lpWSPBind!(s, v4('10.0.0.1', 80), 16, e));
    ok((e) => table.lpWSPListen!(s, 5, e));
  });

  test('WSAVERNOTSUPPORTED below 2.2; a higher request is served 2.2', () => {
    const { server } = pair();
    assert.equal(server.WSPStartup(0x0101, {}, null, null, {}), WSAVERNOTSUPPORTED);
    const data: { wVersion?: number } = {};
    assert.equal(server.WSPStartup(0x0303, data, null, null, {}), 0);
    assert.equal(data.wVersion, 0x0202);
  });

  test('WSAEFAULT for missing out-parameters', () => {
    const { server } = pair();
    assert.equal(server.WSPStartup(0x0202, null as never, null, null, {}), WSAEFAULT);
    assert.equal(server.WSPStartup(0x0202, {}, null, null, null as never), WSAEFAULT);
  });

  test('the last WSPCleanup closes every socket; one too many gives WSANOTINITIALISED', () => {
    const { server } = pair();
    server.WSPStartup(0x0202, {}, null, null, {});
    server.WSPStartup(0x0202, {}, null, null, {});
    const s = listener(server, v4('10.0.0.1', 80), 5);
    assert.equal(attempt((e) => server.WSPCleanup(e)).ret, 0);
    assert.ok(server.inspect(s), 'still open after the first of two cleanups');
    assert.equal(attempt((e) => server.WSPCleanup(e)).ret, 0);
    assert.equal(server.inspect(s), undefined);
    expectError((e) => server.WSPCleanup(e), WSANOTINITIALISED);
  });

  test('the catalogue describes TCP and UDP over IPv4 and IPv6', () => {
    const { server } = pair();
    const rows = server.protocols().map((p) => [p.iAddressFamily, p.iSocketType, p.iProtocol, p.iMaxSockAddr]);
    assert.deepEqual(rows, [[2, 1, 6, 16], [2, 2, 17, 16], [23, 1, 6, 28], [23, 2, 17, 28]]);
  });
});

describe('WSPSetSockOpt and WSPGetSockOpt', () => {
  test('SO_ERROR reads the last asynchronous error and can be set', () => {
    const { server } = pair();
    const s = tcp(server);
    assert.equal(getInt(server, s, SOL_SOCKET, SO_ERROR), 0);
    assert.equal(setInt(server, s, SOL_SOCKET, SO_ERROR, 10061).ret, 0);
    assert.equal(getInt(server, s, SOL_SOCKET, SO_ERROR), 10061);
  });

  test('SO_LINGER is two little-endian u_shorts; SO_DONTLINGER is its inverse', () => {
    const { server } = pair();
    const s = tcp(server);
    ok((e) => server.WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, new Uint8Array([1, 0, 30, 0]), 4, e));
    const out = new Uint8Array(4);
    ok((e) => server.WSPGetSockOpt(s, SOL_SOCKET, SO_LINGER, out, { value: 4 }, e));
    assert.deepEqual([...out], [1, 0, 30, 0]);
    assert.equal(getInt(server, s, SOL_SOCKET, SO_DONTLINGER), 0);
    assert.equal(setInt(server, s, SOL_SOCKET, SO_DONTLINGER >>> 0, 1).ret, 0, 'the unsigned spelling works too');
    assert.equal(getInt(server, s, SOL_SOCKET, SO_DONTLINGER), 1);
  });

  test('WSAENOPROTOOPT for unknown options and for options of another socket type; WSAEINVAL for an unknown level', () => {
    const { server } = pair();
    const s = tcp(server);
    assert.equal(setInt(server, s, SOL_SOCKET, 0x7777, 1).err, WSAENOPROTOOPT);
    const u = ok((e) => server.WSPSocket(AF_INET, SOCK_DGRAM, 0, null, 0, 0, e));
    assert.equal(setInt(server, u, SOL_SOCKET, SO_LINGER, 1).err, WSAENOPROTOOPT);
    assert.equal(setInt(server, s, 12345, 1, 1).err, WSAEINVAL);
  });

  test('SO_TYPE is read-only', () => {
    const { server } = pair();
    assert.equal(setInt(server, tcp(server), SOL_SOCKET, SO_TYPE, 2).err, WSAENOPROTOOPT);
  });

  test('WSAEFAULT: optval missing or optlen too small', () => {
    const { server } = pair();
    const s = tcp(server);
    expectError((e) => server.WSPSetSockOpt(s, SOL_SOCKET, SO_ERROR, null, 4, e), WSAEFAULT);
    expectError((e) => server.WSPSetSockOpt(s, SOL_SOCKET, SO_ERROR, new Uint8Array(4), 2, e), WSAEFAULT);
    expectError((e) => server.WSPGetSockOpt(s, SOL_SOCKET, SO_ERROR, new Uint8Array(4), { value: 3 }, e), WSAEFAULT);
    expectError((e) => server.WSPGetSockOpt(s, SOL_SOCKET, SO_ERROR, new Uint8Array(4), null as never, e), WSAEFAULT);
  });
});

describe('WSPIoctl', () => {
  test('FIONBIO switches between blocking and non-blocking', () => {
    const { server } = pair();
    const s = listener(server, v4('10.0.0.1', 80), 5);
    const arg = new Uint8Array([1, 0, 0, 0]);
    const returned = { value: 99 };
    assert.equal(attempt((e) => server.WSPIoctl(s, FIONBIO, arg, 4, null, 0, returned, null, null, null, e)).ret, 0);
    assert.equal(returned.value, 0);
    assert.equal(attempt((e) => server.WSPAccept(s, null, null, null, 0, e)).err, WSAEWOULDBLOCK);
    assert.equal(server.inspect(s)!.nonBlocking, true);
    ok((e) => server.WSPIoctl(s, FIONBIO | 0, new Uint8Array(4), 4, null, 0, returned, null, null, null, e));
    assert.equal(server.inspect(s)!.nonBlocking, false, 'the signed spelling of FIONBIO works too');
  });

  test('WSAEFAULT for a short input buffer, WSAEOPNOTSUPP for an unknown code (Wine test_unsupported_ioctls), WSAENOTSOCK for a bad handle', () => {
    const { server } = pair();
    const s = tcp(server);
    expectError((e) => server.WSPIoctl(s, FIONBIO, new Uint8Array(2), 2, null, 0, { value: 0 }, null, null, null, e), WSAEFAULT);
    expectError((e) => server.WSPIoctl(s, 0x12345678, null, 0, null, 0, { value: 0 }, null, null, null, e), WSAEOPNOTSUPP);
    expectError((e) => server.WSPIoctl(3, FIONBIO, new Uint8Array(4), 4, null, 0, { value: 0 }, null, null, null, e), WSAENOTSOCK);
  });
});

describe('error names and texts', () => {
  test('every code has a name and a text', () => {
    assert.equal(errorName(10061), 'WSAECONNREFUSED');
    assert.equal(errorName(11002), 'WSATRY_AGAIN');
    assert.ok((errorText(10022) ?? '').length > 10);
    assert.equal(errorName(1), undefined);
  });
});

describe('bad input never throws out of a WSP function', () => {
  const junk: unknown[] = [undefined, null, NaN, -1, 0, 1.5, 2 ** 53, 'x', {}, [], () => 0, Symbol('s'), 10n, new Uint8Array(0),
    new Proxy({}, { get() { throw new Error('trap'); } })];
  test('every function, every argument position, every kind of junk', () => {
    const { server } = pair();
    const live = listener(server, v4('10.0.0.1', 80), 5);
    const fns = PROC_NAMES.map((n) => [n, server[n] as (...args: unknown[]) => number] as const);
    let calls = 0;
    for (const [name, fn] of fns) {
      if (name === 'WSPCleanup') continue;
      const arity = fn.length || 11;
      for (let pos = 0; pos < arity; pos++) {
        for (const j of junk) {
          const args: unknown[] = Array.from({ length: arity }, (_, i) => (i === 0 ? live : 0));
          args[arity - 1] = { value: 0 };
          args[pos] = j;
          let r: unknown;
          assert.doesNotThrow(() => { r = fn(...args); }, `${name} arg ${pos}`);
          assert.equal(typeof r, 'number', `${name} arg ${pos} returned ${String(r)}`);
          calls++;
        }
      }
    }
    assert.ok(calls > 500);
  });

  test('WSAENOTSOCK for a descriptor that is not a number, never issued, or closed', () => {
    const { server } = pair();
    const s = tcp(server);
    ok((e) => server.WSPCloseSocket(s, e));
    for (const h of [s, 0, 4, -1, 'a', null, 1.5]) {
      expectError((e) => server.WSPCloseSocket(h as number, e), WSAENOTSOCK);
      expectError((e) => server.WSPGetSockName(h as number, {}, { value: 16 }, e), WSAENOTSOCK);
    }
    assert.equal(SOCKET_ERROR, -1);
  });
});
