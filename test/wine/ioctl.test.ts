/**
 * Ports of Wine's ioctl tests (dlls/ws2_32/tests/sock.c): test_fionbio, test_fionread_siocatmark,
 * test_keepalive_vals, test_unsupported_ioctls, test_get_extension_func, test_base_handle,
 * test_backlog_query, test_circular_queueing, test_address_list_query, test_get_interface_list,
 * test_sioRoutingInterfaceQuery and test_sioAddressListChange: first their plain rows, then
 * (second half of the file) their rows with an OVERLAPPED on a socket with a completion port, or
 * with a completion routine (facts 78-85 of docs/research/wine-overlapped-facts.md, in brackets).
 * Left out: urgent-data rows (oob.test.ts) and test_sioAddressListChange's interactive half (a
 * real address change). sock.c at this commit has no test_ioctlsocket: its rows moved into the
 * functions above.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import * as W from '../../src/index.js';
import {
  addr, call, nonBlocking, ok, onNetworks, send, tcpPair, type World, expectOk, expectErr, sock,
} from './harness.js';

const { AF_INET, AF_INET6, SOCK_STREAM, SOCK_DGRAM, IPPROTO_TCP, IPPROTO_UDP, WSAEFAULT, WSAEINVAL, WSAEOPNOTSUPP } = W;

function dw(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

function u32(b: Uint8Array, at = 0): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, true);
}

/** WSAIoctl without overlapped I/O: the result, the error and what lpcbBytesReturned became. */
function ioctl(
  w: World, s: number, code: number, inBuf: unknown, cbIn: number, outBuf: unknown, cbOut: number,
  size: { value: number } | null = { value: 0xdeadbeef },
): { ret: number; err: number; size: number | undefined } {
  const r = call((e) => w.p.WSPIoctl(s, code, inBuf as Uint8Array, cbIn, outBuf as Uint8Array, cbOut, size as W.LPINT, null, null, null, e));
  return { ...r, size: size?.value };
}


/** check_fionread_siocatmark: FIONREAD and SIOCATMARK into a DWORD. */
function fionreadSiocatmark(w: World, s: number): [number, number] {
  const out: number[] = [];
  for (const code of [W.FIONREAD, W.SIOCATMARK]) {
    const v = dw(0xdeadbeef);
    expectOk(ioctl(w, s, code, null, 0, v, 4), code === W.FIONREAD ? 'FIONREAD' : 'SIOCATMARK');
    out.push(u32(v));
  }
  return out as [number, number];
}

/** struct tcp_keepalive { onoff, keepalivetime, keepaliveinterval }. */
function keepalive(onoff: number, time: number, interval: number): Uint8Array {
  return new Uint8Array([...dw(onoff), ...dw(time), ...dw(interval)]);
}

