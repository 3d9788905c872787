/**
 * Ports of the overlapped-I/O rows of Wine's ws2_32 tests (dlls/ws2_32/tests/sock.c) that need
 * no completion port: test_WSARecv, test_simultaneous_async_recv, test_empty_recv, test_timeout,
 * test_nonblocking_async_recv, test_WSAGetOverlappedResult, the overlapped halves of test_send,
 * test_shutdown, test_read_events (test_events; more of its rows, in both event and message mode,
 * are in events.test.ts) and iocp_async_read_closesocket (test_close), the overlapped scatter of
 * test_write_watch, and the rows of test_completion_port and iocp_async_read that do not read
 * the port. The facts are
 * docs/research/wine-overlapped-facts.md (numbers in brackets below).
 *
 * Wine's OVERLAPPED starts as 0xdeadbeef where it checks "untouched"; so does ours. Wine's
 * SleepEx(t, TRUE) is `alertableWait` (virtual network) or `alertableWaitAsync` (host network,
 * whose thread cannot block). GetOverlappedResult is WSPGetOverlappedResult.
 *
 * Left out: the completion-port rows, AcceptEx/ConnectEx/DisconnectEx/TransmitFile, WSARecvMsg,
 * sockets made without WSA_FLAG_OVERLAPPED (an overlapped WSARecv there blocks the thread), the
 * socket handle as the event (hEvent NULL: GetOverlappedResult waits on Internal here), and
 * test_shutdown's "data after SD_RECEIVE completes a receive posted before it" (the provider
 * resets a connection whose data nobody may read: docs/overlapped.md, "Not built yet").
 */
import assert from 'node:assert/strict';
import {
  AF_INET, FD_READ, FD_WRITE, SD_RECEIVE, SD_SEND, SOCK_DGRAM, SOL_SOCKET, SO_LINGER, SO_RCVTIMEO, STATUS_BUFFER_OVERFLOW,
  STATUS_CANCELLED, STATUS_CONNECTION_ABORTED, STATUS_CONNECTION_RESET, STATUS_PENDING, STATUS_SUCCESS, WAIT_IO_COMPLETION,
  WSAECONNABORTED, WSAECONNRESET, WSAEDISCON, WSAEFAULT, WSAEINTR, WSAEINVAL, WSAEMSGSIZE, WSAENOTSOCK, WSAESHUTDOWN, WSAEWOULDBLOCK,
  WSAEvent, WSA_IO_INCOMPLETE, WSA_IO_PENDING, WSA_OPERATION_ABORTED, errorName, type LPINT, type WSAOVERLAPPED,
  type WSAOVERLAPPED_COMPLETION_ROUTINE, type WSATHREADID,
} from '../../src/index.js';
import { addr, call, expectErr, nameOf, nonBlocking, ok, onNetworks, recv, send, setInt, socket, tcpPair, type World } from './harness.js';

const DEADBEEF = 0xdeadbeef;
const enc = (t: string) => new TextEncoder().encode(t);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** An OVERLAPPED as Wine's tests leave it before a call: Internal and InternalHigh 0xdeadbeef. */
function overlapped(hEvent: WSAEvent | null = null): WSAOVERLAPPED {
  return { Internal: DEADBEEF, InternalHigh: DEADBEEF, Offset: 0, OffsetHigh: 0, hEvent };
}

interface Routine {
  readonly fn: WSAOVERLAPPED_COMPLETION_ROUTINE;
  readonly calls: { error: number; size: number; ov: WSAOVERLAPPED; flags: number }[];
}

function routine(): Routine {
  const calls: Routine['calls'] = [];
  return { calls, fn: (error, size, ov, flags) => calls.push({ error, size, ov, flags }) };
}

/** WSARecv with an OVERLAPPED into `bufs`; `size` starts as 0xdeadbeef (null: lpNumberOfBytesRecvd NULL). */
function wsaRecv(w: World, s: number, bufs: Uint8Array[], ov: WSAOVERLAPPED, opts: { size?: boolean; routine?: Routine; thread?: WSATHREADID } = {}) {
  const size = opts.size === false ? null : { value: DEADBEEF };
  const flags = { value: 0 };
  const r = call((e) => w.p.WSPRecv(s, bufs.map((buf) => ({ len: buf.length, buf })), bufs.length, size, flags, ov, opts.routine?.fn ?? null, opts.thread ?? null, e));
  return { ...r, size: size?.value, flags: flags.value };
}

function wsaSend(w: World, s: number, bytes: Uint8Array, ov: WSAOVERLAPPED, withSize = true) {
  const size = withSize ? { value: DEADBEEF } : null;
  const r = call((e) => w.p.WSPSend(s, [{ len: bytes.length, buf: bytes }], 1, size, 0, ov, null, null, e));
  return { ...r, size: size?.value };
}

/** WSAGetOverlappedResult: the BOOL, the error when FALSE, and lpcbTransfer / lpdwFlags (preset 0xdeadbeef). */
function result(w: World, s: number, ov: WSAOVERLAPPED, wait = false) {
  const size = { value: DEADBEEF };
  const flags = { value: DEADBEEF };
  const r = call((e) => w.p.WSPGetOverlappedResult(s, ov, size, wait, flags, e));
  return { ...r, size: size.value, flags: flags.value };
}

async function completed(w: World, ov: WSAOVERLAPPED, what = 'the completion'): Promise<void> {
  await w.settle(() => ov.Internal !== STATUS_PENDING, what);
}

