/**
 * Ports of Wine's ws2_32 tests (dlls/ws2_32/tests/sock.c) for ConnectEx: the ConnectEx half of
 * test_connect (Wine has no test_ConnectEx of its own), the ConnectEx rows of
 * test_connecting_socket, test_connect_completion_port and test_AcceptEx, and the rules of
 * docs/overlapped.md "ConnectEx" (SO_UPDATE_CONNECT_CONTEXT, SO_CONNECT_TIME, closing, failing),
 * each named after its row or rule. Facts in brackets are docs/research/wine-overlapped-facts.md's.
 */
import assert from 'node:assert/strict';
import {
  ERROR_CONNECTION_REFUSED, ERROR_INVALID_PARAMETER, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS,
  INVALID_SOCKET, SOCK_DGRAM, SOL_SOCKET, SO_CONNECT_TIME,
  SO_UPDATE_CONNECT_CONTEXT, STATUS_CANCELLED, STATUS_CONNECTION_ABORTED, STATUS_CONNECTION_REFUSED, STATUS_PENDING, STATUS_SUCCESS,
  WAIT_TIMEOUT, WSAEADDRNOTAVAIL, WSAEALREADY, WSAECONNREFUSED, WSAEFAULT, WSAEINVAL, WSAEISCONN, WSAENOTCONN,
  WSAENOTSOCK, WSAEWOULDBLOCK, WSAEvent, WSAID_ACCEPTEX_BYTES, WSAID_CONNECTEX_BYTES, WSA_IO_PENDING,
  noPortNotification, slotSize, statusToWin32,
  type AcceptExFn, type ConnectExFn, type SockAddr, type WSAOVERLAPPED,
} from '../../src/index.js';
import {
  addr, call, expectErr, getInt, listener, nameOf, nonBlocking, ok, onNetworks, recv, socket, tcpPair, type World,
} from './harness.js';
import { DEADBEEF, acceptNow, completed, extension, gqcs, overlapped, result, until } from './extension-helpers.js';

/** ConnectEx: the BOOL and the last error. */
function connectEx(fn: ConnectExFn, s: number, at: SockAddr, data: Uint8Array | null, ov: WSAOVERLAPPED | null) {
  const err = { value: 0 };
  const ret = fn(s, at, 16, data, data?.length ?? 0, { value: DEADBEEF }, ov as WSAOVERLAPPED, err);
  return { ret, err: err.value };
}

/** A stream socket bound to 127.0.0.1, any port ("ConnectEx needs a bound socket"). */
function bound(w: World): number {
  const s = socket(w);
  ok('bind', (e) => w.p.WSPBind(s, addr(w.loopback4, 0), 16, e));
  return s;
}

/** A synchronous failure: FALSE with `code`, Internal STATUS_PENDING, InternalHigh untouched [93]. */
function expectRefused(r: { ret: number; err: number }, code: number, ov: WSAOVERLAPPED, what: string): void {
  assert.deepEqual(r, { ret: 0, err: code }, what);
  assert.equal(ov.Internal, STATUS_PENDING, `${what}: Internal`);
  assert.equal(ov.InternalHigh, DEADBEEF, `${what}: InternalHigh`);
}

function setup(w: World): { l: number; at: SockAddr; cx: ConnectExFn } {
  const { s: l, at } = listener(w, 5);
  nonBlocking(w, l);
  return { l, at, cx: extension<ConnectExFn>(w, socket(w), WSAID_CONNECTEX_BYTES) };
}

/** A port nothing listens on (Wine: htons(1) on 127.0.0.1). */
function nobody(w: World): SockAddr {
  return addr(w.loopback4, 1);
}

