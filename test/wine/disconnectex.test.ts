/**
 * Ports of Wine's ws2_32 tests (dlls/ws2_32/tests/sock.c) for DisconnectEx: test_DisconnectEx,
 * the DisconnectEx rows of test_shutdown_completion_port, and the rules of docs/overlapped.md
 * "DisconnectEx" (flags, when it completes, TF_REUSE_SOCKET and the socket used again by
 * AcceptEx and ConnectEx), each named after its row or rule. Facts in brackets are
 * docs/research/wine-overlapped-facts.md's.
 */
import assert from 'node:assert/strict';
import {
  FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, INVALID_SOCKET,
  SOL_SOCKET, SO_CONNECT_TIME, SO_UPDATE_ACCEPT_CONTEXT, STATUS_CONNECTION_ABORTED, STATUS_PENDING, STATUS_SUCCESS,
  TF_DISCONNECT, TF_REUSE_SOCKET, WAIT_TIMEOUT, WSAEADDRINUSE, WSAEWOULDBLOCK, WSAEINVAL, WSAEISCONN, WSAENOTCONN, WSAENOTSOCK, WSAESHUTDOWN, WSAEvent,
  WSAID_ACCEPTEX_BYTES, WSAID_CONNECTEX_BYTES, WSAID_DISCONNECTEX_BYTES, WSA_IO_PENDING,
  noPortNotification, slotSize,
  type AcceptExFn, type ConnectExFn, type DisconnectExFn, type SockAddr,
  type WSAOVERLAPPED,
} from '../../src/index.js';
import {
  addr, call, expectErr, getInt, listener, nameOf, nonBlocking, ok, onNetworks, recv, send, socket, type World,
} from './harness.js';
import { DEADBEEF, acceptNow, completed, extension, gqcs, overlapped, result, until } from './extension-helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** DisconnectEx: the BOOL and the last error. */
function disconnectEx(fn: DisconnectExFn, s: number, ov: WSAOVERLAPPED | null, flags = 0, reserved = 0) {
  const err = { value: 0 };
  const ret = fn(s, ov, flags, reserved, err);
  return { ret, err: err.value };
}

interface Setup { l: number; at: SockAddr; dx: DisconnectExFn }

function setup(w: World): Setup {
  const { s: l, at } = listener(w, 5);
  nonBlocking(w, l);
  return { l, at, dx: extension<DisconnectExFn>(w, socket(w), WSAID_DISCONNECTEX_BYTES) };
}

/** connect(client) to the listener, accept(); both left blocking, as Wine's tests use them. */
async function connected(w: World, { l, at }: Setup, client = socket(w)): Promise<{ client: number; server: number }> {
  nonBlocking(w, client);
  call((e) => w.p.WSPConnect(client, at, 16, null, null, null, null, e));
  const server = await until(w, () => acceptNow(w, l), 'the accept');
  await w.settle(() => w.p.inspect(client)?.phase === 'connected', 'the connect');
  nonBlocking(w, client, false);
  return { client, server };
}

/** A non-blocking receive that waits until it gets something (or the end: 0 bytes). */
async function recvSome(w: World, s: number, len: number): Promise<Uint8Array> {
  nonBlocking(w, s);
  return until(w, () => {
    const r = recv(w, s, len);
    return r.ret === 0 ? r.bytes : undefined;
  }, 'the receive');
}

/** What test_DisconnectEx checks after each disconnect: a half-closed connection, names intact. */
async function expectHalfClosed(w: World, at: SockAddr, client: number, server: number): Promise<void> {
  expectErr(call((e) => w.p.WSPConnect(client, at, 16, null, null, null, null, e)), WSAEISCONN, 'connect');
  expectErr(send(w, client, enc('test\0')), WSAESHUTDOWN, 'send');
  assert.equal((await recvSome(w, server, 5)).length, 0, 'the peer reads the end');
  assert.equal(send(w, server, enc('test\0')).ret, 0);
  assert.deepEqual([...await recvSome(w, client, 5)], [...enc('test\0')], 'the client still receives');
  const peer = { family: 0, address: '', port: 0 };
  ok('getpeername(client)', (e) => w.p.WSPGetPeerName(client, peer, { value: 16 }, e));
  assert.deepEqual(peer, at);
  const serverPeer = { family: 0, address: '', port: 0 };
  ok('getpeername(server)', (e) => w.p.WSPGetPeerName(server, serverPeer, { value: 16 }, e));
  assert.deepEqual(serverPeer, nameOf(w, client));
}

