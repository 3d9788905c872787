/**
 * When a pending overlapped receive is tried again. The provider skips the try when nothing it
 * waits for changed (src/provider/overlapped.ts): an ACK of the socket's own data, a window update.
 * These cases pin the skip down: it must never hide what a receive does wait for — data, the
 * peer's FIN, a reset — whether the receive asks for bytes or for none (libuv's zero-byte read).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as W from '../src/index.js';
import { listener, ok, pair, setNonBlocking, startConnect, v4 } from './helpers.js';

function connected() {
  const p = pair();
  const l = listener(p.server, v4('10.0.0.1', 80), 5);
  const c = startConnect(p.client, v4('10.0.0.1', 80));
  p.net.run();
  const s = ok((e) => p.server.WSPAccept(l, null, null, null, 0, e));
  setNonBlocking(p.server, s);
  setNonBlocking(p.client, c);
  return { ...p, c, s };
}

function overlapped(): W.WSAOVERLAPPED {
  return { Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: new W.WSAEvent() };
}

function post(p: W.ServiceProvider, s: number, len: number, ov: W.WSAOVERLAPPED): void {
  const e = { value: 0 };
  const ret = p.WSPRecv(s, [{ len, buf: new Uint8Array(len) }], 1, { value: 0 }, { value: 0 }, ov, null, null, e);
  assert.deepEqual([ret, e.value], [W.SOCKET_ERROR, W.WSA_IO_PENDING], 'the receive pends');
}

/**
 * Sends `total` bytes from the server's `s` in 8 KiB calls while the client drains them, running
 * the network between, so that ACKs and window updates keep reaching the server.
 */
function pump(net: W.VirtualNetwork, server: W.ServiceProvider, s: number, client: W.ServiceProvider, c: number, total: number): void {
  const chunk = new Uint8Array(8192).fill(7);
  const sink = new Uint8Array(65536);
  let sent = 0;
  let drained = 0;
  for (let round = 0; drained < total; round++) {
    assert.ok(round < 10_000, `the transfer stalled at ${drained} of ${total} bytes`);
    const n = { value: 0 };
    if (sent < total && server.WSPSend(s, [{ len: chunk.length, buf: chunk }], 1, n, 0, null, null, null, { value: 0 }) === 0) sent += n.value;
    net.run();
    const got = { value: 0 };
    if (client.WSPRecv(c, [{ len: sink.length, buf: sink }], 1, got, { value: 0 }, null, null, null, { value: 0 }) === 0) drained += got.value;
    net.run();
  }
}

for (const len of [0, 16]) {
  const what = len === 0 ? 'a zero-byte receive' : 'a 16-byte receive';
  test(`${what} stays pending through the ACKs of the socket's own data, and completes when data arrives`, () => {
    const { net, server, client, c, s } = connected();
    const ov = overlapped();
    post(server, s, len, ov);
    pump(net, server, s, client, c, 256 * 1024);
    assert.equal(ov.Internal, W.STATUS_PENDING, 'no data came: still pending');
    ok((e) => client.WSPSend(c, [{ len: 3, buf: new Uint8Array([1, 2, 3]) }], 1, { value: 0 }, 0, null, null, null, e));
    net.run();
    assert.equal(ov.Internal, W.STATUS_SUCCESS);
    assert.equal(ov.InternalHigh, Math.min(len, 3));
    assert.equal((ov.hEvent as W.WSAEvent).signaled, true);
    if (len === 0) {
      // A zero-byte receive takes nothing: the bytes are still there for the read that follows.
      const into = new Uint8Array(8);
      const n = { value: 0 };
      ok((e) => server.WSPRecv(s, [{ len: 8, buf: into }], 1, n, { value: 0 }, null, null, null, e));
      assert.deepEqual([...into.subarray(0, n.value)], [1, 2, 3]);
    }
  });

  test(`${what} pending while the socket sends completes at the peer's FIN with 0 bytes`, () => {
    const { net, server, client, c, s } = connected();
    const ov = overlapped();
    post(server, s, len, ov);
    pump(net, server, s, client, c, 64 * 1024);
    assert.equal(ov.Internal, W.STATUS_PENDING);
    ok((e) => client.WSPShutdown(c, W.SD_SEND, e));
    net.run();
    assert.equal(ov.Internal, W.STATUS_SUCCESS);
    assert.equal(ov.InternalHigh, 0);
  });

  test(`${what} pending while the socket sends fails at the peer's reset`, () => {
    const { net, server, client, c, s } = connected();
    const ov = overlapped();
    post(server, s, len, ov);
    pump(net, server, s, client, c, 64 * 1024);
    ok((e) => client.WSPSetSockOpt(c, W.SOL_SOCKET, W.SO_LINGER, new Uint8Array([1, 0, 0, 0]), 4, e));
    ok((e) => client.WSPCloseSocket(c, e));
    net.run();
    assert.equal(ov.Internal, W.STATUS_CONNECTION_RESET);
  });
}
