/**
 * What every port of Wine's ws2_32 tests (dlls/ws2_32/tests/sock.c) shares: the networks a case
 * runs on, and C-shaped wrappers so a port reads like the C it comes from. Wine runs client and
 * server in one process on 127.0.0.1; so does a world here: one provider, loopback.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, AF_INET6, FIONBIO, INVALID_SOCKET, IPPROTO_TCP, IPPROTO_UDP, SOCK_DGRAM, SOCK_STREAM, SOCKET_ERROR,
  VirtualNetwork, errorName, type LPINT, type ServiceProvider, type SockAddr,
} from '../../src/index.js';
import { HostNetwork } from '../../src/host/index.js';
import { quietPort } from '../helpers.js';

/** One network a case runs on. */
export interface World {
  readonly kind: 'virtual' | 'host';
  /** The provider: one process, as in Wine's tests. */
  readonly p: ServiceProvider;
  /** The virtual network, on the virtual world only (virtual time, faults, captures). */
  readonly net: VirtualNetwork | undefined;
  /** 127.0.0.1 / ::1 on both networks. */
  readonly loopback4: string;
  readonly loopback6: string;
  /** Lets the network run until `ready()` holds; fails the case if it never does. */
  settle(ready: () => boolean, what?: string): Promise<void>;
  /**
   * A port for a case that binds one port on several addresses: 0 (the network chooses) on the
   * virtual network; on the host, a free port outside the system's ephemeral range, so that no
   * other process holds it on the addresses the case binds next (test/helpers.ts, quietPort).
   */
  port(): Promise<number>;
  /** Lets `ms` of the network's time pass (virtual time on the virtual network). */
  pass(ms: number): Promise<void>;
  close(): Promise<void>;
}

export function virtualWorld(seed = 1): World {
  const net = new VirtualNetwork({ seed });
  const p = net.addHost({ name: 'wine', addresses: ['10.0.0.1', 'fd00::1'] }).provider;
  return {
    kind: 'virtual', p, net, loopback4: '127.0.0.1', loopback6: '::1',
    settle: async (ready, what) => {
      if (!ready()) net.run();
      assert.ok(ready(), `${what ?? 'the condition'} did not hold once the network was idle`);
    },
    port: async () => 0,
    pass: async (ms) => net.advance(ms),
    close: async () => {},
  };
}

export function hostWorld(): World {
  const host = new HostNetwork();
  return {
    kind: 'host', p: host.provider, net: undefined, loopback4: '127.0.0.1', loopback6: '::1',
    settle: async (ready, what) => assert.ok(await host.until(ready, 3000), `${what ?? 'the condition'} did not hold within 3 s`),
    port: quietPort,
    pass: async (ms) => {
      await host.until(() => false, ms);
    },
    close: () => host.close(),
  };
}

/**
 * Declares `body` once per network: `describe('<family> on the virtual network')` and, unless
 * `virtualOnly`, on the host network. Each case gets a fresh world and closes it afterwards.
 */
export function onNetworks(
  family: string,
  body: (it: (name: string, fn: (w: World) => Promise<void> | void, opts?: { virtualOnly?: string }) => void) => void,
): void {
  for (const kind of ['virtual', 'host'] as const) {
    describe(`${family} on the ${kind} network`, () => {
      body((name, fn, opts) => {
        const skip = kind === 'host' && opts?.virtualOnly !== undefined ? `virtual network only: ${opts.virtualOnly}` : false;
        test(name, { skip }, async () => {
          const w = kind === 'virtual' ? virtualWorld() : hostWorld();
          try {
            await fn(w);
          } finally {
            await w.close();
          }
        });
      });
    });
  }
}

// ---- C-shaped calls -------------------------------------------------------------------------

/** Runs a WSP call; returns its result and the code it left in lpErrno (0 when it wrote none). */
export function call(f: (e: LPINT) => number): { ret: number; err: number } {
  const e = { value: 0 };
  const ret = f(e);
  return { ret, err: e.value };
}

/** Asserts success (`what` names the call in the message) and returns the result. */
export function ok(what: string, f: (e: LPINT) => number): number {
  const { ret, err } = call(f);
  assert.ok(ret !== SOCKET_ERROR && ret !== INVALID_SOCKET, `${what} failed with ${errorName(err) ?? err}`);
  return ret;
}

/** Asserts failure with `code`. */
export function fails(what: string, f: (e: LPINT) => number, code: number): void {
  const { ret, err } = call(f);
  assert.ok(ret === SOCKET_ERROR || ret === INVALID_SOCKET, `${what}: expected ${errorName(code)}, got success (${ret})`);
  assert.equal(errorName(err) ?? err, errorName(code) ?? code, `${what}: wrong error`);
}

export function addr(address: string, port: number): SockAddr {
  return { family: address.includes(':') ? AF_INET6 : AF_INET, address, port };
}

/** socket(af, type, 0). */
export function socket(w: World, type = SOCK_STREAM, af = AF_INET): number {
  return ok('WSPSocket', (e) => w.p.WSPSocket(af, type, type === SOCK_STREAM ? IPPROTO_TCP : type === SOCK_DGRAM ? IPPROTO_UDP : 0, null, 0, 0, e));
}

