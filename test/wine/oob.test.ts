/**
 * Ports of Wine's urgent-data (out-of-band) rows (dlls/ws2_32/tests/sock.c): the OOB test of
 * the `tests[]` table (oob_client and oob_server), the MSG_OOB rows of
 * test_fionread_siocatmark and test_select, and test_oob_events (event and message mode). What
 * Wine asserts, todo_wine included (the asserted value is Windows'), is asserted.
 *
 * The model they show: the last byte of a MSG_OOB send is urgent; unless SO_OOBINLINE is on it
 * is held apart (FIONREAD does not count it, SIOCATMARK reads FALSE while one waits, a normal
 * receive skips it), several can wait, recv with MSG_OOB returns them one by one; with
 * SO_OOBINLINE urgent data is read as data and MSG_OOB receives fail with WSAEINVAL.
 *
 * Every case runs on the virtual network only: node:net offers no TCP urgent data, so on the
 * host network MSG_OOB fails with WSAEOPNOTSUPP (the last case shows it).
 *
 * SIOCATMARK and FIONREAD are read through WSPIoctl, exceptfds and FD_OOB through WSPSelect and
 * the network events.
 *
 * Left out: WSAPoll (check_poll: POLLRDBAND), the overlapped and APC rows of
 * test_fionread_siocatmark.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FD_ACCEPT, FD_CLOSE, FD_CONNECT, FD_MAX_EVENTS, FD_OOB, FD_READ, FIONREAD, MSG_OOB, SD_SEND, SIOCATMARK,
  SOCKET_ERROR, SOL_SOCKET, SO_OOBINLINE, WSAEINVAL, WSAEOPNOTSUPP, WSAEWOULDBLOCK, WSAEvent, errorName,
  type FD_SET, type WSANETWORKEVENTS,
} from '../../src/index.js';
import { streamBytesReadable, urgentPending } from '../../src/provider/data.js';
import {
  call, hostWorld, nonBlocking, ok, onNetworks, recv, send, setInt, tcpPair, type World,
} from './harness.js';

const VIRTUAL_ONLY = { virtualOnly: 'node:net offers no TCP urgent data: MSG_OOB fails with WSAEOPNOTSUPP on the host network' };

// ---- helpers --------------------------------------------------------------------------------

function ioctlInt(w: World, s: number, code: number): number {
  const out = new Uint8Array(4);
  ok('WSPIoctl', (e) => w.p.WSPIoctl(s, code, null, 0, out, 4, { value: 0 }, null, null, null, e));
  return new DataView(out.buffer).getInt32(0, true);
}

/** Wine's check_fionread_siocatmark: FIONREAD and SIOCATMARK through WSPIoctl. */
function checkFionreadSiocatmark(w: World, s: number, normal: number, oob: boolean, what: string): void {
  assert.equal(ioctlInt(w, s, FIONREAD), normal, `${what}: FIONREAD`);
  assert.equal(ioctlInt(w, s, SIOCATMARK), oob ? 1 : 0, `${what}: SIOCATMARK`);
}

/** The socket object behind a handle (the hooks for readiness.ts take it). */
function sock(w: World, s: number) {
  const x = w.p.core.lookup(s);
  assert.ok(x !== undefined);
  return x;
}

const enc = (t: string) => new TextEncoder().encode(t);

/** Lets what was sent arrive (virtual time: loopback takes microseconds). */
const arrive = (w: World) => w.pass(1);

function expectFailure(what: string, r: { ret: number; err: number }, code: number): void {
  assert.equal(r.ret, SOCKET_ERROR, `${what}: expected ${errorName(code)}, got success`);
  assert.equal(errorName(r.err), errorName(code), `${what}: wrong error`);
}

function close(w: World, s: number): void {
  ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
}

// ---- the OOB test of tests[] (oob_client, oob_server) ---------------------------------------

/** fill_buffer: n_chunks chunks of chunk_size bytes, 'A', 'B', ... */
function fillBuffer(chunkSize: number, nChunks: number): Uint8Array {
  const out = new Uint8Array(chunkSize * nChunks);
  for (let c = 0; c < nChunks; c++) out.fill(0x41 + c, c * chunkSize, (c + 1) * chunkSize);
  return out;
}

