/**
 * Issue 13, items 2, 3, 5 and 6: hostile arguments.
 *
 * - Rule 2, "a failing call changes nothing": every out-parameter is checked writable before
 *   the call takes effect (Windows probes user buffers first). A call given an unwritable one
 *   fails with WSAEFAULT, consumes, queues, delivers, accepts, clears and writes nothing.
 * - Rule 3, "never throw, even on a hostile lpErrno".
 * - Rule 5, "options cannot fake results": SO_ERROR stores any int, but never turns a failure
 *   into a success or into a code that is not a real WSAE* code.
 * - Rule 6, "only documented codes": unusable event objects and upcall tables, IPv6 on an
 *   IPv4-only host, SOCK_RAW sends, and a property test of every WSP* function on junk arguments.
 *
 * Snapshots (test/state-snapshot.ts) cover both hosts and are taken again after the network
 * has run, so a byte sent or a segment emitted by a failed call shows too.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import * as E from '../src/index.js';
import {
  AF_INET, AF_INET6, CF_ACCEPT, CF_REJECT, FD_ACCEPT, FD_CLOSE, FD_CLOSE_BIT, FD_CONNECT, FD_CONNECT_BIT, FD_READ,
  FIONBIO, FIONREAD, INVALID_SOCKET, IPPROTO_UDP, PROC_NAMES, protocolCatalog, SD_RECEIVE, SIO_UDP_CONNRESET, SOCK_DGRAM, SOCK_RAW,
  SOCKET_ERROR, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, SO_ERROR, SO_LINGER, SO_RCVBUF, VirtualNetwork,
  WSAECONNREFUSED, WSAECONNRESET, WSAEFAULT, WSAEINVAL, WSAEWOULDBLOCK, WSAEvent, errorName, type LPINT,
  type ServiceProvider, type SockAddr, type VirtualHost,
} from '../src/index.js';
import { documented, startupCodes } from './documented-errors.js';
import {
  HOSTILE_ERRNOS, type HostileValue, attempt, bind, connect, getInt, listener, ok, pair, proxyAllThrow,
  setInt, setNonBlocking, startConnect, tcp, unwritableBytes, unwritableInts, unwritableVariants, v4, v6,
} from './helpers.js';
import { assertLive, assertUnchanged, checkAccounting, snapshotHosts, type Reenabled } from './state-snapshot.js';

const SERVER = v4('10.0.0.1', 80);
const NOBODY = v4('10.0.0.1', 81);
const UDP_SERVER = v4('10.0.0.1', 5000);
const UDP_CLIENT = v4('10.0.0.2', 6000);
const HWND = { window: 1 };
const WM = 0x8001;

/** The providers' functions with loose argument types (hostile values do not type-check). */
type Loose = Record<string, (...args: unknown[]) => number>;
const loose = (p: ServiceProvider): Loose => p as unknown as Loose;

const sockaddrOut = () => ({ family: 0, address: '', port: 0 });
/** Every way a sockaddr out-parameter (object or bytes) can be unwritable. */
const UNWRITABLE_SOCKADDRS: HostileValue[] = [
  ...unwritableVariants(sockaddrOut()),
  { name: 'bytes whose writes throw', make: () => unwritableBytes(28) },
  {
    name: 'an empty object whose set and defineProperty traps throw',
    make: () => new Proxy({}, { set: () => { throw new Error('hostile'); }, defineProperty: () => { throw new Error('hostile'); } }),
  },
];

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (seed * 31 + i * 7 + (i >> 8)) & 0xff);
}

function sendBytes(p: ServiceProvider, s: number, data: Uint8Array): number {
  const count = { value: -1 };
  ok((e) => p.WSPSend(s, [{ len: data.length, buf: data }], 1, count, 0, null, null, null, e));
  return count.value;
}

/** Reads everything a stream socket has now (non-blocking). */
function recvNow(p: ServiceProvider, s: number): Uint8Array {
  setNonBlocking(p, s);
  const parts: number[] = [];
  for (;;) {
    const buf = new Uint8Array(4096);
    const count = { value: 0 };
    const r = attempt((e) => p.WSPRecv(s, [{ len: buf.length, buf }], 1, count, { value: 0 }, null, null, null, e));
    if (r.ret !== 0 || count.value === 0) {
      if (r.ret !== 0) assert.equal(errorName(r.err), 'WSAEWOULDBLOCK');
      return Uint8Array.from(parts);
    }
    parts.push(...buf.subarray(0, count.value));
  }
}

