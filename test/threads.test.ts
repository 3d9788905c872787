/**
 * Blocking calls from worker threads (SharedArrayBuffer and Atomics.wait): a blocking echo
 * server in one worker, blocking clients in others, on the virtual and on the host network.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { VirtualNetwork, type ServiceProvider } from '../src/index.js';
import { HostNetwork } from '../src/host/index.js';
import { ProviderServer } from '../src/threads/index.js';

const WORKER = new URL('./fixtures/blocking-echo-worker.js', import.meta.url);

interface Outcome {
  done?: string[];
  error?: string;
  log?: string[];
}

function run(server: ProviderServer, provider: ServiceProvider, data: Record<string, unknown>, onListening?: (port: number) => void): Promise<Outcome> {
  const channel = server.open(provider);
  const worker = new Worker(WORKER, { workerData: { ...data, channel }, transferList: [channel.port] });
  return new Promise((resolve, reject) => {
    worker.on('message', (m: Outcome & { listening?: number }) => {
      if (m.listening !== undefined) onListening?.(m.listening);
      else resolve(m);
    });
    worker.on('error', reject);
  });
}

async function echoScenario(
  provider: ServiceProvider, serverAddress: string, port: number, clientProvider = provider,
  opts: { stallMs?: number; openClientsAfterMs?: number; clientsStartAfterMs?: number } = {},
) {
  const owner = new ProviderServer(provider, { stallMs: opts.stallMs });
  const messages = (k: number) => [`hello from ${k}`, 'x'.repeat(5000 + k), `bye ${k}`];
  let listening!: (port: number) => void;
  const ready = new Promise<number>((r) => (listening = r));
  const served = run(owner, provider, { role: 'server', address: serverAddress, port, clients: 3 }, listening);
  const actualPort = await ready;
  if (opts.openClientsAfterMs !== undefined) await new Promise((r) => setTimeout(r, opts.openClientsAfterMs));
  // Client threads whose start is slow (a loaded machine): their channels exist, their first call comes later.
  const clients = [1, 2, 3].map((k) => run(owner, clientProvider, {
    role: 'client', address: serverAddress, port: actualPort, messages: messages(k), startAfterMs: opts.clientsStartAfterMs ?? 0,
  }));
  const results = await Promise.all([served, ...clients]);
  owner.close();
  for (const r of results) assert.equal(r.error, undefined, `${r.error} after ${JSON.stringify(r.log)}`);
  const [server, ...rest] = results;
  assert.deepEqual(server!.done!.sort(), [1, 2, 3].map((k) => `served ${messages(k).join('').length} bytes`).sort());
  rest.forEach((r, i) => assert.deepEqual(r.done, [...messages(i + 1), 'end of stream: 0']));
}

describe('blocking calls from worker threads', () => {
  test('virtual network: a blocking echo server in one worker, three blocking clients in others', async () => {
    const net = new VirtualNetwork({ seed: 5 });
    const server = net.addHost({ addresses: ['10.0.0.1'] }).provider;
    const client = net.addHost({ addresses: ['10.0.0.2'] }).provider;
    await echoScenario(server, '10.0.0.1', 7, client);
  });

  test('virtual network: client threads that make their first call long after the server began to wait still reach it (no WSAEINTR while a thread has not called yet)', async () => {
    const net = new VirtualNetwork({ seed: 5 });
    const server = net.addHost({ addresses: ['10.0.0.1'] }).provider;
    const client = net.addHost({ addresses: ['10.0.0.2'] }).provider;
    // The server's accept waits alone long enough for a stall to be armed (200 ms); then the
    // client threads come, and make their first call only after the stall time has passed.
    await echoScenario(server, '10.0.0.1', 7, client, { stallMs: 200, openClientsAfterMs: 100, clientsStartAfterMs: 400 });
  });

  test('host network: the same blocking echo over 127.0.0.1', async () => {
    const host = new HostNetwork();
    try {
      await echoScenario(host.provider, '127.0.0.1', 0);
    } finally {
      await host.close();
    }
  });
});