/** SleepEx(ms, TRUE): the host network's thread cannot block, so it waits asynchronously there. */
async function sleepEx(w: World, ms: number, thread: WSATHREADID | null = null): Promise<number> {
  return w.kind === 'virtual' ? w.p.alertableWait(ms, thread) : w.p.alertableWaitAsync(ms, thread);
}

function closeWithRst(w: World, s: number): void {
  ok('SO_LINGER', (e) => w.p.WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, new Uint8Array([1, 0, 0, 0]), 4, e));
  ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
}

onNetworks('test_WSARecv (overlapped)', (it) => {
  it('test_WSARecv: with no data the call pends: SOCKET_ERROR and WSA_IO_PENDING, the count untouched, Internal STATUS_PENDING, InternalHigh untouched, the event reset [1, 2, 4, 12]', async (w) => {
    const { client, server } = await tcpPair(w);
    const event = new WSAEvent();
    event.set();
    const ov = overlapped(event);
    const buf = new Uint8Array(16);
    const r = wsaRecv(w, client, [buf], ov);
    expectErr(r, WSA_IO_PENDING, 'WSARecv');
    assert.equal(r.size, DEADBEEF, 'count untouched');
    assert.equal(ov.Internal, STATUS_PENDING);
    assert.equal(ov.InternalHigh, DEADBEEF, 'InternalHigh untouched while pending');
    assert.equal(event.signaled, false, 'the call resets the event');
    const pending = result(w, client, ov);
    assert.deepEqual([pending.ret, errorName(pending.err), pending.size], [0, 'WSA_IO_INCOMPLETE', DEADBEEF]);
    assert.equal(send(w, server, enc('hello')).ret, 0);
    await completed(w, ov);
    assert.equal(event.signaled, true, 'completion signals the event');
    assert.deepEqual([ov.Internal, ov.InternalHigh, ov.Offset, ov.OffsetHigh], [STATUS_SUCCESS, 5, 0, 0], 'Internal, InternalHigh; Offset untouched [5]');
    assert.equal(dec(buf.subarray(0, 5)), 'hello');
    const got = result(w, client, ov);
    assert.deepEqual([got.ret, got.size, got.flags], [1, 5, 0]);
  });

  it('test_WSARecv: with data queued the call completes at once: 0, the count written, 9 bytes scattered into 4 and 5, the event signaled [6, 10]', async (w) => {
    const { client, server } = await tcpPair(w);
    assert.equal(send(w, server, enc('deadbeefs')).ret, 0);
    await w.settle(() => peekable(w, client) === 9, 'the data');
    const event = new WSAEvent();
    const ov = overlapped(event);
    const a = new Uint8Array(4);
    const b = new Uint8Array(5);
    const r = wsaRecv(w, client, [a, b], ov);
    assert.deepEqual([r.ret, r.err, r.size], [0, 0, 9]);
    assert.deepEqual([dec(a), dec(b)], ['dead', 'beefs']);
    assert.deepEqual([ov.Internal, ov.InternalHigh, event.signaled], [0, 9, true]);
  });

  it('test_WSARecv: lpNumberOfBytesRecvd may be NULL with an OVERLAPPED, and the call still pends [3]', async (w) => {
    const { client, server } = await tcpPair(w);
    const ov = overlapped();
    expectErr(wsaRecv(w, client, [new Uint8Array(4)], ov, { size: false }), WSA_IO_PENDING, 'WSARecv');
    send(w, server, enc('ab'));
    await completed(w, ov);
    assert.deepEqual([ov.Internal, ov.InternalHigh], [0, 2]);
  });

  it('test_WSARecv: the peer\'s reset fails the pending receive: STATUS_CONNECTION_RESET, GetOverlappedResult FALSE with WSAECONNRESET and 0 bytes, the event signaled; a new overlapped receive fails at once with WSAECONNRESET, changing nothing [26, 28]', async (w) => {
    const { client, server } = await tcpPair(w);
    const event = new WSAEvent();
    const ov = overlapped(event);
    expectErr(wsaRecv(w, client, [new Uint8Array(8)], ov), WSA_IO_PENDING, 'WSARecv');
    closeWithRst(w, server);
    await completed(w, ov, 'the reset');
    assert.equal(event.signaled, true);
    assert.equal(ov.Internal, STATUS_CONNECTION_RESET);
    const got = result(w, client, ov);
    assert.deepEqual([got.ret, errorName(got.err), got.size], [0, 'WSAECONNRESET', 0]);
    const again = overlapped();
    const r = wsaRecv(w, client, [new Uint8Array(8)], again);
    expectErr(r, WSAECONNRESET, 'a receive after the reset');
    assert.deepEqual([again.Internal, again.InternalHigh, r.size], [DEADBEEF, DEADBEEF, DEADBEEF], 'nothing written: no completion will come');
    expectErr(wsaSend(w, client, enc('x'), overlapped()), WSAECONNRESET, 'WSASend after the reset [29]');
  });

  it('test_WSARecv: a completion routine runs once, only in an alertable wait (SleepEx returns WAIT_IO_COMPLETION), and hEvent is not signaled [13]', async (w) => {
    const { client, server } = await tcpPair(w);
    const event = new WSAEvent();
    const ov = overlapped(event);
    const r = routine();
    expectErr(wsaRecv(w, client, [new Uint8Array(8)], ov, { routine: r }), WSA_IO_PENDING, 'WSARecv');
    send(w, server, enc('apc'));
    await completed(w, ov);
    assert.equal(r.calls.length, 0, 'not before an alertable wait');
    assert.equal(await sleepEx(w, 1000), WAIT_IO_COMPLETION);
    assert.equal(r.calls.length, 1);
    assert.deepEqual([r.calls[0]!.error, r.calls[0]!.size, r.calls[0]!.flags], [0, 3, 0]);
    assert.equal(r.calls[0]!.ov, ov, 'the caller\'s OVERLAPPED');
    assert.equal(event.signaled, false, 'hEvent is left alone');
    assert.equal(await sleepEx(w, 0), 0, 'nothing more queued');
  });

  it('test_WSARecv: a receive that completes at once still queues its completion routine (SleepEx(0, TRUE) runs it) [79]', async (w) => {
    const { client, server } = await tcpPair(w);
    send(w, server, enc('now'));
    await w.settle(() => peekable(w, client) === 3, 'the data');
    const ov = overlapped();
    const r = routine();
    const got = wsaRecv(w, client, [new Uint8Array(8)], ov, { routine: r });
    assert.deepEqual([got.ret, got.size], [0, 3]);
    assert.equal(r.calls.length, 0);
    assert.equal(await sleepEx(w, 0), WAIT_IO_COMPLETION);
    assert.deepEqual(r.calls.map((c) => [c.error, c.size]), [[0, 3]]);
  });

  it('test_WSARecv: with ws2_32\'s WPUQueueApc the routine is queued to the initiating thread through it (a copy of the WSATHREADID), and runs when ws2_32 runs the APC', async (w) => {
    const queued: { thread: WSATHREADID; apc: (ctx: number) => void; ctx: number }[] = [];
    const upcalls = {
      lpWPUQueueApc: (thread: WSATHREADID, apc: (ctx: number) => void, ctx: number, _e: LPINT) => {
        queued.push({ thread, apc, ctx });
        return 0;
      },
    };
    assert.equal(w.p.WSPStartup(0x0202, {}, null, upcalls, {}), 0);
    const { client, server } = await tcpPair(w);
    const ov = overlapped();
    const r = routine();
    const thread = { ThreadHandle: 'thread 7', Reserved: 0 };
    expectErr(wsaRecv(w, client, [new Uint8Array(8)], ov, { routine: r, thread }), WSA_IO_PENDING, 'WSARecv');
    thread.ThreadHandle = 'changed after the call';
    send(w, server, enc('x'));
    await completed(w, ov);
    assert.equal(queued.length, 1);
    assert.equal(queued[0]!.thread.ThreadHandle, 'thread 7', 'the WSATHREADID as it was at the call');
    assert.equal(await sleepEx(w, 0), 0, 'not in the provider\'s own queue');
    queued[0]!.apc(queued[0]!.ctx);
    assert.deepEqual(r.calls.map((c) => [c.error, c.size]), [[0, 1]]);
    queued[0]!.apc(queued[0]!.ctx);
    assert.equal(r.calls.length, 1, 'an APC runs its routine once');
  });

  it('test_completion_port rows without a port: after the peer\'s graceful close an overlapped receive returns 0 at once with 0 bytes [8]', async (w) => {
    const { client, server } = await tcpPair(w);
    ok('shutdown', (e) => w.p.WSPShutdown(server, SD_SEND, e));
    nonBlocking(w, client);
    await w.settle(() => recv(w, client, 1).ret === 0, 'the FIN (a receive reads 0)');
    const ov = overlapped();
    const r = wsaRecv(w, client, [new Uint8Array(8)], ov);
    assert.deepEqual([r.ret, r.size, ov.Internal, ov.InternalHigh], [0, 0, 0, 0]);
  });
});

