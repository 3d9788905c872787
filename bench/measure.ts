/**
 * The measurements of `npm run bench`, side by side: node:net on 127.0.0.1, the SPI on the
 * virtual network, and the SPI on the host network. Each function takes its sizes so a smoke
 * test can run them tiny; none of them asserts on time. Every wait for the real network is
 * guarded: a measurement that stops making progress fails with an error naming what it waited
 * for, instead of hanging the bench or the test that runs it.
 */
import net from 'node:net';
import {
  AF_INET, FD_ACCEPT, FD_CLOSE, FD_CONNECT, FD_READ, FD_WRITE, IPPROTO_TCP, SOCK_STREAM, TCP_NODELAY,
  VirtualNetwork, WSAEWOULDBLOCK, connect, listen, type ServiceProvider,
} from '../src/index.js';
import { HostNetwork } from '../src/host/index.js';

const e = () => ({ value: 0 });
const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** How long a measurement on the real network may go without progress before it fails. */
export const STALL_MS = 10_000;

/**
 * A time limit for the waits of one measurement on the real network. The measurement bumps
 * `beats` whenever something moves (a plain increment: the guard costs the figures nothing) and
 * every wait passes through {@link Guard.wait}; a timer checks every `stallMs` that the count
 * moved. When it has not, `onStall` closes what the measurement opened and the pending wait
 * rejects with an error that names the measurement and what it was waiting for.
 */
export class Guard {
  beats = 0;
  private waitingFor = 'start';
  private seen = -1;
  private readonly timer: NodeJS.Timeout;
  private readonly stalled: Promise<never>;

  constructor(readonly what: string, onStall: () => void, stallMs = STALL_MS) {
    let fail!: (error: Error) => void;
    this.stalled = new Promise<never>((_, reject) => (fail = reject));
    this.stalled.catch(() => {}); // reported through the wait that is pending, if any
    this.timer = setInterval(() => {
      if (this.beats !== this.seen) {
        this.seen = this.beats;
        return;
      }
      clearInterval(this.timer);
      fail(new Error(`${this.what}: no progress for ${stallMs / 1000} s while waiting for ${this.waitingFor} `
        + '(a call on the real network failed, or a peer never answered)'));
      try {
        onStall();
      } catch {
        // closing what is already broken: the error above is the one that matters
      }
    }, stallMs);
  }

  /** `promise`, or the stall error if the measurement stops moving first. */
  async wait<T>(waitingFor: string, promise: Promise<T>): Promise<T> {
    this.waitingFor = waitingFor;
    const value = await Promise.race([promise, this.stalled]);
    this.beats++;
    return value;
  }

  /** The measurement is over (in a finally): the timer stops. */
  done(): void {
    clearInterval(this.timer);
  }
}

// ---- node:net ----------------------------------------------------------------------------------

/** A node:net server on 127.0.0.1 (`destroy` on a stall: the client's end is destroyed too). */
async function nodeServer(guard: Guard, onSocket: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void>; destroy(): void }> {
  const server = net.createServer({ noDelay: true }, onSocket);
  await guard.wait('node:net listen', new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve)));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => guard.wait('node:net server close', new Promise((r) => server.close(() => r()))),
    destroy: () => server.close(),
  };
}

/** A node:net client connected to 127.0.0.1:`port`. */
export function nodeConnect(guard: Guard, port: number, noDelay = false): Promise<net.Socket> {
  const c = net.connect({ port, host: '127.0.0.1', noDelay });
  return guard.wait('node:net connect', new Promise((resolve, reject) => c.once('connect', () => resolve(c)).once('error', reject)));
}

