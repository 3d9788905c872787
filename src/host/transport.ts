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
  BlockOutcome, DatagramEndpoint, DatagramReceiver, IpVersion, ListenHandle, ListenOptions, StreamConnection, StreamEvents,
  StreamListenHooks, Transport,
} from '../provider/transport.js';
import { v4Mapped } from '../provider/transport.js';
import { SendBufferPool } from '../net/send-buffers.js';
import { SOCK_STREAM, WSAEADDRINUSE } from '../provider/constants.js';
import type { Socket } from '../provider/socket.js';
import { BindOracle } from './bind-oracle.js';
import { bindDatagramNow, createDatagramSocket, listenNow } from './bind-now.js';
import { wsaFromNodeError } from './errors.js';
import { HostMulticast } from './multicast.js';
import { fromNodeAddress, isMachineAddress, toNodeAddress } from './zone.js';

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
  /** Idle time before the first probe, once a timing option set it (undefined: the system's). */
  private keepAliveIdleMs: number | undefined = undefined;
  bufferedBytes = 0;
  localAddress: string;
  localPort: number;
  /** Bytes handed to the provider and not yet read by its owner (reading pauses above the buffer). */
  private unread = 0;
  private receiveBuffer: number;
  private paused = false;
  private gone = false;

  /**
   * Set for a connect from a port the system chose (a bind with port 0, or an implicit bind):
   * if the system refuses that port before the connection is made, the connect starts again
   * from a port the system chooses then, as its own implicit bind would. Returns the new socket.
   */
  retry: (() => net.Socket) | null = null;
  /**
   * Called when the connect fails before the connection was made, just before the provider
   * hears of it: the socket stays bound to its port (as on Windows), so the system must hold it again.
   */
  keepPort: (() => void) | null = null;
  private socket: net.Socket;
  private established = false;

  constructor(
    socket: net.Socket,
    readonly remoteAddress: string,
    readonly remotePort: number,
    localAddress: string,
    localPort: number,
    receiveBuffer: number,
  ) {
    this.localAddress = localAddress;
    this.localPort = localPort;
    this.receiveBuffer = receiveBuffer;
    this.socket = socket;
    this.attach(socket);
  }

  /** Events of `socket` count only while it is this connection's socket. */
  private attach(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.socket) return;
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
    socket.on('end', () => {
      if (socket === this.socket) this.events?.remoteClosed(this);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (socket !== this.socket) return;
      const retry = this.retry;
      this.retry = null;
      if (retry !== null && !this.established && !this.gone && refusedLocalPort(e)) {
        this.socket = retry();
        if (this.noDelayValue) this.socket.setNoDelay(true);
        if (this.keepAliveValue) this.socket.setKeepAlive(true, this.keepAliveIdleMs);
        this.attach(this.socket);
        return;
      }
      if (!this.established && !this.gone) this.keepPort?.();
      this.fail(wsaFromNodeError(e));
    });
    socket.on('close', () => {
      if (socket !== this.socket) return;
      this.gone = true;
      this.events?.closed(this);
    });
  }

  /** The socket connected: the operating system has chosen the local address and port. */
  connected(): void {
    this.established = true;
    this.retry = null;
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
    this.socket.setKeepAlive(on, this.keepAliveIdleMs);
  }

  /**
   * Node sets only the idle time (TCP_KEEPIDLE, in whole seconds); the probe interval and count
   * stay libuv's (docs/host-network.md, the table of differences).
   */
  setKeepAliveTiming(idleMs: number): void {
    this.keepAliveIdleMs = idleMs;
    if (this.keepAliveValue) this.socket.setKeepAlive(true, idleMs);
  }

  get noDelay(): boolean {
    return this.noDelayValue;
  }

  set noDelay(on: boolean) {
    this.noDelayValue = on;
    this.socket.setNoDelay(on);
  }

  /** An accepted connection: the system completed it before the provider saw it. */
  accepted(): this {
    this.established = true;
    return this;
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

  abandon(): void {
    const keep = !this.established && !this.gone;
    this.abort();
    if (keep) this.keepPort?.();
  }

  detach(): void {
    this.events = null;
    // Nobody reads any more: let the bytes flow so a graceful close can finish.
    this.socket.resume();
    // The provider let go (closesocket): as on Windows the system finishes the close on its own,
    // so once Node has handed it the last bytes this socket no longer keeps the process alive
    // (docs/host-network.md, "What keeps the process alive").
    const socket = this.socket;
    if (socket.writableFinished) socket.unref();
    else socket.once('finish', () => socket.unref());
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

/** Node spells IPv4-mapped addresses as ::ffff:a.b.c.d on dual-stack sockets, and a link-local one's interface by name. */
function canonical(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : fromNodeAddress(address);
}

/** The backlog every real listener asks for (the provider keeps its own queue on top). */
const LISTEN_BACKLOG = 511;

/** Whether two bound addresses on one port overlap for the system: the same one, or either the wildcard. */
const overlap = (a: string, b: string): boolean => a === b || isWildcard(a) || isWildcard(b);

/**
 * A connect whose local port the system refused before the connection was made: the port is
 * bound by someone else (EADDRINUSE), or the connection to that destination from it still
 * exists (EADDRNOTAVAIL from connect itself).
 */
function refusedLocalPort(e: NodeJS.ErrnoException): boolean {
  return e.code === 'EADDRINUSE' || (e.code === 'EADDRNOTAVAIL' && e.syscall === 'connect');
}

/** A real TCP listener: until WSPListen gives it hooks it resets what the system accepted. */
class HostListener {
  hooks: StreamListenHooks | null = null;
  readonly server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });

  constructor(transport: HostTransport, address: string, port: number) {
    this.server.on('connection', (socket) => {
      transport.track(socket);
      const hooks = this.hooks;
      if (hooks === null) {
        // Bound, not listening (Windows would refuse): the system completed it, so reset it.
        socket.on('error', () => {});
        socket.resetAndDestroy();
        return;
      }
      if (socket.remoteAddress === undefined) {
        // Reset before Node saw it (getpeername failed): nobody can be told whose it was, so it
        // leaves the queue as a reset connection leaves Windows' backlog.
        socket.on('error', () => {});
        socket.destroy();
        return;
      }
      const conn = new HostConnection(
        socket, canonical(socket.remoteAddress), socket.remotePort ?? 0,
        canonical(socket.localAddress ?? address), socket.localPort ?? port, 65536,
      ).accepted();
      // The operating system already completed the handshake: a refusal can only be a reset.
      const verdict = hooks.onSyn(conn);
      if (verdict === 'refuse' || verdict === 'drop') conn.abort(); // too late to drop a SYN
      else if (verdict === 'accept') conn.events?.established(conn);
    });
    this.server.on('error', () => {
      // Only when the port could not be held from WSPBind on (docs/host-network.md, "Ports"):
      // another process took it before the listen; the queue stays empty.
    });
  }
}

