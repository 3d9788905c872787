/** WSPShutdown and WSPCloseSocket on TCP streams: half-closes, resets, SO_LINGER and SO_DONTLINGER. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  SD_BOTH, SD_RECEIVE, SD_SEND, SOCKET_ERROR, SOL_SOCKET, SO_DONTLINGER, SO_LINGER, SO_RCVBUF, WSAECONNABORTED,
  WSAECONNRESET, WSAEINVAL, WSAENOTCONN, WSAENOTSOCK, WSAESHUTDOWN, WSAEWOULDBLOCK, errorName, type ServiceProvider,
} from '../src/index.js';
import { accept, bind, connect, expectError, getInt, listener, ok, pair, setInt, setNonBlocking, tcp, v4, type Pair } from './helpers.js';

const SERVER = v4('10.0.0.1', 80);
const enc = (t: string) => new TextEncoder().encode(t);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >> 9)) % 253;
  return out;
}

/** Sends bytes; must succeed and queue all of them. */
function sendBytes(p: ServiceProvider, s: number, data: Uint8Array): void {
  const count = { value: -1 };
  const e = { value: 0 };
  const r = p.WSPSend(s, [{ len: data.length, buf: data }], 1, count, 0, null, null, null, e);
  assert.equal(r, 0, `send failed with ${errorName(e.value)}`);
  assert.equal(count.value, data.length);
}
const send = (p: ServiceProvider, s: number, text: string) => sendBytes(p, s, enc(text));

/** One receive; must succeed. */
function recvBytes(p: ServiceProvider, s: number, size = 1024): Uint8Array {
  const buf = new Uint8Array(size);
  const count = { value: -1 };
  const e = { value: 0 };
  const r = p.WSPRecv(s, [{ len: size, buf }], 1, count, { value: 0 }, null, null, null, e);
  assert.equal(r, 0, `recv failed with ${errorName(e.value)}`);
  return buf.slice(0, count.value);
}
const recv = (p: ServiceProvider, s: number, size = 1024) => dec(recvBytes(p, s, size));

/** Reads until end of stream (blocking); returns everything. */
function readToEnd(p: ServiceProvider, s: number): Uint8Array {
  const parts: number[] = [];
  for (;;) {
    const b = recvBytes(p, s, 8192);
    if (b.length === 0) return new Uint8Array(parts);
    parts.push(...b);
  }
}

function recvError(p: ServiceProvider, s: number, code: number): void {
  expectError((e) => p.WSPRecv(s, [{ len: 8, buf: new Uint8Array(8) }], 1, { value: 0 }, { value: 0 }, null, null, null, e), code);
}
function sendError(p: ServiceProvider, s: number, code: number): void {
  expectError((e) => p.WSPSend(s, [{ len: 1, buf: enc('x') }], 1, { value: 0 }, 0, null, null, null, e), code);
}
const shutdown = (p: ServiceProvider, s: number, how: number) => ok((e) => p.WSPShutdown(s, how, e));
const close = (p: ServiceProvider, s: number) => ok((e) => p.WSPCloseSocket(s, e));

function setLinger(p: ServiceProvider, s: number, onoff: number, seconds: number): void {
  const v = new Uint8Array([onoff & 0xff, onoff >> 8, seconds & 0xff, seconds >> 8]); // two little-endian u_shorts
  ok((e) => p.WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, v, 4, e));
}
function getLinger(p: ServiceProvider, s: number): [number, number] {
  const v = new Uint8Array(4);
  ok((e) => p.WSPGetSockOpt(s, SOL_SOCKET, SO_LINGER, v, { value: 4 }, e));
  return [v[0]! | (v[1]! << 8), v[2]! | (v[3]! << 8)];
}

interface Conn extends Pair { c: number; a: number }

/** Client `c` connected to accepted `a`; `rcvbuf` is the server's receive buffer (its window). */
function connected(rcvbuf?: number): Conn {
  const p = pair();
  const l = tcp(p.server);
  bind(p.server, l, SERVER);
  if (rcvbuf !== undefined) assert.equal(setInt(p.server, l, SOL_SOCKET, SO_RCVBUF, rcvbuf).ret, 0);
  ok((e) => p.server.WSPListen(l, 5, e));
  const c = tcp(p.client);
  assert.equal(connect(p.client, c, SERVER).ret, 0);
  const a = accept(p.server, l).ret;
  assert.ok(a > 0);
  return { ...p, c, a };
}

