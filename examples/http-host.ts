/**
 * `npm run example:http -- --port <port>`: the SPI HTTP server of http-server.ts on the host
 * network. This thread owns the network (a HostNetwork) and serves the provider to a worker
 * thread that runs the server's ordinary Winsock code with blocking WSPSelect.
 */
import { Worker } from 'node:worker_threads';
import { HostNetwork } from '../src/host/index.js';
import { ProviderServer } from '../src/threads/index.js';

export async function serveOnHost(port: number, verbose: boolean): Promise<void> {
  const host = new HostNetwork();
  const owner = new ProviderServer(host.provider);
  const channel = owner.open();
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL('./http-host-worker.js', import.meta.url), {
    workerData: { channel, port, stop, verbose },
    transferList: [channel.port],
  });
  const finished = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { listening?: string; log?: string; error?: string }) => {
      if (m.listening !== undefined) console.log(`listening on ${m.listening}`);
      if (m.log !== undefined) console.log(m.log);
      if (m.error !== undefined) console.error(`error: ${m.error}`);
    });
    worker.on('error', reject);
    worker.on('exit', () => resolve());
  });
  const shutdown = () => Atomics.store(stop, 0, 1);
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await finished;
  owner.close();
  await host.close();
}
