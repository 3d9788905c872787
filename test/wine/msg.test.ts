/**
 * Ports of Wine's ws2_32 tests (dlls/ws2_32/tests/sock.c) for WSARecvMsg and WSASendMsg:
 * test_WSASendMsg, test_ip_pktinfo, and the IP_PKTINFO / IPV6_PKTINFO rows of test_ipv4_cmsg and
 * test_ipv6_cmsg (their IP_RECVTTL, IP_RECVTOS, IPV6_HOPLIMIT and IPV6_RECVTCLASS rows are not
 * built: docs/overlapped.md). Sock.c has no test_WSARecvMsg; test_ip_pktinfo is its record. Cases
 * named "decision" prove what docs/overlapped.md decided where the record is silent. Facts in
 * brackets are docs/research/wine-overlapped-facts.md's.
 */
import assert from 'node:assert/strict';
import {
  AF_INET, AF_INET6, IPPROTO_IP, IPPROTO_IPV6, IP_ADD_MEMBERSHIP, IP_MULTICAST_IF, IP_PKTINFO, IPV6_PKTINFO, MSG_CTRUNC, MSG_MCAST, MSG_TRUNC, SIO_GET_EXTENSION_FUNCTION_POINTER,
  SOCK_DGRAM, SOCK_STREAM, SOCKET_ERROR, STATUS_BUFFER_OVERFLOW, STATUS_PENDING, STATUS_SUCCESS, WAIT_IO_COMPLETION, WSAEFAULT,
  WSAEINVAL, WSAEMSGSIZE, WSAENOTSOCK, WSAEvent, WSA_IO_PENDING, WSAID_WSARECVMSG_BYTES, WSAID_WSASENDMSG_BYTES,
  FUNCTION_POINTER_SIZE, readControl, errorName,
  type FunctionPointerOut, type WSAMSG, type WSAOVERLAPPED, type WSAOVERLAPPED_COMPLETION_ROUTINE, type WSARecvMsgFn,
  type WSASendMsgFn, type SockAddr,
} from '../../src/index.js';
import { addr, call, expectErr, expectOk, nameOf, ok, onNetworks, setInt, socket, type World } from './harness.js';

const DEADBEEF = 0xdeadbeef;
const INVALID_SOCKET = 0xffffffff;
const enc = (t: string) => new TextEncoder().encode(t);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
/** "HELLO" with its NUL, as Wine's char msg[] = "HELLO". */
const HELLO = new Uint8Array([...enc('HELLO'), 0]);
/** sizeof(WSACMSGHDR) + WSA_CMSG_ALIGN(sizeof(struct in_pktinfo)) with 32-bit SIZE_T. */
const IP_PKTINFO_LEN = 12 + 8;

function extension<T>(w: World, s: number, guid: Uint8Array): T {
  const out: FunctionPointerOut = { value: null };
  ok('SIO_GET_EXTENSION_FUNCTION_POINTER', (e) => w.p.WSPIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, guid, 16, out as never, FUNCTION_POINTER_SIZE, { value: 0 }, null, null, null, e));
  assert.equal(typeof out.value, 'function');
  return out.value as T;
}

function overlapped(hEvent: WSAEvent | null = new WSAEvent()): WSAOVERLAPPED {
  return { Internal: 0xdead1, InternalHigh: 0xdead2, Offset: 0xdead3, OffsetHigh: 0xdead4, hEvent };
}

async function completed(w: World, ov: WSAOVERLAPPED): Promise<void> {
  await w.settle(() => ov.Internal !== STATUS_PENDING, 'the completion');
}

async function sleepEx(w: World, ms: number): Promise<number> {
  return w.kind === 'virtual' ? w.p.alertableWait(ms, null) : w.p.alertableWaitAsync(ms, null);
}

function sendTo(w: World, s: number, bytes: Uint8Array, to: SockAddr): void {
  const sent = { value: 0 };
  ok('sendto', (e) => w.p.WSPSendTo(s, [{ len: bytes.length, buf: bytes }], 1, sent, 0, to, to.family === AF_INET ? 16 : 28, null, null, null, e));
  assert.equal(sent.value, bytes.length);
}

/** Datagrams queued on `s` (FIONREAD counts their bytes). */
function queued(w: World, s: number): number {
  const out = new Uint8Array(4);
  const r = w.p.WSPIoctl(s, 0x4004667f /* FIONREAD */, null as never, 0, out, 4, { value: 0 }, null, null, null, { value: 0 });
  return r === 0 ? new DataView(out.buffer).getUint32(0, true) : -1;
}

