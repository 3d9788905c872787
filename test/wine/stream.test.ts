/**
 * Ports of Wine's stream data-path tests (dlls/ws2_32/tests/sock.c): test_shutdown (TCP),
 * test_tcp_reset, test_tcp_sendto_recvfrom, test_send_buffering, and the non-overlapped parts of
 * test_send, test_empty_recv and test_timeout. What Wine asserts, todo_wine included (the
 * asserted value is Windows'), is asserted.
 *
 * Left out: the parts that need overlapped I/O (test_shutdown "shutting down with async I/O
 * pending", test_tcp_reset's pending WSARecv and its GetOverlappedResult, test_send's WSASend
 * with an OVERLAPPED, CancelIo in test_send_buffering's thread, test_empty_recv's and
 * test_timeout's overlapped WSARecv), and WSAPoll (check_poll).
 * Wine's threads are calls in sequence here: the second part of test_send_buffering runs the
 * sending "thread" inline, which is what it does before the reader starts.
 *
 * The SO_ERROR and writefds rows of test_tcp_reset and the garbage-argument rows of
 * test_tcp_sendto_recvfrom rest on provider.ts, readiness.ts and io-functions.ts (other owners').
 */
import assert from 'node:assert/strict';
import {
  SD_BOTH, SD_RECEIVE, SD_SEND, SOCKET_ERROR, SOL_SOCKET, SO_ERROR, SO_LINGER, SO_RCVTIMEO, WSAECONNABORTED,
  WSAECONNRESET, WSAEINVAL, WSAEISCONN, WSAENOTCONN, WSAESHUTDOWN, WSAETIMEDOUT, WSAEWOULDBLOCK, errorName, type FD_SET, type SockAddr,
} from '../../src/index.js';
import {
  addr, call, getInt, listener, nameOf, nonBlocking, ok, onNetworks, recv, send, setInt, socket, tcpPair,
  type World,
} from './harness.js';

// ---- helpers --------------------------------------------------------------------------------

/** Wine's sync_recv: a receive that waits for data (a blocking call cannot wait on the host network's thread). */
async function syncRecv(w: World, s: number, len: number, flags = 0): Promise<{ ret: number; err: number; bytes: Uint8Array }> {
  let r = recv(w, s, len, flags);
  if (r.ret === SOCKET_ERROR && r.err === WSAEWOULDBLOCK) {
    await w.settle(() => {
      r = recv(w, s, len, flags);
      return !(r.ret === SOCKET_ERROR && r.err === WSAEWOULDBLOCK);
    }, 'data to receive');
  }
  return r;
}

/** Wine's close_with_rst: SO_LINGER {1, 0}, then closesocket. */
function closeWithRst(w: World, s: number): void {
  const linger = new Uint8Array([1, 0, 0, 0]); // l_onoff 1, l_linger 0 (two little-endian u_shorts)
  ok('SO_LINGER', (e) => w.p.WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, linger, 4, e));
  ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
}

function close(w: World, s: number): void {
  ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
}

function shutdown(w: World, s: number, how: number): { ret: number; err: number } {
  return call((e) => w.p.WSPShutdown(s, how, e));
}

function peerOf(w: World, s: number): SockAddr {
  const name = { family: 0, address: '', port: 0 };
  ok('getpeername', (e) => w.p.WSPGetPeerName(s, name, { value: 28 }, e));
  return name;
}

function expectFailure(what: string, r: { ret: number; err: number }, code: number): void {
  assert.equal(r.ret, SOCKET_ERROR, `${what}: expected ${errorName(code)}, got success`);
  assert.equal(errorName(r.err), errorName(code), `${what}: wrong error`);
}

const enc = (t: string) => new TextEncoder().encode(t);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
/** "test" with its terminating NUL, as Wine sends it (5 bytes). */
const TEST = enc('test\0');

