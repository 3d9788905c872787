/**
 * TransmitPackets, with the rows of Wine's test_TransmitFile (dlls/ws2_32/tests/sock.c) that
 * apply to memory buffers (TransmitFile and TransmitPackets are one engine in AFD; here there are
 * no files): the errors for an invalid or unconnected socket, an empty transmission, head and
 * tail arriving whole and in order, an overlapped call pending and completing with the bytes
 * sent. Cases named "decision" prove what docs/overlapped.md ("TransmitPackets") decided where
 * the record is silent.
 */
import assert from 'node:assert/strict';
import {
  FUNCTION_POINTER_SIZE, SIO_GET_EXTENSION_FUNCTION_POINTER, SOCK_DGRAM, STATUS_PENDING, STATUS_SUCCESS, TF_DISCONNECT,
  TF_REUSE_SOCKET, TF_USE_KERNEL_APC, TF_USE_SYSTEM_THREAD, TP_ELEMENT_EOP, TP_ELEMENT_FILE, TP_ELEMENT_MEMORY, WSAEFAULT,
  WSAEINVAL, WSAEMSGSIZE, WSAENOTCONN, WSAENOTSOCK, WSAESHUTDOWN, WSAEWOULDBLOCK, WSAEvent, WSA_IO_PENDING, WSAID_TRANSMITPACKETS_BYTES,
  type FunctionPointerOut, type TRANSMIT_PACKETS_ELEMENT, type TransmitPacketsFn, type WSAOVERLAPPED,
} from '../../src/index.js';
import { addr, nameOf, nonBlocking, ok, onNetworks, recv, send, socket, tcpPair, type World } from './harness.js';

const INVALID_SOCKET = 0xffffffff;
const enc = (t: string) => new TextEncoder().encode(t);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const HEADER = enc('hello world\0');
const FOOTER = enc('goodbye!!!\0');

function transmitPackets(w: World, s: number): TransmitPacketsFn {
  const out: FunctionPointerOut = { value: null };
  ok('SIO_GET_EXTENSION_FUNCTION_POINTER', (e) => w.p.WSPIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_TRANSMITPACKETS_BYTES, 16, out as never, FUNCTION_POINTER_SIZE, { value: 0 }, null, null, null, e));
  assert.equal(typeof out.value, 'function');
  return out.value as TransmitPacketsFn;
}

function mem(buf: Uint8Array, eop = false): TRANSMIT_PACKETS_ELEMENT {
  return { dwElFlags: TP_ELEMENT_MEMORY | (eop ? TP_ELEMENT_EOP : 0), cLength: buf.length, pBuffer: buf };
}

/** TransmitPackets: the BOOL and the last error (0 when none was written). */
function tp(fn: TransmitPacketsFn, s: number, els: TRANSMIT_PACKETS_ELEMENT[] | null, ov: WSAOVERLAPPED | null, flags = 0, count = els?.length ?? 0) {
  const err = { value: 0 };
  const ret = fn(s, els, count, 0, ov, flags, err);
  return { ret, err: err.value };
}

function overlapped(): WSAOVERLAPPED {
  return { Internal: 0xdeadbeef, InternalHigh: 0xdeadbeef, Offset: 0, OffsetHigh: 0, hEvent: new WSAEvent() };
}

/** Bytes a receive could take now (FIONREAD). */
function readable(w: World, s: number): number {
  const out = new Uint8Array(4);
  const r = w.p.WSPIoctl(s, 0x4004667f /* FIONREAD */, null as never, 0, out, 4, { value: 0 }, null, null, null, { value: 0 });
  return r === 0 ? new DataView(out.buffer).getUint32(0, true) : -1;
}

/** Receives exactly `n` bytes, reading what has arrived as it arrives (the window must keep opening). */
async function recvAll(w: World, s: number, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  for (let round = 0; got < n && round < 1000; round++) {
    await w.settle(() => readable(w, s) > 0, `byte ${got} of ${n}`);
    const r = recv(w, s, Math.min(n - got, readable(w, s)));
    assert.equal(r.ret, 0);
    out.set(r.bytes, got);
    got += r.bytes.length;
  }
  assert.equal(got, n);
  return out;
}