onNetworks('test_connect (ConnectEx)', (it) => {
  it('test_connect: connect() and ConnectEx on a listener are WSAEINVAL; Internal STATUS_PENDING, InternalHigh untouched [93]', (w) => {
    const { l, at, cx } = setup(w);
    expectErr(call((e) => w.p.WSPConnect(l, at, 16, null, null, null, null, e)), WSAEINVAL, 'connect(listener)');
    const ov = overlapped();
    expectRefused(connectEx(cx, l, at, null, ov), WSAEINVAL, ov, 'ConnectEx(listener)');
  });

  it('test_connect: ConnectEx on INVALID_SOCKET is WSAENOTSOCK; on an unbound socket WSAEINVAL ("ConnectEx needs a bound socket")', (w) => {
    const { at, cx } = setup(w);
    const ov = overlapped();
    expectRefused(connectEx(cx, INVALID_SOCKET, at, null, ov), WSAENOTSOCK, ov, 'ConnectEx(INVALID_SOCKET)');
    const s = socket(w);
    expectRefused(connectEx(cx, s, at, null, ov), WSAEINVAL, ov, 'ConnectEx(unbound)');
    assert.equal(w.p.inspect(s)?.phase, 'open', 'nothing changed');
  });

  it('test_connect: ConnectEx with a NULL OVERLAPPED is ERROR_INVALID_PARAMETER', (w) => {
    const { at, cx } = setup(w);
    const s = bound(w);
    assert.deepEqual(connectEx(cx, s, at, null, null), { ret: 0, err: ERROR_INVALID_PARAMETER });
    assert.equal(w.p.inspect(s)?.phase, 'bound');
  });

  it('test_connect: ConnectEx pends (FALSE, ERROR_IO_PENDING); the event is signalled and GetOverlappedResult gives TRUE with 0 bytes', async (w) => {
    const { l, at, cx } = setup(w);
    const s = bound(w);
    const ov = overlapped();
    assert.deepEqual(connectEx(cx, s, at, null, ov), { ret: 0, err: WSA_IO_PENDING });
    assert.equal(ov.Internal, STATUS_PENDING);
    await completed(w, ov);
    assert.equal((ov.hEvent as WSAEvent).signaled, true);
    assert.deepEqual(result(w, s, ov), { ret: 1, err: 0, bytes: 0 });
    assert.equal(ov.Internal, STATUS_SUCCESS);
    await until(w, () => acceptNow(w, l), 'the accept');
  });

  it('test_connect: ConnectEx with 3 bytes of send data reports 3 bytes sent; the peer receives "123" though the buffer was cleared after the call', async (w) => {
    const { l, at, cx } = setup(w);
    const s = bound(w);
    const ov = overlapped();
    const buffer = new Uint8Array([0x31, 0x32, 0x33]);
    assert.deepEqual(connectEx(cx, s, at, buffer, ov), { ret: 0, err: WSA_IO_PENDING });
    buffer.fill(0); // memset(buffer, 0, 3) right after the call
    await completed(w, ov);
    assert.deepEqual(result(w, s, ov), { ret: 1, err: 0, bytes: 3 });
    const a = await until(w, () => acceptNow(w, l), 'the accept');
    const got = await until(w, () => {
      const r = recv(w, a, 3);
      return r.ret === 0 && r.bytes.length === 3 ? r.bytes : undefined;
    }, 'the data');
    assert.deepEqual([...got], [0x31, 0x32, 0x33]);
  });

  it('test_connect: on a socket ConnectEx connected, connect() is WSAEINVAL and ConnectEx WSAEISCONN; on its accepted peer both are WSAEISCONN', async (w) => {
    const { l, at, cx } = setup(w);
    const s = bound(w);
    const ov = overlapped();
    assert.deepEqual(connectEx(cx, s, at, null, ov), { ret: 0, err: WSA_IO_PENDING });
    await completed(w, ov);
    const a = await until(w, () => acceptNow(w, l), 'the accept');
    // Windows' value; Wine gives WSAEISCONN (todo_wine).
    expectErr(call((e) => w.p.WSPConnect(s, at, 16, null, null, null, null, e)), WSAEINVAL, 'connect(connector)');
    expectErr(call((e) => w.p.WSPConnect(a, at, 16, null, null, null, null, e)), WSAEISCONN, 'connect(acceptor)');
    const ov2 = overlapped();
    expectRefused(connectEx(cx, s, at, null, ov2), WSAEISCONN, ov2, 'ConnectEx(connector)');
    const ov3 = overlapped();
    expectRefused(connectEx(cx, a, at, null, ov3), WSAEISCONN, ov3, 'ConnectEx(acceptor)');
  });

  it('test_connect: on a tcp_socketpair connect() and ConnectEx are WSAEISCONN on both ends', async (w) => {
    const { at, cx } = setup(w);
    const { client, server } = await tcpPair(w);
    for (const s of [client, server]) {
      expectErr(call((e) => w.p.WSPConnect(s, at, 16, null, null, null, null, e)), WSAEISCONN, 'connect');
      const ov = overlapped();
      expectRefused(connectEx(cx, s, at, null, ov), WSAEISCONN, ov, 'ConnectEx');
    }
  });

  it('test_connect: ConnectEx to a port nobody listens on pends, then fails: ERROR_CONNECTION_REFUSED (Internal STATUS_CONNECTION_REFUSED)', async (w) => {
    const { cx } = setup(w);
    const s = bound(w);
    const ov = overlapped();
    assert.deepEqual(connectEx(cx, s, nobody(w), null, ov), { ret: 0, err: WSA_IO_PENDING });
    await completed(w, ov);
    assert.equal(ov.Internal, STATUS_CONNECTION_REFUSED);
    assert.equal(statusToWin32(ov.Internal), ERROR_CONNECTION_REFUSED);
    assert.deepEqual(result(w, s, ov), { ret: 0, err: WSAECONNREFUSED, bytes: 0 });
  });
});

