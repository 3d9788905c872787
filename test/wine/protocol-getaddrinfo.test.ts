/**
 * Ports of Wine's dlls/ws2_32/tests/protocol.c name-resolution rows (commit 78b7d911):
 * test_getaddrinfo, test_GetAddrInfoW, test_dns, test_gethostbyname(_hack), test_gethostname,
 * test_GetHostNameW, test_WSALookupService and test_getservbyname. On the virtual network every
 * name is one the case registers; on the host network only localhost, numeric hosts and the
 * machine's own name (answered without node:dns). Rows that need the internet (winehq.org,
 * www.kernel.org, IDN names, GetAddrInfoExW) run on the virtual network with names registered
 * there. protocol.c has no getnameinfo rows: test/ns.test.ts covers it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, AF_INET6, AF_UNSPEC, AI_ALL, AI_DNS_ONLY, AI_NUMERICHOST, IPPROTO_TCP, IPPROTO_UDP, SOCK_DGRAM, SOCK_STREAM, SOCKET_ERROR,
  VirtualNameSource, VirtualNetwork, WSAEFAULT, WSAEINVAL, WSAESOCKTNOSUPPORT, WSAHOST_NOT_FOUND, WSALookupService, WSANO_DATA,
  WSATYPE_NOT_FOUND, decodeSockAddr, emptyQuerySet, virtualResolver, NameResolver, LUP_RETURN_ALL, LUP_DEEP,
  type ADDRINFOW, type ADDRINFOW_HINTS, type Out,
} from '../../src/index.js';
import { HostNameSource, hostResolver } from '../../src/host/index.js';

const IPPROTO_IPV6 = 41;
const DEADBEEF = 0xdeadbeef;

/** One network a case runs on, with a resolver for a program on it. */
interface NameWorld {
  readonly kind: 'virtual' | 'host';
  readonly r: NameResolver;
  readonly net: VirtualNetwork | undefined;
}

function virtualNames(options: { v6?: boolean } = {}): NameWorld {
  const net = new VirtualNetwork({ seed: 3 });
  const me = net.addHost({ name: 'wine', addresses: options.v6 === false ? ['10.0.0.1'] : ['10.0.0.1', 'fd00::1'] });
  // The names Wine's cases ask the internet for live in the virtual DNS instead.
  net.addHost({ name: 'winehq-server', addresses: ['10.0.0.80', 'fd00::80'] });
  net.dns.add('winehq.org', ['10.0.0.80', 'fd00::80']);
  net.dns.add('www.kernel.org', ['10.0.0.81', 'fd00::81']);
  net.dns.add('source.winehq.org', '10.0.0.80');
  return { kind: 'virtual', r: virtualResolver(me, net.dns), net };
}

function hostNames(): NameWorld {
  return { kind: 'host', r: hostResolver(), net: undefined };
}

/** describe() once per network; `virtualOnly` rows need names only the virtual DNS holds. */
function onBoth(family: string, body: (it: (name: string, fn: (w: NameWorld) => void, virtualOnly?: boolean) => void) => void): void {
  for (const kind of ['virtual', 'host'] as const) {
    describe(`${family} on the ${kind} network`, () => {
      body((name, fn, virtualOnly) => {
        test(name, { skip: kind === 'host' && virtualOnly === true ? 'virtual network only: the name is not one to ask the internet for' : false }, () => {
          fn(kind === 'virtual' ? virtualNames() : hostNames());
        });
      });
    });
  }
}

/** The entries of a list. */
function entries(list: ADDRINFOW | null): ADDRINFOW[] {
  const out: ADDRINFOW[] = [];
  for (let p = list; p !== null; p = p.ai_next) out.push(p);
  return out;
}

/** compare_addrinfo: flags, family, socktype, protocol, addrlen, address bytes and canonical name, entry by entry. */
function compareAddrinfo(a: ADDRINFOW | null, b: ADDRINFOW | null): void {
  const x = entries(a);
  const y = entries(b);
  assert.equal(x.length, y.length, 'Expected both addresses null at the same point');
  for (let i = 0; i < x.length; i++) {
    const [p, q] = [x[i]!, y[i]!];
    assert.deepEqual([p.ai_flags, p.ai_family, p.ai_socktype, p.ai_protocol, p.ai_addrlen, p.ai_canonname], [q.ai_flags, q.ai_family, q.ai_socktype, q.ai_protocol, q.ai_addrlen, q.ai_canonname]);
    assert.deepEqual([...p.ai_addr], [...q.ai_addr], 'Wrong address data');
  }
}