onNetworks('test_TransmitFile (TransmitPackets, memory buffers)', (it) => {
  it('test_TransmitFile: an invalid socket is WSAENOTSOCK; an unconnected stream socket WSAENOTCONN (TF_REUSE_SOCKET alone); a UDP socket without a peer WSAENOTCONN', (w) => {
    const client = socket(w);
    const fn = transmitPackets(w, client);
    assert.deepEqual(tp(fn, INVALID_SOCKET, null, null), { ret: 0, err: WSAENOTSOCK });
    assert.deepEqual(tp(fn, client, null, null, TF_REUSE_SOCKET), { ret: 0, err: WSAENOTCONN });
    const udp = socket(w, SOCK_DGRAM);
    assert.deepEqual(tp(fn, udp, null, null), { ret: 0, err: WSAENOTCONN });
  });

  it('test_TransmitFile: with nothing to send it succeeds and nothing arrives; head and tail buffers arrive whole and in order', async (w) => {
    const { client, server: dest } = await tcpPair(w);
    nonBlocking(w, dest);
    const fn = transmitPackets(w, client);
    assert.deepEqual(tp(fn, client, null, null), { ret: 1, err: 0 });
    await w.pass(10);
    assert.equal(recv(w, dest, 256).err, WSAEWOULDBLOCK, 'nothing was sent');
    assert.deepEqual(tp(fn, client, [mem(HEADER), mem(FOOTER)], null), { ret: 1, err: 0 });
    const got = await recvAll(w, dest, HEADER.length + FOOTER.length);
    assert.deepEqual(got, new Uint8Array([...HEADER, ...FOOTER]));
  });

  it('test_TransmitFile: an overlapped call returns FALSE with ERROR_IO_PENDING, signals its event and reports every byte sent through WSAGetOverlappedResult [95]', async (w) => {
    const { client, server: dest } = await tcpPair(w);
    const fn = transmitPackets(w, client);
    const body = new Uint8Array(100_000).map((_, i) => (i * 7) & 0xff);
    const ov = overlapped();
    assert.deepEqual(tp(fn, client, [mem(HEADER), mem(body), mem(FOOTER)], ov), { ret: 0, err: WSA_IO_PENDING });
    await w.settle(() => ov.Internal !== STATUS_PENDING, 'the completion');
    assert.equal(ov.hEvent!.signaled, true);
    const total = { value: 0 };
    ok('WSAGetOverlappedResult', (e) => w.p.WSPGetOverlappedResult(client, ov, total, false, null, e));
    const size = HEADER.length + body.length + FOOTER.length;
    assert.deepEqual([total.value, ov.Internal, ov.InternalHigh], [size, STATUS_SUCCESS, size]);
    const got = await recvAll(w, dest, size);
    assert.deepEqual(got, new Uint8Array([...HEADER, ...body, ...FOOTER]), 'in order');
  });
});

