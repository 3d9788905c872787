/** WSPSend and WSPRecv on TCP streams: buffers, counts, flags, flow control, resets and their error codes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FIONREAD, MSG_OOB, MSG_PEEK, MSG_WAITALL, SD_SEND, SIOCATMARK, SOL_SOCKET, SO_LINGER, SO_RCVBUF,
  SO_RCVTIMEO, SO_SNDBUF, SO_SNDTIMEO, WSAECONNRESET, WSAEFAULT, WSAEINTR, WSAEINVAL, WSAENOBUFS, WSAENOTCONN,
  WSAENOTSOCK, WSAEOPNOTSUPP, WSAETIMEDOUT, WSAEWOULDBLOCK, errorName, type HostOptions, type ServiceProvider,
} from '../src/index.js';
import {
  accept, attempt, bind, connect, expectError, listener, ok, pair, setInt, setNonBlocking, tcp, v4, type Pair,
} from './helpers.js';

const SERVER = v4('10.0.0.1', 80);
const enc = (t: string) => new TextEncoder().encode(t);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Bytes 0..n-1 of a recognisable, non-repeating-at-segment-size pattern. */
function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >> 8)) % 251;
  return out;
}

interface Xfer { ret: number; err: number; count: number; flags: number; data: Uint8Array }

function sendBytes(p: ServiceProvider, s: number, data: Uint8Array, flags = 0): Xfer {
  const count = { value: -1 };
  const r = attempt((e) => p.WSPSend(s, [{ len: data.length, buf: data }], 1, count, flags, null, null, null, e));
  return { ...r, count: count.value, flags, data };
}

/** Sends a string (must succeed and queue all of it). */
function send(p: ServiceProvider, s: number, text: string): void {
  const r = sendBytes(p, s, enc(text));
  assert.ok(r.ret === 0 && r.count === text.length, `send: ${r.count} bytes, ${errorName(r.err)}`);
}

function recvBytes(p: ServiceProvider, s: number, size: number, flags = 0): Xfer {
  const buf = new Uint8Array(size);
  const count = { value: -1 };
  const lpFlags = { value: flags };
  const r = attempt((e) => p.WSPRecv(s, [{ len: size, buf }], 1, count, lpFlags, null, null, null, e));
  return { ...r, count: count.value, flags: lpFlags.value, data: buf.subarray(0, Math.max(0, count.value)) };
}

/** Receives a string (must succeed). */
function recv(p: ServiceProvider, s: number, size = 1024, flags = 0): string {
  const r = recvBytes(p, s, size, flags);
  assert.equal(r.ret, 0, `recv failed with ${errorName(r.err)}`);
  return dec(r.data);
}

const recvError = (p: ServiceProvider, s: number, code: number, flags = 0) =>
  expectError((e) => p.WSPRecv(s, [{ len: 16, buf: new Uint8Array(16) }], 1, { value: 0 }, { value: flags }, null, null, null, e), code);
const sendError = (p: ServiceProvider, s: number, code: number, flags = 0) =>
  expectError((e) => p.WSPSend(s, [{ len: 3, buf: enc('abc') }], 1, { value: 0 }, flags, null, null, null, e), code);

function ioctlInt(p: ServiceProvider, s: number, code: number): number {
  const out = new Uint8Array(4);
  const returned = { value: 0 };
  ok((e) => p.WSPIoctl(s, code, null, 0, out, 4, returned, null, null, null, e));
  assert.equal(returned.value, 4);
  return new DataView(out.buffer).getInt32(0, true);
}
const fionread = (p: ServiceProvider, s: number) => ioctlInt(p, s, FIONREAD);

interface Conn extends Pair { l: number; c: number; a: number }
/** A connected pair: client socket `c`, accepted server socket `a`, listener `l`. */
function connected(o: { serverOptions?: HostOptions; rcvbuf?: number; sndbuf?: number; backlog?: number } = {}): Conn {
  const p = pair(o.serverOptions);
  const l = tcp(p.server);
  ok((e) => p.server.WSPBind(l, SERVER, 16, e));
  if (o.rcvbuf !== undefined) assert.equal(setInt(p.server, l, SOL_SOCKET, SO_RCVBUF, o.rcvbuf).ret, 0);
  ok((e) => p.server.WSPListen(l, o.backlog ?? 5, e));
  const c = tcp(p.client);
  if (o.sndbuf !== undefined) assert.equal(setInt(p.client, c, SOL_SOCKET, SO_SNDBUF, o.sndbuf).ret, 0);
  assert.equal(connect(p.client, c, SERVER).ret, 0);
  const a = accept(p.server, l).ret;
  assert.ok(a > 0);
  return { ...p, l, c, a };
}