/** do_synchronous_send: `buf` in sends of at most `sendlen` bytes with `flags`; returns the bytes sent. */
function syncSend(w: World, s: number, buf: Uint8Array, flags: number, sendlen: number): number {
  let p = 0;
  while (p < buf.length) {
    const r = send(w, s, buf.subarray(p, Math.min(buf.length, p + sendlen)), flags);
    assert.equal(r.ret, 0, `send failed with ${errorName(r.err)}`);
    if (r.sent <= 0) break;
    p += r.sent;
  }
  return p;
}

/** do_synchronous_recv: receives of at most `recvlen` until `len` bytes or the end of the stream. */
function syncRecv(w: World, s: number, len: number, recvlen: number): Uint8Array {
  const out = new Uint8Array(len);
  let p = 0;
  while (p < len) {
    const r = recv(w, s, Math.min(recvlen, len - p));
    assert.equal(r.ret, 0, `recv failed with ${errorName(r.err)}`);
    if (r.bytes.length === 0) break;
    out.set(r.bytes, p);
    p += r.bytes.length;
  }
  return out.subarray(0, p);
}

onNetworks('test_oob (tests[] 3: oob_client, oob_server)', (it) => {
  it('test_oob: at the mark before and after normal data; 2048 bytes sent with MSG_OOB in 128-byte sends read as data but for their urgent bytes; after the end of the stream urgent data still waits (not at the mark)', async (w) => {
    const CHUNK = 128;
    const N = 16;
    const expected = CHUNK * N;
    const data = fillBuffer(CHUNK, N);
    const { client, server } = await tcpPair(w); // both blocking, as oob_client and oob_server

    assert.equal(ioctlInt(w, server, SIOCATMARK), 1, 'initially at the mark (TRUE)');
    assert.equal(syncSend(w, client, data, 0, CHUNK), expected);
    assert.deepEqual(syncRecv(w, server, expected, CHUNK), data, 'the normal data');
    assert.equal(ioctlInt(w, server, SIOCATMARK), 1, 'still at the mark');
    assert.equal(syncSend(w, server, data, 0, CHUNK), expected, 'the echo');
    assert.deepEqual(syncRecv(w, client, expected, CHUNK), data);

    assert.equal(syncSend(w, client, data, MSG_OOB, CHUNK), expected, 'sent with MSG_OOB');
    ok('shutdown(SD_SEND)', (e) => w.p.WSPShutdown(client, SD_SEND, e));

    assert.equal(syncRecv(w, server, 8, CHUNK).length, 8, 'a part of the out-of-band sends reads as data');
    const rest = syncRecv(w, server, expected - 8, CHUNK); // until the end of the stream
    assert.equal(ioctlInt(w, server, SIOCATMARK), 0, 'not at the mark: urgent data waits'); // todo_wine in Wine

    // Beyond Wine: the last byte of each send was urgent, held apart, and waits in order.
    assert.equal(8 + rest.length, expected - N, 'every byte but the 16 urgent ones read as data');
    for (let k = 0; k < N; k++) {
      const u = recv(w, server, CHUNK, MSG_OOB);
      assert.deepEqual([u.ret, u.bytes.length, u.bytes[0]], [0, 1, 0x41 + k], `urgent byte ${k}`);
    }
    assert.equal(ioctlInt(w, server, SIOCATMARK), 1);

    close(w, server);
    const end = recv(w, client, 256); // read_zero_bytes
    assert.deepEqual([end.ret, end.bytes.length], [0, 0]);
    close(w, client);
  }, VIRTUAL_ONLY);
});

// ---- test_fionread_siocatmark (urgent data) -------------------------------------------------