describe('WSPShutdown', () => {
  test('SD_SEND: the peer reads all the queued data, then 0', () => {
    const { net, client, server, c, a } = connected(4096);
    const data = pattern(10000); // more than the peer's window: most of it is still queued here
    sendBytes(client, c, data);
    shutdown(client, c, SD_SEND);
    const t0 = net.now();
    assert.deepEqual(readToEnd(server, a), data);
    assert.ok(net.now() > t0);
    assert.equal(recvBytes(server, a).length, 0, 'end of stream again');
  });

  test('WSAESHUTDOWN: send after SD_SEND; the other direction still works', () => {
    const { client, server, c, a } = connected();
    shutdown(client, c, SD_SEND);
    sendError(client, c, WSAESHUTDOWN);
    send(server, a, 'reply');
    assert.equal(recv(client, c), 'reply');
    assert.equal(recvBytes(server, a).length, 0);
  });

  test('WSAESHUTDOWN: recv after SD_RECEIVE; sending still works', () => {
    const { client, server, c, a } = connected();
    shutdown(server, a, SD_RECEIVE);
    recvError(server, a, WSAESHUTDOWN);
    send(server, a, 'still');
    assert.equal(recv(client, c), 'still');
  });

  test('SD_RECEIVE with unread data resets: the peer sees WSAECONNRESET, this socket WSAECONNABORTED', () => {
    const { net, client, server, c, a } = connected();
    send(client, c, 'unread');
    net.run();
    shutdown(server, a, SD_RECEIVE);
    net.run();
    recvError(client, c, WSAECONNRESET);
    sendError(client, c, WSAECONNRESET);
    sendError(server, a, WSAECONNABORTED);
  });

  test('SD_RECEIVE: data that arrives later resets the connection', () => {
    const { net, client, server, c, a } = connected();
    shutdown(server, a, SD_RECEIVE);
    send(client, c, 'late');
    net.run();
    sendError(server, a, WSAECONNABORTED);
    recvError(client, c, WSAECONNRESET);
  });

  test('SD_BOTH: no more sends or receives here; the peer reads 0', () => {
    const { client, server, c, a } = connected();
    send(client, c, 'before');
    shutdown(client, c, SD_BOTH);
    sendError(client, c, WSAESHUTDOWN);
    recvError(client, c, WSAESHUTDOWN);
    assert.equal(recv(server, a), 'before');
    assert.equal(recvBytes(server, a).length, 0);
  });

  test('WSAEINVAL: how is not SD_RECEIVE, SD_SEND or SD_BOTH; nothing is shut', () => {
    const { client, server, c, a } = connected();
    for (const how of [3, -1, 1.5, '1', null, 0x101]) {
      expectError((e) => client.WSPShutdown(c, how as never, e), WSAEINVAL);
    }
    send(client, c, 'open');
    assert.equal(recv(server, a), 'open');
    send(server, a, 'both ways');
    assert.equal(recv(client, c), 'both ways');
  });

  test('WSAENOTCONN: a listener, an unbound or a bound socket', () => {
    const { server } = pair();
    const l = listener(server, SERVER, 5);
    const fresh = tcp(server);
    const bound = tcp(server);
    bind(server, bound, v4('10.0.0.1', 81));
    for (const s of [l, fresh, bound]) {
      for (const how of [SD_RECEIVE, SD_SEND, SD_BOTH]) expectError((e) => server.WSPShutdown(s, how, e), WSAENOTCONN);
    }
  });

  test('WSAENOTSOCK: not a descriptor, or a closed one', () => {
    const { client, c } = connected();
    expectError((e) => client.WSPShutdown(4242, SD_SEND, e), WSAENOTSOCK);
    close(client, c);
    expectError((e) => client.WSPShutdown(c, SD_SEND, e), WSAENOTSOCK);
  });

  test('never blocks and ignores SO_LINGER; the socket stays open; a second SD_SEND is harmless', () => {
    const { net, client, server, c, a } = connected(4096);
    setLinger(client, c, 1, 5);
    const data = pattern(8192);
    sendBytes(client, c, data);
    const t0 = net.now();
    shutdown(client, c, SD_SEND);
    shutdown(client, c, SD_SEND);
    assert.equal(net.now(), t0, 'no virtual time passed');
    assert.equal(client.inspect(c)?.phase, 'connected');
    assert.deepEqual(readToEnd(server, a), data);
    close(client, c);
  });
});

