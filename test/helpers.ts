/** Shared set-up for conformance tests: two hosts, terse call wrappers. */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import {
  type VirtualHost, AF_INET, AF_INET6, FIONBIO, INVALID_SOCKET, IPPROTO_TCP, SOCK_STREAM, SOCKET_ERROR, SOL_SOCKET,
  VirtualNetwork, errorName, type HostOptions, type LPINT, type ServiceProvider, type SockAddr,
  type VirtualNetworkOptions,
} from '../src/index.js';

export interface Pair {
  net: VirtualNetwork;
  server: ServiceProvider;
  client: ServiceProvider;
}

/** A network with a server host (10.0.0.1, fd00::1) and a client host (10.0.0.2, fd00::2). */
export function pair(serverOptions: HostOptions = {}, netOptions: VirtualNetworkOptions = {}): Pair {
  const net = new VirtualNetwork(netOptions);
  const server = net.addHost({ name: 'server', addresses: ['10.0.0.1', 'fd00::1'], ...serverOptions }).provider;
  const client = net.addHost({ name: 'client', addresses: ['10.0.0.2', 'fd00::2'] }).provider;
  return { net, server, client };
}

/** Result of one WSP call: its return value and what it wrote to lpErrno (0 if nothing). */
export interface Outcome {
  ret: number;
  err: number;
}

export function attempt(fn: (e: LPINT) => number): Outcome {
  const e = { value: 0 };
  const ret = fn(e);
  return { ret, err: e.value };
}

/** Asserts a call failed with `code` (and returned SOCKET_ERROR or INVALID_SOCKET). */
export function expectError(fn: (e: LPINT) => number, code: number, failValue = SOCKET_ERROR): void {
  const { ret, err } = attempt(fn);
  assert.equal(ret, failValue, `expected failure, got ${ret}`);
  assert.equal(errorName(err) ?? err, errorName(code) ?? code);
}

/** Asserts a call succeeded and returns its value. */
export function ok(fn: (e: LPINT) => number): number {
  const { ret, err } = attempt(fn);
  assert.ok(ret !== SOCKET_ERROR && ret !== INVALID_SOCKET, `call failed with ${errorName(err) ?? err}`);
  return ret;
}

export function v4(address: string, port: number): SockAddr {
  return { family: AF_INET, address, port };
}

export function v6(address: string, port: number): SockAddr {
  return { family: AF_INET6, address, port };
}