onNetworks('test_fionread_siocatmark (urgent data)', (it) => {
  it('test_fionread_siocatmark: an urgent byte is not counted by FIONREAD and makes SIOCATMARK FALSE; two can wait; recv MSG_OOB takes them one by one, before or after the normal data', async (w) => {
    const { client, server } = await tcpPair(w);
    nonBlocking(w, client);
    checkFionreadSiocatmark(w, client, 0, true, 'fresh');

    assert.equal(send(w, server, enc('data\0')).sent, 5);
    await arrive(w);
    checkFionreadSiocatmark(w, client, 5, true, 'normal data');

    assert.equal(send(w, server, enc('a'), MSG_OOB).sent, 1);
    await arrive(w);
    checkFionreadSiocatmark(w, client, 5, false, 'one urgent byte'); // todo_wine (SIOCATMARK) in Wine

    assert.equal(send(w, server, enc('a'), MSG_OOB).sent, 1);
    await arrive(w);
    checkFionreadSiocatmark(w, client, 5, false, 'two urgent bytes'); // todo_wine in Wine

    assert.equal(recv(w, client, 3).bytes.length, 3);
    checkFionreadSiocatmark(w, client, 2, false, 'after 3 normal bytes'); // todo_wine in Wine

    assert.equal(recv(w, client, 1, MSG_OOB).bytes.length, 1);
    assert.equal(urgentPending(sock(w, client)), 1, 'the second urgent byte still waits (POLLRDBAND)'); // todo_wine in Wine
    checkFionreadSiocatmark(w, client, 2, false, 'after one urgent byte'); // todo_wine in Wine

    const rest = recv(w, client, 5);
    assert.deepEqual([rest.ret, rest.bytes.length], [0, 2], 'the normal data, not the urgent byte'); // todo_wine in Wine
    checkFionreadSiocatmark(w, client, 0, false, 'normal data read');

    assert.equal(recv(w, client, 1, MSG_OOB).bytes.length, 1, 'the second urgent byte'); // todo_wine in Wine
    checkFionreadSiocatmark(w, client, 0, true, 'all read'); // todo_wine (SIOCATMARK) in Wine
    close(w, client);
    close(w, server);
  }, VIRTUAL_ONLY);

  it('test_fionread_siocatmark (SO_OOBINLINE): an urgent byte that waits reads as data once it is set (FIONREAD 1, SIOCATMARK FALSE until read); one that arrives while it is set is data (SIOCATMARK TRUE)', async (w) => {
    const { client, server } = await tcpPair(w);
    nonBlocking(w, client);
    assert.equal(send(w, server, enc('a'), MSG_OOB).sent, 1);
    await arrive(w);
    assert.equal(urgentPending(sock(w, client)), 1, 'POLLRDBAND');

    assert.equal(setInt(w, client, SOL_SOCKET, SO_OOBINLINE, 1).ret, 0);
    checkFionreadSiocatmark(w, client, 1, false, 'SO_OOBINLINE set'); // todo_wine (SIOCATMARK) in Wine
    const r = recv(w, client, 1);
    assert.deepEqual([r.ret, r.bytes.length], [0, 1]);
    checkFionreadSiocatmark(w, client, 0, true, 'read');

    assert.equal(send(w, server, enc('a'), MSG_OOB).sent, 1);
    await arrive(w);
    assert.equal(streamBytesReadable(sock(w, client)), 1, 'POLLRDNORM');
    assert.equal(urgentPending(sock(w, client)), 0, 'not POLLRDBAND');
    checkFionreadSiocatmark(w, client, 1, true, 'arrived with SO_OOBINLINE');
    close(w, client);
    close(w, server);
  }, VIRTUAL_ONLY);
});

// ---- test_select (urgent data) --------------------------------------------------------------