/** A connected pair built Wine's way (listener, connect, accept) with the listener kept open. */
async function connectTo(w: World, l: number, at: SockAddr): Promise<{ client: number; server: number }> {
  const client = socket(w);
  nonBlocking(w, client);
  const r = call((e) => w.p.WSPConnect(client, at, 16, null, null, null, null, e));
  assert.ok(r.ret === 0 || r.err === WSAEWOULDBLOCK, `connect: ${errorName(r.err)}`);
  nonBlocking(w, l);
  let server = -1;
  await w.settle(() => {
    server = w.p.WSPAccept(l, null, null, null, 0, { value: 0 });
    return server !== -1 && server !== 0xffffffff;
  }, 'the accept');
  await w.settle(() => w.p.inspect(client)?.phase === 'connected', 'the connect');
  nonBlocking(w, client, false);
  nonBlocking(w, server, false);
  return { client, server };
}

// ---- test_shutdown (TCP) --------------------------------------------------------------------

onNetworks('test_shutdown (TCP)', (it) => {
  it('test_shutdown (not connected): SD_SEND and SD_RECEIVE fail with WSAENOTCONN', (w) => {
    const client = socket(w);
    expectFailure('shutdown(SD_SEND)', shutdown(w, client, SD_SEND), WSAENOTCONN);
    expectFailure('shutdown(SD_RECEIVE)', shutdown(w, client, SD_RECEIVE), WSAENOTCONN);
  });

  it('test_shutdown (SD_SEND, then SD_RECEIVE on both ends): each direction closes on its own; names and WSAEISCONN stay; a bad how is WSAEINVAL', async (w) => {
    const { s: l, at } = listener(w);
    const { client, server } = await connectTo(w, l, at);
    nonBlocking(w, client);

    assert.equal(shutdown(w, client, SD_SEND).ret, 0);
    assert.equal(shutdown(w, client, SD_SEND).ret, 0, 'a second SD_SEND succeeds');
    expectFailure('send after SD_SEND', send(w, client, TEST), WSAESHUTDOWN);

    let r = await syncRecv(w, server, 5);
    assert.deepEqual([r.ret, r.bytes.length], [0, 0], 'the peer reads the end of the stream');
    r = recv(w, server, 5);
    assert.deepEqual([r.ret, r.bytes.length], [0, 0], 'and again');

    assert.equal(shutdown(w, server, SD_RECEIVE).ret, 0);
    expectFailure('recv after SD_RECEIVE', recv(w, server, 5), WSAESHUTDOWN);
    const sent = send(w, server, TEST);
    assert.deepEqual([sent.ret, sent.sent], [0, 5], 'the other direction still sends');

    r = await syncRecv(w, client, 5);
    assert.equal(r.ret, 0);
    assert.equal(dec(r.bytes), 'test\0');

    assert.equal(shutdown(w, client, SD_RECEIVE).ret, 0);
    expectFailure('recv after SD_RECEIVE', recv(w, client, 5), WSAESHUTDOWN);
    expectFailure('recv after SD_RECEIVE, again', recv(w, client, 5), WSAESHUTDOWN);

    assert.equal(shutdown(w, server, SD_SEND).ret, 0);
    expectFailure('send after SD_SEND', send(w, server, TEST), WSAESHUTDOWN);

    assert.deepEqual(peerOf(w, client), at, "the client's peer is still the listener's address");
    assert.deepEqual(peerOf(w, server), nameOf(w, client), "the server's peer is still the client");

    expectFailure('connect', call((e) => w.p.WSPConnect(client, at, 16, null, null, null, null, e)), WSAEISCONN);
    expectFailure('shutdown(0xdeadbeef)', shutdown(w, client, 0xdeadbeef), WSAEINVAL);
    close(w, client);
    close(w, server);
    close(w, l);
  });

  it('test_shutdown (SD_BOTH): no more receives or sends on that end; the peer reads 0 and may shut down both too', async (w) => {
    const { s: l, at } = listener(w);
    const { client, server } = await connectTo(w, l, at);

    assert.equal(shutdown(w, client, SD_BOTH).ret, 0);
    expectFailure('recv', recv(w, client, 5), WSAESHUTDOWN);
    expectFailure('send', send(w, client, TEST), WSAESHUTDOWN);

    const r = await syncRecv(w, server, 5);
    assert.deepEqual([r.ret, r.bytes.length], [0, 0]);

    assert.equal(shutdown(w, server, SD_BOTH).ret, 0);
    expectFailure('recv', recv(w, server, 5), WSAESHUTDOWN);
    expectFailure('send', send(w, server, TEST), WSAESHUTDOWN);

    assert.deepEqual(peerOf(w, client), at);
    assert.deepEqual(peerOf(w, server), nameOf(w, client));
    close(w, client);
    close(w, server);
    close(w, l);
  });

  it('test_shutdown (send data to a peer which is closed): the send succeeds; the reset that answers it makes recv fail with WSAECONNABORTED', async (w) => {
    const { client, server } = await tcpPair(w);
    assert.equal(shutdown(w, client, SD_SEND).ret, 0);
    close(w, client);
    await w.settle(() => {
      // The peer's FIN arrived (a receive would read the end of the stream).
      const peek = recv(w, server, 0);
      return peek.ret === 0;
    }, "the peer's FIN");
    const sent = send(w, server, TEST);
    assert.deepEqual([sent.ret, sent.sent], [0, 5]);
    // On loopback the reset answering the data comes back before the next call.
    await w.pass(50);
    expectFailure('recv', recv(w, server, 5), WSAECONNABORTED);
    close(w, server);
  }, { virtualOnly: 'node:net reports the reset only to a read it is still doing or to a later write; after the end of the stream it reads no more, so the receive reads 0 there' });

  it('test_shutdown (a listening socket): SD_SEND and SD_RECEIVE fail with WSAENOTCONN', (w) => {
    const { s: l } = listener(w);
    expectFailure('shutdown(SD_SEND)', shutdown(w, l, SD_SEND), WSAENOTCONN);
    expectFailure('shutdown(SD_RECEIVE)', shutdown(w, l, SD_RECEIVE), WSAENOTCONN);
    close(w, l);
  });
});