onNetworks('test_connecting_socket (ConnectEx)', (it) => {
  it('test_connecting_socket: ConnectEx on a socket connect() is connecting is WSAEINVAL (connect() again: WSAEALREADY); getpeername answers', (w) => {
    const { at, cx } = setup(w);
    const s = socket(w);
    nonBlocking(w, s);
    ok('bind', (e) => w.p.WSPBind(s, addr('0.0.0.0', 0), 16, e));
    // Checked before the network runs: the handshake has not finished.
    expectErr(call((e) => w.p.WSPConnect(s, at, 16, null, null, null, null, e)), WSAEWOULDBLOCK, 'connect');
    expectErr(call((e) => w.p.WSPConnect(s, at, 16, null, null, null, null, e)), WSAEALREADY, 'connect again');
    const ov = overlapped();
    expectRefused(connectEx(cx, s, at, null, ov), WSAEINVAL, ov, 'ConnectEx');
    assert.notEqual(nameOf(w, s).port, 0);
    ok('getpeername', (e) => w.p.WSPGetPeerName(s, { family: 0, address: '', port: 0 }, { value: 16 }, e));
  });

  it('test_connecting_socket: while ConnectEx is pending, connect() and a second ConnectEx are WSAEINVAL, getsockname has a port, getpeername is WSAENOTCONN', (w) => {
    const { at, cx } = setup(w);
    const s = socket(w);
    nonBlocking(w, s);
    ok('bind', (e) => w.p.WSPBind(s, addr('0.0.0.0', 0), 16, e));
    const ov = overlapped();
    assert.deepEqual(connectEx(cx, s, at, null, ov), { ret: 0, err: WSA_IO_PENDING });
    expectErr(call((e) => w.p.WSPConnect(s, at, 16, null, null, null, null, e)), WSAEINVAL, 'connect');
    const ov2 = overlapped();
    expectRefused(connectEx(cx, s, at, null, ov2), WSAEINVAL, ov2, 'ConnectEx again');
    assert.notEqual(nameOf(w, s).port, 0);
    expectErr(call((e) => w.p.WSPGetPeerName(s, { family: 0, address: '', port: 0 }, { value: 16 }, e)), WSAENOTCONN, 'getpeername');
  });
});