/** `ret = getaddrinfo(node, service, hints, &result)` with Wine's 0xdeadbeef result and last error. */
function gai(w: NameWorld, node: string | null, service: string | null, hints: ADDRINFOW_HINTS | null, wide = false) {
  const out: Out<ADDRINFOW | null> = { value: DEADBEEF as unknown as ADDRINFOW };
  w.r.lastError = DEADBEEF;
  const ret = wide ? w.r.GetAddrInfoW(node, service, hints, out) : w.r.getaddrinfo(node, service, hints, out);
  return { ret, result: out.value, lastError: w.r.lastError };
}

// hinttests[] of protocol.c: family, socktype, protocol, error.
const HINTTESTS: readonly (readonly [number, number, number, number])[] = [
  [AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP, 0], [AF_UNSPEC, SOCK_STREAM, IPPROTO_UDP, 0], [AF_UNSPEC, SOCK_STREAM, IPPROTO_IPV6, 0],
  [AF_UNSPEC, SOCK_DGRAM, IPPROTO_TCP, 0], [AF_UNSPEC, SOCK_DGRAM, IPPROTO_UDP, 0], [AF_UNSPEC, SOCK_DGRAM, IPPROTO_IPV6, 0],
  [AF_INET, SOCK_STREAM, IPPROTO_TCP, 0], [AF_INET, SOCK_STREAM, IPPROTO_UDP, 0], [AF_INET, SOCK_STREAM, IPPROTO_IPV6, 0],
  [AF_INET, SOCK_DGRAM, IPPROTO_TCP, 0], [AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0], [AF_INET, SOCK_DGRAM, IPPROTO_IPV6, 0],
  [AF_UNSPEC, 0, IPPROTO_TCP, 0], [AF_UNSPEC, 0, IPPROTO_UDP, 0], [AF_UNSPEC, 0, IPPROTO_IPV6, 0],
  [AF_UNSPEC, SOCK_STREAM, 0, 0], [AF_UNSPEC, SOCK_DGRAM, 0, 0],
  [AF_INET, 0, IPPROTO_TCP, 0], [AF_INET, 0, IPPROTO_UDP, 0], [AF_INET, 0, IPPROTO_IPV6, 0],
  [AF_INET, SOCK_STREAM, 0, 0], [AF_INET, SOCK_DGRAM, 0, 0],
  [AF_UNSPEC, 999, IPPROTO_TCP, WSAESOCKTNOSUPPORT], [AF_UNSPEC, 999, IPPROTO_UDP, WSAESOCKTNOSUPPORT], [AF_UNSPEC, 999, IPPROTO_IPV6, WSAESOCKTNOSUPPORT],
  [AF_INET, 999, IPPROTO_TCP, WSAESOCKTNOSUPPORT], [AF_INET, 999, IPPROTO_UDP, WSAESOCKTNOSUPPORT], [AF_INET, 999, IPPROTO_IPV6, WSAESOCKTNOSUPPORT],
  [AF_UNSPEC, SOCK_STREAM, 999, 0], [AF_UNSPEC, SOCK_STREAM, 999, 0], [AF_INET, SOCK_DGRAM, 999, 0], [AF_INET, SOCK_DGRAM, 999, 0],
];

