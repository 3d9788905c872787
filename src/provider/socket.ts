/**
 * Per-socket state. A socket is a plain record; the operations that change it live in
 * provider.ts so that every rule is in one place.
 */
import type { IpVersion, StreamConnection } from './transport.js';
import type { ListenQueue } from './listen-queue.js';
import { ByteQueue } from './byte-queue.js';
import { AF_INET6 } from './constants.js';
import type { EventSelection } from './readiness.js';
import type { DatagramEndpoint } from './transport.js';

/** A validated socket address inside the provider: canonical address text. */
export interface Endpoint {
  readonly family: number;
  readonly address: string;
  readonly port: number;
}


/** A datagram waiting to be read. */
export interface ReceivedDatagram {
  readonly from: Endpoint;
  readonly payload: Uint8Array;
}

/** Where a socket is in its life. */
export type SocketPhase = 'open' | 'bound' | 'listening' | 'connecting' | 'connected' | 'closed';

/** SO_LINGER as Winsock stores it. */
export interface Linger {
  onoff: number;
  seconds: number;
}

export const NO_DATAGRAMS: ReceivedDatagram[] = [];

interface DatagramState {
  endpoint: DatagramEndpoint | null;
  datagrams: ReceivedDatagram[];
  head: number;
  bytes: number;
  pendingUnreachable: boolean;
}

/** Options as Winsock stores them per socket (SO_*, TCP_NODELAY, SIO_UDP_CONNRESET). */
interface SocketOptions {
  reuseAddr: boolean;
  exclusiveAddrUse: boolean;
  reportUnreachable: boolean;
  keepAlive: boolean;
  linger: Readonly<Linger>;
  sendBuffer: number;
  receiveBuffer: number;
  noDelay: boolean;
  conditionalAccept: boolean;
  receiveTimeoutMs: number;
  sendTimeoutMs: number;
  broadcast: boolean;
  oobInline: boolean;
  debug: boolean;
  dontRoute: boolean;
  /**
   * IPV6_V6ONLY (Windows' default: on, for every socket). What it does for a dual-stack IPv6
   * socket is the binding and listening code's business; the option only stores it here.
   */
  v6Only: boolean;
  /** IP_TTL (IPv4) and IPV6_UNICAST_HOPS (IPv6): the hop limit of unicast packets. */
  ipTtl: number;
  ipv6UnicastHops: number;
  /** IP_TOS. */
  ipTos: number;
  /** IP_DONTFRAGMENT and IPV6_DONTFRAG; -1 until set (the default then depends on the socket type). */
  ipDontFragment: number;
  ipv6DontFragment: number;
  /** TCP keep-alive timing: TCP_KEEPALIVE (idle), TCP_KEEPINTVL, TCP_KEEPCNT and SIO_KEEPALIVE_VALS. */
  keepAliveIdleMs: number;
  keepAliveIntervalMs: number;
  keepAliveProbes: number;
  /** Whether a timing option was set: until then each connection keeps its network's defaults. */
  keepAliveTimed: boolean;
  /** The IP-level options that are stored and read back only, by `${level}/${name}`; replaced, never changed in place. */
  ipExtras: Readonly<Record<string, number | Uint8Array>>;
}

const DEFAULT_OPTIONS: Readonly<SocketOptions> = Object.freeze({
  reuseAddr: false, exclusiveAddrUse: false, reportUnreachable: true, keepAlive: false,
  linger: Object.freeze({ onoff: 0, seconds: 0 }), sendBuffer: 65536, receiveBuffer: 65536, noDelay: false,
  conditionalAccept: false, receiveTimeoutMs: 0, sendTimeoutMs: 0, broadcast: false, oobInline: false, debug: false,
  dontRoute: false, v6Only: true, ipTtl: 128, ipv6UnicastHops: 128, ipTos: 0, ipDontFragment: -1, ipv6DontFragment: -1,
  keepAliveIdleMs: 7_200_000, keepAliveIntervalMs: 1000, keepAliveProbes: 10, keepAliveTimed: false, ipExtras: Object.freeze({}),
});

/** The socket's yes/no state, one bit each in {@link Socket.bits}: one field instead of five per socket. */
const NON_BLOCKING = 1;
const PEER_CLOSED = 2;
const SEND_SHUTDOWN = 4;
const RECEIVE_SHUTDOWN = 8;
const WRITE_ARMED = 16;

export class Socket {
  phase: SocketPhase = 'open';
  private bits = 0;
  /** Bound address; the wildcard is '0.0.0.0' or '::'. */
  local: Endpoint | null = null;
  /** The address the port table holds for us (a connect from the wildcard keeps the wildcard there). */
  boundAddress = '';
  remote: Endpoint | null = null;
  /** The last asynchronous error as SO_ERROR reads it; a caller may set it (Windows allows that). */
  soError = 0;
  /**
   * Why the connection broke (WSAECONNRESET, WSAECONNABORTED, …): what calls on a reset socket
   * report, whatever a caller stored in SO_ERROR.
   */
  resetCode = 0;