function udp(p: ServiceProvider, at: SockAddr | null): number {
  const s = ok((e) => p.WSPSocket(at?.family ?? AF_INET, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
  if (at !== null) assert.equal(bind(p, s, at).ret, 0);
  return s;
}

/** A connected TCP pair, with the network quiet. */
function streams() {
  const p = pair();
  const l = listener(p.server, SERVER, 5);
  const c = tcp(p.client);
  assert.equal(connect(p.client, c, SERVER).ret, 0);
  const a = ok((e) => p.server.WSPAccept(l, null, null, null, 0, e));
  p.net.run();
  return { ...p, hosts: p.net.hosts, l, c, a };
}

/** A client's connection reset by the peer (an abortive close): the server socket `a` is reset. */
function resetStreams() {
  const w = streams();
  const lin = new Uint8Array([1, 0, 0, 0]);
  ok((e) => w.client.WSPSetSockOpt(w.c, SOL_SOCKET, SO_LINGER, lin, 4, e));
  ok((e) => w.client.WSPCloseSocket(w.c, e));
  w.net.run();
  return w;
}

/**
 * Asserts the call fails with `code` (WSAEFAULT unless said), without throwing, and that no host
 * changed: neither at once nor once the network has run (nothing was sent either).
 */
function failsChangingNothing(
  net: VirtualNetwork, call: (e: LPINT) => number, failValue: number, label: string, code: number | null = WSAEFAULT,
  allow?: Reenabled, settle: (net: VirtualNetwork) => void = (n) => n.run(),
): void {
  settle(net);
  const before = snapshotHosts(net.hosts);
  let out = { ret: 0, err: 0 };
  assert.doesNotThrow(() => { out = attempt(call); }, `${label}: threw`);
  assert.equal(out.ret, failValue, `${label}: expected the call to fail, it returned ${out.ret}`);
  if (code !== null) assert.equal(errorName(out.err) ?? out.err, errorName(code), label);
  assertUnchanged(before, snapshotHosts(net.hosts), `${label}: a failed call changed state`, allow);
  settle(net);
  assertUnchanged(before, snapshotHosts(net.hosts), `${label}: a failed call changed state (seen once the network ran)`, allow);
  for (const h of net.hosts) checkAccounting(h.provider, label);
}

/** Runs one variant's checks; a failure is recorded (first line of its message), so every variant is reported. */
function collect(problems: string[], label: string, body: () => void): void {
  try {
    body();
  } catch (err) {
    const first = String((err as Error)?.message ?? err).split('\n')[0]!;
    problems.push(first.includes(label) ? first : `${label}: ${first}`);
  }
}

// ---- rule 2 ---------------------------------------------------------------------------------

describe('rule 2: a failing call changes nothing (every out-parameter is probed before the call takes effect)', () => {
  test('WSPRecv with an unwritable lpNumberOfBytesRecvd: WSAEFAULT, no byte consumed, a later WSPRecv gets them all', () => {
    const problems: string[] = [];
    for (const bad of unwritableInts(0)) {
      collect(problems, bad.name, () => {
        const w = streams();
        const data = pattern(300, 1);
        sendBytes(w.client, w.c, data);
        const buf = new Uint8Array(1000);
        failsChangingNothing(w.net, (e) => loose(w.server).WSPRecv!(w.a, [{ len: buf.length, buf }], 1, bad.make(), { value: 0 }, null, null, null, e),
          SOCKET_ERROR, `lpNumberOfBytesRecvd ${bad.name}`);
        assert.deepEqual(recvNow(w.server, w.a), data, `${bad.name}: a later WSPRecv gets every byte`);
      });
    }
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPRecv with an unwritable lpFlags (MSG_PEEK or not): WSAEFAULT, no byte consumed', () => {
    const problems: string[] = [];
    for (const bad of unwritableInts(0)) {
      collect(problems, bad.name, () => {
        const w = streams();
        const data = pattern(200, 2);
        sendBytes(w.client, w.c, data);
        const buf = new Uint8Array(1000);
        failsChangingNothing(w.net, (e) => loose(w.server).WSPRecv!(w.a, [{ len: buf.length, buf }], 1, { value: 0 }, bad.make(), null, null, null, e),
          SOCKET_ERROR, `lpFlags ${bad.name}`);
        assert.deepEqual(recvNow(w.server, w.a), data, `${bad.name}: a later WSPRecv gets every byte`);
      });
    }
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPRecvFrom on a datagram socket with an unwritable lpNumberOfBytesRecvd, lpFlags, lpFrom or lpFromlen: WSAEFAULT, the datagram stays queued', () => {
    const problems: string[] = [];
    const cases: [string, HostileValue[]][] = [
      ['lpNumberOfBytesRecvd', unwritableInts(0)], ['lpFlags', unwritableInts(0)],
      ['lpFrom', UNWRITABLE_SOCKADDRS], ['lpFromlen', unwritableInts(16)],
    ];
    for (const [which, variants] of cases) {
      for (const bad of variants) {
        collect(problems, bad.name, () => {
          const { net, server, client } = pair();
          const u = udp(server, UDP_SERVER);
          const peer = udp(client, UDP_CLIENT);
          const data = pattern(50, 3);
          ok((e) => client.WSPSendTo(peer, [{ len: 50, buf: data }], 1, { value: 0 }, 0, UDP_SERVER, 16, null, null, null, e));
          const from = sockaddrOut();
          const args = {
            lpNumberOfBytesRecvd: which === 'lpNumberOfBytesRecvd' ? bad.make() : { value: 0 },
            lpFlags: which === 'lpFlags' ? bad.make() : { value: 0 },
            lpFrom: which === 'lpFrom' ? bad.make() : from,
            lpFromlen: which === 'lpFromlen' ? bad.make() : { value: 16 },
          };
          const buf = new Uint8Array(100);
          const label = `${which} ${bad.name}`;
          failsChangingNothing(net, (e) => loose(server).WSPRecvFrom!(u, [{ len: 100, buf }], 1, args.lpNumberOfBytesRecvd, args.lpFlags,
            args.lpFrom, args.lpFromlen, null, null, null, e), SOCKET_ERROR, label);
          if (which !== 'lpFrom') assert.deepEqual(from, sockaddrOut(), `${label}: lpFrom is not written by a failed call`);
          const got = { value: 0 };
          const good = sockaddrOut();
          ok((e) => server.WSPRecvFrom(u, [{ len: 100, buf }], 1, got, { value: 0 }, good, { value: 16 }, null, null, null, e));
          assert.equal(got.value, 50, `${label}: a later WSPRecvFrom gets the datagram`);
          assert.deepEqual(buf.subarray(0, 50), data);
          assert.deepEqual(good, { family: AF_INET, address: '10.0.0.2', port: 6000 });
        });
      }
    }
    assert.deepEqual(problems, [], 'every variant');
  });

  // On a stream socket WSPRecvFrom is WSPRecv: lpFrom and lpFromlen are not touched, whatever
  // they are (Wine's test_tcp_sendto_recvfrom), so an unwritable one is no fault there.
  test('WSPRecvFrom on a stream ignores lpFrom and lpFromlen, even unwritable ones: the bytes arrive, nothing is written', () => {
    const problems: string[] = [];
    for (const [which, variants] of [['lpFrom', UNWRITABLE_SOCKADDRS], ['lpFromlen', unwritableInts(16)]] as const) {
      for (const bad of variants) {
        collect(problems, bad.name, () => {
          const w = streams();
          const data = pattern(120, 4);
          sendBytes(w.client, w.c, data);
          const buf = new Uint8Array(1000);
          const got = { value: 0 };
          ok((e) => loose(w.server).WSPRecvFrom!(w.a, [{ len: buf.length, buf }], 1, got, { value: 0 },
            which === 'lpFrom' ? bad.make() : sockaddrOut(), which === 'lpFromlen' ? bad.make() : { value: 16 }, null, null, null, e));
          assert.deepEqual(buf.subarray(0, got.value), data, `${which} ${bad.name}: the bytes arrive`);
        });
      }
    }
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPSend with an unwritable lpNumberOfBytesSent: WSAEFAULT, nothing queued or delivered; a retry delivers the bytes exactly once', () => {
    const problems: string[] = [];
    for (const bad of unwritableInts(0)) {
      collect(problems, bad.name, () => {
        const w = streams();
        const data = pattern(700, 5);
        failsChangingNothing(w.net, (e) => loose(w.client).WSPSend!(w.c, [{ len: data.length, buf: data }], 1, bad.make(), 0, null, null, null, e),
          SOCKET_ERROR, `lpNumberOfBytesSent ${bad.name}`);
        assert.equal(sendBytes(w.client, w.c, data), data.length, 'the retry');
        w.net.run();
        assert.deepEqual(recvNow(w.server, w.a), data, `${bad.name}: the peer receives the bytes once`);
      });
    }
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPSendTo with an unwritable lpNumberOfBytesSent: WSAEFAULT, no datagram sent, no implicit bind; a retry sends exactly one', () => {
    const problems: string[] = [];
    for (const bad of unwritableInts(0)) {
      collect(problems, bad.name, () => {
        const { net, server, client } = pair();
        const u = udp(server, UDP_SERVER);
        const peer = udp(client, null); // unbound: a send would bind it
        const data = pattern(40, 6);
        failsChangingNothing(net, (e) => loose(client).WSPSendTo!(peer, [{ len: 40, buf: data }], 1, bad.make(), 0, UDP_SERVER, 16, null, null, null, e),
          SOCKET_ERROR, `lpNumberOfBytesSent ${bad.name}`);
        assert.equal(client.inspect(peer)!.local, null, 'still unbound');
        const count = { value: 0 };
        ok((e) => client.WSPSendTo(peer, [{ len: 40, buf: data }], 1, count, 0, UDP_SERVER, 16, null, null, null, e));
        net.run();
        assert.equal(getFionread(server, u), 40, `${bad.name}: exactly one datagram arrived`);
      });
    }
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPAccept with an unwritable addr: WSAEFAULT, the connection stays queued, no handle leaks; a later WSPAccept gets it', () => {
    const problems: string[] = [];
    for (const bad of UNWRITABLE_SOCKADDRS) {
      collect(problems, bad.name, () => {
        const { net, server, client } = pair();
        const l = listener(server, SERVER, 5);
        const c = tcp(client);
        assert.equal(connect(client, c, SERVER).ret, 0);
        failsChangingNothing(net, (e) => loose(server).WSPAccept!(l, bad.make(), { value: 16 }, null, 0, e), INVALID_SOCKET, `addr ${bad.name}`);
        const peer = sockaddrOut();
        const a = ok((e) => server.WSPAccept(l, peer, { value: 16 }, null, 0, e));
        assertLive(server, a, bad.name);
        assert.deepEqual(peer, { family: AF_INET, address: '10.0.0.2', port: client.inspect(c)!.local!.port }, `${bad.name}: the same connection`);
      });
    }
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPAccept with an unwritable addrlen: WSAEFAULT, addr not written, the connection stays queued', () => {
    const problems: string[] = [];
    for (const bad of unwritableInts(16)) {
      collect(problems, bad.name, () => {
        const { net, server, client } = pair();
        const l = listener(server, SERVER, 5);
        assert.equal(connect(client, tcp(client), SERVER).ret, 0);
        const addr = sockaddrOut();
        failsChangingNothing(net, (e) => loose(server).WSPAccept!(l, addr, bad.make(), null, 0, e), INVALID_SOCKET, `addrlen ${bad.name}`);
        assert.deepEqual(addr, sockaddrOut(), `${bad.name}: addr untouched`);
        assertLive(server, ok((e) => server.WSPAccept(l, null, null, null, 0, e)), bad.name);
      });
    }
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPAccept with an unwritable addr and a condition function: the condition\'s CF_REJECT is not carried out, a conditional accept\'s SYN stays held', () => {
    const problems: string[] = [];
    for (const conditional of [false, true]) {
      for (const bad of [UNWRITABLE_SOCKADDRS[0]!, UNWRITABLE_SOCKADDRS[2]!]) {
        collect(problems, bad.name, () => {
          for (const verdict of [CF_REJECT, CF_ACCEPT]) {
            const { net, server, client } = pair();
            const l = listener(server, SERVER, 5);
            if (conditional) assert.equal(setInt(server, l, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, 1).ret, 0);
            const c = startConnect(client, SERVER);
            // A held SYN: running the network to the end would let the client's connect time out.
            const settle = (n: VirtualNetwork) => (conditional ? n.advance(1) : n.run());
            settle(net);
            const label = `${conditional ? 'SO_CONDITIONAL_ACCEPT, ' : ''}${verdict === CF_REJECT ? 'CF_REJECT' : 'CF_ACCEPT'}, addr ${bad.name}`;
            failsChangingNothing(net, (e) => loose(server).WSPAccept!(l, bad.make(), { value: 16 }, () => verdict, 0, e), INVALID_SOCKET, label,
              WSAEFAULT, undefined, settle);
            assert.equal(client.inspect(c)!.phase, conditional ? 'connecting' : 'connected', `${label}: the client is not refused`);
            assertLive(server, ok((e) => server.WSPAccept(l, null, null, () => CF_ACCEPT, 0, e)), label);
          }
        });
      }
    }
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPEnumNetworkEvents with an unwritable WSANETWORKEVENTS: WSAEFAULT, the record and the event object kept; a later call reports them', () => {
    const problems: string[] = [];
    const variants = unwritableVariants({ lNetworkEvents: 0, iErrorCode: [] as number[] })
      // The provider gives iErrorCode a new array; a getter returning a writable array is not unwritable.
      .filter((v) => v.name !== 'iErrorCode getter-only' && v.name !== 'iErrorCode setter that throws');
    for (const bad of variants) {
      collect(problems, bad.name, () => {
        const { net, server, client } = pair();
        const l = listener(server, SERVER, 5);
        const ev = new WSAEvent();
        ok((e) => server.WSPEventSelect(l, ev, FD_ACCEPT, e));
        startConnect(client, SERVER);
        net.run();
        assert.equal(ev.signaled, true);
        failsChangingNothing(net, (e) => loose(server).WSPEnumNetworkEvents!(l, ev, bad.make(), e), SOCKET_ERROR, `lpNetworkEvents ${bad.name}`);
        assert.equal(ev.signaled, true, `${bad.name}: the event object is not reset by a failed call`);
        const ne = { lNetworkEvents: 0, iErrorCode: [] as number[] };
        ok((e) => server.WSPEnumNetworkEvents(l, ev, ne, e));
        assert.equal(ne.lNetworkEvents, FD_ACCEPT, `${bad.name}: the record survived`);
      });
    }
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPGetSockOpt with an unwritable optlen or optval: WSAEFAULT, the other one not written', () => {
    const problems: string[] = [];
    for (const bad of unwritableInts(4)) {
      collect(problems, bad.name, () => {
        const { net, server } = pair();
        const s = tcp(server);
        const optval = new Uint8Array(4).fill(0xaa);
        failsChangingNothing(net, (e) => loose(server).WSPGetSockOpt!(s, SOL_SOCKET, SO_RCVBUF, optval, bad.make(), e), SOCKET_ERROR, `optlen ${bad.name}`);
        assert.deepEqual([...optval], [0xaa, 0xaa, 0xaa, 0xaa], `${bad.name}: optval untouched`);
      });
    }
    const { net, server } = pair();
    const s = tcp(server);
    const optlen = { value: 8 };
    failsChangingNothing(net, (e) => loose(server).WSPGetSockOpt!(s, SOL_SOCKET, SO_RCVBUF, unwritableBytes(4), optlen, e), SOCKET_ERROR, 'optval whose writes throw');
    assert.equal(optlen.value, 8, 'optlen untouched');
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPGetSockName and WSPGetPeerName with an unwritable name or namelen: WSAEFAULT, the other one not written', () => {
    const problems: string[] = [];
    const w = streams();
    for (const fn of ['WSPGetSockName', 'WSPGetPeerName'] as const) {
      for (const bad of UNWRITABLE_SOCKADDRS) {
        collect(problems, bad.name, () => {
          const namelen = { value: 16 };
          failsChangingNothing(w.net, (e) => loose(w.server)[fn]!(w.a, bad.make(), namelen, e), SOCKET_ERROR, `${fn} name ${bad.name}`);
          assert.equal(namelen.value, 16, `${fn} ${bad.name}: namelen untouched`);
        });
      }
      for (const bad of unwritableInts(16)) {
        collect(problems, bad.name, () => {
          const name = sockaddrOut();
          const bytes = new Uint8Array(16);
          failsChangingNothing(w.net, (e) => loose(w.server)[fn]!(w.a, name, bad.make(), e), SOCKET_ERROR, `${fn} namelen ${bad.name}`);
          failsChangingNothing(w.net, (e) => loose(w.server)[fn]!(w.a, bytes, bad.make(), e), SOCKET_ERROR, `${fn} namelen ${bad.name} (bytes)`);
          assert.deepEqual(name, sockaddrOut(), `${fn} ${bad.name}: name untouched`);
          assert.deepEqual([...bytes], new Array(16).fill(0), `${fn} ${bad.name}: name bytes untouched`);
        });
      }
    }
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPIoctl with an unwritable lpcbBytesReturned: WSAEFAULT and FIONBIO, SIO_UDP_CONNRESET and FIONREAD take no effect', () => {
    const problems: string[] = [];
    for (const bad of unwritableInts(0)) {
      collect(problems, bad.name, () => {
        const { net, server, client } = pair();
        const s = tcp(server);
        const on = new Uint8Array([1, 0, 0, 0]);
        failsChangingNothing(net, (e) => loose(server).WSPIoctl!(s, FIONBIO, on, 4, null, 0, bad.make(), null, null, null, e), SOCKET_ERROR, `FIONBIO, ${bad.name}`);
        assert.equal(server.inspect(s)!.nonBlocking, false, `${bad.name}: still blocking`);

        // SIO_UDP_CONNRESET off, refused: an ICMP port unreachable still shows as WSAECONNRESET.
        const u = udp(client, UDP_CLIENT);
        failsChangingNothing(net, (e) => loose(client).WSPIoctl!(u, SIO_UDP_CONNRESET, new Uint8Array(4), 4, null, 0, bad.make(), null, null, null, e),
          SOCKET_ERROR, `SIO_UDP_CONNRESET, ${bad.name}`);
        ok((e) => client.WSPSendTo(u, [{ len: 1, buf: new Uint8Array(1) }], 1, { value: 0 }, 0, v4('10.0.0.1', 9), 16, null, null, null, e));
        net.run();
        setNonBlocking(client, u);
        const r = attempt((e) => client.WSPRecvFrom(u, [{ len: 8, buf: new Uint8Array(8) }], 1, { value: 0 }, { value: 0 }, null, null, null, null, null, e));
        assert.equal(errorName(r.err), 'WSAECONNRESET', `${bad.name}: SIO_UDP_CONNRESET is still on`);

        const out = new Uint8Array(4).fill(0xaa);
        failsChangingNothing(net, (e) => loose(server).WSPIoctl!(s, FIONREAD, null, 0, out, 4, bad.make(), null, null, null, e), SOCKET_ERROR, `FIONREAD, ${bad.name}`);
        assert.deepEqual([...out], [0xaa, 0xaa, 0xaa, 0xaa], `${bad.name}: lpvOutBuffer untouched`);
      });
    }
    const { net, server } = pair();
    const s = tcp(server);
    const returned = { value: 99 };
    failsChangingNothing(net, (e) => loose(server).WSPIoctl!(s, FIONREAD, null, 0, unwritableBytes(4), 4, returned, null, null, null, e), SOCKET_ERROR, 'lpvOutBuffer whose writes throw');
    assert.equal(returned.value, 99, 'lpcbBytesReturned untouched');
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPSelect with an unwritable fd_set (in any of the three places): WSAEFAULT and all three sets are left as they were', () => {
    const problems: string[] = [];
    const { net, server, client } = pair();
    const l = listener(server, SERVER, 5);
    const c = tcp(client);
    assert.equal(connect(client, c, SERVER).ret, 0); // l is readable
    const a = ok((e) => server.WSPAccept(l, null, null, null, 0, e));
    assert.equal(connect(client, tcp(client), SERVER).ret, 0);
    net.run();
    const handles = [l, a];
    const setVariants = (): HostileValue[] => [
      ...unwritableVariants({ fd_count: 2, fd_array: handles })
        // The provider rewrites the array in place; a getter returning a writable array is not unwritable.
        .filter((v) => v.name !== 'fd_array getter-only' && v.name !== 'fd_array setter that throws'),
      { name: 'frozen fd_array', make: () => ({ fd_count: 2, fd_array: Object.freeze([...handles]) }) },
      { name: 'fd_array a Proxy whose set trap throws', make: () => ({ fd_count: 2, fd_array: new Proxy([...handles], { set: () => { throw new Error('hostile'); } }) }) },
    ];
    const describeSet = (set: unknown): string => {
      try {
        const s = set as { fd_count: unknown; fd_array: unknown[] };
        return JSON.stringify({ fd_count: s.fd_count, fd_array: [...s.fd_array] });
      } catch {
        return 'unreadable';
      }
    };
    for (let place = 0; place < 3; place++) {
      for (const bad of setVariants()) {
        collect(problems, bad.name, () => {
          const sets: unknown[] = [0, 1, 2].map((i) => (i === place ? bad.make() : { fd_count: 2, fd_array: [...handles] }));
          const arrays = sets.map((s, i) => (i === place ? undefined : (s as { fd_array: unknown[] }).fd_array));
          const was = sets.map(describeSet);
          const label = `${['readfds', 'writefds', 'exceptfds'][place]} ${bad.name}`;
          failsChangingNothing(net, (e) => loose(server).WSPSelect!(0, sets[0], sets[1], sets[2], { tv_sec: 0, tv_usec: 0 }, e), SOCKET_ERROR, label);
          assert.deepEqual(sets.map(describeSet), was, `${label}: the sets are left as they were`);
          sets.forEach((s, i) => { if (i !== place) assert.equal((s as { fd_array: unknown[] }).fd_array, arrays[i]); });
        });
      }
    }
    // Still works with good sets.
    const r = { fd_count: 2, fd_array: [...handles] };
    assert.equal(ok((e) => server.WSPSelect(0, r, null, null, { tv_sec: 0, tv_usec: 0 }, e)), 1);
    // Entries past fd_count are left as they were (Wine's test_select, "select the same socket twice").
    assert.deepEqual(r, { fd_count: 1, fd_array: [l, handles[1]] });
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPConnect with an unwritable lpCalleeData: WSAEFAULT, no connection attempt (no SYN, no implicit bind)', () => {
    const problems: string[] = [];
    const variants = unwritableVariants({ len: 16, buf: new Uint8Array(16) }).filter((v) => !v.name.startsWith('buf '));
    for (const bad of variants) {
      collect(problems, bad.name, () => {
        for (const blocking of [true, false]) {
          const { net, server, client } = pair();
          listener(server, SERVER, 5);
          const c = tcp(client);
          if (!blocking) setNonBlocking(client, c);
          let segments = 0;
          const stop = net.onPacket(() => segments++);
          failsChangingNothing(net, (e) => loose(client).WSPConnect!(c, SERVER, 16, null, bad.make(), null, null, e), SOCKET_ERROR,
            `lpCalleeData ${bad.name}${blocking ? '' : ', non-blocking'}`);
          stop();
          assert.equal(segments, 0, `${bad.name}: no SYN`);
          assert.equal(client.inspect(c)!.phase, 'open');
          assert.equal(connect(client, c, SERVER).ret, blocking ? 0 : SOCKET_ERROR, 'a later connect works');
        }
      });
    }
    assert.deepEqual(problems, [], 'every variant');
  });
});

/** A WSAOVERLAPPED no call has posted; `Internal` as given (0: STATUS_SUCCESS, 0x103: STATUS_PENDING). */
function freshOverlapped(internal: number) {
  return { Internal: internal, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: null };
}

/** What a function returns when it fails: FALSE for the two BOOL functions, INVALID_SOCKET for the SOCKET ones. */
function failValueOf(fn: string): number {
  if (fn === 'WSPGetQOSByName' || fn === 'WSPGetOverlappedResult') return 0;
  return fn === 'WSPSocket' || fn === 'WSPAccept' || fn === 'WSPJoinLeaf' ? INVALID_SOCKET : SOCKET_ERROR;
}

function getFionread(p: ServiceProvider, s: number): number {
  const out = new Uint8Array(4);
  ok((e) => p.WSPIoctl(s, FIONREAD, null, 0, out, 4, { value: 0 }, null, null, null, e));
  return new DataView(out.buffer).getInt32(0, true);
}

// ---- rule 3 ---------------------------------------------------------------------------------

/** A failing call of every WSP* function, at several depths (arguments, socket state, the network). */
function failingCalls(): { name: string; fn: string; failValue: number; setup: () => { net: VirtualNetwork; call: (errno: unknown) => number } }[] {
  const dead = 4242;
  const buf = () => [{ len: 8, buf: new Uint8Array(8) }];
  const simple = (fn: string, args: (errno: unknown) => unknown[], failValue = SOCKET_ERROR) => ({
    name: `${fn} on a bad socket`, fn, failValue,
    setup: () => {
      const { net, server } = pair();
      return { net, call: (errno: unknown) => loose(server)[fn]!(...args(errno)) };
    },
  });
  return [
    simple('WSPAccept', (x) => [dead, null, null, null, 0, x], INVALID_SOCKET),
    simple('WSPAsyncSelect', (x) => [dead, HWND, WM, FD_READ, x]),
    simple('WSPBind', (x) => [dead, SERVER, 16, x]),
    { name: 'WSPCleanup before WSPStartup', fn: 'WSPCleanup', failValue: SOCKET_ERROR, setup: () => { const { net, server } = pair(); return { net, call: (x) => loose(server).WSPCleanup!(x) }; } },
    simple('WSPCloseSocket', (x) => [dead, x]),
    simple('WSPConnect', (x) => [dead, SERVER, 16, null, null, null, null, x]),
    simple('WSPEnumNetworkEvents', (x) => [dead, null, { lNetworkEvents: 0, iErrorCode: [] }, x]),
    simple('WSPEventSelect', (x) => [dead, new WSAEvent(), FD_READ, x]),
    simple('WSPGetPeerName', (x) => [dead, sockaddrOut(), { value: 16 }, x]),
    simple('WSPGetSockName', (x) => [dead, sockaddrOut(), { value: 16 }, x]),
    simple('WSPGetSockOpt', (x) => [dead, SOL_SOCKET, SO_RCVBUF, new Uint8Array(4), { value: 4 }, x]),
    simple('WSPIoctl', (x) => [dead, FIONREAD, null, 0, new Uint8Array(4), 4, { value: 0 }, null, null, null, x]),
    simple('WSPListen', (x) => [dead, 5, x]),
    simple('WSPRecv', (x) => [dead, buf(), 1, { value: 0 }, { value: 0 }, null, null, null, x]),
    simple('WSPRecvFrom', (x) => [dead, buf(), 1, { value: 0 }, { value: 0 }, null, null, null, null, null, x]),
    simple('WSPSelect', (x) => [0, { fd_count: 0, fd_array: [] }, null, null, null, x]),
    simple('WSPSend', (x) => [dead, buf(), 1, { value: 0 }, 0, null, null, null, x]),
    simple('WSPSendTo', (x) => [dead, buf(), 1, { value: 0 }, 0, SERVER, 16, null, null, null, x]),
    simple('WSPSetSockOpt', (x) => [dead, SOL_SOCKET, SO_RCVBUF, new Uint8Array(4), 4, x]),
    simple('WSPShutdown', (x) => [dead, 1, x]),
    simple('WSPSocket', (x) => [999, 1, 0, null, 0, 0, x], INVALID_SOCKET),
    simple('WSPAddressToString', (x) => [SERVER, 16, null, { value: '' }, { value: 64 }, x]),
    simple('WSPStringToAddress', (x) => ['10.0.0.1:80', AF_INET, null, sockaddrOut(), { value: 16 }, x]),
    simple('WSPCancelBlockingCall', (x) => [x]),
    simple('WSPDuplicateSocket', (x) => [dead, 0, { ...protocolCatalog()[0]! }, x]),
    simple('WSPGetOverlappedResult', (x) => [dead, freshOverlapped(0), { value: 0 }, false, { value: 0 }, x], 0),
    simple('WSPGetQOSByName', (x) => [dead, { len: 0, buf: new Uint8Array(0) }, null, x], 0),
    simple('WSPJoinLeaf', (x) => [dead, SERVER, 16, null, null, null, null, 4, x], INVALID_SOCKET),
    simple('WSPRecvDisconnect', (x) => [dead, null, x]),
    simple('WSPSendDisconnect', (x) => [dead, null, x]),
    {
      name: 'WSPRecv on a non-blocking socket with nothing to read (WSAEWOULDBLOCK)', fn: 'WSPRecv', failValue: SOCKET_ERROR,
      setup: () => {
        const w = streams();
        setNonBlocking(w.server, w.a);
        return { net: w.net, call: (x) => loose(w.server).WSPRecv!(w.a, buf(), 1, { value: 0 }, { value: 0 }, null, null, null, x) };
      },
    },
    {
      name: 'WSPSend on a reset connection (WSAECONNRESET)', fn: 'WSPSend', failValue: SOCKET_ERROR,
      setup: () => {
        const w = resetStreams();
        return { net: w.net, call: (x) => loose(w.server).WSPSend!(w.a, buf(), 1, { value: 0 }, 0, null, null, null, x) };
      },
    },
    {
      name: 'WSPAccept on an empty non-blocking listener (WSAEWOULDBLOCK)', fn: 'WSPAccept', failValue: INVALID_SOCKET,
      setup: () => {
        const { net, server } = pair();
        const l = listener(server, SERVER, 5);
        setNonBlocking(server, l);
        return { net, call: (x) => loose(server).WSPAccept!(l, null, null, null, 0, x) };
      },
    },
    {
      name: 'WSPAccept whose condition function rejects (WSAECONNREFUSED)', fn: 'WSPAccept', failValue: INVALID_SOCKET,
      setup: () => {
        const { net, server, client } = pair();
        const l = listener(server, SERVER, 5);
        assert.equal(connect(client, tcp(client), SERVER).ret, 0);
        return { net, call: (x) => loose(server).WSPAccept!(l, null, null, () => CF_REJECT, 0, x) };
      },
    },
    {
      name: 'WSPConnect refused (blocking)', fn: 'WSPConnect', failValue: SOCKET_ERROR,
      setup: () => {
        const { net, client } = pair();
        const c = tcp(client);
        return { net, call: (x) => loose(client).WSPConnect!(c, NOBODY, 16, null, null, null, null, x) };
      },
    },
    {
      name: 'WSPRecvFrom of a datagram too big for the buffer (WSAEMSGSIZE)', fn: 'WSPRecvFrom', failValue: SOCKET_ERROR,
      setup: () => {
        const { net, server, client } = pair();
        const u = udp(server, UDP_SERVER);
        ok((e) => client.WSPSendTo(udp(client, UDP_CLIENT), [{ len: 100, buf: new Uint8Array(100) }], 1, { value: 0 }, 0, UDP_SERVER, 16, null, null, null, e));
        net.run();
        return { net, call: (x) => loose(server).WSPRecvFrom!(u, buf(), 1, { value: 0 }, { value: 0 }, null, null, null, null, null, x) };
      },
    },
    {
      name: 'WSPGetPeerName of an unconnected socket (WSAENOTCONN)', fn: 'WSPGetPeerName', failValue: SOCKET_ERROR,
      setup: () => {
        const { net, server } = pair();
        const s = tcp(server);
        return { net, call: (x) => loose(server).WSPGetPeerName!(s, sockaddrOut(), { value: 16 }, x) };
      },
    },
    {
      name: 'WSPListen on a datagram socket (WSAEOPNOTSUPP)', fn: 'WSPListen', failValue: SOCKET_ERROR,
      setup: () => {
        const { net, server } = pair();
        const u = udp(server, UDP_SERVER);
        return { net, call: (x) => loose(server).WSPListen!(u, 5, x) };
      },
    },
  ];
}

describe('rule 3: never throw, even on a hostile lpErrno', () => {
  test('every WSP* function, on a call that fails, returns SOCKET_ERROR or INVALID_SOCKET without throwing, whatever lpErrno is', () => {
    const calls = failingCalls();
    assert.deepEqual([...new Set(calls.map((c) => c.fn))].sort(), [...PROC_NAMES].sort(), 'every function of the proc table');
    const problems: string[] = [];
    for (const c of calls) {
      for (const errno of HOSTILE_ERRNOS) {
        const { call } = c.setup();
        try {
          const r = call(errno.make());
          if (r !== c.failValue) problems.push(`${c.name}, lpErrno ${errno.name}: returned ${r}`);
        } catch (err) {
          problems.push(`${c.name}, lpErrno ${errno.name}: threw ${(err as Error).message}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test('given a hostile lpErrno, a call does exactly what it does with a writable one (same return, same state), failing or not', () => {
    // docs/decisions.md: a hostile lpErrno is never written and never makes a function throw; a
    // call that succeeds with a good lpErrno succeeds with it too, one that fails still fails.
    const succeeding: { name: string; setup: () => { net: VirtualNetwork; call: (errno: unknown) => number } }[] = [
      { name: 'WSPSocket', setup: () => { const { net, server } = pair(); return { net, call: (x) => loose(server).WSPSocket!(AF_INET, 1, 0, null, 0, 0, x) }; } },
      {
        name: 'WSPRecv',
        setup: () => {
          const w = streams();
          sendBytes(w.client, w.c, pattern(64, 9));
          w.net.run();
          return { net: w.net, call: (x) => loose(w.server).WSPRecv!(w.a, [{ len: 100, buf: new Uint8Array(100) }], 1, { value: 0 }, { value: 0 }, null, null, null, x) };
        },
      },
      {
        name: 'WSPSend',
        setup: () => {
          const w = streams();
          return { net: w.net, call: (x) => loose(w.client).WSPSend!(w.c, [{ len: 10, buf: new Uint8Array(10) }], 1, { value: 0 }, 0, null, null, null, x) };
        },
      },
      {
        name: 'WSPAccept',
        setup: () => {
          const { net, server, client } = pair();
          const l = listener(server, SERVER, 5);
          assert.equal(connect(client, tcp(client), SERVER).ret, 0);
          return { net, call: (x) => loose(server).WSPAccept!(l, sockaddrOut(), { value: 16 }, null, 0, x) };
        },
      },
      { name: 'WSPCloseSocket', setup: () => { const { net, server } = pair(); const s = tcp(server); return { net, call: (x) => loose(server).WSPCloseSocket!(s, x) }; } },
      {
        name: 'WSPEnumNetworkEvents',
        setup: () => {
          const { net, server, client } = pair();
          const l = listener(server, SERVER, 5);
          ok((e) => server.WSPEventSelect(l, new WSAEvent(), FD_ACCEPT, e));
          startConnect(client, SERVER);
          net.run();
          return { net, call: (x) => loose(server).WSPEnumNetworkEvents!(l, null, { lNetworkEvents: 0, iErrorCode: [] }, x) };
        },
      },
      {
        name: 'WSPIoctl(FIONBIO)',
        setup: () => {
          const { net, server } = pair();
          const s = tcp(server);
          return { net, call: (x) => loose(server).WSPIoctl!(s, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, x) };
        },
      },
      {
        name: 'WSPCleanup',
        setup: () => {
          const { net, server } = pair();
          assert.equal(server.WSPStartup(0x0202, {}, null, null, {}), 0);
          tcp(server);
          return { net, call: (x) => loose(server).WSPCleanup!(x) };
        },
      },
    ];
    const all = [...succeeding.map((c) => ({ ...c, expectSuccess: true })), ...failingCalls().map((c) => ({ ...c, expectSuccess: false }))];
    for (const c of all) {
      const twin = c.setup();
      const good = { value: 0 };
      const expected = twin.call(good);
      const failed = 'failValue' in c ? expected === c.failValue : expected === SOCKET_ERROR || expected === INVALID_SOCKET;
      assert.equal(!failed, c.expectSuccess, `${c.name} with a good lpErrno`);
      const want = snapshotHosts(twin.net.hosts);
      for (const errno of HOSTILE_ERRNOS) {
        const world = c.setup();
        const x = errno.make();
        let r: number | undefined;
        assert.doesNotThrow(() => { r = world.call(x); }, `${c.name}, lpErrno ${errno.name}`);
        assert.equal(r, expected, `${c.name}, lpErrno ${errno.name}: the same return as with a good lpErrno`);
        assertUnchanged(want, snapshotHosts(world.net.hosts), `${c.name}, lpErrno ${errno.name}: the same effect as with a good lpErrno`);
      }
    }
  });
});

// ---- rule 5 ---------------------------------------------------------------------------------

/** Values SO_ERROR may be set to that must not change what a broken connection reports. */
const FAKE_SO_ERRORS = [0, 1234, -1, 0x7fffffff, WSAEWOULDBLOCK];

/** What the four transfer calls report on a socket: [return, code] each. */
function transferOutcomes(p: ServiceProvider, s: number): Record<string, [number, number]> {
  const b = () => [{ len: 8, buf: new Uint8Array(8) }];
  const pairOf = (r: { ret: number; err: number }): [number, number] => [r.ret, r.err];
  return {
    WSPRecv: pairOf(attempt((e) => p.WSPRecv(s, b(), 1, { value: 0 }, { value: 0 }, null, null, null, e))),
    WSPSend: pairOf(attempt((e) => p.WSPSend(s, b(), 1, { value: 0 }, 0, null, null, null, e))),
    WSPRecvFrom: pairOf(attempt((e) => p.WSPRecvFrom(s, b(), 1, { value: 0 }, { value: 0 }, null, null, null, null, null, e))),
    WSPSendTo: pairOf(attempt((e) => p.WSPSendTo(s, b(), 1, { value: 0 }, 0, null, 0, null, null, null, e))),
  };
}

/** A connection this side aborted: a receive shutdown with unread data (Windows resets it). */
function abortedStreams() {
  const w = streams();
  sendBytes(w.client, w.c, pattern(10, 1));
  w.net.run();
  ok((e) => w.server.WSPShutdown(w.a, SD_RECEIVE, e));
  return w;
}

/** FD_CLOSE as WSPEnumNetworkEvents and WSPAsyncSelect report it: [lNetworkEvents, iErrorCode, posted lParam]. */
function closeReports(w: ReturnType<typeof streams>): [number, number, number | undefined] {
  const ev = new WSAEvent();
  ok((e) => w.server.WSPEventSelect(w.a, ev, FD_CLOSE, e));
  const ne = { lNetworkEvents: 0, iErrorCode: [] as number[] };
  ok((e) => w.server.WSPEnumNetworkEvents(w.a, ev, ne, e));
  const posted: number[] = [];
  assert.equal(w.server.WSPStartup(0x0202, {}, null, { lpWPUPostMessage: (_h: unknown, _m: number, _w: number, l: number) => posted.push(l) > 0 }, {}), 0);
  ok((e) => w.server.WSPAsyncSelect(w.a, HWND, WM, FD_CLOSE, e));
  return [ne.lNetworkEvents, ne.iErrorCode[FD_CLOSE_BIT]!, posted[0]];
}

const isWsaCode = (code: number) => errorName(code)?.startsWith('WSAE') === true;

describe('rule 5: options cannot fake results (SO_ERROR)', () => {
  test('SO_ERROR stores any int: set 1234 succeeds and getsockopt returns it (Wine\'s test_set_getsockopt)', () => {
    const { server } = pair();
    const s = tcp(server);
    assert.deepEqual(setInt(server, s, SOL_SOCKET, SO_ERROR, 1234), { ret: 0, err: 0 });
    assert.equal(getInt(server, s, SOL_SOCKET, SO_ERROR), 1234);
    assert.deepEqual(setInt(server, s, SOL_SOCKET, SO_ERROR, 0), { ret: 0, err: 0 });
    assert.equal(getInt(server, s, SOL_SOCKET, SO_ERROR), 0);
  });

  test('getsockopt(SO_ERROR) with no set: 0 after a reset (Windows reports it through the calls), the real code after a refused connect', () => {
    const r = resetStreams();
    assert.equal(getInt(r.server, r.a, SOL_SOCKET, SO_ERROR), 0, "Wine's test_tcp_reset: SO_ERROR reads 0 after the reset");
    const w = abortedStreams();
    assert.equal(errorName(getInt(w.server, w.a, SOL_SOCKET, SO_ERROR)), 'WSAECONNABORTED');
    const { net, client } = pair();
    const c = startConnect(client, NOBODY);
    net.run();
    assert.equal(errorName(getInt(client, c, SOL_SOCKET, SO_ERROR)), 'WSAECONNREFUSED');
  });

  test('a reset connection: WSPRecv, WSPSend, WSPRecvFrom and WSPSendTo still fail with WSAECONNRESET whatever SO_ERROR was set to', () => {
    const baseline = (() => { const w = resetStreams(); return transferOutcomes(w.server, w.a); })();
    for (const [fn, [ret, err]] of Object.entries(baseline)) {
      assert.deepEqual([ret, errorName(err)], [SOCKET_ERROR, 'WSAECONNRESET'], `${fn}, SO_ERROR never set`);
    }
    for (const v of FAKE_SO_ERRORS) {
      const w = resetStreams();
      assert.equal(setInt(w.server, w.a, SOL_SOCKET, SO_ERROR, v).ret, 0);
      assert.equal(getInt(w.server, w.a, SOL_SOCKET, SO_ERROR), v, 'getsockopt returns what was set');
      assert.deepEqual(transferOutcomes(w.server, w.a), baseline, `after SO_ERROR = ${v}`);
    }
  });

  test('a connection this side aborted still reports what it reported before SO_ERROR was set (WSAECONNABORTED on send)', () => {
    const baseline = (() => { const w = abortedStreams(); return transferOutcomes(w.server, w.a); })();
    assert.deepEqual([baseline.WSPSend![0], errorName(baseline.WSPSend![1])], [SOCKET_ERROR, 'WSAECONNABORTED']);
    for (const v of FAKE_SO_ERRORS) {
      const w = abortedStreams();
      assert.equal(setInt(w.server, w.a, SOL_SOCKET, SO_ERROR, v).ret, 0);
      assert.deepEqual(transferOutcomes(w.server, w.a), baseline, `after SO_ERROR = ${v}`);
    }
  });

  test('a refused non-blocking connect is still reported as WSAECONNREFUSED (FD_CONNECT, exceptfds, getsockopt) although SO_ERROR was set', () => {
    for (const v of FAKE_SO_ERRORS) {
      const { net, client } = pair();
      const ev = new WSAEvent();
      const c = startConnect(client, NOBODY);
      ok((e) => client.WSPEventSelect(c, ev, FD_CONNECT, e));
      assert.equal(setInt(client, c, SOL_SOCKET, SO_ERROR, v).ret, 0, 'set while connecting');
      net.run();
      assert.equal(getInt(client, c, SOL_SOCKET, SO_ERROR), WSAECONNREFUSED, `the refusal replaces SO_ERROR = ${v}`);
      assert.equal(setInt(client, c, SOL_SOCKET, SO_ERROR, v).ret, 0, 'set after the refusal');
      const ne = { lNetworkEvents: 0, iErrorCode: [] as number[] };
      ok((e) => client.WSPEnumNetworkEvents(c, null, ne, e));
      assert.equal(ne.lNetworkEvents & FD_CONNECT, FD_CONNECT);
      assert.equal(errorName(ne.iErrorCode[FD_CONNECT_BIT]!), 'WSAECONNREFUSED', `FD_CONNECT after SO_ERROR = ${v}`);
      const x = { fd_count: 1, fd_array: [c] };
      assert.equal(ok((e) => client.WSPSelect(0, null, null, x, { tv_sec: 0, tv_usec: 0 }, e)), 1, 'exceptfds reports the failed connect');
    }
  });

  test('FD_CLOSE error codes (WSPEnumNetworkEvents and WSPAsyncSelect) are the same real WSAE code whatever SO_ERROR was set to', () => {
    for (const [kind, make] of [['reset by the peer', resetStreams], ['aborted here', abortedStreams]] as const) {
      const baseline = closeReports(make());
      assert.equal(baseline[0], FD_CLOSE, `${kind}: FD_CLOSE recorded`);
      assert.ok(isWsaCode(baseline[1]), `${kind}: FD_CLOSE's code ${baseline[1]} is a WSAE code`);
      assert.equal(baseline[2], (FD_CLOSE | (baseline[1] << 16)) >>> 0, `${kind}: the posted message carries the same code`);
      for (const v of FAKE_SO_ERRORS) {
        const w = make();
        assert.equal(setInt(w.server, w.a, SOL_SOCKET, SO_ERROR, v).ret, 0);
        assert.deepEqual(closeReports(w), baseline, `${kind}, after SO_ERROR = ${v}`);
      }
    }
  });

  test('SO_ERROR set on a healthy connection does not make its calls fail', () => {
    const w = streams();
    assert.equal(setInt(w.server, w.a, SOL_SOCKET, SO_ERROR, 1234).ret, 0);
    const data = pattern(50, 3);
    sendBytes(w.client, w.c, data);
    w.net.run();
    assert.deepEqual(recvNow(w.server, w.a), data);
    assert.equal(sendBytes(w.server, w.a, data), 50);
  });
});

// ---- rule 6 ---------------------------------------------------------------------------------

/** Event objects WSPEventSelect cannot use. */
function unusableEvents(): HostileValue[] {
  const hostile = () => { throw new Error('hostile'); };
  return [
    { name: 'a Proxy that throws on every trap', make: () => proxyAllThrow(new WSAEvent()) },
    { name: 'a Proxy of a WSAEvent whose set trap throws', make: () => new Proxy(new WSAEvent(), { set: hostile }) },
    { name: 'a Proxy of a WSAEvent whose get trap throws', make: () => new Proxy(new WSAEvent(), { get: hostile }) },
    { name: 'a frozen WSAEvent', make: () => Object.freeze(new WSAEvent()) },
    { name: 'a WSAEvent whose signaled getter throws', make: () => Object.defineProperty(new WSAEvent(), 'signaled', { get: hostile, set: hostile }) },
    { name: 'a WSAEvent whose signaled is getter-only', make: () => Object.defineProperty(new WSAEvent(), 'signaled', { get: () => false }) },
    { name: 'an object with a throwing getter', make: () => Object.defineProperty({}, 'signaled', { get: hostile }) },
    { name: 'a number', make: () => 7 },
    { name: 'a string', make: () => 'event' },
  ];
}

describe('rule 6: only documented codes', () => {
  test('WSPEventSelect with an unusable event object: WSAEINVAL, the earlier association kept, later deliveries do not throw', () => {
    const problems: string[] = [];
    for (const bad of unusableEvents()) {
      collect(problems, bad.name, () => {
        for (const earlier of [false, true]) {
          const { net, server, client } = pair();
          const l = listener(server, SERVER, 5);
          const good = new WSAEvent();
          if (earlier) ok((e) => server.WSPEventSelect(l, good, FD_ACCEPT, e));
          const label = `${bad.name}${earlier ? ' (after a good WSPEventSelect)' : ''}`;
          failsChangingNothing(net, (e) => loose(server).WSPEventSelect!(l, bad.make(), FD_ACCEPT | FD_CLOSE, e), SOCKET_ERROR, label, WSAEINVAL);
          startConnect(client, SERVER);
          assert.doesNotThrow(() => net.run(), label);
          if (earlier) assert.equal(good.signaled, true, `${label}: the earlier association still signals`);
          assertLive(server, ok((e) => server.WSPAccept(l, null, null, null, 0, e)), label);
        }
      });
    }
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPEnumNetworkEvents with an unusable hEventObject: WSAEINVAL, the record kept', () => {
    const problems: string[] = [];
    for (const bad of unusableEvents()) {
      collect(problems, bad.name, () => {
        const { net, server, client } = pair();
        const l = listener(server, SERVER, 5);
        const ev = new WSAEvent();
        ok((e) => server.WSPEventSelect(l, ev, FD_ACCEPT, e));
        startConnect(client, SERVER);
        net.run();
        failsChangingNothing(net, (e) => loose(server).WSPEnumNetworkEvents!(l, bad.make(), { lNetworkEvents: 0, iErrorCode: [] }, e), SOCKET_ERROR, bad.name, WSAEINVAL);
        const ne = { lNetworkEvents: 0, iErrorCode: [] as number[] };
        ok((e) => server.WSPEnumNetworkEvents(l, ev, ne, e));
        assert.equal(ne.lNetworkEvents, FD_ACCEPT, `${bad.name}: the record survived`);
      });
    }
    assert.deepEqual(problems, [], 'every variant');
  });

  test('an event object whose onSet hook throws cannot unwind the network or fail a call after its effect', () => {
    const w = streams();
    const ev = new WSAEvent();
    ok((e) => w.server.WSPEventSelect(w.a, ev, FD_READ | FD_CLOSE, e));
    ev.onSet = () => { throw new Error('hostile onSet'); };
    const data = pattern(100, 4);
    sendBytes(w.client, w.c, data);
    assert.doesNotThrow(() => w.net.run(), 'delivering FD_READ');
    ev.reset();
    const more = pattern(100, 5);
    sendBytes(w.client, w.c, more);
    w.net.run();
    // WSPRecv re-enables FD_READ, which records it again and signals: that must not fail the receive.
    const buf = new Uint8Array(100);
    const count = { value: 0 };
    let r = { ret: 0, err: 0 };
    assert.doesNotThrow(() => { r = attempt((e) => w.server.WSPRecv(w.a, [{ len: 100, buf }], 1, count, { value: 0 }, null, null, null, e)); });
    assert.deepEqual(r, { ret: 0, err: 0 });
    assert.deepEqual(buf, data);
    assert.deepEqual(recvNow(w.server, w.a), more);
  });

  test('WSPAsyncSelect after a hostile upcall table: a documented code or success, and later deliveries do not throw', () => {
    const problems: string[] = [];
    const hostile = () => { throw new Error('hostile'); };
    const tables: HostileValue[] = [
      { name: 'lpWPUPostMessage a getter that throws', make: () => Object.defineProperty({}, 'lpWPUPostMessage', { get: hostile, enumerable: true }) },
      { name: 'lpWPUPostMessage not a function', make: () => ({ lpWPUPostMessage: 42 }) },
      { name: 'lpWPUPostMessage a function that throws', make: () => ({ lpWPUPostMessage: hostile }) },
      { name: 'lpWPUPostMessage a Proxy of a function that throws on every trap', make: () => ({ lpWPUPostMessage: proxyAllThrow(() => true) }) },
      { name: 'a table that throws on every trap', make: () => proxyAllThrow({}) },
      { name: 'a frozen table', make: () => Object.freeze({ lpWPUPostMessage: () => true }) },
    ];
    for (const t of tables) {
      collect(problems, t.name, () => {
        const { net, server, client } = pair();
        let started = -1;
        assert.doesNotThrow(() => { started = server.WSPStartup(0x0202, {}, null, t.make() as E.WSPUPCALLTABLE, {}); }, t.name);
        assert.ok(started === 0 || startupCodes.includes(started), `${t.name}: WSPStartup returned ${errorName(started) ?? started}`);
        const l = listener(server, SERVER, 5);
        let r = { ret: 0, err: 0 };
        assert.doesNotThrow(() => { r = attempt((e) => server.WSPAsyncSelect(l, HWND, WM, FD_ACCEPT | FD_READ | FD_CLOSE, e)); }, t.name);
        if (r.ret !== 0) {
          assert.equal(r.ret, SOCKET_ERROR);
          assert.ok(documented.WSPAsyncSelect!.includes(r.err), `${t.name}: WSPAsyncSelect failed with undocumented ${errorName(r.err) ?? r.err}`);
        }
        const c = tcp(client);
        assert.doesNotThrow(() => { connect(client, c, SERVER); net.run(); }, t.name);
          const a = ok((e) => server.WSPAccept(l, null, null, null, 0, e));
        assertLive(server, a, t.name);
        assert.doesNotThrow(() => { sendBytes(client, c, pattern(10, 1)); net.run(); }, t.name);
        assert.equal(recvNow(server, a).length, 10, t.name);
      });
    }
    assert.deepEqual(problems, [], 'every variant');
  });

  test('WSPSend and WSPSendTo on an IPv6 UDP socket of an IPv4-only host: a documented code of each function', () => {
    const net = new VirtualNetwork();
    net.addHost({ addresses: ['10.0.0.1', 'fd00::1'] });
    const p = net.addHost({ addresses: ['10.0.0.2'] }).provider;
    const u = ok((e) => p.WSPSocket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
    const target = v6('fd00::1', 53);
    const c = attempt((e) => p.WSPConnect(u, target, 28, null, null, null, null, e));
    if (c.ret !== 0) assert.ok(documented.WSPConnect!.includes(c.err), `WSPConnect: undocumented ${errorName(c.err)}`);
    const b = () => [{ len: 4, buf: new Uint8Array(4) }];
    const s = attempt((e) => p.WSPSend(u, b(), 1, { value: 0 }, 0, null, null, null, e));
    if (s.ret !== 0) assert.ok(documented.WSPSend!.includes(s.err), `WSPSend failed with undocumented ${errorName(s.err) ?? s.err}`);
    const t = attempt((e) => p.WSPSendTo(ok((x) => p.WSPSocket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, x)), b(), 1, { value: 0 }, 0, target, 28, null, null, null, e));
    if (t.ret !== 0) assert.ok(documented.WSPSendTo!.includes(t.err), `WSPSendTo failed with undocumented ${errorName(t.err) ?? t.err}`);
  });

  test('a WSPSendTo that finds no route fails changing nothing: an unbound socket is not bound implicitly', () => {
    const net = new VirtualNetwork();
    net.addHost({ addresses: ['10.0.0.1', 'fd00::1'] });
    const p = net.addHost({ addresses: ['10.0.0.2'] }).provider;
    const u = ok((e) => p.WSPSocket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
    failsChangingNothing(net, (e) => p.WSPSendTo(u, [{ len: 4, buf: new Uint8Array(4) }], 1, { value: 0 }, 0, v6('fd00::1', 53), 28, null, null, null, e),
      SOCKET_ERROR, 'IPv6 WSPSendTo on an IPv4-only host', E.WSAENETUNREACH);
    assert.equal(p.inspect(u)!.local, null);
  });

  test('SOCK_RAW WSPSend and WSPSendTo: a documented code of each function (not an internal error as WSAEFAULT), and a failure changes nothing', () => {
    const { net, client } = pair();
    const raw = attempt((e) => client.WSPSocket(AF_INET, SOCK_RAW, IPPROTO_UDP, null, 0, 0, e));
    if (raw.ret === INVALID_SOCKET) {
      assert.ok(documented.WSPSocket!.includes(raw.err));
      return;
    }
    const b = () => [{ len: 4, buf: new Uint8Array(4) }];
    const check = (fn: string, call: (e: LPINT) => number): void => {
      const before = snapshotHosts(net.hosts);
      const r = attempt(call);
      if (r.ret === 0) return;
      assert.equal(r.ret, SOCKET_ERROR);
      assert.ok(documented[fn]!.includes(r.err), `${fn}: undocumented ${errorName(r.err) ?? r.err}`);
      assert.notEqual(errorName(r.err), 'WSAEFAULT', `${fn}: every argument is valid, yet WSAEFAULT`);
      assertUnchanged(before, snapshotHosts(net.hosts), `${fn}: a failed raw send changed state`);
    };
    check('WSPSendTo', (e) => client.WSPSendTo(raw.ret, b(), 1, { value: 0 }, 0, v4('10.0.0.1', 9), 16, null, null, null, e));
    const raw2 = ok((e) => client.WSPSocket(AF_INET, SOCK_RAW, IPPROTO_UDP, null, 0, 0, e));
    const c = attempt((e) => client.WSPConnect(raw2, v4('10.0.0.1', 9), 16, null, null, null, null, e));
    if (c.ret !== 0) assert.ok(documented.WSPConnect!.includes(c.err));
    check('WSPSend', (e) => client.WSPSend(raw2, b(), 1, { value: 0 }, 0, null, null, null, e));
  });

  test('WSPSelect with a time-out no C timeval can hold (tv_sec or tv_usec beyond a 32-bit long): WSAEINVAL, virtual time does not jump', () => {
    const problems: string[] = [];
    for (const timeout of [{ tv_sec: 2 ** 31, tv_usec: 0 }, { tv_sec: 2 ** 53, tv_usec: 0 }, { tv_sec: 0, tv_usec: 2 ** 40 }]) {
      collect(problems, JSON.stringify(timeout), () => {
        const { net, server } = pair();
        const u = udp(server, UDP_SERVER);
        failsChangingNothing(net, (e) => server.WSPSelect(0, { fd_count: 1, fd_array: [u] }, null, null, timeout, e), SOCKET_ERROR,
          `tv_sec ${timeout.tv_sec}, tv_usec ${timeout.tv_usec}`, WSAEINVAL);
        assert.equal(net.now(), 0, 'no time passed');
      });
    }
    assert.deepEqual(problems, [], 'every variant');
  });
});

// ---- rule 6: every WSP* function on junk arguments ------------------------------------------

const hostileFn = (): never => { throw new Error('hostile'); };
const named = (name: string, make: () => unknown): HostileValue => ({ name, make });

/** Junk of every kind: primitives, huge and negative numbers, hostile objects, near-misses of each C type. */
const JUNK: readonly HostileValue[] = [
  named('undefined', () => undefined), named('null', () => null),
  ...[0, -1, 1, 2, 3, 4, 16, 28, -16, 255, 0x7fffffff, 0xffffffff, 2 ** 32, 2 ** 53, -(2 ** 31), -(2 ** 53), NaN, Infinity, -Infinity, 1.5, -0]
    .map((n) => named(`${Object.is(n, -0) ? '-0' : n}`, () => n)),
  named('10n', () => 10n), named("'x'", () => 'x'), named("''", () => ''), named("'10.0.0.1'", () => '10.0.0.1'),
  named('a symbol', () => Symbol('junk')), named('true', () => true), named('false', () => false),
  named('{}', () => ({})), named('[]', () => []), named('frozen {}', () => Object.freeze({})),
  ...unwritableInts(0).map((v) => named(`{ value } ${v.name}`, v.make)),
  named('Proxy that throws on every trap', () => proxyAllThrow({})),
  named('Proxy of an array that throws on every trap', () => proxyAllThrow([])),
  named('Proxy of a function that throws on every trap', () => proxyAllThrow(() => 0)),
  named('() => 0', () => () => 0), named('a function that throws', () => hostileFn), named('async () => 0', () => async () => 0),
  named('{ valueOf, toString } that throw', () => ({ valueOf: hostileFn, toString: hostileFn })),
  named('{ [Symbol.toPrimitive] } that throws', () => ({ [Symbol.toPrimitive]: hostileFn })),
  named('Uint8Array(0)', () => new Uint8Array(0)), named('Uint8Array(3)', () => new Uint8Array(3)),
  named('Uint8Array(64)', () => new Uint8Array(64)), named('frozen Uint8Array(0)', () => Object.freeze(new Uint8Array(0))),
  named('bytes whose writes throw', () => unwritableBytes(28)), named('Uint16Array(8)', () => new Uint16Array(8)),
  named('ArrayBuffer(16)', () => new ArrayBuffer(16)), named('DataView(16)', () => new DataView(new ArrayBuffer(16))),
  named('[{ len: 1, buf: Uint8Array(0) }]', () => [{ len: 1, buf: new Uint8Array(0) }]),
  named('[{ len: -1, buf }]', () => [{ len: -1, buf: new Uint8Array(4) }]),
  named('[{ len: 2**32, buf }]', () => [{ len: 2 ** 32, buf: new Uint8Array(4) }]),
  named('[{ len: 1.5, buf }]', () => [{ len: 1.5, buf: new Uint8Array(4) }]),
  named('[null]', () => [null]), named('[Proxy that throws]', () => [proxyAllThrow({})]),
  named('[{ len: 4, buf: bytes whose writes throw }]', () => [{ len: 4, buf: unwritableBytes(4) }]),
  named('[{ len getter that throws }]', () => [Object.defineProperty({ buf: new Uint8Array(4) }, 'len', { get: hostileFn })]),
  named('sparse Array(3)', () => new Array(3)),
  named('{ fd_count: 1, fd_array: [] }', () => ({ fd_count: 1, fd_array: [] })),
  named('{ fd_count: -1 }', () => ({ fd_count: -1, fd_array: [] })),
  named('{ fd_count: 2**31 }', () => ({ fd_count: 2 ** 31, fd_array: [1] })),
  named('{ fd_array: [Proxy] }', () => ({ fd_count: 1, fd_array: [proxyAllThrow({})] })),
  named('frozen empty fd_set', () => Object.freeze({ fd_count: 0, fd_array: Object.freeze([]) })),
  named('{ tv_sec: -1 }', () => ({ tv_sec: -1, tv_usec: 0 })), named('{ tv_sec: 2**53 }', () => ({ tv_sec: 2 ** 53, tv_usec: 0 })),
  named('{ tv_sec: NaN }', () => ({ tv_sec: NaN, tv_usec: 0 })), named('{ tv_usec: 1.5 }', () => ({ tv_sec: 0, tv_usec: 1.5 })),
  named("{ family: 2, address: 'x' }", () => ({ family: AF_INET, address: 'x', port: 1 })),
  named('{ port: 70000 }', () => ({ family: AF_INET, address: '10.0.0.1', port: 70000 })),
  named('{ family: 999 }', () => ({ family: 999, address: '', port: 0 })),
  named('{ family: AF_INET6, address: IPv4 }', () => ({ family: AF_INET6, address: '10.0.0.1', port: 1 })),
  ...UNWRITABLE_SOCKADDRS.slice(0, 6).map((v) => named(`sockaddr ${v.name}`, v.make)),
  named('WSANETWORKEVENTS frozen', () => Object.freeze({ lNetworkEvents: 0, iErrorCode: [] })),
  named('WSANETWORKEVENTS lNetworkEvents getter-only', () => Object.defineProperty({ iErrorCode: [] }, 'lNetworkEvents', { get: () => 0 })),
  named('a frozen WSAEvent', () => Object.freeze(new WSAEvent())), named('a Proxy of a WSAEvent that throws', () => proxyAllThrow(new WSAEvent())),
  named('frozen WSABUF', () => Object.freeze({ len: 16, buf: new Uint8Array(16) })),
  named('WSABUF Proxy whose get trap throws', () => new Proxy({ len: 16, buf: new Uint8Array(16) }, { get: hostileFn })),
  named('WSAPROTOCOL_INFOW getters that throw', () => Object.defineProperty({}, 'iAddressFamily', { get: hostileFn })),
];

/** Failures documented to have an effect: they are not required to leave the state alone. */
function effectfulFailure(fn: string, code: number, type: number | undefined): boolean {
  switch (fn) {
    // A connect that was attempted: started (non-blocking), or refused or abandoned after an implicit bind.
    case 'WSPConnect': return [WSAEWOULDBLOCK, WSAECONNREFUSED, E.WSAETIMEDOUT, E.WSAEHOSTUNREACH, E.WSAEINTR].includes(code);
    // CF_REJECT resets the connection; a queued connection the peer reset is dropped as it is reported.
    case 'WSPAccept': return code === WSAECONNREFUSED || code === WSAECONNRESET;
    // A truncated datagram is consumed; a pending ICMP port unreachable is reported once.
    case 'WSPRecv': case 'WSPRecvFrom': return code === E.WSAEMSGSIZE || (code === WSAECONNRESET && type === SOCK_DGRAM);
    // A wait for an operation that never completes runs the network before it gives up.
    case 'WSPGetOverlappedResult': return code === E.WSA_IO_INCOMPLETE;
    default: return false;
  }
}

/** The FD_* event a function re-enables ("even one that fails", WSPEventSelect's page). */
const REENABLES: Record<string, number> = {
  WSPAccept: FD_ACCEPT, WSPRecv: FD_READ, WSPRecvFrom: FD_READ, WSPSend: E.FD_WRITE, WSPSendTo: E.FD_WRITE, WSPConnect: FD_CONNECT,
};

interface JunkWorld {
  net: VirtualNetwork;
  hosts: VirtualHost[];
  /** `host:socket:lParam` of every message posted through WPUPostMessage. */
  posted: string[];
  events: WSAEvent[];
}

const fixture = fc.record({
  seed: fc.nat(1000),
  queued: fc.integer({ min: 1, max: 4 }),
  held: fc.nat(2),
  unread: fc.constantFrom(0, 1, 300, 5000),
  datagrams: fc.nat(3),
  reset: fc.boolean(),
  peerClosed: fc.boolean(),
  icmp: fc.boolean(),
  nonBlocking: fc.nat(0xffff),
  selects: fc.nat(7),
  /**
   * WSPStartup calls per host: with 0, WSPCleanup fails (and WSPAsyncSelect has no upcall); with 1,
   * the first successful WSPCleanup closes everything and later ones fail.
   */
  startups: fc.integer({ min: 0, max: 3 }),
});

/** Two hosts with sockets in many states: listeners with queued and held connections, data, resets, datagrams, selections. */
function buildWorld(f: typeof fixture extends fc.Arbitrary<infer T> ? T : never): JunkWorld {
  const net = new VirtualNetwork({ seed: f.seed, timeWaitMs: 500 });
  const A = net.addHost({ addresses: ['10.0.0.1', 'fd00::1'], maxSockets: 200 });
  const B = net.addHost({ addresses: ['10.0.0.2'], maxSockets: 200 });
  const posted: string[] = [];
  [A, B].forEach((h, i) => {
    const upcalls = { lpWPUPostMessage: (_h: unknown, _m: number, w: number, l: number) => posted.push(`${i}:${w}:${l}`) > 0 };
    for (let k = 0; k < f.startups; k++) assert.equal(h.provider.WSPStartup(0x0202, {}, null, upcalls, {}), 0);
  });
  const a = A.provider;
  const b = B.provider;
  const events = [new WSAEvent(), new WSAEvent()];
  const L = listener(a, SERVER, 4);
  for (let i = 0; i < f.queued; i++) assert.equal(connect(b, tcp(b), SERVER).ret, 0);
  const LC = listener(a, v4('10.0.0.1', 81), 4);
  assert.equal(setInt(a, LC, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, 1).ret, 0);
  for (let i = 0; i < f.held; i++) startConnect(b, v4('10.0.0.1', 81));
  const L2 = listener(a, v4('10.0.0.1', 82), 4);
  const c1 = tcp(b);
  assert.equal(connect(b, c1, v4('10.0.0.1', 82)).ret, 0);
  const a1 = ok((e) => a.WSPAccept(L2, null, null, null, 0, e));
  const c2 = tcp(b);
  assert.equal(connect(b, c2, v4('10.0.0.1', 82)).ret, 0);
  ok((e) => a.WSPAccept(L2, null, null, null, 0, e));
  if (f.unread > 0) sendBytes(b, c1, pattern(f.unread, 1));
  sendBytes(a, a1, pattern(100, 2));
  if (f.reset) {
    ok((e) => b.WSPSetSockOpt(c2, SOL_SOCKET, SO_LINGER, new Uint8Array([1, 0, 0, 0]), 4, e));
    ok((e) => b.WSPCloseSocket(c2, e));
  } else if (f.peerClosed) {
    ok((e) => b.WSPShutdown(c2, E.SD_SEND, e));
  }
  const L6 = listener(a, v6('fd00::1', 83), 2);
  assert.equal(connect(a, tcp(a, AF_INET6), v6('fd00::1', 83)).ret, 0);
  ok((e) => a.WSPAccept(L6, null, null, null, 0, e));
  udp(a, v4('10.0.0.1', 53));
  const uB = udp(b, v4('10.0.0.2', 53));
  for (let i = 0; i < f.datagrams; i++) {
    ok((e) => b.WSPSendTo(uB, [{ len: 10 + i * 700, buf: pattern(10 + i * 700, i) }], 1, { value: 0 }, 0, v4('10.0.0.1', 53), 16, null, null, null, e));
  }
  if (f.icmp) ok((e) => b.WSPSendTo(uB, [{ len: 5, buf: new Uint8Array(5) }], 1, { value: 0 }, 0, v4('10.0.0.1', 9), 16, null, null, null, e));
  udp(a, v6('fd00::1', 53));
  attempt((e) => a.WSPSocket(AF_INET, SOCK_RAW, IPPROTO_UDP, null, 0, 0, e));
  tcp(a);
  bind(a, tcp(a), v4('10.0.0.1', 90));
  tcp(b);
  if (f.selects & 1) ok((e) => a.WSPEventSelect(L, events[0]!, FD_ACCEPT | FD_CLOSE, e));
  if (f.selects & 2 && f.startups > 0) ok((e) => a.WSPAsyncSelect(a1, HWND, WM, FD_READ | E.FD_WRITE | FD_CLOSE, e));
  if (f.selects & 4) ok((e) => b.WSPEventSelect(uB, events[1]!, FD_READ | E.FD_WRITE, e));
  let bit = 0;
  for (const h of [A, B]) {
    for (const s of h.provider.core.handles()) {
      if (f.nonBlocking & (1 << (bit++ % 16))) {
        const on = new Uint8Array([1, 0, 0, 0]);
        h.provider.WSPIoctl(s, FIONBIO, on, 4, null, 0, { value: 0 }, null, null, null, { value: 0 });
      }
    }
  }
  net.run();
  net.advance(1000);
  return { net, hosts: [A, B], posted, events };
}

const GETOPTS = [
  [SOL_SOCKET, SO_ERROR], [SOL_SOCKET, E.SO_TYPE], [SOL_SOCKET, SO_LINGER], [SOL_SOCKET, SO_RCVBUF], [SOL_SOCKET, E.SO_ACCEPTCONN],
  [E.IPPROTO_TCP, E.TCP_NODELAY], [SOL_SOCKET, E.SO_MAX_MSG_SIZE],
] as const;
const SETOPTS = [
  [SOL_SOCKET, E.SO_REUSEADDR, 1], [SOL_SOCKET, SO_ERROR, 1234], [SOL_SOCKET, SO_LINGER, 1 | (1 << 16)], [SOL_SOCKET, SO_LINGER, 1],
  [SOL_SOCKET, E.SO_RCVTIMEO, 200], [SOL_SOCKET, E.SO_SNDBUF, 0], [SOL_SOCKET, SO_RCVBUF, 4096], [E.IPPROTO_TCP, E.TCP_NODELAY, 1],
  [SOL_SOCKET, SO_CONDITIONAL_ACCEPT, 1], [SOL_SOCKET, E.SO_BROADCAST, 1],
] as const;
const IOCTLS = [FIONBIO, FIONREAD, E.SIOCATMARK, SIO_UDP_CONNRESET];

interface Ctx {
  p: ServiceProvider;
  host: number;
  s: number;
  af: number;
  world: JunkWorld;
  v(i: number): number;
}

const addrLen = (af: number) => (af === AF_INET6 ? 28 : 16);
function tcpTarget(c: Ctx): SockAddr {
  if (c.af === AF_INET6) return v6('fd00::1', 83);
  return [SERVER, v4('10.0.0.1', 99), v4('10.0.0.2', 99), v4('10.0.0.1', 81)][c.v(1) % 4]!;
}
function udpTarget(c: Ctx): SockAddr {
  if (c.af === AF_INET6) return v6('fd00::1', 53);
  return [v4('10.0.0.1', 53), v4('10.0.0.2', 53), v4('10.0.0.1', 9)][c.v(5) % 3]!;
}
function bindTarget(c: Ctx): SockAddr {
  const own = c.af === AF_INET6 ? (c.host === 0 ? 'fd00::1' : '::') : `10.0.0.${c.host + 1}`;
  const address = c.v(1) % 2 === 0 ? own : c.af === AF_INET6 ? '::' : '0.0.0.0';
  return { family: c.af, address, port: [0, 0, 7000 + (c.v(2) % 3)][c.v(2) % 3]! };
}
const buffersOf = (n: number) => [{ len: n, buf: new Uint8Array(n) }];

/** Valid arguments (before lpErrno) of each function; `v(i)` varies argument i. */
const VALID: Record<(typeof PROC_NAMES)[number], (c: Ctx) => unknown[]> = {
  WSPAccept: (c) => [
    c.s, [null, sockaddrOut(), new Uint8Array(28)][c.v(1) % 3], { value: 28 },
    [null, null, () => CF_ACCEPT, () => CF_ACCEPT, () => E.CF_DEFER, () => CF_REJECT][c.v(3) % 6], 0,
  ],
  WSPAsyncSelect: (c) => [c.s, HWND, WM, [E.FD_ALL_EVENTS, FD_READ | FD_CLOSE, 0, FD_ACCEPT][c.v(3) % 4]],
  WSPBind: (c) => [c.s, bindTarget(c), addrLen(c.af)],
  WSPCleanup: () => [],
  WSPCloseSocket: (c) => [c.s],
  WSPDuplicateSocket: (c) => [c.s, [c.p.GetCurrentProcessId(), 0, 4][c.v(1) % 3], { ...c.p.protocols()[0]! }],
  WSPConnect: (c) => [c.s, tcpTarget(c), addrLen(c.af), null, c.v(4) % 2 ? null : { len: 16, buf: new Uint8Array(16) }, null, null],
  WSPEnumNetworkEvents: (c) => [c.s, c.v(1) % 2 ? null : c.world.events[c.host], { lNetworkEvents: 0, iErrorCode: [] }],
  WSPEventSelect: (c) => [c.s, c.world.events[c.host], [E.FD_ALL_EVENTS, FD_READ | FD_ACCEPT, 0][c.v(2) % 3]],
  WSPGetPeerName: (c) => [c.s, c.v(1) % 2 ? sockaddrOut() : new Uint8Array(28), { value: 28 }],
  WSPGetSockName: (c) => [c.s, c.v(1) % 2 ? sockaddrOut() : new Uint8Array(28), { value: 28 }],
  WSPGetSockOpt: (c) => {
    const [level, name] = GETOPTS[c.v(1) % GETOPTS.length]!;
    return [c.s, level, name, new Uint8Array(4), { value: 4 }];
  },
  WSPIoctl: (c) => [c.s, IOCTLS[c.v(1) % IOCTLS.length], new Uint8Array([c.v(2) & 1, 0, 0, 0]), 4, new Uint8Array(4), 4, { value: 0 }, null, null, null],
  WSPListen: (c) => [c.s, [1, 5, 200][c.v(1) % 3]],
  WSPRecv: (c) => [c.s, buffersOf([1, 100, 2000][c.v(1) % 3]!), 1, { value: 0 }, { value: c.v(4) % 3 === 0 ? E.MSG_PEEK : 0 }, null, null, null],
  WSPRecvFrom: (c) => [
    c.s, buffersOf([1, 100, 2000][c.v(1) % 3]!), 1, { value: 0 }, { value: c.v(4) % 3 === 0 ? E.MSG_PEEK : 0 },
    c.v(5) % 3 === 0 ? null : sockaddrOut(), { value: 28 }, null, null, null,
  ],
  WSPSelect: (c) => {
    const hs = c.p.core.handles();
    const some = hs.filter((_, i) => (i + c.v(1)) % 3 !== 0);
    const set = () => ({ fd_count: some.length + 1, fd_array: [c.s, ...some] });
    return [0, set(), c.v(2) % 2 ? set() : null, set(), c.v(4) % 3 === 0 ? null : { tv_sec: 0, tv_usec: (c.v(4) % 3) * 1000 }];
  },
  WSPSend: (c) => [c.s, buffersOf([1, 500, 70000][c.v(1) % 3]!), 1, { value: 0 }, 0, null, null, null],
  WSPSendTo: (c) => [c.s, buffersOf([1, 500, 2000][c.v(1) % 3]!), 1, { value: 0 }, 0, udpTarget(c), addrLen(c.af), null, null, null],
  WSPSetSockOpt: (c) => {
    const [level, name, value] = SETOPTS[c.v(1) % SETOPTS.length]!;
    const buf = new Uint8Array(4);
    new DataView(buf.buffer).setInt32(0, value, true);
    return [c.s, level, name, buf, 4];
  },
  WSPShutdown: (c) => [c.s, c.v(1) % 3],
  WSPSocket: (c) => [[AF_INET, AF_INET6][c.v(0) % 2], [1, 2, 3][c.v(1) % 3], 0, null, 0, 0],
  WSPAddressToString: (c) => [
    [v4('10.0.0.1', 80), v4('10.0.0.2', 0), { family: AF_INET6, address: 'fe80::1', port: 8080, scopeId: 4 }, E.encodeSockAddr(v6('fd00::1', 83))][c.v(0) % 4],
    [16, 28, 8][c.v(1) % 3], c.p.protocols()[c.v(2) % 4], { value: '' }, { value: [64, 0, 8][c.v(4) % 3] },
  ],
  WSPStringToAddress: (c) => [
    ['10.0.0.1:80', '1.2', '[fe80::1%4]:8080', '::1', '127.127.127.127:0', 'a'][c.v(0) % 6], [AF_INET, AF_INET6, E.AF_UNSPEC][c.v(1) % 3],
    c.p.protocols()[c.v(2) % 4], c.v(3) % 2 ? sockaddrOut() : new Uint8Array(28), { value: [28, 16, 0][c.v(4) % 3] },
  ],
  WSPCancelBlockingCall: () => [],
  WSPGetOverlappedResult: (c) => [c.s, freshOverlapped(c.v(1) % 2 ? 0 : 0x103), { value: 0 }, false, { value: 0 }],
  WSPGetQOSByName: (c) => [c.s, { len: 8, buf: new Uint8Array(8) }, null],
  WSPJoinLeaf: (c) => [c.s, udpTarget(c), addrLen(c.af), null, null, null, null, [1, 2, 4][c.v(7) % 3]],
  WSPRecvDisconnect: (c) => [c.s, c.v(1) % 3 === 0 ? { len: 8, buf: new Uint8Array(8) } : null],
  WSPSendDisconnect: (c) => [c.s, c.v(1) % 3 === 0 ? { len: 8, buf: new Uint8Array(8) } : null],
};

/** A socket a function can do something with (accept: a listener with a queue; recv: a connected socket…). */
function suits(fn: string, info: E.SocketInfo): boolean {
  switch (fn) {
    case 'WSPAccept': return (info.listen?.queueLength ?? 0) > 0;
    case 'WSPRecv': case 'WSPRecvFrom': case 'WSPSend': case 'WSPSendTo': case 'WSPShutdown': case 'WSPGetPeerName':
    case 'WSPRecvDisconnect': case 'WSPSendDisconnect':
      return info.phase === 'connected' || (info.type === SOCK_DGRAM && info.local !== null);
    case 'WSPConnect': case 'WSPBind': case 'WSPListen': return info.phase === 'open' || info.phase === 'bound';
    case 'WSPEnumNetworkEvents': return true;
    default: return true;
  }
}

/** Functions whose first argument is no socket of theirs: "deep" (past the handle check) does not apply. */
const NO_SOCKET_ARG: readonly string[] = ['WSPSocket', 'WSPSelect', 'WSPCancelBlockingCall', 'WSPAddressToString', 'WSPStringToAddress'];

/** Call weights: the functions with the most paths (and the effects a failure must not have) more often. */
const WEIGHTS: Partial<Record<string, number>> = { WSPDuplicateSocket: 2, WSPCleanup: 2, WSPCloseSocket: 2, WSPAccept: 6, WSPRecv: 5, WSPRecvFrom: 4, WSPSend: 4, WSPSendTo: 4 };
const WEIGHTED_NAMES: readonly string[] = PROC_NAMES.flatMap((n) => Array<string>(WEIGHTS[n] ?? 3).fill(n));

const junkCall = fc.record({
  fn: fc.constantFrom(...WEIGHTED_NAMES),
  host: fc.nat(1),
  pick: fc.nat(63),
  /** 0–2: every argument valid; 3–6: exactly one junk argument; 7–9: each argument junk with probability 1/3. */
  mode: fc.nat(9),
  junkAt: fc.nat(11),
  junk: fc.array(fc.nat(JUNK.length - 1), { minLength: 12, maxLength: 12 }),
  variant: fc.array(fc.nat(11), { minLength: 12, maxLength: 12 }),
  errno: fc.oneof({ weight: 14, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(HOSTILE_ERRNOS.length - 1) }),
});

/** How much the runs did: so that a generator that stops reaching the interesting paths fails. */
const reached = {
  failed: Object.fromEntries(PROC_NAMES.map((n) => [n, 0])) as Record<string, number>,
  compared: Object.fromEntries(PROC_NAMES.map((n) => [n, 0])) as Record<string, number>,
  /** Failed on a live socket for another reason than WSAENOTSOCK (got past the handle check). */
  deep: Object.fromEntries(PROC_NAMES.map((n) => [n, 0])) as Record<string, number>,
  accepted: 0,
  received: 0,
  hostileErrno: 0,
  /** `function code` → count, for the report when a threshold is missed. */
  codes: {} as Record<string, number>,
};

function describeArg(junk: HostileValue | null, value: unknown): string {
  if (junk !== null) return `junk ${junk.name}`;
  try {
    return JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? `Uint8Array(${v.length})` : typeof v === 'function' ? 'fn' : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

describe('rule 6: every WSP* function on junk arguments', () => {
  test('no throw, well-formed returns, documented codes only, and a failed call changes nothing (property)', (t) => {
    fc.assert(
      fc.property(fixture, fc.array(junkCall, { minLength: 10, maxLength: 40 }), (f, calls) => {
        const world = buildWorld(f);
        const { net, hosts } = world;
        for (const [step, call] of calls.entries()) {
          const hostIndex = call.host;
          const p = hosts[hostIndex]!.provider;
          // Most calls go to a socket in a state where the function can act; a quarter to any socket.
          const live = p.core.handles();
          const suited = call.pick % 4 === 0 ? live : live.filter((x) => suits(call.fn, p.inspect(x)!));
          const from = suited.length > 0 ? suited : live;
          const s = from.length > 0 ? from[call.pick % from.length]! : 4242;
          const info = p.inspect(s);
          const ctx: Ctx = { p, host: hostIndex, s, af: info?.af ?? AF_INET, world, v: (i) => call.variant[i]! };
          const args = VALID[call.fn as (typeof PROC_NAMES)[number]](ctx);
          const junkUsed: (HostileValue | null)[] = args.map((_, i) => {
            const junky = call.mode <= 2 ? false : call.mode <= 6 ? i === call.junkAt % args.length : call.junk[i]! % 3 === 0;
            return junky ? JUNK[call.junk[i]!]! : null;
          });
          const finalArgs = args.map((v, i) => (junkUsed[i] === null ? v : junkUsed[i]!.make()));
          const hostile = call.errno === null ? null : HOSTILE_ERRNOS[call.errno]!;
          const e = { value: 0 };
          const errno = hostile === null ? e : hostile.make();
          const label = `step ${step}: host ${hostIndex} ${call.fn}(${finalArgs.map((v, i) => describeArg(junkUsed[i]!, v)).join(', ')}, lpErrno ${hostile?.name ?? '{ value }'})`;

          const before = snapshotHosts(hosts);
          const postedBefore = world.posted.length;
          let r: unknown;
          try {
            r = (p as unknown as Loose)[call.fn]!(...finalArgs, errno);
          } catch (err) {
            assert.fail(`${label} threw: ${(err as Error)?.message ?? String(err)}`);
          }
          assert.equal(typeof r, 'number', label);
          const returnsHandle = call.fn === 'WSPSocket' || call.fn === 'WSPAccept' || call.fn === 'WSPJoinLeaf';
          const failValue = failValueOf(call.fn);
          const failed = r === failValue;
          if (hostile !== null) reached.hostileErrno++;
          if (!failed) {
            if (returnsHandle) {
              assert.ok((r as number) > 0 && (r as number) % 4 === 0, `${label}: returned ${String(r)}`);
              assertLive(p, r as number, label);
              if (call.fn === 'WSPAccept') reached.accepted++;
            } else if (failValue === 0) {
              assert.equal(r, 1, `${label}: a BOOL function returns TRUE on success`);
            } else if (call.fn === 'WSPSelect') {
              assert.ok(Number.isInteger(r) && (r as number) >= 0, `${label}: returned ${String(r)}`);
            } else {
              assert.equal(r, 0, label);
            }
            if ((call.fn === 'WSPRecv' || call.fn === 'WSPRecvFrom') && junkUsed[3] === null && (finalArgs[3] as LPINT).value > 0) reached.received++;
          } else {
            reached.failed[call.fn]!++;
            if (hostile === null) {
              const key = `${call.fn} ${errorName(e.value) ?? e.value}`;
              reached.codes[key] = (reached.codes[key] ?? 0) + 1;
              assert.ok(documented[call.fn]!.includes(e.value), `${label}: failed with undocumented ${errorName(e.value) ?? e.value}`);
              if (info !== undefined && junkUsed[0] === null && e.value !== E.WSAENOTSOCK) reached.deep[call.fn]!++;
              if (!effectfulFailure(call.fn, e.value, info?.type)) {
                reached.compared[call.fn]!++;
                const bit = REENABLES[call.fn];
                const allow = bit === undefined ? undefined : new Map([[s, bit]]);
                const why = `${label} failed with ${errorName(e.value)} and changed state`;
                assertUnchanged(before, snapshotHosts(hosts), why, allow, hostIndex);
                try {
                  net.run();
                } catch (err) {
                  assert.fail(`${label}: the network threw afterwards: ${(err as Error)?.message}`);
                }
                assertUnchanged(before, snapshotHosts(hosts), `${why} (seen once the network ran)`, allow, hostIndex);
                const fresh = world.posted.slice(postedBefore);
                for (const m of fresh) {
                  const [h, w, l] = m.split(':').map(Number);
                  assert.ok(bit !== undefined && h === hostIndex && w === s && ((l! & 0xffff) === bit), `${why}: posted ${m}`);
                }
              }
            }
          }
          for (const h of hosts) checkAccounting(h.provider, label);
          try {
            net.run();
            net.advance(1000);
          } catch (err) {
            assert.fail(`${label}: the network threw afterwards: ${(err as Error)?.message}`);
          }
        }
        // Everything closes and nothing is left held.
        for (const h of hosts) {
          assert.equal(h.provider.WSPStartup(0x0202, {}, null, null, {}), 0); // sockets may have been made after a last WSPCleanup
          while (h.provider.WSPCleanup({ value: 0 }) === 0);
        }
        net.run();
        net.advance(1000);
        for (const h of hosts) {
          assert.equal(h.provider.core.handles().length, 0, 'handles');
          assert.equal(h.provider.core.descriptorsInUse, 0, 'descriptors');
          assert.equal(h.provider.core.bytesInUse, 0, 'budget bytes');
          assert.equal(h.provider.core.portsHeld, 0, 'ports');
          assert.equal(h.net.tcp.connectionCount, 0, 'TCBs');
        }
      }),
      { numRuns: 240, seed: 20261313, includeErrorInReport: true },
    );
    // WSPCleanup fails only once every WSPStartup is undone, WSPCloseSocket on a live socket only
    // for a lingering non-blocking close: fewer of their failures are required.
    const rare = (n: string) => n === 'WSPCleanup' || n === 'WSPCloseSocket';
    const short = PROC_NAMES.filter((n) => reached.failed[n]! < (rare(n) ? 10 : 40) || reached.compared[n]! < (rare(n) ? 10 : 25)
      || (!rare(n) && !NO_SOCKET_ARG.includes(n) && reached.deep[n]! < 15));
    assert.deepEqual(short, [], `functions the junk calls did not reach enough: ${JSON.stringify(reached)}`);
    assert.ok(reached.accepted >= 20 && reached.received >= 30 && reached.hostileErrno >= 100, JSON.stringify(reached));
    const { codes: _codes, ...counts } = reached;
    t.diagnostic(JSON.stringify(counts));
  });
});