// ---- test_tcp_reset -------------------------------------------------------------------------

function fdset(...handles: number[]): FD_SET {
  return { fd_count: handles.length, fd_array: [...handles] };
}
const isSet = (set: FD_SET, s: number) => set.fd_array.slice(0, set.fd_count).includes(s);
const ZERO = { tv_sec: 0, tv_usec: 0 };

/** Lets the reset of `s` arrive: a receive stops reporting WSAEWOULDBLOCK (virtual time or a real wait). */
async function untilBroken(w: World, s: number): Promise<void> {
  nonBlocking(w, s);
  await w.settle(() => {
    const r = recv(w, s, 0);
    return r.ret === SOCKET_ERROR && r.err !== WSAEWOULDBLOCK;
  }, 'the reset');
  nonBlocking(w, s, false);
}

onNetworks('test_tcp_reset', (it) => {
  it('test_tcp_reset (the peer closes with SO_LINGER {1,0}): recv and send fail with WSAECONNRESET, again and again; select: readable, not in exceptfds', async (w) => {
    const { client, server } = await tcpPair(w);
    closeWithRst(w, server);
    await untilBroken(w, client);
    expectFailure('WSARecv', recv(w, client, 10), WSAECONNRESET);
    expectFailure('send', send(w, client, enc('data\0')), WSAECONNRESET);
    expectFailure('WSARecv again', recv(w, client, 10), WSAECONNRESET);

    const readfds = fdset(client);
    const exceptfds = fdset(client);
    const r = call((e) => w.p.WSPSelect(0, readfds, null, exceptfds, ZERO, e));
    assert.ok(r.ret >= 1, `select: ${errorName(r.err)}`);
    assert.ok(isSet(readfds, client), 'readable');
    assert.ok(!isSet(exceptfds, client), 'not in exceptfds');
    const onlyExcept = fdset(client);
    assert.equal(call((e) => w.p.WSPSelect(0, null, null, onlyExcept, ZERO, e)).ret, 0, 'exceptfds alone: nothing');
    close(w, client);
  });
});

