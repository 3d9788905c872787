import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as W from '../src/index.js';

describe('constants carry their real values', () => {
  test('the values the issue names', () => {
    assert.equal(W.WSAEINVAL, 10022);
    assert.equal(W.WSAECONNREFUSED, 10061);
    assert.equal(W.WSATRY_AGAIN, 11002);
    assert.equal(W.SOMAXCONN, 0x7fffffff);
    assert.equal(W.FIONBIO, 0x8004667e);
    assert.equal(W.AF_INET6, 23);
    assert.equal(W.SOL_SOCKET, 0xffff);
    assert.deepEqual([W.CF_ACCEPT, W.CF_REJECT, W.CF_DEFER], [0, 1, 2]);
    assert.equal(W.SOCKET_ERROR, -1);
    assert.equal(W.INVALID_SOCKET, 0xffffffff);
  });

  test('C expressions: SO_EXCLUSIVEADDRUSE is ~SO_REUSEADDR, SO_DONTLINGER is ~SO_LINGER', () => {
    assert.equal(W.SO_EXCLUSIVEADDRUSE, -5);
    assert.equal(W.SO_DONTLINGER, -129);
    assert.equal(W.SOMAXCONN_HINT(5), -5);
    assert.equal(W.FD_ALL_EVENTS, 0x3ff);
  });

  test('option levels and names of ws2def.h, ws2ipdef.h and mswsock.h', () => {
    assert.deepEqual([W.IPPROTO_IP, W.IPPROTO_TCP, W.IPPROTO_UDP, W.IPPROTO_IPV6], [0, 6, 17, 41]);
    assert.deepEqual([W.SO_PROTOCOL_INFOA, W.SO_PROTOCOL_INFOW, W.SO_BSP_STATE, W.SO_CONNECT_TIME, W.SO_OPENTYPE], [0x2004, 0x2005, 0x1009, 0x700c, 0x7008]);
    assert.deepEqual([W.SO_RCVLOWAT, W.SO_SNDLOWAT, W.SO_DEBUG], [0x1004, 0x1003, 0x0001]);
    assert.deepEqual([W.TCP_NODELAY, W.TCP_KEEPALIVE, W.TCP_KEEPIDLE, W.TCP_MAXSEG, W.TCP_KEEPCNT, W.TCP_KEEPINTVL], [1, 3, 3, 4, 16, 17]);
    assert.deepEqual([W.IP_OPTIONS, W.IP_HDRINCL, W.IP_TOS, W.IP_TTL, W.IP_DONTFRAGMENT, W.IP_PKTINFO, W.IP_RECVTTL, W.IP_RECVTOS],
      [1, 2, 3, 4, 14, 19, 21, 40]);
    assert.deepEqual([W.IP_MTU_DISCOVER, W.IP_MTU, W.IP_RECVERR, W.IP_USER_MTU], [71, 73, 75, 76]);
    assert.deepEqual([W.IPV6_UNICAST_HOPS, W.IPV6_DONTFRAG, W.IPV6_PKTINFO, W.IPV6_HOPLIMIT, W.IPV6_V6ONLY, W.IPV6_RECVTCLASS, W.IPV6_MTU],
      [4, 14, 19, 21, 27, 40, 72]);
  });

  test('ioctl codes are built as winsock2.h builds them', () => {
    const ior = (group: number, n: number) => (W.IOC_OUT | (4 << 16) | (group << 8) | n) >>> 0; // _IOR(x, y, u_long)
    const wsaio = (dir: number, group: number, n: number) => (dir | group | n) >>> 0; // _WSAIO*(x, y)
    assert.equal(W.FIONREAD, ior('f'.charCodeAt(0), 127));
    assert.equal(W.SIOCATMARK, ior('s'.charCodeAt(0), 7));
    assert.equal(W.SIO_GET_INTERFACE_LIST, ior('t'.charCodeAt(0), 127));
    assert.equal(W.SIO_IDEAL_SEND_BACKLOG_QUERY, ior('t'.charCodeAt(0), 123));
    assert.equal(W.FIOASYNC, (W.IOC_IN | (4 << 16) | ('f'.charCodeAt(0) << 8) | 125) >>> 0);
    assert.equal(W.SIO_KEEPALIVE_VALS, wsaio(W.IOC_IN, W.IOC_VENDOR, 4));
    assert.equal(W.SIO_UDP_CONNRESET, wsaio(W.IOC_IN, W.IOC_VENDOR, 12));
    assert.equal(W.SIO_BASE_HANDLE, wsaio(W.IOC_OUT, W.IOC_WS2, 34));
    assert.equal(W.SIO_ADDRESS_LIST_QUERY, wsaio(W.IOC_OUT, W.IOC_WS2, 22));
    assert.equal(W.SIO_ADDRESS_LIST_CHANGE, wsaio(W.IOC_VOID, W.IOC_WS2, 23));
    assert.equal(W.SIO_ROUTING_INTERFACE_QUERY, wsaio(W.IOC_INOUT, W.IOC_WS2, 20));
    assert.equal(W.SIO_GET_EXTENSION_FUNCTION_POINTER, wsaio(W.IOC_INOUT, W.IOC_WS2, 6));
    assert.equal(W.SIO_FLUSH, wsaio(W.IOC_VOID, W.IOC_WS2, 4));
    assert.equal(W.SIO_ENABLE_CIRCULAR_QUEUEING, wsaio(W.IOC_VOID, W.IOC_WS2, 2));
    assert.equal(W.WSAID_ACCEPTEX, '{b5367df1-cbac-11cf-95ca-00805f48a192}');
  });

  test('extension GUIDs: the bytes SIO_GET_EXTENSION_FUNCTION_POINTER reads are the C layout of mswsock.h\'s GUIDs', () => {
    // Written out as a C compiler lays out { Data1, Data2, Data3, { Data4 } } on x86: the first
    // three fields little-endian, Data4 as is. From mswsock.h's definitions, not from guidBytes.
    const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    assert.equal(hex(W.WSAID_ACCEPTEX_BYTES), 'f17d36b5accbcf1195ca00805f48a192'); // {0xb5367df1,0xcbac,0x11cf,{0x95,0xca,…}}
    assert.equal(hex(W.WSAID_CONNECTEX_BYTES), 'b907a225f3dd60468ee976e58c74063e'); // {0x25a207b9,0xddf3,0x4660,{0x8e,0xe9,…}}
    assert.equal(hex(W.WSAID_DISCONNECTEX_BYTES), '112eda7f30866f43a031f536a6eec157'); // {0x7fda2e11,0x8630,0x436f,{0xa0,0x31,…}}
    // Each text constant has its bytes, and they are distinct.
    const pairs = Object.entries(W).filter(([k, v]) => /^WSAID_[A-Z]+$/.test(k) && typeof v === 'string');
    assert.ok(pairs.length >= 9);
    const seen = new Set<string>();
    for (const [name, text] of pairs) {
      const bytes = (W as Record<string, unknown>)[`${name}_BYTES`];
      assert.ok(bytes instanceof Uint8Array && bytes.length === 16, `${name}_BYTES`);
      assert.deepEqual(bytes, W.guidBytes(text as string), name);
      seen.add(hex(bytes));
    }
    assert.equal(seen.size, pairs.length);
    assert.throws(() => W.guidBytes('{not-a-guid}'), RangeError);
  });

  test('every exported WSAE*/WSA* code has a name equal to its export name and a text', () => {
    const codes = Object.entries(W).filter(([k, v]) => /^WSA[E_]|^WSA[A-Z]/.test(k) && typeof v === 'number' && !/^WSA(_FLAG|_WAIT|_INFINITE|DESCRIPTION_LEN|SYS_STATUS_LEN|PROTOCOL_LEN|_VERSION|CMSGHDR_SIZE)/.test(k));
    assert.ok(codes.length > 60);
    for (const [name, code] of codes) {
      assert.equal(W.errorName(code as number), name);
      assert.ok((W.errorText(code as number) ?? '').length > 5, name);
    }
    assert.equal(W.allErrorCodes().length, codes.length);
  });
});