/** Wine's WSAMSG of test_ip_pktinfo: name s3addr, one 10-byte buffer, a 512-byte control buffer. */
function header(): { msg: WSAMSG; recvbuf: Uint8Array; pktbuf: Uint8Array; from: SockAddr } {
  const recvbuf = new Uint8Array(10);
  const pktbuf = new Uint8Array(512);
  const from = { family: 0, address: '', port: 0 };
  const msg: WSAMSG = { name: from, namelen: 16, lpBuffers: [{ len: 10, buf: recvbuf }], dwBufferCount: 1, Control: { len: 512, buf: pktbuf }, dwFlags: 0 };
  return { msg, recvbuf, pktbuf, from };
}

function recvMsg(fn: WSARecvMsgFn, s: number, msg: WSAMSG | null, size: { value: number } | null, ov: WSAOVERLAPPED | null = null, routine: WSAOVERLAPPED_COMPLETION_ROUTINE | null = null) {
  return call((e) => fn(s, msg, size, ov, routine, e));
}

onNetworks('test_WSASendMsg', (it) => {
  it('test_WSASendMsg: INVALID_SOCKET is WSAENOTSOCK; a null WSAMSG is WSAEFAULT with or without a count; a WSAMSG without lpNumberOfBytesSent is WSAEFAULT', (w) => {
    const s = socket(w, SOCK_DGRAM);
    const send = extension<WSASendMsgFn>(w, s, WSAID_WSASENDMSG_BYTES);
    const teststr = enc('hello world\0');
    const msg: WSAMSG = { name: addr('127.0.0.1', 139), namelen: 16, lpBuffers: [{ len: 12, buf: teststr }], dwBufferCount: 1, Control: { len: 0, buf: null }, dwFlags: 0 };
    expectErr(call((e) => send(INVALID_SOCKET, msg, 0, null, null, null, e)), WSAENOTSOCK, 'INVALID_SOCKET');
    expectErr(call((e) => send(s, null, 0, null, null, null, e)), WSAEFAULT, 'null msg');
    expectErr(call((e) => send(s, null, 0, { value: 0 }, null, null, e)), WSAEFAULT, 'null msg with a count');
    expectErr(call((e) => send(s, msg, 0, null, null, null, e)), WSAEFAULT, 'no count');
  });

  it('test_WSASendMsg: an unbound socket sends to msg.name and is bound by it (0.0.0.0, a port); two buffers go as one datagram', async (w) => {
    const sock = socket(w, SOCK_DGRAM);
    const dst = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(dst, addr('127.0.0.1', 0), 16, e));
    const sendaddr = nameOf(w, dst);
    assert.notEqual(sendaddr.port, 0);
    expectErr(call((e) => w.p.WSPGetSockName(sock, { family: 0, address: '', port: 0 }, { value: 16 }, e)), WSAEINVAL, 'not bound yet');
    const send = extension<WSASendMsgFn>(w, sock, WSAID_WSASENDMSG_BYTES);
    const teststr = enc('hello world\0');
    const iovec = [{ len: 12, buf: teststr }, { len: 6, buf: teststr }];
    const msg: WSAMSG = { name: sendaddr, namelen: 16, lpBuffers: iovec, dwBufferCount: 1, Control: { len: 0, buf: null }, dwFlags: 0 };
    const sent = { value: 0 };
    expectOk(call((e) => send(sock, msg, 0, sent, null, null, e)), 'WSASendMsg');
    assert.equal(sent.value, 12);
    await w.settle(() => queued(w, dst) === 12, 'the datagram');
    const buf = new Uint8Array(32);
    const got = { value: 0 };
    ok('recvfrom', (e) => w.p.WSPRecvFrom(dst, [{ len: 32, buf }], 1, got, { value: 0 }, null, null, null, null, null, e));
    assert.equal(got.value, 12);
    const bound = nameOf(w, sock);
    assert.equal(bound.address, '0.0.0.0', 'a successful WSASendMsg binds the socket to the wildcard');
    assert.notEqual(bound.port, 0);
    msg.dwBufferCount = 2;
    expectOk(call((e) => send(sock, msg, 0, sent, null, null, e)), 'WSASendMsg, two buffers');
    assert.equal(sent.value, 18);
    await w.settle(() => queued(w, dst) === 18, 'the second datagram');
    ok('recvfrom', (e) => w.p.WSPRecvFrom(dst, [{ len: 32, buf }], 1, got, { value: 0 }, null, null, null, null, null, e));
    assert.equal(got.value, 18, 'one datagram of both buffers');
    assert.equal(dec(buf.subarray(12, 18)), 'hello ');
  });

  it('test_WSASendMsg: a bad call (no count) binds the socket all the same; one without a WSAMSG does not; a stream socket is WSAEINVAL', (w) => {
    const sock = socket(w, SOCK_DGRAM);
    const send = extension<WSASendMsgFn>(w, sock, WSAID_WSASENDMSG_BYTES);
    const msg: WSAMSG = { name: addr('127.0.0.1', 139), namelen: 16, lpBuffers: [{ len: 4, buf: enc('test') }], dwBufferCount: 1, Control: { len: 0, buf: null }, dwFlags: 0 };
    assert.equal(send(sock, msg, 0, null, null, null, { value: 0 }), SOCKET_ERROR);
    const bound = nameOf(w, sock);
    assert.deepEqual([bound.address, bound.port !== 0], ['0.0.0.0', true]);
    const other = socket(w, SOCK_DGRAM);
    assert.equal(send(other, null, 0, null, null, null, { value: 0 }), SOCKET_ERROR);
    expectErr(call((e) => w.p.WSPGetSockName(other, { family: 0, address: '', port: 0 }, { value: 16 }, e)), WSAEINVAL, 'no auto-bind without a WSAMSG');
    const tcp = socket(w, SOCK_STREAM);
    expectErr(call((e) => send(tcp, msg, 0, { value: 0 }, null, null, e)), WSAEINVAL, 'SOCK_STREAM');
  });

  it('decision: an overlapped WSASendMsg completes at once as WSASend does: 0, the count, Internal 0, InternalHigh the bytes, the event signaled; with a routine, the routine runs in an alertable wait', async (w) => {
    const sock = socket(w, SOCK_DGRAM);
    const dst = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(dst, addr('127.0.0.1', 0), 16, e));
    const send = extension<WSASendMsgFn>(w, sock, WSAID_WSASENDMSG_BYTES);
    const msg: WSAMSG = { name: nameOf(w, dst), namelen: 16, lpBuffers: [{ len: 5, buf: enc('hello') }], dwBufferCount: 1, Control: { len: 0, buf: null }, dwFlags: 0 };
    const ov = overlapped();
    const sent = { value: DEADBEEF };
    expectOk(call((e) => send(sock, msg, 0, sent, ov, null, e)), 'overlapped WSASendMsg');
    assert.deepEqual([sent.value, ov.Internal, ov.InternalHigh, ov.hEvent!.signaled], [5, STATUS_SUCCESS, 5, true]);
    const calls: number[][] = [];
    expectOk(call((e) => send(sock, msg, 0, null, overlapped(null), (err, n, _ov, f) => calls.push([err, n, f]), e)), 'with a routine');
    assert.equal(calls.length, 0, 'not before an alertable wait');
    assert.equal(await sleepEx(w, 0), WAIT_IO_COMPLETION);
    assert.deepEqual(calls, [[0, 5, 0]]);
    await w.settle(() => queued(w, dst) === 10, 'both datagrams');
  });
});

