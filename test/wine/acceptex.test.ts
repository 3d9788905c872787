/**
 * Ports of Wine's ws2_32 tests (dlls/ws2_32/tests/sock.c) for the extension functions:
 * test_get_extension_func (its non-overlapped rows: overlapped WSPIoctl is not built yet),
 * test_AcceptEx, the AcceptEx rows of test_completion_port and test_accept_events, and the rules
 * of docs/semantics.md "AcceptEx and the backlog", each named after its row or rule. Facts in
 * brackets are docs/research/wine-overlapped-facts.md's.
 */
import assert from 'node:assert/strict';
import {
  CF_DEFER, ERROR_INVALID_PARAMETER, ERROR_OPERATION_ABORTED, FD_ACCEPT, INVALID_HANDLE_VALUE, INVALID_SOCKET,
  SIO_GET_EXTENSION_FUNCTION_POINTER, SOCK_DGRAM, SOCKET_ERROR, SOL_SOCKET, SO_CONNECT_TIME, SO_UPDATE_ACCEPT_CONTEXT,
  STATUS_BUFFER_TOO_SMALL, STATUS_CANCELLED, STATUS_PENDING, STATUS_SUCCESS, WSAEFAULT, WSAEINVAL, WSAENOTCONN, WSAENOTSOCK,
  WSATRY_AGAIN, WSAEvent, WSA_IO_PENDING, WSA_OPERATION_ABORTED, WSAID_ACCEPTEX_BYTES, WSAID_GETACCEPTEXSOCKADDRS_BYTES,
  GetQueuedCompletionStatusAsync, decodeSockAddr, guidBytes, slotSize, FUNCTION_POINTER_SIZE,
  type AcceptExFn, type FunctionPointerOut, type GetAcceptExSockaddrsFn, type WSAOVERLAPPED,
} from '../../src/index.js';
import { IPPROTO_TCP, SO_KEEPALIVE, SO_RCVBUF, TCP_NODELAY } from '../../src/index.js';
import { addr, call, expectErr, getInt, listener, nameOf, nonBlocking, ok, onNetworks, send, setInt, socket, tcpPair, type World } from './harness.js';

const DEADBEEF = 0xdeadbeef;
const SLOT = slotSize(2); // sizeof(struct sockaddr_in) + 16

function overlapped(): WSAOVERLAPPED {
  return { Internal: DEADBEEF, InternalHigh: DEADBEEF, Offset: 0, OffsetHigh: 0, hEvent: new WSAEvent() };
}

function extension<T>(w: World, s: number, guid: Uint8Array): T {
  const out: FunctionPointerOut = { value: null };
  ok('SIO_GET_EXTENSION_FUNCTION_POINTER', (e) => w.p.WSPIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, guid, 16, out as never, FUNCTION_POINTER_SIZE, { value: 0 }, null, null, null, e));
  assert.equal(typeof out.value, 'function');
  return out.value as T;
}

/** AcceptEx with Wine's usual sizes: the BOOL and the last error. */
function acceptEx(fn: AcceptExFn, l: number, a: number, buf: Uint8Array | null, recv: number, local: number, remote: number, ov: WSAOVERLAPPED | null) {
  const err = { value: 0 };
  const ret = fn(l, a, buf as Uint8Array, recv, local, remote, { value: DEADBEEF }, ov as WSAOVERLAPPED, err);
  return { ret, err: err.value };
}

function expectPending(r: { ret: number; err: number }, ov: WSAOVERLAPPED, what: string): void {
  assert.deepEqual(r, { ret: 0, err: WSA_IO_PENDING }, what);
  assert.equal(ov.Internal, STATUS_PENDING, `${what}: Internal`);
}

function expectRefused(r: { ret: number; err: number }, code: number, ov: WSAOVERLAPPED, what: string): void {
  assert.deepEqual(r, { ret: 0, err: code }, what);
  // Windows leaves STATUS_PENDING in Internal after each synchronous failure [88].
  assert.equal(ov.Internal, STATUS_PENDING, `${what}: Internal`);
}

