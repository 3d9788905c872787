/**
 * WSPDuplicateSocket (the proc table's 30th entry, src/spi/duplicate.ts): two descriptors of one
 * socket in one provider, then across two worker threads. Wine's own cases are in
 * test/wine/duplicate.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  FROM_PROTOCOL_INFO, INVALID_SOCKET, SOCKET_ERROR, SOL_SOCKET, SO_RCVBUF, VirtualNetwork, WSAEINVAL, WSAENOTSOCK,
  protocolCatalog, type ServiceProvider, type WSAPROTOCOL_INFOW,
} from '../src/index.js';
import { pendingDuplicates } from '../src/spi/duplicate.js';
import { ProviderServer } from '../src/threads/index.js';
import { expectError, ok, pair, setNonBlocking, startConnect, tcp, v4 } from './helpers.js';

function blank(): WSAPROTOCOL_INFOW {
  return { ...protocolCatalog()[0]!, dwProviderReserved: 0 };
}

function dupOf(p: ServiceProvider, s: number): WSAPROTOCOL_INFOW {
  const info = blank();
  ok((e) => p.WSPDuplicateSocket(s, p.GetCurrentProcessId(), info, e));
  return info;
}

const redeem = (p: ServiceProvider, info: WSAPROTOCOL_INFOW) =>
  ok((e) => p.WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, info, 0, 0, e));

function sendText(p: ServiceProvider, s: number, text: string): void {
  const b = new TextEncoder().encode(text);
  const n = { value: 0 };
  ok((e) => p.WSPSend(s, [{ len: b.length, buf: b }], 1, n, 0, null, null, null, e));
  assert.equal(n.value, b.length);
}

/** Everything readable now, and whether the stream ended (a 0-byte receive). */
function drain(p: ServiceProvider, s: number): { text: string; ended: boolean } {
  let text = '';
  for (;;) {
    const buf = new Uint8Array(4096);
    const n = { value: 0 };
    const r = p.WSPRecv(s, [{ len: buf.length, buf }], 1, n, { value: 0 }, null, null, null, { value: 0 });
    if (r === SOCKET_ERROR) return { text, ended: false };
    if (n.value === 0) return { text, ended: true };
    text += new TextDecoder().decode(buf.subarray(0, n.value));
  }
}

/** A connected pair: `c` on the client, `a` accepted on the server, both non-blocking. */
function connected() {
  const w = pair();
  const l = tcp(w.server);
  ok((e) => w.server.WSPBind(l, v4('10.0.0.1', 80), 16, e));
  ok((e) => w.server.WSPListen(l, 4, e));
  setNonBlocking(w.server, l);
  const c = startConnect(w.client, v4('10.0.0.1', 80));
  w.net.run();
  const a = ok((e) => w.server.WSPAccept(l, null, null, null, 0, e));
  setNonBlocking(w.server, a);
  return { ...w, c, a };
}

