/**
 * What the worker-thread tests share (threads-overlapped, threads-events): a server and a client
 * provider on either network, a worker started on an owner's channel that reports once, and the
 * waits these tests make in real time (the owner serves workers on this thread's event loop).
 */
import { Worker } from 'node:worker_threads';
import { AF_INET, INVALID_SOCKET, IPPROTO_TCP, SOCK_STREAM, VirtualNetwork, type ServiceProvider } from '../src/index.js';
import { HostNetwork } from '../src/host/index.js';
import type { ProviderServer } from '../src/threads/index.js';
import { ok, setNonBlocking, v4 } from './helpers.js';

/** What a fixture worker posts when its scenario ends. */
export interface Report {
  log: Record<string, any>;
  error?: string;
}

export interface World {
  server: ServiceProvider;
  client: ServiceProvider;
  address: string;
  /** Lets the network deliver what this thread sent (the virtual network runs when its owner runs it). */
  pump(): void;
  close(): Promise<void>;
}

export function virtualWorld(seed: number): World {
  const net = new VirtualNetwork({ seed });
  const server = net.addHost({ addresses: ['10.0.0.1'] }).provider;
  const client = net.addHost({ addresses: ['10.0.0.2'] }).provider;
  return { server, client, address: '10.0.0.1', pump: () => net.run(), close: async () => {} };
}

export function hostWorld(): World {
  const host = new HostNetwork();
  return { server: host.provider, client: host.provider, address: '127.0.0.1', pump: () => {}, close: () => host.close() };
}

export const tick = (): Promise<unknown> => new Promise((r) => setTimeout(r, 2));

/** Starts fixture `file` on `owner`'s channel to `provider`; `onWaiting` runs when it says it waits. */
export function startWorker(file: URL, owner: ProviderServer, provider: ServiceProvider, data: Record<string, unknown>,
  onWaiting?: (what: unknown, worker: Worker) => void): { worker: Worker; done: Promise<Report> } {
  const channel = owner.open(provider);
  const worker = new Worker(file, { workerData: { ...data, channel }, transferList: [channel.port] });
  const done = new Promise<Report>((resolve, reject) => {
    worker.on('message', (m: Report & { waiting?: unknown }) => {
      if (m.waiting !== undefined) onWaiting?.(m.waiting, worker);
      else resolve(m);
    });
    worker.on('error', reject);
  });
  return { worker, done };
}

/** Resolves once `n` worker threads are waiting in a call (the owner's view). */
export async function untilWaiting(owner: ProviderServer, n: number): Promise<void> {
  while (owner.waiting() < n) await tick();
}

/** A listener on the server side; `accepted` takes the next connection (non-blocking, after it came). */
export function listener(w: World): { l: number; port: number; accepted: () => Promise<number> } {
  const l = ok((e) => w.server.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
  ok((e) => w.server.WSPBind(l, v4(w.address, 0), 16, e));
  ok((e) => w.server.WSPListen(l, 4, e));
  setNonBlocking(w.server, l);
  const name = { family: 0, address: '', port: 0 };
  ok((e) => w.server.WSPGetSockName(l, name, { value: 16 }, e));
  return {
    l, port: name.port,
    accepted: async () => {
      for (;;) {
        w.pump();
        const a = w.server.WSPAccept(l, null, null, null, 0, { value: 0 });
        if (a !== INVALID_SOCKET) return a;
        await tick();
      }
    },
  };
}

/** Sends text from `s` (a whole small message: the send takes it at once). */
export function sendText(p: ServiceProvider, s: number, t: string): void {
  const b = new TextEncoder().encode(t);
  ok((e) => p.WSPSend(s, [{ len: b.length, buf: b }], 1, { value: 0 }, 0, null, null, null, e));
}