onNetworks('test_simultaneous_async_recv, test_empty_recv, test_timeout, test_nonblocking_async_recv', (it) => {
  it('test_simultaneous_async_recv: two pending 16-byte receives and one 32-byte send: the first gets bytes 0-15, the second 16-31 [22]', async (w) => {
    const { client, server } = await tcpPair(w);
    const msg = enc('-- Lorem ipsum dolor sit amet -\0');
    const res = new Uint8Array(32);
    const ovs = [0, 1].map(() => overlapped(new WSAEvent()));
    for (const [i, ov] of ovs.entries()) expectErr(wsaRecv(w, client, [res.subarray(i * 16, i * 16 + 16)], ov, { size: false }), WSA_IO_PENDING, `WSARecv ${i}`);
    assert.equal(send(w, server, msg).ret, 0);
    await w.settle(() => ovs.every((ov) => ov.Internal !== STATUS_PENDING), 'both completions');
    for (const ov of ovs) assert.deepEqual([result(w, client, ov).ret, result(w, client, ov).size], [1, 16]);
    assert.deepEqual(res, msg);
  });

  it('test_empty_recv: no buffers is WSAEINVAL; a zero-length buffer pends, completes with 0 bytes when data arrives without consuming it, and with data present completes at once with 0 [23]', async (w) => {
    const { client, server } = await tcpPair(w);
    const ov = overlapped(new WSAEvent());
    expectErr(call((e) => w.p.WSPRecv(client, [], 0, null, { value: 0 }, ov, null, null, e)), WSAEINVAL, 'no buffers');
    expectErr(call((e) => w.p.WSPRecv(client, [{ len: 0, buf: new Uint8Array(0) }], 0, null, { value: 0 }, ov, null, null, e)), WSAEINVAL, 'a count of 0');
    assert.equal(ov.Internal, DEADBEEF);
    expectErr(wsaRecv(w, client, [new Uint8Array(0)], ov, { size: false }), WSA_IO_PENDING, 'a zero-length receive');
    send(w, server, enc('data\0'));
    await completed(w, ov);
    const got = result(w, client, ov);
    assert.deepEqual([got.ret, got.size], [1, 0]);
    const again = wsaRecv(w, client, [new Uint8Array(0)], ov);
    assert.deepEqual([again.ret, again.size], [0, 0]);
    const r = recv(w, client, 5);
    assert.equal(dec(r.bytes), 'data\0', 'the data is still there');
  });

  it('test_timeout: SO_RCVTIMEO does not apply to an overlapped receive: still pending after 200 ms, then completes with the byte [24]', async (w) => {
    const { client, server } = await tcpPair(w);
    assert.equal(setInt(w, client, SOL_SOCKET, SO_RCVTIMEO, 100).ret, 0);
    const ov = overlapped(new WSAEvent());
    const r = wsaRecv(w, client, [new Uint8Array(1)], ov);
    expectErr(r, WSA_IO_PENDING, 'WSARecv');
    await w.pass(200);
    assert.equal(ov.Internal, STATUS_PENDING, 'still pending');
    send(w, server, enc('a'));
    await completed(w, ov);
    assert.deepEqual([result(w, client, ov).ret, result(w, client, ov).size], [1, 1]);
  });

  it('test_nonblocking_async_recv: on a non-blocking socket a plain WSARecv is WSAEWOULDBLOCK and leaves the OVERLAPPED alone; an overlapped one pends (NULL event, then an event) and completes with "data"; with data queued it completes at once [11, 12, 25]', async (w) => {
    const { client, server } = await tcpPair(w);
    nonBlocking(w, client);
    nonBlocking(w, server);
    const ov = overlapped();
    const buf = new Uint8Array(5);
    expectErr(call((e) => w.p.WSPRecv(client, [{ len: 5, buf }], 1, { value: 0 }, { value: 0 }, null, null, null, e)), WSAEWOULDBLOCK, 'plain WSARecv');
    assert.equal(ov.Internal, DEADBEEF);
    expectErr(wsaRecv(w, client, [buf], ov, { size: false }), WSA_IO_PENDING, 'NULL event');
    assert.deepEqual([ov.Internal, ov.InternalHigh], [STATUS_PENDING, DEADBEEF]);
    send(w, server, enc('data'));
    await completed(w, ov);
    assert.deepEqual([result(w, client, ov).size, dec(buf.subarray(0, 4))], [4, 'data']);
    const event = new WSAEvent();
    ov.hEvent = event;
    buf.fill(0);
    expectErr(wsaRecv(w, client, [buf], ov, { size: false }), WSA_IO_PENDING, 'with an event');
    assert.equal(event.signaled, false);
    send(w, server, enc('data'));
    await w.settle(() => event.signaled, 'the event');
    assert.deepEqual([result(w, client, ov).size, dec(buf.subarray(0, 4))], [4, 'data']);
    send(w, server, enc('data'));
    await w.settle(() => peekable(w, client) === 4, 'the data');
    buf.fill(0);
    const now = wsaRecv(w, client, [buf], ov, { size: false });
    assert.equal(now.ret, 0, 'data queued: at once');
    assert.deepEqual([result(w, client, ov).ret, result(w, client, ov).size, dec(buf.subarray(0, 4))], [1, 4, 'data']);
  });
});