for (const [fn, wide] of [['test_getaddrinfo', false], ['test_GetAddrInfoW', true]] as const) {
  onBoth(fn, (it) => {
    it('NULL node and NULL service: WSAHOST_NOT_FOUND, also as the last error, and the result set to NULL', (w) => {
      const { ret, result, lastError } = gai(w, null, null, null, wide);
      assert.equal(ret, WSAHOST_NOT_FOUND);
      assert.equal(lastError, WSAHOST_NOT_FOUND);
      assert.equal(result, null);
    });

    it('"" resolves, and success sets the last error to 0', (w) => {
      const { ret, result, lastError } = gai(w, '', null, null, wide);
      assert.equal(ret, 0);
      assert.notEqual(result, null);
      assert.equal(lastError, 0);
    });

    it('(NULL, "0") and (NULL, "") give the same list; ("", "0") and ("", "") too', (w) => {
      const a = gai(w, null, '0', null, wide);
      const b = gai(w, null, '', null, wide);
      assert.equal(a.ret, 0);
      assert.equal(b.ret, 0);
      compareAddrinfo(a.result, b.result);
      const c = gai(w, '', '0', null, wide);
      assert.equal(c.lastError, 0);
      const d = gai(w, '', '', null, wide);
      assert.equal(c.ret, 0);
      assert.equal(d.ret, 0);
      compareAddrinfo(c.result, d.result);
    });

    it('localhost with NULL, "", "0" and "80" services, with NULL and zeroed hints, succeeds with last error 0', (w) => {
      for (const service of [null, '', '0', '80']) assert.equal(gai(w, 'localhost', service, null, wide).ret, 0, `service ${String(service)}`);
      assert.equal(gai(w, 'localhost', null, {}, wide).ret, 0);
      const r = gai(w, 'localhost', '80', {}, wide);
      assert.equal(r.ret, 0);
      assert.equal(r.lastError, 0);
    });

    it('the computer name gives the same list as ""', (w) => {
      const name = w.r.source.hostName();
      compareAddrinfo(gai(w, name, null, null, wide).result, gai(w, '', null, null, wide).result);
      compareAddrinfo(gai(w, name, '', null, wide).result, gai(w, '', '', null, wide).result);
    });

    it('a name nobody has: WSAHOST_NOT_FOUND and a NULL result', (w) => {
      const r = gai(w, 'nxdomain.codeweavers.com', null, null, wide);
      assert.equal(r.ret, WSAHOST_NOT_FOUND);
      assert.equal(r.lastError, WSAHOST_NOT_FOUND);
      assert.equal(r.result, null);
    }, true);

    it('hinttests[] with localhost: the family, socktype and protocol of every entry are the hints\' (AF_UNSPEC: AF_INET or AF_INET6)', (w) => {
      HINTTESTS.forEach(([family, socktype, protocol, error], i) => {
        const r = gai(w, 'localhost', null, { ai_family: family, ai_socktype: socktype, ai_protocol: protocol }, wide);
        assert.equal(r.ret, error, `test ${i}: wrong ret`);
        if (error !== 0) {
          assert.equal(r.lastError, error, `test ${i}: wrong error`);
          return;
        }
        for (const p of entries(r.result)) {
          if (family === AF_UNSPEC) assert.ok(p.ai_family === AF_INET || p.ai_family === AF_INET6, `test ${i}`);
          else assert.equal(p.ai_family, family, `test ${i}`);
          assert.equal(p.ai_socktype, socktype, `test ${i}`);
          assert.equal(p.ai_protocol, protocol, `test ${i}`);
        }
      });
    });
  });
}

onBoth('test_getaddrinfo (getaddrinfo only)', (it) => {
  it('AI_NUMERICHOST with "localhost": WSAHOST_NOT_FOUND and a NULL result', (w) => {
    const r = gai(w, 'localhost', '80', { ai_flags: AI_NUMERICHOST });
    assert.equal(r.ret, WSAHOST_NOT_FOUND);
    assert.equal(r.lastError, WSAHOST_NOT_FOUND);
    assert.equal(r.result, null);
  });

  it('"192.168.1.253" converts: AF_INET, addrlen >= sizeof(sockaddr_in), port 0, the same address', (w) => {
    const r = gai(w, '192.168.1.253', null, null);
    assert.equal(r.ret, 0);
    const p = r.result!;
    assert.equal(p.ai_family, AF_INET);
    assert.ok(p.ai_addrlen >= 16);
    const sa = decodeSockAddr(p.ai_addr)!;
    assert.deepEqual([sa.family, sa.port, sa.address], [AF_INET, 0, '192.168.1.253']);
  });

  it('"192.168.1.253:1024" with AI_NUMERICHOST: WSAHOST_NOT_FOUND', (w) => {
    const r = gai(w, '192.168.1.253:1024', null, { ai_flags: AI_NUMERICHOST });
    assert.equal(r.ret, WSAHOST_NOT_FOUND);
    assert.equal(r.result, null);
  });

  it('IPv6 text converts, with brackets, with brackets and a port (the port is not taken), and with AI_NUMERICHOST | AF_INET6', (w) => {
    const v6 = (node: string, hints: ADDRINFOW_HINTS | null, expect: string) => {
      const r = gai(w, node, null, hints);
      assert.equal(r.ret, 0, node);
      const p = r.result!;
      assert.equal(p.ai_family, AF_INET6);
      assert.ok(p.ai_addrlen >= 28);
      const sa = decodeSockAddr(p.ai_addr)!;
      assert.deepEqual([sa.family, sa.port, sa.address], [AF_INET6, 0, expect]);
    };
    v6('2a00:2039:dead:beef:cafe::6666', null, '2a00:2039:dead:beef:cafe::6666');
    v6('[beef::cafe]', null, 'beef::cafe');
    v6('[beef::cafe]', { ai_flags: AI_NUMERICHOST, ai_family: AF_INET6 }, 'beef::cafe');
    v6('[beef::cafe]:10239', null, 'beef::cafe');
  });

  it('IPv6 text with AF_INET, or with unmatched brackets under AI_NUMERICHOST: WSAHOST_NOT_FOUND', (w) => {
    assert.equal(gai(w, '[beef::cafe]', null, { ai_flags: AI_NUMERICHOST, ai_family: AF_INET }).ret, WSAHOST_NOT_FOUND);
    assert.equal(gai(w, '[beef::cafe', null, { ai_flags: AI_NUMERICHOST, ai_family: AF_INET }).ret, WSAHOST_NOT_FOUND);
    assert.equal(gai(w, 'beef::cafe]', null, { ai_flags: AI_NUMERICHOST, ai_family: AF_INET }).ret, WSAHOST_NOT_FOUND);
  });

  it('an unknown service name: WSATYPE_NOT_FOUND', (w) => {
    assert.equal(gai(w, null, 'nonexistentservice', {}).ret, WSATYPE_NOT_FOUND);
  });

  it('test_getservbyname: "domain"/udp is 53 and "telnet"/tcp is 23', (w) => {
    const port = (service: string, hints: ADDRINFOW_HINTS) => decodeSockAddr(gai(w, null, service, hints).result!.ai_addr)!.port;
    assert.equal(port('domain', { ai_socktype: SOCK_DGRAM, ai_protocol: IPPROTO_UDP }), 53);
    assert.equal(port('telnet', { ai_socktype: SOCK_STREAM, ai_protocol: IPPROTO_TCP }), 23);
  });
});

