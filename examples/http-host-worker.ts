/** The worker of http-host.ts: the HTTP server's Winsock code, with calls that really block. */
import { parentPort, workerData } from 'node:worker_threads';
import { AF_INET, type ServiceProvider } from '../src/index.js';
import { threadProvider, type ProviderChannel } from '../src/threads/index.js';
import type { WorkerMessage } from './http-host.js';
import { startHttpServer } from './http-server.js';
import { SpiError } from './spi-helpers.js';

const { channel, port, stop, verbose } = workerData as { channel: ProviderChannel; port: number; stop: Int32Array; verbose: boolean };
const post = (m: WorkerMessage) => parentPort!.postMessage(m);
const provider = threadProvider(channel);
try {
  // The thread provider has the WSP* functions the server uses, blocking for real.
  const server = startHttpServer(provider as unknown as ServiceProvider, { family: AF_INET, address: '127.0.0.1', port }, (line) => {
    if (verbose) post({ log: line });
  });
  post({ listening: `127.0.0.1:${server.port}` });
  while (Atomics.load(stop, 0) === 0) server.step(200);
  server.close();
} catch (err) {
  post({
    error: err instanceof SpiError
      ? { call: err.call, code: err.code, message: err.message }
      : { call: '', code: 0, message: err instanceof Error ? err.message : String(err) },
  });
} finally {
  provider.close();
}