onNetworks('test_WSAGetOverlappedResult', (it) => {
  it('test_WSAGetOverlappedResult: an invalid socket is WSAENOTSOCK [48]', (w) => {
    const r = result(w, 0xdeadbeef, overlapped());
    assert.deepEqual([r.ret, errorName(r.err)], [0, 'WSAENOTSOCK']);
  });

  it('test_WSAGetOverlappedResult: Internal decides: TRUE exactly for NT_SUCCESS statuses other than STATUS_PENDING, over Wine\'s status ranges; failures map as map_status does, others are WSAEINVAL [44-46]', (w) => {
    const s = socket(w);
    const ranges: [number, number][] = [[0x0, 0x10000], [0x40000000, 0x40001000], [0x80000000, 0x80001000], [0x80070000, 0x80080000],
      [0xc0000000, 0xc0001000], [0xc0070000, 0xc0080000], [0xd0000000, 0xd0001000], [0xd0070000, 0xd0080000]];
    const ov = overlapped();
    let checked = 0;
    for (const [from, to] of ranges) {
      for (let status = from; status < to; status += status < from + 0x400 ? 1 : 0x3f) {
        ov.Internal = status;
        const r = result(w, s, ov);
        const success = (status | 0) >= 0 && status !== STATUS_PENDING;
        assert.equal(r.ret, success ? 1 : 0, `status ${status.toString(16)}`);
        if (!success) assert.notEqual(r.err, 0, `status ${status.toString(16)}: an error`);
        checked++;
      }
    }
    assert.ok(checked > 5000);
    const rows: [number, number][] = [
      [STATUS_PENDING, WSA_IO_INCOMPLETE], [STATUS_BUFFER_OVERFLOW, WSAEMSGSIZE], [STATUS_CANCELLED, WSA_OPERATION_ABORTED],
      [STATUS_CONNECTION_RESET, WSAECONNRESET], [0xc000020c, WSAECONNRESET], [0xc000013c, WSAECONNRESET], [0xc000023f, WSAECONNRESET],
      [0xc000013b, WSAECONNABORTED], [STATUS_CONNECTION_ABORTED, WSAECONNABORTED], [0xc000020f, WSAECONNABORTED],
      [0xc0000236, 10061], [0xc00000bc, 10061], [0xc0000237, WSAEDISCON], [0xc00000b0, WSAESHUTDOWN], [0xc00000b5, 10060],
      [0xc0000140, 10057], [0xc00000a3, WSAEWOULDBLOCK], [0xc0000023, WSAEFAULT], [0xc00000bb, 10045], [0xc000023b, 10056],
      [0xc0000240, WSAEINTR], [0xc0000008, WSAENOTSOCK], [0xc0000206, WSAEMSGSIZE], [0xc000023d, 10065], [0xc000023c, 10051],
      [0xc0000017, 10055], [0xc000009a, 10055], [0x800703e4, WSA_IO_INCOMPLETE], [0xc00103e4, WSA_IO_INCOMPLETE], [0xc00703e4, WSA_IO_INCOMPLETE],
      [0xc0000001, WSAEINVAL], [0xd0000000, WSAEINVAL],
    ];
    for (const [status, code] of rows) {
      ov.Internal = status;
      const r = result(w, s, ov);
      assert.deepEqual([r.ret, errorName(r.err) ?? r.err], [0, errorName(code) ?? code], `status ${status.toString(16)}`);
    }
  });

  it('test_WSAGetOverlappedResult: fWait TRUE with Internal STATUS_PENDING and hEvent signaled returns TRUE at once, and the wait is not alertable (a queued routine does not run) [49]', async (w) => {
    const { client, server } = await tcpPair(w);
    const r = routine();
    const ov1 = overlapped();
    send(w, server, enc('x'));
    await w.settle(() => peekable(w, client) === 1, 'the data');
    assert.equal(wsaRecv(w, client, [new Uint8Array(1)], ov1, { routine: r }).ret, 0, 'a routine is now queued');
    const event = new WSAEvent();
    event.set();
    const ov = overlapped(event);
    ov.Internal = STATUS_PENDING;
    const got = result(w, client, ov, true);
    assert.equal(got.ret, 1);
    assert.equal(r.calls.length, 0, 'not alertable');
    assert.equal(await sleepEx(w, 0), WAIT_IO_COMPLETION);
    assert.equal(r.calls.length, 1);
  });

  it('test_write_watch: GetOverlappedResult with fWait TRUE on a pending receive waits for it and returns the count (the host network\'s thread cannot wait: WSA_IO_INCOMPLETE) [53]', async (w) => {
    const { client, server } = await tcpPair(w);
    const ov = overlapped(new WSAEvent());
    expectErr(wsaRecv(w, client, [new Uint8Array(8)], ov), WSA_IO_PENDING, 'WSARecv');
    send(w, server, enc('watch'));
    if (w.kind === 'host') {
      const r = result(w, client, ov, true);
      if (r.ret === 0) assert.equal(errorName(r.err), 'WSA_IO_INCOMPLETE');
      await completed(w, ov);
    }
    const r = result(w, client, ov, true);
    assert.deepEqual([r.ret, r.size], [1, 5]);
  });

  it('test_WSAGetOverlappedResult arguments: NULL lpOverlapped is WSAEINVAL, a look-alike or an unwritable lpcbTransfer WSAEFAULT, an hEvent that is no event WSA_INVALID_HANDLE when it must wait; lpdwFlags may be NULL [52]', (w) => {
    const s = socket(w);
    const expectFalse = (f: (e: LPINT) => number, code: number, what: string) => {
      const r = call(f);
      assert.deepEqual([r.ret, errorName(r.err)], [0, errorName(code)], what);
    };
    expectFalse((e) => w.p.WSPGetOverlappedResult(s, null as never, { value: 0 }, false, null, e), WSAEINVAL, 'NULL');
    expectFalse((e) => w.p.WSPGetOverlappedResult(s, { value: 0 } as never, { value: 0 }, false, null, e), WSAEFAULT, 'a look-alike');
    const done = overlapped();
    done.Internal = 0;
    done.InternalHigh = 3;
    expectFalse((e) => w.p.WSPGetOverlappedResult(s, done, Object.freeze({ value: 0 }), false, null, e), WSAEFAULT, 'frozen lpcbTransfer');
    const size = { value: 0 };
    assert.equal(call((e) => w.p.WSPGetOverlappedResult(s, Object.freeze({ ...done }), size, false, null, e)).ret, 1, 'a frozen OVERLAPPED is only read');
    assert.equal(size.value, 3);
    const pending = { ...overlapped(), Internal: STATUS_PENDING, hEvent: 'not an event' as never };
    expectFalse((e) => w.p.WSPGetOverlappedResult(s, pending, { value: 0 }, true, null, e), 0x6 /* WSA_INVALID_HANDLE */, 'hEvent');
  });
});