onNetworks('test_select (urgent data)', (it) => {
  it('test_select (urgent data): recv MSG_OOB with a large buffer returns the one urgent byte; with SO_OOBINLINE, recv MSG_OOB fails with WSAEINVAL and the byte is read as data, then WSAEWOULDBLOCK', async (w) => {
    const { client: fdWrite, server: fdRead } = await tcpPair(w);
    nonBlocking(w, fdRead);
    assert.equal(send(w, fdWrite, enc('A'), MSG_OOB).sent, 1);
    await arrive(w);
    assert.equal(urgentPending(sock(w, fdRead)), 1, 'exceptfds would report it');
    assert.equal(streamBytesReadable(sock(w, fdRead)), 0, 'readfds would not');
    let r = recv(w, fdRead, 4096, MSG_OOB);
    assert.deepEqual([r.ret, r.bytes.length], [0, 1]);
    assert.equal(r.bytes[0], 0x41);

    assert.equal(setInt(w, fdRead, SOL_SOCKET, SO_OOBINLINE, 1).ret, 0);
    assert.equal(send(w, fdWrite, enc('A'), MSG_OOB).sent, 1);
    await arrive(w);
    assert.equal(streamBytesReadable(sock(w, fdRead)), 1, 'readfds would report it');
    assert.equal(urgentPending(sock(w, fdRead)), 0, 'exceptfds would not');
    expectFailure('recv MSG_OOB with SO_OOBINLINE', recv(w, fdRead, 4096, MSG_OOB), WSAEINVAL);
    r = recv(w, fdRead, 4096);
    assert.deepEqual([r.ret, r.bytes.length], [0, 1]);
    assert.equal(r.bytes[0], 0x41);
    expectFailure('recv again', recv(w, fdRead, 4096), WSAEWOULDBLOCK); // todo_wine in Wine
    close(w, fdRead);
    close(w, fdWrite);
  }, VIRTUAL_ONLY);
});

// ---- test_select and test_oob_events through readiness.ts ------------------------------------

const ZERO = { tv_sec: 0, tv_usec: 0 };
const fdset = (...h: number[]): FD_SET => ({ fd_count: h.length, fd_array: [...h] });
const isSet = (set: FD_SET, s: number) => set.fd_array.slice(0, set.fd_count).includes(s);

onNetworks('test_select (urgent data, select)', (it) => {
  it('test_select (urgent data, select): an urgent byte puts the socket in exceptfds only; with SO_OOBINLINE in readfds only', async (w) => {
    const { client: fdWrite, server: fdRead } = await tcpPair(w);
    nonBlocking(w, fdRead);
    assert.equal(send(w, fdWrite, enc('A'), MSG_OOB).sent, 1);
    await arrive(w);
    let readfds = fdset(fdRead);
    let exceptfds = fdset(fdRead);
    assert.equal(call((e) => w.p.WSPSelect(0, readfds, null, exceptfds, ZERO, e)).ret, 1);
    assert.ok(isSet(exceptfds, fdRead) && !isSet(readfds, fdRead));
    assert.equal(recv(w, fdRead, 4096, MSG_OOB).bytes.length, 1);
    assert.equal(setInt(w, fdRead, SOL_SOCKET, SO_OOBINLINE, 1).ret, 0);
    assert.equal(send(w, fdWrite, enc('A'), MSG_OOB).sent, 1);
    await arrive(w);
    readfds = fdset(fdRead);
    exceptfds = fdset(fdRead);
    assert.equal(call((e) => w.p.WSPSelect(0, readfds, null, exceptfds, ZERO, e)).ret, 1);
    assert.ok(isSet(readfds, fdRead) && !isSet(exceptfds, fdRead));
  }, VIRTUAL_ONLY);

});

