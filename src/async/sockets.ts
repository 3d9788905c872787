/**
 * An idiomatic async API over the SPI, the same on both networks: `listen`, `connect`,
 * `for await (const conn of server)`, `await conn.read()`, `await conn.write(bytes)`,
 * AbortSignal for cancellation, and {@link WinsockError} for failures.
 *
 * The rules every wait follows (docs/host-network.md, "The async API"): an aborted signal
 * rejects the wait with `signal.reason` on both networks; a wait in progress when its own
 * socket is closed rejects with WSAEINTR (as Windows fails a blocking call that closesocket
 * interrupts), and `for await` over a closed listener or connection simply ends; on the
 * virtual network a wait nothing can ever satisfy rejects with WSAEINTR after its `stallMs`
 * grace (src/async/driver.ts).
 */
import {
  AF_INET, AF_INET6, FIONBIO, INVALID_SOCKET, IPPROTO_TCP, SD_SEND, SOCK_STREAM, SOCKET_ERROR, SOL_SOCKET, SOMAXCONN,
  SO_ERROR, SO_LINGER, TCP_NODELAY, WSAEINTR, WSAEWOULDBLOCK,
} from '../provider/constants.js';
import { hasException, isReadable, isWritable } from '../provider/readiness.js';
import type { Socket } from '../provider/socket.js';
import type { ServiceProvider } from '../spi/service-provider.js';
import type { SockAddr } from '../spi/sockaddr.js';
import { DEFAULT_STALL_MS, checkStallMs, driverOf, type Driver } from './driver.js';
import { WinsockError } from './winsock-error.js';

/** Where sockets come from: a provider, or anything that has one (a virtual host, a HostNetwork). */
export type ProviderSource = ServiceProvider | { readonly provider: ServiceProvider };

export interface ListenOptions {
  /** Local address; default '0.0.0.0' (all IPv4 addresses). */
  address?: string;
  /** Local port; 0 (the default) lets the network choose. */
  port?: number;
  /** The listen queue's length (WSPListen's backlog); default SOMAXCONN. */
  backlog?: number;
  signal?: AbortSignal;
  /**
   * Virtual network only: how long (ms of real time) a wait of this listener, and of the
   * connections it accepts, lets the simulation stay idle before failing with WSAEINTR: code
   * outside the simulation (a timer, a promise, a thread) may still act. Default 1000;
   * `Infinity`: never. Ignored on the host network.
   */
  stallMs?: number;
}

export interface ConnectOptions {
  address: string;
  port: number;
  /** TCP_NODELAY (Nagle off). */
  noDelay?: boolean;
  signal?: AbortSignal;
  /** As {@link ListenOptions.stallMs}, for the connect and the connection's waits. Default 1000. */
  stallMs?: number;
}

const providerOf = (source: ProviderSource): ServiceProvider =>
  'WSPSocket' in source ? (source as ServiceProvider) : source.provider;

const family = (address: string): number => (address.includes(':') ? AF_INET6 : AF_INET);

/** Runs one SPI call and throws its error as a WinsockError; WSAEWOULDBLOCK comes back as null. */
function call(name: string, fn: (e: { value: number }) => number, failure = SOCKET_ERROR): number | null {
  const e = { value: 0 };
  const r = fn(e);
  if (r !== failure) return r;
  if (e.value === WSAEWOULDBLOCK) return null;
  throw new WinsockError(e.value, name);
}

/** A non-blocking stream socket of `p`, or throws. */
function openSocket(p: ServiceProvider, af: number): number {
  const s = call('WSPSocket', (e) => p.WSPSocket(af, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e), INVALID_SOCKET)!;
  call('WSPIoctl', (e) => p.WSPIoctl(s, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e));
  return s;
}

class Base {
  protected readonly driver: Driver;
  private closed = false;

  constructor(
    protected readonly provider: ServiceProvider,
    readonly socket: number,
    /** The grace of this socket's waits on an idle simulation (ListenOptions.stallMs). */
    protected readonly stallMs: number = DEFAULT_STALL_MS,
  ) {
    this.driver = driverOf(provider.core);
  }

  protected get state(): Socket | undefined {
    return this.provider.core.lookup(this.socket);
  }

  /** Whether the socket is closed (by close(), WSPCloseSocket of its handle, or its network's close). */
  protected get gone(): boolean {
    return this.closed || this.state === undefined;
  }

  /**
   * Waits until `test` holds for the socket. If the socket is closed meanwhile, rejects with
   * WSAEINTR: Windows fails a blocking call that closesocket interrupts with that code.
   */
  protected async until(test: (s: Socket) => boolean, signal?: AbortSignal): Promise<void> {
    await this.driver.wait(() => {
      const s = this.state;
      return s === undefined || test(s);
    }, signal, this.stallMs);
    if (this.gone) throw new WinsockError(WSAEINTR, 'wait');
  }

  /** The local address. */
  get localAddress(): SockAddr {
    const name = { family: 0, address: '', port: 0 };
    call('WSPGetSockName', (e) => this.provider.WSPGetSockName(this.socket, name, { value: 28 }, e));
    return name;
  }

  /** Closes the socket (gracefully: queued data is still delivered). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    call('WSPCloseSocket', (e) => this.provider.WSPCloseSocket(this.socket, e));
  }
}

/** One TCP connection. */
export class Connection extends Base {
  /** The peer's address. */
  get remoteAddress(): SockAddr {
    const name = { family: 0, address: '', port: 0 };
    call('WSPGetPeerName', (e) => this.provider.WSPGetPeerName(this.socket, name, { value: 28 }, e));
    return name;
  }

