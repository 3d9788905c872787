/**
 * Ports of Wine's option tests (dlls/ws2_32/tests/sock.c): test_set_getsockopt with its option-size
 * table, test_sockopt_validity, test_so_debug, test_connect_time, test_extendedSocketOptions,
 * test_accept_inheritance, and the option rows of test_ipv6only and test_WSASocket.
 * The multicast rows of the option-size table are here; the other multicast rows are in
 * multicast.test.ts. Left out: SO_OPENTYPE and SO_PROTOCOL_INFOA (ws2_32 keeps
 * and converts them; a provider never sees them), the OOB rows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as W from '../../src/index.js';
import {
  addr, call, fails, nameOf, nonBlocking, ok, onNetworks, recv, send, tcpPair, virtualWorld, type World, expectOk, expectErr, sock,
} from './harness.js';

const {
  AF_INET, AF_INET6, SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP,
  WSAEFAULT, WSAEINVAL, WSAENOBUFS, WSAENOPROTOOPT, WSAENOTCONN, WSAENOTSOCK,
} = W;

// ---- C-shaped helpers with the caller's own bytes and lengths ---------------------------------

/** Four little-endian bytes of a DWORD. */
function dw(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

function u32(b: Uint8Array, at = 0): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, true);
}

/** setsockopt(s, level, opt, bytes, len) with exactly these bytes and this length. */
function setRaw(w: World, s: number, level: number, opt: number, bytes: unknown, len: number): { ret: number; err: number } {
  return call((e) => w.p.WSPSetSockOpt(s, level, opt, bytes as Uint8Array, len, e));
}

/** getsockopt into `buf` with optlen `size`: the result and what optlen became. */
function getRaw(w: World, s: number, level: number, opt: number, buf: unknown, size: number): { ret: number; err: number; len: number } {
  const optlen = { value: size };
  const r = call((e) => w.p.WSPGetSockOpt(s, level, opt, buf as Uint8Array, optlen, e));
  return { ...r, len: optlen.value };
}

/** A DWORD option read into a 4-byte buffer prefilled with 0xdeadbeef. */
function getDword(w: World, s: number, level: number, opt: number): number {
  const buf = dw(0xdeadbeef);
  const r = getRaw(w, s, level, opt, buf, 4);
  assert.equal(W.errorName(r.err) ?? r.err, 'NO_ERROR', `getsockopt(${level}, ${opt})`);
  return u32(buf);
}


const close = (w: World, s: number) => ok('WSPCloseSocket', (e) => w.p.WSPCloseSocket(s, e));

/** Connects a non-blocking client to a listener and takes the connection (works on both networks). */
async function connectAndAccept(w: World, listenerSocket: number, at: W.SockAddr): Promise<{ client: number; server: number }> {
  const client = sock(w, at.family, SOCK_STREAM, IPPROTO_TCP);
  nonBlocking(w, client);
  const r = call((e) => w.p.WSPConnect(client, at, at.family === AF_INET ? 16 : 28, null, null, null, null, e));
  assert.ok(r.ret === 0 || W.errorName(r.err) === 'WSAEWOULDBLOCK', `connect: ${W.errorName(r.err)}`);
  nonBlocking(w, listenerSocket);
  let server = W.INVALID_SOCKET;
  await w.settle(() => {
    server = w.p.WSPAccept(listenerSocket, null, null, null, 0, { value: 0 });
    return server !== W.INVALID_SOCKET;
  }, 'the accept');
  await w.settle(() => w.p.inspect(client)?.phase === 'connected', 'the connect');
  return { client, server };
}

// ---- test_set_getsockopt's option-size table ------------------------------------------------------

interface SizeRow {
  name: string;
  af: number;
  type: number;
  level: number;
  opt: number;
  acceptsShortLen: boolean;
  sizes: [number, number, number];
  values: [number, number, number];
  acceptsLargeValue: boolean;
  boolValue: boolean;
}

const row = (
  name: string, af: number, type: number, level: number, opt: number, acceptsShortLen: boolean,
  sizes: [number, number, number], values: number[], acceptsLargeValue: boolean, boolValue = false,
): SizeRow => ({
  name, af, type, level, opt, acceptsShortLen, sizes,
  values: [values[0] ?? 0, values[1] ?? 0, values[2] ?? 0], acceptsLargeValue, boolValue,
});