export function nonBlocking(w: World, s: number, on = true): void {
  ok('FIONBIO', (e) => w.p.WSPIoctl(s, FIONBIO, new Uint8Array([on ? 1 : 0, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e));
}

/** getsockname. */
export function nameOf(w: World, s: number): SockAddr {
  const name = { family: 0, address: '', port: 0 };
  ok('WSPGetSockName', (e) => w.p.WSPGetSockName(s, name, { value: 28 }, e));
  return name;
}

/** A listening socket on the loopback address of `af`, any port; returns it and its address. */
export function listener(w: World, backlog = 1, af = AF_INET): { s: number; at: SockAddr } {
  const s = socket(w, SOCK_STREAM, af);
  ok('WSPBind', (e) => w.p.WSPBind(s, addr(af === AF_INET ? w.loopback4 : w.loopback6, 0), af === AF_INET ? 16 : 28, e));
  ok('WSPListen', (e) => w.p.WSPListen(s, backlog, e));
  return { s, at: nameOf(w, s) };
}

/**
 * Wine's tcp_socketpair: a connected pair on loopback, left blocking. Built with non-blocking
 * calls, so that it works on the host network from the main thread.
 */
export async function tcpPair(w: World, af = AF_INET): Promise<{ client: number; server: number }> {
  const { s: l, at } = listener(w, 1, af);
  const client = socket(w, SOCK_STREAM, af);
  nonBlocking(w, client);
  const r = call((e) => w.p.WSPConnect(client, at, af === AF_INET ? 16 : 28, null, null, null, null, e));
  assert.ok(r.ret === 0 || errorName(r.err) === 'WSAEWOULDBLOCK', `connect: ${errorName(r.err)}`);
  nonBlocking(w, l);
  let server = INVALID_SOCKET;
  await w.settle(() => {
    server = w.p.WSPAccept(l, null, null, null, 0, { value: 0 });
    return server !== INVALID_SOCKET;
  }, 'the accept');
  await w.settle(() => w.p.inspect(client)?.phase === 'connected', 'the connect');
  nonBlocking(w, client, false);
  nonBlocking(w, server, false);
  ok('closesocket(listener)', (e) => w.p.WSPCloseSocket(l, e));
  return { client, server };
}

/** send(s, bytes, 0): the count sent or the failure. */
export function send(w: World, s: number, bytes: Uint8Array, flags = 0): { ret: number; err: number; sent: number } {
  const sent = { value: 0 };
  const r = call((e) => w.p.WSPSend(s, [{ len: bytes.length, buf: bytes }], 1, sent, flags, null, null, null, e));
  return { ...r, sent: sent.value };
}

/** recv(s, len, flags): the bytes received or the failure. */
export function recv(w: World, s: number, len: number, flags = 0): { ret: number; err: number; bytes: Uint8Array } {
  const buf = new Uint8Array(len);
  const got = { value: 0 };
  const r = call((e) => w.p.WSPRecv(s, [{ len, buf }], 1, got, { value: flags }, null, null, null, e));
  return { ...r, bytes: buf.subarray(0, r.ret === 0 ? got.value : 0) };
}

/** setsockopt with an int value of `len` bytes (little-endian, as on x86). */
export function setInt(w: World, s: number, level: number, opt: number, value: number, len = 4): { ret: number; err: number } {
  const buf = new Uint8Array(Math.max(len, 4));
  new DataView(buf.buffer).setInt32(0, value, true);
  return call((e) => w.p.WSPSetSockOpt(s, level, opt, buf.subarray(0, len), len, e));
}

/** getsockopt into a buffer of `size` bytes prefilled with 0xff: the value (of the length written), that length, the failure. */
export function getInt(w: World, s: number, level: number, opt: number, size = 4): { ret: number; err: number; value: number; len: number } {
  const buf = new Uint8Array(size).fill(0xff);
  const len = { value: size };
  const r = call((e) => w.p.WSPGetSockOpt(s, level, opt, buf, len, e));
  // Read as many bytes as the call says it wrote (one-byte options write one).
  const view = new DataView(buf.buffer);
  const n = Math.min(len.value, size);
  const value = n >= 4 ? view.getInt32(0, true) : n >= 2 ? view.getInt16(0, true) : n >= 1 ? buf[0]! : 0;
  return { ...r, value, len: len.value };
}

/** Asserts a call's `{ ret, err }` is a success that wrote no error. */
export function expectOk(r: { ret: number; err: number }, what: string): void {
  assert.equal(r.ret, 0, `${what}: failed with ${errorName(r.err) ?? r.err}`);
  assert.equal(r.err, 0, `${what}: lpErrno written`);
}

/** Asserts a call's `{ ret, err }` is SOCKET_ERROR with `code`. */
export function expectErr(r: { ret: number; err: number }, code: number, what: string): void {
  assert.equal(r.ret, SOCKET_ERROR, `${what}: expected ${errorName(code)}, got success`);
  assert.equal(errorName(r.err) ?? r.err, errorName(code), what);
}

/** WSPSocket(af, type, protocol) that must succeed. */
export function sock(w: World, af: number, type: number, protocol = 0): number {
  return ok('WSPSocket', (e) => w.p.WSPSocket(af, type, protocol, null, 0, 0, e));
}