onNetworks('test_ip_pktinfo', (it) => {
  for (const bound of ['127.0.0.1', '0.0.0.0']) {
    it(`test_ip_pktinfo (bound to ${bound}): a null WSAMSG is WSAEFAULT; without IP_PKTINFO a null control buffer of length 0 succeeds; with it, a control buffer of 1 byte is WSAEMSGSIZE with the count and MSG_CTRUNC [51]`, async (w) => {
      const s1 = socket(w, SOCK_DGRAM);
      const recv = extension<WSARecvMsgFn>(w, s1, WSAID_WSARECVMSG_BYTES);
      ok('bind', (e) => w.p.WSPBind(s1, addr(bound, 0), 16, e));
      const s2addr = { ...nameOf(w, s1), address: '127.0.0.1' };
      const s2 = socket(w, SOCK_DGRAM);
      expectErr(recvMsg(recv, s1, null, null), WSAEFAULT, 'empty message header');
      const { msg, recvbuf, from } = header();
      sendTo(w, s2, HELLO, s2addr);
      await w.settle(() => queued(w, s1) > 0, 'the datagram');
      msg.Control = { len: 0, buf: null };
      const size = { value: DEADBEEF };
      expectOk(recvMsg(recv, s1, msg, size), 'no control data, null control buffer');
      assert.deepEqual([size.value, dec(recvbuf.subarray(0, 5)), msg.Control.len, msg.dwFlags], [6, 'HELLO', 0, 0]);
      assert.deepEqual([from.family, from.address, from.port, msg.namelen], [AF_INET, '127.0.0.1', nameOf(w, s2).port, 16], 'the sender in msg.name');
      expectOk(setInt(w, s1, IPPROTO_IP, IP_PKTINFO, 1), 'IP_PKTINFO');
      sendTo(w, s2, HELLO, s2addr);
      await w.settle(() => queued(w, s1) > 0, 'the datagram');
      msg.Control = { len: 1, buf: new Uint8Array(512) };
      const r = recvMsg(recv, s1, msg, size);
      expectErr(r, WSAEMSGSIZE, 'short control buffer');
      assert.equal(size.value, 6, 'the count is written [51]');
      assert.equal(msg.dwFlags, MSG_CTRUNC);
    });

    it(`test_ip_pktinfo (bound to ${bound}): overlapped with a short control buffer: pends, then STATUS_BUFFER_OVERFLOW with 6 bytes, Offset untouched, GetOverlappedResult FALSE with WSAEMSGSIZE and lpdwFlags untouched, MSG_CTRUNC [50]`, async (w) => {
      const s1 = socket(w, SOCK_DGRAM);
      const recv = extension<WSARecvMsgFn>(w, s1, WSAID_WSARECVMSG_BYTES);
      ok('bind', (e) => w.p.WSPBind(s1, addr(bound, 0), 16, e));
      const s2addr = { ...nameOf(w, s1), address: '127.0.0.1' };
      const s2 = socket(w, SOCK_DGRAM);
      expectOk(setInt(w, s1, IPPROTO_IP, IP_PKTINFO, 1), 'IP_PKTINFO');
      const { msg } = header();
      msg.Control.len = 1;
      const ov = overlapped();
      expectErr(recvMsg(recv, s1, msg, null, ov), WSA_IO_PENDING, 'overlapped WSARecvMsg');
      sendTo(w, s2, HELLO, s2addr);
      await completed(w, ov);
      assert.equal(ov.hEvent!.signaled, true);
      assert.deepEqual([ov.Internal, ov.InternalHigh, ov.Offset, ov.OffsetHigh], [STATUS_BUFFER_OVERFLOW, 6, 0xdead3, 0xdead4]);
      const size = { value: DEADBEEF };
      const flags = { value: DEADBEEF };
      const r = call((e) => w.p.WSPGetOverlappedResult(s1, ov, size, false, flags, e));
      assert.deepEqual([r.ret, errorName(r.err), size.value, flags.value], [0, 'WSAEMSGSIZE', 6, DEADBEEF]);
      assert.equal(msg.dwFlags, MSG_CTRUNC);
    });

    it(`test_ip_pktinfo (bound to ${bound}): with an APC and the datagram already queued, the call pends; the routine runs in SleepEx with WSAEMSGSIZE, 6 bytes, flags 0, MSG_CTRUNC in the WSAMSG [15, 16]`, async (w) => {
      const s1 = socket(w, SOCK_DGRAM);
      const recv = extension<WSARecvMsgFn>(w, s1, WSAID_WSARECVMSG_BYTES);
      ok('bind', (e) => w.p.WSPBind(s1, addr(bound, 0), 16, e));
      const s2addr = { ...nameOf(w, s1), address: '127.0.0.1' };
      const s2 = socket(w, SOCK_DGRAM);
      expectOk(setInt(w, s1, IPPROTO_IP, IP_PKTINFO, 1), 'IP_PKTINFO');
      sendTo(w, s2, HELLO, s2addr);
      await w.settle(() => queued(w, s1) > 0, 'the datagram');
      const { msg } = header();
      msg.Control.len = 1;
      const calls: number[][] = [];
      const r = recvMsg(recv, s1, msg, { value: DEADBEEF }, overlapped(), (err, n, _ov, f) => calls.push([err, n, f]));
      expectErr(r, WSA_IO_PENDING, 'WSARecvMsg with an APC');
      assert.equal(await sleepEx(w, 1000), WAIT_IO_COMPLETION);
      assert.deepEqual(calls, [[WSAEMSGSIZE, 6, 0]]);
      assert.equal(msg.dwFlags, MSG_CTRUNC);
    });

    it(`test_ip_pktinfo (bound to ${bound}): a pending WSARecvMsg keeps Control.len until it completes, then the data, Control.len IP_PKTINFO_LEN and an IP_PKTINFO record naming 127.0.0.1 [52, 74]`, async (w) => {
      const s1 = socket(w, SOCK_DGRAM);
      const recv = extension<WSARecvMsgFn>(w, s1, WSAID_WSARECVMSG_BYTES);
      ok('bind', (e) => w.p.WSPBind(s1, addr(bound, 0), 16, e));
      const s2addr = { ...nameOf(w, s1), address: '127.0.0.1' };
      const s2 = socket(w, SOCK_DGRAM);
      expectOk(setInt(w, s1, IPPROTO_IP, IP_PKTINFO, 1), 'IP_PKTINFO');
      const { msg, recvbuf, pktbuf } = header();
      const ov = overlapped();
      expectErr(recvMsg(recv, s1, msg, null, ov), WSA_IO_PENDING, 'overlapped WSARecvMsg');
      assert.equal(msg.Control.len, 512, 'untouched while pending');
      sendTo(w, s2, HELLO, s2addr);
      await completed(w, ov);
      const size = { value: 0 };
      ok('WSAGetOverlappedResult (lpdwFlags NULL)', (e) => w.p.WSPGetOverlappedResult(s1, ov, size, false, null, e));
      assert.equal(size.value, 6);
      assert.deepEqual(recvbuf.subarray(0, 6), HELLO);
      assert.equal(msg.Control.len, IP_PKTINFO_LEN);
      const records = readControl(pktbuf, msg.Control.len).filter((c) => c.level === IPPROTO_IP && c.type === IP_PKTINFO);
      assert.equal(records.length, 1, 'IP_PKTINFO header information was returned');
      assert.deepEqual([...records[0]!.data.subarray(0, 4)], [127, 0, 0, 1], 'destination ip');
    });
  }
});

