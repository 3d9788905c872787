/**
 * Port of Wine's test_select (dlls/ws2_32/tests/sock.c): the rows that need neither a second
 * thread nor WSAPoll. What Wine asserts, todo_wine included (the asserted value is Windows'),
 * is asserted here; the winetest_interactive rows (a refused connect) too, since they record
 * what Windows does.
 *
 * The urgent-data rows (MSG_OOB, SO_OOBINLINE) run on the virtual network only: node:net offers
 * no urgent data, so the host network refuses MSG_OOB.
 *
 * The selects woken by a closesocket in another thread (SelectReadThread, SelectCloseThread)
 * are in test/threads-events.test.ts (a select from a worker thread). Left out: the APC rows
 * (QueueUserAPC), and the fd_set laid across a page boundary (C memory layout).
 */
import assert from 'node:assert/strict';
import {
  INVALID_SOCKET, MSG_OOB, SOCK_DGRAM, SOL_SOCKET, SO_ERROR, SO_OOBINLINE, SO_REUSEADDR, SOCKET_ERROR, WSAECONNREFUSED, WSAEINVAL, WSAENOTSOCK,
  WSAEWOULDBLOCK, errorName, type FD_SET, type SockAddr, type TIMEVAL,
} from '../../src/index.js';
import {
  addr, call, fails, getInt, nameOf, nonBlocking, ok, onNetworks, recv, send, setInt, socket, tcpPair, type World,
} from './harness.js';
import { refusedPort } from '../helpers.js';

const ZERO: TIMEVAL = { tv_sec: 0, tv_usec: 0 };

function fdset(...handles: number[]): FD_SET {
  return { fd_count: handles.length, fd_array: [...handles] };
}

function isSet(set: FD_SET | null, s: number): boolean {
  return set !== null && set.fd_array.slice(0, set.fd_count).includes(s);
}

type Sets = [FD_SET | null, FD_SET | null, FD_SET | null];

interface Selected {
  ret: number;
  err: number;
  sets: Sets;
}

function selectOnce(w: World, sets: Sets, timeout: TIMEVAL): Selected {
  const r = call((e) => w.p.WSPSelect(0, sets[0], sets[1], sets[2], timeout, e));
  return { ...r, sets };
}

function ms(t: TIMEVAL): number {
  return t.tv_sec * 1000 + t.tv_usec / 1000;
}

/**
 * select() with Wine's time-out. On the virtual network it is the call itself (virtual time);
 * on the host network the main thread cannot wait in a call, so it polls until the result Wine
 * expects is there (or the time-out, at most 200 ms, has passed when Wine expects nothing).
 */
async function select(w: World, make: () => Sets, timeout: TIMEVAL, expected: number): Promise<Selected> {
  if (w.kind === 'virtual') return selectOnce(w, make(), timeout);
  if (expected > 0) await w.settle(() => selectOnce(w, make(), ZERO).ret === expected, `select returning ${expected}`);
  else await w.pass(Math.min(ms(timeout), 200));
  return selectOnce(w, make(), ZERO);
}

function soError(w: World, s: number): number {
  const r = getInt(w, s, SOL_SOCKET, SO_ERROR);
  assert.equal(r.err, 0);
  return r.value;
}

function close(w: World, s: number): void {
  ok('WSPCloseSocket', (e) => w.p.WSPCloseSocket(s, e));
}

function sendText(w: World, s: number, text: string): number {
  const r = send(w, s, new TextEncoder().encode(text));
  assert.equal(r.err, 0, `send failed with ${errorName(r.err)}`);
  return r.sent;
}

/** setup_server_socket: SO_REUSEADDR, bound to 127.0.0.1 (any port), listening with a backlog of 5. */
function setupServer(w: World): { s: number; at: SockAddr } {
  const s = socket(w);
  assert.equal(setInt(w, s, SOL_SOCKET, SO_REUSEADDR, 1).ret, 0);
  ok('WSPBind', (e) => w.p.WSPBind(s, addr(w.loopback4, 0), 16, e));
  const at = nameOf(w, s);
  ok('WSPListen', (e) => w.p.WSPListen(s, 5, e));
  return { s, at };
}

/** setup_connector_socket(nonblock TRUE): a non-blocking connect, WSAEWOULDBLOCK or done. */
function connectNonBlocking(w: World, s: number, at: SockAddr): void {
  const r = call((e) => w.p.WSPConnect(s, at, 16, null, null, null, null, e));
  assert.ok(r.ret === 0 || r.err === WSAEWOULDBLOCK, `connect: ${errorName(r.err)}`);
}