onNetworks('test_connect_completion_port (ConnectEx)', (it) => {
  it('test_connect_completion_port: ConnectEx queues a completion: TRUE, key 0, 0 bytes (3 with send data), &ov [62]', async (w) => {
    const { l, at, cx } = setup(w);
    for (const data of [null, new Uint8Array([0x6f, 0x6e, 0x65])]) {
      const s = bound(w);
      const port = w.p.CreateIoCompletionPort(s, null, 0, 0, { value: 0 })!;
      const ov = overlapped();
      assert.deepEqual(connectEx(cx, s, at, data, ov), { ret: 0, err: WSA_IO_PENDING });
      await completed(w, ov);
      assert.deepEqual(result(w, s, ov), { ret: 1, err: 0, bytes: data?.length ?? 0 });
      await until(w, () => acceptNow(w, l), 'the accept');
      const p = gqcs(port);
      assert.deepEqual([p.ret, p.key, p.bytes, p.ov === ov], [1, 0, data?.length ?? 0, true]);
    }
  });

  it('test_connect_completion_port: the low bit of hEvent keeps the completion off the port; the event is signalled [61]', async (w) => {
    const { at, cx } = setup(w);
    const s = bound(w);
    const port = w.p.CreateIoCompletionPort(s, null, 0, 0, { value: 0 })!;
    const event = new WSAEvent();
    const ov = overlapped(noPortNotification(event));
    assert.deepEqual(connectEx(cx, s, at, null, ov), { ret: 0, err: WSA_IO_PENDING });
    await completed(w, ov);
    assert.equal(event.signaled, true);
    assert.deepEqual(result(w, s, ov), { ret: 1, err: 0, bytes: 0 });
    assert.deepEqual([gqcs(port).ret, gqcs(port).err], [0, WAIT_TIMEOUT]);
  });

  it('test_connect_completion_port: with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS a pending ConnectEx still queues, and so does a refusal (FALSE, ERROR_CONNECTION_REFUSED) [59, 60]', async (w) => {
    const { at, cx } = setup(w);
    for (const [to, ret, err] of [[at, 1, 0], [nobody(w), 0, ERROR_CONNECTION_REFUSED]] as const) {
      const s = bound(w);
      const port = w.p.CreateIoCompletionPort(s, null, 0, 0, { value: 0 })!;
      assert.equal(w.p.SetFileCompletionNotificationModes(s, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS), 1);
      const ov = overlapped();
      assert.deepEqual(connectEx(cx, s, to, null, ov), { ret: 0, err: WSA_IO_PENDING });
      await completed(w, ov);
      const p = gqcs(port);
      assert.deepEqual([p.ret, p.err, p.key, p.bytes, p.ov === ov], [ret, err, 0, 0, true]);
    }
  });

  it('test_connect_completion_port: connect() and a non-blocking connect() queue nothing', async (w) => {
    const { l, at } = setup(w);
    const s = socket(w);
    nonBlocking(w, s);
    const port = w.p.CreateIoCompletionPort(s, null, 0, 0, { value: 0 })!;
    expectErr(call((e) => w.p.WSPConnect(s, at, 16, null, null, null, null, e)), WSAEWOULDBLOCK, 'connect');
    await until(w, () => acceptNow(w, l), 'the accept');
    await w.settle(() => w.p.inspect(s)?.phase === 'connected', 'the connect');
    assert.deepEqual([gqcs(port).ret, gqcs(port).err], [0, WAIT_TIMEOUT]);
  });
});

