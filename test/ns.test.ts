/**
 * Name resolution: the virtual network's DNS (records added and removed at run time, answers in
 * virtual time, injected failures mapped to Windows' codes), the resolver functions on it, the
 * namespace providers, and the host network's localhost and numeric cases (never a real name).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, AF_INET6, AF_UNSPEC, AI_CANONNAME, AI_PASSIVE, AI_V4MAPPED, AI_ALL, IPPROTO_TCP, LUP_RETURN_ADDR, LUP_RETURN_NAME, NI_NAMEREQD,
  NI_NUMERICHOST, NS_DNS, NamespaceProvider, SOCK_STREAM, SOCKET_ERROR, SVCID_INET_HOSTADDRBYNAME, SVCID_INET_HOSTADDRBYINETSTRING, VIRTUAL_NSP_ID,
  VirtualNameSource, VirtualNetwork, WSAEFAULT, WSAEINVALIDPROVIDER, WSAEOPNOTSUPP, WSAEWOULDBLOCK, WSAHOST_NOT_FOUND, WSALookupService,
  WSANO_DATA, WSANO_RECOVERY, WSATRY_AGAIN, WSA_E_NO_MORE, WSA_INVALID_HANDLE, decodeSockAddr, emptyQuerySet, encodeSockAddr, virtualResolver,
  type ADDRINFOW, type NSP_ROUTINE, type Out, type WSAQUERYSETW,
} from '../src/index.js';
import { hostResolver } from '../src/host/index.js';
import { DNS_SERVER_IPV4, IPPROTO_UDP, SOCK_DGRAM } from '../src/index.js';
import { DNS_TYPE_A, parseDnsMessage } from '../src/wire/dns.js';

/** The addresses (text:port) of a result list, in order. */
function addresses(list: ADDRINFOW | null): string[] {
  const out: string[] = [];
  for (let p = list; p !== null; p = p.ai_next) {
    const a = decodeSockAddr(p.ai_addr)!;
    out.push(`${a.address}:${a.port}`);
  }
  return out;
}

/** Virtual time since `t0`, in whole microseconds. */
const since = (net: VirtualNetwork, t0: number): number => Math.round((net.now() - t0) * 1000);
/** The query's and the answer's trips between the client and the DNS server (0.1 ms each way, the default latency). */
const ROUND_TRIP_US = 200;

function world(options: { clientV6?: boolean } = {}) {
  const net = new VirtualNetwork({ seed: 7 });
  const client = net.addHost({ name: 'client', addresses: options.clientV6 === false ? ['10.0.0.1'] : ['10.0.0.1', 'fd00::1'] });
  const server = net.addHost({ name: 'server', addresses: ['10.0.0.2', 'fd00::2'] });
  const r = virtualResolver(client, net.dns);
  return { net, client, server, r };
}

describe('virtual DNS: a host is found by the name addHost gave it', () => {
  test('getaddrinfo("server", "80") answers its addresses, IPv6 first, after the DNS latency in virtual time', () => {
    const { net, r } = world();
    const out: Out<ADDRINFOW | null> = { value: null };
    const t0 = net.now();
    assert.equal(r.getaddrinfo('server', '80', null, out), 0);
    assert.deepEqual(addresses(out.value), ['fd00::2:80', '10.0.0.2:80']);
    assert.equal(since(net, t0), net.dns.latencyMs * 1000 + ROUND_TRIP_US, 'the answer took the server\'s latency and one round trip');
    assert.equal(r.lastError, 0);
  });

  test('names are case-insensitive and a trailing dot is allowed; AI_CANONNAME gives the registered name', () => {
    const { r } = world();
    const out: Out<ADDRINFOW | null> = { value: null };
    assert.equal(r.GetAddrInfoW('SERVER.', null, { ai_family: AF_INET, ai_flags: AI_CANONNAME }, out), 0);
    assert.equal(out.value!.ai_canonname, 'server');
    assert.deepEqual(addresses(out.value), ['10.0.0.2:0']);
  });
});