export async function nodeConnPerSec(cycles: number): Promise<number> {
  let client: net.Socket | null = null;
  let server: Awaited<ReturnType<typeof nodeServer>> | null = null;
  const guard = new Guard('node:net connection cycles', () => (client?.destroy(), server?.destroy()));
  try {
    server = await nodeServer(guard, (s) => s.on('end', () => s.end()).resume());
    const port = server.port;
    const t0 = performance.now();
    for (let i = 0; i < cycles; i++) {
      await guard.wait('a connection cycle', new Promise<void>((resolve, reject) => {
        const c = net.connect(port, '127.0.0.1', () => c.end());
        client = c;
        c.on('close', () => resolve()).on('error', reject).resume();
      }));
    }
    const rate = cycles / seconds(t0);
    await server.close();
    return rate;
  } finally {
    guard.done();
  }
}

/**
 * One-byte round trips from a node:net client to whatever echo server it is connected to: the
 * client of node:net's row and of the host IOCP row, so that those rows differ only in the server.
 */
export async function nodeClientTrips(guard: Guard, client: net.Socket, trips: number, what: string): Promise<number> {
  const one = Buffer.from([1]);
  const t0 = performance.now();
  await guard.wait(what, new Promise<void>((resolve, reject) => {
    let left = trips;
    client.on('error', reject).on('data', (d) => {
      guard.beats++;
      left -= d.length;
      if (left <= 0) resolve();
      else client.write(one);
    });
    client.write(one);
  }));
  return trips / seconds(t0);
}

export async function nodeRttPerSec(trips: number): Promise<number> {
  let c: net.Socket | null = null;
  let server: Awaited<ReturnType<typeof nodeServer>> | null = null;
  const guard = new Guard('node:net round trips', () => (c?.destroy(), server?.destroy()));
  try {
    server = await nodeServer(guard, (s) => s.on('data', (d) => s.write(d)));
    const client = c = await nodeConnect(guard, server.port, true);
    const rate = await nodeClientTrips(guard, client, trips, 'the echoes');
    client.destroy();
    await server.close();
    return rate;
  } finally {
    guard.done();
  }
}

export async function nodeBulkMBps(totalBytes: number): Promise<number> {
  let c: net.Socket | null = null;
  let server: Awaited<ReturnType<typeof nodeServer>> | null = null;
  const guard = new Guard('node:net bulk', () => (c?.destroy(), server?.destroy()));
  try {
    let received = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    server = await nodeServer(guard, (s) => s.on('data', (d) => {
      guard.beats++;
      received += d.length;
      if (received >= totalBytes) done();
    }));
    const client = c = await nodeConnect(guard, server.port);
    const failed = new Promise<never>((_, reject) => client.once('error', reject));
    failed.catch(() => {});
    const chunk = Buffer.alloc(65536, 7);
    const t0 = performance.now();
    for (let sent = 0; sent < totalBytes; sent += chunk.length) {
      if (!client.write(chunk)) await guard.wait('drain', Promise.race([new Promise((r) => client.once('drain', r)), failed]));
    }
    await guard.wait('the last bytes', Promise.race([finished, failed]));
    const rate = totalBytes / 1e6 / seconds(t0);
    client.destroy();
    await server.close();
    return rate;
  } finally {
    guard.done();
  }
}

// ---- the SPI on the virtual network (blocking calls: each runs the simulation) ------------------

/** A server listening on 10.0.0.1:80 and enough client hosts for `connections` (16k ephemeral ports each). */
function virtualPair(connections = 1000) {
  const vn = new VirtualNetwork({ seed: 1, timeWaitMs: 0 });
  const maxSockets = 2 * connections + 16;
  const server = vn.addHost({ addresses: ['10.0.0.1'], maxSockets, maxBacklog: 65535 }).provider;
  const clients = Array.from({ length: Math.ceil(connections / 16_000) }, (_, i) =>
    vn.addHost({ addresses: [`10.0.1.${i + 1}`], maxSockets }).provider);
  const l = listening(server, AT);
  let next = 0;
  return {
    vn, server, l, at: AT,
    /** The client host for the next connection (round robin). */
    nextClient: () => clients[next++ % clients.length]!,
  };
}

/**
 * What node:net does in this benchmark, on the virtual network: client and server on one host,
 * over its loopback (127.0.0.1, segments of up to 65495 bytes as on Windows' loopback).
 */