onNetworks('test_send, test_shutdown, test_close, test_events (overlapped halves)', (it) => {
  it('test_send: an overlapped WSASend that fits completes at once: 0, the count written (or NULL), Internal 0, InternalHigh the count; WSASend(INVALID_SOCKET) is WSAENOTSOCK [19, 20]', async (w) => {
    const { client, server } = await tcpPair(w);
    const ov = overlapped(new WSAEvent());
    const r = wsaSend(w, client, new Uint8Array(1024), ov);
    assert.deepEqual([r.ret, r.size, ov.Internal, ov.InternalHigh, ov.hEvent!.signaled], [0, 1024, 0, 1024, true]);
    assert.equal(wsaSend(w, client, new Uint8Array(10), overlapped(), false).ret, 0);
    expectErr(wsaSend(w, 0xfffffff0, new Uint8Array(1), overlapped()), WSAENOTSOCK, 'INVALID_SOCKET');
    await w.settle(() => peekable(w, server) === 1034, 'the bytes');
  });

  it('test_send: an overlapped WSASend that does not fit the send buffer pends, completes only whole, and later sends (overlapped or not) follow it in order [18]', async (w) => {
    const { client, server } = await tcpPair(w);
    nonBlocking(w, client);
    let filled = 0;
    const chunk = new Uint8Array(65536).fill(1);
    for (let i = 0; i < 4096; i++) {
      const r = send(w, client, chunk);
      if (r.ret !== 0) {
        assert.equal(errorName(r.err), 'WSAEWOULDBLOCK');
        break;
      }
      filled += r.sent;
    }
    assert.ok(filled > 0);
    const big = new Uint8Array(100000).fill(2);
    const ov = overlapped(new WSAEvent());
    const r = wsaSend(w, client, big, ov);
    expectErr(r, WSA_IO_PENDING, 'WSASend');
    assert.equal(r.size, DEADBEEF);
    const ov2 = overlapped(new WSAEvent());
    expectErr(wsaSend(w, client, enc('tail'), ov2), WSA_IO_PENDING, 'the second WSASend queues behind');
    expectErr(send(w, client, enc('!')), WSAEWOULDBLOCK, 'a plain non-blocking send does not jump the queue');
    const want = filled + big.length + 4;
    const got: number[] = [];
    nonBlocking(w, server);
    await pump(w, () => {
      for (;;) {
        const x = recv(w, server, 65536);
        if (x.ret !== 0 || x.bytes.length === 0) break;
        for (const b of x.bytes) got.push(b);
      }
      return got.length >= want && ov2.Internal !== STATUS_PENDING;
    }, 'every byte');
    assert.deepEqual([ov.Internal, ov.InternalHigh, ov2.Internal, ov2.InternalHigh], [0, big.length, 0, 4]);
    assert.equal(result(w, client, ov).size, big.length);
    assert.ok(got.slice(0, filled).every((b) => b === 1) && got.slice(filled, filled + big.length).every((b) => b === 2), 'in posting order');
    assert.equal(dec(new Uint8Array(got.slice(filled + big.length))), 'tail');
  });

  it('test_shutdown: the peer\'s graceful close completes a pending receive with 0 bytes (GetOverlappedResult TRUE, size 0); after SD_RECEIVE new receives, overlapped or not, fail at once with WSAESHUTDOWN [33, 34]', async (w) => {
    const { client, server } = await tcpPair(w);
    const ov = overlapped(new WSAEvent());
    expectErr(wsaRecv(w, client, [new Uint8Array(8)], ov), WSA_IO_PENDING, 'WSARecv');
    ok('shutdown(SD_SEND)', (e) => w.p.WSPShutdown(server, SD_SEND, e));
    await completed(w, ov, 'the FIN');
    const r = result(w, client, ov);
    assert.deepEqual([r.ret, r.size], [1, 0]);
    ok('shutdown(SD_RECEIVE)', (e) => w.p.WSPShutdown(client, SD_RECEIVE, e));
    const after = overlapped();
    expectErr(wsaRecv(w, client, [new Uint8Array(8)], after), WSAESHUTDOWN, 'overlapped');
    assert.equal(after.Internal, DEADBEEF);
    expectErr(recv(w, client, 8), WSAESHUTDOWN, 'plain');
  });

  it('iocp_async_read_closesocket (test_close): closesocket completes the pending receive with STATUS_CONNECTION_ABORTED (not STATUS_CANCELLED), InternalHigh 0, the event signaled, the routine told WSAECONNABORTED; no FD_CLOSE is posted [30, 31]', async (w) => {
    const posted: number[] = [];
    assert.equal(w.p.WSPStartup(0x0202, {}, null, { lpWPUPostMessage: (_h: unknown, _m: number, _wp: number, l: number) => { posted.push(l); return true; } }, {}), 0);
    const { client } = await tcpPair(w);
    ok('WSPAsyncSelect', (e) => w.p.WSPAsyncSelect(client, 1, 0x400, FD_READ | FD_WRITE | 0x20, e));
    assert.deepEqual(posted, [FD_WRITE], 'the initial FD_WRITE [65]');
    const event = new WSAEvent();
    const ov = overlapped(event);
    expectErr(wsaRecv(w, client, [new Uint8Array(8)], ov), WSA_IO_PENDING, 'WSARecv');
    const ovr = overlapped();
    const r = routine();
    expectErr(wsaRecv(w, client, [new Uint8Array(8)], ovr, { routine: r }), WSA_IO_PENDING, 'WSARecv with a routine');
    ok('closesocket', (e) => w.p.WSPCloseSocket(client, e));
    assert.deepEqual([ov.Internal, ov.InternalHigh, event.signaled], [STATUS_CONNECTION_ABORTED, 0, true]);
    assert.notEqual(ov.Internal, STATUS_CANCELLED);
    assert.equal(await sleepEx(w, 0), WAIT_IO_COMPLETION);
    assert.deepEqual(r.calls.map((c) => [errorName(c.error), c.size]), [['WSAECONNABORTED', 0]]);
    await w.pass(50);
    assert.deepEqual(posted, [FD_WRITE], 'closesocket posts nothing');
  });

  it('test_read_events: data that completes a pending overlapped receive raises no FD_READ; data after it does [68]', async (w) => {
    const { client, server } = await tcpPair(w);
    const event = new WSAEvent();
    ok('WSPEventSelect', (e) => w.p.WSPEventSelect(client, event, FD_READ, e));
    const ov = overlapped(new WSAEvent());
    expectErr(wsaRecv(w, client, [new Uint8Array(16)], ov), WSA_IO_PENDING, 'WSARecv');
    event.reset();
    send(w, server, enc('abc'));
    await completed(w, ov);
    await w.pass(20);
    const ne = { lNetworkEvents: 0, iErrorCode: new Array<number>(10).fill(0) };
    ok('WSPEnumNetworkEvents', (e) => w.p.WSPEnumNetworkEvents(client, event, ne, e));
    assert.deepEqual([event.signaled, ne.lNetworkEvents], [false, 0], 'no FD_READ for data the receive took');
    send(w, server, enc('def'));
    await w.settle(() => event.signaled, 'FD_READ for later data');
    ok('WSPEnumNetworkEvents', (e) => w.p.WSPEnumNetworkEvents(client, event, ne, e));
    assert.equal(ne.lNetworkEvents, FD_READ);
  });
});