describe('virtual DNS: records added and removed at run time', () => {
  test('dns.add then dns.remove: the name resolves, then WSAHOST_NOT_FOUND', () => {
    const { net, r } = world();
    const out: Out<ADDRINFOW | null> = { value: null };
    assert.equal(r.getaddrinfo('api.example.test', null, { ai_family: AF_INET }, out), WSAHOST_NOT_FOUND);
    net.dns.add('api.example.test', ['192.0.2.10', '192.0.2.11']);
    assert.equal(r.getaddrinfo('api.example.test', null, { ai_family: AF_INET }, out), 0);
    assert.deepEqual(addresses(out.value), ['192.0.2.10:0', '192.0.2.11:0']);
    assert.equal(net.dns.remove('api.example.test', '192.0.2.10'), true);
    assert.equal(r.getaddrinfo('api.example.test', null, { ai_family: AF_INET }, out), 0);
    assert.deepEqual(addresses(out.value), ['192.0.2.11:0']);
    assert.equal(net.dns.remove('api.example.test'), true);
    assert.equal(r.getaddrinfo('api.example.test', null, { ai_family: AF_INET }, out), WSAHOST_NOT_FOUND);
    assert.equal(out.value, null);
    assert.equal(r.lastError, WSAHOST_NOT_FOUND);
  });

  test('a record changed while a query is in flight: the answer is the zone at its due time', async () => {
    const { net, r } = world();
    net.dns.delay('moving.test', 50);
    net.dns.add('moving.test', '192.0.2.1');
    const pending = r.GetAddrInfoWAsync('moving.test', null, { ai_family: AF_INET });
    net.advance(10);
    net.dns.remove('moving.test', '192.0.2.1');
    net.dns.add('moving.test', '192.0.2.2');
    net.run();
    const { error, result } = await pending;
    assert.equal(error, 0);
    assert.deepEqual(addresses(result), ['192.0.2.2:0']);
  });

  test('a name that exists with no address of the family asked: WSANO_DATA', () => {
    const { net, r } = world();
    net.dns.add('v6only.test', 'fd00::99');
    const out: Out<ADDRINFOW | null> = { value: null };
    assert.equal(r.getaddrinfo('v6only.test', null, { ai_family: AF_INET }, out), WSANO_DATA);
    assert.equal(r.gethostbyname('v6only.test'), null);
    assert.equal(r.lastError, WSANO_DATA);
  });
});

describe('virtual DNS: answers in virtual time, per-name delays', () => {
  test('dns.delay(name, 250): the blocking call returns 250 ms of virtual time later; others keep the default', () => {
    const { net, r } = world();
    net.dns.add('slow.test', '192.0.2.5');
    net.dns.delay('slow.test', 250);
    const out: Out<ADDRINFOW | null> = { value: null };
    let t0 = net.now();
    assert.equal(r.getaddrinfo('slow.test', null, null, out), 0);
    assert.equal(since(net, t0), 250_000 + ROUND_TRIP_US);
    t0 = net.now();
    assert.equal(r.getaddrinfo('server', null, null, out), 0);
    assert.equal(since(net, t0), 1000 + ROUND_TRIP_US);
    net.dns.delay('slow.test', undefined);
    t0 = net.now();
    assert.equal(r.getaddrinfo('slow.test', null, null, out), 0);
    assert.equal(since(net, t0), 1000 + ROUND_TRIP_US);
  });

  test('the async form settles only when the simulation reaches the answer time', async () => {
    const { net, r } = world();
    net.dns.latencyMs = 20;
    let settled = false;
    const p = r.GetAddrInfoWAsync('server', '443', { ai_family: AF_INET }).then((v) => { settled = true; return v; });
    net.advance(20.1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'no answer before 20 ms and the round trip');
    net.advance(0.1);
    const { error, result } = await p;
    assert.equal(error, 0);
    assert.deepEqual(addresses(result), ['10.0.0.2:443']);
  });
});