function loopbackPair() {
  const vn = new VirtualNetwork({ seed: 1, timeWaitMs: 0 });
  const provider = vn.addHost({ addresses: ['10.0.0.1'], maxSockets: 1024, maxBacklog: 65535 }).provider;
  const at = { family: AF_INET, address: '127.0.0.1', port: 80 };
  return { vn, server: provider, client: provider, l: listening(provider, at), at };
}

/** Two hosts on a LAN with the default MTU of 1500 bytes (for the bulk figure between hosts). */
function lanPair() {
  const p = virtualPair();
  return { ...p, client: p.nextClient() };
}

const AT = { family: AF_INET, address: '10.0.0.1', port: 80 };

function listening(server: ServiceProvider, at: typeof AT): number {
  const l = server.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e());
  server.WSPBind(l, at, 16, e());
  server.WSPListen(l, 0x7fffffff, e());
  return l;
}

type Listening = { server: ServiceProvider; l: number; at: typeof AT };

function openConnection(p: Listening, client: ServiceProvider): [number, number] {
  const c = client.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e());
  const err = e();
  if (client.WSPConnect(c, p.at, 16, null, null, null, null, err) !== 0) throw new Error(`connect failed: ${err.value}`);
  const a = p.server.WSPAccept(p.l, null, null, null, 0, e());
  if (a <= 0 || a === 0xffffffff) throw new Error('accept failed');
  return [c, a];
}

export function virtualConnPerSec(cycles: number): number {
  const p = loopbackPair();
  const t0 = performance.now();
  for (let i = 0; i < cycles; i++) {
    const [c, a] = openConnection(p, p.client);
    p.client.WSPCloseSocket(c, e());
    p.server.WSPCloseSocket(a, e());
  }
  p.vn.run();
  return cycles / seconds(t0);
}

/** A figure counts only bytes that moved: a failed call, or fewer bytes than asked, stops the run. */
function moved(what: string, ret: number, count: { value: number }, expected: number): void {
  if (ret !== 0 || (expected > 0 ? count.value !== expected : count.value <= 0)) {
    throw new Error(`${what} returned ${ret} with ${count.value} bytes`);
  }
}

export function noDelay(sp: ServiceProvider, s: number): void {
  sp.WSPSetSockOpt(s, IPPROTO_TCP, TCP_NODELAY, new Uint8Array([1, 0, 0, 0]), 4, e());
}

export function virtualRttPerSec(trips: number): number {
  const p = loopbackPair();
  const [c, a] = openConnection(p, p.client);
  noDelay(p.client, c);
  noDelay(p.server, a);
  const buf = new Uint8Array(1);
  const bufs = [{ len: 1, buf }];
  const n = e();
  const flags = e();
  const t0 = performance.now();
  for (let i = 0; i < trips; i++) {
    moved('send', p.client.WSPSend(c, bufs, 1, n, 0, null, null, null, e()), n, 1);
    moved('recv', p.server.WSPRecv(a, bufs, 1, n, flags, null, null, null, e()), n, 1);
    moved('send', p.server.WSPSend(a, bufs, 1, n, 0, null, null, null, e()), n, 1);
    moved('recv', p.client.WSPRecv(c, bufs, 1, n, flags, null, null, null, e()), n, 1);
  }
  return trips / seconds(t0);
}

/** Bulk over loopback, or between two hosts on a LAN (`lan`). */
export function virtualBulkMBps(totalBytes: number, lan = false): number {
  const p = lan ? lanPair() : loopbackPair();
  const [c, a] = openConnection(p, p.client);
  const out = [{ len: 65536, buf: new Uint8Array(65536).fill(7) }];
  const into = [{ len: 65536, buf: new Uint8Array(65536) }];
  const n = e();
  const flags = e();
  let received = 0;
  const t0 = performance.now();
  for (let sent = 0; sent < totalBytes; sent += 65536) {
    moved('send', p.client.WSPSend(c, out, 1, n, 0, null, null, null, e()), n, 65536);
    while (received < sent + 65536) {
      moved('recv', p.server.WSPRecv(a, into, 1, n, flags, null, null, null, e()), n, 0);
      received += n.value;
    }
  }
  return received / 1e6 / seconds(t0);
}

