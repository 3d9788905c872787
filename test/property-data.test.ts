/**
 * Random sequences of data-path and readiness calls (fast-check) across three hosts, garbage
 * arguments included, hostile lpErrno values and unwritable out-parameters among them (issue 13).
 * Properties: nothing throws; every return is 0, a count, a socket, SOCKET_ERROR or
 * INVALID_SOCKET; every error code is one the function documents; a call given an unwritable
 * out-parameter fails (so it consumed, sent and accepted nothing: the byte accounting below would
 * see a lost or duplicated byte); a failed call creates or closes no socket; every byte a sender
 * was told was sent arrives once and in order, or the connection reports an error; once
 * everything is closed and the network has run, no descriptor, port, buffer or connection is held.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as E from '../src/index.js';
import { documented } from './documented-errors.js';
import { HOSTILE_ERRNOS, closeAllAndCheckNothingHeld, unwritableInts, unwritableVariants } from './helpers.js';
import { assertLive, checkAccounting } from './state-snapshot.js';

/** The byte at `offset` of sender `id`'s stream: any loss, duplicate or reordering shows. */
function pattern(id: number, offset: number): number {
  return (id * 97 + offset * 13 + (offset >>> 8)) & 0xff;
}

/** One sending socket's stream: how many bytes it was told were sent. */
interface Stream {
  id: number;
  sent: number;
}

/** What a receiving socket has read of its peer's stream. */
interface Reading {
  stream: Stream;
  received: number;
}

const endpointKey = (a: E.SocketInfo['local']): string => (a === null ? '-' : `${a.address}:${a.port}`);

const ADDRS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '127.0.0.1', '10.9.9.9', '0.0.0.0'];
const junk = fc.constantFrom<unknown>(undefined, null, NaN, -1, 'x', {}, [{ len: 9, buf: new Uint8Array(1) }]);

const action = fc.record({
  op: fc.constantFrom(
    'server', 'client', 'client', 'socket', 'bind', 'listen', 'accept', 'accept', 'connect', 'connect', 'close',
    'send', 'send', 'send', 'recv', 'recv', 'recv', 'sendto', 'recvfrom', 'shutdown', 'select',
    'eventselect', 'enum', 'asyncselect', 'setopt', 'ioctl', 'run', 'advance', 'down',
  ),
  host: fc.nat(2),
  pick: fc.nat(31),
  garbage: fc.oneof({ arbitrary: fc.constant(null), weight: 12 }, { arbitrary: junk, weight: 1 }),
  addr: fc.constantFrom(...ADDRS),
  port: fc.constantFrom(0, 80, 80, 81, 53),
  n: fc.integer({ min: -2, max: 70000 }),
  flags: fc.constantFrom(0, 0, 0, E.MSG_PEEK, E.MSG_WAITALL, E.MSG_OOB, 0x4000),
  flag: fc.boolean(),
  /** A hostile lpErrno (index into HOSTILE_ERRNOS), now and then. */
  errno: fc.oneof({ arbitrary: fc.constant(null), weight: 25 }, { arbitrary: fc.nat(HOSTILE_ERRNOS.length - 1), weight: 1 }),
  /** An unwritable out-parameter (which one, and how), now and then. */
  badOut: fc.oneof({ arbitrary: fc.constant(null), weight: 8 }, { arbitrary: fc.nat(1023), weight: 1 }),
});

/** Unwritable out-parameters (test/helpers.ts). */
const BAD_INTS = unwritableInts(0);
const BAD_ADDRS = unwritableVariants({ family: 0, address: '', port: 0 });
// The provider gives iErrorCode a new array and rewrites fd_array in place: a getter returning a writable array is not unwritable.
const BAD_EVENTS = unwritableVariants({ lNetworkEvents: 0, iErrorCode: [] as number[] })
  .filter((v) => v.name !== 'iErrorCode getter-only' && v.name !== 'iErrorCode setter that throws');
const badSets = (handles: number[]) => unwritableVariants({ fd_count: handles.length, fd_array: handles })
  .filter((v) => v.name !== 'fd_array getter-only' && v.name !== 'fd_array setter that throws');

const SOCKOPTS = [
  [E.SOL_SOCKET, E.SO_SNDBUF], [E.SOL_SOCKET, E.SO_RCVBUF], [E.SOL_SOCKET, E.SO_RCVTIMEO],
  [E.SOL_SOCKET, E.SO_SNDTIMEO], [E.SOL_SOCKET, E.SO_LINGER], [E.SOL_SOCKET, E.SO_BROADCAST],
  [E.IPPROTO_TCP, E.TCP_NODELAY],
] as const;
const IOCTLS = [E.FIONBIO, E.FIONREAD, E.SIOCATMARK, E.SIO_UDP_CONNRESET];

