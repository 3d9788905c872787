/**
 * Ports of the completion-port rows of Wine's ws2_32 tests (dlls/ws2_32/tests/sock.c):
 * test_completion_port, test_iocp (iocp_async_read, iocp_async_closesocket,
 * iocp_async_read_closesocket), the completion-routine row of test_WSARecv, and the rules of
 * docs/overlapped.md "Completion ports", each named after the rule. The facts are
 * docs/research/wine-overlapped-facts.md (numbers in brackets). Rows that need AcceptEx,
 * ConnectEx or DisconnectEx (test_completion_port's accept half, test_connect_completion_port,
 * test_shutdown_completion_port) come with those functions. The last block checks
 * SetFileCompletionNotificationModes (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, fact 59) with the
 * transfer functions and ioctls.
 *
 * GetQueuedCompletionStatus is the Async form on both networks: on the virtual network it is the
 * blocking call (virtual time); the host network's thread cannot block.
 */
import assert from 'node:assert/strict';
import {
  CloseHandle, ERROR_ABANDONED_WAIT_0, ERROR_CONNECTION_ABORTED, ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_MORE_DATA,
  ERROR_NETNAME_DELETED, ERROR_NOT_FOUND, ERROR_OPERATION_ABORTED, GetQueuedCompletionStatus, GetQueuedCompletionStatusAsync,
  GetQueuedCompletionStatusEx, INVALID_HANDLE_VALUE, PostQueuedCompletionStatus, SOCK_DGRAM, SOL_SOCKET, SO_LINGER, STATUS_CANCELLED,
  STATUS_CONNECTION_ABORTED, STATUS_CONNECTION_RESET, STATUS_PENDING, WAIT_IO_COMPLETION, WAIT_TIMEOUT, WSAECONNRESET, WSAEINVAL,
  WSAEvent, WSA_IO_PENDING, WSA_OPERATION_ABORTED, noPortNotification, type CompletionPort, type LPINT, type OVERLAPPED_ENTRY,
  type WSAOVERLAPPED, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, FILE_SKIP_SET_EVENT_ON_HANDLE, FIONBIO, SIO_FLUSH, ERROR_NOT_SUPPORTED,
  WSAEMSGSIZE as W_EMSGSIZE,
} from '../../src/index.js';
import { addr, call, expectErr, nameOf, ok, onNetworks, send, socket, tcpPair, type World } from './harness.js';

const DEADBEEF = 0xdeadbeef;
const enc = (t: string) => new TextEncoder().encode(t);

function overlapped(hEvent: WSAEvent | null = null): WSAOVERLAPPED {
  return { Internal: DEADBEEF, InternalHigh: DEADBEEF, Offset: 0, OffsetHigh: 0, hEvent };
}

function createPort(w: World): CompletionPort {
  const e = { value: 0 };
  const port = w.p.CreateIoCompletionPort(INVALID_HANDLE_VALUE, null, 0, 0, e);
  assert.ok(port !== null, `CreateIoCompletionPort: ${e.value}`);
  return port;
}

function associate(w: World, s: number, port: CompletionPort, key: unknown): void {
  const e = { value: 0 };
  assert.equal(w.p.CreateIoCompletionPort(s, port, key, 0, e), port, `association: ${e.value}`);
}

/** GetQueuedCompletionStatus with Wine's 0xdeadbeef presets: the BOOL, the last error, the outs. */
async function gqcs(w: World, port: CompletionPort, ms: number) {
  const bytes = { value: DEADBEEF };
  const key = { value: DEADBEEF as unknown };
  const ov = { value: overlapped() as WSAOVERLAPPED | null };
  const err = { value: DEADBEEF };
  const ret = await GetQueuedCompletionStatusAsync(port, bytes, key, ov, ms, err);
  return { ret, err: err.value, bytes: bytes.value, key: key.value, ov: ov.value };
}

function wsaRecv(w: World, s: number, buf: Uint8Array, ov: WSAOVERLAPPED, routine: (() => void) | null = null) {
  const size = { value: DEADBEEF };
  const r = call((e) => w.p.WSPRecv(s, [{ len: buf.length, buf }], 1, size, { value: 0 }, ov, routine, null, e));
  return { ...r, size: size.value };
}

function wsaSend(w: World, s: number, bytes: Uint8Array, ov: WSAOVERLAPPED) {
  const size = { value: DEADBEEF };
  const r = call((e) => w.p.WSPSend(s, [{ len: bytes.length, buf: bytes }], 1, size, 0, ov, null, null, e));
  return { ...r, size: size.value };
}