describe('WSPCloseSocket', () => {
  test('graceful: returns at once, the queued data is still delivered, then 0', () => {
    const { net, client, server, c, a } = connected(4096);
    const data = pattern(20000);
    sendBytes(client, c, data);
    const t0 = net.now();
    close(client, c);
    assert.equal(net.now(), t0);
    assert.deepEqual(readToEnd(server, a), data);
  });

  test('WSAENOTSOCK: the handle is gone after WSPCloseSocket, and closing it again fails', () => {
    const { client, c } = connected();
    close(client, c);
    expectError((e) => client.WSPCloseSocket(c, e), WSAENOTSOCK);
    expectError((e) => client.WSPCloseSocket(4242, e), WSAENOTSOCK);
    assert.equal(client.inspect(c), undefined);
  });

  test('SO_LINGER {1,0}: abortive; the peer sees WSAECONNRESET and the data is lost', () => {
    const { net, client, server, c, a } = connected();
    send(client, c, 'doomed');
    setLinger(client, c, 1, 0);
    assert.deepEqual(getLinger(client, c), [1, 0]);
    close(client, c);
    net.run();
    recvError(server, a, WSAECONNRESET);
    sendError(server, a, WSAECONNRESET);
  });

  test('closing with received data nobody read resets the connection', () => {
    const { net, client, server, c, a } = connected();
    send(client, c, 'ignored');
    net.run();
    close(server, a);
    net.run();
    recvError(client, c, WSAECONNRESET);
  });

  test('SO_DONTLINGER (-129, BOOL) restores a graceful close after SO_LINGER {1,0}', () => {
    const { client, server, c, a } = connected();
    setLinger(client, c, 1, 0);
    assert.equal(SO_DONTLINGER, -129);
    assert.equal(setInt(client, c, SOL_SOCKET, -129, 1).ret, 0);
    assert.equal(getInt(client, c, SOL_SOCKET, SO_DONTLINGER), 1);
    assert.equal(getLinger(client, c)[0], 0);
    send(client, c, 'kept');
    close(client, c);
    assert.equal(dec(readToEnd(server, a)), 'kept');
  });

  test('SO_DONTLINGER FALSE turns lingering on, keeping the time', () => {
    const { client, c } = connected();
    setLinger(client, c, 0, 7);
    assert.equal(getInt(client, c, SOL_SOCKET, SO_DONTLINGER), 1);
    assert.equal(setInt(client, c, SOL_SOCKET, SO_DONTLINGER, 0).ret, 0);
    assert.deepEqual(getLinger(client, c), [1, 7]);
  });

  test('SO_LINGER {1,5}, blocking: waits (virtual time) for the acknowledgment, then closes gracefully', () => {
    const { net, client, server, c, a } = connected();
    setLinger(client, c, 1, 5);
    const data = pattern(5000);
    sendBytes(client, c, data);
    const t0 = net.now();
    close(client, c);
    const waited = net.now() - t0;
    assert.ok(waited > 0 && waited < 5000, `waited ${waited} ms`);
    expectError((e) => client.WSPCloseSocket(c, e), WSAENOTSOCK);
    assert.deepEqual(readToEnd(server, a), data);
  });

  test('SO_LINGER {1,5}, blocking, data the peer never acknowledges: waits 5 s of virtual time, then resets', () => {
    const { net, client, server, c, a } = connected(4096);
    setLinger(client, c, 1, 5);
    sendBytes(client, c, pattern(8192)); // the peer's window takes 4096; it does not read
    const t0 = net.now();
    close(client, c);
    assert.equal(net.now() - t0, 5000);
    net.run();
    recvError(server, a, WSAECONNRESET);
  });

  test('SO_LINGER {1,5}, non-blocking, unacknowledged data: WSAEWOULDBLOCK and the socket stays open', () => {
    const { net, client, server, c, a } = connected(4096);
    setLinger(client, c, 1, 5);
    const data = pattern(8192);
    sendBytes(client, c, data);
    setNonBlocking(client, c);
    net.run();
    const t0 = net.now();
    const e = { value: 0 };
    assert.equal(client.WSPCloseSocket(c, e), SOCKET_ERROR);
    assert.equal(errorName(e.value), errorName(WSAEWOULDBLOCK));
    assert.equal(net.now(), t0, 'did not wait');
    assert.equal(client.inspect(c)?.phase, 'connected');
    const got = [...recvBytes(server, a, 8192)];
    net.run();
    got.push(...recvBytes(server, a, 8192));
    assert.equal(got.length, 8192);
    net.run();
    close(client, c); // everything acknowledged now
    assert.equal(recvBytes(server, a).length, 0);
    assert.deepEqual(new Uint8Array(got), data);
  });
});