describe('virtual DNS: injected failures map to Windows codes', () => {
  const cases = [
    ['NXDOMAIN', WSAHOST_NOT_FOUND],
    ['SERVFAIL', WSATRY_AGAIN],
    ['REFUSED', WSANO_RECOVERY],
  ] as const;
  for (const [failure, code] of cases) {
    test(`dns.fail(name, '${failure}') → getaddrinfo and gethostbyname give ${code}`, () => {
      const { net, r } = world();
      net.dns.fail('server', failure);
      const out: Out<ADDRINFOW | null> = { value: null };
      assert.equal(r.getaddrinfo('server', null, null, out), code);
      assert.equal(out.value, null);
      assert.equal(r.lastError, code);
      assert.equal(r.gethostbyname('server'), null);
      assert.equal(r.lastError, code);
      net.dns.fail('server', undefined);
      assert.equal(r.getaddrinfo('server', null, null, out), 0);
    });
  }

  test("dns.fail(name, 'timeout'): WSATRY_AGAIN after the resolver's timeout in virtual time", () => {
    const { net, r } = world();
    net.dns.fail('server', 'timeout');
    net.dns.timeoutMs = 4000;
    const t0 = net.now();
    const out: Out<ADDRINFOW | null> = { value: null };
    assert.equal(r.getaddrinfo('server', null, null, out), WSATRY_AGAIN);
    assert.equal(since(net, t0), 4_000_000);
    // Two questions (AAAA, A), each sent at 0, 1 s and 3 s (retransmissions doubling): 6 unanswered.
    assert.equal(net.dns.stats.timedOut, 6);
  });
});

describe('resolver rules on the virtual network', () => {
  test('a client without an IPv6 address gets no IPv6 answer; AF_INET6 gives WSANO_DATA (protocol.c, kernel.org rows)', () => {
    const { r } = world({ clientV6: false });
    const out: Out<ADDRINFOW | null> = { value: null };
    assert.equal(r.getaddrinfo('server', null, { ai_family: AF_UNSPEC }, out), 0);
    assert.deepEqual(addresses(out.value), ['10.0.0.2:0']);
    assert.equal(r.getaddrinfo('server', null, { ai_family: AF_INET6 }, out), WSANO_DATA);
  });

  test('AF_INET6 with AI_V4MAPPED | AI_ALL adds the IPv4 addresses as ::ffff:a.b.c.d', () => {
    const { r } = world();
    const out: Out<ADDRINFOW | null> = { value: null };
    assert.equal(r.getaddrinfo('server', null, { ai_family: AF_INET6, ai_flags: AI_V4MAPPED | AI_ALL }, out), 0);
    assert.deepEqual(addresses(out.value), ['fd00::2:0', '::ffff:10.0.0.2:0']);
  });

  test('"" and the host name give the host\'s own addresses; NULL with AI_PASSIVE gives the wildcards', () => {
    const { r } = world();
    const out: Out<ADDRINFOW | null> = { value: null };
    assert.equal(r.getaddrinfo('', null, null, out), 0);
    assert.deepEqual(addresses(out.value), ['fd00::1:0', '10.0.0.1:0']);
    assert.equal(r.getaddrinfo('client', null, null, out), 0);
    assert.deepEqual(addresses(out.value), ['fd00::1:0', '10.0.0.1:0']);
    assert.equal(r.getaddrinfo(null, '8080', { ai_flags: AI_PASSIVE, ai_socktype: SOCK_STREAM }, out), 0);
    assert.deepEqual(addresses(out.value), [':::8080', '0.0.0.0:8080']);
    assert.equal(out.value!.ai_socktype, SOCK_STREAM);
  });

  test('gethostbyname answers IPv4 only, gethostname copies the name with its NUL', () => {
    const { r } = world();
    const he = r.gethostbyname('server')!;
    assert.equal(he.h_addrtype, AF_INET);
    assert.deepEqual(he.h_addr_list.map((b) => [...b].join('.')), ['10.0.0.2']);
    const buf = new Uint8Array(16);
    assert.equal(r.gethostname(buf, buf.length), 0);
    assert.equal(new TextDecoder().decode(buf.subarray(0, 6)), 'client');
    assert.equal(buf[6], 0);
  });

  test('getnameinfo: reverse lookup in the DNS; NI_NAMEREQD fails for an unknown address, else numeric', () => {
    const { net, r } = world();
    const host: Out<string> = { value: '' };
    const serv: Out<string> = { value: '' };
    const sa = encodeSockAddr({ family: AF_INET, address: '10.0.0.2', port: 80 });
    assert.equal(r.getnameinfo(sa, sa.length, host, 1025, serv, 32, 0), 0);
    assert.deepEqual([host.value, serv.value], ['server', 'http']);
    const unknown = encodeSockAddr({ family: AF_INET, address: '192.0.2.77', port: 4242 });
    assert.equal(r.getnameinfo(unknown, unknown.length, host, 1025, serv, 32, 0), 0);
    assert.deepEqual([host.value, serv.value], ['192.0.2.77', '4242']);
    assert.equal(r.getnameinfo(unknown, unknown.length, host, 1025, null, 0, NI_NAMEREQD), WSAHOST_NOT_FOUND);
    assert.equal(r.getnameinfo(sa, sa.length, host, 1025, null, 0, NI_NUMERICHOST), 0);
    assert.equal(host.value, '10.0.0.2');
    assert.ok(net.dns.stats.reverse >= 2);
  });
});