describe('test_getaddrinfo rows that ask the internet, on the virtual network with the names registered', () => {
  test('winehq.org with AI_ALL | AI_DNS_ONLY, AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP (no IPv6 here): flags 0, AF_INET, no canonical name, sockaddr_in, port 0', () => {
    const w = virtualNames({ v6: false });
    const r = gai(w, 'winehq.org', null, { ai_flags: AI_ALL | AI_DNS_ONLY, ai_family: AF_UNSPEC, ai_socktype: SOCK_STREAM, ai_protocol: IPPROTO_TCP });
    assert.equal(r.ret, 0);
    const p = r.result!;
    assert.deepEqual([p.ai_flags, p.ai_family, p.ai_socktype, p.ai_protocol, p.ai_canonname, p.ai_addrlen], [0, AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 16]);
    const sa = decodeSockAddr(p.ai_addr)!;
    assert.deepEqual([sa.family, sa.port], [AF_INET, 0]);
  });

  test('www.kernel.org from a host without a global IPv6 address: no IPv6 entry for AF_UNSPEC hints, WSANO_DATA for AF_INET6', () => {
    const w = virtualNames({ v6: false });
    assert.ok(!entries(gai(w, 'www.kernel.org', null, null).result).some((p) => p.ai_family === AF_INET6), 'IPv6 address is returned');
    HINTTESTS.forEach(([family, socktype, protocol, error], i) => {
      if (family !== AF_UNSPEC || error !== 0) return;
      const r = gai(w, 'www.kernel.org', null, { ai_family: family, ai_socktype: socktype, ai_protocol: protocol });
      assert.equal(r.ret, 0, `Test ${i}`);
      assert.ok(!entries(r.result).some((p) => p.ai_family === AF_INET6), `Test ${i}: IPv6 address is returned`);
      assert.equal(gai(w, 'www.kernel.org', null, { ai_family: AF_INET6, ai_socktype: socktype, ai_protocol: protocol }).ret, WSANO_DATA, `Test ${i}`);
    });
  });

  test('a host with a global IPv6 address does get the IPv6 entries (the other side of the kernel.org rule)', () => {
    const w = virtualNames();
    assert.ok(entries(gai(w, 'www.kernel.org', null, null).result).some((p) => p.ai_family === AF_INET6));
  });
});