describe('WSPSend / WSPRecv: buffers and counts', () => {
  test('gathers several WSABUFs (each up to its len, dwBufferCount of them) and scatters into several; byte counts', () => {
    const { net, client, server, c, a } = connected();
    const out = [
      { len: 2, buf: enc('ab') }, { len: 0, buf: enc('zz') }, { len: 3, buf: enc('cdeXX') }, { len: 4, buf: enc('fghi') },
    ];
    const sent = { value: -1 };
    assert.equal(ok((e) => client.WSPSend(c, out, 4, sent, 0, null, null, null, e)), 0);
    assert.equal(sent.value, 9);
    net.run();
    const into = [{ len: 4, buf: new Uint8Array(4) }, { len: 3, buf: new Uint8Array(8) }, { len: 10, buf: new Uint8Array(10) }];
    const [got, flags] = [{ value: -1 }, { value: 0 }];
    assert.equal(ok((e) => server.WSPRecv(a, into, 3, got, flags, null, null, null, e)), 0);
    assert.equal(got.value, 9);
    assert.equal(flags.value, 0);
    assert.equal(dec(into[0]!.buf), 'abcd');
    assert.deepEqual([...into[1]!.buf], [...enc('efg'), 0, 0, 0, 0, 0], 'nothing written past len');
    assert.equal(dec(into[2]!.buf.subarray(0, 2)), 'hi');
    assert.equal(fionread(server, a), 0);
    // dwBufferCount is honoured: WSABUFs past it are not sent.
    ok((e) => client.WSPSend(c, [{ len: 3, buf: enc('one') }, { len: 3, buf: enc('two') }], 1, sent, 0, null, null, null, e));
    assert.equal(sent.value, 3);
    net.run();
    assert.equal(recv(server, a), 'one');
  });

  test('MSG_PEEK leaves the data queued; the next normal read returns the same bytes', () => {
    const { net, client, server, c, a } = connected();
    send(client, c, 'hello');
    net.run();
    assert.equal(recv(server, a, 3, MSG_PEEK), 'hel');
    assert.equal(recv(server, a, 64, MSG_PEEK), 'hello');
    assert.equal(fionread(server, a), 5);
    assert.equal(recv(server, a), 'hello');
    assert.equal(fionread(server, a), 0);
  });

  test('FIONREAD reports the unread bytes; SIOCATMARK reports TRUE', () => {
    const { net, client, server, c, a } = connected();
    assert.equal(fionread(server, a), 0);
    send(client, c, '0123456789');
    net.run();
    assert.equal(fionread(server, a), 10);
    assert.equal(recv(server, a, 4), '0123');
    assert.equal(fionread(server, a), 6);
    assert.equal(ioctlInt(server, a, SIOCATMARK), 1);
  });

  test('MSG_WAITALL on a blocking socket fills the buffer across several segments', () => {
    const { client, server, c, a } = connected();
    const data = pattern(6000);
    assert.equal(sendBytes(client, c, data).count, 6000);
    const first = recvBytes(server, a, 6000);
    assert.equal(first.ret, 0);
    assert.ok(first.count > 0 && first.count < 6000, `a plain recv returns one segment's worth (${first.count})`);
    const rest = recvBytes(server, a, 6000 - first.count, MSG_WAITALL);
    assert.equal(rest.ret, 0);
    assert.equal(rest.count, 6000 - first.count);
    assert.deepEqual(new Uint8Array([...first.data, ...rest.data]), data);
  });

  test('MSG_WAITALL returns early with what it has when the peer closes its side', () => {
    const { client, server, c, a } = connected();
    send(client, c, 'short');
    ok((e) => client.WSPShutdown(c, SD_SEND, e));
    assert.equal(recv(server, a, 1000, MSG_WAITALL), 'short');
    assert.equal(recvBytes(server, a, 1000, MSG_WAITALL).count, 0);
  });

  test('MSG_WAITALL completes only when the buffer is full, even one larger than SO_RCVBUF', () => {
    const { client, server, c, a } = connected({ rcvbuf: 4096 });
    const data = pattern(10000);
    assert.equal(sendBytes(client, c, data).count, 10000, 'SO_SNDBUF (64 KiB) takes it all');
    const r = recvBytes(server, a, 10000, MSG_WAITALL);
    assert.equal(r.ret, 0);
    assert.equal(r.count, 10000);
    assert.deepEqual(r.data, data);
  });

  test('a 1 MiB transfer between blocking sockets arrives intact and in order', () => {
    const { net, client, server, c, a } = connected();
    const data = pattern(1 << 20);
    const got = new Uint8Array(data.length);
    let off = 0;
    let have = 0;
    const sizes = [1, 1460, 4097, 16384, 30000];
    for (let i = 0; off < data.length; i++) {
      const chunk = data.subarray(off, Math.min(data.length, off + sizes[i % sizes.length]!));
      const r = sendBytes(client, c, chunk);
      assert.equal(r.ret, 0);
      assert.equal(r.count, chunk.length);
      off += chunk.length;
      net.run();
      while (fionread(server, a) > 0) {
        const x = recvBytes(server, a, 7000);
        assert.ok(x.ret === 0 && x.count > 0, `recv: ${errorName(x.err)}`);
        got.set(x.data, have);
        have += x.count;
      }
    }
    ok((e) => client.WSPShutdown(c, SD_SEND, e));
    assert.equal(recvBytes(server, a, 7000).count, 0);
    assert.equal(have, data.length);
    assert.ok(Buffer.from(got).equals(Buffer.from(data)), 'bytes differ');
  });
});