onNetworks('test_events: test_oob_events', (it) => {
  for (const mode of ['event mode', 'message mode'] as const) {
    it(`test_oob_events (${mode}): FD_OOB for each urgent byte, again after a recv MSG_OOB while another waits; message mode posts it again on a new selection`, async (w) => {
      const event = new WSAEvent();
      const posted: number[] = [];
      const isMessage = mode === 'message mode';
      if (isMessage) {
        assert.equal(w.p.WSPStartup(0x0202, {}, null, { lpWPUPostMessage: (_h: unknown, _m: number, _w: number, l: number) => { posted.push(l); return true; } }, {}), 0);
      }
      const { client, server } = await tcpPair(w);
      nonBlocking(w, client);
      const ALL = FD_ACCEPT | FD_CLOSE | FD_CONNECT | FD_OOB | FD_READ;
      const select = (events: number) => ok('select', (e) => (isMessage
        ? w.p.WSPAsyncSelect(server, { window: 1 }, 0x400, events, e)
        : w.p.WSPEventSelect(server, event, events, e)));
      /** The events recorded or posted since the last look. */
      const events = async (): Promise<number> => {
        await w.pass(200);
        if (isMessage) {
          const got = posted.splice(0);
          assert.ok(got.length <= 1, `one message at most, got ${got.length}`);
          return got.length === 0 ? 0 : got[0]! & 0xffff;
        }
        const ne: WSANETWORKEVENTS = { lNetworkEvents: 0, iErrorCode: new Array<number>(FD_MAX_EVENTS).fill(0) };
        ok('enum', (e) => w.p.WSPEnumNetworkEvents(server, event, ne, e));
        return ne.lNetworkEvents;
      };
      select(ALL);
      assert.equal(await events(), 0);
      assert.equal(send(w, client, enc('a'), MSG_OOB).sent, 1);
      assert.equal(await events(), FD_OOB);
      assert.equal(await events(), 0);
      select(ALL);
      assert.equal(await events(), isMessage ? FD_OOB : 0);
      select(0);
      select(ALL);
      assert.equal(await events(), isMessage ? FD_OOB : 0);
      assert.equal(send(w, client, enc('b'), MSG_OOB).sent, 1);
      assert.equal(await events(), isMessage ? 0 : FD_OOB); // todo_wine (event mode) in Wine
      nonBlocking(w, server);
      assert.equal(recv(w, server, 1, MSG_OOB).bytes.length, 1);
      assert.equal(await events(), FD_OOB); // todo_wine in Wine
      assert.equal(recv(w, server, 1, MSG_OOB).bytes.length, 1); // todo_wine in Wine
      assert.equal(await events(), 0);
      select(0);
      assert.equal(send(w, client, enc('a'), MSG_OOB).sent, 1);
      select(ALL);
      assert.equal(await events(), FD_OOB);
      assert.equal(recv(w, server, 1, MSG_OOB).bytes.length, 1);
    }, VIRTUAL_ONLY);
  }
});

// ---- the host network ------------------------------------------------------------------------

describe('urgent data on the host network', () => {
  test('MSG_OOB fails with WSAEOPNOTSUPP on send and on recv (node:net offers no urgent data); ordinary data still flows', async () => {
    const w = hostWorld();
    try {
      const { client, server } = await tcpPair(w);
      expectFailure('send MSG_OOB', send(w, client, enc('a'), MSG_OOB), WSAEOPNOTSUPP);
      nonBlocking(w, server);
      expectFailure('recv MSG_OOB', recv(w, server, 1, MSG_OOB), WSAEOPNOTSUPP);
      assert.equal(send(w, client, enc('b')).sent, 1);
      await w.settle(() => recv(w, server, 1).bytes[0] === 0x62, 'the normal byte');
    } finally {
      await w.close();
    }
  });
});

// The catalogue tells the truth about urgent data: XP1_EXPEDITED_DATA on the TCP entries exactly
// where MSG_OOB works (the virtual network), in protocols() and in SO_PROTOCOL_INFOW alike.
onNetworks('the catalogue and urgent data', (it) => {
  it('catalogue: TCP entries claim XP1_EXPEDITED_DATA where the network carries urgent data, and only there', async (w) => {
    const XP1_EXPEDITED_DATA = 0x40;
    const urgent = w.kind === 'virtual';
    for (const info of w.p.protocols()) {
      const claimed = (info.dwServiceFlags1 & XP1_EXPEDITED_DATA) !== 0;
      assert.equal(claimed, urgent && info.iSocketType === 1 /* SOCK_STREAM */, info.szProtocol);
    }
    const { client } = await tcpPair(w);
    const buf = new Uint8Array(628);
    ok('SO_PROTOCOL_INFOW', (e) => w.p.WSPGetSockOpt(client, 0xffff, 0x2005, buf, { value: buf.length }, e));
    const flags = new DataView(buf.buffer).getUint32(0, true);
    assert.equal((flags & XP1_EXPEDITED_DATA) !== 0, urgent, 'SO_PROTOCOL_INFOW dwServiceFlags1');
    const r = send(w, client, new Uint8Array([1]), MSG_OOB);
    assert.equal(r.ret === 0, urgent, 'MSG_OOB works exactly where it is claimed');
  });
});