/**
 * A port the provider reported (WSPBind, or the implicit bind of a connect) and the system holds
 * for it: a TCP listener made in the call, which WSPListen adopts as the real listener, a
 * connect closes just before it binds the same port, and WSPCloseSocket closes.
 */
interface Hold {
  readonly version: IpVersion;
  /** As bound: a specific address or the wildcard. */
  readonly address: string;
  readonly port: number;
  /** The system chose the port (port 0): a connect the system then refuses it may take another. */
  readonly ephemeral: boolean;
  /** The IPv6 wildcard with IPV6_V6ONLY on: the IPv4 side of the port is not held. */
  readonly v6Only: boolean;
  /** What holds the port; null once it gave way to another of the provider's sockets, or if nothing could. */
  listener: HostListener | null;
  /** The provider's socket, once its WSPBind has kept the port. */
  owner: Socket | null;
}

/** A UDP socket bound by reservePort, which bindDatagram (in the same WSPBind) takes over. */
interface DatagramHold {
  readonly version: IpVersion;
  readonly address: string;
  readonly port: number;
  readonly socket: dgram.Socket;
}

export class HostTransport implements Transport {
  readonly domain: object = this;
  /** Asks the system why a bind failed, and binds for this Node if it cannot bind in the call. */
  readonly oracle = new BindOracle();
  /** Every live Node socket and server, so that the network can be closed. */
  readonly handles = new Set<{ destroy?(): void; close?(): void }>();
  /** False once this Node turned out to bind a TCP listener (or UDP socket) only in a later tick. */
  private listenInCall = true;
  private bindDatagramInCall = true;
  /** TCP ports held for the provider's sockets that neither listen nor connect yet, by port. */
  private readonly holds = new Map<number, Set<Hold>>();
  /** The same holds by the provider's socket, once known. */
  private readonly owned = new Map<Socket, Hold>();
  /** The hold reservePort made last, until the provider's socket is seen with its port. */
  private pending: Hold | null = null;
  private pendingDatagram: DatagramHold | null = null;