onNetworks('ioctls (Wine test_fionbio and friends)', (it) => {
  it('test_fionbio: a bad pointer or a NULL lpcbBytesReturned is WSAEFAULT; size 0 on success; the output buffer is ignored', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    expectErr(ioctl(w, s, W.FIONBIO, 1, 4, null, 0), WSAEFAULT, 'ioctlsocket(FIONBIO, (u_long *)1)');
    expectErr(ioctl(w, s, W.FIONBIO, dw(1), 4, null, 0, null), WSAEFAULT, 'NULL lpcbBytesReturned');
    expectErr(ioctl(w, s, W.FIONBIO, dw(1), 3, null, 0), WSAEFAULT, 'sizeof(one) - 1');
    const r = ioctl(w, s, W.FIONBIO, dw(1), 4, null, 0);
    expectOk(r, 'FIONBIO 1');
    assert.equal(r.size, 0);
    expectOk(ioctl(w, s, W.FIONBIO, new Uint8Array([1, 0, 0, 0, 0]), 5, null, 0), 'sizeof(one) + 1');
    expectOk(ioctl(w, s, W.FIONBIO, new Uint8Array([1, 0, 0, 0, 0]), 5, { inaccessible: true }, 4), 'an output buffer nobody may touch');
  });

  it('test_fionbio: after WSPEventSelect, FIONBIO 0 is WSAEINVAL and the size 0', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const event = new W.WSAEvent();
    ok('WSPEventSelect', (e) => w.p.WSPEventSelect(s, event, W.FD_READ, e));
    expectOk(ioctl(w, s, W.FIONBIO, dw(1), 4, null, 0), 'FIONBIO 1');
    const r = ioctl(w, s, W.FIONBIO, dw(0), 4, null, 0);
    expectErr(r, WSAEINVAL, 'FIONBIO 0');
    assert.equal(r.size, 0);
  });

  it('test_fionread_siocatmark: argument checks; 0 and TRUE, then 5 and TRUE once data arrived; unconnected sockets read 0 and TRUE', async (w) => {
    const { client, server } = await tcpPair(w);
    nonBlocking(w, client);
    for (const code of [W.FIONREAD, W.SIOCATMARK]) {
      expectErr(ioctl(w, client, code, null, 0, 1, 4), WSAEFAULT, 'ioctlsocket(…, (u_long *)1)');
      expectErr(ioctl(w, client, code, null, 0, dw(0), 4, null), WSAEFAULT, 'NULL lpcbBytesReturned');
      const r = ioctl(w, client, code, null, 0, dw(0), 3);
      expectErr(r, WSAEFAULT, 'sizeof(value) - 1');
      assert.equal(r.size, 0xdeadbeef, 'the size is left alone');
    }
    assert.deepEqual(fionreadSiocatmark(w, client), [0, 1]);
    const size = { value: 0xdeadbeef };
    expectOk(ioctl(w, client, W.FIONREAD, null, 0, dw(0), 4, size), 'FIONREAD');
    assert.equal(size.value, 4);
    assert.equal(send(w, server, new TextEncoder().encode('data\0')).sent, 5);
    await w.settle(() => fionreadSiocatmark(w, client)[0] === 5, 'the data');
    assert.deepEqual(fionreadSiocatmark(w, client), [5, 1]);
    const fresh = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert.deepEqual(fionreadSiocatmark(w, fresh), [0, 1]);
    ok('bind', (e) => w.p.WSPBind(fresh, addr(w.loopback4, 0), 16, e));
    assert.deepEqual(fionreadSiocatmark(w, fresh), [0, 1]);
  });

  it('test_keepalive_vals: a short or missing input is WSAEFAULT with size 0; a NULL lpcbBytesReturned is WSAEFAULT; the values are taken with size 0', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    let r = ioctl(w, s, W.SIO_KEEPALIVE_VALS, keepalive(0, 0, 0), 0, null, 0);
    expectErr(r, WSAEFAULT, 'cbInBuffer 0');
    assert.equal(r.size, 0);
    r = ioctl(w, s, W.SIO_KEEPALIVE_VALS, null, 12, null, 0);
    expectErr(r, WSAEFAULT, 'NULL input');
    assert.equal(r.size, 0);
    r = ioctl(w, s, W.SIO_KEEPALIVE_VALS, keepalive(0, 0, 0), 12, null, 0);
    expectOk(r, '{0, 0, 0}');
    assert.equal(r.size, 0);
    expectErr(ioctl(w, s, W.SIO_KEEPALIVE_VALS, keepalive(0, 0, 0), 12, null, 0, null), WSAEFAULT, 'NULL lpcbBytesReturned');
    for (const [on, time, interval] of [[1, 0, 0], [1, 1000, 1000], [1, 10000, 10000], [1, 100, 100], [0, 100, 100]] as const) {
      expectOk(ioctl(w, s, W.SIO_KEEPALIVE_VALS, keepalive(on, time, interval), 12, null, 0), `{${on}, ${time}, ${interval}}`);
    }
  });

  it('test_keepalive_vals (extension: the values are the options SO_KEEPALIVE, TCP_KEEPALIVE and TCP_KEEPINTVL)', async (w) => {
    const { client } = await tcpPair(w);
    expectOk(ioctl(w, client, W.SIO_KEEPALIVE_VALS, keepalive(1, 30000, 2000), 12, null, 0), '{1, 30 s, 2 s}');
    const get = (level: number, opt: number) => {
      const b = dw(0);
      ok('getsockopt', (e) => w.p.WSPGetSockOpt(client, level, opt, b, { value: 4 }, e));
      return u32(b);
    };
    assert.equal(get(W.SOL_SOCKET, W.SO_KEEPALIVE) & 0xff, 1);
    assert.equal(get(IPPROTO_TCP, W.TCP_KEEPALIVE), 30);
    assert.equal(get(IPPROTO_TCP, W.TCP_KEEPINTVL), 2);
    expectOk(ioctl(w, client, W.SIO_KEEPALIVE_VALS, keepalive(0, 100, 100), 12, null, 0), 'off');
    assert.equal(get(W.SOL_SOCKET, W.SO_KEEPALIVE) & 0xff, 0);
  });

  it('test_unsupported_ioctls: 0xdeadbeef, FIOASYNC, 0x667e and SIO_FLUSH are WSAEOPNOTSUPP with size 0', (w) => {
    for (const code of [0xdeadbeef, W.FIOASYNC, 0x667e, W.SIO_FLUSH]) {
      const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
      const r = ioctl(w, s, code, null, 0, null, 0);
      expectErr(r, WSAEOPNOTSUPP, `ioctl ${code.toString(16)}`);
      assert.equal(r.size, 0);
    }
  });

  it('test_get_extension_func: an unknown GUID is WSAEINVAL and the size is left alone', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const bogus = new Uint8Array(16);
    bogus.set(dw(0xdeadbeef));
    const r = ioctl(w, s, W.SIO_GET_EXTENSION_FUNCTION_POINTER, bogus, 16, new Uint8Array(8), 8);
    expectErr(r, WSAEINVAL, 'bogus GUID');
    assert.equal(r.size, 0xdeadbeef);
  });

  it('test_base_handle: SIO_BASE_HANDLE gives the socket itself, sizeof(SOCKET) bytes', (w) => {
    for (const [af, type, proto] of [[AF_INET, SOCK_STREAM, IPPROTO_TCP], [AF_INET, SOCK_DGRAM, IPPROTO_UDP],
      [AF_INET6, SOCK_STREAM, IPPROTO_TCP], [AF_INET6, SOCK_DGRAM, IPPROTO_UDP]] as const) {
      const s = sock(w, af, type, proto);
      const base = dw(0xdeadbeef);
      const r = ioctl(w, s, W.SIO_BASE_HANDLE, null, 0, base, 4);
      expectOk(r, 'SIO_BASE_HANDLE');
      assert.equal(r.size, 4, 'sizeof(SOCKET): SOCKET is 32 bits here');
      assert.equal(u32(base), s);
    }
  });

  it('test_backlog_query: WSAENOTCONN before connect, 0x10000 once connected, WSAEOPNOTSUPP for UDP', async (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    expectErr(ioctl(w, s, W.SIO_IDEAL_SEND_BACKLOG_QUERY, null, 0, dw(0), 4), W.WSAENOTCONN, 'unconnected');
    const { client } = await tcpPair(w);
    const backlog = dw(0);
    expectOk(ioctl(w, client, W.SIO_IDEAL_SEND_BACKLOG_QUERY, null, 0, backlog, 4), 'connected');
    assert.equal(u32(backlog), 0x10000);
    const u = sock(w, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expectErr(ioctl(w, u, W.SIO_IDEAL_SEND_BACKLOG_QUERY, null, 0, dw(0), 4), WSAEOPNOTSUPP, 'UDP');
  });

  it('test_circular_queueing: SIO_ENABLE_CIRCULAR_QUEUEING on UDP succeeds', (w) => {
    const s = sock(w, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    expectOk(ioctl(w, s, W.SIO_ENABLE_CIRCULAR_QUEUEING, null, 0, null, 0, { value: 0 }), 'SIO_ENABLE_CIRCULAR_QUEUEING');
  });

  it('test_address_list_query: the size it needs, the list, and the errors of a short buffer', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    let r = ioctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, null, 0, { value: 0 });
    expectErr(r, WSAEFAULT, 'no buffer');
    const needed = r.size!;
    assert.ok(needed >= 4, 'at least FIELD_OFFSET(SOCKET_ADDRESS_LIST, Address[0])');
    const buffer = new Uint8Array(1024);
    r = ioctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, buffer, 1024, { value: 0 });
    expectOk(r, 'a large buffer');
    assert.equal(r.size, needed);
    const count = u32(buffer);
    let expect = 4 + 8 * count;
    for (let i = 0; i < count; i++) {
      const at = u32(buffer, 4 + 8 * i);
      const len = u32(buffer, 8 + 8 * i);
      expect += len;
      assert.equal(len, 16, 'a sockaddr_in');
      assert.equal(buffer[at]! | (buffer[at + 1]! << 8), AF_INET, 'the family of the address it points to');
    }
    assert.equal(r.size, expect);
    expectErr(ioctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, buffer, 1024, null), WSAEFAULT, 'NULL lpcbBytesReturned');
    r = ioctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, null, 1024);
    expectErr(r, WSAEFAULT, 'NULL buffer');
    assert.equal(r.size, needed);
    r = ioctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, buffer, 0);
    expectErr(r, WSAEFAULT, 'length 0');
    assert.equal(r.size, needed);
    r = ioctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, buffer, 1);
    expectErr(r, WSAEINVAL, 'length 1');
    assert.equal(r.size, 0);
    buffer.fill(0xcc);
    r = ioctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, buffer, 4);
    if (needed > 4) {
      expectErr(r, WSAEFAULT, 'FIELD_OFFSET(SOCKET_ADDRESS_LIST, Address[0])');
      assert.equal(r.size, needed);
      assert.equal(u32(buffer), 0xcccccccc, 'nothing written');
    }
  });

  it('test_address_list_query (every address): the host\'s own unicast addresses of the socket\'s family, no loopback', (w) => {
    for (const af of [AF_INET, AF_INET6]) {
      const s = sock(w, af, SOCK_DGRAM, IPPROTO_UDP);
      const buffer = new Uint8Array(4096);
      expectOk(ioctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, buffer, buffer.length, { value: 0 }), 'the list');
      const listed: string[] = [];
      for (let i = 0; i < u32(buffer); i++) {
        const at = u32(buffer, 4 + 8 * i);
        listed.push(W.decodeSockAddr(buffer.subarray(at, at + u32(buffer, 8 + 8 * i)))!.address);
      }
      const expected = w.kind === 'virtual'
        ? (af === AF_INET ? ['10.0.0.1'] : ['fd00::1'])
        : Object.values(os.networkInterfaces()).flatMap((l) => l ?? [])
          .filter((a) => (a.family === 'IPv6') === (af === AF_INET6) && !a.internal)
          .map((a) => a.address);
      assert.deepEqual(listed.sort(), [...new Set(expected)].sort(), `af ${af}`);
      ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
    }
  });

  it('test_get_interface_list: INTERFACE_INFO records, loopback among them; a short buffer is WSAEFAULT with size 0', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const buffer = new Uint8Array(4096);
    let r = ioctl(w, s, W.SIO_GET_INTERFACE_LIST, null, 0, buffer, 4096);
    expectOk(r, 'SIO_GET_INTERFACE_LIST');
    const size = r.size!;
    assert.ok(size > 0 && size % 76 === 0, `size ${size}`);
    let loopback = false;
    for (let i = 0; i < size / 76; i++) {
      const base = i * 76;
      const flags = u32(buffer, base);
      if (flags & W.IFF_LOOPBACK) loopback = true;
      const family = (slot: number) => buffer[base + 4 + 24 * slot]! | (buffer[base + 5 + 24 * slot]! << 8);
      const ip = (slot: number) => u32(buffer, base + 4 + 24 * slot + 4);
      assert.equal(family(0), AF_INET, 'iiAddress family');
      assert.equal(family(1), AF_INET, 'iiNetmask family');
      assert.notEqual(ip(0), 0, 'iiAddress');
      assert.notEqual(ip(1), 0, 'iiNetmask');
      if (flags & W.IFF_BROADCAST) assert.notEqual(ip(2), 0, 'iiBroadcastAddress');
      else assert.equal(ip(2), 0, 'no iiBroadcastAddress');
    }
    assert.ok(loopback, 'the loopback interface');
    r = ioctl(w, s, W.SIO_GET_INTERFACE_LIST, null, 0, buffer, 75);
    expectErr(r, WSAEFAULT, 'sizeof(INTERFACE_INFO) - 1');
    assert.equal(r.size, 0);
    expectErr(ioctl(w, s, W.SIO_GET_INTERFACE_LIST, null, 0, buffer, 4096, null), WSAEFAULT, 'NULL lpcbBytesReturned');
  });

  it('test_sioRoutingInterfaceQuery: the errors of a bad input or output, and the route to 127.0.0.1', (w) => {
    const s = sock(w, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    const input = new Uint8Array(16);
    const out = new Uint8Array(16);
    expectErr(ioctl(w, s, W.SIO_ROUTING_INTERFACE_QUERY, input, 16, out, 16, null), WSAEFAULT, 'NULL lpcbBytesReturned');
    let r = ioctl(w, s, W.SIO_ROUTING_INTERFACE_QUERY, input, 15, out, 16);
    expectErr(r, WSAEINVAL, 'sizeof(in) - 1');
    assert.equal(r.size, 0xdeadbeef);
    r = ioctl(w, s, W.SIO_ROUTING_INTERFACE_QUERY, null, 16, out, 16);
    expectErr(r, WSAEINVAL, 'NULL input');
    assert.equal(r.size, 0xdeadbeef);
    r = ioctl(w, s, W.SIO_ROUTING_INTERFACE_QUERY, input, 16, out, 16);
    expectErr(r, W.WSAEAFNOSUPPORT, 'family 0');
    assert.equal(r.size, 0xdeadbeef);
    input[0] = AF_INET;
    r = ioctl(w, s, W.SIO_ROUTING_INTERFACE_QUERY, input, 16, out, 16);
    expectErr(r, WSAEINVAL, 'INADDR_ANY');
    assert.equal(r.size, 0xdeadbeef);
    input.set([127, 0, 0, 1], 4);
    r = ioctl(w, s, W.SIO_ROUTING_INTERFACE_QUERY, input, 16, out, 16);
    expectOk(r, 'INADDR_LOOPBACK');
    assert.equal(r.size, 16);
    assert.equal(out[0]! | (out[1]! << 8), AF_INET);
    r = ioctl(w, s, W.SIO_ROUTING_INTERFACE_QUERY, input, 16, out, 15);
    expectErr(r, WSAEFAULT, 'sizeof(out) - 1');
    assert.equal(r.size, 16, 'the size it needs');
    r = ioctl(w, s, W.SIO_ROUTING_INTERFACE_QUERY, input, 16, null, 16);
    expectErr(r, WSAEFAULT, 'NULL output');
    assert.equal(r.size, 0xdeadbeef);
  });

  it('test_sioAddressListChange: a non-blocking socket without an overlapped structure gets WSAEWOULDBLOCK', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ok('bind', (e) => w.p.WSPBind(s, addr(w.loopback4, 0), 16, e));
    nonBlocking(w, s);
    expectErr(ioctl(w, s, W.SIO_ADDRESS_LIST_CHANGE, null, 0, null, 0), W.WSAEWOULDBLOCK, 'SIO_ADDRESS_LIST_CHANGE');
  });
});