describe('WSPDuplicateSocket in one provider', () => {
  test('two descriptors of one connection: data sent through either arrives once, in order; a receive through either takes it', () => {
    const w = connected();
    const dup = redeem(w.client, dupOf(w.client, w.c));
    assert.notEqual(dup, w.c);
    sendText(w.client, w.c, 'one;');
    sendText(w.client, dup, 'two');
    w.net.run();
    assert.equal(drain(w.server, w.a).text, 'one;two');
    sendText(w.server, w.a, 'back');
    w.net.run();
    assert.equal(drain(w.client, dup).text, 'back');
    assert.equal(drain(w.client, w.c).text, '', 'the data was taken through the other descriptor');
  });

  test('options are the socket\'s: SO_RCVBUF set through one descriptor reads back through the other', () => {
    const w = connected();
    const dup = redeem(w.client, dupOf(w.client, w.c));
    const v = new Uint8Array(4);
    new DataView(v.buffer).setInt32(0, 12345, true);
    ok((e) => w.client.WSPSetSockOpt(w.c, SOL_SOCKET, SO_RCVBUF, v, 4, e));
    const out = new Uint8Array(4);
    ok((e) => w.client.WSPGetSockOpt(dup, SOL_SOCKET, SO_RCVBUF, out, { value: 4 }, e));
    assert.equal(new DataView(out.buffer).getInt32(0, true), 12345);
  });

  test('the socket lives until the last descriptor closes: closing one sends no FIN; closing the last does', () => {
    const w = connected();
    const dup = redeem(w.client, dupOf(w.client, w.c));
    ok((e) => w.client.WSPCloseSocket(w.c, e));
    expectError((e) => w.client.WSPCloseSocket(w.c, e), WSAENOTSOCK);
    w.net.run();
    assert.deepEqual(drain(w.server, w.a), { text: '', ended: false }, 'no FIN while a descriptor is open');
    sendText(w.client, dup, 'still here');
    ok((e) => w.client.WSPCloseSocket(dup, e));
    w.net.run();
    assert.deepEqual(drain(w.server, w.a), { text: 'still here', ended: true });
  });

  test('the duplicate holds the socket from WSPDuplicateSocket on: the source may close before the structure is redeemed', () => {
    const w = connected();
    const before = w.client.core.descriptorsInUse;
    const info = dupOf(w.client, w.c);
    assert.equal(w.client.core.descriptorsInUse, before + 1, 'the duplicate\'s descriptor counts at once');
    ok((e) => w.client.WSPCloseSocket(w.c, e));
    const dup = redeem(w.client, info);
    sendText(w.client, dup, 'after the source closed');
    w.net.run();
    assert.deepEqual(drain(w.server, w.a), { text: 'after the source closed', ended: false });
  });

  test('redeemed once: a second WSPSocket with the same structure, a forged one, or one redeemed in another provider is WSAEINVAL', () => {
    const w = connected();
    const info = dupOf(w.client, w.c);
    const moved = { ...info };
    expectError((e) => w.server.WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, moved, 0, 0, e), WSAEINVAL, INVALID_SOCKET);
    redeem(w.client, info); // still redeemable where it belongs
    expectError((e) => w.client.WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, info, 0, 0, e), WSAEINVAL, INVALID_SOCKET);
    const forged = { ...blank(), dwProviderReserved: 0x1234 };
    expectError((e) => w.client.WSPSocket(0, 0, 0, forged, 0, 0, e), WSAEINVAL, INVALID_SOCKET);
  });

  test('a triple that is not the socket\'s is WSAEINVAL, and leaves the structure redeemable', () => {
    const w = connected();
    const info = dupOf(w.client, w.c);
    expectError((e) => w.client.WSPSocket(FROM_PROTOCOL_INFO, 2 /* SOCK_DGRAM */, FROM_PROTOCOL_INFO, info, 0, 0, e), WSAEINVAL, INVALID_SOCKET);
    redeem(w.client, info);
  });

  test('another provider\'s process id is WSAEINVAL (a provider is a process: another host is another machine)', () => {
    const w = connected();
    const info = blank();
    expectError((e) => w.client.WSPDuplicateSocket(w.c, w.server.GetCurrentProcessId(), info, e), WSAEINVAL);
    assert.equal(info.dwProviderReserved, 0);
  });

  test('WSPCleanup closes every descriptor, pending duplicates included: the structure is then stale (WSAEINVAL)', () => {
    const w = connected();
    ok((e) => w.client.WSPStartup(0x0202, {} as never, null, null, {}) === 0 ? 0 : SOCKET_ERROR);
    const dup = redeem(w.client, dupOf(w.client, w.c));
    const pending = dupOf(w.client, w.c);
    ok((e) => w.client.WSPCleanup(e));
    assert.equal(w.client.core.descriptorsInUse, 0);
    expectError((e) => w.client.WSPCloseSocket(dup, e), WSAENOTSOCK);
    expectError((e) => w.client.WSPSocket(0, 0, 0, pending, 0, 0, e), WSAEINVAL, INVALID_SOCKET);
  });
});

