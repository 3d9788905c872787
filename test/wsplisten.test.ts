/**
 * WSPListen, sentence by sentence (../shared/seeds/WSPListen.txt). Test names quote or
 * paraphrase the documented sentence or error they prove.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, CF_ACCEPT, IPPROTO_UDP, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM, SOCKET_ERROR, SOL_SOCKET,
  SO_ACCEPTCONN, SO_REUSEADDR, SOMAXCONN, VirtualNetwork, WSAECONNREFUSED,
  WSAECONNRESET, WSAEINPROGRESS, WSAEINVAL, WSAEISCONN, WSAENETDOWN, WSAENOBUFS, WSAENOPROTOOPT,
  WSAENOTSOCK, WSAEOPNOTSUPP, WSAEWOULDBLOCK, errorName, normalizeBacklog,
} from '../src/index.js';
import {
  accept, attempt, bind, connect, expectError, getInt, listener, ok, pair, setInt, setNonBlocking,
  resetError, soError, startConnect, tcp, v4, v6,
} from './helpers.js';

const SERVER = v4('10.0.0.1', 80);

describe('WSPListen: "establishes a socket to listen for incoming connections"', () => {
  test('returns zero on success and the socket accepts a connection', () => {
    const { server, client } = pair();
    const s = tcp(server);
    assert.equal(bind(server, s, SERVER).ret, 0);
    const e = { value: -1 };
    assert.equal(server.WSPListen(s, 5, e), 0);
    assert.equal(e.value, -1, 'lpErrno is untouched on success');
    const c = tcp(client);
    assert.equal(connect(client, c, SERVER).ret, 0);
    const a = ok((x) => server.WSPAccept(s, null, null, null, 0, x));
    assert.notEqual(a, s);
  });

  test('the sequence WSPSocket, WSPBind, WSPListen, WSPAccept works over IPv6 too', () => {
    const { server, client } = pair();
    const s = listener(server, v6('fd00::1', 8080), 5);
    const c = tcp(client, 23);
    assert.equal(connect(client, c, v6('fd00::1', 8080)).ret, 0);
    const addr = { family: 0, address: '', port: 0 };
    const len = { value: 28 };
    ok((e) => server.WSPAccept(s, addr, len, null, 0, e));
    assert.equal(addr.address, 'fd00::2');
    assert.equal(len.value, 28);
  });
});

describe('passive mode: "incoming connection requests are acknowledged and queued pending acceptance"', () => {
  test('SO_ACCEPTCONN reads 0 before WSPListen and 1 after', () => {
    const { server } = pair();
    const s = tcp(server);
    bind(server, s, SERVER);
    assert.equal(getInt(server, s, SOL_SOCKET, SO_ACCEPTCONN), 0);
    ok((e) => server.WSPListen(s, 5, e));
    assert.equal(getInt(server, s, SOL_SOCKET, SO_ACCEPTCONN), 1);
  });

  test('setting SO_ACCEPTCONN fails with WSAENOPROTOOPT (it is read-only)', () => {
    const { server } = pair();
    const s = listener(server, SERVER, 5);
    const r = setInt(server, s, SOL_SOCKET, SO_ACCEPTCONN, 0);
    assert.equal(r.ret, SOCKET_ERROR);
    assert.equal(r.err, WSAENOPROTOOPT);
    assert.equal(getInt(server, s, SOL_SOCKET, SO_ACCEPTCONN), 1);
  });

  test('connection requests are acknowledged before any WSPAccept: the client is connected while the server only listens', () => {
    const { net, server, client } = pair();
    const s = listener(server, SERVER, 5);
    const c = startConnect(client, SERVER);
    net.run();
    assert.equal(soError(client, c), 0);
    assert.equal(server.inspect(s)!.listen!.ready, 1);
    assert.equal(client.inspect(c)!.phase, 'connected');
  });
});

describe('"WSPListen applies only to sockets that are connection oriented"', () => {
  test('WSAEOPNOTSUPP for SOCK_DGRAM, unbound', () => {
    const { server } = pair();
    const u = ok((e) => server.WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
    expectError((e) => server.WSPListen(u, 5, e), WSAEOPNOTSUPP);
  });

  test('WSAEOPNOTSUPP for SOCK_DGRAM, bound: the type is checked before the bound state', () => {
    const { server } = pair();
    const u = ok((e) => server.WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
    assert.equal(bind(server, u, v4('10.0.0.1', 53)).ret, 0);
    expectError((e) => server.WSPListen(u, 5, e), WSAEOPNOTSUPP);
  });

  test('WSAEOPNOTSUPP for SOCK_RAW', () => {
    const { server } = pair();
    const r = ok((e) => server.WSPSocket(AF_INET, SOCK_RAW, 1, null, 0, 0, e));
    expectError((e) => server.WSPListen(r, 5, e), WSAEOPNOTSUPP);
    assert.equal(bind(server, r, v4('10.0.0.1', 0)).ret, 0);
    expectError((e) => server.WSPListen(r, 5, e), WSAEOPNOTSUPP);
  });
});

describe('WSPListen error codes', () => {
  test('WSAEINVAL: "The socket has not been bound with WSPBind"', () => {
    const { server } = pair();
    const s = tcp(server);
    expectError((e) => server.WSPListen(s, 5, e), WSAEINVAL);
  });

  test('WSAEISCONN: "The socket is already connected"', () => {
    const { server, client } = pair();
    listener(server, SERVER, 5);
    const c = tcp(client);
    assert.equal(connect(client, c, SERVER).ret, 0);
    expectError((e) => client.WSPListen(c, 5, e), WSAEISCONN);
  });

  test('WSAEISCONN on an accepted socket', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 5);
    connect(client, tcp(client), SERVER);
    const a = accept(server, s).ret;
    expectError((e) => server.WSPListen(a, 5, e), WSAEISCONN);
  });

  test('WSAENOTSOCK: "The descriptor is not a socket" (never issued, closed, not a number)', () => {
    const { server } = pair();
    expectError((e) => server.WSPListen(12345, 5, e), WSAENOTSOCK);
    const s = tcp(server);
    ok((e) => server.WSPCloseSocket(s, e));
    expectError((e) => server.WSPListen(s, 5, e), WSAENOTSOCK);
    expectError((e) => server.WSPListen('7' as unknown as number, 5, e), WSAENOTSOCK);
    expectError((e) => server.WSPListen(undefined as unknown as number, 5, e), WSAENOTSOCK);
    expectError((e) => server.WSPListen(NaN, 5, e), WSAENOTSOCK);
  });

  test('WSAENETDOWN: "The network subsystem has failed"', () => {
    const net = new VirtualNetwork();
    const host = net.addHost({ addresses: ['10.0.0.1'] });
    const p = host.provider;
    const s = tcp(p);
    bind(p, s, SERVER);
    host.setNetworkDown(true);
    expectError((e) => p.WSPListen(s, 5, e), WSAENETDOWN);
    host.setNetworkDown(false);
    assert.equal(attempt((e) => p.WSPListen(s, 5, e)).ret, 0);
  });

  test('WSAEINPROGRESS: "invoked when a callback is in progress" (WSPListen inside the condition function)', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 5);
    const other = tcp(server);
    bind(server, other, v4('10.0.0.1', 81));
    const fresh = tcp(server);
    connect(client, tcp(client), SERVER);
    const inside: Record<string, number> = {};
    const a = attempt((e) =>
      server.WSPAccept(s, null, null, () => {
        inside.listen = attempt((x) => server.WSPListen(other, 5, x)).err;
        inside.relisten = attempt((x) => server.WSPListen(s, 1, x)).err;
        inside.bind = bind(server, fresh, v4('10.0.0.1', 82)).err;
        inside.socket = attempt((x) => server.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 0, x)).err;
        inside.close = attempt((x) => server.WSPCloseSocket(other, x)).err;
        inside.setopt = setInt(server, other, SOL_SOCKET, SO_REUSEADDR, 1).err;
        inside.connect = connect(server, other, v4('10.0.0.2', 1)).err;
        inside.accept = accept(server, s).err;
        inside.getopt = getInt(server, s, SOL_SOCKET, SO_ACCEPTCONN);
        const name = { family: 0, address: '', port: 0 };
        inside.getsockname = attempt((x) => server.WSPGetSockName(s, name, { value: 16 }, x)).ret;
        inside.port = name.port;
        return CF_ACCEPT;
      }, 0, e));
    assert.ok(a.ret > 0, 'the accept itself succeeds');
    assert.equal(inside.listen, WSAEINPROGRESS);
    assert.equal(inside.relisten, WSAEINPROGRESS);
    assert.equal(inside.bind, WSAEINPROGRESS);
    assert.equal(inside.socket, WSAEINPROGRESS);
    assert.equal(inside.close, WSAEINPROGRESS);
    assert.equal(inside.setopt, WSAEINPROGRESS);
    assert.equal(inside.connect, WSAEINPROGRESS);
    assert.equal(inside.accept, WSAEINPROGRESS);
    assert.equal(inside.getopt, 1, 'read-only calls work inside a callback');
    assert.equal(inside.getsockname, 0);
    assert.equal(inside.port, 80);
    // after the callback, state-changing calls work again
    assert.equal(attempt((x) => server.WSPListen(other, 5, x)).ret, 0);
  });

  test('WSAENOBUFS: "No buffer space is available" (the host memory budget cannot hold one queue slot)', () => {
    const net = new VirtualNetwork();
    // Room for two sockets (512 bytes each) and nothing more.
    const p = net.addHost({ addresses: ['10.0.0.1'], bufferBudget: 1024 }).provider;
    const s = tcp(p);
    bind(p, s, SERVER);
    const other = tcp(p);
    expectError((e) => p.WSPListen(s, 5, e), WSAENOBUFS);
    ok((e) => p.WSPCloseSocket(other, e));
    assert.equal(attempt((e) => p.WSPListen(s, 5, e)).ret, 0, 'with memory freed, listening works');
    assert.equal(p.inspect(s)!.listen!.backlog, 2, 'the backlog is limited to what the budget holds');
  });
});

describe('backlog: "limited (silently) to a reasonable value"; "Illegal values are replaced by the nearest legal value"', () => {
  const effective = (backlog: unknown, maxBacklog?: number): number => {
    const { server } = pair(maxBacklog === undefined ? {} : { maxBacklog });
    const s = tcp(server);
    bind(server, s, SERVER);
    assert.equal(attempt((e) => server.WSPListen(s, backlog as number, e)).ret, 0);
    return server.inspect(s)!.listen!.backlog;
  };

  test('SOMAXCONN means the provider maximum: 200 by default', () => {
    assert.equal(SOMAXCONN, 0x7fffffff);
    assert.equal(effective(SOMAXCONN), 200);
  });

  test('SOMAXCONN follows the per-host maxBacklog', () => {
    assert.equal(effective(SOMAXCONN, 16), 16);
  });

  test('0 and negative values become 1', () => {
    assert.equal(effective(0), 1);
    assert.equal(effective(-1), 1);
    assert.equal(effective(-2147483648), 1);
  });

  test('values above the maximum become the maximum', () => {
    assert.equal(effective(201), 200);
    assert.equal(effective(1e12), 200);
    assert.equal(effective(Infinity), 200);
  });

  test('NaN, fractions and non-numbers are handled without a throw', () => {
    assert.equal(effective(NaN), 1);
    assert.equal(effective(2.9), 2);
    assert.equal(effective(0.5), 1);
    assert.equal(effective(-Infinity), 1);
    assert.equal(effective('10'), 1);
    assert.equal(effective(undefined), 1);
  });

  test('the rule as a function', () => {
    assert.equal(normalizeBacklog(5, 200), 5);
    assert.equal(normalizeBacklog(200, 200), 200);
    assert.equal(normalizeBacklog(199.99, 200), 199);
  });

  test('"There is no standard provision to find out the actual backlog value": inspect() is the labelled non-standard way', () => {
    const { net, server, client } = pair();
    const s = listener(server, SERVER, 3);
    connect(client, tcp(client), SERVER);
    net.run(); // the client's final ACK reaches the server: the connection is ready to accept
    const info = server.inspect(s)!.listen!;
    assert.equal(info.backlog, 3);
    assert.equal(info.queueLength, 1);
    assert.equal(info.ready, 1);
  });
});

describe('"if a connection request arrives with the queue full, the client will receive an error with an indication of WSAECONNREFUSED"', () => {
  test('blocking connect to a full queue fails with WSAECONNREFUSED', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 2);
    assert.equal(connect(client, tcp(client), SERVER).ret, 0);
    assert.equal(connect(client, tcp(client), SERVER).ret, 0);
    const third = connect(client, tcp(client), SERVER);
    assert.equal(third.ret, SOCKET_ERROR);
    assert.equal(third.err, WSAECONNREFUSED);
    assert.equal(server.inspect(s)!.listen!.stats.refusedFull, 1);
  });

  test('non-blocking connect to a full queue leaves SO_ERROR = WSAECONNREFUSED', () => {
    const { net, server, client } = pair();
    listener(server, SERVER, 1);
    const a = startConnect(client, SERVER);
    const b = startConnect(client, SERVER);
    net.run();
    assert.equal(soError(client, a), 0);
    assert.equal(soError(client, b), WSAECONNREFUSED);
    assert.equal(client.inspect(b)!.phase, 'bound');
  });

  test('the refusal is a RST answering the SYN (Windows), not a silent drop (Linux)', () => {
    const { net, server, client } = pair();
    listener(server, SERVER, 1);
    connect(client, tcp(client), SERVER);
    const seen: string[] = [];
    net.onPacket((p) => seen.push(`${p.from}:${flags(p.segment.flags)}`));
    connect(client, tcp(client), SERVER);
    assert.deepEqual(seen, ['client:SYN', 'server:RST,ACK']);
  });

  test('after WSPAccept frees a slot, the next request is queued again', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 1);
    connect(client, tcp(client), SERVER);
    assert.equal(connect(client, tcp(client), SERVER).err, WSAECONNREFUSED);
    ok((e) => server.WSPAccept(s, null, null, null, 0, e));
    assert.equal(connect(client, tcp(client), SERVER).ret, 0);
  });
});

function flags(f: number): string {
  const n: string[] = [];
  if (f & 2) n.push('SYN');
  if (f & 1) n.push('FIN');
  if (f & 4) n.push('RST');
  if (f & 16) n.push('ACK');
  return n.join(',');
}

describe('"A Windows Sockets SPI client can call WSPListen more than once on the same socket"', () => {
  test('"This has the effect of updating the current backlog for the listening socket"', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 1);
    ok((e) => server.WSPListen(s, 3, e));
    assert.equal(server.inspect(s)!.listen!.backlog, 3);
    for (let i = 0; i < 3; i++) assert.equal(connect(client, tcp(client), SERVER).ret, 0);
    assert.equal(connect(client, tcp(client), SERVER).err, WSAECONNREFUSED);
  });

  test('"the excess pending connections will be reset and dropped": the newest go, WSPAccept returns the oldest in arrival order', () => {
    const { net, server, client } = pair();
    const s = listener(server, SERVER, 5);
    const clients: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c = tcp(client);
      ok((e) => client.WSPBind(c, v4('10.0.0.2', 5000 + i), 16, e));
      assert.equal(connect(client, c, SERVER).ret, 0);
      clients.push(c);
    }
    net.run(); // every handshake completes: five connections ready in the queue
    const resets: number[] = [];
    net.onPacket((p) => {
      if (p.from === 'server' && p.segment.flags & 4) resets.push(p.segment.dstPort);
    });
    ok((e) => server.WSPListen(s, 2, e));
    net.run();
    assert.deepEqual(resets, [5002, 5003, 5004]);
    const info = server.inspect(s)!.listen!;
    assert.equal(info.queueLength, 2);
    assert.equal(info.stats.resetByListener, 3);
    setNonBlocking(server, s);
    const ports: number[] = [];
    for (;;) {
      const addr = { family: 0, address: '', port: 0 };
      const r = attempt((e) => server.WSPAccept(s, addr, { value: 16 }, null, 0, e));
      if (r.ret === SOCKET_ERROR || r.ret === 0xffffffff) {
        assert.equal(r.err, WSAEWOULDBLOCK);
        break;
      }
      ports.push(addr.port);
    }
    assert.deepEqual(ports, [5000, 5001]);
    // The reset clients learn it: their connection was reset.
    for (const c of clients.slice(2)) assert.equal(resetError(client, c), WSAECONNRESET);
    for (const c of clients.slice(0, 2)) assert.equal(soError(client, c), 0);
  });

  test('a larger backlog on a second call keeps every pending connection', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 2);
    connect(client, tcp(client), SERVER);
    connect(client, tcp(client), SERVER);
    ok((e) => server.WSPListen(s, 10, e));
    assert.equal(server.inspect(s)!.listen!.queueLength, 2);
  });
});

describe('"WSPListen should continue to function rationally when there are no available descriptors"', () => {
  function exhausted() {
    // 4 descriptors: the listener, and room for 3 more.
    const env = pair({ maxSockets: 4 });
    const s = listener(env.server, SERVER, 10);
    return { ...env, s };
  }

  test('a pending connection holds a descriptor: with none left, new requests are refused', () => {
    const { server, client, s } = exhausted();
    for (let i = 0; i < 3; i++) assert.equal(connect(client, tcp(client), SERVER).ret, 0);
    assert.equal(connect(client, tcp(client), SERVER).err, WSAECONNREFUSED);
    const info = server.inspect(s)!.listen!;
    assert.equal(info.queueLength, 3);
    assert.equal(info.suspended, true);
    assert.equal(info.stats.refusedNoDescriptor, 1);
    // WSPSocket on the server host meets the same limit.
    expectError((e) => server.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 0, e), 10024, 0xffffffff);
  });

  test('"It should accept connections until the queue is emptied"', () => {
    const { server, client, s } = exhausted();
    for (let i = 0; i < 3; i++) connect(client, tcp(client), SERVER);
    connect(client, tcp(client), SERVER);
    const accepted = [accept(server, s), accept(server, s), accept(server, s)];
    for (const a of accepted) assert.ok(a.ret > 0, errorName(a.err));
    setNonBlocking(server, s);
    assert.equal(accept(server, s).err, WSAEWOULDBLOCK);
  });

  test('listening does not resume by itself when descriptors are freed', () => {
    const { server, client, s } = exhausted();
    for (let i = 0; i < 3; i++) connect(client, tcp(client), SERVER);
    const first = accept(server, s).ret;
    connect(client, tcp(client), SERVER); // refused: no descriptor, listening suspends
    ok((e) => server.WSPCloseSocket(first, e));
    assert.equal(server.inspect(s)!.listen!.suspended, true);
    assert.equal(connect(client, tcp(client), SERVER).err, WSAECONNREFUSED, 'still refused after a descriptor was freed');
  });

  test('"a later call to WSPListen ... will re-fill the queue to the current or most recent backlog ... and resume listening"', () => {
    const { server, client, s } = exhausted();
    for (let i = 0; i < 3; i++) connect(client, tcp(client), SERVER);
    const first = accept(server, s).ret;
    connect(client, tcp(client), SERVER);
    ok((e) => server.WSPCloseSocket(first, e));
    ok((e) => server.WSPListen(s, 10, e));
    assert.equal(server.inspect(s)!.listen!.suspended, false);
    assert.equal(connect(client, tcp(client), SERVER).ret, 0);
  });

  test('"a later call to ... WSPAccept will re-fill the queue ... and resume listening"', () => {
    const { server, client, s } = exhausted();
    for (let i = 0; i < 3; i++) connect(client, tcp(client), SERVER);
    const first = accept(server, s).ret;
    connect(client, tcp(client), SERVER);
    ok((e) => server.WSPCloseSocket(first, e));
    const second = accept(server, s);
    assert.ok(second.ret > 0);
    assert.equal(server.inspect(s)!.listen!.suspended, false);
    assert.equal(connect(client, tcp(client), SERVER).ret, 0);
  });

  test('"if possible": WSPListen with still no descriptor free keeps refusing, and returns 0 (never WSAEMFILE)', () => {
    const { server, client, s } = exhausted();
    for (let i = 0; i < 3; i++) connect(client, tcp(client), SERVER);
    connect(client, tcp(client), SERVER);
    assert.equal(attempt((e) => server.WSPListen(s, 10, e)).ret, 0);
    assert.equal(server.inspect(s)!.listen!.suspended, true);
    assert.equal(connect(client, tcp(client), SERVER).err, WSAECONNREFUSED);
  });
});

describe('WSAEADDRINUSE: WSPBind decides; every socket it let share an address may listen (Windows, Wine test_reuseaddr)', () => {
  test('two SO_REUSEADDR sockets on one address and port both listen; the first one gets the connections', () => {
    const { server, client } = pair();
    const a = tcp(server);
    const b = tcp(server);
    for (const s of [a, b]) assert.equal(setInt(server, s, SOL_SOCKET, SO_REUSEADDR, 1).ret, 0);
    assert.equal(bind(server, a, v4('0.0.0.0', 80)).ret, 0);
    assert.equal(bind(server, b, v4('0.0.0.0', 80)).ret, 0);
    assert.equal(attempt((e) => server.WSPListen(a, 5, e)).ret, 0);
    assert.equal(attempt((e) => server.WSPListen(b, 5, e)).ret, 0);
    assert.equal(connect(client, tcp(client), SERVER).ret, 0);
    assert.equal(server.inspect(a)!.listen!.queueLength, 1);
    assert.equal(server.inspect(b)!.listen!.queueLength, 0);
  });

  test('when the first listener closes, the second one gets the connections', () => {
    const { server, client } = pair();
    const a = tcp(server);
    const b = tcp(server);
    for (const s of [a, b]) setInt(server, s, SOL_SOCKET, SO_REUSEADDR, 1);
    bind(server, a, v4('0.0.0.0', 80));
    bind(server, b, v4('0.0.0.0', 80));
    ok((e) => server.WSPListen(a, 5, e));
    ok((e) => server.WSPListen(b, 5, e));
    ok((e) => server.WSPCloseSocket(a, e));
    assert.equal(connect(client, tcp(client), SERVER).ret, 0);
    assert.equal(server.inspect(b)!.listen!.queueLength, 1);
    ok((e) => server.WSPCloseSocket(b, e));
    assert.equal(connect(client, tcp(client), SERVER).err, WSAECONNREFUSED);
  });

  test('a wildcard listener and a specific-address listener on one port coexist; the specific one gets its connections', () => {
    const net = new VirtualNetwork();
    const server = net.addHost({ addresses: ['10.0.0.1', '10.0.1.1'] }).provider;
    const client = net.addHost({ addresses: ['10.0.0.2'] }).provider;
    const wild = listener(server, v4('0.0.0.0', 80), 5);
    const specific = listener(server, v4('10.0.1.1', 80), 5);
    assert.equal(connect(client, tcp(client), v4('10.0.1.1', 80)).ret, 0);
    assert.equal(connect(client, tcp(client), v4('10.0.0.1', 80)).ret, 0);
    assert.equal(server.inspect(specific)!.listen!.queueLength, 1);
    assert.equal(server.inspect(wild)!.listen!.queueLength, 1);
    const addr = { family: 0, address: '', port: 0 };
    const a = ok((e) => server.WSPAccept(specific, null, null, null, 0, e));
    ok((e) => server.WSPGetSockName(a, addr, { value: 16 }, e));
    assert.equal(addr.address, '10.0.1.1');
  });
});

describe('closing a listener', () => {
  test('resets its queued connections and frees its address at once', () => {
    const { net, server, client } = pair();
    const s = listener(server, SERVER, 5);
    const c1 = tcp(client);
    const c2 = tcp(client);
    connect(client, c1, SERVER);
    connect(client, c2, SERVER);
    const before = server.inspect(s)!;
    assert.equal(before.listen!.queueLength, 2);
    ok((e) => server.WSPCloseSocket(s, e));
    net.run();
    assert.equal(resetError(client, c1), WSAECONNRESET);
    assert.equal(resetError(client, c2), WSAECONNRESET);
    // The address is free at once: a new socket binds and listens without SO_REUSEADDR.
    const again = tcp(server);
    assert.equal(bind(server, again, SERVER).ret, 0);
    assert.equal(attempt((e) => server.WSPListen(again, 5, e)).ret, 0);
  });

  test('the descriptors held by queued connections are released', () => {
    const { server, client } = pair({ maxSockets: 3 });
    const s = listener(server, SERVER, 5);
    connect(client, tcp(client), SERVER);
    connect(client, tcp(client), SERVER);
    expectError((e) => server.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 0, e), 10024, 0xffffffff);
    ok((e) => server.WSPCloseSocket(s, e));
    assert.equal(server.core.descriptorsInUse, 0);
  });

  test('a connection request after the close is refused (RST)', () => {
    const { server, client } = pair();
    const s = listener(server, SERVER, 5);
    ok((e) => server.WSPCloseSocket(s, e));
    assert.equal(connect(client, tcp(client), SERVER).err, WSAECONNREFUSED);
  });
});
