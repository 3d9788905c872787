/**
 * Random sequences of SPI calls (fast-check) across three hosts, garbage arguments included.
 * Properties: nothing throws; every return is 0, a handle, SOCKET_ERROR or INVALID_SOCKET;
 * every error code is one the function documents; once everything is closed and the network
 * has run, no descriptor, port, memory or connection is left held.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as W from '../src/index.js';
import { documented } from './documented-errors.js';
import { closeAllAndCheckNothingHeld } from './helpers.js';

const E = W;

const ADDRS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '0.0.0.0', '127.0.0.1', '10.9.9.9', 'fd00::1', '::', 'garbage'];
const OPTS = [E.SO_REUSEADDR, E.SO_EXCLUSIVEADDRUSE, E.SO_ACCEPTCONN, E.SO_ERROR, E.SO_TYPE, E.SO_LINGER, E.SO_CONDITIONAL_ACCEPT, E.SO_KEEPALIVE, 0x7777];
const junk = fc.constantFrom<unknown>(undefined, null, NaN, -1, 'x', {}, 1.5, new Uint8Array(1));

const action = fc.record({
  op: fc.constantFrom('socket', 'bind', 'listen', 'accept', 'connect', 'close', 'name', 'peer', 'setopt', 'getopt', 'ioctl', 'run', 'advance', 'down'),
  host: fc.nat(2),
  pick: fc.nat(31),
  garbage: fc.oneof({ arbitrary: fc.constant(null), weight: 7 }, { arbitrary: junk, weight: 1 }),
  addr: fc.constantFrom(...ADDRS),
  port: fc.constantFrom(0, 80, 81, 49152),
  n: fc.integer({ min: -3, max: 300 }),
  opt: fc.constantFrom(...OPTS),
  flag: fc.boolean(),
});

test('random call sequences: no throw, well-formed returns, documented errors only, nothing leaks', () => {
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
        const s = (a.garbage ?? (list.length > 0 ? list[a.pick % list.length] : a.pick)) as number;
        const af = a.addr.includes(':') ? E.AF_INET6 : E.AF_INET;
        const name = a.garbage === null ? { family: af, address: a.addr, port: a.port } : a.garbage;
        const e = { value: 0 };
        let fn = '';
        let r: number;
        switch (a.op) {
          case 'socket':
            fn = 'WSPSocket';
            r = p.WSPSocket(a.flag ? E.AF_INET : E.AF_INET6, a.n % 3 === 0 ? E.SOCK_DGRAM : E.SOCK_STREAM, 0, null, 0, 0, e);
            if (r !== E.INVALID_SOCKET) list.push(r);
            break;
          case 'bind': fn = 'WSPBind'; r = p.WSPBind(s, name, af === E.AF_INET6 ? 28 : 16, e); break;
          case 'listen': fn = 'WSPListen'; r = p.WSPListen(s, a.n, e); break;
          case 'accept': {
            fn = 'WSPAccept';
            const cond = a.flag ? () => [E.CF_ACCEPT, E.CF_REJECT, E.CF_DEFER][a.n % 3 < 0 ? 0 : a.n % 3]! : null;
            r = p.WSPAccept(s, a.n % 2 ? { family: 0, address: '', port: 0 } : null, { value: a.n % 40 }, cond, 0, e);
            if (r !== E.INVALID_SOCKET) list.push(r);
            break;
          }
          case 'connect': fn = 'WSPConnect'; r = p.WSPConnect(s, name, af === E.AF_INET6 ? 28 : 16, null, null, null, null, e); break;
          case 'close': fn = 'WSPCloseSocket'; r = p.WSPCloseSocket(s, e); break;
          case 'name': fn = 'WSPGetSockName'; r = p.WSPGetSockName(s, {}, { value: a.n % 40 }, e); break;
          case 'peer': fn = 'WSPGetPeerName'; r = p.WSPGetPeerName(s, new Uint8Array(28), { value: a.n % 40 }, e); break;
          case 'setopt': {
            fn = 'WSPSetSockOpt';
            const v = new Uint8Array(4);
            v[0] = a.flag ? 1 : 0;
            r = p.WSPSetSockOpt(s, E.SOL_SOCKET, a.opt, a.garbage === null ? v : (a.garbage as Uint8Array), a.n % 8, e);
            break;
          }
          case 'getopt': fn = 'WSPGetSockOpt'; r = p.WSPGetSockOpt(s, E.SOL_SOCKET, a.opt, new Uint8Array(4), { value: a.n % 8 }, e); break;
          case 'ioctl':
            fn = 'WSPIoctl';
            r = p.WSPIoctl(s, a.n % 2 ? E.FIONBIO : a.n, new Uint8Array([a.flag ? 1 : 0, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e);
            break;
          case 'run': net.run(); continue;
          case 'advance': net.advance(Math.abs(a.n) * 100); continue;
          default: host.setNetworkDown(a.flag && a.n % 4 === 0); continue;
        }
        assert.equal(typeof r, 'number');
        const failed = r === E.SOCKET_ERROR || (r === E.INVALID_SOCKET && (fn === 'WSPSocket' || fn === 'WSPAccept'));
        if (failed) {
          assert.ok(documented[fn]!.includes(e.value), `${fn} returned undocumented ${E.errorName(e.value) ?? e.value}`);
        } else if (fn === 'WSPSocket' || fn === 'WSPAccept') {
          assert.ok(r > 0 && r % 4 === 0);
        } else {
          assert.equal(r, 0);
        }
      }
      for (const h of hosts) h.setNetworkDown(false);
      closeAllAndCheckNothingHeld(net, hosts, 1000);
    }),
    { numRuns: 300, seed: 20261124, includeErrorInReport: true },
  );
});