function closeWithRst(w: World, s: number): void {
  ok('SO_LINGER', (e) => w.p.WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, new Uint8Array([1, 0, 0, 0]), 4, e));
  ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
}

function peekable(w: World, s: number): number {
  const out = new Uint8Array(4);
  const r = w.p.WSPIoctl(s, 0x4004667f /* FIONREAD */, null as never, 0, out, 4, { value: 0 }, null, null, null, { value: 0 });
  return r === 0 ? new DataView(out.buffer).getUint32(0, true) : -1;
}

/** A short real wait on the host (its thread cannot block), no time at all on the virtual network's idle queue. */
const SHORT = 200;

onNetworks('test_completion_port', (it) => {
  it('test_completion_port: the peer\'s reset while a receive pends: GQCS FALSE with ERROR_NETNAME_DELETED, the key, 0 bytes and the OVERLAPPED; Internal STATUS_CONNECTION_RESET [27, 55, 47]', async (w) => {
    const { client, server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 125);
    const ov = overlapped();
    expectErr(wsaRecv(w, server, new Uint8Array(256), ov), WSA_IO_PENDING, 'WSARecv');
    closeWithRst(w, client);
    const r = await gqcs(w, port, 1000);
    assert.deepEqual([r.ret, r.err, r.bytes, r.key, r.ov], [0, ERROR_NETNAME_DELETED, 0, 125, ov]);
    assert.equal(ov.Internal, STATUS_CONNECTION_RESET);
  });

  it('test_completion_port: nothing queued: FALSE with WAIT_TIMEOUT, *lpOverlapped NULL, the count and the key untouched [54]', async (w) => {
    const { server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 125);
    const r = await gqcs(w, port, SHORT);
    assert.deepEqual([r.ret, r.err, r.bytes, r.key, r.ov], [0, WAIT_TIMEOUT, DEADBEEF, DEADBEEF, null]);
  });

  it('test_completion_port: after the peer\'s reset a WSASend fails at once with WSAECONNRESET, the count untouched, and queues nothing [28, 29, 57]', async (w) => {
    const { client, server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 125);
    closeWithRst(w, client);
    await w.settle(() => call((e) => w.p.WSPSend(server, [{ len: 1, buf: new Uint8Array(1) }], 1, { value: 0 }, 0, null, null, null, e)).ret !== 0, 'the reset');
    const ov = overlapped();
    const s = wsaSend(w, server, new Uint8Array(8), ov);
    expectErr(s, WSAECONNRESET, 'WSASend');
    assert.equal(s.size, DEADBEEF);
    const r2 = wsaRecv(w, server, new Uint8Array(8), overlapped());
    expectErr(r2, WSAECONNRESET, 'WSARecv');
    assert.deepEqual([(await gqcs(w, port, SHORT)).err], [WAIT_TIMEOUT]);
  });

  it('test_completion_port: a successful immediate send returns 0 with the count, and still queues a packet: TRUE, 1024 bytes, the key, the OVERLAPPED, the last error untouched [7, 20, 56]', async (w) => {
    const { server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 125);
    const ov = overlapped();
    const s = wsaSend(w, server, new Uint8Array(1024), ov);
    assert.deepEqual([s.ret, s.size], [0, 1024]);
    const r = await gqcs(w, port, 0);
    assert.deepEqual([r.ret, r.err, r.bytes, r.key, r.ov], [1, DEADBEEF, 1024, 125, ov]);
  });

  it('test_completion_port: a successful immediate read (data queued) queues a packet: TRUE, 1024 bytes [6, 7]', async (w) => {
    const { client, server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 125);
    assert.equal(send(w, client, new Uint8Array(1024)).ret, 0);
    await w.settle(() => peekable(w, server) === 1024, 'the data');
    const ov = overlapped();
    const r = wsaRecv(w, server, new Uint8Array(1024), ov);
    assert.deepEqual([r.ret, r.size], [0, 1024]);
    const q = await gqcs(w, port, 0);
    assert.deepEqual([q.ret, q.bytes, q.key, q.ov], [1, 1024, 125, ov]);
  });

  it('test_completion_port: the peer\'s graceful close before the call: WSARecv returns 0 with 0 bytes, and a TRUE 0-byte packet is queued [8]', async (w) => {
    const { client, server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 125);
    ok('closesocket', (e) => w.p.WSPCloseSocket(client, e));
    await w.settle(() => closedByPeer(w, server), 'the FIN');
    const ov = overlapped();
    const r = wsaRecv(w, server, new Uint8Array(64), ov);
    assert.deepEqual([r.ret, r.size], [0, 0]);
    const q = await gqcs(w, port, 0);
    assert.deepEqual([q.ret, q.bytes, q.key, q.ov], [1, 0, 125, ov]);
  });

  it('test_completion_port: closesocket of a socket with nothing pending queues nothing [32]', async (w) => {
    const { server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 125);
    ok('closesocket', (e) => w.p.WSPCloseSocket(server, e));
    assert.equal((await gqcs(w, port, SHORT)).err, WAIT_TIMEOUT);
  });

  it('test_completion_port: an operation posted before the association completes to the port too (the association is read at completion) [39]', async (w) => {
    const { client, server } = await tcpPair(w);
    const port = createPort(w);
    const ov = overlapped();
    expectErr(wsaRecv(w, server, new Uint8Array(8), ov), WSA_IO_PENDING, 'WSARecv');
    associate(w, server, port, 7);
    send(w, client, enc('abc'));
    const q = await gqcs(w, port, 1000);
    assert.deepEqual([q.ret, q.bytes, q.key, q.ov], [1, 3, 7, ov]);
  });
});