/** Time per connection set-up with `open` connections already open (microseconds), and heap per idle connection. */
export function virtualScale(open: number, measured: number): { usPerSetup: number; bytesPerIdleConn: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  const p = virtualPair(open + measured);
  gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < open; i++) openConnection(p, p.nextClient());
  p.vn.run();
  gc?.();
  const bytesPerIdleConn = (process.memoryUsage().heapUsed - before) / open;
  const t0 = performance.now();
  for (let i = 0; i < measured; i++) openConnection(p, p.nextClient());
  const usPerSetup = ((performance.now() - t0) * 1000) / measured;
  return { usPerSetup, bytesPerIdleConn };
}

// ---- the SPI on the host network, as a Windows program drives it: WSPAsyncSelect ---------------

/**
 * A host network whose WSPAsyncSelect messages go to handlers per socket. WPUPostMessage queues
 * the message and a microtask dispatches the queue, as a window's message loop runs after the
 * code that posted (handlers never run inside the provider's own call).
 */
function hostWithMessageLoop(host: HostNetwork) {
  const p = host.provider;
  const handlers = new Map<number, (event: number, error: number) => void>();
  const queue: number[] = [];
  let queued = false;
  const dispatch = () => {
    queued = false;
    for (let i = 0; i < queue.length; i += 2) handlers.get(queue[i]!)?.(queue[i + 1]! & 0xffff, queue[i + 1]! >>> 16);
    queue.length = 0;
  };
  const upcalls = {
    lpWPUPostMessage: (_hWnd: unknown, _msg: number, wParam: number, lParam: number) => {
      queue.push(wParam, lParam);
      if (!queued) {
        queued = true;
        queueMicrotask(dispatch);
      }
      return true;
    },
  };
  p.WSPStartup(0x0202, {}, null, upcalls, {});
  const WM_SOCKET = 0x8001;
  const select = (s: number, events: number, handler: (event: number, error: number) => void) => {
    handlers.set(s, handler);
    p.WSPAsyncSelect(s, 'bench', WM_SOCKET, events, e());
  };
  /** Closes every socket that has a handler (what one measurement opened). */
  const closeAll = () => {
    for (const s of handlers.keys()) p.WSPCloseSocket(s, e());
    handlers.clear();
  };
  /** A listener on 127.0.0.1 (port chosen by the system) calling `onConnection` for each accepted socket. */
  const listenOn = (onConnection: (s: number) => void): number => {
    const l = must('WSPSocket', (err) => p.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, err));
    select(l, FD_ACCEPT, () => {
      const a = p.WSPAccept(l, null, null, null, 0, e());
      if (a !== 0xffffffff) onConnection(a);
    });
    must('WSPBind', (err) => p.WSPBind(l, { family: AF_INET, address: '127.0.0.1', port: 0 }, 16, err));
    must('WSPListen', (err) => p.WSPListen(l, 16, err));
    const name = { family: 0, address: '', port: 0 };
    p.WSPGetSockName(l, name, { value: 16 }, e());
    return name.port;
  };
  return { p, select, listenOn, closeAll };
}

/** A benchmark must fail, not hang, when a call it depends on fails (a busy machine can make WSPBind time out). */
export function must(what: string, call: (err: { value: number }) => number): number {
  const err = e();
  const r = call(err);
  if (r === -1 || r === 0xffffffff) throw new Error(`${what} failed: ${err.value}`);
  return r;
}

/** A connection's FD_CONNECT carries its error in the high word of lParam. */
function connectFailed(what: string, error: number): Error {
  return new Error(`${what}: connect failed with ${error}`);
}

export type HostBench = { host: HostNetwork; loop: ReturnType<typeof hostWithMessageLoop> };

/**
 * One host network for every host measurement, as a program has one provider: starting one
 * (its bind-oracle thread) and closing one cost CPU that overlapped the next measurement.
 */