/** A TCP socket (IPv4 unless af says otherwise). */
export function tcp(p: ServiceProvider, af = AF_INET): number {
  return ok((e) => p.WSPSocket(af, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
}

export function bind(p: ServiceProvider, s: number, a: SockAddr): Outcome {
  return attempt((e) => p.WSPBind(s, a, a.family === AF_INET6 ? 28 : 16, e));
}

export function connect(p: ServiceProvider, s: number, a: SockAddr): Outcome {
  return attempt((e) => p.WSPConnect(s, a, a.family === AF_INET6 ? 28 : 16, null, null, null, null, e));
}

export function accept(p: ServiceProvider, s: number): Outcome {
  return attempt((e) => p.WSPAccept(s, null, null, null, 0, e));
}

/** A listening TCP socket on `a`. */
export function listener(p: ServiceProvider, a: SockAddr, backlog: number): number {
  const s = tcp(p, a.family);
  ok((e) => p.WSPBind(s, a, a.family === AF_INET6 ? 28 : 16, e));
  ok((e) => p.WSPListen(s, backlog, e));
  return s;
}

export function setNonBlocking(p: ServiceProvider, s: number, on = true): void {
  const arg = new Uint8Array(4);
  arg[0] = on ? 1 : 0;
  ok((e) => p.WSPIoctl(s, FIONBIO, arg, 4, null, 0, { value: 0 }, null, null, null, e));
}

/** A non-blocking client socket with its connect started (WSAEWOULDBLOCK). */
export function startConnect(p: ServiceProvider, a: SockAddr): number {
  const s = tcp(p, a.family);
  setNonBlocking(p, s);
  const r = connect(p, s, a);
  assert.equal(r.ret, SOCKET_ERROR);
  assert.equal(errorName(r.err), 'WSAEWOULDBLOCK');
  return s;
}

export function getInt(p: ServiceProvider, s: number, level: number, name: number): number {
  const buf = new Uint8Array(4);
  ok((e) => p.WSPGetSockOpt(s, level, name, buf, { value: 4 }, e));
  return new DataView(buf.buffer).getInt32(0, true);
}

export function setInt(p: ServiceProvider, s: number, level: number, name: number, value: number): Outcome {
  const buf = new Uint8Array(4);
  new DataView(buf.buffer).setInt32(0, value, true);
  return attempt((e) => p.WSPSetSockOpt(s, level, name, buf, 4, e));
}

export function soError(p: ServiceProvider, s: number): number {
  return getInt(p, s, SOL_SOCKET, 0x1007);
}

/**
 * How a reset shows on Windows: not in SO_ERROR (it reads 0, Wine's test_tcp_reset) but in the
 * next call. The code a 1-byte MSG_PEEK receive fails with (0 if it succeeds).
 */
export function resetError(p: ServiceProvider, s: number): number {
  const buf = new Uint8Array(1);
  const r = attempt((e) => p.WSPRecv(s, [{ len: 1, buf }], 1, { value: 0 }, { value: 0x2 }, null, null, null, e));
  return r.ret === 0 ? 0 : r.err;
}

/** Closes every socket of every host, lets the network finish, and checks nothing is left held. */
export function closeAllAndCheckNothingHeld(net: VirtualNetwork, hosts: readonly VirtualHost[], settleMs: number): void {
  for (const h of hosts) for (const s of h.provider.core.handles()) assert.equal(h.provider.WSPCloseSocket(s, { value: 0 }), 0);
  net.run();
  net.advance(settleMs);
  for (const h of hosts) {
    assert.equal(h.provider.core.descriptorsInUse, 0, 'descriptors');
    assert.equal(h.provider.core.bytesInUse, 0, 'budget bytes');
    assert.equal(h.provider.core.portsHeld, 0, 'ports');
    assert.equal(h.net.tcp.connectionCount, 0, 'TCBs');
  }
}

// ---- hostile values (issue 13): out-parameters and lpErrno a provider cannot write ----------

const hostile = (): never => {
  throw new Error('hostile argument');
};

/** A hostile value with a name for messages; `make` builds a fresh one. */
export interface HostileValue {
  readonly name: string;
  make(): unknown;
}

/** Every trap throws (`new Proxy(target, …)`). */
export function proxyAllThrow(target: object = {}): object {
  return new Proxy(target, {
    get: hostile, set: hostile, has: hostile, deleteProperty: hostile, defineProperty: hostile,
    getOwnPropertyDescriptor: hostile, ownKeys: hostile, getPrototypeOf: hostile, setPrototypeOf: hostile,
    isExtensible: hostile, preventExtensions: hostile, apply: hostile, construct: hostile,
  });
}

/**
 * Ways an out-parameter shaped like `template` (say `{ value: 16 }` or a sockaddr object) can be
 * unwritable, as issue 13 lists them: frozen, a property that is getter-only, a getter that
 * throws, a setter that throws, and Proxies whose set, get or defineProperty trap throws (or
 * every trap). Property-level variants are made for every key of the template.
 */
export function unwritableVariants(template: Record<string, unknown>): HostileValue[] {
  const copy = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) o[k] = Array.isArray(v) ? [...v] : v;
    return o;
  };
  const out: HostileValue[] = [
    { name: 'frozen', make: () => Object.freeze(copy()) },
    { name: 'Proxy whose set trap throws', make: () => new Proxy(copy(), { set: hostile }) },
    { name: 'Proxy whose get trap throws', make: () => new Proxy(copy(), { get: hostile }) },
    { name: 'Proxy whose defineProperty trap throws', make: () => new Proxy(copy(), { defineProperty: hostile }) },
    { name: 'Proxy that throws on every trap', make: () => proxyAllThrow(copy()) },
  ];
  for (const key of Object.keys(template)) {
    out.push(
      {
        name: `${key} getter-only`,
        make: () => { const o = copy(); const v = o[key]; Object.defineProperty(o, key, { get: () => v, enumerable: true }); return o; },
      },
      {
        name: `${key} getter that throws`,
        make: () => { const o = copy(); Object.defineProperty(o, key, { get: hostile, enumerable: true }); return o; },
      },
      {
        name: `${key} setter that throws`,
        make: () => {
          const o = copy();
          const v = o[key];
          Object.defineProperty(o, key, { get: () => v, set: hostile, enumerable: true });
          return o;
        },
      },
    );
  }
  return out;
}