  nowMs(): number {
    return performance.now();
  }

  isNetworkDown(): boolean {
    return false;
  }

  hasLocalAddress(version: IpVersion, address: string): boolean {
    if (isLoopback(address)) return (version === 6) === (address === '::1');
    return isMachineAddress(address);
  }

  /** The machine's addresses of one version, as the operating system lists its interfaces (a link-local one with its scope id). */
  localAddresses(version: IpVersion): readonly string[] {
    const out: string[] = [];
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) {
        if ((a.family === 'IPv6') !== (version === 6)) continue;
        out.push(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80') ? `${a.address}%${a.scopeid ?? 0}` : a.address);
      }
    }
    return out;
  }

  /** Loopback is interface 1, as on Windows; the system's other indexes are not known to Node. */
  interfaceIndex(_version: IpVersion, localAddress: string): number | undefined {
    return isLoopback(localAddress) ? 1 : undefined;
  }

  sourceAddress(version: IpVersion, remoteAddress: string): string | undefined {
    if (isLoopback(remoteAddress)) return remoteAddress === '::1' ? '::1' : '127.0.0.1';
    // The operating system routes; this is a first guess that the connection corrects.
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) if (!a.internal && (a.family === 'IPv6') === (version === 6)) return a.address;
    }
    return undefined;
  }

  /**
   * The bind of WSPBind, or of a connect or send on an unbound socket: the system binds the
   * address in this call and keeps the port for the provider (docs/host-network.md, "Ports").
   */
  reservePort(version: IpVersion, stream: boolean, address: string, port: number, v6Only = false): number {
    const previous = this.pending;
    const previousDatagram = this.pendingDatagram;
    this.pending = null;
    this.pendingDatagram = null;
    const r = stream ? this.reserveStream(version, address, port, v6Only) : this.reserveDatagram(version, address, port, v6Only);
    // A port reserved before and not taken (the provider's own table refused it) is let go only
    // now, so that the system could not hand the same one out again.
    if (previous !== null) this.release(previous);
    if (previousDatagram !== null) closeDatagram(previousDatagram.socket);
    return r;
  }

  private reserveStream(version: IpVersion, address: string, port: number, v6Only: boolean): number {
    v6Only &&= address === '::';
    // Another of the provider's sockets holds an overlapping address on this port, and its
    // table allowed the bind (SO_REUSEADDR, or a specific address beside the wildcard): its
    // hold gives way, as it would to that socket's own listen.
    if (port !== 0) this.giveWay(address, port, null);
    for (let attempt = 0; this.listenInCall && attempt < 3; attempt++) {
      const listener = new HostListener(this, address, port);
      const result = listenNow(listener.server, address, port, LISTEN_BACKLOG, v6Only);
      if (result === 'bound') {
        this.handles.add(listener.server);
        const hold: Hold = {
          version, address, port: (listener.server.address() as net.AddressInfo).port, ephemeral: port === 0, v6Only, listener, owner: null,
        };
        this.addHold(hold);
        this.pending = hold;
        return hold.port;
      }
      if (result === 'later') {
        this.listenInCall = false;
        listener.server.once('listening', () => listener.server.close());
        break;
      }
      // Refused; Node reports why only in a later tick, so the oracle asks the system again.
      const r = this.oracle.reserve(version, true, address, port);
      if (r < 0) return r;
      // Free again by now: bind once more.
    }
    if (this.listenInCall) return -WSAEADDRINUSE;
    // This Node binds only later: the oracle's answer, and a window for other processes.
    const r = this.oracle.reserve(version, true, address, port);
    if (r > 0) {
      const hold: Hold = { version, address, port: r, ephemeral: port === 0, v6Only, listener: null, owner: null };
      this.addHold(hold);
      this.pending = hold;
    }
    return r;
  }

  private reserveDatagram(version: IpVersion, address: string, port: number, v6Only: boolean): number {
    if (this.bindDatagramInCall) {
      const socket = createDatagramSocket(version, v6Only && address === '::');
      const result = bindDatagramNow(socket, address, port);
      if (result === 'bound') {
        const chosen = socket.address().port;
        this.pendingDatagram = { version, address, port: chosen, socket };
        return chosen;
      }
      closeDatagram(socket);
      if (result !== 'later') return -wsaFromNodeError(result);
      this.bindDatagramInCall = false;
    }
    return this.oracle.reserve(version, false, address, port);
  }

  /**
   * Told of every change to one of the provider's sockets (HostNetwork registers it as a
   * watcher): a bound socket takes the hold reservePort just made; a closed one lets it go.
   */
  socketChanged(sock: Socket): void {
    const pending = this.pending;
    if (pending === null && this.owned.size === 0 && this.pendingDatagram === null) return;
    if (this.pendingDatagram !== null) {
      // bindDatagram takes it within the same bind: a change before that means nobody will.
      closeDatagram(this.pendingDatagram.socket);
      this.pendingDatagram = null;
    }
    if (pending !== null) {
      this.pending = null;
      const local = sock.local;
      if (sock.type === SOCK_STREAM && sock.phase === 'bound' && local !== null && local.port === pending.port
        && sock.boundAddress === pending.address && sock.version === pending.version && !this.owned.has(sock)) {
        pending.owner = sock;
        this.owned.set(sock, pending);
      } else {
        this.release(pending); // the bind that asked for it did not keep it
      }
    }
    if (sock.phase === 'closed') {
      const hold = this.owned.get(sock);
      if (hold !== undefined) this.release(hold);
    }
  }

  listenStream(address: string, port: number, hooks: StreamListenHooks, options?: ListenOptions): ListenHandle {
    // Windows' default for an IPv6 socket is IPV6_V6ONLY on; Node's listeners are dual-stack unless told.
    const ipv6Only = address === '::' && options?.dualStack !== true;
    let listener: HostListener | null = null;
    for (const hold of this.overlapping(address, port)) {
      if (hold.address !== address) {
        this.giveWay(address, port, hold);
      } else {
        // The socket's own hold (or one of an exact twin): its listener becomes the real one.
        this.forget(hold);
        if (listener === null) listener = hold.listener;
        else if (hold.listener !== null) this.closeListener(hold.listener);
      }
    }
    if (listener === null) {
      listener = new HostListener(this, address, port);
      this.handles.add(listener.server);
      // No hold (it gave way, or this Node cannot bind in the call): the race of "Ports" remains.
      if (!this.listenInCall) listener.server.listen({ host: toNodeAddress(address), port, backlog: LISTEN_BACKLOG, exclusive: true, ipv6Only });
      else if (listenNow(listener.server, address, port, LISTEN_BACKLOG, ipv6Only) === 'later') this.listenInCall = false;
    }
    listener.hooks = hooks;
    const held = listener;
    return { close: () => this.closeListener(held) };
  }

  connectStream(
    _version: IpVersion, localAddress: string, localPort: number,
    remoteAddress: string, remotePort: number, events: StreamEvents<any>, receiveBuffer: number,
  ): StreamConnection {
    // The system binds the port for the connect itself: what held it closes first, in the tick
    // just before Node binds (the same turn of the event loop, microseconds later).
    let ephemeral = false;
    let bound: Hold | null = null;
    const holders: HostListener[] = [];
    for (const hold of this.overlapping(localAddress, localPort)) {
      this.forget(hold);
      ephemeral ||= hold.ephemeral;
      bound ??= hold;
      if (hold.listener !== null) holders.push(hold.listener);
    }
    if (holders.length > 0) process.nextTick(() => holders.forEach((l) => this.closeListener(l)));
    const socket = new net.Socket({ allowHalfOpen: true });
    this.track(socket);
    const conn = new HostConnection(socket, remoteAddress, remotePort, localAddress, localPort, receiveBuffer);
    conn.events = events;
    socket.connect({ host: toNodeAddress(remoteAddress), port: remotePort, localAddress: toNodeAddress(localAddress), localPort }, () => conn.connected());
    if (bound !== null) {
      const { version, address, port, v6Only } = bound;
      conn.keepPort = () => this.holdAgain(version, address, port, ephemeral, v6Only);
    }
    if (ephemeral) {
      // Someone took the port in those microseconds: the system chooses another, as it would.
      conn.retry = () => {
        const next = new net.Socket({ allowHalfOpen: true });
        this.track(next);
        next.connect({ host: toNodeAddress(remoteAddress), port: remotePort, localAddress: toNodeAddress(localAddress), localPort: 0 }, () => conn.connected());
        return next;
      };
    }
    return conn;
  }

  /**
   * A connect that failed before its connection was made leaves the socket bound to the port it
   * reported (Windows keeps the implicit bind too): the system holds the port again, and the
   * provider's socket adopts the hold in socketChanged as after a WSPBind. If someone took the
   * port in the moment it was free, the record stays without a listener; when the system had
   * chosen the port, the next connect then takes another one.
   */
  private holdAgain(version: IpVersion, address: string, port: number, ephemeral: boolean, v6Only: boolean): void {
    let listener: HostListener | null = null;
    if (this.listenInCall) {
      const candidate = new HostListener(this, address, port);
      const result = listenNow(candidate.server, address, port, LISTEN_BACKLOG, v6Only);
      if (result === 'bound') {
        this.handles.add(candidate.server);
        listener = candidate;
      } else if (result === 'later') {
        this.listenInCall = false;
        candidate.server.once('listening', () => candidate.server.close());
      }
    }
    const hold: Hold = { version, address, port, ephemeral, v6Only, listener, owner: null };
    this.addHold(hold);
    if (this.pending !== null) this.release(this.pending);
    this.pending = hold;
  }

  streamTupleInUse(): boolean {
    return false; // the operating system checks when it connects
  }

  bindDatagram(version: IpVersion, address: string, port: number, receiver: DatagramReceiver, options?: ListenOptions): DatagramEndpoint {
    const held = this.pendingDatagram;
    const adopt = held !== null && held.version === version && held.address === address && held.port === port;
    if (adopt) this.pendingDatagram = null;
    // Bound in reservePort, in this same WSPBind; otherwise (this Node binds later) bound below.
    // The IPv6 wildcard is v6-only (Windows' default) unless dual-stack was asked for.
    const socket = adopt ? held.socket : createDatagramSocket(version, address === '::' && options?.dualStack !== true);
    // node:dgram does not say where a datagram was sent: a socket bound to one address has it;
    // on the wildcard, loopback traffic was sent to the loopback address it came from (the
    // system answers 127.0.0.1 from 127.0.0.1), other traffic to the address a reply leaves
    // from — the best available answer (docs/overlapped.md, "WSARecvMsg and WSASendMsg").
    const fixed = isWildcard(address) ? undefined : (v4Mapped(address) ?? address);
    // Asked of the system's interface list once per socket and version, not per datagram.
    const routed: (string | undefined)[] = [];
    socket.on('message', (msg, rinfo) => {
      const src = canonical(rinfo.address);
      const v = src.includes(':') ? 6 : 4;
      const dst = fixed ?? (isLoopback(src) ? src : (routed[v] ??= this.sourceAddress(v, src)));
      receiver.datagram(src, rinfo.port, new Uint8Array(msg.buffer, msg.byteOffset, msg.length).slice(), dst);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // Linux reports an ICMP port unreachable only on connected sockets; it has no address then.
      if (e.code === 'ECONNREFUSED') receiver.portUnreachable('', 0);
    });
    if (!adopt) socket.bind({ address: toNodeAddress(address), port, exclusive: true });
    const handle = { close: () => socket.close() };
    this.handles.add(handle);
    const multicast = new HostMulticast(socket, version);
    return {
      // Windows sends to port 0 (Wine's test_UDP); node:dgram refuses it, and nobody can listen
      // there: the datagram is as good as lost, so it is dropped here.
      send: (_src, dstAddress, dstPort, payload, group) => {
        if (group !== undefined) multicast.prepare(group);
        // An IPv6 socket reaches IPv4 only through the v4-mapped spelling.
        if (dstPort !== 0) socket.send(payload, dstPort, version === 6 && !dstAddress.includes(':') ? `::ffff:${dstAddress}` : toNodeAddress(dstAddress));
      },
      membership: (join, group, iface, source) => multicast.membership(join, group, iface, source),
      setMulticastLoop: (on) => multicast.setLoop(on),
      close: () => {
        this.handles.delete(handle);
        closeDatagram(socket);
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
    this.holds.clear();
    this.owned.clear();
    this.pending = null;
    if (this.pendingDatagram !== null) closeDatagram(this.pendingDatagram.socket);
    this.pendingDatagram = null;
    this.oracle.close();
  }

  /** @internal Tracks an accepted or connecting socket until it closes. */
  track(socket: net.Socket): void {
    this.handles.add(socket);
    socket.once('close', () => this.handles.delete(socket));
  }

  private addHold(hold: Hold): void {
    let set = this.holds.get(hold.port);
    if (set === undefined) {
      set = new Set();
      this.holds.set(hold.port, set);
    }
    set.add(hold);
  }

  /** The holds on `port` whose address overlaps `address` (a copy: the caller may forget them). */
  private overlapping(address: string, port: number): Hold[] {
    const set = this.holds.get(port);
    if (set === undefined) return [];
    const out: Hold[] = [];
    for (const hold of set) if (overlap(hold.address, address) && !(hold.v6Only && !address.includes(':'))) out.push(hold);
    return out;
  }

  /** Holds on `port` overlapping `address` (or just `only`) close their listeners; their records stay. */
  private giveWay(address: string, port: number, only: Hold | null): void {
    for (const hold of only === null ? this.overlapping(address, port) : [only]) {
      if (hold.listener !== null) this.closeListener(hold.listener);
      hold.listener = null;
    }
  }

  /** Drops a hold's record (its listener, if any, is now the caller's). */
  private forget(hold: Hold): void {
    const set = this.holds.get(hold.port);
    if (set !== undefined && set.delete(hold) && set.size === 0) this.holds.delete(hold.port);
    if (hold.owner !== null && this.owned.get(hold.owner) === hold) this.owned.delete(hold.owner);
    if (this.pending === hold) this.pending = null;
  }

  /** Drops a hold and lets its port go. */
  private release(hold: Hold): void {
    this.forget(hold);
    if (hold.listener !== null) this.closeListener(hold.listener);
    hold.listener = null;
  }

  private closeListener(listener: HostListener): void {
    listener.hooks = null;
    listener.server.close();
    this.handles.delete(listener.server);
  }
}

function closeDatagram(socket: dgram.Socket): void {
  socket.on('error', () => {});
  try {
    socket.close();
  } catch {
    // already closed by the network's shutdown
  }
}