onNetworks('test_ipv4_cmsg / test_ipv6_cmsg (PKTINFO rows)', (it) => {
  it('test_ipv4_cmsg: IP_PKTINFO on a server bound to 127.0.0.1: one record, IPPROTO_IP / IP_PKTINFO, cmsg_len sizeof(WSACMSGHDR) + sizeof(IN_PKTINFO), ipi_addr 127.0.0.1; cleared, no record', async (w) => {
    const server = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(server, addr('127.0.0.1', 0), 16, e));
    const client = socket(w, SOCK_DGRAM);
    ok('connect', (e) => w.p.WSPConnect(client, nameOf(w, server), 16, null, null, null, null, e));
    const recv = extension<WSARecvMsgFn>(w, server, WSAID_WSARECVMSG_BYTES);
    const control = new Uint8Array(100);
    const payload = new Uint8Array(6);
    const msg: WSAMSG = { name: null, namelen: 0, lpBuffers: [{ len: 6, buf: payload }], dwBufferCount: 1, Control: { len: 100, buf: control }, dwFlags: 0 };
    expectOk(setInt(w, server, IPPROTO_IP, IP_PKTINFO, 1), 'IP_PKTINFO on');
    ok('send', (e) => w.p.WSPSend(client, [{ len: 6, buf: HELLO }], 1, { value: 0 }, 0, null, null, null, e));
    await w.settle(() => queued(w, server) > 0, 'the datagram');
    const count = { value: 0 };
    expectOk(recvMsg(recv, server, msg, count), 'WSARecvMsg');
    assert.equal(count.value, 6);
    const view = new DataView(control.buffer);
    assert.deepEqual([view.getInt32(4, true), view.getInt32(8, true), view.getUint32(0, true)], [IPPROTO_IP, IP_PKTINFO, 12 + 8]);
    assert.deepEqual([...control.subarray(12, 16)], [127, 0, 0, 1]);
    expectOk(setInt(w, server, IPPROTO_IP, IP_PKTINFO, 0), 'IP_PKTINFO off');
    msg.Control.len = 100;
    ok('send', (e) => w.p.WSPSend(client, [{ len: 6, buf: HELLO }], 1, { value: 0 }, 0, null, null, null, e));
    await w.settle(() => queued(w, server) > 0, 'the datagram');
    expectOk(recvMsg(recv, server, msg, count), 'WSARecvMsg');
    assert.equal(msg.Control.len, 0, 'no control data');
  });

  it('test_ipv6_cmsg: IPV6_PKTINFO on a server bound to ::1: IPPROTO_IPV6 / IPV6_PKTINFO, cmsg_len sizeof(WSACMSGHDR) + sizeof(IN6_PKTINFO), ipi6_addr ::1', async (w) => {
    const server = socket(w, SOCK_DGRAM, AF_INET6);
    ok('bind', (e) => w.p.WSPBind(server, addr('::1', 0), 28, e));
    const client = socket(w, SOCK_DGRAM, AF_INET6);
    ok('connect', (e) => w.p.WSPConnect(client, nameOf(w, server), 28, null, null, null, null, e));
    const recv = extension<WSARecvMsgFn>(w, server, WSAID_WSARECVMSG_BYTES);
    const control = new Uint8Array(100);
    const msg: WSAMSG = { name: null, namelen: 0, lpBuffers: [{ len: 6, buf: new Uint8Array(6) }], dwBufferCount: 1, Control: { len: 100, buf: control }, dwFlags: 0 };
    expectOk(setInt(w, server, IPPROTO_IPV6, IPV6_PKTINFO, 1), 'IPV6_PKTINFO on');
    ok('send', (e) => w.p.WSPSend(client, [{ len: 6, buf: HELLO }], 1, { value: 0 }, 0, null, null, null, e));
    await w.settle(() => queued(w, server) > 0, 'the datagram');
    const count = { value: 0 };
    expectOk(recvMsg(recv, server, msg, count), 'WSARecvMsg');
    assert.equal(count.value, 6);
    const view = new DataView(control.buffer);
    assert.deepEqual([view.getInt32(4, true), view.getInt32(8, true), view.getUint32(0, true), msg.Control.len], [IPPROTO_IPV6, IPV6_PKTINFO, 12 + 20, 32]);
    assert.deepEqual([...control.subarray(12, 28)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert.equal(view.getUint32(28, true), 1, 'ipi6_ifindex: loopback is interface 1');
  });
});

onNetworks('WSARecvMsg decisions', (it) => {
  it('decision: a truncated datagram sets MSG_TRUNC and is WSAEMSGSIZE with the bytes delivered; a stream socket is WSAEINVAL; a null name with a namelen, or a null control buffer with a length, is WSAEFAULT and takes nothing', async (w) => {
    const rx = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(rx, addr('127.0.0.1', 0), 16, e));
    const tx = socket(w, SOCK_DGRAM);
    const recv = extension<WSARecvMsgFn>(w, rx, WSAID_WSARECVMSG_BYTES);
    sendTo(w, tx, enc('toolong'), nameOf(w, rx));
    await w.settle(() => queued(w, rx) > 0, 'the datagram');
    const buf = new Uint8Array(3);
    const bad1: WSAMSG = { name: null, namelen: 16, lpBuffers: [{ len: 3, buf }], dwBufferCount: 1, Control: { len: 0, buf: null }, dwFlags: 0 };
    expectErr(recvMsg(recv, rx, bad1, { value: 0 }), WSAEFAULT, 'null name, namelen 16');
    const bad2: WSAMSG = { ...bad1, namelen: 0, Control: { len: 8, buf: null } };
    expectErr(recvMsg(recv, rx, bad2, { value: 0 }), WSAEFAULT, 'null control, length 8');
    expectErr(recvMsg(recv, rx, { ...bad1, namelen: 0 }, Object.freeze({ value: 0 })), WSAEFAULT, 'a frozen count');
    assert.equal(queued(w, rx), 7, 'nothing taken');
    const msg: WSAMSG = { ...bad1, namelen: 0 };
    const size = { value: 0 };
    expectErr(recvMsg(recv, rx, msg, size), WSAEMSGSIZE, 'truncated');
    assert.deepEqual([size.value, dec(buf), msg.dwFlags], [3, 'too', MSG_TRUNC]);
    const tcp = socket(w, SOCK_STREAM);
    expectErr(recvMsg(recv, tcp, { ...msg, dwFlags: 0 }, { value: 0 }), WSAEINVAL, 'SOCK_STREAM');
  });

  it('decision: on the virtual network the destination is the datagram\'s own: a wildcard socket reports 10.0.0.1 on the host interface (2) for a datagram sent there, 127.0.0.1 on loopback (1)', async (w) => {
    const rx = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(rx, addr('0.0.0.0', 0), 16, e));
    expectOk(setInt(w, rx, IPPROTO_IP, IP_PKTINFO, 1), 'IP_PKTINFO');
    const port = nameOf(w, rx).port;
    const tx = socket(w, SOCK_DGRAM);
    const recv = extension<WSARecvMsgFn>(w, rx, WSAID_WSARECVMSG_BYTES);
    const seen: [string, number][] = [];
    for (const to of ['10.0.0.1', '127.0.0.1']) {
      sendTo(w, tx, enc('x'), addr(to, port));
      await w.settle(() => queued(w, rx) > 0, 'the datagram');
      const control = new Uint8Array(64);
      const msg: WSAMSG = { name: null, namelen: 0, lpBuffers: [{ len: 4, buf: new Uint8Array(4) }], dwBufferCount: 1, Control: { len: 64, buf: control }, dwFlags: 0 };
      expectOk(recvMsg(recv, rx, msg, { value: 0 }), 'WSARecvMsg');
      const [rec] = readControl(control, msg.Control.len);
      seen.push([[...rec!.data.subarray(0, 4)].join('.'), new DataView(rec!.data.buffer, rec!.data.byteOffset).getUint32(4, true)]);
    }
    assert.deepEqual(seen, [['10.0.0.1', 2], ['127.0.0.1', 1]]);
  }, { virtualOnly: 'the host network has one address to send to here (loopback)' });

  it('decision: a datagram to a group a wildcard socket joined reports the group as its destination, and MSG_MCAST', async (w) => {
    const member = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(member, addr('0.0.0.0', 0), 16, e));
    const mreq = new Uint8Array([239, 255, 77, 1, 127, 0, 0, 1]);
    ok('IP_ADD_MEMBERSHIP', (e) => w.p.WSPSetSockOpt(member, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq, 8, e));
    expectOk(setInt(w, member, IPPROTO_IP, IP_PKTINFO, 1), 'IP_PKTINFO');
    const sender = socket(w, SOCK_DGRAM);
    ok('IP_MULTICAST_IF', (e) => w.p.WSPSetSockOpt(sender, IPPROTO_IP, IP_MULTICAST_IF, new Uint8Array([127, 0, 0, 1]), 4, e));
    sendTo(w, sender, enc('group'), addr('239.255.77.1', nameOf(w, member).port));
    await w.settle(() => queued(w, member) > 0, 'the group datagram');
    const recv = extension<WSARecvMsgFn>(w, member, WSAID_WSARECVMSG_BYTES);
    const control = new Uint8Array(64);
    const msg: WSAMSG = { name: null, namelen: 0, lpBuffers: [{ len: 8, buf: new Uint8Array(8) }], dwBufferCount: 1, Control: { len: 64, buf: control }, dwFlags: 0 };
    expectOk(recvMsg(recv, member, msg, { value: 0 }), 'WSARecvMsg');
    assert.equal(msg.dwFlags, MSG_MCAST);
    assert.deepEqual([...readControl(control, msg.Control.len)[0]!.data.subarray(0, 4)], [239, 255, 77, 1]);
  }, { virtualOnly: 'multicast over loopback depends on the host\'s kernel (test/wine/multicast.test.ts probes it)' });

  it('decision: IP_PKTINFO is taken at arrival: a datagram queued before the option was set comes without the record (Control.len 0), the next one with it', async (w) => {
    const rx = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(rx, addr('127.0.0.1', 0), 16, e));
    const tx = socket(w, SOCK_DGRAM);
    const recv = extension<WSARecvMsgFn>(w, rx, WSAID_WSARECVMSG_BYTES);
    sendTo(w, tx, enc('early'), nameOf(w, rx));
    await w.settle(() => queued(w, rx) > 0, 'the first datagram');
    expectOk(setInt(w, rx, IPPROTO_IP, IP_PKTINFO, 1), 'IP_PKTINFO');
    sendTo(w, tx, enc('late'), nameOf(w, rx));
    await w.settle(() => queued(w, rx) === 9, 'the second datagram');
    const lens: number[] = [];
    for (const text of ['early', 'late']) {
      const control = new Uint8Array(64);
      const buf = new Uint8Array(8);
      const msg: WSAMSG = { name: null, namelen: 0, lpBuffers: [{ len: 8, buf }], dwBufferCount: 1, Control: { len: 64, buf: control }, dwFlags: 0 };
      expectOk(recvMsg(recv, rx, msg, { value: 0 }), `WSARecvMsg (${text})`);
      assert.equal(dec(buf.subarray(0, text.length)), text);
      assert.equal(msg.dwFlags, 0);
      lens.push(msg.Control.len);
    }
    assert.deepEqual(lens, [0, IP_PKTINFO_LEN]);
  });

  it('decision: MSG_MCAST is reported whatever the options: a group datagram to a socket without IP_PKTINFO has it, and no record', async (w) => {
    const member = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(member, addr('0.0.0.0', 0), 16, e));
    const mreq = new Uint8Array([239, 255, 77, 2, 127, 0, 0, 1]);
    ok('IP_ADD_MEMBERSHIP', (e) => w.p.WSPSetSockOpt(member, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq, 8, e));
    const sender = socket(w, SOCK_DGRAM);
    ok('IP_MULTICAST_IF', (e) => w.p.WSPSetSockOpt(sender, IPPROTO_IP, IP_MULTICAST_IF, new Uint8Array([127, 0, 0, 1]), 4, e));
    sendTo(w, sender, enc('group'), addr('239.255.77.2', nameOf(w, member).port));
    await w.settle(() => queued(w, member) > 0, 'the group datagram');
    const recv = extension<WSARecvMsgFn>(w, member, WSAID_WSARECVMSG_BYTES);
    const msg: WSAMSG = { name: null, namelen: 0, lpBuffers: [{ len: 8, buf: new Uint8Array(8) }], dwBufferCount: 1, Control: { len: 64, buf: new Uint8Array(64) }, dwFlags: 0 };
    expectOk(recvMsg(recv, member, msg, { value: 0 }), 'WSARecvMsg');
    assert.deepEqual([msg.dwFlags, msg.Control.len], [MSG_MCAST, 0]);
  }, { virtualOnly: 'multicast over loopback depends on the host\'s kernel (test/wine/multicast.test.ts probes it)' });
});

