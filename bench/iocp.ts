/**
 * The overlapped rows of `npm run bench`: the IOCP echo server of examples/iocp-echo.ts (one
 * completion port, AcceptEx, zero-byte overlapped receives, non-blocking reads, overlapped sends)
 * answering one-byte round trips and a bulk echo, on the virtual network and on the host network.
 *
 * On the virtual network the server is dequeued synchronously (`serveOne`: one
 * GetQueuedCompletionStatus and its handling, which runs the simulation as a blocking call does),
 * as the select rows drive their server with blocking calls. On the host network it runs its
 * completion loops (GetQueuedCompletionStatusAsync); the round trips' client is node:net's, as in
 * node:net's row, and the bulk echo's is driven by WSPAsyncSelect, as in the host rows of
 * measure.ts.
 */
import net from 'node:net';
import {
  AF_INET, FD_CONNECT, FD_READ, FD_WRITE, FIONBIO, IPPROTO_TCP, SOCK_STREAM, SOCKET_ERROR, VirtualNetwork, WSAEWOULDBLOCK,
  type ServiceProvider,
} from '../src/index.js';
import { startIocpEchoServer, type IocpEchoServer } from '../examples/iocp-echo.js';
import { Guard, hostNetwork, must, nodeClientTrips, nodeConnect, noDelay } from './measure.js';

const e = () => ({ value: 0 });
const seconds = (t0: number) => (performance.now() - t0) / 1000;
const INFINITE = 0xffffffff;
const CHUNK = 65536;

/** The IOCP server and a connected client on one virtual host's loopback (as the select rows). */
function virtualIocpPair(): { p: ServiceProvider; server: IocpEchoServer; c: number } {
  const vn = new VirtualNetwork({ seed: 1, timeWaitMs: 0 });
  const p = vn.addHost({ addresses: ['10.0.0.1'], maxSockets: 1024, maxBacklog: 65535 }).provider;
  const server = startIocpEchoServer(p, { family: AF_INET, address: '127.0.0.1', port: 7 }, { workers: 0, acceptPool: 1 });
  const c = must('WSPSocket', (err) => p.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, err));
  must('WSPConnect', (err) => p.WSPConnect(c, server.address, 16, null, null, null, null, err));
  while (server.stats.accepted === 0) server.serveOne(INFINITE); // the AcceptEx completion
  return { p, server, c };
}

/** One-byte echoes through the IOCP server on the virtual network (client: blocking calls). */
export async function virtualIocpRttPerSec(trips: number): Promise<number> {
  const { p, server, c } = virtualIocpPair();
  noDelay(p, c);
  const bufs = [{ len: 1, buf: new Uint8Array(1) }];
  const n = e();
  const flags = e();
  const stats = server.stats;
  const t0 = performance.now();
  for (let i = 0; i < trips; i++) {
    if (p.WSPSend(c, bufs, 1, n, 0, null, null, null, e()) !== 0) throw new Error('send failed');
    // The zero-byte receive's completion, after which the server reads and sends the echo (a
    // send completion of the trip before may come first).
    const before = stats.bytes;
    while (stats.bytes === before) server.serveOne(INFINITE);
    if (p.WSPRecv(c, bufs, 1, n, flags, null, null, null, e()) !== 0 || n.value !== 1) throw new Error('recv failed');
  }
  const rate = trips / seconds(t0);
  await server.close();
  return rate;
}

/** 64 KiB chunks echoed through the IOCP server on the virtual network; MB/s of echo received. */
export async function virtualIocpBulkMBps(totalBytes: number): Promise<number> {
  const { p, server, c } = virtualIocpPair();
  p.WSPIoctl(c, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, e(), null, null, null, e());
  const out = [{ len: CHUNK, buf: new Uint8Array(CHUNK).fill(7) }];
  const into = [{ len: CHUNK, buf: new Uint8Array(CHUNK) }];
  const n = e();
  const flags = e();
  let received = 0;
  const t0 = performance.now();
  for (let sent = 0; sent < totalBytes;) {
    if (p.WSPSend(c, out, 1, n, 0, null, null, null, e()) !== 0) throw new Error('send failed');
    sent += n.value;
    while (received < sent) {
      const err = e();
      if (p.WSPRecv(c, into, 1, n, flags, null, null, null, err) === 0 && n.value > 0) received += n.value;
      else if (err.value === WSAEWOULDBLOCK) server.serveOne(1); // runs the network up to 1 ms of virtual time
      else throw new Error(`recv failed: ${err.value}`);
    }
  }
  const rate = received / 1e6 / seconds(t0);
  await server.close();
  return rate;
}