/** A non-blocking connect to `at`; the client socket. */
function connectTo(w: World, at: ReturnType<typeof nameOf>): number {
  const c = socket(w);
  nonBlocking(w, c);
  const r = call((e) => w.p.WSPConnect(c, at, 16, null, null, null, null, e));
  assert.ok(r.ret === 0 || r.err === 10035, `connect: ${r.err}`);
  return c;
}

function result(w: World, s: number, ov: WSAOVERLAPPED) {
  const bytes = { value: DEADBEEF };
  const r = call((e) => w.p.WSPGetOverlappedResult(s, ov, bytes, false, null, e));
  return { ...r, bytes: bytes.value };
}

/**
 * The first success of `f` once the network let it happen: `f` runs until it succeeds and never
 * after (w.settle may ask its condition twice, and an accept or a receive must run only once).
 */
async function until<T>(w: World, f: () => T | undefined, what: string): Promise<T> {
  let got: T | undefined;
  await w.settle(() => (got ??= f()) !== undefined, what);
  return got!;
}

function acceptNow(w: World, l: number): number | undefined {
  const s = w.p.WSPAccept(l, null, null, null, 0, { value: 0 });
  return s === INVALID_SOCKET ? undefined : s;
}

interface Setup { l: number; at: ReturnType<typeof nameOf>; ax: AcceptExFn; sockaddrs: GetAcceptExSockaddrsFn }

function setup(w: World, backlog = 5): Setup {
  const { s: l, at } = listener(w, backlog);
  nonBlocking(w, l);
  return { l, at, ax: extension<AcceptExFn>(w, l, WSAID_ACCEPTEX_BYTES), sockaddrs: extension<GetAcceptExSockaddrsFn>(w, l, WSAID_GETACCEPTEXSOCKADDRS_BYTES) };
}

onNetworks('test_get_extension_func', (it) => {
  it('test_get_extension_func: the AcceptEx GUID succeeds, the count is sizeof(void *), the pointer goes to lpvOutBuffer.value', (w) => {
    const s = socket(w);
    const out: FunctionPointerOut = { value: null };
    const size = { value: DEADBEEF };
    const r = call((e) => w.p.WSPIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_ACCEPTEX_BYTES, 16, out as never, FUNCTION_POINTER_SIZE, size, null, null, null, e));
    assert.deepEqual(r, { ret: 0, err: 0 });
    assert.equal(size.value, FUNCTION_POINTER_SIZE);
    assert.equal(typeof out.value, 'function');
    // The same GUID names the same function each time, as a C pointer would.
    assert.equal(extension(w, s, guidBytes('{b5367df1-cbac-11cf-95ca-00805f48a192}')), out.value);
  });

  it('test_get_extension_func: a bogus GUID is WSAEINVAL, the count and the buffer untouched', (w) => {
    const s = socket(w);
    const bogus = new Uint8Array(16);
    new DataView(bogus.buffer).setUint32(0, DEADBEEF, true); // {0xdeadbeef}
    const out = { value: 'untouched' };
    const size = { value: DEADBEEF };
    const r = call((e) => w.p.WSPIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, bogus, 16, out as never, FUNCTION_POINTER_SIZE, size, null, null, null, e));
    expectErr(r, WSAEINVAL, 'bogus GUID');
    assert.equal(size.value, DEADBEEF);
    assert.equal(out.value, 'untouched');
  });

  it('rule: a GUID shorter than 16 bytes, or no room for a pointer, is WSAEFAULT', (w) => {
    const s = socket(w);
    const out: FunctionPointerOut = { value: null };
    expectErr(call((e) => w.p.WSPIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_ACCEPTEX_BYTES, 15, out as never, 4, { value: 0 }, null, null, null, e)), WSAEFAULT, 'short GUID');
    expectErr(call((e) => w.p.WSPIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_ACCEPTEX_BYTES, 16, out as never, 3, { value: 0 }, null, null, null, e)), WSAEFAULT, 'short output');
    expectErr(call((e) => w.p.WSPIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_ACCEPTEX_BYTES, 16, Object.freeze({ value: null }) as never, 4, { value: 0 }, null, null, null, e)), WSAEFAULT, 'frozen output');
    assert.equal(out.value, null);
  });
});