onNetworks('TransmitPackets decisions', (it) => {
  it('decision: a file element is WSAEINVAL (no files here); unknown flags, TF_REUSE_SOCKET without TF_DISCONNECT and TF_DISCONNECT on a datagram socket are WSAEINVAL; a buffer shorter than cLength or no element array is WSAEFAULT; a failed call sends nothing', async (w) => {
    const { client, server: dest } = await tcpPair(w);
    const fn = transmitPackets(w, client);
    const file: TRANSMIT_PACKETS_ELEMENT = { dwElFlags: TP_ELEMENT_FILE, cLength: 0, hFile: 1, nFileOffset: 0 };
    const rows: [string, () => { ret: number; err: number }, number][] = [
      ['a file element', () => tp(fn, client, [mem(HEADER), file], null), WSAEINVAL],
      ['no kind (the default is a file)', () => tp(fn, client, [{ dwElFlags: 0, cLength: 1, pBuffer: HEADER }], null), WSAEINVAL],
      ['an unknown flag', () => tp(fn, client, [mem(HEADER)], null, 0x100), WSAEINVAL],
      ['TF_REUSE_SOCKET alone', () => tp(fn, client, [mem(HEADER)], null, TF_REUSE_SOCKET), WSAEINVAL],
      ['a short buffer', () => tp(fn, client, [{ dwElFlags: TP_ELEMENT_MEMORY, cLength: 99, pBuffer: HEADER }], null), WSAEFAULT],
      ['no array', () => tp(fn, client, null, null, 0, 2), WSAEFAULT],
    ];
    for (const [what, f, code] of rows) assert.deepEqual(f(), { ret: 0, err: code }, what);
    assert.deepEqual(tp(fn, client, [mem(HEADER)], null, TF_USE_SYSTEM_THREAD | TF_USE_KERNEL_APC), { ret: 1, err: 0 }, 'the worker flags are accepted');
    assert.deepEqual(await recvAll(w, dest, HEADER.length), HEADER, 'only the last call sent');
    const udp = socket(w, SOCK_DGRAM);
    const peer = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(peer, addr(w.loopback4, 0), 16, e));
    ok('connect', (e) => w.p.WSPConnect(udp, nameOf(w, peer), 16, null, null, null, null, e));
    assert.deepEqual(tp(fn, udp, [mem(HEADER)], null, TF_DISCONNECT), { ret: 0, err: WSAEINVAL }, 'TF_DISCONNECT on UDP');
  });

  it('decision: TF_DISCONNECT sends FIN after the data (DisconnectEx): the peer reads the data then 0, and a later send is WSAESHUTDOWN; overlapped too', async (w) => {
    for (const withOv of [false, true]) {
      const { client, server: dest } = await tcpPair(w);
      const fn = transmitPackets(w, client);
      const ov = withOv ? overlapped() : null;
      const r = tp(fn, client, [mem(HEADER), mem(FOOTER)], ov, TF_DISCONNECT);
      assert.deepEqual(r, withOv ? { ret: 0, err: WSA_IO_PENDING } : { ret: 1, err: 0 });
      if (ov !== null) await w.settle(() => ov.Internal === STATUS_SUCCESS, 'the completion');
      assert.deepEqual(await recvAll(w, dest, HEADER.length + FOOTER.length), new Uint8Array([...HEADER, ...FOOTER]));
      nonBlocking(w, dest);
      await w.settle(() => recv(w, dest, 16).ret === 0, 'the FIN: recv returns 0 (WSAEWOULDBLOCK before it)');
      assert.deepEqual([recv(w, dest, 16).ret, recv(w, dest, 16).bytes.length], [0, 0], 'end of stream');
      assert.equal(send(w, client, enc('x')).err, WSAESHUTDOWN);
    }
  });

  it('decision: TF_DISCONNECT | TF_REUSE_SOCKET without an OVERLAPPED leaves the socket fresh, as DisconnectEx(TF_REUSE_SOCKET) does', async (w) => {
    const { client, server: dest } = await tcpPair(w);
    const fn = transmitPackets(w, client);
    assert.deepEqual(tp(fn, client, [mem(HEADER)], null, TF_DISCONNECT | TF_REUSE_SOCKET), { ret: 1, err: 0 });
    assert.equal(w.p.inspect(client)?.phase, 'open', 'ready for AcceptEx or ConnectEx');
    assert.deepEqual(await recvAll(w, dest, HEADER.length), HEADER);
    assert.deepEqual(tp(fn, client, [mem(HEADER)], overlapped(), TF_DISCONNECT | TF_REUSE_SOCKET).err, WSAENOTCONN, 'no longer connected');
  }, { virtualOnly: 'a synchronous reuse waits for the disconnect, which the host network\'s thread cannot' });

  it('decision: on a connected datagram socket a packet ends at TP_ELEMENT_EOP (or the last element): [a, b EOP, c] is two datagrams "ab" and "c"; overlapped, it completes with every byte', async (w) => {
    const tx = socket(w, SOCK_DGRAM);
    const rx = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(rx, addr(w.loopback4, 0), 16, e));
    ok('connect', (e) => w.p.WSPConnect(tx, nameOf(w, rx), 16, null, null, null, null, e));
    const fn = transmitPackets(w, tx);
    const els = [mem(enc('a')), mem(enc('b'), true), mem(enc('c'))];
    assert.deepEqual(tp(fn, tx, els, null), { ret: 1, err: 0 });
    const ov = overlapped();
    assert.deepEqual(tp(fn, tx, els, ov), { ret: 0, err: WSA_IO_PENDING });
    await w.settle(() => ov.Internal === STATUS_SUCCESS, 'the completion');
    assert.equal(ov.InternalHigh, 3);
    await w.settle(() => readable(w, rx) === 6, 'four datagrams');
    const got: string[] = [];
    for (let i = 0; i < 4; i++) got.push(dec(recv(w, rx, 16).bytes));
    assert.deepEqual(got, ['ab', 'c', 'ab', 'c']);
  });

  it('decision: a datagram too large for the socket fails the whole call with WSAEMSGSIZE before any packet is sent, with an OVERLAPPED or without', async (w) => {
    const tx = socket(w, SOCK_DGRAM);
    const rx = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(rx, addr(w.loopback4, 0), 16, e));
    ok('connect', (e) => w.p.WSPConnect(tx, nameOf(w, rx), 16, null, null, null, null, e));
    const fn = transmitPackets(w, tx);
    const els = [mem(enc('first'), true), mem(new Uint8Array(70_000), true)];
    assert.deepEqual(tp(fn, tx, els, null), { ret: 0, err: WSAEMSGSIZE });
    const ov = overlapped();
    assert.deepEqual(tp(fn, tx, els, ov), { ret: 0, err: WSAEMSGSIZE });
    assert.notEqual(ov.Internal, STATUS_SUCCESS, 'no completion');
    // A small one sent after them is the first (and only) datagram the receiver sees.
    assert.deepEqual(tp(fn, tx, [mem(enc('last'))], null), { ret: 1, err: 0 });
    await w.settle(() => readable(w, rx) > 0, 'a datagram');
    assert.equal(dec(recv(w, rx, 16).bytes), 'last');
    assert.equal(readable(w, rx), 0);
  });
});

