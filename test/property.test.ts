/**
 * Random sequences of SPI calls (fast-check) across three hosts, garbage arguments included,
 * hostile lpErrno values and unwritable out-parameters among them (issue 13).
 * Properties: nothing throws; every return is 0, a handle, SOCKET_ERROR or INVALID_SOCKET;
 * a returned handle is a live socket; every error code is one the function documents; a call
 * given an unwritable out-parameter fails, and a failed call creates or closes no socket;
 * descriptors in use are always the live sockets plus the queued connections; once everything
 * is closed and the network has run, no descriptor, port, memory or connection is left held.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as W from '../src/index.js';
import { documented } from './documented-errors.js';
import { HOSTILE_ERRNOS, closeAllAndCheckNothingHeld, unwritableInts, unwritableVariants } from './helpers.js';
import { assertLive, checkAccounting } from './state-snapshot.js';

const E = W;

const ADDRS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '0.0.0.0', '127.0.0.1', '10.9.9.9', 'fd00::1', '::', 'garbage'];
const OPTS = [E.SO_REUSEADDR, E.SO_EXCLUSIVEADDRUSE, E.SO_ACCEPTCONN, E.SO_ERROR, E.SO_TYPE, E.SO_LINGER, E.SO_CONDITIONAL_ACCEPT, E.SO_KEEPALIVE, 0x7777];
const junk = fc.constantFrom<unknown>(undefined, null, NaN, -1, 'x', {}, 1.5, new Uint8Array(1));
/** Unwritable out-parameters: `{ value }` integers, sockaddr objects and WSABUFs (test/helpers.ts). */
const BAD_INTS = unwritableInts(28);
const BAD_ADDRS = unwritableVariants({ family: 0, address: '', port: 0 });
const BAD_WSABUFS = unwritableVariants({ len: 16, buf: new Uint8Array(16) }).filter((v) => !v.name.startsWith('buf '));

const action = fc.record({
  op: fc.constantFrom(
    'socket', 'bind', 'listen', 'accept', 'accept', 'accept', 'connect', 'close', 'name', 'peer', 'setopt', 'getopt', 'ioctl', 'run', 'advance',
    'down', 'serve', 'serve', 'dial', 'dial',
  ),
  host: fc.nat(2),
  pick: fc.nat(31),
  garbage: fc.oneof({ arbitrary: fc.constant(null), weight: 7 }, { arbitrary: junk, weight: 1 }),
  addr: fc.constantFrom(...ADDRS),
  port: fc.constantFrom(0, 80, 81, 49152),
  n: fc.integer({ min: -3, max: 300 }),
  opt: fc.constantFrom(...OPTS),
  flag: fc.boolean(),
  /** A hostile lpErrno (index into HOSTILE_ERRNOS), now and then. */
  errno: fc.oneof({ arbitrary: fc.constant(null), weight: 20 }, { arbitrary: fc.nat(HOSTILE_ERRNOS.length - 1), weight: 1 }),
  /** An unwritable out-parameter (which one, and how), now and then. */
  badOut: fc.oneof({ arbitrary: fc.constant(null), weight: 10 }, { arbitrary: fc.nat(1023), weight: 1 }),
});

/** How much the runs did, so that a generator that stops reaching these paths fails the test. */
const reached = { hostileErrno: 0, badOut: 0, accepted: 0, created: 0, failed: 0 };

