/** WSPSelect: readiness of each set, in-place rewriting, time-outs, and its error codes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, CF_ACCEPT, FD_READ, IPPROTO_UDP, SD_SEND, SOCK_DGRAM, SOL_SOCKET, SO_LINGER, SO_SNDBUF, WSAECONNREFUSED,
  WSAECONNRESET, WSAEFAULT, WSAEINPROGRESS, WSAEINTR, WSAEINVAL, WSAENETDOWN, WSAENOTSOCK, WSAEvent, type FD_SET,
  type ServiceProvider, type TIMEVAL,
} from '../src/index.js';
import {
  accept, attempt, connect, expectError, listener, ok, pair, setInt, soError, startConnect, tcp, v4, type Outcome,
} from './helpers.js';

const SERVER = v4('10.0.0.1', 80);
const NOBODY = v4('10.0.0.1', 81);

const fds = (...h: number[]): FD_SET => ({ fd_count: h.length, fd_array: [...h] });
const POLL: TIMEVAL = { tv_sec: 0, tv_usec: 0 };

function select(p: ServiceProvider, r: FD_SET | null, w: FD_SET | null, x: FD_SET | null, t: TIMEVAL | null = POLL): Outcome {
  return attempt((e) => p.WSPSelect(0, r, w, x, t, e));
}

/** Polls one socket in one set: was it reported? */
function ready(p: ServiceProvider, which: 'r' | 'w' | 'x', s: number): boolean {
  const set = fds(s);
  const r = select(p, which === 'r' ? set : null, which === 'w' ? set : null, which === 'x' ? set : null);
  assert.equal(r.err, 0);
  assert.equal(r.ret, set.fd_count);
  return set.fd_count === 1;
}

function send(p: ServiceProvider, s: number, n: number): Outcome {
  const count = { value: 0 };
  const r = attempt((e) => p.WSPSend(s, [{ len: n, buf: new Uint8Array(n).fill(7) }], 1, count, 0, null, null, null, e));
  return r.ret === 0 ? { ret: count.value, err: 0 } : r;
}

function recv(p: ServiceProvider, s: number, n: number): Outcome {
  const count = { value: 0 };
  const r = attempt((e) => p.WSPRecv(s, [{ len: n, buf: new Uint8Array(n) }], 1, count, { value: 0 }, null, null, null, e));
  return r.ret === 0 ? { ret: count.value, err: 0 } : r;
}

function abort(p: ServiceProvider, s: number): void {
  ok((e) => p.WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, new Uint8Array([1, 0, 0, 0]), 4, e));
  ok((e) => p.WSPCloseSocket(s, e));
}

/** A listener, a connected client `c`, and the accepted server end `a`, with the network settled. */
function established() {
  const p = pair();
  const l = listener(p.server, SERVER, 5);
  const c = tcp(p.client);
  assert.equal(connect(p.client, c, SERVER).ret, 0);
  const a = accept(p.server, l).ret;
  assert.ok(a > 0);
  p.net.run();
  return { ...p, l, c, a };
}