onNetworks('test_tcp_reset (SO_ERROR and writefds)', (it) => {
  it('test_tcp_reset (after the reset): SO_ERROR reads 0, and select reports the socket writable as well as readable (ret 2)', async (w) => {
    const { client, server } = await tcpPair(w);
    closeWithRst(w, server);
    await untilBroken(w, client);
    assert.equal(getInt(w, client, SOL_SOCKET, SO_ERROR).value, 0, 'SO_ERROR is 0');
    const readfds = fdset(client);
    const writefds = fdset(client);
    const exceptfds = fdset(client);
    const r = call((e) => w.p.WSPSelect(0, readfds, writefds, exceptfds, ZERO, e));
    assert.equal(r.ret, 2);
    assert.ok(isSet(readfds, client) && isSet(writefds, client) && !isSet(exceptfds, client));
    close(w, client);
  });
});

// ---- test_tcp_sendto_recvfrom ---------------------------------------------------------------

const SERVER_MSG = enc('ws2_32/TCP socket test\0');

onNetworks('test_tcp_sendto_recvfrom', (it) => {
  it('test_tcp_sendto_recvfrom (a well-formed address): sendto on a stream ignores lpTo; recvfrom leaves lpFrom and lpFromlen alone', async (w) => {
    const { client, server } = await tcpPair(w);
    const elsewhere = addr('10.9.8.7', 9);
    const sent = { value: 0 };
    const r = call((e) => w.p.WSPSendTo(server, [{ len: SERVER_MSG.length, buf: SERVER_MSG }], 1, sent, 0, elsewhere, 16, null, null, null, e));
    assert.deepEqual([r.ret, sent.value], [0, SERVER_MSG.length], `sendto: ${errorName(r.err)}`);
    assert.deepEqual(elsewhere, addr('10.9.8.7', 9), 'the address is not modified by sendto');

    const from = new Uint8Array(16).fill(0xfe);
    const fromlen = { value: 16 };
    const buf = new Uint8Array(SERVER_MSG.length);
    const got = { value: 0 };
    nonBlocking(w, client);
    await w.settle(() => call((e) => w.p.WSPRecvFrom(client, [{ len: buf.length, buf }], 1, got, { value: 0 }, from, fromlen, null, null, null, e)).ret === 0, 'recvfrom');
    assert.equal(got.value, SERVER_MSG.length);
    assert.deepEqual(buf, SERVER_MSG, 'the data');
    assert.deepEqual(from, new Uint8Array(16).fill(0xfe), 'the address is not modified by recvfrom');
    assert.equal(fromlen.value, 16, 'nor its length');
    close(w, client);
    close(w, server);
  });
});

onNetworks('test_tcp_sendto_recvfrom (Wine\'s arguments)', (it) => {
  it('test_tcp_sendto_recvfrom (Wine\'s arguments): sendto with a garbage address (0xfe bytes) succeeds; recvfrom with to_len 0xc0ffee11 succeeds and changes neither', async (w) => {
    const { client, server } = await tcpPair(w);
    const bad = new Uint8Array(16).fill(0xfe);
    const sent = { value: 0 };
    const r = call((e) => w.p.WSPSendTo(server, [{ len: SERVER_MSG.length, buf: SERVER_MSG }], 1, sent, 0, bad as unknown as SockAddr, 16, null, null, null, e));
    assert.deepEqual([r.ret, sent.value], [0, SERVER_MSG.length], `sendto: ${errorName(r.err)}`);
    assert.deepEqual(bad, new Uint8Array(16).fill(0xfe), 'the address is not modified by sendto');
    const fromlen = { value: 0xc0ffee11 | 0 };
    const buf = new Uint8Array(SERVER_MSG.length);
    const got = { value: 0 };
    nonBlocking(w, client);
    let q = { ret: -1, err: 0 };
    await w.settle(() => (q = call((e) => w.p.WSPRecvFrom(client, [{ len: buf.length, buf }], 1, got, { value: 0 }, bad, fromlen, null, null, null, e))).err !== WSAEWOULDBLOCK, 'recvfrom');
    assert.deepEqual([q.ret, got.value], [0, SERVER_MSG.length], `recvfrom: ${errorName(q.err)}`);
    assert.deepEqual(buf, SERVER_MSG, 'the data');
    assert.deepEqual(bad, new Uint8Array(16).fill(0xfe), 'the address is not modified by recvfrom');
    assert.equal(fromlen.value, 0xc0ffee11 | 0, 'nor its length');
    close(w, client);
    close(w, server);
  });
});