onNetworks('overlapped datagrams (test_ip_pktinfo rows without WSARecvMsg)', (it) => {
  it('an overlapped WSARecvFrom on UDP pends and completes when a datagram arrives, writing the sender at completion; a truncated one is STATUS_BUFFER_OVERFLOW: GetOverlappedResult FALSE, WSAEMSGSIZE, the bytes delivered [74, 75, 50]', async (w) => {
    const rx = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(rx, addr(w.loopback4, 0), 16, e));
    const at = nameOf(w, rx);
    const tx = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(tx, addr(w.loopback4, 0), 16, e));
    const from = { family: 0, address: '', port: 0 };
    const fromlen = { value: 16 };
    const buf = new Uint8Array(4);
    const ov = overlapped(new WSAEvent());
    const r = call((e) => w.p.WSPRecvFrom(rx, [{ len: 4, buf }], 1, null, { value: 0 }, from, fromlen, ov, null, null, e));
    expectErr(r, WSA_IO_PENDING, 'WSARecvFrom');
    assert.equal(from.family, 0, 'lpFrom untouched while pending');
    ok('sendto', (e) => w.p.WSPSendTo(tx, [{ len: 3, buf: enc('udp') }], 1, { value: 0 }, 0, at, 16, null, null, null, e));
    await completed(w, ov);
    assert.deepEqual([ov.Internal, ov.InternalHigh, dec(buf.subarray(0, 3))], [0, 3, 'udp']);
    assert.deepEqual([from.family, from.port], [AF_INET, nameOf(w, tx).port], 'the sender, written at completion');
    const ov2 = overlapped(new WSAEvent());
    expectErr(call((e) => w.p.WSPRecvFrom(rx, [{ len: 4, buf }], 1, null, { value: 0 }, null, null, ov2, null, null, e)), WSA_IO_PENDING, 'WSARecvFrom');
    ok('sendto', (e) => w.p.WSPSendTo(tx, [{ len: 6, buf: enc('toobig') }], 1, { value: 0 }, 0, at, 16, null, null, null, e));
    await completed(w, ov2);
    assert.deepEqual([ov2.Internal, ov2.InternalHigh], [STATUS_BUFFER_OVERFLOW, 4]);
    const got = result(w, rx, ov2);
    assert.deepEqual([got.ret, errorName(got.err), got.size, got.flags], [0, 'WSAEMSGSIZE', 4, DEADBEEF]);
    assert.equal(dec(buf), 'toob');
  });
});