/** An address nobody listens on (Wine's invalid_addr, 127.0.0.1 port 255 in network order). */
/**
 * An address nobody listens on: on the virtual network a port just bound and closed; on the
 * host network a well-known port that stays refused (a port just closed may be taken by
 * another process at once).
 */
async function nobody(w: World): Promise<SockAddr> {
  if (w.kind === 'host') return addr(w.loopback4, await refusedPort());
  const s = socket(w);
  ok('WSPBind', (e) => w.p.WSPBind(s, addr(w.loopback4, 0), 16, e));
  const at = nameOf(w, s);
  close(w, s);
  return at;
}

async function acceptNow(w: World, l: number): Promise<number> {
  await w.settle(() => (w.p.inspect(l)?.listen?.ready ?? 0) > 0, 'a connection to accept');
  return ok('WSPAccept', (e) => w.p.WSPAccept(l, null, null, null, 0, e));
}

onNetworks('test_select', (it) => {
  it('test_select (fresh sockets): neither readable, writable nor in exceptfds; listen on an unbound socket fails', async (w) => {
    const fdRead = socket(w);
    const fdWrite = socket(w);
    for (const timeout of [ZERO, { tv_sec: 0, tv_usec: 500 }]) {
      const all = (): Sets => [fdset(fdRead, fdWrite), fdset(fdRead, fdWrite), fdset(fdRead, fdWrite)];
      const r = await select(w, all, timeout, 0);
      assert.equal(r.ret, 0, 'select should not return any socket handles');
      assert.equal(isSet(r.sets[0], fdRead), false);
      assert.equal(isSet(r.sets[1], fdWrite), false);
      assert.equal(isSet(r.sets[2], fdRead), false);
      assert.equal(isSet(r.sets[2], fdWrite), false);
    }
    assert.equal(call((e) => w.p.WSPListen(fdWrite, 0x7fffffff, e)).ret, SOCKET_ERROR, 'listen did not fail');
    close(w, fdWrite);
    close(w, fdRead);
  });

  it('test_select (invalid handles): all sets NULL or empty: WSAEINVAL; INVALID_SOCKET in any set: WSAENOTSOCK', (w) => {
    const timeout = { tv_sec: 0, tv_usec: 500 };
    fails('select(NULL, NULL, NULL)', (e) => w.p.WSPSelect(1, null, null, null, timeout, e), WSAEINVAL);
    fails('select(empty sets)', (e) => w.p.WSPSelect(1, fdset(), fdset(), fdset(), timeout, e), WSAEINVAL);
    fails('INVALID_SOCKET in readfds', (e) => w.p.WSPSelect(1, fdset(INVALID_SOCKET), fdset(), fdset(), timeout, e), WSAENOTSOCK);
    fails('INVALID_SOCKET in writefds', (e) => w.p.WSPSelect(1, fdset(), fdset(INVALID_SOCKET), fdset(), timeout, e), WSAENOTSOCK);
    fails('INVALID_SOCKET in exceptfds', (e) => w.p.WSPSelect(1, fdset(), fdset(), fdset(INVALID_SOCKET), timeout, e), WSAENOTSOCK);
  });

  it('test_select (a connected pair): nothing to read, writable; the same socket twice counts once and fd_array[1] is left alone', async (w) => {
    const { client: fdRead, server: fdWrite } = await tcpPair(w);
    const timeout = { tv_sec: 0, tv_usec: 500 };
    let r = await select(w, () => [fdset(fdRead), null, null], timeout, 0);
    assert.equal(r.ret, 0);
    r = await select(w, () => [null, fdset(fdWrite), null], timeout, 1);
    assert.equal(r.ret, 1);
    assert.ok(isSet(r.sets[1], fdWrite));

    const writefds = fdset(fdWrite, fdWrite);
    r = selectOnce(w, [null, writefds, null], timeout);
    assert.equal(r.ret, 1);
    assert.equal(writefds.fd_count, 1);
    assert.equal(writefds.fd_array[0], fdWrite);
    assert.equal(writefds.fd_array[1], fdWrite);
    close(w, fdRead);
    close(w, fdWrite);
  });

  it('test_select (overlapping fd_set pointers): one set as readfds and writefds receives both results, each socket once', async (w) => {
    const { client: fdRead, server: fdWrite } = await tcpPair(w);
    const timeout = { tv_sec: 0, tv_usec: 500 };
    const overlapping = (...h: number[]) => (): Sets => {
      const set = fdset(...h);
      return [set, set, null];
    };
    let r = await select(w, overlapping(fdWrite), timeout, 1);
    assert.equal(r.ret, 1);
    assert.ok(isSet(r.sets[0], fdWrite));

    r = await select(w, overlapping(fdWrite, fdRead), timeout, 2);
    assert.equal(r.ret, 2);
    assert.ok(isSet(r.sets[0], fdWrite) && isSet(r.sets[0], fdRead));

    assert.equal(sendText(w, fdWrite, 'test'), 4);
    r = await select(w, () => [fdset(fdRead), null, null], timeout, 1);
    assert.equal(r.ret, 1, 'fdRead readable');
    assert.ok(isSet(r.sets[0], fdRead));

    r = await select(w, overlapping(fdWrite, fdRead), timeout, 2);
    assert.equal(r.ret, 2, 'fdRead readable and writable, fdWrite writable: two entries');
    assert.ok(isSet(r.sets[0], fdWrite) && isSet(r.sets[0], fdRead));

    // Fill fdWrite's buffers: send while select says it is writable (the host network's main
    // thread polls: a select that would have to wait answers WSAEWOULDBLOCK there).
    const tmp = new Uint8Array(1024);
    const poll = w.kind === 'virtual' ? timeout : ZERO;
    for (let i = 0; i < 100_000; i++) {
      if (selectOnce(w, [null, fdset(fdWrite), null], poll).ret === 0) break;
      assert.ok(send(w, fdWrite, tmp).sent > 0, 'failed to send data');
    }
    r = selectOnce(w, overlapping(fdWrite, fdRead)(), poll);
    assert.equal(r.ret, 1);
    assert.equal(isSet(r.sets[0], fdWrite), false, 'fdWrite is neither readable nor writable');
    assert.ok(isSet(r.sets[0], fdRead));

    assert.equal(sendText(w, fdRead, 'test'), 4);
    await w.pass(100); // Sleep(100)
    r = await select(w, overlapping(fdWrite, fdRead), timeout, 2);
    assert.equal(r.ret, 2);
    assert.ok(isSet(r.sets[0], fdWrite) && isSet(r.sets[0], fdRead));
    close(w, fdRead);
    close(w, fdWrite);
  });

  it('test_select (200 sockets): all writable, reported in the order given', async (w) => {
    const sockets: number[] = [];
    for (let i = 0; i < 200; i += 2) {
      const { client, server } = await tcpPair(w);
      sockets.push(client, server);
    }
    const set = fdset(...sockets);
    const r = selectOnce(w, [null, set, null], { tv_sec: 0, tv_usec: 500 });
    assert.equal(r.ret, 200);
    assert.deepEqual(set.fd_array, sockets);
    for (const s of sockets) close(w, s);
  });

  it('test_select (a listener, a connector, data, a close): readable with a connection; connector and accepted socket writable; readable with data; the peer readable after a close', async (w) => {
    const { s: fdListen, at } = setupServer(w);
    const timeout = { tv_sec: 1, tv_usec: 250000 };

    let r = await select(w, () => [fdset(fdListen), fdset(fdListen), fdset(fdListen)], timeout, 0);
    assert.equal(r.ret, 0, 'no events pending');

    const fdWrite = socket(w);
    nonBlocking(w, fdWrite);
    connectNonBlocking(w, fdWrite, at);
    r = await select(w, () => [fdset(fdListen), fdset(fdListen), fdset(fdListen)], timeout, 1);
    assert.equal(r.ret, 1);
    assert.ok(isSet(r.sets[0], fdListen), 'the listener is readable');
    const fdRead = await acceptNow(w, fdListen);

    r = await select(w, () => [fdset(fdListen, fdRead, fdWrite), fdset(fdListen, fdRead, fdWrite), fdset(fdListen, fdRead, fdWrite)], timeout, 2);
    assert.equal(r.ret, 2);
    assert.ok(isSet(r.sets[1], fdWrite), 'the connector is writable');
    assert.ok(isSet(r.sets[1], fdRead), 'the accepted socket is writable');
    assert.equal(soError(w, fdWrite), 0);
    nonBlocking(w, fdRead);

    assert.equal(sendText(w, fdWrite, '1234'), 4);
    r = await select(w, () => [fdset(fdListen, fdRead), fdset(fdListen), fdset(fdListen, fdRead)], timeout, 1);
    assert.equal(r.ret, 1);
    assert.ok(isSet(r.sets[0], fdRead));
    assert.equal(isSet(r.sets[2], fdRead), false);
    r = await select(w, () => [fdset(fdRead), fdset(fdRead), fdset(fdRead)], timeout, 2);
    assert.equal(r.ret, 2);
    assert.ok(isSet(r.sets[0], fdRead) && isSet(r.sets[1], fdRead));
    assert.equal(isSet(r.sets[2], fdRead), false);
    assert.equal(new TextDecoder().decode(recv(w, fdRead, 1024).bytes), '1234');

    close(w, fdRead);
    r = await select(w, () => [fdset(fdListen, fdWrite), fdset(fdListen), fdset(fdListen)], timeout, 1);
    assert.equal(r.ret, 1);
    assert.ok(isSet(r.sets[0], fdWrite), 'readable: the peer closed');
    const end = recv(w, fdWrite, 1024);
    assert.equal(end.err, 0);
    assert.equal(end.bytes.length, 0);
    close(w, fdWrite);
    close(w, fdListen);
  });

  it('test_select (urgent data): in exceptfds, not readfds, until read with MSG_OOB; with SO_OOBINLINE readable instead, and MSG_OOB receives fail with WSAEINVAL', async (w) => {
    const { s: fdListen, at } = setupServer(w);
    const timeout = { tv_sec: 1, tv_usec: 250000 };
    const fdWrite = socket(w);
    nonBlocking(w, fdWrite);
    connectNonBlocking(w, fdWrite, at);
    const fdRead = await acceptNow(w, fdListen);
    await w.settle(() => w.p.inspect(fdWrite)?.phase === 'connected', 'the connect');
    nonBlocking(w, fdRead);
    const sets = (): Sets => [fdset(fdListen, fdRead), fdset(fdListen), fdset(fdListen, fdRead)];

    assert.equal(send(w, fdWrite, new TextEncoder().encode('A'), MSG_OOB).sent, 1);
    let r = await select(w, sets, timeout, 1);
    assert.equal(r.ret, 1);
    assert.ok(isSet(r.sets[2], fdRead), 'in exceptfds');
    let got = recv(w, fdRead, 1024, MSG_OOB);
    assert.equal(got.err, 0);
    assert.equal(new TextDecoder().decode(got.bytes), 'A');

    assert.equal(setInt(w, fdRead, SOL_SOCKET, SO_OOBINLINE, 1).ret, 0);
    assert.equal(send(w, fdWrite, new TextEncoder().encode('A'), MSG_OOB).sent, 1);
    r = await select(w, sets, timeout, 1);
    assert.equal(r.ret, 1);
    assert.ok(isSet(r.sets[0], fdRead), 'in readfds');
    got = recv(w, fdRead, 1024, MSG_OOB);
    assert.equal(errorName(got.err), 'WSAEINVAL', 'MSG_OOB with SO_OOBINLINE');
    got = recv(w, fdRead, 1024);
    assert.equal(got.err, 0);
    assert.equal(new TextDecoder().decode(got.bytes), 'A');
    got = recv(w, fdRead, 1024);
    assert.equal(errorName(got.err), 'WSAEWOULDBLOCK', 'nothing more (todo_wine)');
    close(w, fdRead);
    close(w, fdWrite);
    close(w, fdListen);
  }, { virtualOnly: 'node:net offers no urgent data: MSG_OOB is WSAEOPNOTSUPP on the host network' });

  it('test_select (a refused non-blocking connect): exceptfds only, and it stays; SO_ERROR WSAECONNREFUSED, reading it does not clear it; a connect that succeeds: writefds, SO_ERROR 0', async (w) => {
    const { s: fdListen, at: listenAt } = setupServer(w);
    const invalid = await nobody(w);
    const fdWrite = socket(w);
    nonBlocking(w, fdWrite);
    connectNonBlocking(w, fdWrite, invalid);
    const timeout = { tv_sec: 10, tv_usec: 250000 };
    const all = (): Sets => [fdset(fdWrite), fdset(fdWrite), fdset(fdWrite)];
    let r = await select(w, all, timeout, 1);
    assert.equal(r.ret, 1);
    assert.ok(isSet(r.sets[2], fdWrite), 'in exceptfds');
    assert.deepEqual(timeout, { tv_sec: 10, tv_usec: 250000 }, 'the timeout is not changed');
    assert.equal(errorName(soError(w, fdWrite)), 'WSAECONNREFUSED');
    assert.equal(errorName(soError(w, fdWrite)), 'WSAECONNREFUSED', 'still, after reading it');
    r = await select(w, all, timeout, 1);
    assert.equal(r.ret, 1);
    assert.ok(isSet(r.sets[2], fdWrite));

    // A second attempt, refused again: "calling connect() doesn't reset the socket error".
    connectNonBlocking(w, fdWrite, invalid);
    assert.equal(errorName(soError(w, fdWrite)), 'WSAECONNREFUSED', 'right after the second connect');
    r = await select(w, all, timeout, 1);
    assert.equal(r.ret, 1);
    assert.ok(isSet(r.sets[2], fdWrite));

    connectNonBlocking(w, fdWrite, listenAt);
    r = await select(w, all, { tv_sec: 1, tv_usec: 250000 }, 1);
    assert.equal(r.ret, 1);
    assert.ok(isSet(r.sets[1], fdWrite), 'in writefds');
    assert.equal(soError(w, fdWrite), 0, 'a successful connection resets SO_ERROR');
    close(w, fdWrite);
    close(w, fdListen);
  });

  it('test_select (listening after a failed connection): listen succeeds; SO_ERROR stays WSAECONNREFUSED; the listener stays in exceptfds', async (w) => {
    const invalid = await nobody(w);
    const fdWrite = socket(w);
    nonBlocking(w, fdWrite);
    ok('WSPBind', (e) => w.p.WSPBind(fdWrite, addr(w.loopback4, 0), 16, e));
    connectNonBlocking(w, fdWrite, invalid);
    let r = await select(w, () => [null, null, fdset(fdWrite)], { tv_sec: 10, tv_usec: 0 }, 1);
    assert.equal(r.ret, 1);
    const address = nameOf(w, fdWrite);
    ok('listen after a failed connect (todo_wine: Windows allows it)', (e) => w.p.WSPListen(fdWrite, 1, e));

    const client2 = socket(w);
    nonBlocking(w, client2);
    connectNonBlocking(w, client2, address);
    const server2 = await acceptNow(w, fdWrite);
    close(w, server2);
    close(w, client2);

    assert.equal(errorName(soError(w, fdWrite)), 'WSAECONNREFUSED');
    r = selectOnce(w, [fdset(fdWrite), fdset(fdWrite), fdset(fdWrite)], ZERO);
    assert.equal(r.ret, 1);
    assert.ok(isSet(r.sets[2], fdWrite), 'in exceptfds');
    close(w, fdWrite);
  });

  it('test_select (a blocking connect that fails): WSAECONNREFUSED; SO_ERROR stays 0; exceptfds', async (w) => {
    const fdWrite = socket(w);
    const invalid = await nobody(w);
    fails('blocking connect', (e) => w.p.WSPConnect(fdWrite, invalid, 16, null, null, null, null, e), WSAECONNREFUSED);
    assert.equal(soError(w, fdWrite), 0, 'SO_ERROR (todo_wine: Windows leaves it 0)');
    const r = selectOnce(w, [fdset(fdWrite), fdset(fdWrite), fdset(fdWrite)], ZERO);
    assert.equal(r.ret, 1);
    assert.ok(isSet(r.sets[2], fdWrite), 'in exceptfds');
    assert.equal(soError(w, fdWrite), 0, 'SO_ERROR after select (todo_wine)');
    close(w, fdWrite);
  }, { virtualOnly: 'a blocking connect on the host network main thread answers WSAEWOULDBLOCK' });

  it('test_select (a socket closed after connecting): WSAENOTSOCK, and the sets are left as they were', async (w) => {
    const { client: fdRead, server: fdWrite } = await tcpPair(w);
    close(w, fdRead);
    const readfds = fdset(fdWrite, fdRead);
    const exceptfds = fdset(fdWrite, fdRead);
    fails('select', (e) => w.p.WSPSelect(0, readfds, null, exceptfds, { tv_sec: 1, tv_usec: 250000 }, e), WSAENOTSOCK);
    assert.equal(readfds.fd_count, 2);
    assert.equal(exceptfds.fd_count, 2);
    close(w, fdWrite);
  });

  it('test_select (an unbound UDP socket): writable, nothing else', async (w) => {
    const fdWrite = socket(w, SOCK_DGRAM);
    const r = await select(w, () => [fdset(fdWrite), fdset(fdWrite), fdset(fdWrite)], { tv_sec: 0, tv_usec: 250000 }, 1);
    assert.equal(r.ret, 1);
    assert.ok(isSet(r.sets[1], fdWrite));
    close(w, fdWrite);
  });
});