  /** The connection was reset or aborted after it was established (kept as its code: one field less per socket). */
  get reset(): boolean {
    return this.resetCode !== 0;
  }
  conn: StreamConnection | null = null;
  queue: ListenQueue | null = null;
  /** The peer closed its direction (FIN). */
  get peerClosed(): boolean { return (this.bits & PEER_CLOSED) !== 0; }
  set peerClosed(v: boolean) { this.flag(PEER_CLOSED, v); }
  /** Received bytes not yet read. */
  inbox = new ByteQueue();
  /** Budget bytes charged for data this socket has queued to send. */
  sendCharged = 0;
  /** WSPShutdown(SD_SEND) or (SD_RECEIVE). */
  get sendShutdown(): boolean { return (this.bits & SEND_SHUTDOWN) !== 0; }
  set sendShutdown(v: boolean) { this.flag(SEND_SHUTDOWN, v); }
  get receiveShutdown(): boolean { return (this.bits & RECEIVE_SHUTDOWN) !== 0; }
  set receiveShutdown(v: boolean) { this.flag(RECEIVE_SHUTDOWN, v); }
  /** Outcome of the last connect attempt for FD_CONNECT and exceptfds: null while none finished. */
  connectResult: number | null = null;
  /** FD_WRITE is due when the socket next becomes writable (after a connect, an accept, or a WSAEWOULDBLOCK send). */
  get writeArmed(): boolean { return (this.bits & WRITE_ARMED) !== 0; }
  set writeArmed(v: boolean) { this.flag(WRITE_ARMED, v); }

  /** Datagram sockets' state; made on first use (stream sockets never need it). */
  private dgram: DatagramState | null = null;

  /**
   * SO_CONNECT_TIME: when the connection was established (the transport's clock, ms); -1 while
   * the provider has not recorded it. Set where a connection is established or accepted.
   */
  connectedAtMs = -1;

  /** WSPEventSelect/WSPAsyncSelect state; null until one is called. */
  notify: EventSelection | null = null;

  /**
   * The socket's options. Most sockets never change one, so they share the defaults until the
   * first change (the accessors below): an idle connection stays small.
   */
  private options: SocketOptions = DEFAULT_OPTIONS;

  constructor(
    /** One of its live descriptors (a duplicate's survives when this one closes: src/spi/duplicate.ts). */
    public handle: number,
    readonly af: number,
    readonly type: number,
    readonly protocol: number,
  ) {}

  /** Derived, not stored: a field less on every socket. */
  get version(): IpVersion {
    return this.af === AF_INET6 ? 6 : 4;
  }

  /** FIONBIO / WSPEventSelect / WSPAsyncSelect made the socket non-blocking. */
  get nonBlocking(): boolean { return (this.bits & NON_BLOCKING) !== 0; }
  set nonBlocking(v: boolean) { this.flag(NON_BLOCKING, v); }

  private flag(bit: number, on: boolean): void {
    this.bits = on ? this.bits | bit : this.bits & ~bit;
  }

  private datagramState(): DatagramState {
    return (this.dgram ??= { endpoint: null, datagrams: NO_DATAGRAMS, head: 0, bytes: 0, pendingUnreachable: false });
  }

  get endpoint(): DatagramEndpoint | null { return this.dgram?.endpoint ?? null; }
  set endpoint(v: DatagramEndpoint | null) { if (v !== null || this.dgram !== null) this.datagramState().endpoint = v; }
  /** Received datagrams; a shared empty list until the first arrives. */
  get datagrams(): ReceivedDatagram[] { return this.dgram?.datagrams ?? NO_DATAGRAMS; }
  set datagrams(v: ReceivedDatagram[]) { this.datagramState().datagrams = v; }
  get datagramHead(): number { return this.dgram?.head ?? 0; }
  set datagramHead(v: number) { this.datagramState().head = v; }
  get datagramBytes(): number { return this.dgram?.bytes ?? 0; }
  set datagramBytes(v: number) { this.datagramState().bytes = v; }
  /** An ICMP port-unreachable arrived: the next receive reports WSAECONNRESET (unless SIO_UDP_CONNRESET turned it off). */
  get pendingUnreachable(): boolean { return this.dgram?.pendingUnreachable ?? false; }
  set pendingUnreachable(v: boolean) { if (v || this.dgram !== null) this.datagramState().pendingUnreachable = v; }

  private own(): SocketOptions {
    if (this.options === DEFAULT_OPTIONS) this.options = { ...DEFAULT_OPTIONS };
    return this.options;
  }

