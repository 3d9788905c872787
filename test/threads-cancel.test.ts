/**
 * WSPCancelBlockingCall in a worker thread (docs/decisions.md, "Multipoint, QOS and blocking-call
 * cancellation"): with no call in progress on the thread, WSAEINVAL; from a callback the owner runs
 * during the thread's blocking call, 0, and the call completes as if never cancelled (the owner
 * calls back only with the result in hand).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { INVALID_SOCKET, SOCKET_ERROR, VirtualNetwork, WSAEINVAL } from '../src/index.js';
import { ProviderServer } from '../src/threads/index.js';
import { startConnect, v4 } from './helpers.js';

test('WSPCancelBlockingCall from a worker: WSAEINVAL when idle, 0 from its blocking accept\'s condition function', async () => {
  const net = new VirtualNetwork({ seed: 3 });
  const server = net.addHost({ addresses: ['10.0.0.1'] }).provider;
  const client = net.addHost({ addresses: ['10.0.0.2'] }).provider;
  const owner = new ProviderServer(server);
  const channel = owner.open(server);
  const worker = new Worker(new URL('./fixtures/cancel-worker.js', import.meta.url), { workerData: { channel, port: 90 }, transferList: [channel.port] });
  const result = await new Promise<{ idleRet: number; idleErr: number; inHook: number; accepted: number }>((resolve, reject) => {
    worker.on('message', (m: { listening?: boolean }) => {
      if (m.listening) {
        // This thread owns the network: it runs it, so the SYN reaches the listener at once.
        startConnect(client, v4('10.0.0.1', 90));
        net.run();
      }
      else resolve(m as never);
    });
    worker.on('error', reject);
  });
  owner.close();
  assert.deepEqual([result.idleRet, result.idleErr], [SOCKET_ERROR, WSAEINVAL]);
  assert.equal(result.inHook, 0, JSON.stringify(result));
  assert.ok(result.accepted !== INVALID_SOCKET && result.accepted > 0, `accepted ${result.accepted}`);
});