test('test_address_list_query (a virtual host with several addresses): every one of the family is listed', () => {
  const net = new W.VirtualNetwork({ seed: 1 });
  const p = net.addHost({ name: 'multi', addresses: ['10.0.0.1', '10.0.1.1', 'fd00::1', 'fd00::2'] }).provider;
  for (const [af, expected] of [[AF_INET, ['10.0.0.1', '10.0.1.1']], [AF_INET6, ['fd00::1', 'fd00::2']]] as const) {
    const s = p.WSPSocket(af, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, { value: 0 });
    const buffer = new Uint8Array(4096);
    assert.equal(p.WSPIoctl(s, W.SIO_ADDRESS_LIST_QUERY, null, 0, buffer, buffer.length, { value: 0 }, null, null, null, { value: 0 }), 0);
    const listed = Array.from({ length: u32(buffer) }, (_, i) => {
      const at = u32(buffer, 4 + 8 * i);
      return W.decodeSockAddr(buffer.subarray(at, at + u32(buffer, 8 + 8 * i)))!.address;
    });
    assert.deepEqual(listed.sort(), [...expected]);
  }
});

// ---- The overlapped rows (an OVERLAPPED with a completion port, or a completion routine) ----

const DEADBEEF = 0xdeadbeef;

function overlapped(hEvent: W.WSAEvent | null = null): W.WSAOVERLAPPED {
  return { Internal: DEADBEEF, InternalHigh: DEADBEEF, Offset: 0, OffsetHigh: 0, hEvent };
}