onNetworks('test_AcceptEx (ConnectEx row)', (it) => {
  it('test_AcceptEx: ConnectEx on a socket an AcceptEx is accepting into is WSAEINVAL [92]', (w) => {
    const { l, at, cx } = setup(w);
    const ax = extension<AcceptExFn>(w, l, WSAID_ACCEPTEX_BYTES);
    const a = socket(w);
    const ov = overlapped();
    const slot = slotSize(2);
    assert.equal(ax(l, a, new Uint8Array(2 * slot), 0, slot, slot, null, ov, { value: 0 }), 0);
    const ov2 = overlapped();
    expectRefused(connectEx(cx, a, at, null, ov2), WSAEINVAL, ov2, 'ConnectEx(acceptor)');
  });
});

onNetworks('ConnectEx: the rules', (it) => {
  it('rule: SO_UPDATE_CONNECT_CONTEXT (optval NULL, 0) makes a ConnectEx socket an ordinary connected one: connect() is then WSAEISCONN', async (w) => {
    const { l, at, cx } = setup(w);
    const s = bound(w);
    const ov = overlapped();
    assert.deepEqual(connectEx(cx, s, at, null, ov), { ret: 0, err: WSA_IO_PENDING });
    await completed(w, ov);
    await until(w, () => acceptNow(w, l), 'the accept');
    expectErr(call((e) => w.p.WSPConnect(s, at, 16, null, null, null, null, e)), WSAEINVAL, 'connect before');
    ok('SO_UPDATE_CONNECT_CONTEXT', (e) => w.p.WSPSetSockOpt(s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, null, 0, e));
    ok('SO_UPDATE_CONNECT_CONTEXT again', (e) => w.p.WSPSetSockOpt(s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, null, 0, e));
    expectErr(call((e) => w.p.WSPConnect(s, at, 16, null, null, null, null, e)), WSAEISCONN, 'connect after');
    const peer = { family: 0, address: '', port: 0 };
    ok('getpeername', (e) => w.p.WSPGetPeerName(s, peer, { value: 16 }, e));
    assert.deepEqual(peer, at);
  });

  it('rule: SO_UPDATE_CONNECT_CONTEXT on a socket that is not connected is WSAENOTCONN; on no socket WSAENOTSOCK', (w) => {
    const s = bound(w);
    expectErr(call((e) => w.p.WSPSetSockOpt(s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, null, 0, e)), WSAENOTCONN, 'bound');
    expectErr(call((e) => w.p.WSPSetSockOpt(INVALID_SOCKET, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, null, 0, e)), WSAENOTSOCK, 'INVALID_SOCKET');
  });

  it('rule: SO_CONNECT_TIME on a ConnectEx socket is 0xffffffff while connecting, then the seconds since the connection', async (w) => {
    const { at, cx } = setup(w);
    const s = bound(w);
    const ov = overlapped();
    assert.deepEqual(connectEx(cx, s, at, null, ov), { ret: 0, err: WSA_IO_PENDING });
    assert.equal(getInt(w, s, SOL_SOCKET, SO_CONNECT_TIME).value >>> 0, 0xffffffff);
    await completed(w, ov);
    assert.equal(getInt(w, s, SOL_SOCKET, SO_CONNECT_TIME).value, 0);
    await w.pass(3000);
    assert.equal(getInt(w, s, SOL_SOCKET, SO_CONNECT_TIME).value, 3);
  }, { virtualOnly: 'counts seconds of virtual time' });

  it('rule: closing a socket with a ConnectEx pending completes it with STATUS_CONNECTION_ABORTED', (w) => {
    const { at, cx } = setup(w);
    const s = bound(w);
    const ov = overlapped();
    assert.deepEqual(connectEx(cx, s, at, null, ov), { ret: 0, err: WSA_IO_PENDING });
    ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
    assert.equal(ov.Internal, STATUS_CONNECTION_ABORTED);
    assert.equal((ov.hEvent as WSAEvent).signaled, true);
  });

  it('rule: CancelIoEx on a socket whose ConnectEx is still connecting ends it with STATUS_CANCELLED; the socket stays bound and may ConnectEx again', async (w) => {
    const { l, at, cx } = setup(w);
    const s = bound(w);
    const port = nameOf(w, s).port;
    const ov = overlapped();
    assert.deepEqual(connectEx(cx, s, at, null, ov), { ret: 0, err: WSA_IO_PENDING });
    const other = overlapped();
    assert.equal(w.p.CancelIoEx(s, other, { value: 0 }), 0, 'another OVERLAPPED matches nothing');
    assert.equal(ov.Internal, STATUS_PENDING);
    const err = { value: 0 };
    assert.equal(w.p.CancelIoEx(s, ov, err), 1, 'CancelIoEx');
    assert.equal(ov.Internal, STATUS_CANCELLED);
    assert.equal((ov.hEvent as WSAEvent).signaled, true);
    assert.equal(nameOf(w, s).port, port, 'still bound to its port');
    const ov2 = overlapped();
    assert.deepEqual(connectEx(cx, s, at, null, ov2), { ret: 0, err: WSA_IO_PENDING }, 'ConnectEx again');
    await completed(w, ov2);
    assert.equal(ov2.Internal, STATUS_SUCCESS);
    await until(w, () => acceptNow(w, l), 'the listener sees a connection');
  });

  it('rule: after a refused ConnectEx the socket is bound again and may ConnectEx again (the reference page: WSAECONNREFUSED allows another try)', async (w) => {
    const { l, at, cx } = setup(w);
    const s = bound(w);
    const ov = overlapped();
    assert.deepEqual(connectEx(cx, s, nobody(w), null, ov), { ret: 0, err: WSA_IO_PENDING });
    await completed(w, ov);
    assert.equal(ov.Internal, STATUS_CONNECTION_REFUSED);
    assert.equal(w.p.inspect(s)?.phase, 'bound');
    const ov2 = overlapped();
    assert.deepEqual(connectEx(cx, s, at, null, ov2), { ret: 0, err: WSA_IO_PENDING });
    await completed(w, ov2);
    assert.equal(ov2.Internal, STATUS_SUCCESS);
    await until(w, () => acceptNow(w, l), 'the accept');
  });

  it('rule: a datagram socket is WSAEINVAL; a name that is no sockaddr or a send buffer shorter than its length is WSAEFAULT; the wildcard WSAEADDRNOTAVAIL', (w) => {
    const { at, cx } = setup(w);
    const u = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(u, addr(w.loopback4, 0), 16, e));
    const ov = overlapped();
    expectRefused(connectEx(cx, u, at, null, ov), WSAEINVAL, ov, 'UDP');
    const s = bound(w);
    const err = { value: 0 };
    assert.equal(cx(s, 'nonsense' as never, 16, null, 0, null, ov, err), 0);
    assert.equal(err.value, WSAEFAULT);
    assert.equal(cx(s, at, 16, new Uint8Array(2), 3, null, ov, err), 0);
    assert.equal(err.value, WSAEFAULT);
    expectRefused(connectEx(cx, s, addr('0.0.0.0', at.port), null, ov), WSAEADDRNOTAVAIL, ov, 'wildcard');
    assert.equal(w.p.inspect(s)?.phase, 'bound', 'nothing changed');
  });

  it('rule: ConnectEx never throws, whatever it is given', (w) => {
    const { at, cx } = setup(w);
    const s = bound(w);
    const hostile = [undefined, null, 0, -1, NaN, 'x', {}, [], Object.freeze({ Internal: 0 }), new Proxy({}, { get: () => { throw new Error('boom'); } })];
    for (const h of hostile) {
      assert.doesNotThrow(() => cx(h as never, at, 16, null, 0, null, overlapped(), { value: 0 }));
      assert.doesNotThrow(() => cx(s, h as never, h as never, h as never, h as never, h as never, h as never, h as never));
    }
  });
});