describe('WSPSend / WSPRecv: flags and arguments', () => {
  test('WSAEOPNOTSUPP: MSG_WAITALL on a non-blocking socket, or with MSG_PEEK; the data stays', () => {
    const { net, client, server, c, a } = connected();
    send(client, c, 'data');
    net.run();
    recvError(server, a, WSAEOPNOTSUPP, MSG_WAITALL | MSG_PEEK);
    setNonBlocking(server, a);
    recvError(server, a, WSAEOPNOTSUPP, MSG_WAITALL);
    assert.equal(fionread(server, a), 4);
    assert.equal(recv(server, a), 'data');
  });

  test('MSG_OOB: the last byte of the send is urgent; FIONREAD counts the others and recv MSG_OOB returns it (Windows)', () => {
    const { net, client, server, c, a } = connected();
    const r = sendBytes(client, c, enc('xyz'), MSG_OOB);
    assert.deepEqual([r.ret, r.count], [0, 3]);
    net.run();
    assert.equal(fionread(server, a), 2, 'the urgent byte is held apart');
    assert.equal(recv(server, a, 16, MSG_OOB), 'z');
    assert.equal(recv(server, a), 'xy');
    recvError(server, a, WSAEOPNOTSUPP, MSG_OOB | MSG_WAITALL);
  });

  test('MSG_OOB across a lossy link: retransmitted segments announce the urgent byte again; it is held apart exactly once', () => {
    // 10 % loss: each seed loses segments (seeds 2, 4, 6, 7, 8 need retransmissions) yet keeps the connection.
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const p = pair({}, { seed, lossRate: 0.1 });
      const l = tcp(p.server);
      ok((e) => p.server.WSPBind(l, SERVER, 16, e));
      ok((e) => p.server.WSPListen(l, 5, e));
      const c = tcp(p.client);
      assert.equal(connect(p.client, c, SERVER).ret, 0);
      const a = accept(p.server, l).ret;
      const data = pattern(5000);
      assert.equal(sendBytes(p.client, c, data, MSG_OOB).count, 5000);
      const got = recvBytes(p.server, a, 4999, MSG_WAITALL);
      assert.equal(got.count, 4999, `seed ${seed}: the normal bytes`);
      assert.deepEqual(got.data, data.subarray(0, 4999));
      const u = recvBytes(p.server, a, 8, MSG_OOB);
      assert.deepEqual([u.count, u.data[0]], [1, data[4999]], `seed ${seed}: the urgent byte`);
      setNonBlocking(p.server, a);
      recvError(p.server, a, WSAEWOULDBLOCK, MSG_OOB);
    }
  });

  test('WSAEOPNOTSUPP: unknown flags; WSAEINVAL: a flags value that is not an integer', () => {
    const { client, server, c, a } = connected();
    sendError(client, c, WSAEOPNOTSUPP, 0x10000);
    recvError(server, a, WSAEOPNOTSUPP, 0x10000);
    sendError(client, c, WSAEINVAL, 1.5);
    recvError(server, a, WSAEINVAL, 0.5);
  });

  test('WSAENOTCONN: a socket that is not connected, and a listener', () => {
    const { server, l } = connected();
    const fresh = tcp(server);
    const bound = tcp(server);
    bind(server, bound, v4('10.0.0.1', 81));
    for (const s of [fresh, bound, l]) {
      sendError(server, s, WSAENOTCONN);
      recvError(server, s, WSAENOTCONN);
    }
  });

  test('WSAENOTSOCK: not a descriptor, or a closed one', () => {
    const { client, c } = connected();
    sendError(client, 4242, WSAENOTSOCK);
    recvError(client, 4242, WSAENOTSOCK);
    ok((e) => client.WSPCloseSocket(c, e));
    sendError(client, c, WSAENOTSOCK);
    recvError(client, c, WSAENOTSOCK);
  });

  test('WSAEFAULT: malformed WSABUFs, len > buf.length, count past the array, missing count or flags', () => {
    const { net, client, server, c, a } = connected();
    const b = new Uint8Array(4);
    const bad: [unknown, number][] = [
      [null, 1], [{ len: 4, buf: b }, 1], [[{ len: 5, buf: b }], 1], [[{ len: -1, buf: b }], 1], [[{ len: 4, buf: [1, 2, 3, 4] }], 1],
      [[null], 1], [[{ len: 4, buf: b }], 2], [[{ len: 4, buf: b }], -1], [[{ len: 1.5, buf: b }], 1],
    ];
    for (const [bufs, n] of bad) {
      expectError((e) => client.WSPSend(c, bufs as never, n, { value: 0 }, 0, null, null, null, e), WSAEFAULT);
      expectError((e) => server.WSPRecv(a, bufs as never, n, { value: 0 }, { value: 0 }, null, null, null, e), WSAEFAULT);
    }
    const good = [{ len: 4, buf: b }];
    expectError((e) => client.WSPSend(c, good, 1, null as never, 0, null, null, null, e), WSAEFAULT);
    expectError((e) => server.WSPRecv(a, good, 1, null as never, { value: 0 }, null, null, null, e), WSAEFAULT);
    expectError((e) => server.WSPRecv(a, good, 1, { value: 0 }, null as never, null, null, null, e), WSAEFAULT);
    net.run();
    assert.equal(fionread(server, a), 0, 'no failed send put bytes on the wire');
  });

  test('overlapped: a send that fits completes at once (0, Internal 0, InternalHigh the bytes); a completion routine without an OVERLAPPED is a plain call', () => {
    const { net, client, server, c, a } = connected();
    const ov = { Internal: 0x103, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: null };
    const sent = { value: 0 };
    assert.equal(client.WSPSend(c, [{ len: 2, buf: enc('hi') }], 1, sent, 0, ov, null, null, { value: 0 }), 0);
    assert.deepEqual([sent.value, ov.Internal, ov.InternalHigh], [2, 0, 2]);
    assert.equal(client.WSPSend(c, [{ len: 2, buf: enc('ok') }], 1, sent, 0, null, () => 0, null, { value: 0 }), 0);
    net.run();
    assert.equal(recv(server, a), 'hiok');
  });
});