describe('WSPDuplicateSocket keeps nothing past its socket', () => {
  test('a structure never redeemed: once its socket is destroyed (source closed, then WSPCleanup) it is stale (WSAEINVAL) and the provider keeps no entry of it', () => {
    const w = connected();
    ok((e) => w.client.WSPStartup(0x0202, {} as never, null, null, {}) === 0 ? 0 : SOCKET_ERROR);
    const info = dupOf(w.client, w.c);
    assert.equal(pendingDuplicates(w.client.core), 1);
    ok((e) => w.client.WSPCloseSocket(w.c, e));
    assert.equal(pendingDuplicates(w.client.core), 1, 'the duplicate\'s descriptor keeps the socket open');
    ok((e) => w.client.WSPCleanup(e));
    assert.equal(pendingDuplicates(w.client.core), 0);
    expectError((e) => w.client.WSPSocket(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, info, 0, 0, e), WSAEINVAL, INVALID_SOCKET);
  });

  test('a socket destroyed by closing its last descriptor drops the entries of its redeemed and unredeemed duplicates alike', () => {
    const w = connected();
    const first = dupOf(w.client, w.c);
    const second = dupOf(w.client, w.c);
    const dup = redeem(w.client, first);
    assert.equal(pendingDuplicates(w.client.core), 1);
    // Closing the source and the redeemed descriptor leaves the pending duplicate's descriptor:
    // the socket lives. Closing that one by its handle (as a program that guessed it could) destroys it.
    ok((e) => w.client.WSPCloseSocket(w.c, e));
    ok((e) => w.client.WSPCloseSocket(dup, e));
    assert.equal(w.client.core.descriptorsInUse, 1);
    const [handle] = w.client.core.handles();
    ok((e) => w.client.WSPCloseSocket(handle!, e));
    assert.equal(pendingDuplicates(w.client.core), 0);
    expectError((e) => w.client.WSPSocket(0, 0, 0, second, 0, 0, e), WSAEINVAL, INVALID_SOCKET);
  });

  test('tokens and process ids are the network\'s: two fresh networks hand out the same ones, whatever ran before', () => {
    const run = () => {
      const w = connected();
      const info = dupOf(w.client, w.c);
      return [w.client.GetCurrentProcessId(), w.server.GetCurrentProcessId(), info.dwProviderReserved, dupOf(w.client, w.c).dwProviderReserved];
    };
    const a = run();
    const b = run();
    assert.deepEqual(b, a);
    assert.notEqual(a[0], a[1], 'two providers of one network are two processes');
    assert.notEqual(a[2], a[3]);
  });

  test('a structure from one provider names nothing in another of the same network (WSAEINVAL, both left as they were)', () => {
    const w = connected();
    const mine = dupOf(w.server, w.a);
    const theirs = dupOf(w.client, w.c);
    expectError((e) => w.server.WSPSocket(0, 0, 0, theirs, 0, 0, e), WSAEINVAL, INVALID_SOCKET);
    assert.equal(pendingDuplicates(w.server.core), 1);
    assert.notEqual(redeem(w.server, mine), INVALID_SOCKET);
    assert.notEqual(redeem(w.client, theirs), INVALID_SOCKET);
  });
});

describe('WSPDuplicateSocket across worker threads', () => {
  test('a worker duplicates its connected socket and closes it; another worker redeems the structure (posted to it), sends, and closes the last descriptor: the peer gets both threads\' data, then the FIN', async () => {
    const net = new VirtualNetwork({ seed: 7 });
    const server = net.addHost({ addresses: ['10.0.0.1'] }).provider;
    const client = net.addHost({ addresses: ['10.0.0.2'] }).provider;
    const l = tcp(server);
    ok((e) => server.WSPBind(l, v4('10.0.0.1', 80), 16, e));
    ok((e) => server.WSPListen(l, 4, e));
    setNonBlocking(server, l);
    const owner = new ProviderServer(client);
    const start = (data: Record<string, unknown>) => {
      const channel = owner.open(client);
      const worker = new Worker(new URL('./fixtures/duplicate-worker.js', import.meta.url), { workerData: { ...data, channel }, transferList: [channel.port] });
      return new Promise<Record<string, unknown>>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    };
    const source = await start({ role: 'source', address: '10.0.0.1', port: 80 });
    assert.equal(source.error, undefined, String(source.error));
    const target = await start({ role: 'target', info: source.info });
    owner.close();
    assert.equal(target.error, undefined, String(target.error));
    assert.deepEqual([target.second, target.secondErr], [INVALID_SOCKET, WSAEINVAL], 'a structure is redeemed once');
    net.run();
    const a = ok((e) => server.WSPAccept(l, null, null, null, 0, e));
    setNonBlocking(server, a);
    assert.deepEqual(drain(server, a), { text: 'from the source thread;from the target thread', ended: true });
    assert.equal(client.core.descriptorsInUse, 0);
  });
});