describe('namespace providers (ws2spi.h NSP side)', () => {
  function nsp() {
    const { net, client } = world();
    const provider = new NamespaceProvider(new VirtualNameSource(client, net.dns));
    const table: Out<NSP_ROUTINE | null> = { value: null };
    return { net, provider, table };
  }

  test('NSPStartup fills the routine table; another provider id is WSAEINVALIDPROVIDER; unsupported calls are WSAEOPNOTSUPP', () => {
    const { provider, table } = nsp();
    assert.equal(provider.NSPStartup('00000000-0000-0000-0000-000000000000', table), SOCKET_ERROR);
    assert.equal(provider.lastError, WSAEINVALIDPROVIDER);
    assert.equal(provider.NSPStartup(VIRTUAL_NSP_ID, null), SOCKET_ERROR);
    assert.equal(provider.lastError, WSAEFAULT);
    assert.equal(provider.NSPStartup(VIRTUAL_NSP_ID, table), 0);
    const t = table.value!;
    assert.equal(t.cbSize, 88);
    assert.equal(t.NSPSetService(VIRTUAL_NSP_ID, null, null, 0, 0), SOCKET_ERROR);
    assert.equal(provider.lastError, WSAEOPNOTSUPP);
    assert.equal(t.NSPIoctl(0, 0, null, 0, null, 0, { value: 0 }, null, null), SOCKET_ERROR);
    assert.equal(provider.lastError, WSAEOPNOTSUPP);
  });

  test('NSPLookupServiceBegin/Next/End: one result set with the addresses, then WSA_E_NO_MORE; a small buffer gets WSAEFAULT and the size', () => {
    const { provider, table } = nsp();
    assert.equal(provider.NSPStartup(VIRTUAL_NSP_ID, table), 0);
    const t = table.value!;
    const qs = emptyQuerySet();
    qs.dwNameSpace = NS_DNS;
    qs.lpServiceClassId = SVCID_INET_HOSTADDRBYNAME;
    qs.lpszServiceInstanceName = 'server';
    const h: Out<number> = { value: 0 };
    assert.equal(t.NSPLookupServiceBegin(VIRTUAL_NSP_ID, qs, null, LUP_RETURN_NAME | LUP_RETURN_ADDR, h), 0);
    const len: Out<number> = { value: 10 };
    const res: Out<WSAQUERYSETW | null> = { value: null };
    assert.equal(t.NSPLookupServiceNext(h.value, 0, len, res), SOCKET_ERROR);
    assert.equal(provider.lastError, WSAEFAULT);
    assert.ok(len.value > 120);
    assert.equal(res.value, null, 'nothing written on failure');
    assert.equal(t.NSPLookupServiceNext(h.value, 0, len, res), 0);
    assert.equal(res.value!.lpszServiceInstanceName, 'server');
    assert.deepEqual(res.value!.lpcsaBuffer!.map((c) => decodeSockAddr(c.RemoteAddr.lpSockaddr)!.address), ['fd00::2', '10.0.0.2']);
    assert.equal(res.value!.lpcsaBuffer![0]!.iProtocol, IPPROTO_TCP);
    assert.equal(t.NSPLookupServiceNext(h.value, 0, len, res), SOCKET_ERROR);
    assert.equal(provider.lastError, WSA_E_NO_MORE);
    assert.equal(t.NSPLookupServiceEnd(h.value), 0);
    assert.equal(t.NSPLookupServiceEnd(h.value), SOCKET_ERROR);
    assert.equal(provider.lastError, WSA_INVALID_HANDLE);
  });

  test('NSPLookupServiceBegin for an unknown name fails there with WSAHOST_NOT_FOUND; reverse by address string works', () => {
    const { provider, table } = nsp();
    provider.NSPStartup(VIRTUAL_NSP_ID, table);
    const t = table.value!;
    const qs = emptyQuerySet();
    qs.lpServiceClassId = SVCID_INET_HOSTADDRBYNAME;
    qs.lpszServiceInstanceName = 'nobody.test';
    const h: Out<number> = { value: 0 };
    assert.equal(t.NSPLookupServiceBegin(VIRTUAL_NSP_ID, qs, null, LUP_RETURN_NAME, h), SOCKET_ERROR);
    assert.equal(provider.lastError, WSAHOST_NOT_FOUND);
    qs.lpServiceClassId = SVCID_INET_HOSTADDRBYINETSTRING;
    qs.lpszServiceInstanceName = '10.0.0.2';
    assert.equal(t.NSPLookupServiceBegin(VIRTUAL_NSP_ID, qs, null, LUP_RETURN_NAME, h), 0);
    const res: Out<WSAQUERYSETW | null> = { value: null };
    assert.equal(t.NSPLookupServiceNext(h.value, 0, { value: 4096 }, res), 0);
    assert.equal(res.value!.lpszServiceInstanceName, 'server');
  });

  test('WSALookupServiceBeginW/NextW/End route to the installed NSP (test_WSALookupService rows)', () => {
    const { net, client } = world();
    const ws = new WSALookupService({ sources: [new VirtualNameSource(client, net.dns)] });
    const h: Out<number> = { value: 0xdead };
    assert.equal(ws.WSALookupServiceBeginW(null, 0, h), SOCKET_ERROR);
    assert.equal(ws.lastError, WSAEFAULT);
    const qs = emptyQuerySet();
    assert.equal(ws.WSALookupServiceBeginW(qs, 0, null), SOCKET_ERROR);
    assert.equal(ws.lastError, WSAEFAULT);
    qs.lpServiceClassId = SVCID_INET_HOSTADDRBYNAME;
    qs.lpszServiceInstanceName = 'server';
    assert.equal(ws.WSALookupServiceBeginW(qs, LUP_RETURN_ADDR, h), 0);
    const res: Out<WSAQUERYSETW | null> = { value: null };
    assert.equal(ws.WSALookupServiceNextW(h.value, 0, { value: 4096 }, res), 0);
    assert.equal(res.value!.dwNumberOfCsAddrs, 2);
    assert.equal(ws.WSALookupServiceNextW(h.value, 0, { value: 4096 }, res), SOCKET_ERROR);
    assert.equal(ws.lastError, WSA_E_NO_MORE);
    assert.equal(ws.WSALookupServiceEnd(h.value), 0);
    assert.equal(ws.WSALookupServiceEnd(0), SOCKET_ERROR);
    assert.equal(ws.lastError, 6 /* ERROR_INVALID_HANDLE */);
  });
});

