/**
 * Ports of Wine's dlls/ws2_32/tests/protocol.c that the catalogue decides: test_WSAEnumProtocols
 * (W, the variant this package offers), through ws2 over the base provider of each network.
 */
import assert from 'node:assert/strict';
import {
  IPPROTO_TCP, IPPROTO_UDP, PFL_HIDDEN, SOCK_DGRAM, SOCK_STREAM, SOCKET_ERROR, WSAENOBUFS, AF_INET, AF_INET6,
  XP1_CONNECTIONLESS, XP1_EXPEDITED_DATA, XP1_GRACEFUL_CLOSE, XP1_GUARANTEED_DELIVERY, XP1_GUARANTEED_ORDER, XP1_IFS_HANDLES,
  XP1_MESSAGE_ORIENTED, XP1_QOS_SUPPORTED, XP1_SUPPORT_BROADCAST, XP1_SUPPORT_MULTIPOINT, type WSAPROTOCOL_INFOW,
} from '../../src/index.js';
import { Catalog, Ws2 } from '../../src/ws2/index.js';
import { onNetworks, type World } from './harness.js';

const TCPIP_SERVICE_FLAGS = XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER | XP1_GRACEFUL_CLOSE | XP1_EXPEDITED_DATA | XP1_IFS_HANDLES;
const UDPIP_SERVICE_FLAGS = XP1_CONNECTIONLESS | XP1_MESSAGE_ORIENTED | XP1_SUPPORT_BROADCAST | XP1_SUPPORT_MULTIPOINT | XP1_IFS_HANDLES;

function started(w: World): Ws2 {
  const catalog = new Catalog();
  catalog.installBase(w.p);
  const ws = new Ws2(catalog);
  assert.equal(ws.WSAStartup(0x0202, {}), 0);
  return ws;
}

/**
 * Wine's test_service_flags: TCP and UDP over IP v2 entries carry exactly Windows' flags (QOS may
 * or may not be there). The host network carries no urgent data (node:net has none), so its TCP
 * entries leave XP1_EXPEDITED_DATA out, as src/spi/catalog.ts says: that one bit is the known difference.
 */
function checkServiceFlags(w: World, info: WSAPROTOCOL_INFOW): void {
  let expected = 0;
  if (info.iSocketType === SOCK_STREAM && info.iProtocol === IPPROTO_TCP) expected = TCPIP_SERVICE_FLAGS;
  if (info.iSocketType === SOCK_DGRAM && info.iProtocol === IPPROTO_UDP) expected = UDPIP_SERVICE_FLAGS;
  if ((info.iAddressFamily === AF_INET || info.iAddressFamily === AF_INET6) && info.iVersion === 2 && expected !== 0) {
    if (w.kind === 'host' && info.iSocketType === SOCK_STREAM) expected &= ~XP1_EXPEDITED_DATA;
    assert.equal((info.dwServiceFlags1 & ~XP1_QOS_SUPPORTED).toString(16), expected.toString(16), info.szProtocol);
  }
}

onNetworks('test_WSAEnumProtocols', (it) => {
  it('test_WSAEnumProtocolsW: (NULL, NULL, &0) and (NULL, &info, &0) fail with WSAENOBUFS and the length needed; that length then lists every entry, each named, none PFL_HIDDEN, with Windows\' service flags', (w) => {
    const ws = started(w);
    const len = { value: 0 };
    assert.equal(ws.WSAEnumProtocolsW(null, null, len), SOCKET_ERROR);
    assert.equal(ws.WSAGetLastError(), WSAENOBUFS);
    len.value = 0;
    const info: WSAPROTOCOL_INFOW[] = [];
    assert.equal(ws.WSAEnumProtocolsW(null, info, len), SOCKET_ERROR);
    assert.equal(ws.WSAGetLastError(), WSAENOBUFS);
    assert.ok(len.value > 0);
    const buffer: WSAPROTOCOL_INFOW[] = [];
    const ret = ws.WSAEnumProtocolsW(null, buffer, len);
    assert.notEqual(ret, SOCKET_ERROR);
    assert.equal(buffer.length, ret);
    for (const p of buffer) {
      assert.ok(p.szProtocol.length > 0, 'a protocol name');
      assert.equal(p.dwProviderFlags & PFL_HIDDEN, 0, 'no PFL_HIDDEN entry');
      checkServiceFlags(w, p);
    }
  });

  it('test_WSAEnumProtocolsW (invalid protocols in the list): WSAENOBUFS first; then at least 2 entries, and of {0xdead, TCP, 0xcafe, UDP, 0xbeef, 0} exactly TCP and UDP are found (0x0A)', (w) => {
    const ws = started(w);
    const ptest = [0xdead, IPPROTO_TCP, 0xcafe, IPPROTO_UDP, 0xbeef, 0];
    const len = { value: 0 };
    assert.equal(ws.WSAEnumProtocolsW(ptest, null, len), SOCKET_ERROR);
    assert.equal(ws.WSAGetLastError(), WSAENOBUFS);
    const buffer: WSAPROTOCOL_INFOW[] = [];
    const ret = ws.WSAEnumProtocolsW(ptest, buffer, len);
    assert.notEqual(ret, SOCKET_ERROR);
    assert.ok(ret >= 2, `expected at least 2 items, received ${ret}`);
    let found = 0;
    for (const p of buffer.slice(0, ret)) {
      const j = ptest.indexOf(p.iProtocol);
      if (j >= 0) found |= 1 << j;
    }
    assert.equal(found, 0x0a);
  });
});