// SO_OPENTYPE (kept by ws2_32, per thread) is left out.
const SIZE_ROWS: SizeRow[] = [
  row('SO_BROADCAST', AF_INET, SOCK_DGRAM, SOL_SOCKET, W.SO_BROADCAST, true, [1, 1, 4], [0, 0xdead0001, 0], true, true),
  row('SO_DONTLINGER', AF_INET, SOCK_STREAM, SOL_SOCKET, W.SO_DONTLINGER, true, [1, 1, 4], [0, 0xdead0001, 0], true, true),
  row('SO_LINGER', AF_INET, SOCK_STREAM, SOL_SOCKET, W.SO_LINGER, false, [1, 2, 4], [0xdeadbe00, 0xdead0000], true),
  row('SO_OOBINLINE', AF_INET, SOCK_STREAM, SOL_SOCKET, W.SO_OOBINLINE, true, [1, 1, 4], [0, 0xdead0001, 0], true, true),
  row('SO_RCVBUF', AF_INET, SOCK_STREAM, SOL_SOCKET, W.SO_RCVBUF, false, [1, 2, 4], [0xdeadbe00, 0xdead0000], true),
  row('SO_KEEPALIVE', AF_INET, SOCK_STREAM, SOL_SOCKET, W.SO_KEEPALIVE, true, [1, 1, 1], [0], true),
  row('SO_DONTROUTE', AF_INET, SOCK_STREAM, SOL_SOCKET, W.SO_DONTROUTE, true, [1, 1, 1], [0], true),
  row('SO_RCVTIMEO', AF_INET, SOCK_STREAM, SOL_SOCKET, W.SO_RCVTIMEO, false, [1, 2, 4], [0], true),
  row('SO_REUSEADDR', AF_INET, SOCK_STREAM, SOL_SOCKET, W.SO_REUSEADDR, true, [1, 1, 4], [0, 0xdead0001, 0], true, true),
  row('SO_EXCLUSIVEADDRUSE', AF_INET, SOCK_STREAM, SOL_SOCKET, W.SO_EXCLUSIVEADDRUSE, true, [1, 1, 4], [0, 0xdead0001, 0], true, true),
  row('SO_SNDBUF', AF_INET, SOCK_STREAM, SOL_SOCKET, W.SO_SNDBUF, false, [1, 2, 4], [0xdeadbe00, 0xdead0000], true),
  row('SO_SNDTIMEO', AF_INET, SOCK_STREAM, SOL_SOCKET, W.SO_SNDTIMEO, false, [1, 2, 4], [0], true),
  row('TCP_NODELAY', AF_INET, SOCK_STREAM, IPPROTO_TCP, W.TCP_NODELAY, true, [1, 1, 1], [0], true),
  row('TCP_KEEPALIVE', AF_INET, SOCK_STREAM, IPPROTO_TCP, W.TCP_KEEPALIVE, false, [0, 0, 4], [0], true),
  row('TCP_KEEPCNT', AF_INET, SOCK_STREAM, IPPROTO_TCP, W.TCP_KEEPCNT, false, [0, 0, 4], [0], false),
  row('TCP_KEEPINTVL', AF_INET, SOCK_STREAM, IPPROTO_TCP, W.TCP_KEEPINTVL, false, [0, 0, 4], [0], true),
  row('IP_MULTICAST_LOOP', AF_INET, SOCK_DGRAM, IPPROTO_IP, W.IP_MULTICAST_LOOP, true, [1, 1, 4], [0], true, true),
  row('IP_MULTICAST_TTL', AF_INET, SOCK_DGRAM, IPPROTO_IP, W.IP_MULTICAST_TTL, true, [1, 1, 4], [0], false),
  row('IP_PKTINFO', AF_INET, SOCK_DGRAM, IPPROTO_IP, W.IP_PKTINFO, false, [0, 0, 4], [0], true, true),
  row('IP_RECVTOS', AF_INET, SOCK_DGRAM, IPPROTO_IP, W.IP_RECVTOS, false, [0, 0, 4], [0], true, true),
  row('IP_RECVTTL', AF_INET, SOCK_DGRAM, IPPROTO_IP, W.IP_RECVTTL, false, [0, 0, 4], [0], true, true),
  row('IP_TOS', AF_INET, SOCK_DGRAM, IPPROTO_IP, W.IP_TOS, true, [1, 1, 4], [0], false),
  row('IP_TTL', AF_INET, SOCK_DGRAM, IPPROTO_IP, W.IP_TTL, true, [1, 1, 4], [0], false),
  row('IPV6_DONTFRAG', AF_INET6, SOCK_STREAM, IPPROTO_IPV6, W.IPV6_DONTFRAG, true, [1, 1, 4], [0], true, true),
  row('IPV6_HOPLIMIT', AF_INET6, SOCK_DGRAM, IPPROTO_IPV6, W.IPV6_HOPLIMIT, false, [0, 0, 4], [0], true, true),
  row('IPV6_MULTICAST_HOPS', AF_INET6, SOCK_DGRAM, IPPROTO_IPV6, W.IPV6_MULTICAST_HOPS, true, [1, 1, 4], [0], false),
  row('IPV6_MULTICAST_LOOP', AF_INET6, SOCK_DGRAM, IPPROTO_IPV6, W.IPV6_MULTICAST_LOOP, true, [1, 1, 4], [0], true, true),
  row('IPV6_PKTINFO', AF_INET6, SOCK_DGRAM, IPPROTO_IPV6, W.IPV6_PKTINFO, false, [0, 0, 4], [0], true, true),
  row('IPV6_RECVTCLASS', AF_INET6, SOCK_DGRAM, IPPROTO_IPV6, W.IPV6_RECVTCLASS, false, [0, 0, 4], [0], true, true),
  row('IPV6_UNICAST_HOPS', AF_INET6, SOCK_DGRAM, IPPROTO_IPV6, W.IPV6_UNICAST_HOPS, true, [1, 1, 4], [0], false),
  row('IPV6_V6ONLY', AF_INET6, SOCK_DGRAM, IPPROTO_IPV6, W.IPV6_V6ONLY, true, [1, 1, 1], [0], true),
];

/** The sequence test_set_getsockopt runs for one row of its option-size table. */
function optionSizes(w: World, r: SizeRow): void {
  const { level, opt } = r;
  const s2 = sock(w, r.af, r.type);
  const save = dw(0);
  expectOk(getRaw(w, s2, level, opt, save, 4), 'get the saved value');

  const value64 = new Uint8Array([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]); // 0xffffffff00000001
  expectOk(setRaw(w, s2, level, opt, value64, 8), 'set an 8-byte value');
  const got64 = getRaw(w, s2, level, opt, value64, 8);
  expectOk(got64, 'get into 8 bytes');
  assert.equal(got64.len, r.sizes[2], 'the length an 8-byte get reports');

  const minusOne = setRaw(w, s2, level, opt, dw(1), -1);
  if (r.sizes[2] === 1 || level !== SOL_SOCKET) expectErr(minusOne, WSAENOBUFS, 'set with optlen -1');
  else expectOk(minusOne, 'set with optlen -1');

  let value = dw(0xdeadbeef);
  const getMinus = getRaw(w, s2, level, opt, value, -1);
  expectErr(getMinus, WSAEFAULT, 'get with optlen -1');
  assert.equal(getMinus.len, -1, 'optlen -1 stays -1');

  const zeroLen = setRaw(w, s2, level, opt, dw(1), 0);
  if (level === SOL_SOCKET && r.boolValue) expectOk(zeroLen, 'set with optlen 0 (a SOL_SOCKET BOOL)');
  else expectErr(zeroLen, WSAEFAULT, 'set with optlen 0');
  expectErr(getRaw(w, s2, level, opt, dw(1), 0), WSAEFAULT, 'get with optlen 0');

  const expectedSize = r.sizes[2];
  const expectedLarge = expectedSize === 1 ? 0xdeadbe00 : r.boolValue ? 0x1 : 0x100;
  const large = setRaw(w, s2, level, opt, dw(0x100), 4);
  if (r.acceptsLargeValue) {
    expectOk(large, 'set 0x100');
    value = dw(0xdeadbeef);
    const g = getRaw(w, s2, level, opt, value, 4);
    expectOk(g, 'get after 0x100');
    assert.equal(u32(value).toString(16), expectedLarge.toString(16), 'the value after 0x100');
    assert.equal(g.len, expectedSize, 'the length after 0x100');
  } else {
    expectErr(large, WSAEINVAL, 'set 0x100');
  }

  for (let j = 0; j < 3; j++) {
    const size = 1 << j;
    const what = `length ${size}`;
    let expectedValue = r.values[j] !== 0 ? r.values[j] : 0xdeadbeef;
    const succeeds = r.acceptsShortLen || size === 4;
    const expectedLen = r.sizes[j];
    if (succeeds && r.values[j] === 0) {
      // memcpy(&expected_value, &value /* 1 */, expected_size)
      const e = dw(expectedValue);
      e.set(dw(1).subarray(0, expectedLen));
      expectedValue = u32(e);
    }
    const set = setRaw(w, s2, level, opt, dw(1).subarray(0, size), size);
    value = dw(0xdeadbeef);
    const get = getRaw(w, s2, level, opt, value, size);
    if (succeeds) {
      expectOk(set, `set, ${what}`);
      expectOk(get, `get, ${what}`);
    } else {
      expectErr(set, WSAEFAULT, `set, ${what}`);
      expectErr(get, WSAEFAULT, `get, ${what}`);
    }
    assert.equal(u32(value).toString(16), expectedValue.toString(16), `the value, ${what}`);
    assert.equal(get.len, expectedLen, `the length, ${what}`);
  }
  expectOk(setRaw(w, s2, level, opt, save, 4), 'restore the saved value');
  close(w, s2);
}