describe('host network: localhost and numeric names only (never a real name)', () => {
  test('getaddrinfo("localhost") answers ::1 and 127.0.0.1 without node:dns; "127.0.0.1" is numeric', () => {
    const r = hostResolver();
    const out: Out<ADDRINFOW | null> = { value: null };
    assert.equal(r.getaddrinfo('localhost', '80', null, out), 0);
    assert.deepEqual(addresses(out.value), ['::1:80', '127.0.0.1:80']);
    assert.equal(r.getaddrinfo('127.0.0.1', null, { ai_family: AF_INET }, out), 0);
    assert.deepEqual(addresses(out.value), ['127.0.0.1:0']);
    assert.equal(r.gethostbyname('localhost')!.h_addr_list.map((b) => [...b].join('.'))[0], '127.0.0.1');
  });

  test('a name that needs node:dns: the blocking form says WSAEWOULDBLOCK without asking', () => {
    const r = hostResolver();
    const out: Out<ADDRINFOW | null> = { value: null };
    assert.equal(r.getaddrinfo('needs-dns.invalid', null, null, out), WSAEWOULDBLOCK);
    assert.equal(out.value, null);
  });

  test('the async form and getnameinfo on loopback', async () => {
    const r = hostResolver();
    const { error, result } = await r.GetAddrInfoWAsync('localhost', null, { ai_family: AF_INET6 });
    assert.equal(error, 0);
    assert.deepEqual(addresses(result), ['::1:0']);
    const host: Out<string> = { value: '' };
    const sa = encodeSockAddr({ family: AF_INET6, address: '::1', port: 443 });
    assert.equal(await r.GetNameInfoWAsync(sa, sa.length, host, 1025, null, 0, NI_NUMERICHOST), 0);
    assert.equal(host.value, '::1');
  });
});