onNetworks('test_AcceptEx', (it) => {
  it('test_AcceptEx: synchronous failures (invalid listener or accept socket WSAENOTSOCK, not listening WSAEINVAL, NULL buffer and remote length 0 WSAEFAULT, NULL OVERLAPPED ERROR_INVALID_PARAMETER) leave Internal STATUS_PENDING [88, 89]', (w) => {
    const l = socket(w);
    ok('bind', (e) => w.p.WSPBind(l, addr(w.loopback4, 0), 16, e));
    const ax = extension<AcceptExFn>(w, l, WSAID_ACCEPTEX_BYTES);
    const a = socket(w);
    const buf = new Uint8Array(256);
    const ov = overlapped();
    expectRefused(acceptEx(ax, INVALID_SOCKET, a, buf, 0, SLOT, SLOT, ov), WSAENOTSOCK, ov, 'invalid listener');
    ov.Internal = DEADBEEF;
    expectRefused(acceptEx(ax, l, a, buf, 0, SLOT, SLOT, ov), WSAEINVAL, ov, 'a non-listening socket');
    ok('listen', (e) => w.p.WSPListen(l, 5, e));
    ov.Internal = DEADBEEF;
    expectRefused(acceptEx(ax, l, INVALID_SOCKET, buf, 0, SLOT, SLOT, ov), WSAENOTSOCK, ov, 'invalid accept socket');
    ov.Internal = DEADBEEF;
    expectRefused(acceptEx(ax, l, a, null, 0, SLOT, SLOT, ov), WSAEFAULT, ov, 'NULL buffer');
    ov.Internal = DEADBEEF;
    expectRefused(acceptEx(ax, l, a, buf, 0, SLOT, 0, ov), WSAEFAULT, ov, 'remote length 0');
    assert.deepEqual(acceptEx(ax, l, a, buf, 0, SLOT, SLOT, null), { ret: 0, err: ERROR_INVALID_PARAMETER }, 'NULL OVERLAPPED');
    assert.deepEqual(acceptEx(ax, l, a, buf, 0, 0, 0, null), { ret: 0, err: ERROR_INVALID_PARAMETER }, 'NULL OVERLAPPED, lengths 0');
    assert.equal(ov.hEvent instanceof WSAEvent && ov.hEvent.signaled, false, 'no completion indicated');
  });

  it('test_AcceptEx: a UDP, a bound or a connected accept socket is WSAEINVAL [89]', async (w) => {
    const { l, ax } = setup(w);
    const buf = new Uint8Array(256);
    const ov = overlapped();
    const udp = socket(w, SOCK_DGRAM);
    expectRefused(acceptEx(ax, l, udp, buf, 0, 0, SLOT, ov), WSAEINVAL, ov, 'UDP');
    const bound = socket(w);
    ok('bind', (e) => w.p.WSPBind(bound, addr(w.loopback4, 0), 16, e));
    ov.Internal = DEADBEEF;
    expectRefused(acceptEx(ax, l, bound, buf, 0, 0, SLOT, ov), WSAEINVAL, ov, 'bound');
    const pair = await tcpPair(w);
    for (const s of [pair.client, pair.server]) {
      ov.Internal = DEADBEEF;
      expectRefused(acceptEx(ax, l, s, buf, 0, 0, SLOT, ov), WSAEINVAL, ov, 'connected');
    }
  });

  it('test_AcceptEx: receive length 0 and local length 0 complete on connect with 0 bytes; GetAcceptExSockaddrs gives the remote address and leaves the local out-parameters untouched [90, 91]', async (w) => {
    const { l, at, ax, sockaddrs } = setup(w);
    const a = socket(w);
    const buf = new Uint8Array(256);
    const ov = overlapped();
    expectPending(acceptEx(ax, l, a, buf, 0, 0, SLOT, ov), ov, 'AcceptEx');
    const c = connectTo(w, at);
    await w.settle(() => (ov.hEvent as WSAEvent).signaled, 'the completion');
    assert.deepEqual(result(w, l, ov), { ret: 1, err: 0, bytes: 0 });
    assert.equal(ov.Internal, STATUS_SUCCESS);
    await w.settle(() => w.p.inspect(c)?.phase === 'connected', 'the connect');
    const local = { value: 'untouched' as unknown as Uint8Array | null };
    const localSize = { value: DEADBEEF };
    const remote = { value: null as Uint8Array | null };
    const remoteSize = { value: DEADBEEF };
    sockaddrs(buf, 0, 0, SLOT, local, localSize, remote, remoteSize);
    assert.equal(local.value, 'untouched');
    assert.equal(localSize.value, DEADBEEF);
    assert.equal(remoteSize.value, 16);
    assert.deepEqual(decodeSockAddr(remote.value!), nameOf(w, c));
  });

  it('test_AcceptEx: a local address length too small (3) pends, fails at connect with STATUS_BUFFER_TOO_SMALL and 0 bytes, and the connection stays for accept [91]', async (w) => {
    const { l, at, ax } = setup(w);
    const a = socket(w);
    const ov = overlapped();
    expectPending(acceptEx(ax, l, a, new Uint8Array(256), 0, 3, SLOT, ov), ov, 'AcceptEx');
    connectTo(w, at);
    await w.settle(() => (ov.hEvent as WSAEvent).signaled, 'the completion');
    assert.equal(ov.Internal, STATUS_BUFFER_TOO_SMALL);
    const r = result(w, l, ov);
    assert.equal(r.ret, 0);
    assert.equal(r.bytes, 0);
    await until(w, () => acceptNow(w, l), 'the accept');
  });

  it('test_AcceptEx: a second AcceptEx into the same socket is WSAEINVAL; connect() on it is WSAEINVAL [92]', (w) => {
    const { l, at, ax } = setup(w);
    const a = socket(w);
    const ov = overlapped();
    expectPending(acceptEx(ax, l, a, new Uint8Array(256), 0, SLOT, SLOT, ov), ov, 'AcceptEx');
    const ov2 = overlapped();
    expectRefused(acceptEx(ax, l, a, new Uint8Array(256), 0, SLOT, SLOT, ov2), WSAEINVAL, ov2, 'twice');
    expectErr(call((e) => w.p.WSPConnect(a, at, 16, null, null, null, null, e)), WSAEINVAL, 'connect');
  });

  it('test_AcceptEx: with receive data it completes only when the first data arrives, with its count; GetAcceptExSockaddrs decodes both addresses [90]', async (w) => {
    const { l, at, ax, sockaddrs } = setup(w);
    const a = socket(w);
    const buf = new Uint8Array(2 + 2 * SLOT);
    const ov = overlapped();
    expectPending(acceptEx(ax, l, a, buf, 2, SLOT, SLOT, ov), ov, 'AcceptEx');
    const c = connectTo(w, at);
    await w.settle(() => w.p.inspect(c)?.phase === 'connected', 'the connect');
    await w.pass(50);
    assert.equal((ov.hEvent as WSAEvent).signaled, false, 'not before the data');
    assert.equal(ov.Internal, STATUS_PENDING);
    assert.equal(send(w, c, new Uint8Array([0x41])).ret, 0);
    await w.settle(() => (ov.hEvent as WSAEvent).signaled, 'the completion');
    assert.equal(ov.Internal, STATUS_SUCCESS);
    assert.deepEqual(result(w, l, ov), { ret: 1, err: 0, bytes: 1 });
    assert.equal(buf[0], 0x41);
    const local = { value: null as Uint8Array | null };
    const remote = { value: null as Uint8Array | null };
    const sizes = [{ value: 0 }, { value: 0 }];
    sockaddrs(buf, 2, SLOT, SLOT, local, sizes[0]!, remote, sizes[1]!);
    assert.deepEqual(decodeSockAddr(local.value!), at);
    assert.deepEqual(decodeSockAddr(remote.value!), nameOf(w, c));
  });

  it('test_AcceptEx: SO_UPDATE_ACCEPT_CONTEXT: getsockname and getpeername on the accept socket fail before it, succeed after it', async (w) => {
    const { l, at, ax } = setup(w);
    const a = socket(w);
    const ov = overlapped();
    expectPending(acceptEx(ax, l, a, new Uint8Array(256), 0, SLOT, SLOT, ov), ov, 'AcceptEx');
    const c = connectTo(w, at);
    await w.settle(() => (ov.hEvent as WSAEvent).signaled, 'the completion');
    const name = { family: 0, address: '', port: 0 };
    expectErr(call((e) => w.p.WSPGetSockName(a, name, { value: 28 }, e)), WSAEINVAL, 'getsockname before');
    expectErr(call((e) => w.p.WSPGetPeerName(a, name, { value: 28 }, e)), WSAENOTCONN, 'getpeername before');
    const lh = new Uint8Array(4);
    new DataView(lh.buffer).setUint32(0, l, true);
    ok('SO_UPDATE_ACCEPT_CONTEXT', (e) => w.p.WSPSetSockOpt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, lh, 4, e));
    assert.deepEqual(nameOf(w, a), at);
    ok('getpeername', (e) => w.p.WSPGetPeerName(a, name, { value: 28 }, e));
    await w.settle(() => w.p.inspect(c)?.phase === 'connected', 'the connect');
    assert.deepEqual(name, nameOf(w, c));
  });

  it('rule: SO_CONNECT_TIME on a pending accept socket is 0xffffffff until a connection comes, then counts while AcceptEx waits for data', async (w) => {
    const { l, at, ax } = setup(w);
    const a = socket(w);
    const ov = overlapped();
    expectPending(acceptEx(ax, l, a, new Uint8Array(1 + 2 * SLOT), 1, SLOT, SLOT, ov), ov, 'AcceptEx');
    assert.equal(getInt(w, a, SOL_SOCKET, SO_CONNECT_TIME).value >>> 0, 0xffffffff);
    const c = connectTo(w, at);
    await w.settle(() => w.p.inspect(c)?.phase === 'connected' && getInt(w, a, SOL_SOCKET, SO_CONNECT_TIME).value >>> 0 !== 0xffffffff, 'connected');
    assert.equal(ov.Internal, STATUS_PENDING);
  });

  it('test_AcceptEx: a connection deferred with CF_DEFER goes to the AcceptEx posted next; accept() gets the later one', async (w) => {
    const { l, at, ax } = setup(w);
    const c1 = connectTo(w, at);
    await w.settle(() => w.p.inspect(c1)?.phase === 'connected', 'connect 1');
    await w.settle(() => {
      const r = call((e) => w.p.WSPAccept(l, null, null, () => CF_DEFER, 0, e));
      return r.ret === INVALID_SOCKET && r.err === WSATRY_AGAIN;
    }, 'the deferral');
    const a = socket(w);
    const ov = overlapped();
    // Pending, although the deferred connection is taken at once: the completion is already indicated.
    assert.deepEqual(acceptEx(ax, l, a, new Uint8Array(256), 0, SLOT, SLOT, ov), { ret: 0, err: WSA_IO_PENDING });
    assert.equal(send(w, c1, new TextEncoder().encode('1')).ret, 0);
    const c2 = connectTo(w, at);
    await until(w, () => acceptNow(w, l), 'accept');
    assert.equal(send(w, c2, new TextEncoder().encode('2')).ret, 0);
    await w.settle(() => (ov.hEvent as WSAEvent).signaled, 'the AcceptEx');
    assert.deepEqual(result(w, l, ov), { ret: 1, err: 0, bytes: 0 });
    const got = new Uint8Array(2);
    const n = { value: 0 };
    await until(w, () => (w.p.WSPRecv(a, [{ len: 2, buf: got }], 1, n, { value: 0 }, null, null, null, { value: 0 }) === 0 ? true : undefined), 'the data');
    assert.equal(String.fromCharCode(got[0]!), '1', 'the first client was accepted by AcceptEx');
  });

  it('test_AcceptEx: the peer closing before sending completes a receiving AcceptEx with 0 bytes', async (w) => {
    const { l, at, ax } = setup(w);
    const a = socket(w);
    const ov = overlapped();
    expectPending(acceptEx(ax, l, a, new Uint8Array(100 + 2 * SLOT), 100, SLOT, SLOT, ov), ov, 'AcceptEx');
    const c = connectTo(w, at);
    await w.settle(() => w.p.inspect(c)?.phase === 'connected', 'the connect');
    ok('closesocket', (e) => w.p.WSPCloseSocket(c, e));
    await w.settle(() => (ov.hEvent as WSAEvent).signaled, 'the completion');
    assert.deepEqual(result(w, l, ov), { ret: 1, err: 0, bytes: 0 });
  });

  it('test_AcceptEx: closing the accept socket or the listener aborts a pending AcceptEx (WSA_OPERATION_ABORTED); CancelIoEx on the accept socket does not [37, 38]', (w) => {
    const { l, ax } = setup(w);
    let a = socket(w);
    const ov = overlapped();
    expectPending(acceptEx(ax, l, a, new Uint8Array(256), 0, SLOT, SLOT, ov), ov, 'AcceptEx');
    ok('closesocket(acceptor)', (e) => w.p.WSPCloseSocket(a, e));
    assert.equal((ov.hEvent as WSAEvent).signaled, true);
    assert.equal(ov.Internal, STATUS_CANCELLED);
    assert.deepEqual(result(w, l, ov), { ret: 0, err: WSA_OPERATION_ABORTED, bytes: 0 });

    a = socket(w);
    expectPending(acceptEx(ax, l, a, new Uint8Array(256), 0, SLOT, SLOT, ov), ov, 'AcceptEx 2');
    const err = { value: 0 };
    assert.equal(w.p.CancelIoEx(a, null, err), 0, 'nothing issued on the accept socket');
    assert.equal((ov.hEvent as WSAEvent).signaled, false);
    ok('closesocket(listener)', (e) => w.p.WSPCloseSocket(l, e));
    assert.equal((ov.hEvent as WSAEvent).signaled, true);
    assert.equal(ov.Internal, STATUS_CANCELLED);
  });

  it('rule: CancelIoEx on the listener cancels its AcceptEx calls', (w) => {
    const { l, ax } = setup(w);
    const ov = overlapped();
    expectPending(acceptEx(ax, l, socket(w), new Uint8Array(256), 0, SLOT, SLOT, ov), ov, 'AcceptEx');
    assert.equal(w.p.CancelIoEx(l, ov, { value: 0 }), 1);
    assert.equal(ov.Internal, STATUS_CANCELLED);
    assert.equal((ov.hEvent as WSAEvent).signaled, true);
  });
});