/** How much the runs did, so that a generator that stops reaching connections fails the test. */
const activity = { accepted: 0, receivedBytes: 0, streamsChecked: 0, hostileErrno: 0, badOut: 0 };
test('random data-path sequences: documented errors only, bytes arrive once and in order or an error is reported, nothing leaks', (t) => {
  fc.assert(
    fc.property(fc.array(action, { minLength: 10, maxLength: 80, size: 'max' }), fc.nat(1000), (actions, seed) => {
      const net = new E.VirtualNetwork({ seed, timeWaitMs: 1000 });
      const hosts = [
        net.addHost({ addresses: ['10.0.0.1'], maxSockets: 10, maxBacklog: 3 }),
        net.addHost({ addresses: ['10.0.0.2'] }),
        net.addHost({ addresses: ['10.0.0.3'], bufferBudget: 48 * 1024 }),
      ];
      const posted: number[] = [];
      for (const h of hosts) {
        const upcalls = { lpWPUPostMessage: (_w: unknown, _m: number, _s: number, l: number) => posted.push(l) > 0 };
        assert.equal(h.provider.WSPStartup(0x0202, {} as E.WSPDATA, null, upcalls, {} as E.WSPPROC_TABLE), 0);
      }
      const issued: number[][] = [[], [], []];
      const events = new E.WSAEvent();
      const streams = new Map<string, Stream>(); // by "host:handle" of the sender
      const streamByTuple = new Map<string, Stream>(); // by "local|remote" of the sender
      const readings = new Map<string, Reading>(); // by "host:handle" of the receiver
      const broken = new Set<string>(); // "host:handle" of sockets that reported a connection error
      const stoppedReading = new Set<string>(); // closed or shut down for receiving by the program
      let nextId = 1;

      const tuple = (p: E.ServiceProvider, s: number, reverse: boolean): string | null => {
        const info = p.inspect(s);
        if (info === undefined || info.type !== E.SOCK_STREAM || info.remote === null) return null;
        const [a, b] = reverse ? [info.remote, info.local] : [info.local, info.remote];
        return `${endpointKey(a)}|${endpointKey(b)}`;
      };
      const noteSent = (h: number, p: E.ServiceProvider, s: number, bytes: number): void => {
        const key = `${h}:${s}`;
        let st = streams.get(key);
        if (st === undefined) {
          st = { id: nextId++, sent: 0 };
          streams.set(key, st);
          streamByTuple.set(tuple(p, s, false)!, st);
        }
        st.sent += bytes;
      };
      const checkReceived = (h: number, p: E.ServiceProvider, s: number, bufs: Uint8Array[], count: number): void => {
        if (count === 0) return;
        const key = `${h}:${s}`;
        let r = readings.get(key);
        if (r === undefined) {
          const st = streamByTuple.get(tuple(p, s, true)!);
          assert.ok(st !== undefined, 'bytes arrived that nobody was told were sent');
          r = { stream: st, received: 0 };
          readings.set(key, r);
        }
        const got = concat(bufs, count);
        for (let i = 0; i < count; i++) {
          assert.equal(got[i], pattern(r.stream.id, r.received + i), `byte ${r.received + i} of stream ${r.stream.id}`);
        }
        r.received += count;
        activity.receivedBytes += count;
        assert.ok(r.received <= r.stream.sent, 'more bytes arrived than were sent');
      };
      const payload = (h: number, s: number, size: number): E.WSABUF[] => {
        const st = streams.get(`${h}:${s}`);
        const from = st?.sent ?? 0;
        const id = st?.id ?? nextId;
        const half = size >> 1;
        const bytes = (start: number, len: number) => Uint8Array.from({ length: len }, (_, i) => pattern(id, from + start + i));
        return [{ len: half, buf: bytes(0, half) }, { len: size - half, buf: bytes(half, size - half) }];
      };

      const check = (fn: string, r: number, err: number, key: string, hostileErrno = false, badOutUsed = false): void => {
        assert.equal(typeof r, 'number');
        const failed = r === E.SOCKET_ERROR || (r === E.INVALID_SOCKET && (fn === 'WSPSocket' || fn === 'WSPAccept'));
        if (!failed) assert.ok(!badOutUsed, `${fn} succeeded with an unwritable out-parameter`);
        if (failed && hostileErrno) return; // the code could not be reported
        if (failed) {
          assert.ok(documented[fn]!.includes(err), `${fn} returned undocumented ${E.errorName(err) ?? err}`);
          if ([E.WSAECONNRESET, E.WSAECONNABORTED, E.WSAENETRESET, E.WSAETIMEDOUT, E.WSAEINTR].includes(err)) broken.add(key);
        } else if (fn === 'WSPSocket' || fn === 'WSPAccept') {
          assert.ok(r > 0 && r % 4 === 0);
          assertLive(hosts[Number(key.split(':')[0])]!.provider, r, fn);
        } else if (fn === 'WSPSelect') {
          assert.ok(r >= 0 && Number.isInteger(r));
        } else {
          assert.equal(r, 0);
        }
      };
      /** A stream socket created, bound and listening on the host's port 80 (or a client connecting to one). */
      const compose = (h: number, server: boolean, target: string, blocking: boolean, backlog: number): void => {
        const p = hosts[h]!.provider;
        const e = { value: 0 };
        const s = p.WSPSocket(E.AF_INET, E.SOCK_STREAM, E.IPPROTO_TCP, null, 0, 0, e);
        check('WSPSocket', s, e.value, `${h}:new`);
        if (s === E.INVALID_SOCKET) return;
        issued[h]!.push(s);
        const key = `${h}:${s}`;
        if (server) {
          check('WSPBind', p.WSPBind(s, { family: E.AF_INET, address: `10.0.0.${h + 1}`, port: 80 }, 16, e), e.value, key);
          check('WSPListen', p.WSPListen(s, backlog, e), e.value, key);
          return;
        }
        if (!blocking) check('WSPIoctl', p.WSPIoctl(s, E.FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e), e.value, key);
        check('WSPConnect', p.WSPConnect(s, { family: E.AF_INET, address: target, port: 80 }, 16, null, null, null, null, e), e.value, key);
      };

      for (const a of actions) {
        const host = hosts[a.host]!;
        const p = host.provider;
        const list = issued[a.host]!;
        // Most calls go to a socket in a state where they can do something; some to any socket, some to junk.
        const suited = a.pick % 4 === 0 ? list : list.filter((x) => {
          const info = p.inspect(x);
          return a.op === 'accept' ? info?.listen != null : info?.phase === 'connected' || info?.type === E.SOCK_DGRAM;
        });
        const from = suited.length > 0 ? suited : list;
        const s = (a.garbage !== null && a.op !== 'send' && a.op !== 'recv' ? a.garbage : from.length > 0 ? from[a.pick % from.length] : a.pick) as number;
        const key = `${a.host}:${s}`;
        const to = { family: E.AF_INET, address: a.addr, port: a.port };
        const e = { value: 0 };
        const hostileErrno = a.errno === null ? null : HOSTILE_ERRNOS[a.errno]!;
        const errno = (hostileErrno === null ? e : hostileErrno.make()) as E.LPINT;
        const bad = a.badOut;
        let badOutUsed = false;
        /** `good`, or (now and then) an unwritable variant of it: the call must then fail. */
        const out = <T,>(good: T, variants: readonly { make(): unknown }[], which = 0): T => {
          if (bad === null || bad % 4 !== which) return good;
          badOutUsed = true;
          return variants[(bad >> 2) % variants.length]!.make() as T;
        };
        // What the transfer calls count into; `counted()` is that, or (now and then) an unwritable one.
        const count = { value: 0 };
        const counted = () => out(count, BAD_INTS);
        const size = Math.abs(a.n) % 3000;
        const handlesBefore = p.core.handles();
        let fn = '';
        let r: number;
        switch (a.op) {
          case 'server': compose(a.host, true, '', true, 1 + (Math.abs(a.n) % 4)); continue;
          case 'client': {
            // Mostly towards a host that listens, so that connections happen.
            const listening = [0, 1, 2].filter((i) => issued[i]!.some((x) => hosts[i]!.provider.inspect(x)?.listen != null));
            const target = listening.length > 0 && a.pick % 5 !== 0 ? listening[a.pick % listening.length]! : a.pick % 3;
            compose(a.host, false, ADDRS[target]!, a.flag, 0);
            continue;
          }
          case 'socket':
            fn = 'WSPSocket';
            r = p.WSPSocket(E.AF_INET, a.flag ? E.SOCK_STREAM : E.SOCK_DGRAM, 0, null, 0, 0, errno);
            if (r !== E.INVALID_SOCKET) list.push(r);
            break;
          case 'bind': fn = 'WSPBind'; r = p.WSPBind(s, to, 16, errno); break;
          case 'listen': fn = 'WSPListen'; r = p.WSPListen(s, a.n % 5, errno); break;
          case 'accept': {
            fn = 'WSPAccept';
            const addr = bad === null ? null : out({ family: 0, address: '', port: 0 }, BAD_ADDRS, 1);
            r = p.WSPAccept(s, addr, bad === null ? null : out({ value: 16 }, BAD_INTS, 2), null, 0, errno);
            if (r !== E.INVALID_SOCKET) {
              list.push(r);
              activity.accepted++;
            }
            break;
          }
          case 'connect': fn = 'WSPConnect'; r = p.WSPConnect(s, to, 16, null, null, null, null, errno); break;
          case 'close':
            fn = 'WSPCloseSocket';
            r = p.WSPCloseSocket(s, errno);
            if (r === 0) {
              stoppedReading.add(key);
              list.splice(list.indexOf(s), 1);
            }
            break;
          case 'send': {
            fn = 'WSPSend';
            const bufs = a.garbage !== null ? (a.garbage as E.WSABUF[]) : payload(a.host, s, size);
            r = p.WSPSend(s, bufs, 2, counted(), a.flags & ~E.MSG_PEEK & ~E.MSG_WAITALL & ~E.MSG_OOB, null, null, null, errno);
            if (r === 0 && a.garbage === null && count.value > 0) noteSent(a.host, p, s, count.value);
            break;
          }
          case 'recv': {
            fn = 'WSPRecv';
            const bufs = [new Uint8Array(size >> 1), new Uint8Array(size - (size >> 1))];
            const flags = out({ value: a.flags }, BAD_INTS, 1);
            r = p.WSPRecv(s, a.garbage !== null ? (a.garbage as E.WSABUF[]) : bufs.map((buf) => ({ len: buf.length, buf })), 2, counted(), flags, null, null, null, errno);
            if (r === 0 && a.garbage === null && (a.flags & E.MSG_PEEK) === 0) checkReceived(a.host, p, s, bufs, count.value);
            break;
          }
          case 'sendto':
            fn = 'WSPSendTo';
            r = p.WSPSendTo(s, payload(a.host, s, size), 2, counted(), p.inspect(s)?.type === E.SOCK_STREAM ? 0 : a.flags & E.MSG_OOB, (a.garbage ?? to) as E.SockAddr, 16, null, null, null, errno);
            // lpTo is ignored on a stream: the bytes join its stream.
            if (r === 0 && p.inspect(s)?.type === E.SOCK_STREAM && count.value > 0) noteSent(a.host, p, s, count.value);
            break;
          case 'recvfrom': {
            fn = 'WSPRecvFrom';
            const stream = p.inspect(s)?.type === E.SOCK_STREAM;
            // On a stream only MSG_PEEK, which consumes nothing, except with an unwritable out-parameter:
            // then the call must fail, and a byte it consumed anyway would be missing from the stream.
            const from = out({}, BAD_ADDRS, 1);
            const fromlen = out({ value: 16 }, BAD_INTS, 2);
            const flags = out({ value: stream ? (bad !== null ? 0 : E.MSG_PEEK) : a.flags }, BAD_INTS, 3);
            r = p.WSPRecvFrom(s, [{ len: size, buf: new Uint8Array(size) }], 1, counted(), flags, from, fromlen, null, null, null, errno);
            break;
          }
          case 'shutdown':
            fn = 'WSPShutdown';
            r = p.WSPShutdown(s, a.garbage !== null ? (a.garbage as number) : a.n % 4, errno);
            if (r === 0 && a.n % 4 !== E.SD_SEND) stoppedReading.add(key);
            break;
          case 'select': {
            fn = 'WSPSelect';
            const set = () => ({ fd_count: list.length, fd_array: [...list] });
            const bads = badSets([...list]);
            r = p.WSPSelect(0, out(set(), bads, 1), a.flag ? out(set(), bads, 2) : null, out(set(), bads, 3), a.garbage !== null ? (a.garbage as E.TIMEVAL) : { tv_sec: 0, tv_usec: (a.n % 3) * 500 }, errno);
            break;
          }
          case 'eventselect': fn = 'WSPEventSelect'; r = p.WSPEventSelect(s, events, a.flag ? E.FD_ALL_EVENTS : a.n, errno); break;
          case 'enum':
            fn = 'WSPEnumNetworkEvents';
            r = p.WSPEnumNetworkEvents(s, events, out({ lNetworkEvents: 0, iErrorCode: [] as number[] }, BAD_EVENTS, 1), errno);
            break;
          case 'asyncselect': fn = 'WSPAsyncSelect'; r = p.WSPAsyncSelect(s, 1, 0x400, a.flag ? E.FD_ALL_EVENTS : a.n, errno); break;
          case 'setopt': {
            fn = 'WSPSetSockOpt';
            const [level, name] = SOCKOPTS[a.pick % SOCKOPTS.length]!;
            const v = new Uint8Array(4);
            new DataView(v.buffer).setInt32(0, name === E.SO_LINGER ? (a.flag ? 1 : 0) | ((a.n % 3) << 16) : a.n, true);
            r = p.WSPSetSockOpt(s, level, name, v, 4, errno);
            break;
          }
          case 'ioctl':
            fn = 'WSPIoctl';
            r = p.WSPIoctl(s, IOCTLS[a.pick % IOCTLS.length]!, new Uint8Array([a.flag ? 1 : 0, 0, 0, 0]), 4, new Uint8Array(4), 4, out({ value: 0 }, BAD_INTS, 1), null, null, null, errno);
            break;
          case 'run': net.run(); continue;
          case 'advance': net.advance(Math.abs(a.n) % 5000); continue;
          default:
            host.setNetworkDown(a.flag && a.n % 3 === 0);
            continue;
        }
        if (hostileErrno !== null) activity.hostileErrno++;
        if (badOutUsed) activity.badOut++;
        check(fn, r, e.value, key, hostileErrno !== null, badOutUsed);
        const failed = r === E.SOCKET_ERROR || (r === E.INVALID_SOCKET && (fn === 'WSPSocket' || fn === 'WSPAccept'));
        if (failed) assert.deepEqual(p.core.handles(), handlesBefore, `${fn} failed, yet created or closed a socket`);
        for (const h of hosts) checkAccounting(h.provider, fn);
      }

      // Let everything in flight land, then read what every connected socket still has.
      for (const h of hosts) h.setNetworkDown(false);
      for (let progress = true; progress;) {
        net.run();
        progress = false;
        hosts.forEach((h, i) => {
          for (const s of h.provider.core.handles()) {
            const key = `${i}:${s}`;
            if (stoppedReading.has(key) || broken.has(key) || h.provider.inspect(s)?.type !== E.SOCK_STREAM) continue;
            const buf = new Uint8Array(4096);
            const count = { value: 0 };
            const e = { value: 0 };
            h.provider.WSPIoctl(s, E.FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e);
            if (h.provider.WSPRecv(s, [{ len: buf.length, buf }], 1, count, { value: 0 }, null, null, null, e) === 0) {
              checkReceived(i, h.provider, s, [buf], count.value);
              progress ||= count.value > 0;
            } else if (e.value !== E.WSAEWOULDBLOCK) {
              broken.add(key);
            }
          }
        });
      }
      // Every stream still read by a program got all of it, unless one end reported an error.
      hosts.forEach((h, i) => {
        for (const s of h.provider.core.handles()) {
          const key = `${i}:${s}`;
          const reverse = tuple(h.provider, s, true);
          const st = reverse === null ? undefined : streamByTuple.get(reverse);
          if (st === undefined || stoppedReading.has(key) || broken.has(key)) continue;
          const senderBroken = [...streams.entries()].some(([k, v]) => v === st && broken.has(k));
          if (senderBroken) continue;
          if (st.sent > 0) activity.streamsChecked++;
          assert.equal(readings.get(key)?.received ?? 0, st.sent, `stream ${st.id} delivered only part of what was sent`);
        }
      });

      closeAllAndCheckNothingHeld(net, hosts, 1000);
      assert.ok(posted.every((l) => Number.isInteger(l)));
    }),
    { numRuns: 400, seed: 20261126, includeErrorInReport: true },
  );
  assert.ok(activity.accepted >= 60 && activity.receivedBytes >= 30_000 && activity.streamsChecked >= 15, JSON.stringify(activity));
  assert.ok(activity.hostileErrno >= 150 && activity.badOut >= 250, JSON.stringify(activity));
  t.diagnostic(JSON.stringify(activity));
});

function concat(bufs: Uint8Array[], count: number): Uint8Array {
  const out = new Uint8Array(count);
  let off = 0;
  for (const b of bufs) {
    const n = Math.min(b.length, count - off);
    out.set(b.subarray(0, n), off);
    off += n;
  }
  return out;
}