// ---- test_sockopt_validity's tables ---------------------------------------------------------------

/** [option, get error, set error]; a set is tried only when the get succeeds, with what it read. */
type ValidityRow = readonly [number, number?, number?];
const { IP_OPTIONS, IP_HDRINCL, IP_TOS, IP_TTL, IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, IP_DONTFRAGMENT, IP_PKTINFO,
  IP_RECVTTL, IP_RECEIVE_BROADCAST, IP_RECVIF, IP_RECVDSTADDR, IP_IFLIST, IP_UNICAST_IF, IP_RTHDR, IP_GET_IFLIST,
  IP_RECVRTHDR, IP_RECVTOS, IP_ORIGINAL_ARRIVAL_IF, IP_ECN, IP_PKTINFO_EX, IP_WFP_REDIRECT_RECORDS,
  IP_WFP_REDIRECT_CONTEXT, IP_MTU_DISCOVER, IP_MTU, IP_RECVERR, IP_USER_MTU } = W;
const { IPV6_HOPOPTS, IPV6_HDRINCL, IPV6_UNICAST_HOPS, IPV6_ADD_MEMBERSHIP, IPV6_DROP_MEMBERSHIP, IPV6_DONTFRAG,
  IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_PROTECTION_LEVEL, IPV6_RECVIF, IPV6_RECVDSTADDR, IPV6_V6ONLY, IPV6_IFLIST,
  IPV6_UNICAST_IF, IPV6_RTHDR, IPV6_GET_IFLIST, IPV6_RECVRTHDR, IPV6_RECVTCLASS, IPV6_ECN, IPV6_PKTINFO_EX,
  IPV6_WFP_REDIRECT_RECORDS, IPV6_WFP_REDIRECT_CONTEXT, IPV6_MTU_DISCOVER, IPV6_MTU, IPV6_RECVERR, IPV6_USER_MTU } = W;

/** The IPv4 table for a socket kind: TCP refuses the receive-information options, raw has IP_HDRINCL. */
function ipv4Validity(kind: 'tcp' | 'udp' | 'raw'): ValidityRow[] {
  const recv = kind === 'tcp' ? WSAEINVAL : 0;
  return [
    [-1, WSAENOPROTOOPT], [IP_OPTIONS], [IP_HDRINCL, kind === 'raw' ? 0 : WSAEINVAL], [IP_TOS], [IP_TTL],
    [W.IP_MULTICAST_IF, recv], [W.IP_MULTICAST_TTL, recv], [W.IP_MULTICAST_LOOP, recv],
    [IP_ADD_MEMBERSHIP, WSAENOPROTOOPT], [IP_DROP_MEMBERSHIP, WSAENOPROTOOPT], [IP_DONTFRAGMENT],
    [IP_PKTINFO, recv], [IP_RECVTTL, recv], [IP_RECEIVE_BROADCAST, recv], [IP_RECVIF, recv], [IP_RECVDSTADDR, recv],
    [IP_IFLIST], [IP_UNICAST_IF], [IP_RTHDR], [IP_GET_IFLIST, WSAEINVAL], [IP_RECVRTHDR, recv], [IP_RECVTOS, recv],
    [IP_ORIGINAL_ARRIVAL_IF, recv], [IP_ECN, recv], [IP_PKTINFO_EX, recv], [IP_WFP_REDIRECT_RECORDS, recv],
    [IP_WFP_REDIRECT_CONTEXT, recv], [IP_MTU_DISCOVER, 0, WSAEINVAL], [IP_MTU, WSAENOTCONN],
    [IP_RECVERR, kind === 'udp' ? 0 : WSAEINVAL], [IP_USER_MTU],
  ];
}

function ipv6Validity(kind: 'tcp' | 'udp' | 'raw'): ValidityRow[] {
  const recv = kind === 'tcp' ? WSAEINVAL : 0;
  return [
    [-1, WSAENOPROTOOPT], [IPV6_HOPOPTS], [IPV6_HDRINCL, kind === 'raw' ? 0 : WSAEINVAL], [IPV6_UNICAST_HOPS],
    [W.IPV6_MULTICAST_IF, recv], [W.IPV6_MULTICAST_HOPS, recv], [W.IPV6_MULTICAST_LOOP, recv],
    [IPV6_ADD_MEMBERSHIP, WSAENOPROTOOPT], [IPV6_DROP_MEMBERSHIP, WSAENOPROTOOPT], [IPV6_DONTFRAG],
    [IPV6_PKTINFO, recv], [IPV6_HOPLIMIT, recv], [IPV6_PROTECTION_LEVEL], [IPV6_RECVIF, recv], [IPV6_RECVDSTADDR, recv],
    [IPV6_V6ONLY], [IPV6_IFLIST], [IPV6_UNICAST_IF], [IPV6_RTHDR], [IPV6_GET_IFLIST, WSAEINVAL], [IPV6_RECVRTHDR, recv],
    [IPV6_RECVTCLASS, recv], [IP_ORIGINAL_ARRIVAL_IF, recv], [IPV6_ECN, recv], [IPV6_PKTINFO_EX, recv],
    [IPV6_WFP_REDIRECT_RECORDS, recv], [IPV6_WFP_REDIRECT_CONTEXT, recv], [IPV6_MTU_DISCOVER, 0, WSAEINVAL],
    [IPV6_MTU, WSAENOTCONN], [IPV6_RECVERR, kind === 'udp' ? 0 : WSAEINVAL], [IPV6_USER_MTU],
  ];
}

/** do_sockopt_validity_tests: get into 256 zero bytes; unless that fails, set back what it returned. */
function validity(w: World, s: number, level: number, rows: readonly ValidityRow[], type: string): void {
  for (const [opt, getError = 0, setError = 0] of rows) {
    const value = new Uint8Array(256);
    const g = getRaw(w, s, level, opt, value, 256);
    if (getError !== 0) {
      expectErr(g, getError, `${type} option ${opt}: get`);
      continue;
    }
    expectOk(g, `${type} option ${opt}: get`);
    const r = setRaw(w, s, level, opt, value.subarray(0, Math.max(g.len, 0)), g.len);
    if (setError !== 0) expectErr(r, setError, `${type} option ${opt}: set`);
    else expectOk(r, `${type} option ${opt}: set`);
  }
}

