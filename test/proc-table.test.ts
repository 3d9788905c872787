/**
 * The proc table (issue 15, item 4): WSPStartup fills every entry of PROC_NAMES (all 30 of
 * ws2spi.h's; WSPDuplicateSocket: test/duplicate.test.ts), and the rows of the functions added with it:
 * WSPJoinLeaf, WSPGetQOSByName and WSPCancelBlockingCall (WSPAddressToString / WSPStringToAddress:
 * test/address-string.test.ts; the disconnect pair: test/disconnect.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, INVALID_SOCKET, IPPROTO_UDP, PROC_NAMES, SOCK_DGRAM, SOCKET_ERROR, WSAEFAULT, WSAEINVAL, WSAENOTSOCK,
  WSAEOPNOTSUPP, XP1_MULTIPOINT_CONTROL_PLANE, XP1_MULTIPOINT_DATA_PLANE, XP1_QOS_SUPPORTED, XP1_DISCONNECT_DATA,
  type WSPPROC_TABLE,
} from '../src/index.js';
import { expectError, ok, pair, tcp, v4 } from './helpers.js';

const WS2SPI_TABLE = [
  'WSPAccept', 'WSPAddressToString', 'WSPAsyncSelect', 'WSPBind', 'WSPCancelBlockingCall', 'WSPCleanup', 'WSPCloseSocket',
  'WSPConnect', 'WSPDuplicateSocket', 'WSPEnumNetworkEvents', 'WSPEventSelect', 'WSPGetOverlappedResult', 'WSPGetPeerName',
  'WSPGetSockName', 'WSPGetSockOpt', 'WSPGetQOSByName', 'WSPIoctl', 'WSPJoinLeaf', 'WSPListen', 'WSPRecv', 'WSPRecvDisconnect',
  'WSPRecvFrom', 'WSPSelect', 'WSPSend', 'WSPSendDisconnect', 'WSPSendTo', 'WSPSetSockOpt', 'WSPShutdown', 'WSPSocket',
  'WSPStringToAddress',
];

describe('the proc table', () => {
  test('WSPStartup fills every ws2spi.h entry, each a function of this provider', () => {
    const { server } = pair();
    const table: WSPPROC_TABLE = {};
    assert.equal(server.WSPStartup(0x0202, {}, null, null, table), 0);
    assert.deepEqual([...PROC_NAMES].sort(), [...WS2SPI_TABLE].sort());
    for (const name of PROC_NAMES) assert.equal((table as Record<string, unknown>)[`lp${name}`], server[name], name);
    assert.equal(WS2SPI_TABLE.length, 30);
  });

  test('the catalogue claims no multipoint planes, QOS or disconnect data: the functions answer accordingly', () => {
    const { server } = pair();
    for (const p of server.protocols()) {
      assert.equal(p.dwServiceFlags1 & (XP1_MULTIPOINT_CONTROL_PLANE | XP1_MULTIPOINT_DATA_PLANE | XP1_QOS_SUPPORTED | XP1_DISCONNECT_DATA), 0, p.szProtocol);
    }
  });
});

describe('WSPJoinLeaf', () => {
  test('no socket can join (none is multipoint): INVALID_SOCKET with WSAEOPNOTSUPP, TCP or UDP; WSAENOTSOCK for no socket', () => {
    const { server } = pair();
    const u = ok((e) => server.WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
    for (const s of [tcp(server), u]) {
      expectError((e) => server.WSPJoinLeaf(s, v4('239.1.2.3', 5000), 16, null, null, null, null, 4, e), WSAEOPNOTSUPP, INVALID_SOCKET);
    }
    expectError((e) => server.WSPJoinLeaf(4242, v4('239.1.2.3', 5000), 16, null, null, null, null, 4, e), WSAENOTSOCK, INVALID_SOCKET);
  });
});

describe('WSPGetQOSByName', () => {
  test('no templates: FALSE with WSAEINVAL for a name or an enumeration; WSAEFAULT, WSAENOTSOCK first', () => {
    const { server } = pair();
    const s = tcp(server);
    const name = new Uint8Array([0x47, 0, 0x37, 0, 0x31, 0, 0x31, 0, 0, 0]); // L"G711"
    for (const q of [{ len: name.length, buf: name }, { len: 2, buf: new Uint8Array(2) }]) {
      expectError((e) => server.WSPGetQOSByName(s, q, null, e), WSAEINVAL, 0);
    }
    expectError((e) => server.WSPGetQOSByName(s, { len: 10, buf: new Uint8Array(2) }, null, e), WSAEFAULT, 0);
    expectError((e) => server.WSPGetQOSByName(4242, { len: 0, buf: new Uint8Array(0) }, null, e), WSAENOTSOCK, 0);
  });
});

describe('WSPCancelBlockingCall', () => {
  test('on the thread that owns the network no blocking call is ever outstanding: WSAEINVAL', () => {
    const { server } = pair();
    expectError((e) => server.WSPCancelBlockingCall(e), WSAEINVAL);
    assert.equal(server.WSPCancelBlockingCall({ value: 0 }), SOCKET_ERROR);
  });
});
