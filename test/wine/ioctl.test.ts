/**
 * Ports of Wine's ioctl tests (dlls/ws2_32/tests/sock.c): test_fionbio, test_fionread_siocatmark,
 * test_keepalive_vals, test_unsupported_ioctls, test_get_extension_func, test_base_handle,
 * test_backlog_query, test_circular_queueing, test_address_list_query, test_get_interface_list,
 * test_sioRoutingInterfaceQuery and test_sioAddressListChange — their rows without an OVERLAPPED
 * structure, a completion port or an APC (overlapped I/O is not offered yet), and without urgent
 * data (MSG_OOB is not offered). sock.c at this commit has no test_ioctlsocket: its rows moved
 * into the functions above.
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
