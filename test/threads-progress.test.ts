/**
 * What a worker's blocking call reports when it ends (src/threads/server.ts): a blocking accept
 * that waited leaves lpErrno as it was; a MSG_WAITALL receive interrupted (stall, cancellation,
 * the server closing) after some bytes moved succeeds with that count (as its time-out does)
 * instead of losing them; a blocking send gets the same rule (on the virtual network a send takes
 * its whole buffer once any room opens, so it has no partial state to test there); and the
 * stall grace starts again while the owner's own program keeps the network busy.
 * test/fixtures/progress-worker.ts is the worker.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { AF_INET, FIONBIO, IPPROTO_TCP, SOCK_STREAM, VirtualNetwork, type ServiceProvider } from '../src/index.js';
import { ProviderServer } from '../src/threads/index.js';

const WORKER = new URL('./fixtures/progress-worker.js', import.meta.url);
const e = { value: 0 };

interface Answer { ret: number; err: number; count?: number; ms?: number; got?: number[] }

function setup(stallMs: number) {
  const net = new VirtualNetwork({ seed: 7 });
  const parent = net.addHost({ addresses: ['10.0.0.1'] }).provider;
  const provider = net.addHost({ addresses: ['10.0.0.2'] }).provider;
  const owner = new ProviderServer(provider, { stallMs });
  return { net, parent, provider, owner };
}

/** Starts the worker; resolves with its first message (ready) and a promise of its answer. */
function start(owner: ProviderServer, provider: ServiceProvider, data: Record<string, unknown>): Promise<{ ready: any; answer: Promise<Answer>; worker: Worker }> {
  const channel = owner.open(provider);
  const worker = new Worker(WORKER, { workerData: { ...data, channel }, transferList: [channel.port] });
  return new Promise((resolve, reject) => {
    let answered!: (a: Answer) => void;
    const answer = new Promise<Answer>((r) => (answered = r));
    let first = true;
    worker.on('message', (m) => {
      if (first) {
        first = false;
        resolve({ ready: m, answer, worker });
      } else answered(m as Answer);
    });
    worker.on('error', reject);
  });
}

function listener(parent: ServiceProvider): number {
  const l = parent.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e);
  parent.WSPBind(l, { family: AF_INET, address: '10.0.0.1', port: 80 }, 16, e);
  parent.WSPListen(l, 4, e);
  parent.WSPIoctl(l, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e);
  return l;
}

const until = async (f: () => boolean): Promise<void> => {
  while (!f()) await new Promise((r) => setTimeout(r, 2));
};

describe('worker blocking calls: what they report at the end', () => {
  test('a blocking WSPAccept that waited and then succeeded leaves lpErrno as it was (no WSAEWOULDBLOCK of its tries)', async () => {
    const { parent, provider, owner } = setup(5_000);
    const { answer, worker } = await start(owner, provider, { mode: 'accept' });
    await until(() => owner.waiting() === 1); // the accept has tried once and waits
    const c = parent.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e);
    assert.equal(parent.WSPConnect(c, { family: AF_INET, address: '10.0.0.2', port: 80 }, 16, null, null, null, null, e), 0);
    const a = await answer;
    await worker.terminate();
    owner.close();
    assert.notEqual(a.ret, 0xffffffff);
    assert.equal(a.err, 0);
  });

  test('a MSG_WAITALL receive the stall interrupts after 2 of 3 bytes succeeds with count 2 (the bytes are not lost)', async () => {
    const { net, parent, provider, owner } = setup(100);
    const l = listener(parent);
    const { ready, answer, worker } = await start(owner, provider, { mode: 'waitall', want: 3 });
    assert.equal(ready.connected, 0);
    net.run();
    const a = parent.WSPAccept(l, null, null, null, 0, e);
    assert.equal(parent.WSPSend(a, [{ len: 2, buf: new Uint8Array([65, 66]) }], 1, { value: 0 }, 0, null, null, null, e), 0);
    const r = await answer;
    await worker.terminate();
    owner.close();
    assert.deepEqual({ ret: r.ret, err: r.err, count: r.count, got: r.got }, { ret: 0, err: 0, count: 2, got: [65, 66] });
  });

  for (const how of ['cancelBlockingCall', 'owner.close()'] as const) {
    test(`a MSG_WAITALL receive ended by ${how} after 2 of 3 bytes succeeds with count 2`, async () => {
      const { net, parent, provider, owner } = setup(60_000);
      const l = listener(parent);
      const { ready, answer, worker } = await start(owner, provider, { mode: 'waitall', want: 3 });
      assert.equal(ready.connected, 0);
      net.run();
      const a = parent.WSPAccept(l, null, null, null, 0, e);
      await until(() => owner.waiting() === 1);
      assert.equal(parent.WSPSend(a, [{ len: 2, buf: new Uint8Array([65, 66]) }], 1, { value: 0 }, 0, null, null, null, e), 0);
      net.run(); // the bytes reach the worker's socket: its watcher queues the owner's retry (setImmediate)
      await new Promise((r) => setImmediate(r)); // after that retry: the receive holds 2 bytes and waits for the third
      assert.equal(owner.waiting(), 1);
      if (how === 'cancelBlockingCall') assert.equal(owner.cancelBlockingCall(worker.threadId), true);
      else owner.close();
      const r = await answer;
      await worker.terminate();
      owner.close();
      assert.deepEqual({ ret: r.ret, err: r.err, count: r.count, got: r.got }, { ret: 0, err: 0, count: 2, got: [65, 66] });
    });
  }

  test('the stall grace starts again while the owner\'s program sends: a byte every 150 ms with a 300 ms grace completes a MSG_WAITALL receive', async () => {
    const { net, parent, provider, owner } = setup(300);
    const l = listener(parent);
    const { ready, answer, worker } = await start(owner, provider, { mode: 'waitall', want: 3 });
    assert.equal(ready.connected, 0);
    net.run();
    const a = parent.WSPAccept(l, null, null, null, 0, e);
    let i = 0;
    const tick = setInterval(() => {
      parent.WSPSend(a, [{ len: 1, buf: new Uint8Array([65 + i]) }], 1, { value: 0 }, 0, null, null, null, e);
      if (++i === 3) clearInterval(tick);
    }, 150);
    const r = await answer;
    clearInterval(tick);
    await worker.terminate();
    owner.close();
    assert.deepEqual({ ret: r.ret, err: r.err, count: r.count, got: r.got }, { ret: 0, err: 0, count: 3, got: [65, 66, 67] });
  });
});