onNetworks('test_completion_port (AcceptEx rows)', (it) => {
  it('test_completion_port: an AcceptEx completes to the listener\'s port with the listener\'s key, not the accept socket\'s [63, 64]', async (w) => {
    const { l, at, ax } = setup(w);
    const port = w.p.CreateIoCompletionPort(INVALID_HANDLE_VALUE, null, 0, 0, { value: 0 })!;
    w.p.CreateIoCompletionPort(l, port, 125, 0, { value: 0 });
    const a = socket(w);
    w.p.CreateIoCompletionPort(a, port, 236, 0, { value: 0 });
    const ov = overlapped();
    ov.hEvent = null;
    expectPending(acceptEx(ax, l, a, new Uint8Array(1 + 2 * SLOT), 1, SLOT, SLOT, ov), ov, 'AcceptEx');
    const c = connectTo(w, at);
    await w.settle(() => w.p.inspect(c)?.phase === 'connected', 'the connect');
    assert.equal(send(w, c, new Uint8Array([7])).ret, 0);
    const bytes = { value: 0 }, key = { value: null as unknown }, olp = { value: null as WSAOVERLAPPED | null };
    assert.equal(await GetQueuedCompletionStatusAsync(port, bytes, key, olp, 2000, { value: 0 }), 1);
    assert.deepEqual([bytes.value, key.value, olp.value === ov, ov.Internal], [1, 125, true, STATUS_SUCCESS]);
  });

  it('test_completion_port: closing the listener with an AcceptEx pending: GQCS FALSE with ERROR_OPERATION_ABORTED, key 125, 0 bytes; Internal STATUS_CANCELLED [39]', async (w) => {
    const { l, ax } = setup(w);
    const ov = overlapped();
    ov.hEvent = null;
    expectPending(acceptEx(ax, l, socket(w), new Uint8Array(256), 0, SLOT, SLOT, ov), ov, 'AcceptEx');
    // Associated after the AcceptEx was issued: the completion still goes to the port [39].
    const port = w.p.CreateIoCompletionPort(l, null, 125, 0, { value: 0 })!;
    ok('closesocket', (e) => w.p.WSPCloseSocket(l, e));
    const bytes = { value: DEADBEEF }, key = { value: null as unknown }, olp = { value: null as WSAOVERLAPPED | null }, err = { value: 0 };
    assert.equal(await GetQueuedCompletionStatusAsync(port, bytes, key, olp, 2000, err), 0);
    assert.deepEqual([err.value, bytes.value, key.value, olp.value === ov, ov.Internal], [ERROR_OPERATION_ABORTED, 0, 125, true, STATUS_CANCELLED]);
  });
});