onNetworks('overlapped arguments', (it) => {
  it('a frozen, getter-only, Proxy or look-alike lpOverlapped is WSAEFAULT and changes nothing; a junk completion routine WSAEFAULT; an hEvent that is no event WSAEINVAL; a routine without an OVERLAPPED is ignored', async (w) => {
    const { client, server } = await tcpPair(w);
    send(w, server, enc('keep'));
    await w.settle(() => peekable(w, client) === 4, 'the data');
    const bad: [string, unknown, number][] = [
      ['frozen', Object.freeze(overlapped()), WSAEFAULT],
      ['getter-only Internal', Object.defineProperty({ ...overlapped() }, 'Internal', { get: () => 0 }), WSAEFAULT],
      ['a Proxy that throws', new Proxy(overlapped(), { get: () => { throw new Error('no'); }, set: () => { throw new Error('no'); } }), WSAEFAULT],
      ['{}', {}, WSAEFAULT], ['[]', [], WSAEFAULT], ['bytes', new Uint8Array(32), WSAEFAULT], ['a number', 5, WSAEFAULT],
      ['an hEvent that is no event', { ...overlapped(), hEvent: { signaled: false } }, WSAEINVAL],
      ['an hEvent that is a frozen event', { ...overlapped(), hEvent: Object.freeze(new WSAEvent()) }, WSAEINVAL],
    ];
    for (const [what, ov, code] of bad) {
      const r = call((e) => w.p.WSPRecv(client, [{ len: 8, buf: new Uint8Array(8) }], 1, { value: 0 }, { value: 0 }, ov as never, null, null, e));
      expectErr(r, code, what);
      const s = call((e) => w.p.WSPSend(client, [{ len: 1, buf: new Uint8Array(1) }], 1, { value: 0 }, 0, ov as never, null, null, e));
      expectErr(s, code, `${what} (send)`);
    }
    expectErr(call((e) => w.p.WSPRecv(client, [{ len: 8, buf: new Uint8Array(8) }], 1, { value: 0 }, { value: 0 }, overlapped(), 'not a function' as never, null, e)), WSAEFAULT, 'routine');
    expectErr(call((e) => w.p.WSPRecv(client, [{ len: 8, buf: new Uint8Array(8) }], 1, Object.freeze({ value: 0 }), { value: 0 }, overlapped(), null, null, e)), WSAEFAULT, 'frozen count');
    assert.equal(peekable(w, client), 4, 'nothing consumed');
    const plain = recv(w, client, 8);
    assert.equal(dec(plain.bytes), 'keep');
    nonBlocking(w, client);
    const ignored = call((e) => w.p.WSPRecv(client, [{ len: 8, buf: new Uint8Array(8) }], 1, { value: 0 }, { value: 0 }, null, (() => 0) as never, null, e));
    expectErr(ignored, WSAEWOULDBLOCK, 'a routine without an OVERLAPPED: a plain (non-blocking) receive');
  }, { virtualOnly: 'the same argument checks; one network is enough' });
});