onNetworks('test_DisconnectEx', (it) => {
  it('test_DisconnectEx: INVALID_SOCKET is WSAENOTSOCK; a socket that is not connected WSAENOTCONN [94]', (w) => {
    const { dx } = setup(w);
    const ov = overlapped();
    assert.deepEqual(disconnectEx(dx, INVALID_SOCKET, ov), { ret: 0, err: WSAENOTSOCK });
    assert.deepEqual(disconnectEx(dx, socket(w), ov), { ret: 0, err: WSAENOTCONN });
    assert.equal(ov.Internal, DEADBEEF, 'nothing written');
  });

  it('test_DisconnectEx: overlapped, it pends and completes TRUE with 0 bytes; then connect() is WSAEISCONN, send WSAESHUTDOWN, the peer reads 0 and can still send [94]', async (w) => {
    const su = setup(w);
    const { client, server } = await connected(w, su);
    const ov = overlapped();
    assert.deepEqual(disconnectEx(su.dx, client, ov), { ret: 0, err: WSA_IO_PENDING });
    await completed(w, ov);
    assert.equal((ov.hEvent as WSAEvent).signaled, true);
    assert.deepEqual(result(w, client, ov), { ret: 1, err: 0, bytes: 0 });
    await expectHalfClosed(w, su.at, client, server);
  });

  it('test_DisconnectEx: without an OVERLAPPED it returns TRUE at once, and again; the connection is half-closed the same way [94]', async (w) => {
    const su = setup(w);
    const { client, server } = await connected(w, su);
    assert.deepEqual(disconnectEx(su.dx, client, null), { ret: 1, err: 0 });
    assert.deepEqual(disconnectEx(su.dx, client, null), { ret: 1, err: 0 });
    await expectHalfClosed(w, su.at, client, server);
  });
});

onNetworks('test_shutdown_completion_port (DisconnectEx)', (it) => {
  it('test_shutdown_completion_port: DisconnectEx queues a completion even with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS (TRUE, key 0, 0 bytes, &ov) [59]', async (w) => {
    const su = setup(w);
    const client = socket(w);
    const port = w.p.CreateIoCompletionPort(client, null, 0, 0, { value: 0 })!;
    assert.equal(w.p.SetFileCompletionNotificationModes(client, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS), 1);
    await connected(w, su, client);
    const ov = overlapped();
    assert.deepEqual(disconnectEx(su.dx, client, ov), { ret: 0, err: WSA_IO_PENDING });
    await completed(w, ov);
    const p = gqcs(port);
    assert.deepEqual([p.ret, p.key, p.bytes, p.ov === ov], [1, 0, 0, true]);
  });

  it('test_shutdown_completion_port: DisconnectEx without an OVERLAPPED queues nothing', async (w) => {
    const su = setup(w);
    const client = socket(w);
    const port = w.p.CreateIoCompletionPort(client, null, 0, 0, { value: 0 })!;
    await connected(w, su, client);
    assert.deepEqual(disconnectEx(su.dx, client, null), { ret: 1, err: 0 });
    await w.pass(10);
    assert.deepEqual([gqcs(port).ret, gqcs(port).err], [0, WAIT_TIMEOUT]);
  });

  it('test_shutdown_completion_port: the low bit of hEvent keeps the completion off the port; the event is signalled [61]', async (w) => {
    const su = setup(w);
    const client = socket(w);
    const port = w.p.CreateIoCompletionPort(client, null, 0, 0, { value: 0 })!;
    await connected(w, su, client);
    const event = new WSAEvent();
    const ov = overlapped(noPortNotification(event));
    assert.deepEqual(disconnectEx(su.dx, client, ov), { ret: 0, err: WSA_IO_PENDING });
    await completed(w, ov);
    assert.equal(event.signaled, true);
    assert.deepEqual(result(w, client, ov), { ret: 1, err: 0, bytes: 0 });
    assert.deepEqual([gqcs(port).ret, gqcs(port).err], [0, WAIT_TIMEOUT]);
  });
});