describe('WSPSend / WSPRecv: end of stream, resets, blocking and flow control', () => {
  test('a graceful close by the peer reads 0, after the data', () => {
    const { client, server, c, a } = connected();
    send(client, c, 'bye');
    ok((e) => client.WSPCloseSocket(c, e));
    assert.equal(recv(server, a), 'bye');
    for (let i = 0; i < 2; i++) {
      const end = recvBytes(server, a, 16);
      assert.deepEqual([end.ret, end.count], [0, 0], 'end of stream, every time');
    }
  });

  test('WSAECONNRESET: the peer closed with SO_LINGER {1,0}; unread data is discarded', () => {
    const { net, client, server, c, a } = connected();
    send(client, c, 'lost');
    net.run();
    assert.equal(fionread(server, a), 4);
    ok((e) => client.WSPSetSockOpt(c, SOL_SOCKET, SO_LINGER, new Uint8Array([1, 0, 0, 0]), 4, e)); // {1, 0}
    ok((e) => client.WSPCloseSocket(c, e));
    net.run();
    recvError(server, a, WSAECONNRESET);
    assert.equal(fionread(server, a), 0);
    sendError(server, a, WSAECONNRESET);
  });

  test('WSAEWOULDBLOCK: non-blocking recv with nothing queued', () => {
    const { net, client, server, c, a } = connected();
    setNonBlocking(server, a);
    recvError(server, a, WSAEWOULDBLOCK);
    send(client, c, 'now');
    recvError(server, a, WSAEWOULDBLOCK); // not arrived yet: nothing ran the network
    net.run();
    assert.equal(recv(server, a), 'now');
  });

  test('non-blocking send: the whole buffer while SO_SNDBUF is not full (Windows), WSAEWOULDBLOCK once it is, sends again once the reader reads', () => {
    // Wine's test_send_buffering: a non-blocking send on a fresh connection takes the whole
    // buffer, far beyond SO_SNDBUF; the next one fails with WSAEWOULDBLOCK, never a part.
    const { net, client, server, c, a } = connected({ sndbuf: 4096, rcvbuf: 4096 });
    setNonBlocking(client, c);
    const data = pattern(40000);
    const first = sendBytes(client, c, data);
    assert.deepEqual([first.ret, first.count], [0, 40000], 'the whole buffer, ten times SO_SNDBUF');
    net.run();
    sendError(client, c, WSAEWOULDBLOCK); // a full window is in the reader, the rest still queued
    assert.equal(fionread(server, a), 4096, 'the reader holds a full window');
    const got: number[] = [];
    while (got.length < data.length) {
      const x = recvBytes(server, a, 4096); // blocking reads reopen the window
      assert.ok(x.ret === 0 && x.count > 0, `recv: ${errorName(x.err)}`);
      got.push(...x.data);
      net.run();
    }
    assert.deepEqual(new Uint8Array(got), data);
    const again = sendBytes(client, c, data);
    assert.deepEqual([again.ret, again.count], [0, 40000], 'the buffer emptied: whole again');
  });

  test('WSAENOBUFS: a send the host bufferBudget cannot cover (non-blocking, or blocking with nothing in flight to free it)', () => {
    // listener 512 + one backlog slot 256 + the accepted socket 512 = 1280, plus 1000 for data.
    const { net, server, client, c, a } = connected({ serverOptions: { bufferBudget: 2280 }, backlog: 1 });
    setNonBlocking(server, a);
    assert.equal(sendBytes(server, a, pattern(1200)).count, 1000, 'non-blocking: queues what fits');
    sendError(server, a, WSAENOBUFS);
    net.run(); // the acknowledgment gives the memory back
    assert.equal(sendBytes(server, a, pattern(1000)).count, 1000);
    setNonBlocking(server, a, false);
    const t0 = net.now();
    const r = sendBytes(server, a, pattern(1000));
    assert.deepEqual([r.ret, r.count], [0, 1000], 'blocking: waits for acknowledgments, never a short count');
    assert.ok(net.now() > t0);
    assert.equal(recvBytes(client, c, 3000, MSG_WAITALL).count, 3000);
    assert.equal(sendBytes(client, c, pattern(1000)).count, 1000);
    net.run(); // unread data now holds the server's whole budget, and nothing in flight can free it
    sendError(server, a, WSAENOBUFS);
    assert.equal(fionread(client, c), 0, 'the failed send sent nothing');
  });

  test('SO_RCVTIMEO: a blocking recv fails with WSAETIMEDOUT after that much virtual time', () => {
    const { net, server, a } = connected();
    assert.equal(setInt(server, a, SOL_SOCKET, SO_RCVTIMEO, 250).ret, 0);
    const t0 = net.now();
    recvError(server, a, WSAETIMEDOUT);
    assert.equal(net.now() - t0, 250);
  });

  test('a blocking send that nothing can ever complete fails with WSAEINTR instead of hanging', () => {
    const { client, c } = connected({ sndbuf: 4096, rcvbuf: 4096 });
    assert.equal(sendBytes(client, c, pattern(8192)).count, 8192, 'window 4096 + SO_SNDBUF 4096');
    sendError(client, c, WSAEINTR);
  });

  test('a blocking WSPSend cut short after queueing part of its data reports that count (decisions.md), never more', () => {
    const big = pattern(300000);
    // A send the buffer has room for is taken whole, however large (Windows).
    const x = connected();
    const r = sendBytes(x.client, x.c, big);
    assert.deepEqual([r.ret, r.count], [0, 300000], 'taken whole: SO_SNDBUF was not full');
    // What cuts a blocking send short is memory: a budget for 100000 bytes of data, acknowledgments
    // that give back only the peer's window (it does not read), and SO_SNDTIMEO.
    // listener 512 + one backlog slot 256 + the accepted socket 512 = 1280.
    const y = connected({ serverOptions: { bufferBudget: 1280 + 100000 }, backlog: 1 });
    assert.equal(setInt(y.server, y.a, SOL_SOCKET, SO_SNDTIMEO, 300).ret, 0);
    const t0 = y.net.now();
    const t = sendBytes(y.server, y.a, big);
    // 100000 bytes fill the budget; the first acknowledgment that leaves SO_SNDBUF not full
    // (12 segments of 1460 = 35040 bytes) gives back as much memory, which the send takes; then
    // the peer's window closes with SO_SNDBUF still full.
    assert.deepEqual([t.ret, t.count], [0, 135040]);
    const waited = y.net.now() - t0;
    assert.ok(waited >= 300 && waited < 501, `it waited SO_SNDTIMEO for memory (${waited} ms)`);
    // The queued bytes arrive, in order, exactly once.
    let got = 0;
    for (;;) {
      const chunk = recvBytes(y.client, y.c, 65536);
      if (chunk.count === 0) break;
      assert.deepEqual(chunk.data, big.subarray(got, got + chunk.count));
      got += chunk.count;
      if (got === 135040) break;
    }
    assert.equal(got, 135040);
  });

  test('SO_SNDTIMEO: a blocking send with no room fails with WSAETIMEDOUT after that much virtual time', () => {
    const { net, client, c } = connected({ sndbuf: 4096, rcvbuf: 4096 });
    assert.equal(sendBytes(client, c, pattern(8192)).count, 8192);
    assert.equal(setInt(client, c, SOL_SOCKET, SO_SNDTIMEO, 300).ret, 0);
    const t0 = net.now();
    sendError(client, c, WSAETIMEDOUT);
    assert.equal(net.now() - t0, 300);
  });

  test('WSAECONNRESET: connections a lower backlog reset, on their next WSPRecv and WSPSend', () => {
    const { net, server, client } = pair();
    const l = listener(server, SERVER, 3);
    const cs = [0, 1, 2].map(() => {
      const s = tcp(client);
      assert.equal(connect(client, s, SERVER).ret, 0);
      return s;
    });
    ok((e) => server.WSPListen(l, 1, e));
    net.run();
    for (const s of cs.slice(1)) {
      recvError(client, s, WSAECONNRESET);
      sendError(client, s, WSAECONNRESET);
    }
    send(client, cs[0]!, 'kept');
    const a = accept(server, l).ret;
    assert.equal(recv(server, a), 'kept');
  });

  test('WSAECONNRESET: connections a closed listener reset, on their next WSPSend and WSPRecv', () => {
    const { net, server, client } = pair();
    const l = listener(server, SERVER, 5);
    const s1 = tcp(client);
    const s2 = tcp(client);
    assert.equal(connect(client, s1, SERVER).ret, 0);
    assert.equal(connect(client, s2, SERVER).ret, 0);
    ok((e) => server.WSPCloseSocket(l, e));
    net.run();
    sendError(client, s1, WSAECONNRESET);
    recvError(client, s2, WSAECONNRESET);
  });
});
