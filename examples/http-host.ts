/**
 * `npm run example:http -- --port <port>`: the SPI HTTP server of http-server.ts on the host
 * network. This thread owns the network (a HostNetwork) and serves the provider to a worker
 * thread that runs the server's ordinary Winsock code with blocking WSPSelect.
 *
 * A port that cannot be had (taken, or not allowed) ends it at once with one line on stderr and
 * exit status 1.
 */
import { Worker } from 'node:worker_threads';
import { WSAEACCES, WSAEADDRINUSE, errorName } from '../src/index.js';
import { HostNetwork } from '../src/host/index.js';
import { ProviderServer } from '../src/threads/index.js';

/** What the worker reports to this thread. */
export interface WorkerMessage {
  listening?: string;
  log?: string;
  /** The server failed: the WSP* call and its Winsock code (0 for any other failure), or a message. */
  error?: { call: string; code: number; message: string };
}

/** One line for a failure of the server on 127.0.0.1:`port`. */
export function failureLine(port: number, e: NonNullable<WorkerMessage['error']>): string {
  const why = e.code === 0 ? '' : ` (${e.call}: ${errorName(e.code) ?? e.code})`;
  if (e.code === WSAEADDRINUSE) return `http-server: port ${port} on 127.0.0.1 is already in use${why}; choose another --port, or --port 0 for any free port`;
  if (e.code === WSAEACCES) return `http-server: not allowed to listen on port ${port} of 127.0.0.1${why}; choose a port above 1023, or --port 0`;
  return `http-server: ${e.message}`;
}

/** Serves until SIGINT or SIGTERM; the exit status: 0, or 1 when the server failed. */
export async function serveOnHost(port: number, verbose: boolean): Promise<number> {
  const host = new HostNetwork();
  const owner = new ProviderServer(host.provider);
  const channel = owner.open();
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL('./http-host-worker.js', import.meta.url), {
    workerData: { channel, port, stop, verbose },
    transferList: [channel.port],
  });
  let failed = false;
  const finished = new Promise<number>((resolve, reject) => {
    worker.on('message', (m: WorkerMessage) => {
      if (m.listening !== undefined) console.log(`listening on ${m.listening}`);
      if (m.log !== undefined) console.log(m.log);
      if (m.error !== undefined) {
        failed = true;
        console.error(failureLine(port, m.error));
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) => resolve(failed || code !== 0 ? 1 : 0));
  });
  const shutdown = () => Atomics.store(stop, 0, 1);
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  try {
    return await finished;
  } finally {
    process.off('SIGINT', shutdown);
    process.off('SIGTERM', shutdown);
    owner.close();
    await host.close();
  }
}