onBoth('test_dns / test_gethostbyname / test_gethostbyname_hack', (it) => {
  it('gethostbyname("") succeeds', (w) => {
    assert.notEqual(w.r.gethostbyname(''), null);
  });

  it('gethostbyname(gethostname()) succeeds; when 127.0.0.1 is among the addresses it is the only one', (w) => {
    const buf = new Uint8Array(256);
    assert.equal(w.r.gethostname(buf, buf.length), 0);
    const name = new TextDecoder().decode(buf.subarray(0, buf.indexOf(0)));
    const he = w.r.gethostbyname(name)!;
    assert.notEqual(he, null);
    const ips = he.h_addr_list.map((b) => [...b].join('.'));
    if (ips.includes('127.0.0.1')) assert.equal(ips.length, 1, 'expected 127.0.0.1 to be the only IP returned');
  });

  it('gethostbyname("localhost") is 127.0.0.1 with h_length 4', (w) => {
    const he = w.r.gethostbyname('localhost')!;
    assert.equal(he.h_length, 4);
    assert.deepEqual([...he.h_addr_list[0]!], [127, 0, 0, 1]);
  });

  it('source.winehq.org (registered): the hostent holds its address', (w) => {
    const he = w.r.gethostbyname('source.winehq.org')!;
    assert.deepEqual(he.h_addr_list.map((b) => [...b].join('.')), ['10.0.0.80']);
    assert.deepEqual(he.h_aliases, []);
  }, true);
});

onBoth('test_gethostname / test_GetHostNameW', (it) => {
  it('NULL buffer: -1 and WSAEFAULT', (w) => {
    w.r.lastError = DEADBEEF;
    assert.equal(w.r.gethostname(null, 256), SOCKET_ERROR);
    assert.equal(w.r.lastError, WSAEFAULT);
    w.r.lastError = DEADBEEF;
    assert.equal(w.r.GetHostNameW(null, 256), SOCKET_ERROR);
    assert.equal(w.r.lastError, WSAEFAULT);
  });

  it('a length of strlen(name): -1, WSAEFAULT and the buffer unchanged; strlen + 1 succeeds', (w) => {
    const len = w.r.source.hostName().length;
    const buf = new Uint8Array(256);
    buf.set(new TextEncoder().encode('deadbeef\0'));
    w.r.lastError = DEADBEEF;
    assert.equal(w.r.gethostname(buf, len), SOCKET_ERROR);
    assert.equal(new TextDecoder().decode(buf.subarray(0, 8)), 'deadbeef', 'name changed unexpected!');
    assert.equal(w.r.lastError, WSAEFAULT);
    assert.equal(w.r.gethostname(buf, len + 1), 0);
    assert.notEqual(w.r.gethostbyname(new TextDecoder().decode(buf.subarray(0, len))), null);
    const wbuf = new Uint16Array(256);
    wbuf.set([...'deadbeef'].map((c) => c.charCodeAt(0)));
    assert.equal(w.r.GetHostNameW(wbuf, len), SOCKET_ERROR);
    assert.equal(String.fromCharCode(...wbuf.subarray(0, 8)), 'deadbeef');
    assert.equal(w.r.lastError, WSAEFAULT);
    assert.equal(w.r.GetHostNameW(wbuf, len + 1), 0);
  });
});

describe('test_WSALookupService (invalid-parameter rows; the network-list query is NLA, not offered)', () => {
  for (const kind of ['virtual', 'host'] as const) {
    test(`on the ${kind} network: NULL restrictions or NULL handle → WSAEFAULT; an empty query set → WSAEINVAL; End(NULL) → ERROR_INVALID_HANDLE`, () => {
      const net = new VirtualNetwork();
      const source = kind === 'virtual' ? new VirtualNameSource(net.addHost({ name: 'wine' }), net.dns) : new HostNameSource();
      const ws = new WSALookupService({ sources: [source] });
      const handle: Out<number> = { value: DEADBEEF };
      assert.equal(ws.WSALookupServiceBeginW(null, 0, handle), SOCKET_ERROR);
      assert.equal(ws.lastError, WSAEFAULT);
      const qs = emptyQuerySet();
      qs.dwSize = 0; // memset(qs, 0, sizeof(*qs))
      assert.equal(ws.WSALookupServiceBeginW(qs, 0, null), SOCKET_ERROR);
      assert.equal(ws.lastError, WSAEFAULT);
      assert.equal(ws.WSALookupServiceBeginW(qs, 0, handle), SOCKET_ERROR);
      assert.equal(ws.lastError, WSAEINVAL);
      assert.equal(ws.WSALookupServiceEnd(0), SOCKET_ERROR);
      assert.equal(ws.lastError, 6 /* ERROR_INVALID_HANDLE */);
      // qs->dwSize = sizeof(*qs) with LUP_RETURN_ALL | LUP_DEEP and no service class: the NLA
      // network list, which neither NS_DNS provider offers.
      qs.dwSize = 120;
      assert.equal(ws.WSALookupServiceBeginW(qs, LUP_RETURN_ALL | LUP_DEEP, handle), SOCKET_ERROR);
      assert.equal(handle.value, DEADBEEF, 'no handle on failure');
    });
  }
});