  get reuseAddr(): boolean { return this.options.reuseAddr; }
  set reuseAddr(v: boolean) { this.own().reuseAddr = v; }
  get exclusiveAddrUse(): boolean { return this.options.exclusiveAddrUse; }
  set exclusiveAddrUse(v: boolean) { this.own().exclusiveAddrUse = v; }
  /** ICMP port unreachable surfaces as WSAECONNRESET (SIO_UDP_CONNRESET). */
  get reportUnreachable(): boolean { return this.options.reportUnreachable; }
  set reportUnreachable(v: boolean) { this.own().reportUnreachable = v; }
  get keepAlive(): boolean { return this.options.keepAlive; }
  set keepAlive(v: boolean) { this.own().keepAlive = v; }
  /** Replaced, never changed in place, so sockets can share one value. */
  get linger(): Readonly<Linger> { return this.options.linger; }
  set linger(v: Readonly<Linger>) { this.own().linger = v; }
  get sendBuffer(): number { return this.options.sendBuffer; }
  set sendBuffer(v: number) { this.own().sendBuffer = v; }
  get receiveBuffer(): number { return this.options.receiveBuffer; }
  set receiveBuffer(v: number) { this.own().receiveBuffer = v; }
  get noDelay(): boolean { return this.options.noDelay; }
  set noDelay(v: boolean) { this.own().noDelay = v; }
  get conditionalAccept(): boolean { return this.options.conditionalAccept; }
  set conditionalAccept(v: boolean) { this.own().conditionalAccept = v; }
  get receiveTimeoutMs(): number { return this.options.receiveTimeoutMs; }
  set receiveTimeoutMs(v: number) { this.own().receiveTimeoutMs = v; }
  get sendTimeoutMs(): number { return this.options.sendTimeoutMs; }
  set sendTimeoutMs(v: number) { this.own().sendTimeoutMs = v; }
  get broadcast(): boolean { return this.options.broadcast; }
  set broadcast(v: boolean) { this.own().broadcast = v; }
  get oobInline(): boolean { return this.options.oobInline; }
  set oobInline(v: boolean) { this.own().oobInline = v; }
  get debug(): boolean { return this.options.debug; }
  set debug(v: boolean) { this.own().debug = v; }
  get dontRoute(): boolean { return this.options.dontRoute; }
  set dontRoute(v: boolean) { this.own().dontRoute = v; }
  /** IPV6_V6ONLY: true (the default) keeps an IPv6 socket IPv6-only; false makes it dual-stack. */
  get v6Only(): boolean { return this.options.v6Only; }
  set v6Only(v: boolean) { this.own().v6Only = v; }
  get ipTtl(): number { return this.options.ipTtl; }
  set ipTtl(v: number) { this.own().ipTtl = v; }
  get ipv6UnicastHops(): number { return this.options.ipv6UnicastHops; }
  set ipv6UnicastHops(v: number) { this.own().ipv6UnicastHops = v; }
  get ipTos(): number { return this.options.ipTos; }
  set ipTos(v: number) { this.own().ipTos = v; }
  get ipDontFragment(): number { return this.options.ipDontFragment; }
  set ipDontFragment(v: number) { this.own().ipDontFragment = v; }
  get ipv6DontFragment(): number { return this.options.ipv6DontFragment; }
  set ipv6DontFragment(v: number) { this.own().ipv6DontFragment = v; }
  get keepAliveIdleMs(): number { return this.options.keepAliveIdleMs; }
  set keepAliveIdleMs(v: number) { this.own().keepAliveIdleMs = v; }
  get keepAliveIntervalMs(): number { return this.options.keepAliveIntervalMs; }
  set keepAliveIntervalMs(v: number) { this.own().keepAliveIntervalMs = v; }
  get keepAliveProbes(): number { return this.options.keepAliveProbes; }
  set keepAliveProbes(v: number) { this.own().keepAliveProbes = v; }
  get keepAliveTimed(): boolean { return this.options.keepAliveTimed; }
  set keepAliveTimed(v: boolean) { this.own().keepAliveTimed = v; }
  get ipExtras(): Readonly<Record<string, number | Uint8Array>> { return this.options.ipExtras; }
  set ipExtras(v: Readonly<Record<string, number | Uint8Array>>) { this.own().ipExtras = v; }

  /** Takes another socket's options (an accepted socket inherits the listener's). */
  inheritOptions(from: Socket): void {
    this.options = from.options === DEFAULT_OPTIONS ? DEFAULT_OPTIONS : { ...from.options };
  }

  /** SOCK_STREAM: the only type that listens, accepts and connects with a handshake. */
  get streamType(): boolean {
    return this.type === 1;
  }
}