onNetworks('DisconnectEx: the rules', (it) => {
  it('rule: dwReserved other than 0, or a flag other than TF_REUSE_SOCKET (TF_DISCONNECT included), is WSAEINVAL and changes nothing', async (w) => {
    const su = setup(w);
    const { client } = await connected(w, su);
    const ov = overlapped();
    assert.deepEqual(disconnectEx(su.dx, client, ov, 0, 1), { ret: 0, err: WSAEINVAL });
    assert.deepEqual(disconnectEx(su.dx, client, ov, TF_DISCONNECT), { ret: 0, err: WSAEINVAL });
    assert.deepEqual(disconnectEx(su.dx, client, ov, 0x100), { ret: 0, err: WSAEINVAL });
    assert.equal(ov.Internal, DEADBEEF);
    assert.equal(send(w, client, enc('x')).ret, 0, 'still open for sending');
  });

  it('rule: it completes once the data queued before it is acknowledged; the peer gets all of it, then the end', async (w) => {
    const su = setup(w);
    const { client, server } = await connected(w, su);
    const data = new Uint8Array(40_000).map((_, i) => i & 0xff);
    assert.equal(send(w, client, data).ret, 0);
    const ov = overlapped();
    assert.deepEqual(disconnectEx(su.dx, client, ov), { ret: 0, err: WSA_IO_PENDING });
    assert.equal(ov.Internal, STATUS_PENDING, 'not before the data is acknowledged');
    await completed(w, ov);
    assert.equal(ov.Internal, STATUS_SUCCESS);
    let got = 0;
    nonBlocking(w, server);
    for (;;) {
      const r = await recvSome(w, server, 65536);
      if (r.length === 0) break;
      got += r.length;
    }
    assert.equal(got, data.length);
  }, { virtualOnly: 'the host network acknowledges data as soon as the system takes it' });

  /** Overlapped sends of `count` × `size` bytes (a byte pattern numbering each), posted now. */
  function postSends(w: World, s: number, count: number, size: number): { ovs: WSAOVERLAPPED[]; total: number } {
    const ovs: WSAOVERLAPPED[] = [];
    for (let i = 0; i < count; i++) {
      const buf = new Uint8Array(size).map((_, j) => (i * 7 + j) & 0xff);
      const ov = overlapped();
      const r = call((e) => w.p.WSPSend(s, [{ len: buf.length, buf }], 1, { value: 0 }, 0, ov, null, null, e));
      assert.ok(r.ret === 0 || r.err === WSA_IO_PENDING, `send ${i}: ${r.err}`);
      ovs.push(ov);
    }
    return { ovs, total: count * size };
  }

  /** Reads until the end; checks every byte against postSends' pattern. */
  async function readAll(w: World, server: number, size: number): Promise<number> {
    let got = 0;
    for (;;) {
      const r = await recvSome(w, server, 1 << 16);
      if (r.length === 0) return got;
      for (let k = 0; k < r.length; k++, got++) {
        const i = Math.floor(got / size), j = got % size;
        if (r[k] !== ((i * 7 + j) & 0xff)) assert.fail(`byte ${got} differs`);
      }
    }
  }

  for (const sync of [false, true]) {
    it(`rule: sends posted before DisconnectEx complete whole and the peer reads every byte before the FIN (${sync ? 'without an OVERLAPPED' : 'overlapped'})`, async (w) => {
      const su = setup(w);
      const { client, server } = await connected(w, su);
      const size = 4 << 20;
      const { ovs, total } = postSends(w, client, 3, size);
      if (w.kind === 'virtual') assert.equal(ovs[2]!.Internal, STATUS_PENDING, 'the case needs sends still queued at the call');
      const ov = overlapped();
      if (sync) assert.deepEqual(disconnectEx(su.dx, client, null), { ret: 1, err: 0 });
      else assert.deepEqual(disconnectEx(su.dx, client, ov), { ret: 0, err: WSA_IO_PENDING });
      nonBlocking(w, server);
      assert.equal(await readAll(w, server, size), total, 'every byte, then the end');
      for (const [i, sov] of ovs.entries()) {
        await completed(w, sov, `send ${i}`);
        assert.deepEqual(result(w, client, sov), { ret: 1, err: 0, bytes: size }, `send ${i}`);
      }
      if (!sync) {
        await completed(w, ov, 'the DisconnectEx');
        assert.deepEqual(result(w, client, ov), { ret: 1, err: 0, bytes: 0 });
      }
      expectErr(send(w, client, enc('x')), WSAESHUTDOWN, 'send after the FIN');
    });
  }

  it('rule: closing the socket with a DisconnectEx pending completes it with STATUS_CONNECTION_ABORTED', async (w) => {
    const su = setup(w);
    const { client } = await connected(w, su);
    assert.equal(send(w, client, new Uint8Array(40_000)).ret, 0);
    const ov = overlapped();
    assert.deepEqual(disconnectEx(su.dx, client, ov), { ret: 0, err: WSA_IO_PENDING });
    assert.equal(ov.Internal, STATUS_PENDING);
    ok('closesocket', (e) => w.p.WSPCloseSocket(client, e));
    assert.equal(ov.Internal, STATUS_CONNECTION_ABORTED);
  }, { virtualOnly: 'needs data still unacknowledged at the call' });

  it('rule: TF_REUSE_SOCKET: once it completes, the socket is fresh and unbound (getsockname WSAEINVAL, SO_CONNECT_TIME 0xffffffff); the peer reads the end', async (w) => {
    const su = setup(w);
    const { client, server } = await connected(w, su);
    const ov = overlapped();
    assert.deepEqual(disconnectEx(su.dx, client, ov, TF_REUSE_SOCKET), { ret: 0, err: WSA_IO_PENDING });
    await completed(w, ov);
    assert.deepEqual(result(w, client, ov), { ret: 1, err: 0, bytes: 0 });
    assert.equal(w.p.inspect(client)?.phase, 'open');
    expectErr(call((e) => w.p.WSPGetSockName(client, { family: 0, address: '', port: 0 }, { value: 16 }, e)), WSAEINVAL, 'getsockname');
    expectErr(call((e) => w.p.WSPGetPeerName(client, { family: 0, address: '', port: 0 }, { value: 16 }, e)), WSAENOTCONN, 'getpeername');
    assert.equal(getInt(w, client, SOL_SOCKET, SO_CONNECT_TIME).value >>> 0, 0xffffffff);
    assert.equal((await recvSome(w, server, 5)).length, 0);
  });

  it('rule: a socket disconnected with TF_REUSE_SOCKET is accepted into by AcceptEx', async (w) => {
    const su = setup(w);
    const { client: reused } = await connected(w, su);
    const ov = overlapped();
    assert.deepEqual(disconnectEx(su.dx, reused, ov, TF_REUSE_SOCKET), { ret: 0, err: WSA_IO_PENDING });
    await completed(w, ov);
    const ax = extension<AcceptExFn>(w, su.l, WSAID_ACCEPTEX_BYTES);
    const slot = slotSize(2);
    const aov = overlapped();
    const err = { value: 0 };
    assert.equal(ax(su.l, reused, new Uint8Array(2 * slot), 0, slot, slot, null, aov, err), 0);
    assert.equal(err.value, WSA_IO_PENDING);
    const c = socket(w);
    nonBlocking(w, c);
    call((e) => w.p.WSPConnect(c, su.at, 16, null, null, null, null, e));
    await completed(w, aov, 'the AcceptEx');
    assert.equal(aov.Internal, STATUS_SUCCESS);
    const lh = new Uint8Array(4);
    new DataView(lh.buffer).setUint32(0, su.l, true);
    ok('SO_UPDATE_ACCEPT_CONTEXT', (e) => w.p.WSPSetSockOpt(reused, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, lh, 4, e));
    await w.settle(() => w.p.inspect(c)?.phase === 'connected', 'the connect');
    const peer = { family: 0, address: '', port: 0 };
    ok('getpeername', (e) => w.p.WSPGetPeerName(reused, peer, { value: 16 }, e));
    assert.deepEqual(peer, nameOf(w, c));
    assert.equal(send(w, c, enc('hi')).ret, 0);
    assert.deepEqual([...await recvSome(w, reused, 2)], [...enc('hi')]);
  });

  it('rule: a socket disconnected with TF_REUSE_SOCKET (synchronously) is bound again and connected by ConnectEx', async (w) => {
    const su = setup(w);
    const { client: reused } = await connected(w, su);
    assert.deepEqual(disconnectEx(su.dx, reused, null, TF_REUSE_SOCKET), { ret: 1, err: 0 });
    assert.equal(w.p.inspect(reused)?.phase, 'open', 'fresh when the call returns');
    ok('bind', (e) => w.p.WSPBind(reused, addr(w.loopback4, 0), 16, e));
    const cx = extension<ConnectExFn>(w, reused, WSAID_CONNECTEX_BYTES);
    const ov = overlapped();
    const err = { value: 0 };
    assert.equal(cx(reused, su.at, 16, enc('again'), 5, null, ov, err), 0);
    assert.equal(err.value, WSA_IO_PENDING);
    await completed(w, ov);
    assert.deepEqual(result(w, reused, ov), { ret: 1, err: 0, bytes: 5 });
    const server = await until(w, () => acceptNow(w, su.l), 'the second accept');
    assert.deepEqual([...await recvSome(w, server, 5)], [...enc('again')]);
  });

  it('rule: DisconnectEx never throws, whatever it is given', async (w) => {
    const su = setup(w);
    const hostile = [undefined, null, 0, -1, NaN, 'x', {}, [], Object.freeze({ Internal: 0 }), new Proxy({}, { get: () => { throw new Error('boom'); } })];
    const s = socket(w);
    for (const h of hostile) {
      assert.doesNotThrow(() => su.dx(h as never, overlapped(), 0, 0, { value: 0 }));
      assert.doesNotThrow(() => su.dx(s, h as never, h as never, h as never, h as never));
    }
  });
});

