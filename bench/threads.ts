/**
 * The worker-thread rows of `npm run bench` (`winsock-spi/threads`, docs/host-network.md,
 * "Blocking calls from threads"): what one blocking call from a worker costs, and one-byte round
 * trips between two workers on the virtual network (a blocking echo: the client sends 1 byte
 * and waits for it back with blocking WSPSend / WSPRecv, the server does the same). This file is
 * also the workers' code (it runs itself in a worker).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  AF_INET, INVALID_SOCKET, IPPROTO_TCP, SOCK_STREAM, SOCKET_ERROR, TCP_NODELAY, VirtualNetwork, type ServiceProvider,
} from '../src/index.js';
import { ProviderServer, threadProvider, type ProviderChannel } from '../src/threads/index.js';

interface Job {
  role: 'calls' | 'client' | 'server';
  channel: ProviderChannel;
  count: number;
  address: string;
  port: number;
}

/** Starts this file in a worker with `job`; resolves with its messages (all but the last go to `onMessage`). */
function start(owner: ProviderServer, provider: ServiceProvider, job: Omit<Job, 'channel'>, onMessage?: (m: any) => void): Promise<any> {
  const channel = owner.open(provider);
  const worker = new Worker(new URL(import.meta.url), { workerData: { ...job, channel }, transferList: [channel.port] });
  return new Promise((resolve, reject) => {
    worker.on('message', (m: { done?: unknown; error?: string }) => {
      if (m.error !== undefined) reject(new Error(m.error));
      else if (m.done !== undefined) resolve(m.done);
      else onMessage?.(m);
    });
    worker.on('error', reject);
  });
}

/** Nanoseconds per blocking WSPGetSockName from one worker (the cost of one call across the channel). */
export async function threadsCallNs(calls: number): Promise<number> {
  const net = new VirtualNetwork({ seed: 1 });
  const p = net.addHost({ addresses: ['10.0.0.1'] }).provider;
  const owner = new ProviderServer(p);
  try {
    const ms = await start(owner, p, { role: 'calls', count: calls, address: '10.0.0.1', port: 0 }) as number;
    return (ms * 1e6) / calls;
  } finally {
    owner.close();
  }
}

/** One-byte round trips per second between two workers (blocking client, blocking echo server) on the virtual network. */
export async function threadsRttPerSec(trips: number): Promise<number> {
  const net = new VirtualNetwork({ seed: 1, timeWaitMs: 0 });
  const a = net.addHost({ addresses: ['10.0.0.1'] }).provider;
  const b = net.addHost({ addresses: ['10.0.0.2'] }).provider;
  const owner = new ProviderServer(a);
  try {
    let listening!: (port: number) => void;
    const ready = new Promise<number>((r) => (listening = r));
    const served = start(owner, a, { role: 'server', count: trips, address: '10.0.0.1', port: 7 }, (m: { listening: number }) => listening(m.listening));
    const port = await ready;
    const ms = await start(owner, b, { role: 'client', count: trips, address: '10.0.0.1', port }) as number;
    await served;
    return trips / (ms / 1000);
  } finally {
    owner.close();
  }
}

/**
 * The `threads` object of `npm run bench -- --json`: one-byte blocking round trips per second
 * between two workers (at most 20,000 of them, a few seconds), and microseconds per blocking
 * WSPGetSockName from one worker.
 */
export async function threadsRows(trips: number): Promise<{ rttPerSec: number; callUs: number }> {
  const n = Math.max(1, Math.min(trips, 20_000));
  const rttPerSec = Math.round(await threadsRttPerSec(n));
  const callUs = Math.round((await threadsCallNs(n)) / 100) / 10;
  return { rttPerSec, callUs };
}

// ---- the workers ------------------------------------------------------------------------------

function work(job: Job): void {
  const p = threadProvider(job.channel);
  const e = { value: 0 };
  const must = (what: string, r: number): number => {
    if (r === SOCKET_ERROR || r === INVALID_SOCKET) throw new Error(`${what}: ${e.value}`);
    return r;
  };
  const at = { family: AF_INET, address: job.address, port: job.port };
  const tcp = (): number => must('WSPSocket', p.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
  const noDelay = (s: number): void => void must('TCP_NODELAY', p.WSPSetSockOpt(s, IPPROTO_TCP, TCP_NODELAY, new Uint8Array([1, 0, 0, 0]), 4, e));
  const one = new Uint8Array(1);
  const bufs = [{ len: 1, buf: one }];
  const n = { value: 0 };
  const flags = { value: 0 };
  const send = (s: number): void => void must('WSPSend', p.WSPSend(s, bufs, 1, n, 0, null, null, null, e));
  const recv = (s: number): number => {
    flags.value = 0;
    must('WSPRecv', p.WSPRecv(s, bufs, 1, n, flags, null, null, null, e));
    return n.value;
  };
  try {
    if (job.role === 'calls') {
      const s = tcp();
      must('WSPBind', p.WSPBind(s, at, 16, e));
      const name = { family: 0, address: '', port: 0 };
      const len = { value: 16 };
      const warm = Math.min(job.count, 2000);
      for (let i = 0; i < warm; i++) must('WSPGetSockName', p.WSPGetSockName(s, name, len, e));
      const t0 = performance.now();
      for (let i = 0; i < job.count; i++) {
        len.value = 16;
        must('WSPGetSockName', p.WSPGetSockName(s, name, len, e));
      }
      parentPort!.postMessage({ done: performance.now() - t0 });
    } else if (job.role === 'server') {
      const l = tcp();
      must('WSPBind', p.WSPBind(l, at, 16, e));
      must('WSPListen', p.WSPListen(l, 1, e));
      const name = { family: 0, address: '', port: 0 };
      must('WSPGetSockName', p.WSPGetSockName(l, name, { value: 16 }, e));
      parentPort!.postMessage({ listening: name.port });
      const a = must('WSPAccept', p.WSPAccept(l, null, null, null, 0, e));
      noDelay(a);
      while (recv(a) === 1) send(a);
      p.WSPCloseSocket(a, e);
      p.WSPCloseSocket(l, e);
      parentPort!.postMessage({ done: true });
    } else {
      const s = tcp();
      noDelay(s);
      must('WSPConnect', p.WSPConnect(s, at, 16, null, null, null, null, e));
      const trip = (): void => {
        send(s);
        if (recv(s) !== 1) throw new Error('the echo ended');
      };
      const warm = Math.min(job.count, 500);
      for (let i = 0; i < warm; i++) trip();
      const t0 = performance.now();
      for (let i = 0; i < job.count; i++) trip();
      const ms = performance.now() - t0;
      p.WSPCloseSocket(s, e);
      parentPort!.postMessage({ done: ms });
    }
  } catch (err) {
    parentPort!.postMessage({ error: String(err) });
  } finally {
    p.close();
  }
}

if (!isMainThread && (workerData as Partial<Job> | null)?.role !== undefined && (workerData as Job).channel !== undefined) work(workerData as Job);

// `node build/bench/threads.js [calls] [trips]`: both figures.
if (isMainThread && process.argv[1] !== undefined && new URL(import.meta.url).pathname === process.argv[1]) {
  const calls = Number(process.argv[2] ?? 20_000);
  const trips = Number(process.argv[3] ?? 5_000);
  console.log(`µs per blocking call (WSPGetSockName): ${((await threadsCallNs(calls)) / 1000).toFixed(2)}`);
  console.log(`threads.rttPerSec: ${Math.round(await threadsRttPerSec(trips))}`);
}