onNetworks('AcceptEx and the backlog', (it) => {
  it('test_accept_events: a connection a posted AcceptEx takes raises no FD_ACCEPT; the next one does [71]', async (w) => {
    const { l, at, ax } = setup(w);
    const ev = new WSAEvent();
    ok('WSPEventSelect', (e) => w.p.WSPEventSelect(l, ev, FD_ACCEPT, e));
    const ov = overlapped();
    expectPending(acceptEx(ax, l, socket(w), new Uint8Array(256), 0, SLOT, SLOT, ov), ov, 'AcceptEx');
    const c1 = connectTo(w, at);
    await w.settle(() => (ov.hEvent as WSAEvent).signaled, 'the AcceptEx');
    await w.settle(() => w.p.inspect(c1)?.phase === 'connected', 'connect 1');
    await w.pass(50);
    assert.equal(ev.signaled, false, 'no FD_ACCEPT for the AcceptEx\'s connection');
    connectTo(w, at);
    await w.settle(() => ev.signaled, 'FD_ACCEPT for the next connection');
  });

  it('rule: a posted AcceptEx takes the oldest queued connection at once', async (w) => {
    const { l, at, ax } = setup(w);
    const c1 = connectTo(w, at);
    await w.settle(() => w.p.inspect(c1)?.phase === 'connected', 'connect 1');
    const c2 = connectTo(w, at);
    await w.settle(() => w.p.inspect(c2)?.phase === 'connected', 'connect 2');
    await w.settle(() => (w.p.inspect(l)?.listen?.ready ?? 0) === 2, 'both queued');
    const a = socket(w);
    const ov = overlapped();
    const buf = new Uint8Array(256);
    assert.deepEqual(acceptEx(ax, l, a, buf, 0, SLOT, SLOT, ov), { ret: 0, err: WSA_IO_PENDING });
    assert.equal((ov.hEvent as WSAEvent).signaled, true, 'completed before the call returned');
    assert.equal(ov.Internal, STATUS_SUCCESS);
    const lh = new Uint8Array(4);
    new DataView(lh.buffer).setUint32(0, l, true);
    ok('SO_UPDATE_ACCEPT_CONTEXT', (e) => w.p.WSPSetSockOpt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, lh, 4, e));
    const peer = { family: 0, address: '', port: 0 };
    ok('getpeername', (e) => w.p.WSPGetPeerName(a, peer, { value: 28 }, e));
    assert.deepEqual(peer, nameOf(w, c1), 'the oldest connection');
  });

  it('rule: each posted AcceptEx adds a place to a full backlog: backlog 1 and two AcceptEx calls take three simultaneous connections', async (w) => {
    const { l, at, ax } = setup(w, 1);
    const ovs = [overlapped(), overlapped()];
    for (const ov of ovs) expectPending(acceptEx(ax, l, socket(w), new Uint8Array(256), 0, SLOT, SLOT, ov), ov, 'AcceptEx');
    const cs = [connectTo(w, at), connectTo(w, at), connectTo(w, at)];
    await w.settle(() => cs.every((c) => w.p.inspect(c)?.phase === 'connected'), 'three connections');
    assert.ok(ovs.every((ov) => ov.Internal === STATUS_SUCCESS));
    assert.notEqual(w.p.WSPAccept(l, null, null, null, 0, { value: 0 }), INVALID_SOCKET, 'the third waits in the backlog');
    assert.equal(w.p.inspect(l)?.listen?.stats.refusedFull, 0);
  }, { virtualOnly: 'on the host network the system\'s own listen queue decides which SYN is refused' });

  it('rule: a SYN held by SO_CONDITIONAL_ACCEPT is accepted by a posted AcceptEx (it has no condition function)', async (w) => {
    const { s: l, at } = listener(w, 5);
    nonBlocking(w, l);
    ok('SO_CONDITIONAL_ACCEPT', (e) => w.p.WSPSetSockOpt(l, SOL_SOCKET, 0x3002, new Uint8Array([1, 0, 0, 0]), 4, e));
    const ax = extension<AcceptExFn>(w, l, WSAID_ACCEPTEX_BYTES);
    const c = connectTo(w, at);
    await w.pass(50);
    const ov = overlapped();
    expectPending(acceptEx(ax, l, socket(w), new Uint8Array(256), 0, SLOT, SLOT, ov), ov, 'AcceptEx');
    await w.settle(() => (ov.hEvent as WSAEvent).signaled && w.p.inspect(c)?.phase === 'connected', 'the handshake');
    assert.equal(ov.Internal, STATUS_SUCCESS);
  }, { virtualOnly: 'SO_CONDITIONAL_ACCEPT holds SYNs only on the virtual network (the host\'s kernel answers them)' });
});