interface Apc {
  readonly fn: W.WSAOVERLAPPED_COMPLETION_ROUTINE;
  readonly calls: { error: number; size: number; ov: W.WSAOVERLAPPED }[];
}

/** Wine's socket_apc: counts its calls and keeps what it was told. */
function socketApc(): Apc {
  const calls: Apc['calls'] = [];
  return { calls, fn: (error, size, ov) => calls.push({ error, size, ov }) };
}

/** WSAIoctl with an OVERLAPPED (and a routine): the result, the error and what lpcbBytesReturned became. */
function ovIoctl(
  w: World, s: number, code: number, inBuf: unknown, cbIn: number, outBuf: unknown, cbOut: number, ov: W.WSAOVERLAPPED,
  apc: Apc | null = null, size: { value: number } | null = { value: DEADBEEF },
): { ret: number; err: number; size: number | undefined } {
  const r = call((e) => w.p.WSPIoctl(s, code, inBuf as Uint8Array, cbIn, outBuf as Uint8Array, cbOut, size as W.LPINT, ov, apc?.fn ?? null, null, e));
  return { ...r, size: size?.value };
}

/** A socket with a completion port of its own under key 123, as Wine's ioctl tests make it. */
function withPort(w: World, s: number): W.CompletionPort {
  const e = { value: 0 };
  const port = w.p.CreateIoCompletionPort(s, null, 123, 0, e);
  assert.ok(port !== null, `CreateIoCompletionPort: ${e.value}`);
  return port;
}

/** GetQueuedCompletionStatus(port, &size, &key, &ov, ms) with Wine's presets. */
async function gqcs(port: W.CompletionPort, ms = 0) {
  const bytes = { value: DEADBEEF };
  const key = { value: DEADBEEF as unknown };
  const ov = { value: overlapped() as W.WSAOVERLAPPED | null };
  const err = { value: DEADBEEF };
  const ret = await W.GetQueuedCompletionStatusAsync(port, bytes, key, ov, ms, err);
  return { ret, err: err.value, bytes: bytes.value, key: key.value, ov: ov.value };
}

/** SleepEx(0, TRUE). */
async function sleepEx(w: World, ms = 0): Promise<number> {
  return w.kind === 'virtual' ? w.p.alertableWait(ms) : w.p.alertableWaitAsync(ms);
}

/** An immediate ioctl's packet: TRUE, 0 bytes (not the output size), key 123, the OVERLAPPED; Internal and InternalHigh 0 [78]. */
async function expectImmediatePacket(port: W.CompletionPort, ov: W.WSAOVERLAPPED, what: string): Promise<void> {
  const p = await gqcs(port);
  assert.equal(p.ret, 1, `${what}: GQCS (error ${p.err})`);
  assert.equal(p.bytes, 0, `${what}: 0 bytes`);
  assert.equal(p.key, 123, `${what}: the key`);
  assert.equal(p.ov, ov, `${what}: the caller's OVERLAPPED`);
  assert.equal(ov.Internal, 0, `${what}: Internal`);
  assert.equal(ov.InternalHigh, 0, `${what}: InternalHigh 0, not the output size`);
}

/** An immediate ioctl's routine: run by SleepEx(0, TRUE), once, with error 0, size 0 and the OVERLAPPED [79]. */
async function expectImmediateApc(w: World, apc: Apc, ov: W.WSAOVERLAPPED, what: string): Promise<void> {
  assert.equal(apc.calls.length, 0, `${what}: not before an alertable wait`);
  assert.equal(await sleepEx(w), W.WAIT_IO_COMPLETION, `${what}: SleepEx`);
  assert.deepEqual(apc.calls, [{ error: 0, size: 0, ov }], `${what}: the routine`);
}

/** An unsupported code's completion: GQCS FALSE with ERROR_NOT_SUPPORTED, 0 bytes, key 123; STATUS_NOT_SUPPORTED, InternalHigh 0 [83]. */
async function expectNotSupportedPacket(port: W.CompletionPort, ov: W.WSAOVERLAPPED, what: string): Promise<void> {
  const p = await gqcs(port);
  assert.equal(p.ret, 0, `${what}: GQCS FALSE`);
  assert.equal(p.err, W.ERROR_NOT_SUPPORTED, `${what}: ERROR_NOT_SUPPORTED`);
  assert.equal(p.bytes, 0, `${what}: 0 bytes`);
  assert.equal(p.key, 123, `${what}: the key`);
  assert.equal(p.ov, ov, `${what}: the OVERLAPPED`);
  assert.equal(ov.Internal, W.STATUS_NOT_SUPPORTED, `${what}: Internal`);
  assert.equal(ov.InternalHigh, 0, `${what}: InternalHigh`);
}

const ALL_KINDS = [[AF_INET, SOCK_STREAM, IPPROTO_TCP], [AF_INET, SOCK_DGRAM, IPPROTO_UDP],
  [AF_INET6, SOCK_STREAM, IPPROTO_TCP], [AF_INET6, SOCK_DGRAM, IPPROTO_UDP]] as const;

