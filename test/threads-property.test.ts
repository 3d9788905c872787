/**
 * Random garbage calls from a worker thread (fast-check): random functions of the proc table and
 * the extension functions' stand-ins (AcceptEx, ConnectEx, DisconnectEx, TransmitPackets,
 * WSARecvMsg, WSASendMsg)
 * with random arguments of many kinds — live socket handles and well-formed structures mixed with
 * functions, symbols, Proxies (revoked ones too), throwing getters, BigInts, cyclic and frozen objects, views into
 * large ordinary and shared memory. Whatever they are, no call throws in the worker, none hangs
 * (a blocking wait nothing can end fails after the owner's stall time), and the owner never
 * breaks: it answers every call and serves the worker normally afterwards. The runs must reach
 * many functions, many error codes and some successes, or the property proves little: the test
 * checks how much they reached. test/fixtures/garbage-worker.ts is the worker.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { PROC_NAMES, SOCKET_ERROR, VirtualNetwork } from '../src/index.js';
import { ProviderServer } from '../src/threads/index.js';
import type { CallReport, CallSpec, ValueSpec } from './fixtures/garbage-worker.js';

/** Each function's C arity (WSPCleanup is left out: it ends the provider for every thread, which the rest of the run then only meets as WSANOTINITIALISED). */
const ARITY: Record<string, number> = {
  WSPAccept: 5, WSPAddressToString: 5, WSPAsyncSelect: 5, WSPBind: 4, WSPCancelBlockingCall: 1, WSPCloseSocket: 2, WSPConnect: 8,
  WSPDuplicateSocket: 4, WSPEnumNetworkEvents: 4, WSPEventSelect: 4, WSPGetOverlappedResult: 6, WSPGetPeerName: 4, WSPGetSockName: 4,
  WSPGetSockOpt: 6, WSPGetQOSByName: 4, WSPIoctl: 11, WSPJoinLeaf: 9, WSPListen: 3, WSPRecv: 9, WSPRecvDisconnect: 3, WSPRecvFrom: 11,
  WSPSelect: 6, WSPSend: 9, WSPSendDisconnect: 3, WSPSendTo: 11, WSPSetSockOpt: 6, WSPShutdown: 3, WSPSocket: 7, WSPStringToAddress: 6,
  // The extension functions' worker stand-ins (their lpErrno last).
  AcceptEx: 9, ConnectEx: 8, DisconnectEx: 5, TransmitPackets: 7, WSARecvMsg: 6, WSASendMsg: 7,
};
const EXTENSIONS = ['AcceptEx', 'ConnectEx', 'DisconnectEx', 'TransmitPackets', 'WSARecvMsg', 'WSASendMsg'];

const leaf: fc.Arbitrary<ValueSpec> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('num' as const), v: fc.oneof(fc.integer({ min: -2, max: 20 }), fc.constantFrom(0, 1, 2, 6, 16, 17, 28, 0xffff, 0xffffffff, -1, 2 ** 53, NaN, Infinity, 0.5, -0)) }), weight: 6 },
  { arbitrary: fc.record({ k: fc.constant('str' as const), v: fc.constantFrom('', '10.0.0.2', 'x', '::1', '__proto__') }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('bool' as const), v: fc.boolean() }), weight: 1 },
  { arbitrary: fc.constant({ k: 'null' as const }), weight: 3 },
  { arbitrary: fc.constant({ k: 'undef' as const }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('bigint' as const), v: fc.integer({ min: -1, max: 10 }) }), weight: 1 },
  { arbitrary: fc.constantFrom(...(['symbol', 'fn', 'fnCalls', 'fnThrows', 'proxy', 'revoked', 'getter', 'cyclic', 'errno', 'overlapped', 'date', 'map', 'dataView'] as const).map((k) => ({ k }))), weight: 6 },
  { arbitrary: fc.record({ k: fc.constant('bytes' as const), n: fc.integer({ min: 0, max: 64 }) }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('bigView' as const), at: fc.nat(), n: fc.integer({ min: 0, max: 32 }) }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('sabView' as const), at: fc.nat(), n: fc.integer({ min: 0, max: 32 }) }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('sockaddr' as const), port: fc.constantFrom(0, 7, 80, 5000) }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('wsabufs' as const), n: fc.integer({ min: 0, max: 3 }), size: fc.integer({ min: 0, max: 16 }) }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('socket' as const), i: fc.nat(50) }), weight: 6 },
  { arbitrary: fc.record({ k: fc.constant('fdset' as const), i: fc.nat(50) }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('timeval' as const), sec: fc.constantFrom(0, 0, 1, -1), usec: fc.constantFrom(0, 1, 500, -1) }), weight: 2 },
);