describe('WSPSelect readfds', () => {
  test('"a listening socket is readable when a connection is pending" (and not before)', () => {
    const { net, server, client } = pair();
    const l = listener(server, SERVER, 5);
    assert.equal(ready(server, 'r', l), false, 'nothing has connected');
    startConnect(client, SERVER);
    assert.equal(ready(server, 'r', l), false, 'the SYN is still in flight (a poll does not run the network)');
    net.run();
    assert.equal(ready(server, 'r', l), true);
    assert.ok(accept(server, l).ret > 0);
    assert.equal(ready(server, 'r', l), false, 'the queue is empty again');
  });

  test('readable "when data is queued", not before it arrives; not readable once it is read', () => {
    const { net, server, client, c, a } = established();
    assert.equal(ready(server, 'r', a), false);
    assert.equal(send(client, c, 10).ret, 10);
    assert.equal(ready(server, 'r', a), false, 'the data is still in flight');
    net.run();
    assert.equal(ready(server, 'r', a), true);
    assert.equal(recv(server, a, 100).ret, 10);
    assert.equal(ready(server, 'r', a), false);
  });

  test('readable after a graceful close by the peer; WSPRecv then returns 0', () => {
    const { net, server, client, c, a } = established();
    ok((e) => client.WSPShutdown(c, SD_SEND, e));
    net.run();
    assert.equal(ready(server, 'r', a), true);
    assert.deepEqual(recv(server, a, 16), { ret: 0, err: 0 });
    assert.equal(ready(server, 'r', a), true, 'end of stream stays readable');
  });

  test('readable after a reset by the peer; WSPRecv then fails with WSAECONNRESET', () => {
    const { net, server, client, c, a } = established();
    abort(client, c);
    net.run();
    assert.equal(ready(server, 'r', a), true);
    assert.deepEqual(recv(server, a, 16), { ret: -1, err: WSAECONNRESET });
  });

  test('a datagram socket is readable once a datagram is queued', () => {
    const { net, server, client } = pair();
    const u = ok((e) => server.WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
    ok((e) => server.WSPBind(u, v4('10.0.0.1', 5000), 16, e));
    assert.equal(ready(server, 'r', u), false);
    assert.equal(ready(server, 'w', u), true, 'a datagram socket can always send');
    const cu = ok((e) => client.WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
    ok((e) => client.WSPSendTo(cu, [{ len: 3, buf: new Uint8Array(3) }], 1, { value: 0 }, 0, v4('10.0.0.1', 5000), 16, null, null, null, e));
    net.run();
    assert.equal(ready(server, 'r', u), true);
  });
});

describe('WSPSelect writefds and exceptfds', () => {
  test('writefds: a connected socket is writable (send-buffer room); a listener is not', () => {
    const { server, client, c, a, l } = established();
    assert.equal(ready(client, 'w', c), true);
    assert.equal(ready(server, 'w', a), true);
    assert.equal(ready(server, 'w', l), false);
    assert.equal(ready(server, 'w', tcp(server)), false, 'a socket that never connected');
  });

  test('writefds: not writable while the send buffer is full, writable again once it drains', () => {
    const { net, client, c } = established();
    assert.equal(setInt(client, c, SOL_SOCKET, SO_SNDBUF, 1000).ret, 0);
    assert.equal(send(client, c, 1000).ret, 1000);
    assert.equal(ready(client, 'w', c), false);
    net.run();
    assert.equal(ready(client, 'w', c), true);
  });

  test('writefds: a connection the peer reset is writable as well as readable, not in exceptfds; a send fails at once (Wine test_tcp_reset)', () => {
    const { net, server, client, c, a } = established();
    abort(client, c);
    net.run();
    const r = fds(a), w = fds(a), x = fds(a);
    assert.equal(select(server, r, w, x).ret, 2);
    assert.deepEqual([r.fd_count, w.fd_count, x.fd_count], [1, 1, 0]);
    assert.deepEqual(send(server, a, 10), { ret: -1, err: WSAECONNRESET });
  });

  test('writefds: "a non-blocking connect has succeeded" (not while it is in progress)', () => {
    const { net, server, client } = pair();
    listener(server, SERVER, 5);
    const c = startConnect(client, SERVER);
    assert.equal(ready(client, 'w', c), false, 'still connecting');
    assert.equal(ready(client, 'x', c), false);
    net.run();
    assert.equal(ready(client, 'w', c), true);
    assert.equal(ready(client, 'x', c), false);
    assert.equal(soError(client, c), 0);
  });

  test('exceptfds: "a non-blocking connect has failed" (RST from a closed port); SO_ERROR is WSAECONNREFUSED', () => {
    const { net, client } = pair();
    const c = startConnect(client, NOBODY);
    assert.equal(ready(client, 'x', c), false, 'the outcome is not known yet');
    net.run();
    const r = fds(c), w = fds(c), x = fds(c);
    assert.equal(select(client, r, w, x).ret, 1);
    assert.deepEqual([r.fd_count, w.fd_count, x.fd_count], [0, 0, 1]);
    assert.deepEqual(x.fd_array, [c]);
    assert.equal(soError(client, c), WSAECONNREFUSED);
  });
});

describe('WSPSelect sets and return value', () => {
  test('the sets are rewritten in place to hold only the ready sockets; the return value is their total', () => {
    const { net, server, client, c, a, l } = established();
    const idle = tcp(server);
    send(client, c, 5);
    net.run();
    const r = fds(l, idle, a);
    const w = fds(idle, a, l);
    const rArray = r.fd_array;
    assert.equal(select(server, r, w, null).ret, 2);
    assert.equal(r.fd_array, rArray, 'the same array object, modified');
    // As in C: fd_count and the first fd_count entries are written, the rest is left as it was.
    assert.deepEqual(r, { fd_count: 1, fd_array: [a, idle, a] });
    assert.deepEqual(w, { fd_count: 1, fd_array: [a, a, l] });
  });

  test('only the first fd_count entries are the set', () => {
    const { net, server, client, c, a, l } = established();
    send(client, c, 5);
    net.run();
    const r: FD_SET = { fd_count: 1, fd_array: [l, a] };
    assert.equal(select(server, r, null, null).ret, 0);
    assert.equal(r.fd_count, 0);
  });

  test('the same socket in several sets counts once in each', () => {
    const { net, server, client, c, a } = established();
    send(client, c, 5);
    net.run();
    const r = fds(a), w = fds(a), x = fds(a);
    assert.equal(select(server, r, w, x).ret, 2);
    assert.deepEqual([r.fd_count, w.fd_count, x.fd_count], [1, 1, 0]);
    assert.deepEqual([r.fd_array, w.fd_array], [[a], [a]]);
  });

  test('"Select does not change AsyncSelect or EventSelect registrations"', () => {
    const { net, server, client, c, a } = established();
    const ev = new WSAEvent();
    ok((e) => server.WSPEventSelect(a, ev, FD_READ, e));
    send(client, c, 5);
    net.run();
    assert.equal(ready(server, 'r', a), true);
    assert.equal(ev.signaled, true);
    const n = { lNetworkEvents: 0, iErrorCode: [] };
    ok((e) => server.WSPEnumNetworkEvents(a, ev, n, e));
    assert.equal(n.lNetworkEvents, FD_READ);
    assert.equal(server.inspect(a)!.nonBlocking, true);
  });

  test('"nfds is ignored"', () => {
    const { server, a } = established();
    for (const nfds of [0, -5, 1e9]) {
      const w = fds(a);
      assert.equal(ok((e) => server.WSPSelect(nfds, null, w, null, POLL, e)), 1);
    }
  });
});

describe('WSPSelect time-outs', () => {
  test('timeout {0,0} polls: returns 0 at once, virtual time unchanged, the sets emptied (fd_count 0)', () => {
    const { net, server, l } = established();
    const before = net.now();
    const r = fds(l);
    assert.deepEqual(select(server, r, null, null, { tv_sec: 0, tv_usec: 0 }), { ret: 0, err: 0 });
    assert.equal(net.now(), before);
    assert.deepEqual(r, { fd_count: 0, fd_array: [l] }, 'fd_count 0; the entry past it is left as it was');
  });

  test('a finite timeout returns 0 after exactly that much virtual time; the timeval is not modified', () => {
    const { net, server } = pair();
    const l = listener(server, SERVER, 5);
    const t = { tv_sec: 1, tv_usec: 500_000 };
    assert.equal(net.now(), 0);
    assert.deepEqual(select(server, fds(l), null, null, t), { ret: 0, err: 0 });
    assert.equal(net.now(), 1500);
    assert.deepEqual(t, { tv_sec: 1, tv_usec: 500_000 });
    assert.deepEqual(select(server, fds(l), null, null, { tv_sec: 0, tv_usec: 250 }), { ret: 0, err: 0 });
    assert.equal(net.now(), 1500.25);
  });

  test('a finite timeout returns as soon as a socket is ready, before it expires', () => {
    const { net, server, client } = pair();
    const l = listener(server, SERVER, 5);
    startConnect(client, SERVER);
    const r = fds(l);
    assert.equal(ok((e) => server.WSPSelect(0, r, null, null, { tv_sec: 10, tv_usec: 0 }, e)), 1);
    assert.deepEqual(r.fd_array, [l]);
    assert.ok(net.now() > 0 && net.now() < 1, `returned at ${net.now()} ms`);
  });

  test('timeout NULL: "block until at least one socket is ready" — returns when a client connects', () => {
    const { net, server, client } = pair();
    const l = listener(server, SERVER, 5);
    const c = startConnect(client, SERVER);
    const r = fds(l);
    assert.equal(ok((e) => server.WSPSelect(0, r, null, null, null, e)), 1);
    assert.deepEqual(r.fd_array, [l]);
    assert.ok(net.now() > 0);
    assert.ok(accept(server, l).ret > 0);
    net.run();
    assert.equal(ready(client, 'w', c), true);
  });

  test('timeout NULL when nothing can ever become ready: WSAEINTR (docs/decisions.md) instead of hanging', () => {
    const { server } = pair();
    const l = listener(server, SERVER, 5);
    expectError((e) => server.WSPSelect(0, fds(l), null, null, null, e), WSAEINTR);
  });
});

describe('WSPSelect errors', () => {
  test('WSAEINVAL: "all three sets are NULL"', () => {
    const { server } = pair();
    expectError((e) => server.WSPSelect(0, null, null, null, POLL, e), WSAEINVAL);
    expectError((e) => server.WSPSelect(0, null, null, null, null, e), WSAEINVAL);
  });

  test('WSAEINVAL: non-NULL sets that are all empty ("a non-NULL set must hold at least one socket")', () => {
    const { server } = pair();
    expectError((e) => server.WSPSelect(0, fds(), fds(), null, POLL, e), WSAEINVAL);
  });

  test('WSAENOTSOCK: a set holds something that is not a socket (a closed handle too); the sets are left alone', () => {
    const { server } = pair();
    const l = listener(server, SERVER, 5);
    const closed = tcp(server);
    ok((e) => server.WSPCloseSocket(closed, e));
    for (const bad of [4242, closed, -1]) {
      const r = fds(l), x = fds(bad);
      expectError((e) => server.WSPSelect(0, r, null, x, POLL, e), WSAENOTSOCK);
      assert.deepEqual([r.fd_array, x.fd_array], [[l], [bad]]);
    }
    expectError((e) => server.WSPSelect(0, null, { fd_count: 1, fd_array: ['x' as never] }, null, POLL, e), WSAENOTSOCK);
  });

  test('WSAEFAULT: a malformed fd_set ("a set lies outside user memory")', () => {
    const { server } = pair();
    const l = listener(server, SERVER, 5);
    const bad: unknown[] = [
      { fd_count: 2, fd_array: [l] }, { fd_count: -1, fd_array: [l] }, { fd_count: 0.5, fd_array: [l] },
      { fd_count: 1 }, { fd_count: '1', fd_array: [l] }, 42, 'set',
    ];
    for (const set of bad) {
      expectError((e) => server.WSPSelect(0, fds(l), set as FD_SET, null, POLL, e), WSAEFAULT);
    }
  });

  test('WSAEFAULT: a timeout that is not a timeval object', () => {
    const { server } = pair();
    const l = listener(server, SERVER, 5);
    for (const t of [5, 'soon', true]) {
      expectError((e) => server.WSPSelect(0, fds(l), null, null, t as unknown as TIMEVAL, e), WSAEFAULT);
    }
  });

  test('WSAEINVAL: "timeout is invalid" (negative, fractional or missing fields)', () => {
    const { net, server } = pair();
    const l = listener(server, SERVER, 5);
    const bad = [{ tv_sec: -1, tv_usec: 0 }, { tv_sec: 0, tv_usec: -1 }, { tv_sec: 0.5, tv_usec: 0 }, { tv_sec: 1 }, {}];
    for (const t of bad) expectError((e) => server.WSPSelect(0, fds(l), null, null, t as TIMEVAL, e), WSAEINVAL);
    assert.equal(net.now(), 0, 'no waiting happened');
  });

  test('WSAENETDOWN: the network subsystem has failed', () => {
    const { net, server } = pair();
    const l = listener(server, SERVER, 5);
    net.hosts[0]!.setNetworkDown(true);
    expectError((e) => server.WSPSelect(0, fds(l), null, null, POLL, e), WSAENETDOWN);
  });

  test('WSAEINPROGRESS: called from inside a callback (a WSPAccept condition function)', () => {
    const { server, client } = pair();
    const l = listener(server, SERVER, 5);
    connect(client, tcp(client), SERVER);
    let inner: Outcome | null = null;
    ok((e) => server.WSPAccept(l, null, null, () => {
      inner = select(server, fds(l), null, null);
      return CF_ACCEPT;
    }, 0, e));
    assert.deepEqual(inner, { ret: -1, err: WSAEINPROGRESS });
  });
});