test('random call sequences: no throw, well-formed returns, documented errors only, nothing leaks', (t) => {
  fc.assert(
    fc.property(fc.array(action, { minLength: 5, maxLength: 60, size: 'max' }), fc.nat(1000), (actions, seed) => {
      const net = new W.VirtualNetwork({ seed, timeWaitMs: 1000 });
      const hosts = [
        net.addHost({ addresses: ['10.0.0.1', 'fd00::1'], maxSockets: 12, maxBacklog: 4 }),
        net.addHost({ addresses: ['10.0.0.2'] }),
        net.addHost({ addresses: ['10.0.0.3'], bufferBudget: 4096 }),
      ];
      const issued: number[][] = [[], [], []];
      for (const a of actions) {
        const host = hosts[a.host]!;
        const p = host.provider;
        const list = issued[a.host]!;
        // WSPAccept mostly goes to a listener with something queued (or else accepts would be rare).
        const queued = a.op === 'accept' && a.pick % 4 !== 0 ? list.filter((x) => (p.inspect(x)?.listen?.queueLength ?? 0) > 0) : [];
        const from = queued.length > 0 ? queued : list;
        const s = (a.garbage ?? (from.length > 0 ? from[a.pick % from.length] : a.pick)) as number;
        const af = a.addr.includes(':') ? E.AF_INET6 : E.AF_INET;
        const name = (a.garbage === null ? { family: af, address: a.addr, port: a.port } : a.garbage) as W.SockAddr;
        const e = { value: 0 };
        const hostileErrno = a.errno === null ? null : HOSTILE_ERRNOS[a.errno]!;
        const errno = (hostileErrno === null ? e : hostileErrno.make()) as W.LPINT;
        const bad = a.badOut;
        /** An unwritable out-parameter was given where the call writes one: it must fail. */
        let badOutUsed = false;
        const badInt = (fallback: W.LPINT): W.LPINT => {
          if (bad === null) return fallback;
          badOutUsed = true;
          return BAD_INTS[bad % BAD_INTS.length]!.make() as W.LPINT;
        };
        const badAddr = <T,>(fallback: T): T => {
          if (bad === null) return fallback;
          badOutUsed = true;
          return BAD_ADDRS[bad % BAD_ADDRS.length]!.make() as T;
        };
        const handlesBefore = p.core.handles();
        let fn = '';
        let r: number;
        switch (a.op) {
          case 'socket':
            fn = 'WSPSocket';
            r = p.WSPSocket(a.flag ? E.AF_INET : E.AF_INET6, a.n % 3 === 0 ? E.SOCK_DGRAM : E.SOCK_STREAM, 0, null, 0, 0, errno);
            if (r !== E.INVALID_SOCKET) list.push(r);
            break;
          case 'bind': fn = 'WSPBind'; r = p.WSPBind(s, name, af === E.AF_INET6 ? 28 : 16, errno); break;
          case 'listen': fn = 'WSPListen'; r = p.WSPListen(s, a.n, errno); break;
          case 'accept': {
            fn = 'WSPAccept';
            const cond = a.flag ? () => [E.CF_ACCEPT, E.CF_REJECT, E.CF_DEFER][a.n % 3 < 0 ? 0 : a.n % 3]! : null;
            const out = { family: 0, address: '', port: 0 };
            // An unwritable addr (even badOut) or addrlen (odd badOut), with a real addr so that both are written.
            const addr = bad !== null ? (bad % 2 === 0 ? badAddr(out) : out) : a.n % 2 ? out : null;
            const addrlen = bad !== null && bad % 2 === 1 ? badInt({ value: 28 }) : { value: bad !== null ? 28 : a.n % 40 };
            r = p.WSPAccept(s, addr, addrlen, cond, 0, errno);
            if (r !== E.INVALID_SOCKET) list.push(r);
            break;
          }
          case 'connect': {
            fn = 'WSPConnect';
            let callee: W.WSABUF | null = null;
            if (bad !== null) {
              badOutUsed = true;
              callee = BAD_WSABUFS[bad % BAD_WSABUFS.length]!.make() as W.WSABUF;
            }
            r = p.WSPConnect(s, name, af === E.AF_INET6 ? 28 : 16, null, callee, null, null, errno);
            break;
          }
          case 'close': fn = 'WSPCloseSocket'; r = p.WSPCloseSocket(s, errno); break;
          case 'name': {
            fn = 'WSPGetSockName';
            const addr: W.SockAddr | Record<string, never> = bad !== null && bad % 2 === 0 ? badAddr({}) : {};
            r = p.WSPGetSockName(s, addr, bad !== null && bad % 2 === 1 ? badInt({ value: 28 }) : { value: bad !== null ? 28 : a.n % 40 }, errno);
            break;
          }
          case 'peer': {
            fn = 'WSPGetPeerName';
            const addr = bad !== null && bad % 2 === 0 ? badAddr(new Uint8Array(28)) : new Uint8Array(28);
            r = p.WSPGetPeerName(s, addr, bad !== null && bad % 2 === 1 ? badInt({ value: 28 }) : { value: bad !== null ? 28 : a.n % 40 }, errno);
            break;
          }
          case 'setopt': {
            fn = 'WSPSetSockOpt';
            const v = new Uint8Array(4);
            v[0] = a.flag ? 1 : 0;
            r = p.WSPSetSockOpt(s, E.SOL_SOCKET, a.opt, a.garbage === null ? v : (a.garbage as Uint8Array), a.n % 8, errno);
            break;
          }
          case 'getopt':
            fn = 'WSPGetSockOpt';
            r = p.WSPGetSockOpt(s, E.SOL_SOCKET, a.opt, new Uint8Array(4), badInt({ value: a.n % 8 }), errno);
            break;
          case 'ioctl':
            fn = 'WSPIoctl';
            r = p.WSPIoctl(s, a.n % 2 ? E.FIONBIO : a.n, new Uint8Array([a.flag ? 1 : 0, 0, 0, 0]), 4, null, 0, badInt({ value: 0 }), null, null, null, errno);
            break;
          case 'serve':
          case 'dial': {
            // A listener on the host's port 80, or a blocking connect to one: so that accepts happen.
            const x = { value: 0 };
            const t = p.WSPSocket(E.AF_INET, E.SOCK_STREAM, 0, null, 0, 0, x);
            if (t === E.INVALID_SOCKET) continue;
            list.push(t);
            const listening = [0, 1, 2].filter((i) => hosts[i]!.provider.core.handles().some((x) => {
              const info = hosts[i]!.provider.inspect(x);
              return info?.listen != null && info.local?.port === 80;
            }));
            const target = listening.length > 0 && a.pick % 5 !== 0 ? listening[a.pick % listening.length]! : a.pick % 3;
            const at = { family: E.AF_INET, address: `10.0.0.${(a.op === 'serve' ? a.host : target) + 1}`, port: 80 };
            if (a.op === 'serve') {
              if (p.WSPBind(t, at, 16, x) === 0) p.WSPListen(t, a.n, x);
            } else {
              p.WSPConnect(t, at, 16, null, null, null, null, x);
            }
            for (const h of hosts) checkAccounting(h.provider, a.op);
            continue;
          }
          case 'run': net.run(); continue;
          case 'advance': net.advance(Math.abs(a.n) * 100); continue;
          default: host.setNetworkDown(a.flag && a.n % 4 === 0); continue;
        }
        const what = `${fn}${hostileErrno === null ? '' : ` (lpErrno ${hostileErrno.name})`}${badOutUsed ? ' with an unwritable out-parameter' : ''}`;
        assert.equal(typeof r, 'number');
        const failed = r === E.SOCKET_ERROR || (r === E.INVALID_SOCKET && (fn === 'WSPSocket' || fn === 'WSPAccept'));
        if (hostileErrno !== null) reached.hostileErrno++;
        if (badOutUsed) reached.badOut++;
        if (failed) {
          reached.failed++;
          if (hostileErrno === null) assert.ok(documented[fn]!.includes(e.value), `${what} returned undocumented ${E.errorName(e.value) ?? e.value}`);
          assert.deepEqual(p.core.handles(), handlesBefore, `${what} failed, yet created or closed a socket`);
        } else {
          assert.ok(!badOutUsed, `${what} succeeded`);
          if (fn === 'WSPSocket' || fn === 'WSPAccept') {
            assert.ok(r > 0 && r % 4 === 0);
            assertLive(p, r, what);
            if (fn === 'WSPAccept') reached.accepted++;
            else reached.created++;
          } else {
            assert.equal(r, 0);
          }
        }
        for (const h of hosts) checkAccounting(h.provider, what);
      }
      for (const h of hosts) h.setNetworkDown(false);
      closeAllAndCheckNothingHeld(net, hosts, 1000);
    }),
    { numRuns: 300, seed: 20261124, includeErrorInReport: true },
  );
  t.diagnostic(JSON.stringify(reached));
  assert.ok(reached.hostileErrno >= 150 && reached.badOut >= 150 && reached.accepted >= 30 && reached.created >= 200, JSON.stringify(reached));
});
