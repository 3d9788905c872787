/**
 * ws2_32 over the catalogue (src/ws2): a C-shaped program on both networks, directly over the base
 * provider and through a pass-through layered provider; the selection and enumeration rules; the
 * last-error rules; startup counting; events; the upcall table.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, AF_INET6, FD_READ, FIONBIO, FIONREAD, INVALID_SOCKET, IPPROTO_TCP, IPPROTO_UDP, PFL_HIDDEN, SOCK_DGRAM, SOCK_STREAM,
  SOCKET_ERROR, WSA_INVALID_HANDLE, WSA_WAIT_EVENT_0, WSA_WAIT_TIMEOUT, WSAEAFNOSUPPORT, WSAEINVAL, WSAENOBUFS, WSAENOTSOCK,
  WSAEPROTONOSUPPORT, WSAESOCKTNOSUPPORT, WSAEWOULDBLOCK, WSANOTINITIALISED, WSAVERNOTSUPPORTED, errorName,
  type SockAddr, type WSAPROTOCOL_INFOW,
} from '../src/index.js';
import { Catalog, Ws2, WSAPROTOCOL_INFOW_SIZE, type WSADATA } from '../src/ws2/index.js';
import { onNetworks, virtualWorld, type World } from './wine/harness.js';
import { PassThroughLsp } from './ws2-lsp.js';

const LSP_ID = '{0d4c6a1e-9a7b-4c61-8f0e-3a1b2c3d4e5f}';

function ws2Over(w: World, layered = false): { ws: Ws2; catalog: Catalog; lsp: PassThroughLsp | null } {
  const catalog = new Catalog();
  const bases = catalog.installBase(w.p);
  let lsp: PassThroughLsp | null = null;
  if (layered) {
    lsp = new PassThroughLsp(catalog, LSP_ID);
    catalog.installLayered(lsp, { ProviderId: LSP_ID, name: 'pass-through LSP', over: bases.map((b) => b.dwCatalogEntryId) });
  }
  const ws = new Ws2(catalog);
  const data: WSADATA = {};
  assert.equal(ws.WSAStartup(0x0202, data), 0);
  assert.equal(data.wVersion, 0x0202);
  return { ws, catalog, lsp };
}

function must(ws: Ws2, what: string, r: number): number {
  assert.ok(r !== SOCKET_ERROR && r !== INVALID_SOCKET, `${what} failed with ${errorName(ws.WSAGetLastError()) ?? ws.WSAGetLastError()}`);
  return r;
}

/**
 * The program, as C would write it with non-blocking sockets (so that it runs on the host
 * network's own thread too): listen, connect, accept, send both ways, close, clean up.
 */