/** The peer's FIN arrived: a non-blocking peek reads 0 bytes. */
function closedByPeer(w: World, s: number): boolean {
  const buf = new Uint8Array(1);
  const got = { value: DEADBEEF };
  const r = call((e) => w.p.WSPRecv(s, [{ len: 1, buf }], 1, got, { value: 2 /* MSG_PEEK */ }, null, null, null, e));
  return r.ret === 0 && got.value === 0;
}

onNetworks('test_iocp', (it) => {
  it('iocp_async_read: a receive pends (count untouched, Internal STATUS_PENDING), nothing is queued yet; 12 bytes complete it: TRUE, 12, the key, the OVERLAPPED, Internal 0, InternalHigh 12 [1, 2, 4, 5, 54, 56]', async (w) => {
    const { client, server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 0x12345678);
    const ov = overlapped();
    const buf = new Uint8Array(256);
    const r = wsaRecv(w, server, buf, ov);
    expectErr(r, WSA_IO_PENDING, 'WSARecv');
    assert.deepEqual([r.size, ov.Internal, ov.InternalHigh], [DEADBEEF, STATUS_PENDING, DEADBEEF]);
    const none = await gqcs(w, port, 0);
    assert.deepEqual([none.ret, none.err, none.ov], [0, WAIT_TIMEOUT, null]);
    send(w, client, enc('Hello World!'));
    const q = await gqcs(w, port, 1000);
    assert.deepEqual([q.ret, q.err, q.bytes, q.key, q.ov], [1, DEADBEEF, 12, 0x12345678, ov]);
    assert.deepEqual([ov.Internal, ov.InternalHigh], [0, 12]);
    assert.equal(new TextDecoder().decode(buf.subarray(0, 12)), 'Hello World!');
    assert.equal((await gqcs(w, port, 0)).err, WAIT_TIMEOUT, 'one packet per operation');
  });

  it('iocp_async_closesocket: closing a socket with no I/O pending queues nothing [32]', async (w) => {
    const s = socket(w);
    const port = createPort(w);
    associate(w, s, port, 0x12345678);
    ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
    assert.equal((await gqcs(w, port, SHORT)).err, WAIT_TIMEOUT);
  });

  it('iocp_async_read_closesocket: closesocket with a receive pending: FALSE with ERROR_CONNECTION_ABORTED, 0 bytes, the key and OVERLAPPED, Internal STATUS_CONNECTION_ABORTED (not STATUS_CANCELLED), InternalHigh 0 [30]', async (w) => {
    const { server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 0x12345678);
    const ov = overlapped();
    expectErr(wsaRecv(w, server, new Uint8Array(256), ov), WSA_IO_PENDING, 'WSARecv');
    ok('closesocket', (e) => w.p.WSPCloseSocket(server, e));
    const q = await gqcs(w, port, 1000);
    assert.deepEqual([q.ret, q.err, q.bytes, q.key, q.ov], [0, ERROR_CONNECTION_ABORTED, 0, 0x12345678, ov]);
    assert.deepEqual([ov.Internal, ov.InternalHigh], [STATUS_CONNECTION_ABORTED, 0]);
  });
});