const value: fc.Arbitrary<ValueSpec> = fc.letrec<{ v: ValueSpec }>((tie) => ({
  v: fc.oneof(
    { arbitrary: leaf, weight: 12 },
    { arbitrary: fc.record({ k: fc.constant('frozen' as const), inner: tie('v') }), weight: 1 },
    { arbitrary: fc.record({ k: fc.constant('arr' as const), items: fc.array(tie('v'), { maxLength: 3 }) }), weight: 1 },
    { arbitrary: fc.record({ k: fc.constant('obj' as const), entries: fc.array(fc.tuple(fc.constantFrom('value', 'len', 'buf', 'family', 'port', 'fd_count', 'fd_array', '__proto__'), tie('v')), { maxLength: 3 }) }), weight: 1 },
  ),
})).v;

/** A call: a function of the proc table, its arity give or take one, often a live socket first and a real lpErrno last. */
const call: fc.Arbitrary<CallSpec> = fc.constantFrom(...PROC_NAMES.filter((n) => n !== 'WSPCleanup'), ...EXTENSIONS).chain((fn) => {
  const n = ARITY[fn]!;
  return fc.tuple(
    fc.oneof({ arbitrary: fc.record({ k: fc.constant('socket' as const), i: fc.nat(50) }) as fc.Arbitrary<ValueSpec>, weight: 3 }, { arbitrary: value, weight: 1 }),
    fc.array(value, { minLength: Math.max(0, n - 3), maxLength: n }),
    fc.boolean(),
  ).map(([first, middle, errno]) => ({ fn, args: [first, ...middle.slice(0, n - 2), ...(errno ? [{ k: 'errno' as const }] : middle.slice(n - 2))] }));
});

test('random garbage calls from a worker never throw there, never hang, never break the owner; the runs reach many functions and codes', async (t) => {
  const net = new VirtualNetwork({ seed: 16 });
  const provider = net.addHost({ addresses: ['10.0.0.2'] }).provider;
  // A blocking wait nothing can end fails (WSAEINTR) after 30 ms of real time.
  const owner = new ProviderServer(provider, { stallMs: 30 });
  const channel = owner.open(provider);
  const sab = new SharedArrayBuffer(1 << 20);
  const progress = new SharedArrayBuffer(4);
  const worker = new Worker(new URL('./fixtures/garbage-worker.js', import.meta.url), { workerData: { channel, sab, progress }, transferList: [channel.port] });
  const failed = new Promise<never>((_, reject) => worker.on('error', reject));
  let answer: ((m: any) => void) | undefined;
  worker.on('message', (m) => answer?.(m));
  const ask = (m: unknown, ms = 20_000): Promise<any> => Promise.race([
    failed,
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the worker hung in ${PROC_NAMES[Atomics.load(new Int32Array(progress), 0)]}`)), ms);
      answer = (r) => {
        clearTimeout(t);
        resolve(r);
      };
      worker.postMessage(m);
    }),
  ]);

  const seen = { fns: new Set<string>(), codes: new Set<number>(), succeeded: 0, failed: 0, calls: 0 };
  const t0 = performance.now();
  let hung: string | undefined;
  await fc.assert(
    fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 25 }), async (calls) => {
      let reports: CallReport[];
      try {
        ({ reports } = await ask({ calls }) as { reports: CallReport[] });
      } catch (x) {
        hung = String(x);
        throw x;
      }
      for (const r of reports) {
        assert.equal(r.threw, undefined, `${r.fn} threw in the worker: ${r.threw}`);
        seen.calls++;
        seen.fns.add(r.fn);
        if (r.err !== 0) seen.codes.add(r.err);
        if (r.ret === SOCKET_ERROR || r.ret === 0xffffffff) seen.failed++;
        else seen.succeeded++;
      }
    }),
    { numRuns: 200, seed: 16, endOnFailure: true },
  ).catch((x: unknown) => {
    throw new Error(`${hung ?? ''} ${String(x)}`);
  });
  const final = await ask({ end: true });
  await worker.terminate();
  owner.close();
  const ms = performance.now() - t0;
  t.diagnostic(`${seen.calls} calls in ${Math.round(ms)} ms: ${seen.fns.size} functions, ${seen.codes.size} codes (${[...seen.codes].sort().join(' ')}), ${seen.succeeded} succeeded, ${seen.failed} failed`);
  // The owner serves the worker as ever after all that.
  assert.notEqual(final.final.socket, 0xffffffff);
  assert.equal(final.final.bound, 0);
  // How much the runs reached.
  assert.ok(seen.calls >= 1000, `${seen.calls} calls`);
  assert.ok(seen.fns.size >= 25, `functions reached: ${[...seen.fns].join(' ')}`);
  for (const x of EXTENSIONS) assert.ok(seen.fns.has(x), `the ${x} stand-in was called`);
  assert.ok(seen.codes.size >= 6, `codes seen: ${[...seen.codes].join(' ')}`);
  assert.ok(seen.succeeded >= 40, `${seen.succeeded} calls succeeded`);
  assert.ok(seen.failed >= 500, `${seen.failed} calls failed`);
  assert.ok(ms < 60_000, `bounded: ${ms} ms`);
});