onNetworks('DisconnectEx: TIME_WAIT', (it) => {
  it('rule: after TF_REUSE_SOCKET the old connection\'s TIME_WAIT stays on the network: its 4-tuple is WSAEADDRINUSE until it ends', async (w) => {
    const su = setup(w);
    const { client: reused, server } = await connected(w, su);
    const port = nameOf(w, reused).port;
    assert.deepEqual(disconnectEx(su.dx, reused, null, TF_REUSE_SOCKET), { ret: 1, err: 0 });
    assert.equal((await recvSome(w, server, 5)).length, 0);
    ok('closesocket(server)', (e) => w.p.WSPCloseSocket(server, e)); // ours was the active close: TIME_WAIT
    await w.pass(100);
    ok('bind to the old port', (e) => w.p.WSPBind(reused, addr(w.loopback4, port), 16, e));
    nonBlocking(w, reused);
    expectErr(call((e) => w.p.WSPConnect(reused, su.at, 16, null, null, null, null, e)), WSAEADDRINUSE, 'the same 4-tuple during TIME_WAIT');
    await w.pass(300_000);
    expectErr(call((e) => w.p.WSPConnect(reused, su.at, 16, null, null, null, null, e)), WSAEWOULDBLOCK, 'once TIME_WAIT is over');
    await w.settle(() => w.p.inspect(reused)?.phase === 'connected', 'the connect');
  }, { virtualOnly: 'virtual time (TIME_WAIT lasts minutes)' });
});