onNetworks('test_WSARecv (completion port)', (it) => {
  it('test_WSARecv: a completion routine on a socket associated with a completion port fails at once with WSAEINVAL, and the routine is never called [14]', async (w) => {
    const { client, server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 1);
    let calls = 0;
    const ov = overlapped();
    expectErr(wsaRecv(w, server, new Uint8Array(8), ov, () => { calls++; }), WSAEINVAL, 'WSARecv with a routine');
    assert.equal(ov.Internal, DEADBEEF, 'nothing written');
    send(w, client, enc('x'));
    await w.pass(50);
    assert.equal(w.kind === 'virtual' ? w.p.alertableWait(0) : await w.p.alertableWaitAsync(0), 0);
    assert.equal(calls, 0);
    assert.equal((await gqcs(w, port, 0)).err, WAIT_TIMEOUT);
  });
});

onNetworks('completion ports: the rules', (it) => {
  it('the "low bit" of hEvent (noPortNotification) keeps the completion off the port; the event is still reset and signaled [61]', async (w) => {
    const { client, server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 1);
    const event = new WSAEvent();
    event.set();
    const ov = overlapped(noPortNotification(event)!);
    expectErr(wsaRecv(w, server, new Uint8Array(8), ov), WSA_IO_PENDING, 'WSARecv');
    assert.equal(event.signaled, false, 'reset at the call');
    send(w, client, enc('abc'));
    await w.settle(() => ov.Internal !== STATUS_PENDING, 'the completion');
    assert.equal(event.signaled, true);
    assert.equal(ov.hEvent!.signaled, true, 'the mark reads as its event');
    assert.equal((await gqcs(w, port, 0)).err, WAIT_TIMEOUT);
    const got = { value: 0 };
    assert.equal(w.p.WSPGetOverlappedResult(server, ov, got, true, null, { value: 0 }), 1);
    assert.equal(got.value, 3);
  });

  it('PostQueuedCompletionStatus queues the caller\'s packet (TRUE, its count, key and OVERLAPPED, even null); packets come out first in, first out', async (w) => {
    const port = createPort(w);
    const ov = overlapped();
    assert.equal(PostQueuedCompletionStatus(port, 5, 'a', ov), 1);
    assert.equal(PostQueuedCompletionStatus(port, 0, 'stop', null), 1);
    const first = await gqcs(w, port, 0);
    const second = await gqcs(w, port, 0);
    assert.deepEqual([first.ret, first.bytes, first.key, first.ov], [1, 5, 'a', ov]);
    assert.deepEqual([second.ret, second.bytes, second.key, second.ov], [1, 0, 'stop', null]);
    const e = { value: 0 };
    assert.equal(PostQueuedCompletionStatus(port, -1, 0, null, e), 0);
    assert.equal(e.value, ERROR_INVALID_PARAMETER);
  });

  it('GetQueuedCompletionStatusEx takes several packets at once into OVERLAPPED_ENTRY slots, a failed operation as an entry with its status; WAIT_TIMEOUT when none', async (w) => {
    const { client, server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 9);
    const sent = overlapped();
    assert.equal(wsaSend(w, server, new Uint8Array(10), sent).ret, 0);
    const recv = overlapped();
    expectErr(wsaRecv(w, server, new Uint8Array(8), recv), WSA_IO_PENDING, 'WSARecv');
    closeWithRst(w, client);
    await w.settle(() => recv.Internal !== STATUS_PENDING, 'the reset');
    const entries: OVERLAPPED_ENTRY[] = [0, 1, 2].map(() => ({ lpCompletionKey: 0, lpOverlapped: null, Internal: 0, dwNumberOfBytesTransferred: 0 }));
    const n = { value: 0 };
    const e = { value: 0 };
    assert.equal(GetQueuedCompletionStatusEx(port, entries, 3, n, 0, false, e), 1);
    assert.equal(n.value, 2);
    assert.deepEqual(entries.slice(0, 2).map((x) => [x.lpCompletionKey, x.lpOverlapped, x.Internal, x.dwNumberOfBytesTransferred]),
      [[9, sent, 0, 10], [9, recv, STATUS_CONNECTION_RESET, 0]]);
    assert.equal(GetQueuedCompletionStatusEx(port, entries, 3, n, 0, false, e), 0);
    assert.equal(e.value, WAIT_TIMEOUT);
    assert.equal(GetQueuedCompletionStatusEx(port, entries, 0, n, 0, false, e), 0);
    assert.equal(e.value, ERROR_INVALID_PARAMETER);
  });

  it('GetQueuedCompletionStatusEx with fAlertable runs the owner thread\'s completion routines: FALSE with WAIT_IO_COMPLETION', async (w) => {
    const { client, server } = await tcpPair(w);
    const port = createPort(w);
    let ran = 0;
    const ov = overlapped();
    expectErr(wsaRecv(w, client, new Uint8Array(8), ov, () => { ran++; }), WSA_IO_PENDING, 'WSARecv');
    send(w, server, enc('x'));
    await w.settle(() => ov.Internal !== STATUS_PENDING, 'the completion');
    const entries: OVERLAPPED_ENTRY[] = [{ lpCompletionKey: 0, lpOverlapped: null, Internal: 0, dwNumberOfBytesTransferred: 0 }];
    const e = { value: 0 };
    assert.equal(GetQueuedCompletionStatusEx(port, entries, 1, { value: 0 }, 0, true, e), 0);
    assert.deepEqual([e.value, ran], [WAIT_IO_COMPLETION, 1]);
  });

  it('CloseHandle of a port ends a wait on it with ERROR_ABANDONED_WAIT_0 (lpOverlapped NULL); afterwards the port is ERROR_INVALID_HANDLE', async (w) => {
    const port = createPort(w);
    let r: Awaited<ReturnType<typeof gqcs>>;
    if (w.kind === 'host') {
      const waiting = gqcs(w, port, 5000);
      await w.pass(20);
      assert.equal(CloseHandle(port), 1);
      r = await waiting;
    } else {
      // The blocking wait runs the simulation; a WPUPostMessage upcall that runs in it closes the port.
      const upcalls = { lpWPUPostMessage: () => CloseHandle(port) === 1 };
      assert.equal(w.p.WSPStartup(0x0202, {}, null, upcalls, {}), 0);
      const { client, server } = await tcpPair(w);
      ok('WSPAsyncSelect', (e) => w.p.WSPAsyncSelect(server, 'hwnd', 0x400, 1 /* FD_READ */, e));
      send(w, client, enc('x'));
      r = await gqcs(w, port, 0xffffffff);
    }
    assert.deepEqual([r.ret, r.err, r.ov], [0, ERROR_ABANDONED_WAIT_0, null]);
    const again = await gqcs(w, port, 0);
    assert.equal(again.err, ERROR_INVALID_HANDLE);
    const e = { value: 0 };
    assert.equal(CloseHandle(port, e), 0);
    assert.equal(e.value, ERROR_INVALID_HANDLE);
  });

  it('CreateIoCompletionPort: a socket gets one port for life (ERROR_INVALID_PARAMETER); an unknown socket ERROR_INVALID_HANDLE; INVALID_HANDLE_VALUE with a port ERROR_INVALID_PARAMETER; a socket with no port makes one', async (w) => {
    const port = createPort(w);
    const s = socket(w);
    associate(w, s, port, 1);
    const e = { value: 0 };
    assert.equal(w.p.CreateIoCompletionPort(s, port, 2, 0, e), null);
    assert.equal(e.value, ERROR_INVALID_PARAMETER);
    assert.equal(w.p.CreateIoCompletionPort(0xfffff0, port, 2, 0, e), null);
    assert.equal(e.value, ERROR_INVALID_HANDLE);
    assert.equal(w.p.CreateIoCompletionPort(INVALID_HANDLE_VALUE, port, 2, 0, e), null);
    assert.equal(e.value, ERROR_INVALID_PARAMETER);
    assert.equal(w.p.CreateIoCompletionPort(s, {} as CompletionPort, 2, 0, e), null);
    assert.equal(e.value, ERROR_INVALID_HANDLE);
    const own = w.p.CreateIoCompletionPort(socket(w), null, 3, 0, e);
    assert.ok(own !== null && own !== port);
  });

  it('CancelIoEx (non-standard): the named pending operation completes with STATUS_CANCELLED, ERROR_OPERATION_ABORTED through the port, WSA_OPERATION_ABORTED through WSPGetOverlappedResult; nothing left: ERROR_NOT_FOUND [43]', async (w) => {
    const { server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 4);
    const a = overlapped();
    const b = overlapped();
    expectErr(wsaRecv(w, server, new Uint8Array(8), a), WSA_IO_PENDING, 'WSARecv a');
    expectErr(wsaRecv(w, server, new Uint8Array(8), b), WSA_IO_PENDING, 'WSARecv b');
    const e = { value: 0 };
    assert.equal(w.p.CancelIoEx(server, b, e), 1);
    assert.deepEqual([a.Internal, b.Internal, b.InternalHigh], [STATUS_PENDING, STATUS_CANCELLED, 0]);
    const q = await gqcs(w, port, 0);
    assert.deepEqual([q.ret, q.err, q.key, q.ov], [0, ERROR_OPERATION_ABORTED, 4, b]);
    const got = { value: 0 };
    const err: LPINT = { value: 0 };
    assert.equal(w.p.WSPGetOverlappedResult(server, b, got, false, null, err), 0);
    assert.equal(err.value, WSA_OPERATION_ABORTED);
    assert.equal(w.p.CancelIoEx(server, null, e), 1);
    assert.equal(a.Internal, STATUS_CANCELLED);
    assert.equal(w.p.CancelIoEx(server, null, e), 0);
    assert.equal(e.value, ERROR_NOT_FOUND);
  });

  it('WPUCompleteOverlappedRequest: with ws2_32\'s upcall, a completion without a routine goes through it (the socket, the OVERLAPPED, 0, the bytes) and the provider neither signals nor queues; a failing upcall falls back to the provider\'s own indication', async (w) => {
    const seen: [number, WSAOVERLAPPED, number, number][] = [];
    let answer = 0;
    const upcalls = {
      lpWPUCompleteOverlappedRequest: (s: number, ov: WSAOVERLAPPED, dwError: number, cb: number) => {
        seen.push([s, ov, dwError, cb]);
        return answer;
      },
    };
    assert.equal(w.p.WSPStartup(0x0202, {}, null, upcalls, {}), 0);
    const { client, server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 5);
    const event = new WSAEvent();
    const ov = overlapped(event);
    expectErr(wsaRecv(w, server, new Uint8Array(8), ov), WSA_IO_PENDING, 'WSARecv');
    send(w, client, enc('hey'));
    await w.settle(() => ov.Internal !== STATUS_PENDING, 'the completion');
    assert.deepEqual(seen, [[server, ov, 0, 3]]);
    assert.deepEqual([ov.InternalHigh, event.signaled], [3, false], 'InternalHigh written before the upcall; the event is ws2_32\'s to signal');
    assert.equal((await gqcs(w, port, 0)).err, WAIT_TIMEOUT);
    answer = -1;
    const ov2 = overlapped(event);
    const r = wsaSend(w, server, new Uint8Array(4), ov2);
    assert.equal(r.ret, 0);
    assert.equal(seen.length, 2);
    assert.equal(event.signaled, true, 'the upcall failed: the provider signals');
    const q = await gqcs(w, port, 0);
    assert.deepEqual([q.ret, q.bytes, q.ov], [1, 4, ov2]);
  });

  it('a truncated datagram completes to the port as FALSE with ERROR_MORE_DATA and the bytes delivered', async (w) => {
    const u = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(u, addr(w.loopback4, 0), 16, e));
    const to = nameOf(w, u);
    const port = createPort(w);
    associate(w, u, port, 6);
    const ov = overlapped();
    expectErr(wsaRecv(w, u, new Uint8Array(4), ov), WSA_IO_PENDING, 'WSARecv');
    const v = socket(w, SOCK_DGRAM);
    ok('sendto', (e) => w.p.WSPSendTo(v, [{ len: 10, buf: new Uint8Array(10) }], 1, { value: 0 }, 0, to, 16, null, null, null, e));
    const q = await gqcs(w, port, 1000);
    assert.deepEqual([q.ret, q.err, q.bytes, q.key, q.ov], [0, ERROR_MORE_DATA, 4, 6, ov]);
  });

  it('every exported completion-port function survives hostile arguments: FALSE or null with a code, nothing thrown, nothing dequeued', async (w) => {
    const port = createPort(w);
    PostQueuedCompletionStatus(port, 1, 'kept', null);
    const hostile: unknown[] = [undefined, null, 0, 'x', {}, [], Object.freeze({ value: 0 }), new Proxy({}, { get() { throw new Error('x'); }, set() { throw new Error('x'); } })];
    for (const h of hostile) {
      const e = { value: 0 };
      // {} and [] are writable objects: as out-parameters they make a valid call, which takes the packet.
      const outOk = typeof h === 'object' && h !== null && !Object.isFrozen(h) && (Array.isArray(h) || Object.getPrototypeOf(h) === Object.prototype);
      assert.doesNotThrow(() => GetQueuedCompletionStatus(h as never, { value: 0 }, { value: 0 }, { value: null }, 0, e));
      if (!outOk) assert.doesNotThrow(() => GetQueuedCompletionStatus(port, h as never, { value: 0 }, { value: null }, 0, e));
      // 0 and -1 are time-outs (no wait, INFINITE): a valid call that would take the packet.
      if (h !== 0) assert.doesNotThrow(() => GetQueuedCompletionStatus(port, { value: 0 }, { value: 0 }, { value: null }, h as never, e));
      assert.doesNotThrow(() => GetQueuedCompletionStatusEx(port, h as never, 1, { value: 0 }, 0, false, e));
      assert.doesNotThrow(() => PostQueuedCompletionStatus(h as never, 0, 0, null, e));
      assert.doesNotThrow(() => CloseHandle(h as never, e));
      assert.doesNotThrow(() => w.p.CreateIoCompletionPort(h as never, h as never, 0, 0, e));
      assert.doesNotThrow(() => w.p.CancelIoEx(h as never, null, e));
    }
    const q = await gqcs(w, port, 0);
    assert.deepEqual([q.ret, q.key], [1, 'kept'], 'the packet survived every refused call');
  });
});

