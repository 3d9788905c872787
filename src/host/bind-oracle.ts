/**
 * Winsock reports WSAEADDRINUSE and WSAEADDRNOTAVAIL from bind itself, but Node binds only
 * asynchronously. The oracle asks the operating system synchronously: a helper thread binds the
 * address (a TCP listener or a UDP socket), notes the port, lets it go, and answers through
 * shared memory while this thread waits in Atomics.wait.
 */
import { Worker } from 'node:worker_threads';
import { WSAENETDOWN } from '../provider/constants.js';
import { NODE_TO_WSA } from './errors.js';
import { toNodeAddress } from './zone.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const dgram = require('node:dgram');
const { state, table, fallback } = workerData;
const answer = (value) => { Atomics.store(state, 1, value); Atomics.store(state, 0, 1); Atomics.notify(state, 0); };
const refuse = (e) => answer(-(table[e && e.code] || fallback));
parentPort.on('message', ({ version, stream, address, port }) => {
  try {
    if (stream) {
      const s = net.createServer();
      s.once('error', refuse);
      s.listen({ host: address, port, exclusive: true, backlog: 1 }, () => {
        const p = s.address().port;
        s.close(() => answer(p));
      });
    } else {
      const u = dgram.createSocket({ type: version === 6 ? 'udp6' : 'udp4' });
      u.once('error', (e) => { try { u.close(); } catch {} refuse(e); });
      u.bind({ address, port, exclusive: true }, () => {
        const p = u.address().port;
        u.close(() => answer(p));
      });
    }
  } catch (e) { refuse(e); }
});
`;

/** How long a bind may take before the network is reported down. */
const ANSWER_TIMEOUT_MS = 5000;

export class BindOracle {
  private worker: Worker | null = null;
  private readonly state = new Int32Array(new SharedArrayBuffer(8));

  /** Binds and releases: the port (the one chosen for port 0), or a negated Winsock code. */
  reserve(version: 4 | 6, stream: boolean, address: string, port: number): number {
    const worker = this.start();
    Atomics.store(this.state, 0, 0);
    worker.postMessage({ version, stream, address: toNodeAddress(address), port });
    if (Atomics.wait(this.state, 0, 0, ANSWER_TIMEOUT_MS) === 'timed-out') return -WSAENETDOWN;
    return Atomics.load(this.state, 1);
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = null;
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { state: this.state, table: NODE_TO_WSA, fallback: WSAENETDOWN },
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