void SOCKET_ERROR;

onNetworks('SO_UPDATE_ACCEPT_CONTEXT: the listener\'s context', (it) => {
  it('rule: SO_UPDATE_ACCEPT_CONTEXT gives the accept socket the listener\'s options (Microsoft: "updates the accept socket with the context of the listening socket"), once; not its non-blocking mode', async (w) => {
    const { l, at, ax } = setup(w); // the listener is non-blocking
    assert.equal(setInt(w, l, SOL_SOCKET, SO_RCVBUF, 12345).ret, 0);
    assert.equal(setInt(w, l, SOL_SOCKET, SO_KEEPALIVE, 1).ret, 0);
    assert.equal(setInt(w, l, IPPROTO_TCP, TCP_NODELAY, 1).ret, 0);
    const a = socket(w);
    const ov = overlapped();
    expectPending(acceptEx(ax, l, a, new Uint8Array(256), 0, SLOT, SLOT, ov), ov, 'AcceptEx');
    connectTo(w, at);
    await w.settle(() => ov.Internal !== STATUS_PENDING, 'the completion');
    assert.equal(getInt(w, a, SOL_SOCKET, SO_RCVBUF).value, 65536, 'its own until the update');
    const lh = new Uint8Array(4);
    new DataView(lh.buffer).setUint32(0, l, true);
    ok('SO_UPDATE_ACCEPT_CONTEXT', (e) => w.p.WSPSetSockOpt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, lh, 4, e));
    assert.equal(getInt(w, a, SOL_SOCKET, SO_RCVBUF).value, 12345);
    assert.equal(getInt(w, a, SOL_SOCKET, SO_KEEPALIVE).value, 1);
    assert.equal(getInt(w, a, IPPROTO_TCP, TCP_NODELAY).value, 1);
    assert.equal(w.p.inspect(a)?.nonBlocking, false, 'the handle keeps its blocking mode');
    // Set again, it changes nothing: the socket's own later settings stay.
    assert.equal(setInt(w, a, SOL_SOCKET, SO_RCVBUF, 8192).ret, 0);
    ok('SO_UPDATE_ACCEPT_CONTEXT again', (e) => w.p.WSPSetSockOpt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, lh, 4, e));
    assert.equal(getInt(w, a, SOL_SOCKET, SO_RCVBUF).value, 8192);
  });
});