/** The IOCP server on the shared host network, with `workers` completion loops. */
function hostIocpServer(): { p: ServiceProvider; server: IocpEchoServer; loop: ReturnType<typeof hostNetwork>['loop'] } {
  const { loop } = hostNetwork();
  const server = startIocpEchoServer(loop.p, { family: AF_INET, address: '127.0.0.1', port: 0 }, { workers: 2, acceptPool: 2 });
  return { p: loop.p, server, loop };
}

/** One-byte echoes through the IOCP server on the host network (client: WSPAsyncSelect, as the select row). */
export async function hostIocpRttPerSec(trips: number): Promise<number> {
  // The client is node:net's, as in node:net's own row: the two rows then differ only in the
  // server (the IOCP echo against node:net's), which is what the row compares.
  const { server, loop } = hostIocpServer();
  let c: net.Socket | null = null;
  const guard = new Guard('host network IOCP round trips', () => (c?.destroy(), loop.closeAll(), void server.close()));
  try {
    c = await nodeConnect(guard, server.address.port, true);
    return await nodeClientTrips(guard, c, trips, `the echoes of ${server.address.port}`);
  } finally {
    guard.done();
    c?.destroy();
    loop.closeAll();
    await server.close();
  }
}

/** 64 KiB sends echoed through the IOCP server on the host network; MB/s of echo received. */
export async function hostIocpBulkMBps(totalBytes: number): Promise<number> {
  const { p, server, loop } = hostIocpServer();
  const guard = new Guard('host network IOCP bulk', () => (loop.closeAll(), void server.close()));
  try {
    const c = must('WSPSocket', (err) => p.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, err));
    const out = [{ len: CHUNK, buf: new Uint8Array(CHUNK).fill(7) }];
    const into = [{ len: CHUNK, buf: new Uint8Array(CHUNK) }];
    const n = e();
    /** Echo bytes allowed in flight: the client stops sending beyond this and resumes as echoes come. */
    const WINDOW = 1 << 20;
    let sent = 0;
    let received = 0;
    let t0 = 0;
    await guard.wait(`the connection to ${server.address.port} and ${totalBytes} bytes of echo`, new Promise<void>((resolve, reject) => {
      const push = () => {
        const err = e();
        while (sent < totalBytes && sent - received < WINDOW) {
          if (p.WSPSend(c, out, 1, n, 0, null, null, null, err) === SOCKET_ERROR) {
            if (err.value !== WSAEWOULDBLOCK) reject(new Error(`send failed: ${err.value}`));
            return; // FD_WRITE comes when there is room again
          }
          sent += n.value;
        }
      };
      loop.select(c, FD_CONNECT | FD_WRITE | FD_READ, (event, error) => {
        guard.beats++;
        if (event === FD_CONNECT && error !== 0) return reject(new Error(`connect failed: ${error}`));
        if (t0 === 0) t0 = performance.now();
        if (event === FD_READ) {
          while (p.WSPRecv(c, into, 1, n, { value: 0 }, null, null, null, e()) === 0 && n.value > 0) received += n.value;
          if (received >= totalBytes) return resolve();
        }
        push();
      });
      const err = e();
      if (p.WSPConnect(c, server.address, 16, null, null, null, null, err) !== 0 && err.value !== WSAEWOULDBLOCK) {
        reject(new Error(`WSPConnect failed: ${err.value}`));
      }
    }));
    return received / 1e6 / seconds(t0);
  } finally {
    guard.done();
    loop.closeAll();
    await server.close();
  }
}