describe('bad input: no resolver or NSP function throws, whatever it is given', () => {
  const junk: unknown[] = [undefined, null, 0, -1, 1.5, NaN, '', 'x'.repeat(5000), '[', '::ffff:', {}, [], { value: 1 }, new Uint8Array(1),
    new Uint8Array(64).fill(0xff), () => 0, Symbol('s'), 10n];
  test('getaddrinfo, getnameinfo, gethostbyname, gethostname and the lookup-service calls with junk', () => {
    const { net, client, r } = world();
    const ws = new WSALookupService({ sources: [new VirtualNameSource(client, net.dns)] });
    const any = r as unknown as Record<string, (...a: unknown[]) => unknown>;
    const wsAny = ws as unknown as Record<string, (...a: unknown[]) => unknown>;
    let calls = 0;
    for (const a of junk) {
      for (const b of junk.slice(0, 8)) {
        for (const fn of ['getaddrinfo', 'GetAddrInfoW', 'gethostbyname', 'gethostname', 'GetHostNameW', 'FreeAddrInfoW'] as const) {
          assert.doesNotThrow(() => any[fn]!.call(r, a, b, a, b), `${fn}`);
          calls++;
        }
        assert.doesNotThrow(() => any.getnameinfo!.call(r, a, b, a, b, a, b, b));
        for (const fn of ['WSALookupServiceBeginW', 'WSALookupServiceNextW', 'WSALookupServiceEnd'] as const) {
          assert.doesNotThrow(() => wsAny[fn]!.call(ws, a, b, a, b));
        }
      }
    }
    assert.ok(calls > 100);
  });

  test('a call that fails leaves the out-parameter NULL and sets the code it returns', () => {
    const { r } = world();
    const out: Out<ADDRINFOW | null> = { value: null };
    assert.equal(r.getaddrinfo('server', null, { ai_family: 99 }, out), 10047 /* WSAEAFNOSUPPORT */);
    assert.equal(r.lastError, 10047);
    assert.equal(r.getaddrinfo('server', null, { ai_flags: 0x40000000 }, out), 10022 /* WSAEINVAL: unknown flag */);
    assert.equal(r.getaddrinfo(null, '80', { ai_flags: AI_CANONNAME }, out), 10022 /* WSAEINVAL: AI_CANONNAME without a name */);
    assert.equal(out.value, null);
  });
});

describe('host network: the NSP answers localhost without blocking', () => {
  test('WSALookupServiceBeginWAsync for localhost, then NextW', async () => {
    const { HostNameSource } = await import('../src/host/index.js');
    const ws = new WSALookupService({ sources: [new HostNameSource()] });
    const qs = emptyQuerySet();
    qs.lpServiceClassId = SVCID_INET_HOSTADDRBYNAME;
    qs.lpszServiceInstanceName = 'localhost';
    const h: Out<number> = { value: 0 };
    assert.equal(await ws.WSALookupServiceBeginWAsync(qs, LUP_RETURN_ADDR | LUP_RETURN_NAME, h), 0);
    const res: Out<WSAQUERYSETW | null> = { value: null };
    assert.equal(ws.WSALookupServiceNextW(h.value, 0, { value: 4096 }, res), 0);
    assert.equal(decodeSockAddr(res.value!.lpcsaBuffer![0]!.RemoteAddr.lpSockaddr)!.address, '127.0.0.1');
    qs.lpszServiceInstanceName = 'needs-dns.invalid';
    assert.equal(ws.WSALookupServiceBeginW(qs, LUP_RETURN_ADDR, h), SOCKET_ERROR, 'the blocking form cannot wait on the host');
    assert.equal(ws.lastError, WSAEWOULDBLOCK);
    assert.equal(ws.WSALookupServiceEnd(h.value), 0);
  });
});