// ---- test_send_buffering --------------------------------------------------------------------

/** Wine's pattern: "abcdefg01234567" with its NUL, repeated. */
const TEST_DATA = enc('abcdefg01234567\0');
const BUFFER_SIZE = 50 * 1024 * 1024;

function patterned(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += TEST_DATA.length) out.set(TEST_DATA.subarray(0, Math.min(TEST_DATA.length, size - i)), i);
  return out;
}

/** recv into the caller's buffer (Wine reuses d.buffer: a fresh 50 MiB array per call would be the test's whole cost). */
function recvInto(w: World, s: number, buf: Uint8Array): { ret: number; err: number; count: number } {
  const got = { value: 0 };
  const r = call((e) => w.p.WSPRecv(s, [{ len: buf.length, buf }], 1, got, { value: 0 }, null, null, null, e));
  return { ...r, count: r.ret === 0 ? got.value : 0 };
}

/** Reads until the end of the stream, checking the pattern; returns the count. */
async function readAll(w: World, client: number, into: Uint8Array): Promise<number> {
  let total = 0;
  for (;;) {
    let r = recvInto(w, client, into);
    if (r.ret === SOCKET_ERROR && r.err === WSAEWOULDBLOCK) {
      await w.settle(() => {
        r = recvInto(w, client, into);
        return !(r.ret === SOCKET_ERROR && r.err === WSAEWOULDBLOCK);
      }, `more data after ${total} bytes`);
    }
    assert.equal(r.ret, 0, `recv failed with ${errorName(r.err)} after ${total} bytes`);
    if (r.count === 0) return total;
    for (let i = 0; i < r.count; i++) {
      if (into[i] !== TEST_DATA[(total + i) % TEST_DATA.length]) assert.fail(`data mismatch at ${total + i}`);
    }
    total += r.count;
  }
}

onNetworks('test_send_buffering', (it) => {
  it('test_send_buffering (non-blocking send on a fresh connection): the whole 50 MiB buffer is taken, the next send fails with WSAEWOULDBLOCK; after closesocket the peer reads all of it, then 0', async (w) => {
    const data = patterned(BUFFER_SIZE);
    const { client, server } = await tcpPair(w);
    nonBlocking(w, client);
    nonBlocking(w, server);
    let sentSize = 0;
    let r: ReturnType<typeof send>;
    while ((r = send(w, server, data)).ret === 0) {
      assert.equal(r.sent, BUFFER_SIZE, 'each successful send takes the whole buffer');
      sentSize += r.sent;
    }
    assert.equal(errorName(r.err), 'WSAEWOULDBLOCK');
    assert.ok(sentSize > 0);
    close(w, server);
    const got = await readAll(w, client, new Uint8Array(BUFFER_SIZE));
    assert.equal(got, sentSize);
    close(w, client);
  });

  it('test_send_buffering (the sender shuts down both ways and closes before the data is sent): the peer still reads all of it, then 0', async (w) => {
    const data = patterned(BUFFER_SIZE);
    const { client, server } = await tcpPair(w);
    nonBlocking(w, client);
    nonBlocking(w, server);
    // Wine's test_send_buffering_thread, run inline.
    let sentSize = 0;
    let r: ReturnType<typeof send>;
    while ((r = send(w, server, data)).ret === 0) {
      assert.equal(r.sent, BUFFER_SIZE);
      sentSize += r.sent;
    }
    assert.equal(errorName(r.err), 'WSAEWOULDBLOCK');
    assert.ok(sentSize > 0);
    assert.equal(shutdown(w, server, SD_BOTH).ret, 0);
    close(w, server);
    const got = await readAll(w, client, new Uint8Array(BUFFER_SIZE));
    assert.equal(got, sentSize);
    close(w, client);
  });
});

