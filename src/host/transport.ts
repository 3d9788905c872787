/**
 * The provider's {@link Transport} over the operating system's sockets: node:net for TCP,
 * node:dgram for UDP. The provider keeps its own semantics (listen queue, descriptors, buffers)
 * on top; this file only turns Node's events into the transport's callbacks.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type {
  BlockOutcome, DatagramEndpoint, DatagramReceiver, IpVersion, ListenHandle, StreamConnection, StreamEvents,
  StreamListenHooks, Transport,
} from '../provider/transport.js';
import { SendBufferPool } from '../net/send-buffers.js';
import { BindOracle } from './bind-oracle.js';
import { wsaFromNodeError } from './errors.js';

const isLoopback = (address: string): boolean => address === '::1' || address.startsWith('127.');
const isWildcard = (address: string): boolean => address === '0.0.0.0' || address === '::';

/**
 * Send buffers reused once Node has written them: a fresh 64 KiB per send cost an allocation
 * and, in the kernel's copy, fresh memory. `allocUnsafe` takes small ones from Node's slab, as
 * Node's own small writes do, and zero-fills nothing: the caller fills every byte.
 */
const sendBuffers = new SendBufferPool((length) => Buffer.allocUnsafe(length));

/** One real TCP connection as the provider drives it. */
class HostConnection implements StreamConnection {
  events: StreamEvents<any> | null = null;
  private noDelayValue = false;
  private keepAliveValue = false;
  bufferedBytes = 0;
  localAddress: string;
  localPort: number;
  /** Bytes handed to the provider and not yet read by its owner (reading pauses above the buffer). */
  private unread = 0;
  private receiveBuffer: number;
  private paused = false;
  private gone = false;