describe('the DNS is a server on the virtual network: real DNS messages over UDP', () => {
  test('a lookup is a query datagram to port 53 and an answer back, both well-formed DNS (what a capture shows)', () => {
    const { net, r } = world();
    const seen: { from: string; to: string; port: number; m: ReturnType<typeof parseDnsMessage> }[] = [];
    net.net.datagramTaps.add((d) => seen.push({ from: d.srcAddress, to: d.dstAddress, port: d.dstPort, m: parseDnsMessage(d.payload) }));
    const out: Out<ADDRINFOW | null> = { value: null };
    assert.equal(r.getaddrinfo('server', null, { ai_family: AF_INET }, out), 0);
    assert.equal(seen.length, 2);
    assert.deepEqual([seen[0]!.from, seen[0]!.to, seen[0]!.port], ['10.0.0.1', DNS_SERVER_IPV4, 53]);
    assert.deepEqual([seen[0]!.m!.response, seen[0]!.m!.question], [false, { name: 'server', type: DNS_TYPE_A }]);
    assert.equal(seen[1]!.from, DNS_SERVER_IPV4);
    assert.equal(seen[1]!.m!.response, true);
    assert.equal(seen[1]!.m!.id, seen[0]!.m!.id);
    assert.deepEqual(seen[1]!.m!.answers.map((a) => [...a.data].join('.')), ['10.0.0.2']);
  });

  test('malformed datagrams to port 53 are dropped and counted, never answered', () => {
    const { net, client } = world();
    const p = client.provider;
    const e = { value: 0 };
    const s = p.WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e);
    const to = { family: AF_INET, address: DNS_SERVER_IPV4, port: 53 };
    for (const junk of [new Uint8Array(3), new Uint8Array(12).fill(0xff), Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1])]) {
      assert.equal(p.WSPSendTo(s, [{ len: junk.length, buf: junk }], 1, { value: 0 }, 0, to, 16, null, null, null, e), 0);
    }
    let answers = 0;
    net.net.datagramTaps.add((d) => { if (d.srcAddress === DNS_SERVER_IPV4) answers++; });
    net.run();
    assert.equal(net.dns.stats.malformed, 3);
    assert.equal(answers, 0);
    assert.equal(p.WSPCloseSocket(s, e), 0);
  });

  test('the network\'s faults apply: a client cut off from the DNS server gets WSATRY_AGAIN after the time-out', () => {
    const { net, client, r } = world();
    net.net.partition(client.net, net.dns.server);
    net.dns.timeoutMs = 2500;
    const t0 = net.now();
    const out: Out<ADDRINFOW | null> = { value: null };
    assert.equal(r.getaddrinfo('server', null, { ai_family: AF_INET }, out), WSATRY_AGAIN);
    assert.equal(since(net, t0), 2_500_000);
    net.net.repair(client.net, net.dns.server);
    assert.equal(r.getaddrinfo('server', null, { ai_family: AF_INET }, out), 0);
  });

  test('a host with IPv6 only asks the server over IPv6', () => {
    const net = new VirtualNetwork();
    const only6 = net.addHost({ name: 'six', addresses: ['fd00::6'] });
    net.addHost({ name: 'server', addresses: ['10.0.0.2', 'fd00::2'] });
    const to: string[] = [];
    net.net.datagramTaps.add((d) => to.push(d.dstAddress));
    const out: Out<ADDRINFOW | null> = { value: null };
    assert.equal(virtualResolver(only6, net.dns).getaddrinfo('server', null, { ai_family: AF_INET6 }, out), 0);
    assert.deepEqual(addresses(out.value), ['fd00::2:0']);
    assert.equal(to[0], 'fd00:ffff::53');
  });

  test('the same seed and calls give the same packets at the same times (deterministic)', () => {
    const trace = () => {
      const { net, r } = world();
      const log: string[] = [];
      net.net.datagramTaps.add((d, _from, _u, t) => log.push(`${t} ${d.srcAddress}:${d.srcPort}>${d.dstAddress}:${d.dstPort} ${[...d.payload].join(',')}`));
      const out: Out<ADDRINFOW | null> = { value: null };
      r.getaddrinfo('server', '80', null, out);
      r.getaddrinfo('nobody.test', null, null, out);
      return log;
    };
    const a = trace();
    assert.ok(a.length >= 4);
    assert.deepEqual(trace(), a);
  });
});