let sharedHost: HostBench | null = null;

/** The host network the host measurements share (made at the first call). */
export function hostNetwork(): HostBench {
  if (sharedHost === null) {
    const host = new HostNetwork();
    sharedHost = { host, loop: hostWithMessageLoop(host) };
  }
  return sharedHost;
}

/** Closes the host network the host measurements share. */
export async function closeHostNetwork(): Promise<void> {
  const shared = sharedHost;
  sharedHost = null;
  await shared?.host.close();
}

/** Echo round trips through the SPI on the host network (both ends in this process, as for node:net). */
export async function hostRttPerSec(trips: number): Promise<number> {
  const { p, select, listenOn, closeAll } = hostNetwork().loop;
  const guard = new Guard('host network round trips', closeAll);
  try {
    const buf = new Uint8Array(64);
    const n = e();
    const port = listenOn((a) => {
      noDelay(p, a);
      select(a, FD_READ | FD_CLOSE, () => {
        if (p.WSPRecv(a, [{ len: 64, buf }], 1, n, { value: 0 }, null, null, null, e()) === 0 && n.value > 0) {
          p.WSPSend(a, [{ len: n.value, buf }], 1, n, 0, null, null, null, e());
        }
      });
    });
    const c = must('WSPSocket', (err) => p.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, err));
    noDelay(p, c);
    const one = [{ len: 1, buf: new Uint8Array([1]) }];
    const into = [{ len: 64, buf: new Uint8Array(64) }];
    const got = e();
    let left = trips;
    let t0 = 0;
    await guard.wait(`the connection to 127.0.0.1:${port} and its echoes`, new Promise<void>((resolve, reject) => {
      select(c, FD_CONNECT | FD_READ, (event, error) => {
        guard.beats++;
        if (event === FD_CONNECT) {
          if (error !== 0) return reject(connectFailed('round trips', error));
          t0 = performance.now();
          p.WSPSend(c, one, 1, got, 0, null, null, null, e());
          return;
        }
        if (p.WSPRecv(c, into, 1, got, { value: 0 }, null, null, null, e()) !== 0) return;
        left -= got.value;
        if (left <= 0) resolve();
        else p.WSPSend(c, one, 1, got, 0, null, null, null, e());
      });
      const err = e();
      if (p.WSPConnect(c, { family: AF_INET, address: '127.0.0.1', port }, 16, null, null, null, null, err) !== 0 && err.value !== WSAEWOULDBLOCK) {
        reject(new Error(`WSPConnect failed: ${err.value}`));
      }
    }));
    return trips / seconds(t0);
  } finally {
    guard.done();
    closeAll();
  }
}

/** 64 KiB sends through the SPI on the host network; the receiver drains on FD_READ. */
export async function hostBulkMBps(totalBytes: number): Promise<number> {
  const { p, select, listenOn, closeAll } = hostNetwork().loop;
  const guard = new Guard('host network bulk', closeAll);
  try {
    let received = 0;
    let done!: () => void;
    let failed!: (err: Error) => void;
    const finished = new Promise<void>((resolve, reject) => {
      done = resolve;
      failed = reject;
    });
    const into = [{ len: 65536, buf: new Uint8Array(65536) }];
    const n = e();
    const port = listenOn((a) => select(a, FD_READ | FD_CLOSE, () => {
      guard.beats++;
      const err = e();
      while (p.WSPRecv(a, into, 1, n, { value: 0 }, null, null, null, err) === 0 && n.value > 0) received += n.value;
      if (received >= totalBytes) done();
    }));
    const c = must('WSPSocket', (err) => p.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, err));
    const out = [{ len: 65536, buf: new Uint8Array(65536).fill(7) }];
    let sent = 0;
    let t0 = 0;
    const pushData = () => {
      const err = e();
      while (sent < totalBytes) {
        if (p.WSPSend(c, out, 1, n, 0, null, null, null, err) !== 0) {
          if (err.value !== WSAEWOULDBLOCK) failed(new Error(`send failed: ${err.value}`));
          return; // FD_WRITE comes when there is room again
        }
        sent += n.value;
      }
    };
    select(c, FD_CONNECT | FD_WRITE, (event, error) => {
      guard.beats++;
      if (event === FD_CONNECT && error !== 0) return failed(connectFailed('bulk', error));
      if (t0 === 0) t0 = performance.now(); // FD_WRITE may come before FD_CONNECT
      pushData();
    });
    const err = e();
    if (p.WSPConnect(c, { family: AF_INET, address: '127.0.0.1', port }, 16, null, null, null, null, err) !== 0 && err.value !== WSAEWOULDBLOCK) {
      failed(new Error(`WSPConnect failed: ${err.value}`));
    }
    await guard.wait(`the connection to 127.0.0.1:${port} and its ${totalBytes} bytes`, finished);
    return received / 1e6 / seconds(t0);
  } finally {
    guard.done();
    closeAll();
  }
}