  constructor(
    private readonly socket: net.Socket,
    readonly remoteAddress: string,
    readonly remotePort: number,
    localAddress: string,
    localPort: number,
    receiveBuffer: number,
  ) {
    this.localAddress = localAddress;
    this.localPort = localPort;
    this.receiveBuffer = receiveBuffer;
    socket.on('data', (chunk: Buffer) => {
      this.unread += chunk.length;
      // Above the receive buffer, stop reading from the system (its own buffers then fill and its
      // window closes). A buffer exactly full does not pause: Node reads 64 KiB at a time, and
      // pausing and resuming at every read would cost two system calls per read.
      if (this.unread > this.receiveBuffer && !this.paused) {
        this.paused = true;
        socket.pause();
      }
      // Node gives every read its own memory: the provider may keep it without a copy.
      this.events?.data(this, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), true);
    });
    socket.on('end', () => this.events?.remoteClosed(this));
    socket.on('error', (e: Error) => this.fail(wsaFromNodeError(e)));
    socket.on('close', () => {
      this.gone = true;
      this.events?.closed(this);
    });
  }

  /** The socket connected: the operating system has chosen the local address and port. */
  connected(): void {
    this.localAddress = canonical(this.socket.localAddress ?? this.localAddress);
    this.localPort = this.socket.localPort ?? this.localPort;
    this.events?.established(this);
  }

  fail(code: number): void {
    if (this.gone) return;
    this.gone = true;
    this.events?.failed(this, code);
  }

  get keepAlive(): boolean {
    return this.keepAliveValue;
  }

  set keepAlive(on: boolean) {
    this.keepAliveValue = on;
    this.socket.setKeepAlive(on);
  }

  get noDelay(): boolean {
    return this.noDelayValue;
  }

  set noDelay(on: boolean) {
    this.noDelayValue = on;
    this.socket.setNoDelay(on);
  }

  acceptSyn(): void {
    // The operating system completed the handshake before the condition function ran.
    this.events?.established(this);
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  abort(): void {
    this.gone = true;
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  detach(): void {
    this.events = null;
    // Nobody reads any more: let the bytes flow so a graceful close can finish.
    this.socket.resume();
  }

  allocate(length: number): Uint8Array {
    return sendBuffers.lend(length);
  }

  sendData(bytes: Uint8Array): void {
    if (this.socket.destroyed) return;
    this.bufferedBytes += bytes.length;
    const pooled = sendBuffers.claim(bytes);
    this.socket.write(bytes, () => {
      this.bufferedBytes -= bytes.length;
      if (pooled !== null) sendBuffers.recycle(pooled); // written: Node no longer needs it
      this.events?.acked(this);
    });
  }

  consumed(n: number): void {
    this.unread -= n;
    if (this.paused && this.unread <= this.receiveBuffer) {
      this.paused = false;
      this.socket.resume();
    }
  }

  setReceiveBuffer(size: number): void {
    this.receiveBuffer = Math.max(1, size);
    this.consumed(0);
  }
}

/** Node spells IPv4-mapped addresses as ::ffff:a.b.c.d on dual-stack sockets. */
function canonical(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export class HostTransport implements Transport {
  readonly domain: object = this;
  readonly oracle = new BindOracle();
  /** Every live Node socket and server, so that the network can be closed. */
  readonly handles = new Set<{ destroy?(): void; close?(): void }>();

  nowMs(): number {
    return performance.now();
  }

  isNetworkDown(): boolean {
    return false;
  }

  hasLocalAddress(version: IpVersion, address: string): boolean {
    if (isLoopback(address)) return (version === 6) === (address === '::1');
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) if (a.address === address) return true;
    }
    return false;
  }

  sourceAddress(version: IpVersion, remoteAddress: string): string | undefined {
    if (isLoopback(remoteAddress)) return remoteAddress === '::1' ? '::1' : '127.0.0.1';
    // The operating system routes; this is a first guess that the connection corrects.
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) if (!a.internal && (a.family === 'IPv6') === (version === 6)) return a.address;
    }
    return undefined;
  }

  reservePort(version: IpVersion, stream: boolean, address: string, port: number): number {
    return this.oracle.reserve(version, stream, address, port);
  }

  listenStream(address: string, port: number, hooks: StreamListenHooks): ListenHandle {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
    server.on('connection', (socket) => {
      this.track(socket);
      const conn = new HostConnection(
        socket, canonical(socket.remoteAddress ?? ''), socket.remotePort ?? 0,
        canonical(socket.localAddress ?? address), socket.localPort ?? port, 65536,
      );
      // The operating system already completed the handshake: a refusal can only be a reset.
      const verdict = hooks.onSyn(conn);
      if (verdict === 'refuse' || verdict === 'drop') conn.abort(); // too late to drop a SYN
      else if (verdict === 'accept') conn.events?.established(conn);
    });
    server.on('error', () => {
      // Another process took the port between WSPBind's check and now; the queue stays empty.
    });
    server.listen({ host: isWildcard(address) ? (address === '::' ? '::' : '0.0.0.0') : address, port, backlog: 511, exclusive: true });
    this.handles.add(server);
    return {
      close: () => {
        server.close();
        this.handles.delete(server);
      },
    };
  }

  connectStream(
    _version: IpVersion, localAddress: string, localPort: number,
    remoteAddress: string, remotePort: number, events: StreamEvents<any>, receiveBuffer: number,
  ): StreamConnection {
    const socket = new net.Socket({ allowHalfOpen: true });
    this.track(socket);
    const conn = new HostConnection(socket, remoteAddress, remotePort, localAddress, localPort, receiveBuffer);
    conn.events = events;
    socket.connect({ host: remoteAddress, port: remotePort, localAddress, localPort }, () => conn.connected());
    return conn;
  }

  streamTupleInUse(): boolean {
    return false; // the operating system checks when it connects
  }

  bindDatagram(version: IpVersion, address: string, port: number, receiver: DatagramReceiver): DatagramEndpoint {
    const socket = dgram.createSocket({ type: version === 6 ? 'udp6' : 'udp4' });
    socket.on('message', (msg, rinfo) => {
      receiver.datagram(canonical(rinfo.address), rinfo.port, new Uint8Array(msg.buffer, msg.byteOffset, msg.length).slice());
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // Linux reports an ICMP port unreachable only on connected sockets; it has no address then.
      if (e.code === 'ECONNREFUSED') receiver.portUnreachable('', 0);
    });
    socket.bind({ address, port, exclusive: true });
    const handle = { close: () => socket.close() };
    this.handles.add(handle);
    return {
      send: (_src, dstAddress, dstPort, payload) => socket.send(payload, dstPort, dstAddress),
      close: () => {
        this.handles.delete(handle);
        try {
          socket.close();
        } catch {
          // already closed by the network's shutdown
        }
      },
    };
  }

  /** The caller's thread runs Node's event loop: it cannot wait here (see docs/host-network.md). */
  block(done: () => boolean): BlockOutcome {
    return done() ? 'done' : 'unsupported';
  }

  /** Closes every socket and server still open, and the bind oracle. */
  shutdown(): void {
    for (const h of this.handles) {
      if (h.destroy !== undefined) h.destroy();
      else h.close?.();
    }
    this.handles.clear();
    this.oracle.close();
  }

  private track(socket: net.Socket): void {
    this.handles.add(socket);
    socket.once('close', () => this.handles.delete(socket));
  }
}