async function program(w: World, ws: Ws2): Promise<{ l: number; c: number; a: number }> {
  const l = must(ws, 'socket', ws.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
  must(ws, 'bind', ws.bind(l, { family: AF_INET, address: '127.0.0.1', port: 0 }, 16));
  must(ws, 'listen', ws.listen(l, 5));
  const at: SockAddr = { family: 0, address: '', port: 0 };
  must(ws, 'getsockname', ws.getsockname(l, at, { value: 16 }));
  assert.equal(at.address, '127.0.0.1');
  const c = must(ws, 'socket', ws.socket(AF_INET, SOCK_STREAM, 0));
  must(ws, 'ioctlsocket(FIONBIO)', ws.ioctlsocket(c, FIONBIO, { value: 1 }));
  must(ws, 'ioctlsocket(FIONBIO)', ws.ioctlsocket(l, FIONBIO, { value: 1 }));
  const r = ws.connect(c, at, 16);
  assert.ok(r === 0 || ws.WSAGetLastError() === WSAEWOULDBLOCK, `connect: ${errorName(ws.WSAGetLastError())}`);
  let a = INVALID_SOCKET;
  await w.settle(() => (a = ws.accept(l, null, null)) !== INVALID_SOCKET, 'accept');
  // Writable once connected: select with a zero timeout, as a polling C loop does.
  await w.settle(() => {
    const wr = { fd_count: 1, fd_array: [c] };
    return ws.select(0, null, wr, null, { tv_sec: 0, tv_usec: 0 }) === 1 && wr.fd_array[0] === c;
  }, 'connect');
  assert.equal(ws.send(c, new TextEncoder().encode('hello'), 5, 0), 5);
  const buf = new Uint8Array(16);
  let n = SOCKET_ERROR;
  await w.settle(() => (n = ws.recv(a, buf, 16, 0)) !== SOCKET_ERROR, 'data');
  assert.equal(new TextDecoder().decode(buf.subarray(0, n)), 'hello');
  assert.equal(ws.send(a, new TextEncoder().encode('world!'), 6, 0), 6);
  await w.settle(() => { const v = { value: 0 }; return ws.ioctlsocket(c, FIONREAD, v) === 0 && v.value === 6; }, 'the reply');
  assert.equal(ws.recv(c, buf, 16, 0), 6);
  const peer: SockAddr = { family: 0, address: '', port: 0 };
  must(ws, 'getpeername', ws.getpeername(a, peer, { value: 16 }));
  assert.equal(peer.address, '127.0.0.1');
  return { l, c, a };
}

function finish(ws: Ws2, socks: number[]): void {
  for (const s of socks) assert.equal(ws.closesocket(s), 0);
  assert.equal(ws.closesocket(socks[0]!), SOCKET_ERROR);
  assert.equal(ws.WSAGetLastError(), WSAENOTSOCK);
  assert.equal(ws.WSACleanup(), 0);
  assert.equal(ws.socket(AF_INET, SOCK_STREAM, 0), INVALID_SOCKET);
  assert.equal(ws.WSAGetLastError(), WSANOTINITIALISED);
}

onNetworks('ws2: a C-shaped program', (it) => {
  it('WSAStartup, socket, bind, listen, connect, accept, send, recv, closesocket, WSACleanup over the base provider; SOCKETs are the provider\'s IFS handles', async (w) => {
    const { ws } = ws2Over(w);
    const { l, c, a } = await program(w, ws);
    for (const s of [l, c, a]) assert.ok(w.p.inspect(s) !== undefined, 'an IFS handle is the provider\'s own');
    finish(ws, [l, c, a]);
  });

  it('the same program through a pass-through layered provider (a chain over the base entry): non-IFS handles, every call through the LSP', async (w) => {
    const { ws, lsp } = ws2Over(w, true);
    const { l, c, a } = await program(w, ws);
    for (const s of [l, c, a]) {
      assert.ok(s >= 0x40000000, 'a WPUCreateSocketHandle handle');
      assert.equal(w.p.inspect(s), undefined, 'not a handle of the base provider');
    }
    for (const name of ['WSPSocket', 'WSPBind', 'WSPListen', 'WSPConnect', 'WSPAccept', 'WSPSend', 'WSPRecv', 'WSPSelect', 'WSPIoctl']) {
      assert.ok((lsp!.calls.get(name) ?? 0) > 0, `${name} went through the LSP`);
    }
    finish(ws, [l, c, a]);
    assert.equal(lsp!.calls.get('WSPCloseSocket'), 3);
  });
});

/** Two pass-through layers: `lower` over the base entries, `upper` over lower's chains (chains [upper, lower, base]). */
function ws2OverTwo(w: World): { ws: Ws2; lower: PassThroughLsp; upper: PassThroughLsp; chains: WSAPROTOCOL_INFOW[] } {
  const catalog = new Catalog();
  const bases = catalog.installBase(w.p);
  const lower = new PassThroughLsp(catalog, LSP_ID);
  const one = catalog.installLayered(lower, { ProviderId: LSP_ID, name: 'lower', over: bases.map((b) => b.dwCatalogEntryId) });
  const upper = new PassThroughLsp(catalog, '{9d0e55a1-0000-4000-8000-00000000000b}');
  const two = catalog.installLayered(upper, { ProviderId: upper.ProviderId, name: 'upper', over: one.chains.map((c) => c.dwCatalogEntryId) });
  const ws = new Ws2(catalog);
  assert.equal(ws.WSAStartup(0x0202, {}), 0);
  return { ws, lower, upper, chains: two.chains };
}

onNetworks('ws2: two layered providers in a chain', (it) => {
  it('the program reaches the base provider through both layers ([upper, lower, base]); each layer sees every call', async (w) => {
    const { ws, lower, upper, chains } = ws2OverTwo(w);
    assert.deepEqual(chains[0]!.ProtocolChain.ChainLen, 3);
    const { l, c, a } = await program(w, ws);
    for (const lsp of [upper, lower]) {
      for (const name of ['WSPSocket', 'WSPConnect', 'WSPAccept', 'WSPSend', 'WSPRecv', 'WSPSelect']) assert.ok((lsp.calls.get(name) ?? 0) > 0, name);
    }
    finish(ws, [l, c, a]);
    assert.equal(upper.calls.get('WSPCloseSocket'), 3);
    assert.equal(lower.calls.get('WSPCloseSocket'), 3);
  });

  it('WSAAsyncSelect through both layers: the message names the top layer\'s SOCKET', async (w) => {
    const { ws } = ws2OverTwo(w);
    const u = ws.socket(AF_INET, SOCK_DGRAM, 0);
    assert.equal(ws.bind(u, { family: AF_INET, address: '127.0.0.1', port: 0 }, 16), 0);
    const at: SockAddr = { family: 0, address: '', port: 0 };
    ws.getsockname(u, at, { value: 16 });
    const got: number[] = [];
    assert.equal(ws.WSAAsyncSelect(u, (_m: number, wp: number) => got.push(wp), 0x401, FD_READ), 0);
    const t = ws.socket(AF_INET, SOCK_DGRAM, 0);
    ws.sendto(t, new Uint8Array([1]), 1, 0, at, 16);
    await w.settle(() => got.length > 0, 'the message');
    assert.deepEqual(got, [u]);
  });
});

describe('ws2: blocking calls on the virtual network', () => {
  test('a blocking connect, accept and recv run the network inside the call, as a C program expects', () => {
    const w = virtualWorld();
    const { ws } = ws2Over(w);
    const l = must(ws, 'socket', ws.socket(AF_INET, SOCK_STREAM, 0));
    must(ws, 'bind', ws.bind(l, { family: AF_INET, address: '127.0.0.1', port: 8080 }, 16));
    must(ws, 'listen', ws.listen(l, 1));
    const c = must(ws, 'socket', ws.socket(AF_INET, SOCK_STREAM, 0));
    assert.equal(ws.connect(c, { family: AF_INET, address: '127.0.0.1', port: 8080 }, 16), 0);
    const from: SockAddr = { family: 0, address: '', port: 0 };
    const a = must(ws, 'accept', ws.accept(l, from, { value: 16 }));
    assert.equal(from.address, '127.0.0.1');
    assert.equal(ws.send(c, new Uint8Array([1, 2, 3]), 3, 0), 3);
    const buf = new Uint8Array(8);
    assert.equal(ws.recv(a, buf, 8, 0), 3);
    assert.equal(ws.shutdown(c, 1), 0);
    assert.equal(ws.recv(a, buf, 8, 0), 0, 'the orderly close reads as 0');
    finish(ws, [l, c, a]);
  });
});

describe('ws2: catalogue', () => {
  test('installBase numbers entries from 1001 in the provider\'s order, as base entries (ChainLen 1, ChainEntries [own id])', () => {
    const w = virtualWorld();
    const catalog = new Catalog();
    const e = catalog.installBase(w.p);
    assert.deepEqual(e.map((i) => i.dwCatalogEntryId), [1001, 1002, 1003, 1004]);
    for (const i of e) assert.deepEqual(i.ProtocolChain, { ChainLen: 1, ChainEntries: [i.dwCatalogEntryId] });
    // A second base provider (another host) follows, with ids of its own.
    const other = w.net!.addHost({ name: 'other', addresses: ['10.0.0.2'] }).provider;
    assert.deepEqual(catalog.installBase(other).map((i) => i.dwCatalogEntryId), [1005, 1006, 1007, 1008]);
  });

  test('a layered install: one hidden layered entry (ChainLen 0) and a chain per lower entry [layer, base], placed first; WSAEnumProtocols hides the layered entry, WSCEnumProtocols shows it', () => {
    const w = virtualWorld();
    const catalog = new Catalog();
    const bases = catalog.installBase(w.p);
    const { layered, chains } = catalog.installLayered(new PassThroughLsp(catalog, LSP_ID), { ProviderId: LSP_ID, name: 'lsp', over: [1001, 1002] });
    assert.equal(layered.ProtocolChain.ChainLen, 0);
    assert.ok(layered.dwProviderFlags & PFL_HIDDEN);
    assert.deepEqual(chains.map((c) => c.ProtocolChain), [
      { ChainLen: 2, ChainEntries: [layered.dwCatalogEntryId, 1001] }, { ChainLen: 2, ChainEntries: [layered.dwCatalogEntryId, 1002] },
    ]);
    assert.equal(chains[0]!.iProtocol, IPPROTO_TCP);
    assert.equal(chains[0]!.ProviderId, LSP_ID);
    assert.equal(chains[0]!.szProtocol, `lsp over [${bases[0]!.szProtocol}]`);
    const ws = new Ws2(catalog);
    ws.WSAStartup(0x0202, {});
    const len = { value: 100 * WSAPROTOCOL_INFOW_SIZE };
    const buf: WSAPROTOCOL_INFOW[] = [];
    assert.equal(ws.WSAEnumProtocolsW(null, buf, len), 6);
    assert.deepEqual(buf.map((i) => i.dwCatalogEntryId), [chains[0]!.dwCatalogEntryId, chains[1]!.dwCatalogEntryId, 1001, 1002, 1003, 1004]);
    const all: WSAPROTOCOL_INFOW[] = [];
    assert.equal(catalog.WSCEnumProtocols(null, all, len, { value: 0 }), 7);
    assert.ok(all.some((i) => i.dwCatalogEntryId === layered.dwCatalogEntryId));
    // A chain over a chain: [top, layer, base]; a chain over the layered entry is refused.
    const top = catalog.installLayered(new PassThroughLsp(catalog, '{1}'), { ProviderId: '{1}', name: 'top', over: [chains[0]!.dwCatalogEntryId] });
    assert.deepEqual(top.chains[0]!.ProtocolChain.ChainEntries, [top.layered.dwCatalogEntryId, layered.dwCatalogEntryId, 1001]);
    assert.throws(() => catalog.installLayered(new PassThroughLsp(catalog, '{2}'), { ProviderId: '{2}', name: 'x', over: [layered.dwCatalogEntryId] }), RangeError);
  });

  test('WSAEnumProtocolsW: too small a buffer is WSAENOBUFS with the size needed (628 bytes an entry); the filter keeps the listed protocols up to the 0', () => {
    const { ws } = ws2Over(virtualWorld());
    const len = { value: 0 };
    assert.equal(ws.WSAEnumProtocolsW(null, null, len), SOCKET_ERROR);
    assert.equal(ws.WSAGetLastError(), WSAENOBUFS);
    assert.equal(len.value, 4 * WSAPROTOCOL_INFOW_SIZE);
    const one: WSAPROTOCOL_INFOW[] = [];
    len.value = 4 * WSAPROTOCOL_INFOW_SIZE - 1;
    assert.equal(ws.WSAEnumProtocolsW(null, one, len), SOCKET_ERROR);
    assert.equal(one.length, 0, 'nothing written on failure');
    const udp: WSAPROTOCOL_INFOW[] = [];
    len.value = 10_000;
    assert.equal(ws.WSAEnumProtocolsW([IPPROTO_UDP, 0, IPPROTO_TCP], udp, len), 2);
    assert.deepEqual(udp.map((i) => [i.iAddressFamily, i.iProtocol]), [[AF_INET, IPPROTO_UDP], [AF_INET6, IPPROTO_UDP]]);
  });

  test('selection: the first matching entry in catalogue order; protocol 0 takes a PFL_MATCHES_PROTOCOL_ZERO entry; misses give Windows\' codes (test_WSASocket)', () => {
    const w = virtualWorld();
    const { ws, catalog } = ws2Over(w);
    const pick = (af: number, type: number, protocol: number) => {
      const r = catalog.select(af, type, protocol);
      return typeof r === 'number' ? errorName(r) : [r.iAddressFamily, r.iSocketType, r.iProtocol];
    };
    assert.deepEqual(pick(AF_INET, SOCK_STREAM, 0), [AF_INET, SOCK_STREAM, IPPROTO_TCP]);
    assert.deepEqual(pick(AF_INET, 0, 0), [AF_INET, SOCK_STREAM, IPPROTO_TCP]);
    assert.deepEqual(pick(0, 0, IPPROTO_UDP), [AF_INET, SOCK_DGRAM, IPPROTO_UDP]);
    assert.deepEqual(pick(AF_INET6, SOCK_DGRAM, 0), [AF_INET6, SOCK_DGRAM, IPPROTO_UDP]);
    const DEAD = 0xdead;
    const rows: [number, number, number, number][] = [
      [DEAD, SOCK_STREAM, IPPROTO_TCP, WSAEAFNOSUPPORT], [AF_INET, DEAD, IPPROTO_TCP, WSAESOCKTNOSUPPORT],
      [AF_INET, SOCK_STREAM, DEAD, WSAEPROTONOSUPPORT], [DEAD, DEAD, IPPROTO_TCP, WSAESOCKTNOSUPPORT],
      [DEAD, SOCK_STREAM, DEAD, WSAEAFNOSUPPORT], [AF_INET, SOCK_STREAM, IPPROTO_UDP, WSAEPROTONOSUPPORT],
      [0, SOCK_STREAM, 0, WSAEINVAL], [0, 0, 0, WSAEINVAL], [0, DEAD, IPPROTO_UDP, WSAESOCKTNOSUPPORT], [AF_INET, 0, DEAD, WSAEPROTONOSUPPORT],
    ];
    for (const [af, type, protocol, code] of rows) {
      assert.equal(ws.WSASocketW(af, type, protocol, null, 0, 0), INVALID_SOCKET);
      assert.equal(errorName(ws.WSAGetLastError()), errorName(code), `(${af}, ${type}, ${protocol})`);
    }
    // The socket made is the entry's: the provider sees the entry's family, type and protocol.
    const s = ws.socket(0, 0, IPPROTO_UDP);
    const info = w.p.inspect(ws.handles.get(s)!.providerHandle)!;
    assert.deepEqual([info.af, info.type, info.protocol], [AF_INET, SOCK_DGRAM, IPPROTO_UDP]);
    // With a record, its entry decides (here the IPv6 TCP entry, all three arguments FROM_PROTOCOL_INFO).
    const v6 = catalog.entry(1003)!;
    const t = ws.WSASocketW(-1, -1, -1, v6, 0, 0);
    assert.equal(w.p.inspect(ws.handles.get(t)!.providerHandle)!.af, AF_INET6);
    assert.equal(ws.WSASocketW(-1, -1, -1, { ...v6, dwCatalogEntryId: 4242 }, 0, 0), INVALID_SOCKET);
    assert.equal(ws.WSAGetLastError(), WSAEINVAL);
  });

  test('two base providers in one catalogue: colliding IFS handle numbers get ws2 numbers of their own, each socket reaching its provider', () => {
    const w = virtualWorld();
    const catalog = new Catalog();
    const other = w.net!.addHost({ name: 'other', addresses: ['10.0.0.2'] }).provider;
    catalog.installBase(other);
    catalog.installBase(w.p);
    const ws = new Ws2(catalog);
    ws.WSAStartup(0x0202, {});
    const a = ws.socket(AF_INET, SOCK_STREAM, 0); // the first entry: `other`
    const b = ws.WSASocketW(0, 0, 0, catalog.entry(1005)!, 0, 0); // w.p's TCP entry
    assert.notEqual(a, b);
    assert.equal(ws.handles.get(a)!.providerHandle, ws.handles.get(b)!.providerHandle, 'both providers count from the same number');
    assert.equal(ws.bind(b, { family: AF_INET, address: '10.0.0.1', port: 0 }, 16), 0, 'b is w.p\'s: 10.0.0.1 is its address');
    assert.equal(ws.bind(a, { family: AF_INET, address: '10.0.0.1', port: 0 }, 16), SOCKET_ERROR, 'a is other\'s: not its address');
  });
});

describe('ws2: startup and the last error', () => {
  test('before WSAStartup: WSANOTINITIALISED (test_WithoutWSAStartup); WSAStartup(v, NULL) is WSAEFAULT; a major version 0 is WSAVERNOTSUPPORTED (before the WSADATA is looked at); agreed versions as Microsoft\'s page gives them', () => {
    const w = virtualWorld();
    const catalog = new Catalog();
    catalog.installBase(w.p);
    const ws = new Ws2(catalog);
    ws.WSASetLastError(0xdead);
    assert.equal(ws.WSASocketW(0, 0, 0, null, 0, 0), INVALID_SOCKET);
    assert.equal(ws.WSAGetLastError(), WSANOTINITIALISED);
    assert.equal(ws.WSACleanup(), SOCKET_ERROR);
    assert.equal(ws.WSAGetLastError(), WSANOTINITIALISED);
    assert.equal(ws.WSAStartup(0x0202, null as unknown as WSADATA), 10014);
    assert.equal(ws.WSAStartup(0x0200, null as unknown as WSADATA), WSAVERNOTSUPPORTED, 'the version is judged first');
    const data: WSADATA = {};
    assert.equal(ws.WSAStartup(0x0100 /* 0.1 */, data), WSAVERNOTSUPPORTED);
    assert.equal(data.wHighVersion, 0x0202);
    assert.equal(ws.socket(AF_INET, SOCK_STREAM, 0), INVALID_SOCKET, 'a refused startup does not count');
    for (const [asked, agreed] of [[0x0001, 0x0001], [0x0101, 0x0101], [0x0201, 0x0101], [0x0002, 0x0002], [0x0302, 0x0202], [0x0003, 0x0202]]) {
      const d: WSADATA = {};
      assert.equal(ws.WSAStartup(asked!, d), 0);
      assert.equal(d.wVersion, agreed, `asked ${asked!.toString(16)}`);
      assert.equal(ws.WSACleanup(), 0);
    }
  });

  test('startups are counted; the last WSACleanup closes every socket (test_WithWSAStartup: after it, WSAENOTSOCK)', () => {
    const { ws } = ws2Over(virtualWorld());
    assert.equal(ws.WSAStartup(0x0202, {}), 0);
    const s = ws.socket(AF_INET, SOCK_STREAM, 0);
    assert.equal(ws.WSACleanup(), 0);
    assert.equal(ws.bind(s, { family: AF_INET, address: '127.0.0.1', port: 0 }, 16), 0, 'one startup left');
    assert.equal(ws.WSACleanup(), 0);
    assert.equal(ws.WSAStartup(0x0202, {}), 0);
    assert.equal(ws.send(s, new Uint8Array(4), 4, 0), SOCKET_ERROR);
    assert.equal(ws.WSAGetLastError(), WSAENOTSOCK);
  });

  test('the last error is the thread\'s: WSASetLastError sets it, a failure replaces it, a success leaves it; another Ws2 (thread) keeps its own', () => {
    const w = virtualWorld();
    const { ws, catalog } = ws2Over(w);
    const other = new Ws2(catalog);
    other.WSASetLastError(7);
    ws.WSASetLastError(1234);
    assert.equal(ws.WSAGetLastError(), 1234);
    const s = ws.socket(AF_INET, SOCK_STREAM, 0);
    assert.equal(ws.WSAGetLastError(), 1234, 'a success leaves it');
    assert.equal(ws.listen(0x1234, 1), SOCKET_ERROR);
    assert.equal(ws.WSAGetLastError(), WSAENOTSOCK);
    assert.equal(ws.recv(s, new Uint8Array(4), 4, 0), SOCKET_ERROR);
    assert.equal(errorName(ws.WSAGetLastError()), 'WSAENOTCONN', 'the provider\'s code');
    assert.equal(other.WSAGetLastError(), 7);
    assert.equal(ws.send(s, new Uint8Array(2), 3, 0), SOCKET_ERROR, 'len beyond the buffer');
    assert.equal(errorName(ws.WSAGetLastError()), 'WSAEFAULT');
    assert.doesNotThrow(() => ws.bind(s, new Proxy({}, { get() { throw new Error('x'); } }) as SockAddr, 16));
  });
});

describe('ws2: events, messages, address strings', () => {
  test('WSACreateEvent, WSAEventSelect, WSAWaitForMultipleEvents (running the virtual network), WSAEnumNetworkEvents; a closed event is WSA_INVALID_HANDLE', () => {
    const w = virtualWorld();
    const { ws } = ws2Over(w);
    const u = ws.socket(AF_INET, SOCK_DGRAM, 0);
    assert.equal(ws.bind(u, { family: AF_INET, address: '127.0.0.1', port: 9000 }, 16), 0);
    const ev = ws.WSACreateEvent();
    const idle = ws.WSACreateEvent();
    assert.equal(ws.WSAEventSelect(u, ev, FD_READ), 0);
    assert.equal(ws.WSAWaitForMultipleEvents(2, [idle, ev], false, 0, false), WSA_WAIT_TIMEOUT);
    const t = ws.socket(AF_INET, SOCK_DGRAM, 0);
    assert.equal(ws.sendto(t, new Uint8Array([9]), 1, 0, { family: AF_INET, address: '127.0.0.1', port: 9000 }, 16), 1);
    assert.equal(ws.WSAWaitForMultipleEvents(2, [idle, ev], false, 1000, false), WSA_WAIT_EVENT_0 + 1);
    const ne = { lNetworkEvents: 0, iErrorCode: [] as number[] };
    assert.equal(ws.WSAEnumNetworkEvents(u, ev, ne), 0);
    assert.equal(ne.lNetworkEvents, FD_READ);
    assert.equal(ev.signaled, false, 'WSAEnumNetworkEvents reset the event');
    const from: SockAddr = { family: 0, address: '', port: 0 };
    assert.equal(ws.recvfrom(u, new Uint8Array(4), 4, 0, from, { value: 16 }), 1);
    assert.equal(from.address, '127.0.0.1');
    assert.equal(ws.WSASetEvent(idle), true);
    assert.equal(ws.WSAWaitForMultipleEvents(1, [idle], true, 0, false), WSA_WAIT_EVENT_0);
    assert.equal(ws.WSAResetEvent(idle), true);
    assert.equal(ws.WSACloseEvent(idle), true);
    assert.equal(ws.WSASetEvent(idle), false);
    assert.equal(ws.WSAGetLastError(), WSA_INVALID_HANDLE);
    assert.equal(ws.WSAWaitForMultipleEvents(1, [idle], false, 0, false), 0xffffffff);
    assert.equal(ws.WSAWaitForMultipleEvents(0, [], false, 0, false), 0xffffffff);
  });

  test('WSAAsyncSelect: the provider posts through WPUPostMessage, and the message names the program\'s SOCKET (also through an LSP\'s WPU handle)', () => {
    for (const layered of [false, true]) {
      const w = virtualWorld();
      const { ws } = ws2Over(w, layered);
      const u = ws.socket(AF_INET, SOCK_DGRAM, 0);
      ws.bind(u, { family: AF_INET, address: '127.0.0.1', port: 9001 }, 16);
      const got: [number, number, number][] = [];
      assert.equal(ws.WSAAsyncSelect(u, (m: number, wp: number, lp: number) => got.push([m, wp, lp]), 0x401, FD_READ), 0);
      const t = ws.socket(AF_INET, SOCK_DGRAM, 0);
      ws.sendto(t, new Uint8Array([1]), 1, 0, { family: AF_INET, address: '127.0.0.1', port: 9001 }, 16);
      w.net!.run();
      assert.deepEqual(got, [[0x401, u, FD_READ]], layered ? 'through the LSP' : 'direct');
    }
  });

  test('WSAAddressToStringW / WSAStringToAddressW go to the base provider of the entry (or of the address family)', () => {
    for (const layered of [false, true]) {
      const { ws, catalog } = ws2Over(virtualWorld(), layered);
      const text = { value: '' };
      const len = { value: 64 };
      assert.equal(ws.WSAAddressToStringW({ family: AF_INET, address: '10.1.2.3', port: 80 }, 16, null, text, len), 0);
      assert.equal(text.value, '10.1.2.3:80');
      const top = ws.WSAEnumProtocolsW(null, null, { value: 0 });
      void top;
      const first = catalog.select(AF_INET6, 0, 0) as WSAPROTOCOL_INFOW;
      const out: SockAddr = { family: 0, address: '', port: 0 };
      assert.equal(ws.WSAStringToAddressW('[::1]:8080', AF_INET6, first, out, { value: 28 }), 0);
      assert.deepEqual([out.address, out.port], ['::1', 8080]);
      assert.equal(ws.WSAStringToAddressW('nonsense', AF_INET, null, out, { value: 28 }), SOCKET_ERROR);
      assert.equal(ws.WSAGetLastError(), WSAEINVAL);
    }
  });
});

describe('ws2: options and duplicates', () => {
  test('getsockopt/setsockopt reach the provider; WSADuplicateSocketW gives a record naming the catalogue entry, and WSASocketW redeems it as the same socket', () => {
    const w = virtualWorld();
    const { ws } = ws2Over(w);
    const s = ws.socket(AF_INET, SOCK_STREAM, 0);
    const buf = new Uint8Array(4);
    const len = { value: 4 };
    assert.equal(ws.getsockopt(s, 0xffff, 0x1008 /* SO_TYPE */, buf, len), 0);
    assert.equal(buf[0], SOCK_STREAM);
    assert.equal(ws.setsockopt(s, 0xffff, 0x1001 /* SO_SNDBUF */, new Uint8Array([0, 0x10, 0, 0]), 4), 0);
    assert.equal(ws.getsockopt(s, 0xffff, 0x1001, buf, len), 0);
    assert.equal(new DataView(buf.buffer).getInt32(0, true), 4096);
    assert.equal(ws.bind(s, { family: AF_INET, address: '127.0.0.1', port: 4321 }, 16), 0);
    const info = {} as WSAPROTOCOL_INFOW;
    assert.equal(ws.WSADuplicateSocketW(s, w.p.GetCurrentProcessId(), info), 0);
    assert.equal(info.dwCatalogEntryId, 1001);
    const d = ws.WSASocketW(-1, -1, -1, info, 0, 0);
    assert.notEqual(d, INVALID_SOCKET, errorName(ws.WSAGetLastError()));
    const name: SockAddr = { family: 0, address: '', port: 0 };
    assert.equal(ws.getsockname(d, name, { value: 16 }), 0);
    assert.equal(name.port, 4321, 'the same socket');
    assert.equal(ws.WSASocketW(-1, -1, -1, info, 0, 0), INVALID_SOCKET, 'a duplicate is redeemed once');
    assert.equal(ws.WSAGetLastError(), WSAEINVAL);
  });
});

describe('ws2: the upcall table', () => {
  test('WPUCreateSocketHandle, WPUQuerySocketHandleContext, WPUCloseSocketHandle (WSAENOTSOCK for others), WPUGetProviderPath, WPUQueryBlockingCallback, WPUQueueApc', () => {
    const w = virtualWorld();
    const { ws, catalog } = ws2Over(w);
    let table: Record<string, (...a: unknown[]) => unknown> = {};
    const spy = {
      protocols: () => w.p.protocols(),
      WSPStartup: (v: number, d: object, i: unknown, up: Record<string, (...a: unknown[]) => unknown>, procs: object) => {
        table = up;
        return w.p.WSPStartup(v, d, null, up, procs);
      },
    };
    catalog.installBase(spy as never, 'spy');
    const s = ws.WSASocketW(0, 0, 0, catalog.entry(1005)!, 0, 0);
    assert.notEqual(s, INVALID_SOCKET);
    const e = { value: 0 };
    const h = table.lpWPUCreateSocketHandle!(1005, 77, e) as number;
    assert.ok(h >= 0x40000000);
    const ctx = { value: 0 };
    assert.equal(table.lpWPUQuerySocketHandleContext!(h, ctx, e), 0);
    assert.equal(ctx.value, 77);
    assert.equal(table.lpWPUQuerySocketHandleContext!(s, ctx, e), SOCKET_ERROR, 'an IFS handle has no context');
    assert.equal(e.value, WSAENOTSOCK);
    assert.equal(table.lpWPUCloseSocketHandle!(h, e), 0);
    assert.equal(table.lpWPUCloseSocketHandle!(h, e), SOCKET_ERROR);
    assert.equal(table.lpWPUCreateSocketHandle!(99999, 0, e), INVALID_SOCKET);
    const path = { value: '' };
    const plen = { value: 2 };
    assert.equal(table.lpWPUGetProviderPath!(catalog.entry(1005)!.ProviderId, path, plen, e), SOCKET_ERROR);
    assert.ok(plen.value > 2, 'too small: the length needed');
    assert.equal(table.lpWPUGetProviderPath!(catalog.entry(1001)!.ProviderId, path, plen, e), 0);
    assert.ok(catalog.LoadProvider(path.value) !== null);
    const cb = { value: 1 as unknown };
    assert.equal(table.lpWPUQueryBlockingCallback!(1005, cb, { value: 1 }, e), 0);
    assert.equal(cb.value, null);
    const ran: number[] = [];
    assert.equal(table.lpWPUQueueApc!(ws.threadId, (c: number) => ran.push(c), 5, e), 0);
    assert.equal(table.lpWPUQueueApc!({ ThreadHandle: {}, Reserved: 0 }, () => {}, 5, e), SOCKET_ERROR, 'not this ws2\'s thread');
    assert.equal(ws.WSAWaitForMultipleEvents(1, [ws.WSACreateEvent()], false, 0, true), 0xc0, 'an alertable wait runs the APC');
    assert.deepEqual(ran, [5]);
    const ev = table.lpWPUCreateEvent!(e);
    assert.equal(table.lpWPUSetEvent!(ev, e), true);
    assert.equal(ws.WSAWaitForMultipleEvents(1, [ev as never], false, 0, false), 0);
    assert.equal(table.lpWPUCloseEvent!(ev, e), true);
    assert.equal(table.lpWPUResetEvent!(ev, e), false);
  });
});

describe('ws2: hostile arguments to event functions and upcalls never throw', () => {
  test('WSASetEvent / WSAResetEvent on an event whose own set and reset throw; WSAWaitForMultipleEvents with a count that is no integer is WSA_INVALID_PARAMETER', async () => {
    const { WSAEvent, WSA_WAIT_FAILED, WSA_INVALID_PARAMETER } = await import('../src/index.js');
    const w = virtualWorld();
    const { ws } = ws2Over(w);
    const ev = new WSAEvent();
    Object.defineProperty(ev, 'set', { value: () => { throw new Error('own set'); } });
    Object.defineProperty(ev, 'reset', { value: () => { throw new Error('own reset'); } });
    assert.equal(ws.WSASetEvent(ev), true);
    assert.equal(ev.signaled, true, 'the event is set as a kernel event would be');
    assert.equal(ws.WSAResetEvent(ev), true);
    assert.equal(ev.signaled, false);
    for (const n of [Number.NaN, 1.5, Number.POSITIVE_INFINITY]) {
      assert.equal(ws.WSAWaitForMultipleEvents(n, [ev], true, 0, false), WSA_WAIT_FAILED, String(n));
      assert.equal(ws.WSAGetLastError(), WSA_INVALID_PARAMETER);
    }
  });

  test('every upcall given throwing getters and objects returns its failure value with WSAEFAULT, never throws', async () => {
    const { makeUpcalls } = await import('../src/ws2/upcalls.js');
    const w = virtualWorld();
    const { ws, catalog } = ws2Over(w);
    ws.WSAStartup(0x0202, {});
    const table = makeUpcalls(ws, 1001) as unknown as Record<string, (...a: unknown[]) => unknown>; // 1001: the first base entry
    assert.ok(catalog.entry(1001));
    const hostile = new Proxy({}, { get() { throw new Error('getter'); }, has() { throw new Error('has'); } });
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    let calls = 0;
    for (const [name, fn] of Object.entries(table)) {
      for (const junk of [hostile, revoked.proxy]) {
        const err = { value: 0 };
        const args = Array.from({ length: Math.max(fn.length - 1, 1) }, () => junk);
        assert.doesNotThrow(() => fn(...args, err), name);
        calls++;
      }
    }
    assert.ok(calls >= 26, `every upcall was tried (${calls} calls)`);
    // The shapes that reached past the argument checks (the review's reproductions).
    const { WSAEvent, SOCKET_ERROR } = await import('../src/index.js');
    const ev = new WSAEvent();
    Object.defineProperty(ev, 'set', { value: () => { throw new Error('own set'); } });
    assert.equal(table.lpWPUSetEvent!(ev, { value: 0 }), true);
    assert.equal(ev.signaled, true);
    const tid = { get ThreadHandle(): unknown { throw new Error('getter'); }, Reserved: 0 };
    const err = { value: 0 };
    assert.equal(table.lpWPUQueueApc!(tid, () => {}, 0, err), SOCKET_ERROR);
    const wpu = ws.handles.createWpu(1001, 0);
    const ov = { Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0, get hEvent(): unknown { throw new Error('getter'); } };
    const err2 = { value: 0 };
    assert.equal(table.lpWPUCompleteOverlappedRequest!(wpu, ov, 0, 0, err2), SOCKET_ERROR);
    assert.equal(err2.value, 10014 /* WSAEFAULT */);
  });
});