// ---- test_send (the non-overlapped part) ----------------------------------------------------

onNetworks('test_send', (it) => {
  it('test_send (a blocking send of 1 MiB while the peer drains): it returns 1 MiB, and the peer reads every byte in order', async (w) => {
    const size = 1024 * 1024;
    const buffer = new Uint8Array(size);
    for (let i = 0; i < size; i++) buffer[i] = i & 0xff;
    const { client: src, server: dst } = await tcpPair(w);
    const r = send(w, src, buffer);
    assert.deepEqual([r.ret, r.sent], [0, size], `send: ${errorName(r.err)}`);
    nonBlocking(w, dst);
    let got = 0;
    const into = new Uint8Array(65536);
    while (got < size) {
      let x = recvInto(w, dst, into);
      if (x.ret === SOCKET_ERROR && x.err === WSAEWOULDBLOCK) {
        await w.settle(() => {
          x = recvInto(w, dst, into);
          return !(x.ret === SOCKET_ERROR && x.err === WSAEWOULDBLOCK);
        }, 'more data');
      }
      assert.equal(x.ret, 0, `recv: ${errorName(x.err)}`);
      for (let i = 0; i < x.count; i++) if (into[i] !== ((got + i) & 0xff)) assert.fail(`bad data at ${got + i}`);
      got += x.count;
    }
    assert.equal(got, size);
    close(w, src);
    close(w, dst);
  });
});

// ---- test_empty_recv and test_timeout (the non-overlapped rows) ----------------------------

onNetworks('test_empty_recv', (it) => {
  it('test_empty_recv (non-overlapped rows): with data waiting, a zero-length recv returns 0 and leaves the data; recv then reads it', async (w) => {
    const { client, server } = await tcpPair(w);
    assert.equal(send(w, server, enc('data\0')).sent, 5);
    // Wine waits for the data with a pending zero-length overlapped WSARecv; here a zero-length
    // receive on a non-blocking socket reports WSAEWOULDBLOCK until there is something to read.
    nonBlocking(w, client);
    await w.settle(() => recv(w, client, 0).ret === 0, 'the data');
    nonBlocking(w, client, false);
    const empty = recv(w, client, 0);
    assert.deepEqual([empty.ret, empty.bytes.length], [0, 0]);
    const r = await syncRecv(w, client, 5);
    assert.equal(r.ret, 0);
    assert.equal(dec(r.bytes), 'data\0');
    close(w, client);
    close(w, server);
  });
});

onNetworks('test_timeout', (it) => {
  it('test_timeout (non-overlapped rows): SO_RCVTIMEO reads 0, then 100; recv and WSARecv fail with WSAETIMEDOUT and leave the count alone', async (w) => {
    const { client, server } = await tcpPair(w);
    assert.equal(getInt(w, client, SOL_SOCKET, SO_RCVTIMEO).value, 0);
    assert.equal(setInt(w, client, SOL_SOCKET, SO_RCVTIMEO, 100).ret, 0);
    assert.equal(getInt(w, client, SOL_SOCKET, SO_RCVTIMEO).value, 100);
    const t0 = w.net!.now();
    expectFailure('recv', recv(w, client, 1), WSAETIMEDOUT);
    assert.equal(w.net!.now() - t0, 100, 'after 100 ms of virtual time');
    const size = { value: 0xdeadbeef };
    const buf = new Uint8Array(1);
    const r = call((e) => w.p.WSPRecv(client, [{ len: 1, buf }], 1, size, { value: 0 }, null, null, null, e));
    expectFailure('WSARecv', r, WSAETIMEDOUT);
    assert.equal(size.value, 0xdeadbeef, 'the count is not written');
    close(w, client);
    close(w, server);
  }, { virtualOnly: 'a blocking receive cannot wait on the thread that runs the host network (it reports WSAEWOULDBLOCK)' });
});