onNetworks('WSARecvMsg / WSASendMsg on hostile arguments', (it) => {
  it('never throws: junk WSAMSGs, buffers, counts, OVERLAPPEDs and routines are SOCKET_ERROR (WSAEFAULT or WSAEINVAL), and a refused receive takes no datagram', async (w) => {
    const rx = socket(w, SOCK_DGRAM);
    ok('bind', (e) => w.p.WSPBind(rx, addr('127.0.0.1', 0), 16, e));
    const tx = socket(w, SOCK_DGRAM);
    sendTo(w, tx, enc('keep'), nameOf(w, rx));
    await w.settle(() => queued(w, rx) > 0, 'the datagram');
    const recv = extension<WSARecvMsgFn>(w, rx, WSAID_WSARECVMSG_BYTES);
    const send = extension<WSASendMsgFn>(w, rx, WSAID_WSASENDMSG_BYTES);
    const good = (): WSAMSG => ({ name: null, namelen: 0, lpBuffers: [{ len: 4, buf: new Uint8Array(4) }], dwBufferCount: 1, Control: { len: 0, buf: null }, dwFlags: 0 });
    const throwing = new Proxy({}, { get: () => { throw new Error('no'); }, has: () => true });
    const junk: unknown[] = [
      undefined, 5, 'msg', [], new Uint8Array(40), throwing, {}, Object.freeze(good()),
      { ...good(), lpBuffers: [{ len: 9, buf: new Uint8Array(4) }] }, { ...good(), dwBufferCount: 3 }, { ...good(), dwBufferCount: -1 },
      { ...good(), Control: null }, { ...good(), Control: Object.freeze({ len: 0, buf: null }) }, { ...good(), Control: { len: 8, buf: new Uint8Array(4) } },
      { ...good(), namelen: 'x' }, { ...good(), name: { family: 0, address: '', port: 0 }, namelen: 4 }, { ...good(), dwFlags: 0x8000 },
    ];
    for (const [i, m] of junk.entries()) {
      for (const size of [{ value: 0 }, null, Object.freeze({ value: 0 })]) {
        const r = call((e) => recv(rx, m as WSAMSG, size, null, null, e));
        assert.equal(r.ret, SOCKET_ERROR, `WSARecvMsg, junk ${i}`);
        assert.ok(r.err === WSAEFAULT || r.err === WSAEINVAL, `WSARecvMsg: ${errorName(r.err)}`);
        const s = call((e) => send(rx, m as WSAMSG, 0, size, null, null, e));
        assert.equal(s.ret, SOCKET_ERROR, `WSASendMsg, junk ${i}`);
      }
    }
    for (const ov of [5, {}, Object.freeze(overlapped()), throwing]) {
      expectErr(recvMsg(recv, rx, good(), null, ov as never), WSAEFAULT, 'a junk OVERLAPPED');
      expectErr(recvMsg(recv, rx, good(), null, overlapped(), 'not a function' as never), WSAEFAULT, 'a junk routine');
    }
    assert.equal(queued(w, rx), 4, 'no refused call took the datagram');
    const m = good();
    assert.equal(recv(rx, m, { value: 0 }, null, null, Object.freeze({ value: 0 })), 0, 'a frozen lpErrno: the call still works');
    assert.equal(dec(m.lpBuffers[0]!.buf), 'keep');
  }, { virtualOnly: 'argument checks; one network is enough' });
});