onNetworks('overlapped ioctls (Wine test_fionbio and friends, overlapped rows)', (it) => {
  it('test_fionread_siocatmark (overlapped): NULL lpcbBytesReturned is WSAEFAULT; each completes at once: 0, the value, size 4, Internal and InternalHigh 0, and a TRUE 0-byte packet with key 123 [78, 80]', async (w) => {
    const { client } = await tcpPair(w);
    nonBlocking(w, client);
    const port = withPort(w, client);
    const ov = overlapped(new W.WSAEvent());
    for (const [code, name, want] of [[W.FIONREAD, 'FIONREAD', 0], [W.SIOCATMARK, 'SIOCATMARK', 1]] as const) {
      expectErr(ovIoctl(w, client, code, null, 0, dw(0), 4, ov, null, null), WSAEFAULT, `${name}, NULL size`);
      assert.equal((await gqcs(port)).err, W.WAIT_TIMEOUT, `${name}: a failure at once queues nothing [57]`);
      const value = dw(DEADBEEF);
      ov.Internal = DEADBEEF;
      ov.InternalHigh = DEADBEEF;
      const r = ovIoctl(w, client, code, null, 0, value, 4, ov);
      expectOk(r, name);
      assert.equal(u32(value), want, `${name} value`);
      assert.equal(r.size, 4, `${name} size`);
      assert.equal(ov.hEvent!.signaled, true, `${name}: the event signaled`);
      await expectImmediatePacket(port, ov, name);
    }
  });

  it('test_fionread_siocatmark (APC): NULL lpcbBytesReturned is WSAEFAULT; the call returns 0 with size 4 and SleepEx(0, TRUE) runs the routine once with error 0, size 0 [79, 80]', async (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    for (const [code, name] of [[W.FIONREAD, 'FIONREAD'], [W.SIOCATMARK, 'SIOCATMARK']] as const) {
      const ov = overlapped();
      const apc = socketApc();
      expectErr(ovIoctl(w, s, code, null, 0, dw(0), 4, ov, apc, null), WSAEFAULT, `${name}, NULL size`);
      const r = ovIoctl(w, s, code, null, 0, dw(0), 4, ov, apc);
      expectOk(r, name);
      assert.equal(r.size, 4);
      await expectImmediateApc(w, apc, ov, name);
    }
  });

  it('test_fionbio (overlapped): a short input or NULL lpcbBytesReturned is WSAEFAULT; FIONBIO completes at once with size 0 and a TRUE 0-byte packet; with a routine, SleepEx runs it [78-80]', async (w) => {
    let s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const port = withPort(w, s);
    const ov = overlapped();
    expectErr(ovIoctl(w, s, W.FIONBIO, dw(1), 3, null, 0, ov), WSAEFAULT, 'sizeof(one) - 1');
    let r = ovIoctl(w, s, W.FIONBIO, dw(1), 4, null, 0, ov);
    expectOk(r, 'FIONBIO 1');
    assert.equal(r.size, 0);
    await expectImmediatePacket(port, ov, 'FIONBIO');
    assert.equal(w.p.inspect(s)?.nonBlocking, true, 'the mode was set');
    expectErr(ovIoctl(w, s, W.FIONBIO, dw(1), 4, null, 0, ov, null, null), WSAEFAULT, 'NULL size');
    s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const apc = socketApc();
    expectErr(ovIoctl(w, s, W.FIONBIO, dw(1), 4, null, 0, ov, apc, null), WSAEFAULT, 'NULL size with a routine');
    r = ovIoctl(w, s, W.FIONBIO, dw(1), 4, null, 0, ov, apc);
    expectOk(r, 'FIONBIO with a routine');
    assert.equal(r.size, 0);
    await expectImmediateApc(w, apc, ov, 'FIONBIO');
  });

  it('test_keepalive_vals (overlapped): a short input fails with WSAEFAULT leaving the size and InternalHigh alone but Internal STATUS_PENDING; success leaves the size alone and queues a TRUE 0-byte packet; with a routine the size becomes 0 [82]', async (w) => {
    let s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const port = withPort(w, s);
    const ov = overlapped();
    expectErr(ovIoctl(w, s, W.SIO_KEEPALIVE_VALS, keepalive(0, 0, 0), 12, null, 0, ov, null, null), WSAEFAULT, 'NULL size');
    let r = ovIoctl(w, s, W.SIO_KEEPALIVE_VALS, keepalive(0, 0, 0), 11, null, 0, ov);
    expectErr(r, WSAEFAULT, 'sizeof(kalive) - 1');
    assert.equal(r.size, DEADBEEF, 'the size untouched');
    assert.equal(ov.Internal, W.STATUS_PENDING, 'Internal STATUS_PENDING (todo_wine on Wine)');
    assert.equal(ov.InternalHigh, DEADBEEF, 'InternalHigh untouched');
    assert.equal((await gqcs(port)).err, W.WAIT_TIMEOUT, 'nothing queued');
    ov.Internal = DEADBEEF;
    r = ovIoctl(w, s, W.SIO_KEEPALIVE_VALS, keepalive(0, 0, 0), 12, null, 0, ov);
    expectOk(r, '{0, 0, 0}');
    assert.equal(r.size, DEADBEEF, 'the size untouched (todo_wine on Wine)');
    await expectImmediatePacket(port, ov, 'SIO_KEEPALIVE_VALS');
    s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const apc = socketApc();
    expectErr(ovIoctl(w, s, W.SIO_KEEPALIVE_VALS, keepalive(1, 100, 100), 12, null, 0, ov, apc, null), WSAEFAULT, 'NULL size with a routine');
    r = ovIoctl(w, s, W.SIO_KEEPALIVE_VALS, keepalive(1, 100, 100), 12, null, 0, ov, apc);
    expectOk(r, 'with a routine');
    assert.equal(r.size, 0, 'size 0 with a routine');
    await expectImmediateApc(w, apc, ov, 'SIO_KEEPALIVE_VALS');
  });

  it('test_unsupported_ioctls (overlapped): NULL lpcbBytesReturned is WSAEFAULT; otherwise the call pends (size untouched) and completes with STATUS_NOT_SUPPORTED: GQCS FALSE with ERROR_NOT_SUPPORTED, or the routine told WSAEOPNOTSUPP with size 0 [83]', async (w) => {
    for (const code of [0xdeadbeef, W.FIOASYNC, 0x667e, W.SIO_FLUSH]) {
      const name = `ioctl ${code.toString(16)}`;
      let s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
      const port = withPort(w, s);
      const ov = overlapped();
      expectErr(ovIoctl(w, s, code, null, 0, null, 0, ov, null, null), WSAEFAULT, `${name}, NULL size`);
      let r = ovIoctl(w, s, code, null, 0, null, 0, ov);
      expectErr(r, W.WSA_IO_PENDING, name);
      assert.equal(r.size, DEADBEEF, `${name}: size untouched`);
      await expectNotSupportedPacket(port, ov, name);
      ok('CloseHandle', (e) => W.CloseHandle(port, e));
      ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
      s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
      const apc = socketApc();
      expectErr(ovIoctl(w, s, code, null, 0, null, 0, ov, apc, null), WSAEFAULT, `${name}, NULL size with a routine`);
      r = ovIoctl(w, s, code, null, 0, null, 0, ov, apc);
      expectErr(r, W.WSA_IO_PENDING, `${name} with a routine`);
      assert.equal(r.size, DEADBEEF);
      assert.equal(await sleepEx(w), W.WAIT_IO_COMPLETION);
      assert.deepEqual(apc.calls, [{ error: WSAEOPNOTSUPP, size: 0, ov }], `${name}: the routine`);
      ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
    }
  });

  it('test_unsupported_ioctls (an event): the event is reset by the call and signaled by the completion; GetOverlappedResult FALSE with WSAEOPNOTSUPP', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const event = new W.WSAEvent();
    const ov = overlapped(event);
    expectErr(ovIoctl(w, s, W.SIO_FLUSH, null, 0, null, 0, ov), W.WSA_IO_PENDING, 'SIO_FLUSH');
    assert.equal(event.signaled, true, 'signaled: the completion came during the call');
    const got = { value: DEADBEEF };
    assert.deepEqual(call((e) => w.p.WSPGetOverlappedResult(s, ov, got, false, null, e)), { ret: 0, err: WSAEOPNOTSUPP }, 'GetOverlappedResult');
    assert.equal(got.value, 0);
  });

  it('test_get_extension_func (overlapped): NULL lpcbBytesReturned is WSAEFAULT; AcceptEx completes at once with size sizeof(func) and a TRUE 0-byte packet; a bogus GUID is WSAEINVAL, size, Internal and InternalHigh untouched, nothing queued; with a routine SleepEx runs it [57, 78-80, 82]', async (w) => {
    let s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const port = withPort(w, s);
    const ov = overlapped();
    const func: W.FunctionPointerOut = { value: null };
    const guid = W.WSAID_ACCEPTEX_BYTES;
    expectErr(ovIoctl(w, s, W.SIO_GET_EXTENSION_FUNCTION_POINTER, guid, 16, func, 4, ov, null, null), WSAEFAULT, 'NULL size');
    let r = ovIoctl(w, s, W.SIO_GET_EXTENSION_FUNCTION_POINTER, guid, 16, func, 4, ov);
    expectOk(r, 'AcceptEx');
    assert.equal(r.size, W.FUNCTION_POINTER_SIZE);
    assert.equal(typeof func.value, 'function');
    await expectImmediatePacket(port, ov, 'SIO_GET_EXTENSION_FUNCTION_POINTER');
    const bogus = new Uint8Array(16);
    bogus.set(dw(0xdeadbeef));
    ov.Internal = DEADBEEF;
    ov.InternalHigh = DEADBEEF;
    r = ovIoctl(w, s, W.SIO_GET_EXTENSION_FUNCTION_POINTER, bogus, 16, func, 4, ov);
    expectErr(r, WSAEINVAL, 'bogus GUID');
    assert.equal(r.size, DEADBEEF);
    assert.equal(ov.Internal, DEADBEEF);
    assert.equal(ov.InternalHigh, DEADBEEF);
    assert.equal((await gqcs(port)).err, W.WAIT_TIMEOUT);
    s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const apc = socketApc();
    expectErr(ovIoctl(w, s, W.SIO_GET_EXTENSION_FUNCTION_POINTER, guid, 16, func, 4, ov, apc, null), WSAEFAULT, 'NULL size with a routine');
    r = ovIoctl(w, s, W.SIO_GET_EXTENSION_FUNCTION_POINTER, guid, 16, func, 4, ov, apc);
    expectOk(r, 'with a routine');
    assert.equal(r.size, W.FUNCTION_POINTER_SIZE);
    await expectImmediateApc(w, apc, ov, 'SIO_GET_EXTENSION_FUNCTION_POINTER');
  });

  it('test_base_handle (overlapped): NULL lpcbBytesReturned is WSAEFAULT; with an OVERLAPPED SIO_BASE_HANDLE pends and completes with STATUS_NOT_SUPPORTED, the output untouched; a routine is told WSAEOPNOTSUPP [83]', async (w) => {
    for (const [af, type, proto] of ALL_KINDS) {
      const name = `af ${af} type ${type}`;
      let s = sock(w, af, type, proto);
      const port = withPort(w, s);
      const ov = overlapped();
      const base = dw(DEADBEEF);
      expectErr(ovIoctl(w, s, W.SIO_BASE_HANDLE, null, 0, base, 4, ov, null, null), WSAEFAULT, `${name}: NULL size`);
      let r = ovIoctl(w, s, W.SIO_BASE_HANDLE, null, 0, base, 4, ov);
      expectErr(r, W.WSA_IO_PENDING, name);
      assert.equal(r.size, DEADBEEF);
      await expectNotSupportedPacket(port, ov, name);
      assert.equal(u32(base), DEADBEEF, `${name}: base untouched`);
      ok('CloseHandle', (e) => W.CloseHandle(port, e));
      ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
      s = sock(w, af, type, proto);
      const apc = socketApc();
      expectErr(ovIoctl(w, s, W.SIO_BASE_HANDLE, null, 0, base, 4, ov, apc, null), WSAEFAULT, `${name}: NULL size with a routine`);
      r = ovIoctl(w, s, W.SIO_BASE_HANDLE, null, 0, base, 4, ov, apc);
      expectErr(r, W.WSA_IO_PENDING, `${name} with a routine`);
      assert.equal(r.size, DEADBEEF);
      assert.equal(await sleepEx(w), W.WAIT_IO_COMPLETION);
      assert.deepEqual(apc.calls, [{ error: WSAEOPNOTSUPP, size: 0, ov }], `${name}: the routine`);
      assert.equal(u32(base), DEADBEEF, `${name}: base untouched`);
      ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
    }
  });

  it('test_sioRoutingInterfaceQuery (overlapped): NULL lpcbBytesReturned is WSAEFAULT, size untouched; the route completes at once with size sizeof(sockaddr_in) and a TRUE 0-byte packet; with a routine SleepEx runs it [78-80]', async (w) => {
    let s = sock(w, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    const port = withPort(w, s);
    const input = new Uint8Array(16);
    input[0] = AF_INET;
    input.set([127, 0, 0, 1], 4);
    const out = new Uint8Array(16);
    const ov = overlapped();
    expectErr(ovIoctl(w, s, W.SIO_ROUTING_INTERFACE_QUERY, input, 16, out, 16, ov, null, null), WSAEFAULT, 'NULL size');
    let r = ovIoctl(w, s, W.SIO_ROUTING_INTERFACE_QUERY, input, 16, out, 16, ov);
    expectOk(r, 'the route to 127.0.0.1');
    assert.equal(r.size, 16);
    assert.equal(out[0]! | (out[1]! << 8), AF_INET);
    await expectImmediatePacket(port, ov, 'SIO_ROUTING_INTERFACE_QUERY');
    s = sock(w, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    const apc = socketApc();
    expectErr(ovIoctl(w, s, W.SIO_ROUTING_INTERFACE_QUERY, input, 16, out, 16, ov, apc, null), WSAEFAULT, 'NULL size with a routine');
    r = ovIoctl(w, s, W.SIO_ROUTING_INTERFACE_QUERY, input, 16, out, 16, ov, apc);
    expectOk(r, 'with a routine');
    assert.equal(r.size, 16);
    await expectImmediateApc(w, apc, ov, 'SIO_ROUTING_INTERFACE_QUERY');
  });

  it('test_address_list_query (overlapped): the short-buffer failures are the plain ones (size written as there) with Internal and InternalHigh untouched and nothing queued; success completes at once with the size and one TRUE 0-byte packet; with a routine SleepEx runs it [78, 82]', async (w) => {
    let s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const port = withPort(w, s);
    const needed = ioctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, null, 0).size!;
    const buffer = new Uint8Array(1024);
    const ov = overlapped();
    const untouched = (what: string) => {
      assert.equal(ov.Internal, DEADBEEF, `${what}: Internal`);
      assert.equal(ov.InternalHigh, DEADBEEF, `${what}: InternalHigh`);
    };
    let r = ovIoctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, buffer, 0, ov);
    expectErr(r, WSAEFAULT, 'length 0');
    assert.equal(r.size, needed);
    untouched('length 0');
    r = ovIoctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, buffer, 1, ov);
    expectErr(r, WSAEINVAL, 'length 1');
    assert.equal(r.size, 0);
    untouched('length 1');
    if (needed > 4) {
      buffer.fill(0xcc);
      r = ovIoctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, buffer, 4, ov);
      expectErr(r, WSAEFAULT, 'FIELD_OFFSET(SOCKET_ADDRESS_LIST, Address[0])');
      assert.equal(r.size, needed);
      untouched('Address[0]');
      assert.equal(u32(buffer), 0xcccccccc, 'nothing written');
    }
    r = ovIoctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, buffer, buffer.length, ov);
    expectOk(r, 'a large buffer');
    assert.equal(r.size, needed);
    await expectImmediatePacket(port, ov, 'SIO_ADDRESS_LIST_QUERY');
    assert.equal((await gqcs(port)).err, W.WAIT_TIMEOUT, 'one packet only');
    s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const apc = socketApc();
    expectErr(ovIoctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, buffer, buffer.length, ov, apc, null), WSAEFAULT, 'NULL size with a routine');
    r = ovIoctl(w, s, W.SIO_ADDRESS_LIST_QUERY, null, 0, buffer, buffer.length, ov, apc);
    expectOk(r, 'with a routine');
    assert.equal(r.size, needed);
    await expectImmediateApc(w, apc, ov, 'SIO_ADDRESS_LIST_QUERY');
  });

  it('test_get_interface_list (overlapped): always pends, size untouched; completes with the list (TRUE, bytes and InternalHigh the size) or, short, with STATUS_BUFFER_TOO_SMALL (ERROR_INSUFFICIENT_BUFFER; a routine gets WSAEFAULT, size 0) [84]', async (w) => {
    let s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const port = withPort(w, s);
    const buffer = new Uint8Array(4096);
    const expectSize = ioctl(w, s, W.SIO_GET_INTERFACE_LIST, null, 0, buffer, buffer.length).size!;
    const ov = overlapped();
    let r = ovIoctl(w, s, W.SIO_GET_INTERFACE_LIST, null, 0, buffer, buffer.length, ov);
    expectErr(r, W.WSA_IO_PENDING, 'a large buffer');
    assert.equal(r.size, DEADBEEF);
    let p = await gqcs(port, 100);
    assert.equal(p.ret, 1, `GQCS (error ${p.err})`);
    assert.equal(p.bytes, expectSize);
    assert.equal(p.key, 123);
    assert.equal(p.ov, ov);
    assert.equal(ov.Internal, 0);
    assert.equal(ov.InternalHigh, expectSize);
    ov.Internal = DEADBEEF;
    ov.InternalHigh = DEADBEEF;
    r = ovIoctl(w, s, W.SIO_GET_INTERFACE_LIST, null, 0, buffer, 75, ov);
    expectErr(r, W.WSA_IO_PENDING, 'sizeof(INTERFACE_INFO) - 1');
    assert.equal(r.size, DEADBEEF);
    p = await gqcs(port, 100);
    assert.equal(p.ret, 0);
    assert.equal(p.err, W.ERROR_INSUFFICIENT_BUFFER);
    assert.equal(p.bytes, 0);
    assert.equal(p.key, 123);
    assert.equal(p.ov, ov);
    assert.equal(ov.Internal, W.STATUS_BUFFER_TOO_SMALL);
    assert.equal(ov.InternalHigh, 0);
    s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const apc = socketApc();
    r = ovIoctl(w, s, W.SIO_GET_INTERFACE_LIST, null, 0, buffer, 75, ov, apc);
    expectErr(r, W.WSA_IO_PENDING, 'short, with a routine');
    assert.equal(r.size, DEADBEEF);
    assert.equal(await sleepEx(w, 100), W.WAIT_IO_COMPLETION);
    assert.deepEqual(apc.calls, [{ error: WSAEFAULT, size: 0, ov }]);
  });

  it('test_sioAddressListChange (overlapped): pends on a non-blocking or blocking socket; nothing is queued while it pends; closesocket completes it: GQCS FALSE with ERROR_OPERATION_ABORTED and the OVERLAPPED [42, 85]', async (w) => {
    for (const blocking of [false, true]) {
      const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
      ok('bind', (e) => w.p.WSPBind(s, addr(w.loopback4, 0), 16, e));
      nonBlocking(w, s, !blocking);
      const ov = overlapped(new W.WSAEvent());
      expectErr(ovIoctl(w, s, W.SIO_ADDRESS_LIST_CHANGE, null, 0, null, 0, ov), W.WSA_IO_PENDING, `blocking ${blocking}`);
      assert.equal(ov.Internal, W.STATUS_PENDING);
      ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
    }
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ok('bind', (e) => w.p.WSPBind(s, addr(w.loopback4, 0), 16, e));
    nonBlocking(w, s);
    expectErr(ioctl(w, s, W.SIO_ADDRESS_LIST_CHANGE, null, 0, null, 0), W.WSAEWOULDBLOCK, 'without an OVERLAPPED');
    const e0 = { value: 0 };
    const port = w.p.CreateIoCompletionPort(s, null, 0, 0, e0)!;
    const ov = overlapped();
    expectErr(ovIoctl(w, s, W.SIO_ADDRESS_LIST_CHANGE, null, 0, null, 0, ov), W.WSA_IO_PENDING, 'on a port');
    let p = await gqcs(port, 0);
    assert.equal(p.ret, 0);
    assert.equal(p.err, W.WAIT_TIMEOUT);
    assert.equal(p.ov, null);
    ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
    p = await gqcs(port, 0);
    assert.equal(p.ret, 0);
    assert.equal(p.err, W.ERROR_OPERATION_ABORTED);
    assert.equal(p.ov, ov);
    assert.equal(ov.Internal, W.STATUS_CANCELLED);
  });

  it('SIO_ADDRESS_LIST_CHANGE with a completion routine: closesocket completes it; SleepEx runs the routine once with WSA_OPERATION_ABORTED, size 0 [42]', async (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const ov = overlapped();
    const apc = socketApc();
    expectErr(ovIoctl(w, s, W.SIO_ADDRESS_LIST_CHANGE, null, 0, null, 0, ov, apc), W.WSA_IO_PENDING, 'SIO_ADDRESS_LIST_CHANGE');
    assert.equal(await sleepEx(w), 0, 'nothing to run while it pends');
    ok('closesocket', (e) => w.p.WSPCloseSocket(s, e));
    assert.equal(await sleepEx(w), W.WAIT_IO_COMPLETION);
    assert.deepEqual(apc.calls, [{ error: W.WSA_OPERATION_ABORTED, size: 0, ov }]);
  });

  it('SIO_ADDRESS_LIST_CHANGE (extension: CancelIoEx): the pending call completes with STATUS_CANCELLED, the event signaled; nothing left: ERROR_NOT_FOUND', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const event = new W.WSAEvent();
    event.set();
    const ov = overlapped(event);
    expectErr(ovIoctl(w, s, W.SIO_ADDRESS_LIST_CHANGE, null, 0, null, 0, ov), W.WSA_IO_PENDING, 'SIO_ADDRESS_LIST_CHANGE');
    assert.equal(event.signaled, false, 'reset at the call');
    assert.equal(w.p.CancelIoEx(s, ov, { value: 0 }), 1);
    assert.equal(event.signaled, true);
    assert.equal(ov.Internal, W.STATUS_CANCELLED);
    assert.deepEqual(call((e) => w.p.WSPGetOverlappedResult(s, ov, { value: 0 }, false, null, e)), { ret: 0, err: W.WSA_OPERATION_ABORTED }, 'GetOverlappedResult');
    const err = { value: 0 };
    assert.equal(w.p.CancelIoEx(s, ov, err), 0);
    assert.equal(err.value, W.ERROR_NOT_FOUND);
  });

  it('a completion routine on a socket bound to a completion port is WSAEINVAL for WSPIoctl too, and nothing is written or queued', async (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const port = withPort(w, s);
    const ov = overlapped();
    const apc = socketApc();
    const r = ovIoctl(w, s, W.FIONBIO, dw(1), 4, null, 0, ov, apc);
    expectErr(r, WSAEINVAL, 'FIONBIO with a routine');
    assert.equal(r.size, DEADBEEF);
    assert.equal(ov.Internal, DEADBEEF);
    assert.equal(await sleepEx(w), 0);
    assert.equal(apc.calls.length, 0);
    assert.equal((await gqcs(port)).err, W.WAIT_TIMEOUT);
    assert.equal(w.p.inspect(s)?.nonBlocking, false, 'FIONBIO took no effect');
  });

  it('a malformed OVERLAPPED, routine or WSATHREADID is WSAEFAULT and an hEvent that is no event WSAEINVAL, changing nothing and throwing nothing; a routine without an OVERLAPPED is ignored', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    for (const bad of [{}, Object.freeze(overlapped()), [1, 2, 3, 4, 5]]) {
      expectErr(ovIoctl(w, s, W.FIONBIO, dw(1), 4, null, 0, bad as W.WSAOVERLAPPED), WSAEFAULT, 'a look-alike');
    }
    const hostile = new Proxy({}, { has() { throw new Error('hostile'); }, get() { throw new Error('hostile'); } });
    expectErr(ovIoctl(w, s, W.FIONBIO, dw(1), 4, null, 0, hostile as W.WSAOVERLAPPED), WSAEFAULT, 'an OVERLAPPED whose reads throw');
    expectErr(call((e) => w.p.WSPIoctl(s, W.FIONBIO, dw(1), 4, null, 0, { value: 0 }, overlapped(), 'routine' as never, null, e)), WSAEFAULT, 'a routine that is no function');
    expectErr(call((e) => w.p.WSPIoctl(s, W.FIONBIO, dw(1), 4, null, 0, { value: 0 }, overlapped(), () => {}, 7 as never, e)), WSAEFAULT, 'a WSATHREADID that is no structure');
    expectErr(ovIoctl(w, s, W.FIONBIO, dw(1), 4, null, 0, { ...overlapped(), hEvent: 5 as never }), WSAEINVAL, 'hEvent 5');
    assert.equal(w.p.inspect(s)?.nonBlocking, false, 'nothing changed');
    const r = call((e) => w.p.WSPIoctl(s, W.FIONBIO, dw(1), 4, null, 0, { value: DEADBEEF }, null, () => { throw new Error('never'); }, null, e));
    expectOk(r, 'a routine without an OVERLAPPED');
    assert.equal(w.p.inspect(s)?.nonBlocking, true);
  });
});