onNetworks('SetFileCompletionNotificationModes', (it) => {
  /** The modes libuv sets on every socket it associates with its loop's port. */
  const LIBUV_MODES = FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE;

  function skipOnSuccess(w: World, s: number, flags = FILE_SKIP_COMPLETION_PORT_ON_SUCCESS): void {
    const e = { value: 0 };
    assert.equal(w.p.SetFileCompletionNotificationModes(s, flags, e), 1, `SetFileCompletionNotificationModes: ${e.value}`);
  }

  it('FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: a send and a receive that succeed at once (return 0) queue no packet; the OVERLAPPED is written and the event signaled all the same [59]', async (w) => {
    const { client, server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 125);
    skipOnSuccess(w, server, LIBUV_MODES);
    const event = new WSAEvent();
    const ov = overlapped(event);
    const sent = wsaSend(w, server, new Uint8Array(1024), ov);
    assert.equal(sent.ret, 0, `WSASend (error ${sent.err})`);
    assert.equal(sent.size, 1024);
    assert.equal(ov.Internal, 0);
    assert.equal(ov.InternalHigh, 1024);
    assert.equal(event.signaled, true, 'the OVERLAPPED\'s event is still signaled');
    assert.equal((await gqcs(w, port, 0)).err, WAIT_TIMEOUT, 'no packet for the send');
    send(w, client, new Uint8Array(1024));
    await w.settle(() => peekable(w, server) === 1024, 'the data');
    const ov2 = overlapped();
    const got = wsaRecv(w, server, new Uint8Array(1024), ov2);
    assert.equal(got.ret, 0, `WSARecv (error ${got.err})`);
    assert.equal(got.size, 1024);
    assert.equal(ov2.InternalHigh, 1024);
    assert.equal((await gqcs(w, port, 0)).err, WAIT_TIMEOUT, 'no packet for the receive');
  });

  it('FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: an operation that pends still queues its packet, on success and on failure (the peer\'s reset: ERROR_NETNAME_DELETED) [59, 60]', async (w) => {
    const { client, server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 125);
    skipOnSuccess(w, server);
    const ov = overlapped();
    const buf = new Uint8Array(64);
    expectErr(wsaRecv(w, server, buf, ov), WSA_IO_PENDING, 'WSARecv');
    send(w, client, enc('Hello World!'));
    let p = await gqcs(w, port, SHORT);
    assert.equal(p.ret, 1, `GQCS (error ${p.err})`);
    assert.equal(p.bytes, 12);
    assert.equal(p.key, 125);
    assert.equal(p.ov, ov);
    const ov2 = overlapped();
    expectErr(wsaRecv(w, server, buf, ov2), WSA_IO_PENDING, 'WSARecv again');
    closeWithRst(w, client);
    p = await gqcs(w, port, SHORT);
    assert.equal(p.ret, 0);
    assert.equal(p.err, ERROR_NETNAME_DELETED);
    assert.equal(p.ov, ov2);
    assert.equal(ov2.Internal, STATUS_CONNECTION_RESET);
  });

  it('FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: a datagram truncated at once (the call returns WSAEMSGSIZE, no success) still queues its packet: FALSE with ERROR_MORE_DATA', async (w) => {
    const a = socket(w, SOCK_DGRAM);
    const b = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(b, addr(w.loopback4, 0), 16, e));
    const port = createPort(w);
    associate(w, b, port, 7);
    skipOnSuccess(w, b);
    const to = w.p.inspect(b)!.local!;
    ok('sendto', (e) => w.p.WSPSendTo(a, [{ len: 10, buf: new Uint8Array(10) }], 1, { value: 0 }, 0, addr(w.loopback4, to.port), 16, null, null, null, e));
    await w.settle(() => peekable(w, b) > 0, 'the datagram');
    const ov = overlapped();
    expectErr(wsaRecv(w, b, new Uint8Array(4), ov), W_EMSGSIZE, 'WSARecv of 4 bytes');
    const p = await gqcs(w, port, 0);
    assert.equal(p.ret, 0);
    assert.equal(p.err, ERROR_MORE_DATA);
    assert.equal(p.bytes, 4);
  });

  it('FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: an ioctl that completes at once queues nothing; one that pends (an unsupported code) still queues its failure [59, 78, 83]', async (w) => {
    const s = socket(w);
    const port = createPort(w);
    associate(w, s, port, 123);
    skipOnSuccess(w, s);
    const ov = overlapped();
    const size = { value: DEADBEEF };
    assert.equal(w.p.WSPIoctl(s, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, size, ov, null, null, { value: 0 }), 0);
    assert.equal(ov.Internal, 0);
    assert.equal((await gqcs(w, port, 0)).err, WAIT_TIMEOUT, 'no packet for FIONBIO');
    const e = { value: 0 };
    assert.equal(w.p.WSPIoctl(s, SIO_FLUSH, null, 0, null, 0, size, ov, null, null, e), -1);
    assert.equal(e.value, WSA_IO_PENDING);
    const p = await gqcs(w, port, 0);
    assert.equal(p.ret, 0);
    assert.equal(p.err, ERROR_NOT_SUPPORTED);
    assert.equal(p.ov, ov);
  });

  it('without the mode an immediate success still queues its packet (the default) [7]; modes add up and cannot be removed (0 keeps them)', async (w) => {
    const { server } = await tcpPair(w);
    const port = createPort(w);
    associate(w, server, port, 1);
    const ov = overlapped();
    assert.equal(wsaSend(w, server, enc('x'), ov).ret, 0);
    assert.equal((await gqcs(w, port, 0)).ret, 1, 'a packet without the mode');
    skipOnSuccess(w, server, FILE_SKIP_SET_EVENT_ON_HANDLE);
    assert.equal(wsaSend(w, server, enc('x'), ov).ret, 0);
    assert.equal((await gqcs(w, port, 0)).ret, 1, 'FILE_SKIP_SET_EVENT_ON_HANDLE alone does not skip the port');
    skipOnSuccess(w, server, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS);
    skipOnSuccess(w, server, 0);
    assert.equal(wsaSend(w, server, enc('x'), ov).ret, 0);
    assert.equal((await gqcs(w, port, 0)).err, WAIT_TIMEOUT, 'still skipped after Flags 0');
  });

  it('SetFileCompletionNotificationModes: an unknown socket is ERROR_INVALID_HANDLE, a flag that is no mode ERROR_INVALID_PARAMETER; hostile arguments answer FALSE and throw nothing', (w) => {
    const s = socket(w);
    const e = { value: 0 };
    assert.equal(w.p.SetFileCompletionNotificationModes(0x7fff0000, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, e), 0);
    assert.equal(e.value, ERROR_INVALID_HANDLE);
    for (const flags of [4, 0x100, -1, 1.5, '1', null]) {
      e.value = 0;
      assert.equal(w.p.SetFileCompletionNotificationModes(s, flags as number, e), 0, `Flags ${String(flags)}`);
      assert.equal(e.value, ERROR_INVALID_PARAMETER, `Flags ${String(flags)}`);
    }
    const hostile = new Proxy({}, { get() { throw new Error('hostile'); }, set() { throw new Error('hostile'); } });
    assert.equal(w.p.SetFileCompletionNotificationModes(s, 4, hostile as LPINT), 0);
    assert.equal(w.p.SetFileCompletionNotificationModes(hostile as never, 1, null), 0);
    assert.equal(w.p.SetFileCompletionNotificationModes(s, 1), 1, 'lpErrno may be left out');
  });
});