  /** The next bytes (at most `max`), or null once the peer has closed its side. */
  async read(max = 65536, signal?: AbortSignal): Promise<Uint8Array | null> {
    for (;;) {
      const state = this.state;
      // Nothing to read and nothing to report: wait before making a buffer or a call.
      if (state !== undefined && !isReadable(state)) {
        await this.until(isReadable, signal);
        continue;
      }
      // A buffer the size of what is there (at most `max`): no 64 KiB to clear for one byte.
      const size = Math.min(max, state === undefined ? 4096 : Math.max(1, state.inbox.length));
      const buf = new Uint8Array(size);
      const n = { value: 0 };
      const r = call('WSPRecv', (e) => this.provider.WSPRecv(this.socket, [{ len: size, buf }], 1, n, { value: 0 }, null, null, null, e));
      if (r !== null) return n.value === 0 && max > 0 ? null : n.value === size ? buf : buf.subarray(0, n.value);
      await this.until(isReadable, signal);
    }
  }

  /** Sends every byte (waiting while the send buffer is full). */
  async write(bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    let off = 0;
    while (off < bytes.length) {
      const n = { value: 0 };
      const rest = bytes.subarray(off);
      const r = call('WSPSend', (e) => this.provider.WSPSend(this.socket, [{ len: rest.length, buf: rest }], 1, n, 0, null, null, null, e));
      if (r !== null) off += n.value;
      else await this.until(isWritable, signal);
    }
  }

  /** Closes the sending side (FIN after the data); reading goes on. */
  end(): void {
    call('WSPShutdown', (e) => this.provider.WSPShutdown(this.socket, SD_SEND, e));
  }

  /** Abortive close: the peer sees a reset. */
  reset(): void {
    const linger = new Uint8Array([1, 0, 0, 0]);
    call('WSPSetSockOpt', (e) => this.provider.WSPSetSockOpt(this.socket, SOL_SOCKET, SO_LINGER, linger, 4, e));
    this.close();
  }

  /** Chunks until the peer closes; ends too once this connection is closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.gone) return;
      let chunk: Uint8Array | null;
      try {
        chunk = await this.read();
      } catch (err) {
        if (this.gone) return;
        throw err;
      }
      if (chunk === null) return;
      yield chunk;
    }
  }
}

/** A listening socket; iterate it for connections. */
export class Listener extends Base {
  /** The next connection from the listen queue. */
  async accept(signal?: AbortSignal): Promise<Connection> {
    for (;;) {
      const s = call('WSPAccept', (e) => this.provider.WSPAccept(this.socket, null, null, null, 0, e), INVALID_SOCKET);
      if (s !== null) return new Connection(this.provider, s, this.stallMs);
      await this.until(isReadable, signal);
    }
  }

  /** The connections, one by one; ends once the listener is closed (a pending accept included). */
  async *[Symbol.asyncIterator](): AsyncGenerator<Connection> {
    for (;;) {
      if (this.gone) return;
      let conn: Connection;
      try {
        conn = await this.accept();
      } catch (err) {
        if (this.gone) return;
        throw err;
      }
      yield conn;
    }
  }
}

/** A listening TCP socket on `source` (WSPSocket, WSPBind, WSPListen). */
export async function listen(source: ProviderSource, options: ListenOptions = {}): Promise<Listener> {
  const p = providerOf(source);
  const address = options.address ?? '0.0.0.0';
  const stallMs = checkStallMs(options.stallMs);
  options.signal?.throwIfAborted();
  const s = openSocket(p, family(address));
  try {
    const at = { family: family(address), address, port: options.port ?? 0 };
    call('WSPBind', (e) => p.WSPBind(s, at, at.family === AF_INET6 ? 28 : 16, e));
    call('WSPListen', (e) => p.WSPListen(s, options.backlog ?? SOMAXCONN, e));
  } catch (err) {
    p.WSPCloseSocket(s, { value: 0 });
    throw err;
  }
  return new Listener(p, s, stallMs);
}

/** A TCP connection from `source` to `options.address:port` (WSPConnect, then waits for it). */
export async function connect(source: ProviderSource, options: ConnectOptions): Promise<Connection> {
  const p = providerOf(source);
  const stallMs = checkStallMs(options.stallMs);
  options.signal?.throwIfAborted();
  const af = family(options.address);
  const s = openSocket(p, af);
  const conn = new Connection(p, s, stallMs);
  try {
    if (options.noDelay) {
      call('WSPSetSockOpt', (e) => p.WSPSetSockOpt(s, IPPROTO_TCP, TCP_NODELAY, new Uint8Array([1, 0, 0, 0]), 4, e));
    }
    const at = { family: af, address: options.address, port: options.port };
    const r = call('WSPConnect', (e) => p.WSPConnect(s, at, af === AF_INET6 ? 28 : 16, null, null, null, null, e));
    if (r === null) {
      await driverOf(p.core).wait(() => {
        const sock = p.core.lookup(s);
        return sock === undefined || isWritable(sock) || hasException(sock) || sock.phase !== 'connecting';
      }, options.signal, stallMs);
      const err = new Uint8Array(4);
      call('WSPGetSockOpt', (e) => p.WSPGetSockOpt(s, SOL_SOCKET, SO_ERROR, err, { value: 4 }, e));
      const code = new DataView(err.buffer).getInt32(0, true);
      if (code !== 0) throw new WinsockError(code, 'WSPConnect');
    }
    return conn;
  } catch (err) {
    p.WSPCloseSocket(s, { value: 0 });
    throw err;
  }
}