/** An `LPINT` the provider cannot write, in every way of {@link unwritableVariants}. */
export function unwritableInts(value = 0): HostileValue[] {
  return unwritableVariants({ value });
}

/**
 * lpErrno values a provider can neither trust nor write (issue 13, item 3): frozen, getter-only,
 * a getter or a setter that throws, a Proxy that throws on every trap, a number, a string,
 * null, undefined and a symbol.
 */
export const HOSTILE_ERRNOS: readonly HostileValue[] = [
  { name: 'frozen', make: () => Object.freeze({ value: 0 }) },
  { name: 'getter-only', make: () => Object.defineProperty({}, 'value', { get: () => 0, enumerable: true }) },
  { name: 'getter that throws', make: () => Object.defineProperty({}, 'value', { get: hostile, enumerable: true }) },
  { name: 'setter that throws', make: () => Object.defineProperty({}, 'value', { get: () => 0, set: hostile, enumerable: true }) },
  { name: 'Proxy that throws on every trap', make: () => proxyAllThrow({ value: 0 }) },
  { name: 'a number', make: () => 7 },
  { name: 'a string', make: () => 'errno' },
  { name: 'null', make: () => null },
  { name: 'undefined', make: () => undefined },
  { name: 'a symbol', make: () => Symbol('errno') },
];

/** A `Uint8Array` lookalike whose element writes throw (typed arrays cannot be frozen). */
export function unwritableBytes(length: number): Uint8Array {
  return new Proxy(new Uint8Array(length), { set: hostile, defineProperty: hostile });
}

/**
 * A loopback port where a real connect is refused, for host-network tests. A port just closed
 * is no good: another process may take it at once (the port churner of host-port-churn.test.ts
 * does, and so may anything else on the machine), and the connect then reaches it. Ports below
 * 1024 are never handed out by the system for port 0, so a free one stays free: the first of a
 * few well-known ports that refuses a probe is used (found once per process).
 */
export function refusedPort(): Promise<number> {
  refused ??= (async () => {
    for (const port of [9, 7, 13, 17, 19, 1, 3, 5, 11, 15, 37, 42, 79]) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port });
        s.once('connect', () => { s.destroy(); resolve(false); });
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
      });
      if (ok) return port;
    }
    throw new Error('no well-known loopback port below 1024 refuses connections here');
  })();
  return refused;
}
let refused: Promise<number> | undefined;

/**
 * A port that no other process is likely to take while a host-network test uses it: below the
 * system's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range), so the system never
 * hands it out for port 0 or an outgoing connection, and free right now for TCP and UDP on every
 * IPv4 and IPv6 address (probed with dual-stack wildcard binds). Tests that bind one port on
 * several addresses need one: a port the system chose for the first address may belong to
 * another process on the next. Each process starts at its own offset (a hash of its pid) so that
 * test files running side by side do not probe the same ports.
 */
export async function quietPort(): Promise<number> {
  quietNext ??= quietStart();
  for (let tries = 0; tries < 2000; tries++) {
    const port = quietNext.low + (quietNext.offset++ % quietNext.span);
    if ((await freeForTcp(port)) && (await freeForUdp(port))) return port;
  }
  throw new Error('no free port below the ephemeral range');
}
let quietNext: { low: number; span: number; offset: number } | undefined;

function quietStart(): { low: number; span: number; offset: number } {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow;
  } catch {
    // not Linux: the usual range
  }
  const span = Math.max(1000, Math.min(16000, ephemeralLow - 3000));
  const low = Math.max(1025, ephemeralLow - span);
  return { low, span, offset: Math.imul(process.pid, 2654435761) >>> 0 };
}

function freeForTcp(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ host: '::', port, ipv6Only: false, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function freeForUdp(port: number): Promise<boolean> {
  const socket = dgram.createSocket({ type: 'udp6', ipv6Only: false });
  return new Promise((resolve) => {
    socket.once('error', () => { socket.close(); resolve(false); });
    socket.bind({ address: '::', port, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}