/** Bytes a receive could take now (FIONREAD). */
function peekable(w: World, s: number): number {
  const out = new Uint8Array(4);
  const got = { value: 0 };
  const r = w.p.WSPIoctl(s, 0x4004667f /* FIONREAD */, null as never, 0, out, 4, got, null, null, null, { value: 0 });
  return r === 0 ? new DataView(out.buffer).getUint32(0, true) : -1;
}

/** Lets the network run in small steps until `done()` holds (a reader that must keep reading to open the window). */
async function pump(w: World, done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !done(); i++) await w.pass(2);
  assert.ok(done(), `${what} did not happen`);
}

onNetworks('test_WSARecv and test_write_watch (more overlapped rows)', (it) => {
  it('test_WSARecv: two receives pending on one OVERLAPPED and event (the first with a NULL count), then the peer\'s reset: the event signaled, GetOverlappedResult FALSE with WSAECONNRESET (ERROR_NETNAME_DELETED to kernel32) and 0 bytes [3, 26]', async (w) => {
    const { client, server } = await tcpPair(w);
    const event = new WSAEvent();
    const ov = overlapped(event);
    expectErr(wsaRecv(w, client, [new Uint8Array(64)], ov, { size: false }), WSA_IO_PENDING, 'WSARecv, NULL count');
    const second = wsaRecv(w, client, [new Uint8Array(64)], ov);
    expectErr(second, WSA_IO_PENDING, 'WSARecv again');
    assert.equal(second.size, DEADBEEF);
    closeWithRst(w, server);
    await w.settle(() => event.signaled, 'the disconnect event');
    await completed(w, ov);
    const got = result(w, client, ov);
    assert.deepEqual([got.ret, errorName(got.err), got.size], [0, 'WSAECONNRESET', 0]);
    assert.equal(ov.Internal, STATUS_CONNECTION_RESET);
  });

  it('test_write_watch: an overlapped WSARecv and an overlapped WSARecvFrom on TCP with two buffers pend, write nothing, then scatter "test message": "test " into the first, "message\\0" into the second; GetOverlappedResult gives 13 [10, 53]', async (w) => {
    const { client, server } = await tcpPair(w);
    const message = enc('test message\0');
    for (const from of [false, true]) {
      const base = new Uint8Array(0x10000);
      const first = base.subarray(0, 5);
      const second = base.subarray(from ? 0x2000 : 0x4000, (from ? 0x2000 : 0x4000) + (from ? 0x4000 : 0x8000));
      const ov = overlapped(new WSAEvent());
      const bufs = [{ len: first.length, buf: first }, { len: second.length, buf: second }];
      const r = from
        ? call((e) => w.p.WSPRecvFrom(client, bufs, 2, null, { value: 0 }, new Uint8Array(16), { value: 16 }, ov, null, null, e))
        : call((e) => w.p.WSPRecv(client, bufs, 2, null, { value: 0 }, ov, null, null, e));
      expectErr(r, WSA_IO_PENDING, from ? 'WSARecvFrom' : 'WSARecv');
      assert.equal(base[0], 0, 'no data set');
      send(w, server, message);
      await completed(w, ov);
      const got = result(w, client, ov);
      assert.deepEqual([got.ret, got.size], [1, message.length]);
      assert.equal(dec(first), 'test ');
      assert.equal(dec(second.subarray(0, 8)), 'message\0');
    }
  });
});