onNetworks('TransmitPackets on hostile arguments', (it) => {
  it('never throws: junk element arrays, elements, counts, OVERLAPPEDs and flags are FALSE with WSAEFAULT or WSAEINVAL, and nothing is sent', async (w) => {
    const { client, server: dest } = await tcpPair(w);
    const fn = transmitPackets(w, client);
    const throwing = new Proxy({}, { get: () => { throw new Error('no'); }, has: () => true });
    const rows: [unknown, unknown, unknown, unknown][] = [
      [5, 1, null, 0], ['x', 1, null, 0], [[throwing], 1, null, 0], [[null], 1, null, 0], [[{ dwElFlags: TP_ELEMENT_MEMORY, cLength: -1, pBuffer: HEADER }], 1, null, 0],
      [[mem(HEADER)], 1.5, null, 0], [[mem(HEADER)], -1, null, 0], [[mem(HEADER)], 1, {}, 0], [[mem(HEADER)], 1, Object.freeze(overlapped()), 0],
      [[mem(HEADER)], 1, throwing, 0], [[mem(HEADER)], 1, null, 'x'], [[mem(HEADER)], 1, null, -1], [[{ ...mem(HEADER), pBuffer: [1, 2, 3] }], 1, null, 0],
    ];
    for (const [i, [els, count, ov, flags]] of rows.entries()) {
      const err = { value: 0 };
      const ret = fn(client, els as never, count as never, 0, ov as never, flags as never, err);
      assert.equal(ret, 0, `TransmitPackets, row ${i}`);
      assert.ok(err.value === WSAEFAULT || err.value === WSAEINVAL, `row ${i}: a documented code, not ${err.value}`);
    }
    await w.pass(10);
    assert.equal(readable(w, dest), 0, 'nothing was sent');
  }, { virtualOnly: 'argument checks; one network is enough' });
});