// ---- the ports --------------------------------------------------------------------------------

onNetworks('options (Wine test_set_getsockopt and friends)', (it) => {
  it('test_set_getsockopt (SO_RCVTIMEO, SO_SNDTIMEO): 63000, 0 and 997000 read back', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM);
    for (const [opt, v] of [[W.SO_RCVTIMEO, 63000], [W.SO_RCVTIMEO, 0], [W.SO_SNDTIMEO, 997000]] as const) {
      expectOk(setRaw(w, s, SOL_SOCKET, opt, dw(v), 4), `set ${opt}`);
      assert.equal(getDword(w, s, SOL_SOCKET, opt), v);
    }
  });

  it('test_set_getsockopt (SO_SNDBUF, SO_RCVBUF): 4096 reads back 4096; SO_RCVBUF 0 reads back 0', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM);
    for (const [opt, v] of [[W.SO_SNDBUF, 4096], [W.SO_RCVBUF, 4096], [W.SO_RCVBUF, 0]] as const) {
      expectOk(setRaw(w, s, SOL_SOCKET, opt, dw(v), 4), `set ${opt} ${v}`);
      assert.equal(getDword(w, s, SOL_SOCKET, opt), v);
    }
  });

  it('test_set_getsockopt (SO_LINGER): {0,0} {0,73} {1,0} {5,189} read back; a NULL optval is WSAEFAULT for SO_LINGER and SO_DONTLINGER', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM);
    for (const [onoff, seconds] of [[0, 0], [0, 73], [1, 0], [5, 189]] as const) {
      const l = new Uint8Array([onoff, 0, seconds & 0xff, seconds >> 8]);
      expectOk(setRaw(w, s, SOL_SOCKET, W.SO_LINGER, l, 4), `set {${onoff}, ${seconds}}`);
      const out = new Uint8Array(4);
      expectOk(getRaw(w, s, SOL_SOCKET, W.SO_LINGER, out, 4), 'get');
      const gotOn = out[0]! | (out[1]! << 8);
      assert.equal(!gotOn, !onoff, 'l_onoff');
      if (gotOn) assert.equal(out[2]! | (out[3]! << 8), seconds, 'l_linger');
    }
    expectErr(setRaw(w, s, SOL_SOCKET, W.SO_LINGER, null, 4), WSAEFAULT, 'SO_LINGER NULL, 4');
    expectErr(setRaw(w, s, SOL_SOCKET, W.SO_LINGER, null, 0), WSAEFAULT, 'SO_LINGER NULL, 0');
    expectErr(setRaw(w, s, SOL_SOCKET, W.SO_DONTLINGER, null, 4), WSAEFAULT, 'SO_DONTLINGER NULL, 4');
    expectErr(setRaw(w, s, SOL_SOCKET, W.SO_DONTLINGER, null, 0), WSAEFAULT, 'SO_DONTLINGER NULL, 0');
  });

  it('test_set_getsockopt (TCP_NODELAY): optlen 1, 4 and 42 work; 0 is WSAEFAULT, -1 WSAENOBUFS; 0x100 reads back 0', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM);
    const nodelay = () => {
      const v = dw(0xff);
      expectOk(getRaw(w, s, IPPROTO_TCP, W.TCP_NODELAY, v, 4), 'get TCP_NODELAY');
      return u32(v);
    };
    for (const len of [1, 4, 42]) {
      const v = new Uint8Array(Math.max(len, 4));
      v[0] = 1;
      expectOk(setRaw(w, s, IPPROTO_TCP, W.TCP_NODELAY, v, len), `optlen ${len}`);
      assert.equal(nodelay(), 1, `TCP_NODELAY after optlen ${len}`);
      expectOk(setRaw(w, s, IPPROTO_TCP, W.TCP_NODELAY, dw(0), 4), 'reset to 0');
    }
    expectErr(setRaw(w, s, IPPROTO_TCP, W.TCP_NODELAY, dw(1), 0), WSAEFAULT, 'optlen 0');
    assert.equal(nodelay(), 0);
    // Windows 10 21H1 and later: WSAENOBUFS (older versions WSAEFAULT).
    expectErr(setRaw(w, s, IPPROTO_TCP, W.TCP_NODELAY, dw(1), -1), WSAENOBUFS, 'optlen -1');
    assert.equal(nodelay(), 0);
    expectOk(setRaw(w, s, IPPROTO_TCP, W.TCP_NODELAY, dw(0x100), 4), '0x100');
    assert.equal(nodelay(), 0, 'a BOOLEAN is its first byte');
  });

  it('test_set_getsockopt (TCP_KEEPALIVE, TCP_KEEPCNT, TCP_KEEPINTVL): 3600, 5 and 5 read back', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM);
    expectOk(setRaw(w, s, IPPROTO_TCP, W.TCP_KEEPALIVE, dw(3600), 4), 'TCP_KEEPALIVE');
    assert.equal(getDword(w, s, IPPROTO_TCP, W.TCP_KEEPALIVE), 3600);
    expectOk(setRaw(w, s, IPPROTO_TCP, W.TCP_KEEPCNT, dw(5), 4), 'TCP_KEEPCNT');
    assert.equal(getDword(w, s, IPPROTO_TCP, W.TCP_KEEPCNT), 5);
    expectOk(setRaw(w, s, IPPROTO_TCP, W.TCP_KEEPINTVL, dw(5), 4), 'TCP_KEEPINTVL');
    assert.equal(getDword(w, s, IPPROTO_TCP, W.TCP_KEEPINTVL), 5);
  });

  it('test_set_getsockopt (optval is a value, not a pointer): WSAEFAULT', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM);
    expectErr(setRaw(w, s, SOL_SOCKET, W.SO_DONTROUTE, 1, 1), WSAEFAULT, '(char *)1');
  });

  it('test_set_getsockopt (invalid level): 0xffffffff and 0x8000 are WSAEINVAL', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM);
    expectErr(setRaw(w, s, 0xffffffff, W.SO_RCVTIMEO, dw(63000), 4), WSAEINVAL, 'level 0xffffffff');
    expectErr(setRaw(w, s, -1, W.SO_RCVTIMEO, dw(63000), 4), WSAEINVAL, 'level -1');
    expectErr(setRaw(w, s, 0x8000, W.SO_RCVTIMEO, dw(63000), 4), WSAEINVAL, 'level 0x8000');
  });

  it('test_set_getsockopt (SO_ERROR): 1234 reads back; a 1-byte optlen is WSAEFAULT; a closed socket is WSAENOTSOCK and the value stays', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM);
    expectOk(setRaw(w, s, SOL_SOCKET, W.SO_ERROR, dw(1234), 4), 'set SO_ERROR');
    assert.equal(getDword(w, s, SOL_SOCKET, W.SO_ERROR), 1234);
    expectErr(getRaw(w, s, SOL_SOCKET, W.SO_ERROR, dw(4321), 1), WSAEFAULT, 'optlen 1');
    close(w, s);
    const i = dw(1234);
    expectErr(getRaw(w, s, SOL_SOCKET, W.SO_ERROR, i, 4), WSAENOTSOCK, 'closed socket');
    assert.equal(u32(i), 1234);
  });

  for (const r of SIZE_ROWS) {
    it(`test_set_getsockopt (option sizes, ${r.name}): the lengths it takes on set and writes on get`, (w) => optionSizes(w, r));
  }

  it('test_set_getsockopt (SO_PROTOCOL_INFOW invalid parameters): WSAENOTSOCK before all else; WSAEFAULT; a short buffer learns the size', (w) => {
    const info = new Uint8Array(628);
    fails('NULL, NULL on no socket', (e) => w.p.WSPGetSockOpt(W.INVALID_SOCKET, SOL_SOCKET, W.SO_PROTOCOL_INFOW, null, null as never, e), WSAENOTSOCK);
    let size = { value: 628 };
    fails('no socket', (e) => w.p.WSPGetSockOpt(W.INVALID_SOCKET, SOL_SOCKET, W.SO_PROTOCOL_INFOW, info, size, e), WSAENOTSOCK);
    assert.equal(size.value, 628);
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    fails('NULL, NULL', (e) => w.p.WSPGetSockOpt(s, SOL_SOCKET, W.SO_PROTOCOL_INFOW, null, null as never, e), WSAEFAULT);
    fails('info, NULL', (e) => w.p.WSPGetSockOpt(s, SOL_SOCKET, W.SO_PROTOCOL_INFOW, info, null as never, e), WSAEFAULT);
    fails('NULL, &size', (e) => w.p.WSPGetSockOpt(s, SOL_SOCKET, W.SO_PROTOCOL_INFOW, null, size, e), WSAEFAULT);
    size = { value: 628 / 2 };
    fails('half the size', (e) => w.p.WSPGetSockOpt(s, SOL_SOCKET, W.SO_PROTOCOL_INFOW, info, size, e), WSAEFAULT);
    assert.equal(size.value, 628, 'the size it needs');
    size = { value: 628 * 2 };
    ok('twice the size', (e) => w.p.WSPGetSockOpt(s, SOL_SOCKET, W.SO_PROTOCOL_INFOW, new Uint8Array(1256), size, e));
    assert.equal(size.value, 628 * 2, 'the length is left as it was');
  });

  it('test_set_getsockopt (SO_PROTOCOL_INFOW per protocol): the socket\'s WSAPROTOCOL_INFOW; IP_HDRINCL is WSAEINVAL both ways', (w) => {
    for (const [af, type, proto] of [[AF_INET, SOCK_STREAM, IPPROTO_TCP], [AF_INET, SOCK_DGRAM, W.IPPROTO_UDP],
      [AF_INET6, SOCK_STREAM, IPPROTO_TCP], [AF_INET6, SOCK_DGRAM, W.IPPROTO_UDP]] as const) {
      const s = sock(w, af, type, proto);
      const info = new Uint8Array(628);
      const size = { value: 628 };
      ok('SO_PROTOCOL_INFOW', (e) => w.p.WSPGetSockOpt(s, SOL_SOCKET, W.SO_PROTOCOL_INFOW, info, size, e));
      assert.equal(size.value, 628);
      assert.notEqual(info[116], 0, 'szProtocol is filled');
      assert.equal(u32(info, 76), af, 'iAddressFamily');
      assert.equal(u32(info, 88), type, 'iSocketType');
      assert.equal(u32(info, 92), proto, 'iProtocol');
      const entry = w.p.protocols().find((p) => p.iAddressFamily === af && p.iSocketType === type)!;
      assert.equal(u32(info, 36), entry.dwCatalogEntryId, 'dwCatalogEntryId');
      assert.equal(u32(info, 0), entry.dwServiceFlags1, 'dwServiceFlags1');
      const name = String.fromCharCode(...new Uint16Array(info.buffer, 116, entry.szProtocol.length));
      assert.equal(name, entry.szProtocol, 'szProtocol');

      // IP_HDRINCL is a raw sockets' option (Vista and later: WSAEINVAL, the value untouched).
      expectErr(setRaw(w, s, IPPROTO_IP, IP_HDRINCL, dw(1), 4), WSAEINVAL, 'set IP_HDRINCL 1');
      const k = dw(99);
      expectErr(getRaw(w, s, IPPROTO_IP, IP_HDRINCL, k, 4), WSAEINVAL, 'get IP_HDRINCL');
      assert.equal(u32(k), 99);
      expectErr(setRaw(w, s, IPPROTO_IP, IP_HDRINCL, dw(0), 4), WSAEINVAL, 'set IP_HDRINCL 0');
      close(w, s);
    }
  });

  it('test_set_getsockopt (SO_BSP_STATE): the local and remote addresses as they become known; 56 bytes for IPv4, one less is WSAEFAULT', async (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const bsp = (h: number, len = 128) => {
      const b = new Uint8Array(128).fill(0xcc);
      const r = getRaw(w, h, SOL_SOCKET, W.SO_BSP_STATE, b, len);
      return { ...r, b };
    };
    const addrAt = (b: Uint8Array, slot: number) => {
      const at = u32(b, slot);
      const len = u32(b, slot + 4);
      return { at, len, bytes: at === 0 ? null : b.slice(at, at + len) };
    };
    let st = bsp(s);
    expectOk(st, 'unbound');
    assert.deepEqual([addrAt(st.b, 0).len, addrAt(st.b, 0).at, addrAt(st.b, 8).len, addrAt(st.b, 8).at], [0, 0, 0, 0], 'no addresses yet');
    ok('bind', (e) => w.p.WSPBind(s, addr(w.loopback4, 0), 16, e));
    st = bsp(s);
    expectOk(st, 'bound');
    assert.equal(addrAt(st.b, 0).len, 16, 'the local address');
    assert.notEqual(addrAt(st.b, 0).at, 0);
    assert.equal(addrAt(st.b, 8).len, 0, 'no remote address yet');

    const l = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ok('bind', (e) => w.p.WSPBind(l, addr(w.loopback4, 0), 16, e));
    ok('listen', (e) => w.p.WSPListen(l, 1, e));
    const at = nameOf(w, l);
    nonBlocking(w, s);
    const c = call((e) => w.p.WSPConnect(s, at, 16, null, null, null, null, e));
    assert.ok(c.ret === 0 || W.errorName(c.err) === 'WSAEWOULDBLOCK');
    nonBlocking(w, l);
    let s2 = W.INVALID_SOCKET;
    await w.settle(() => (s2 = w.p.WSPAccept(l, null, null, null, 0, { value: 0 })) !== W.INVALID_SOCKET, 'the accept');
    await w.settle(() => w.p.inspect(s)?.phase === 'connected', 'the connect');
    close(w, l);

    const a = bsp(s);
    const b = bsp(s2);
    expectOk(a, 'client');
    expectOk(b, 'server');
    assert.equal(b.len, 128, 'the length is left as it was');
    assert.equal(addrAt(a.b, 0).len, 16);
    assert.equal(addrAt(a.b, 8).len, 16);
    assert.deepEqual(addrAt(a.b, 0).bytes, addrAt(b.b, 8).bytes, 'client local = server remote');
    assert.deepEqual(addrAt(b.b, 0).bytes, addrAt(a.b, 8).bytes, 'server local = client remote');
    assert.deepEqual([u32(a.b, 16), u32(a.b, 20), u32(b.b, 16), u32(b.b, 20)], [SOCK_STREAM, IPPROTO_TCP, SOCK_STREAM, IPPROTO_TCP]);
    const peer = new Uint8Array(16);
    ok('getpeername', (e) => w.p.WSPGetPeerName(s, peer, { value: 16 }, e));
    assert.deepEqual(addrAt(a.b, 8).bytes, peer);

    const short = bsp(s, 24); // sizeof(CSADDR_INFO)
    expectErr(short, WSAEFAULT, 'sizeof(CSADDR_INFO)');
    assert.equal(short.len, 24);
    expectOk(bsp(s, 56), 'exactly 56 bytes');
    expectErr(bsp(s, 55), WSAEFAULT, '55 bytes');
  });

  it('test_set_getsockopt (IP_DONTFRAGMENT, IPV6_DONTFRAG): off for UDP and raw, on for TCP; any non-zero value reads back 1', (w) => {
    for (const [af, level] of [[AF_INET, IPPROTO_IP], [AF_INET6, IPPROTO_IPV6]] as const) {
      const u = sock(w, af, SOCK_DGRAM);
      assert.equal(getDword(w, u, level, IP_DONTFRAGMENT), 0, 'UDP default');
      expectOk(setRaw(w, u, level, IP_DONTFRAGMENT, dw(1), 4), 'set 1');
      assert.equal(getDword(w, u, level, IP_DONTFRAGMENT), 1);
      expectOk(setRaw(w, u, level, IP_DONTFRAGMENT, dw(0xdead), 4), 'set 0xdead');
      assert.equal(getDword(w, u, level, IP_DONTFRAGMENT), 1);
      const t = sock(w, af, SOCK_STREAM);
      assert.equal(getDword(w, t, level, IP_DONTFRAGMENT), 1, 'TCP default');
      expectOk(setRaw(w, t, level, IP_DONTFRAGMENT, dw(0), 4), 'set 0');
      assert.equal(getDword(w, t, level, IP_DONTFRAGMENT), 0);
      const r = sock(w, af, SOCK_RAW, 0);
      assert.equal(getDword(w, r, level, IP_DONTFRAGMENT), 0, 'raw default');
      expectOk(setRaw(w, r, level, IP_DONTFRAGMENT, dw(1), 4), 'set 1');
      assert.equal(getDword(w, r, level, IP_DONTFRAGMENT), 1);
    }
  });

  for (const [type, af, level, stype, proto, rows] of [
    ['IPv4 TCP', AF_INET, IPPROTO_IP, SOCK_STREAM, IPPROTO_TCP, ipv4Validity('tcp')],
    ['IPv4 UDP', AF_INET, IPPROTO_IP, SOCK_DGRAM, W.IPPROTO_UDP, ipv4Validity('udp')],
    ['IPv4 raw', AF_INET, IPPROTO_IP, SOCK_RAW, W.IPPROTO_RAW, ipv4Validity('raw')],
    ['IPv6 TCP', AF_INET6, IPPROTO_IPV6, SOCK_STREAM, IPPROTO_TCP, ipv6Validity('tcp')],
    ['IPv6 UDP', AF_INET6, IPPROTO_IPV6, SOCK_DGRAM, W.IPPROTO_UDP, ipv6Validity('udp')],
    ['IPv6 raw', AF_INET6, IPPROTO_IPV6, SOCK_RAW, W.IPPROTO_RAW, ipv6Validity('raw')],
  ] as const) {
    it(`test_sockopt_validity (${type}): which IP-level options get and set, and the errors of the others`, (w) => {
      const s = sock(w, af, stype, proto);
      validity(w, s, level, rows, type);
    });
  }

  it('test_sockopt_validity (not a socket): WSAENOTSOCK', (w) => {
    validity(w, 0x1234, SOL_SOCKET, [[-1, WSAENOTSOCK], [W.SO_TYPE, WSAENOTSOCK]], 'file');
  });

  it('test_so_debug: reads 0; 2 is accepted and reads back 1', (w) => {
    const s = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const d = dw(0xdeadbeef);
    const g = getRaw(w, s, SOL_SOCKET, W.SO_DEBUG, d, 4);
    expectOk(g, 'get');
    assert.equal(g.len, 4);
    assert.equal(u32(d), 0);
    expectOk(setRaw(w, s, SOL_SOCKET, W.SO_DEBUG, dw(2), 4), 'set 2');
    assert.equal(getDword(w, s, SOL_SOCKET, W.SO_DEBUG), 1);
  });

  it('test_connect_time: 0xffffffff until connected, 0 just after; a connected UDP socket has none', async (w) => {
    const connectTime = (h: number) => {
      const t = dw(0);
      const g = getRaw(w, h, SOL_SOCKET, W.SO_CONNECT_TIME, t, 4);
      expectOk(g, 'SO_CONNECT_TIME');
      assert.equal(g.len, 4);
      return u32(t);
    };
    const c0 = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert.equal(connectTime(c0), 0xffffffff);
    const { client, server } = await tcpPair(w);
    assert.equal(connectTime(client), 0);
    assert.equal(connectTime(server), 0);
    const uc = sock(w, AF_INET, SOCK_DGRAM, W.IPPROTO_UDP);
    const us = sock(w, AF_INET, SOCK_DGRAM, W.IPPROTO_UDP);
    ok('bind', (e) => w.p.WSPBind(us, addr(w.loopback4, 0), 16, e));
    ok('connect', (e) => w.p.WSPConnect(uc, nameOf(w, us), 16, null, null, null, null, e));
    assert.equal(connectTime(uc), 0xffffffff);
    assert.equal(connectTime(us), 0xffffffff);
  });

  it('test_extendedSocketOptions: SO_MAX_MSG_SIZE of UDP; unknown levels are WSAEINVAL; SO_LINGER is not a UDP option; SO_DONTLINGER mirrors SO_LINGER', (w) => {
    const u = sock(w, AF_INET, SOCK_DGRAM, IPPROTO_IP);
    ok('bind', (e) => w.p.WSPBind(u, addr('0.0.0.0', 0), 16, e));
    const max = getDword(w, u, SOL_SOCKET, W.SO_MAX_MSG_SIZE);
    assert.ok(max === 65507 || max === 65527, `SO_MAX_MSG_SIZE ${max}`);
    for (const level of [0xffffffff, 0x1234ffff, 0x8000ffff, 0x00008000, 0x00000800]) {
      const v = dw(0xdeadbeef);
      expectErr(getRaw(w, u, level, W.SO_MAX_MSG_SIZE, v, 4), WSAEINVAL, `level ${level.toString(16)}`);
      assert.equal(u32(v), 0xdeadbeef);
    }
    expectErr(getRaw(w, u, SOL_SOCKET, W.SO_LINGER, new Uint8Array(4), 4), WSAENOPROTOOPT, 'SO_LINGER on UDP');
    const t = sock(w, AF_INET, SOCK_STREAM, IPPROTO_IP);
    ok('bind', (e) => w.p.WSPBind(t, addr('0.0.0.0', 0), 16, e));
    const l = new Uint8Array(4);
    expectOk(getRaw(w, t, SOL_SOCKET, W.SO_LINGER, l, 4), 'SO_LINGER');
    const dontLinger = getDword(w, t, SOL_SOCKET, W.SO_DONTLINGER);
    assert.equal(!!dontLinger, !(l[0]! | l[1]!), 'SO_DONTLINGER is !l_onoff');
  });

  it('test_accept_inheritance: the accepted socket has the listener\'s options', async (w) => {
    const l = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    const ints = [
      [SOL_SOCKET, W.SO_REUSEADDR, 1], [SOL_SOCKET, W.SO_KEEPALIVE, 1], [SOL_SOCKET, W.SO_OOBINLINE, 1],
      [SOL_SOCKET, W.SO_SNDBUF, 0x123], [SOL_SOCKET, W.SO_RCVBUF, 0x123], [SOL_SOCKET, W.SO_SNDTIMEO, 0x123],
      [SOL_SOCKET, W.SO_RCVTIMEO, 0x123], [IPPROTO_TCP, W.TCP_NODELAY, 1],
    ] as const;
    for (const [level, opt, v] of ints) expectOk(setRaw(w, l, level, opt, dw(v), 4), `set ${opt}`);
    expectOk(setRaw(w, l, SOL_SOCKET, W.SO_LINGER, new Uint8Array([1, 0, 555 & 0xff, 555 >> 8]), 4), 'SO_LINGER {1, 555}');
    ok('bind', (e) => w.p.WSPBind(l, addr(w.loopback4, 0), 16, e));
    ok('listen', (e) => w.p.WSPListen(l, 1, e));
    const { server } = await connectAndAccept(w, l, nameOf(w, l));
    for (const [level, opt, v] of ints) {
      const b = dw(0);
      expectOk(getRaw(w, server, level, opt, b, 4), `get ${opt}`);
      assert.equal(u32(b), v, `option ${opt}`);
    }
    const lin = new Uint8Array(4);
    expectOk(getRaw(w, server, SOL_SOCKET, W.SO_LINGER, lin, 4), 'SO_LINGER');
    assert.deepEqual([lin[0]! | (lin[1]! << 8), lin[2]! | (lin[3]! << 8)], [1, 555]);
  });

  it('test_ipv6only (the option): on by default, for IPv4 sockets too; settable until bound, refused after', (w) => {
    const v6 = sock(w, AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    const v6only = (h: number) => {
      const b = dw(2);
      expectOk(getRaw(w, h, IPPROTO_IPV6, IPV6_V6ONLY, b, 4), 'get IPV6_V6ONLY');
      return u32(b);
    };
    assert.equal(v6only(v6), 1, 'IPv6 default');
    ok('bind v6', (e) => w.p.WSPBind(v6, addr('::', 0), 28, e));
    const v4 = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert.equal(v6only(v4), 1, 'IPv4 default');
    expectOk(setRaw(w, v4, IPPROTO_IPV6, IPV6_V6ONLY, dw(0), 4), 'set 0 before bind');
    assert.equal(v6only(v4), 0);
    expectOk(setRaw(w, v4, IPPROTO_IPV6, IPV6_V6ONLY, dw(1), 4), 'set 1 before bind');
    ok('bind v4', (e) => w.p.WSPBind(v4, addr('0.0.0.0', 0), 16, e));
    assert.equal(v6only(v4), 1);
    assert.equal(setRaw(w, v4, IPPROTO_IPV6, IPV6_V6ONLY, dw(0), 4).ret, W.SOCKET_ERROR, 'set 0 after bind fails');
    assert.equal(v6only(v4), 1);
    assert.equal(setRaw(w, v4, IPPROTO_IPV6, IPV6_V6ONLY, dw(1), 4).ret, W.SOCKET_ERROR, 'set 1 after bind fails');
    close(w, v4);
    close(w, v6);

    const d = sock(w, AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    expectOk(setRaw(w, d, IPPROTO_IPV6, IPV6_V6ONLY, dw(0), 4), 'disable on IPv6');
    assert.equal(v6only(d), 0);
    expectOk(setRaw(w, d, SOL_SOCKET, W.SO_EXCLUSIVEADDRUSE, dw(1), 4), 'SO_EXCLUSIVEADDRUSE');
    ok('bind', (e) => w.p.WSPBind(d, addr('::', 0), 28, e));
    assert.equal(v6only(d), 0, 'still off after bind');
  });

  it('test_WSASocket (SO_TYPE): read-only: WSAENOPROTOOPT for TCP, WSAEINVAL for UDP', (w) => {
    const u = sock(w, AF_INET, SOCK_DGRAM, W.IPPROTO_UDP);
    for (const v of [SOCK_STREAM, SOCK_DGRAM]) expectErr(setRaw(w, u, SOL_SOCKET, W.SO_TYPE, dw(v), 4), WSAEINVAL, `UDP, ${v}`);
    assert.equal(getDword(w, u, SOL_SOCKET, W.SO_TYPE), SOCK_DGRAM);
    const t = sock(w, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    for (const v of [SOCK_STREAM, SOCK_DGRAM]) expectErr(setRaw(w, t, SOL_SOCKET, W.SO_TYPE, dw(v), 4), WSAENOPROTOOPT, `TCP, ${v}`);
    assert.equal(getDword(w, t, SOL_SOCKET, W.SO_TYPE), SOCK_STREAM);
  });

  it('test_WSASocket (SO_PROTOCOL_INFOW of a raw socket): protocol 0, max offset 255, hidden, connectionless', (w) => {
    const s = sock(w, AF_INET, SOCK_RAW, W.IPPROTO_ICMP);
    assert.equal(getDword(w, s, SOL_SOCKET, W.SO_TYPE), SOCK_RAW);
    const info = new Uint8Array(628);
    ok('SO_PROTOCOL_INFOW', (e) => w.p.WSPGetSockOpt(s, SOL_SOCKET, W.SO_PROTOCOL_INFOW, info, { value: 628 }, e));
    assert.equal(u32(info, 76), AF_INET, 'iAddressFamily');
    assert.equal(u32(info, 88), SOCK_RAW, 'iSocketType');
    assert.equal(u32(info, 80), 16, 'iMaxSockAddr');
    assert.equal(u32(info, 84), 16, 'iMinSockAddr');
    assert.equal(u32(info, 92), 0, 'iProtocol');
    assert.equal(u32(info, 96), 255, 'iProtocolMaxOffset');
    assert.equal(u32(info, 16), W.PFL_MATCHES_PROTOCOL_ZERO | W.PFL_HIDDEN, 'dwProviderFlags');
    assert.equal(u32(info, 0), W.XP1_IFS_HANDLES | W.XP1_SUPPORT_BROADCAST | W.XP1_SUPPORT_MULTIPOINT
      | W.XP1_MESSAGE_ORIENTED | W.XP1_CONNECTIONLESS, 'dwServiceFlags1');
  });

  it('test_set_getsockopt (extension: the options beyond the suite read back what was set)', (w) => {
    const t = sock(w, AF_INET, SOCK_STREAM);
    assert.equal(getDword(w, t, IPPROTO_IP, IP_TTL), 128, 'IP_TTL default (Windows DefaultTTL)');
    expectOk(setRaw(w, t, IPPROTO_IP, IP_TTL, dw(64), 4), 'IP_TTL 64');
    assert.equal(getDword(w, t, IPPROTO_IP, IP_TTL), 64);
    expectOk(setRaw(w, t, IPPROTO_IP, IP_TOS, dw(0x10), 4), 'IP_TOS');
    assert.equal(getDword(w, t, IPPROTO_IP, IP_TOS), 0x10);
    assert.equal(getDword(w, t, IPPROTO_TCP, W.TCP_KEEPALIVE), 7200, 'TCP_KEEPALIVE default: two hours');
    assert.equal(getDword(w, t, IPPROTO_TCP, W.TCP_KEEPINTVL), 1, 'TCP_KEEPINTVL default: one second');
    assert.equal(getDword(w, t, IPPROTO_TCP, W.TCP_KEEPCNT), 10, 'TCP_KEEPCNT default: ten probes');
    assert.equal(getDword(w, t, IPPROTO_TCP, W.TCP_MAXSEG), 536, 'TCP_MAXSEG before a connection');
    expectErr(setRaw(w, t, IPPROTO_TCP, W.TCP_MAXSEG, dw(1000), 4), WSAENOPROTOOPT, 'TCP_MAXSEG is read-only');
    expectErr(getRaw(w, t, SOL_SOCKET, W.SO_RCVLOWAT, dw(0), 4), WSAEINVAL, 'SO_RCVLOWAT (not supported by Windows TCP/IP)');
    expectErr(setRaw(w, t, SOL_SOCKET, W.SO_SNDLOWAT, dw(1), 4), WSAEINVAL, 'SO_SNDLOWAT');
    const v6 = sock(w, AF_INET6, SOCK_DGRAM);
    assert.equal(getDword(w, v6, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 128, 'IPV6_UNICAST_HOPS default');
    expectOk(setRaw(w, v6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, dw(5), 4), 'IPV6_UNICAST_HOPS 5');
    assert.equal(getDword(w, v6, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 5);
    expectErr(setRaw(w, v6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, dw(256), 4), WSAEINVAL, 'IPV6_UNICAST_HOPS 256');
    expectErr(getRaw(w, t, W.IPPROTO_UDP, 1, dw(0), 4), WSAENOPROTOOPT, 'IPPROTO_UDP is a level, without options here');
  });

  it('test_set_getsockopt (extension: TCP_MAXSEG and IP_MTU of a connection)', async (w) => {
    const { client } = await tcpPair(w);
    const mss = getDword(w, client, IPPROTO_TCP, W.TCP_MAXSEG);
    assert.ok(mss >= 536 && mss <= 65495, `TCP_MAXSEG ${mss}`);
    const mtu = getDword(w, client, IPPROTO_IP, IP_MTU);
    assert.ok(mtu >= 576 && mtu <= 65535, `IP_MTU ${mtu}`);
  });
});

// The non-blocking receive with a short SO_RCVBUF (test_set_getsockopt): on Windows each of three
// 4096-byte non-blocking sends on a socket with SO_SNDBUF 0 is taken whole, whatever is still
// unacknowledged.
test('test_set_getsockopt (non-blocking receive with a short SO_RCVBUF) on the virtual network: three 4096-byte sends with SO_SNDBUF 0 are each taken whole', async () => {
  const w = virtualWorld();
  const { client: src, server: dst } = await tcpPair(w);
  nonBlocking(w, src);
  nonBlocking(w, dst);
  expectOk(setRaw(w, src, SOL_SOCKET, W.SO_SNDBUF, dw(0), 4), 'SO_SNDBUF 0');
  assert.ok(getDword(w, dst, SOL_SOCKET, W.SO_RCVBUF) >= 3 * 4096);
  expectOk(setRaw(w, dst, SOL_SOCKET, W.SO_RCVBUF, dw(1024), 4), 'SO_RCVBUF 1024');
  assert.equal(getDword(w, dst, SOL_SOCKET, W.SO_RCVBUF), 1024);
  const buffer = new Uint8Array(4096);
  for (let i = 0; i < 3; i++) assert.equal(send(w, src, buffer).sent, 4096, `send ${i + 1}`);
  // A 1024-byte receive buffer lets the bytes in a window at a time: read as they come.
  let total = 0;
  for (let round = 0; round < 64 && total < 3 * 4096; round++) {
    w.net!.run();
    for (let r = recv(w, dst, 4096); r.ret === 0 && r.bytes.length > 0; r = recv(w, dst, 4096)) total += r.bytes.length;
  }
  assert.equal(total, 3 * 4096, 'the three sends arrive');
  await w.close();
});