// ---- the async API on the host network (promises over the same SPI) ----------------------------

/** What one async-API measurement opened, closed on a stall or at its end. */
function asyncOpened() {
  const open = new Set<{ close(): void }>();
  return {
    add<T extends { close(): void }>(x: T): T {
      open.add(x);
      return x;
    },
    closeAll() {
      for (const x of open) {
        try {
          x.close();
        } catch {
          // already closed, or its network is gone
        }
      }
      open.clear();
    },
  };
}

/** Echo round trips through the async API (Connection.write/read) on the host network. */
export async function hostAsyncRttPerSec(trips: number): Promise<number> {
  const { host } = hostNetwork();
  const opened = asyncOpened();
  const guard = new Guard('async API round trips', opened.closeAll);
  try {
    const server = opened.add(await guard.wait('listen', listen(host, { address: '127.0.0.1', port: 0 })));
    const serving = (async () => {
      const conn = opened.add(await server.accept());
      for await (const chunk of conn) await conn.write(chunk);
      conn.close();
    })();
    serving.catch(() => {}); // awaited below; a failure before then must not go unhandled
    const port = server.localAddress.port;
    const c = opened.add(await guard.wait(`connect to 127.0.0.1:${port}`, connect(host, { address: '127.0.0.1', port, noDelay: true })));
    const one = new Uint8Array([1]);
    const t0 = performance.now();
    await guard.wait('the echoes', (async () => {
      for (let i = 0; i < trips; i++) {
        await c.write(one);
        await c.read(1);
        guard.beats++;
      }
    })());
    const rate = trips / seconds(t0);
    c.end();
    await guard.wait('the server to finish', serving);
    return rate;
  } finally {
    guard.done();
    opened.closeAll();
  }
}

/** 64 KiB writes through the async API on the host network. */
export async function hostAsyncBulkMBps(totalBytes: number): Promise<number> {
  const { host } = hostNetwork();
  const opened = asyncOpened();
  const guard = new Guard('async API bulk', opened.closeAll);
  try {
    const server = opened.add(await guard.wait('listen', listen(host, { address: '127.0.0.1', port: 0 })));
    let received = 0;
    const serving = (async () => {
      const conn = opened.add(await server.accept());
      for await (const chunk of conn) {
        received += chunk.length;
        guard.beats++;
      }
      conn.close();
    })();
    serving.catch(() => {}); // awaited below; a failure before then must not go unhandled
    const port = server.localAddress.port;
    const c = opened.add(await guard.wait(`connect to 127.0.0.1:${port}`, connect(host, { address: '127.0.0.1', port })));
    const chunk = new Uint8Array(65536).fill(7);
    const t0 = performance.now();
    await guard.wait('the writes', (async () => {
      for (let sent = 0; sent < totalBytes; sent += chunk.length) await c.write(chunk);
    })());
    c.end();
    await guard.wait(`the server to read ${totalBytes} bytes`, serving);
    const rate = received / 1e6 / seconds(t0);
    return rate;
  } finally {
    guard.done();
    opened.closeAll();
  }
}
