/**
 * What the provider needs from a network. The virtual network and (later) the host network
 * each implement this; the provider's Winsock semantics sit on top and never see packets.
 */

import { AF_INET6 } from './constants.js';

export type IpVersion = 4 | 6;

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), or undefined. */
export function v4Mapped(address: string): string | undefined {
  const m = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(address);
  return m === null ? undefined : m[1];
}

/** An address as a socket of `family` shows it: IPv4 addresses of an AF_INET6 socket are v4-mapped. */
export function addressFor(family: number, address: string): string {
  return family === AF_INET6 && !address.includes(':') ? `::ffff:${address}` : address;
}

/** Why a stream connection failed or was torn down abnormally: a cause, or the Winsock code itself. */
export type StreamFailReason = 'refused' | 'reset' | 'timed-out' | 'host-unreachable' | 'net-unreachable' | 'keepalive' | number;

/** Callbacks a stream connection delivers to its owner. */
export interface StreamEvents<C extends StreamConnection = StreamConnection> {
  established(conn: C): void;
  failed(conn: C, reason: StreamFailReason): void;
  remoteClosed(conn: C): void;
  /** Bytes arrived: valid during the call only (copy them), unless `owned` (then they are the receiver's to keep). */
  data(conn: C, bytes: Uint8Array, owned?: boolean): void;
  /** The peer acknowledged data; `bufferedBytes` went down. */
  acked(conn: C): void;
  closed(conn: C): void;
}

/** One TCP connection as the provider drives it. */
export interface StreamConnection {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Set by the owner; the network calls it. */
  events: StreamEvents<any> | null;
  /** Completes a handshake held by a 'defer' verdict. */
  acceptSyn(): void;
  /** Graceful close of the sending direction (FIN). */
  close(): void;
  /** Abortive close (RST); the connection is gone at once. */
  abort(): void;
  /**
   * Abortive close of an attempt the socket outlives (a cancelled ConnectEx): as abort(), and the
   * socket keeps its local port. Absent: abort() already leaves the port to the socket.
   */
  abandon?(): void;
  /** Stops delivering events; a graceful close still completes on the network. */
  detach(): void;
  /** An array of `length` bytes to fill and pass to {@link sendData} (the connection may recycle its memory). */
  allocate(length: number): Uint8Array;
  /** Queues bytes (the connection keeps the array: pass a copy); FIN follows them on close(). */
  sendData(bytes: Uint8Array): void;
  /** Bytes queued or in flight, not yet acknowledged by the peer. */
  readonly bufferedBytes: number;
  /** TCP_NODELAY. */
  noDelay: boolean;
  /** SO_KEEPALIVE: probe an idle connection, fail it (WSAENETRESET) if the peer is gone. */
  keepAlive: boolean;
  /**
   * Per-socket keep-alive timing (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, SIO_KEEPALIVE_VALS):
   * idle time before the first probe, time between unanswered probes, probes before the
   * connection fails. Until called, the network's own defaults apply.
   */
  setKeepAliveTiming(idleMs: number, intervalMs: number, probes: number): void;
  /** The owner read `n` bytes: the receive window opens. */
  consumed(n: number): void;
  /** The owner's receive buffer (SO_RCVBUF) changed size. */
  setReceiveBuffer(size: number): void;
}

/** A listener's answer to an incoming connection request. */
export type SynVerdict = 'accept' | 'refuse' | 'defer' | 'drop';

export interface StreamListenHooks {
  /** A connection request arrived; the hook sets `conn.events` unless it refuses. */
  onSyn(conn: StreamConnection): SynVerdict;
}

export interface ListenHandle {
  close(): void;
}

/** How a listener matches connection requests beyond its address and port. */
export interface ListenOptions {
  /**
   * An IPv6 wildcard listener with IPV6_V6ONLY off: IPv4 requests to the port reach it too
   * (after any IPv4 listener that matches them), their addresses shown v4-mapped (::ffff:a.b.c.d).
   */
  readonly dualStack?: boolean;
}

/** What a datagram endpoint's owner is told. */
export interface DatagramReceiver {
  /**
   * A datagram arrived. `dstAddress`: the address it was sent to (a local address, or the group
   * or broadcast address), in its own version's text, when the network knows it (WSARecvMsg's
   * IP_PKTINFO / IPV6_PKTINFO report it); absent, the receiver takes its bound address.
   */
  datagram(srcAddress: string, srcPort: number, payload: Uint8Array, dstAddress?: string): void;
  /** An ICMP port-unreachable answered a datagram this endpoint sent to that address and port. */
  portUnreachable(dstAddress: string, dstPort: number): void;
}

/**
 * A multicast interface as the caller named it: a local address ('' or the wildcard: the
 * default interface) or an interface index (0: the default).
 */
export type MulticastInterface = string | number;

/** True for the interface spelling that means "the default one". */
export function isDefaultInterface(iface: MulticastInterface): boolean {
  return iface === 0 || iface === '' || iface === '0.0.0.0' || iface === '::';
}

/** How a datagram to a multicast group travels: IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS, IP_MULTICAST_IF / IPV6_MULTICAST_IF. */
export interface MulticastSend {
  readonly hops: number;
  readonly iface: MulticastInterface;
}

/** A bound UDP endpoint. */
export interface DatagramEndpoint {
  /**
   * Sends one datagram from `srcAddress` (a specific address of this host). The payload is
   * kept: pass a copy. `multicast`: the destination is a group, sent this way.
   */
  send(srcAddress: string, dstAddress: string, dstPort: number, payload: Uint8Array, multicast?: MulticastSend): void;
  /**
   * Joins (`join`) or leaves a multicast group on an interface; with `source`, source-specific
   * (that source only). Returns 0 or the Winsock code Windows gives: WSAEADDRNOTAVAIL for a
   * group already joined there or an interface the host lacks, WSAEINVAL for a group not joined.
   */
  membership(join: boolean, group: string, iface: MulticastInterface, source?: string): number;
  /** IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP changed. */
  setMulticastLoop(on: boolean): void;
  close(): void;
}

/** How a blocking wait ended. */
export type BlockOutcome = 'done' | 'idle' | 'deadline' | 'unsupported';

export interface Transport {
  /** Transports that share one network (one clock) share this object. */
  readonly domain: object;
  /** The network carries TCP urgent data (MSG_OOB); absent: it does not (the catalogue says so). */
  readonly urgentData?: boolean;
  /** Current time in milliseconds (virtual on the virtual network). */
  nowMs(): number;
  /** True while the host's network is down (every call reports WSAENETDOWN). */
  isNetworkDown(): boolean;
  /** True if a socket on this host may bind this specific address (its own, or loopback). */
  hasLocalAddress(version: IpVersion, address: string): boolean;
  /**
   * The host's unicast addresses of one IP version (SIO_ADDRESS_LIST_QUERY, SIO_GET_INTERFACE_LIST);
   * absent: the provider lists the address a route to the outside leaves from.
   */
  localAddresses?(version: IpVersion): readonly string[];
  /**
   * The index of the interface a local address (or a group joined there) belongs to, as
   * IP_PKTINFO's ipi_ifindex reports it; absent or undefined: unknown (reported as 0).
   */
  interfaceIndex?(version: IpVersion, localAddress: string): number | undefined;
  /** The local address a connection to `remoteAddress` leaves from; undefined if there is no route. */
  sourceAddress(version: IpVersion, remoteAddress: string): string | undefined;
  /** Starts matching connection requests for an address (or the wildcard) and port. */
  listenStream(address: string, port: number, hooks: StreamListenHooks, options?: ListenOptions): ListenHandle;
  /** Starts an active open. The caller has checked that the tuple is free. */
  connectStream(
    version: IpVersion, localAddress: string, localPort: number,
    remoteAddress: string, remotePort: number, events: StreamEvents<any>, receiveBuffer: number,
  ): StreamConnection;
  /**
   * Networks with other users (the operating system's) check a bind there too: `port` 0 asks
   * for a free port. Returns the port, or a negated Winsock code (WSAEADDRINUSE, …). Absent on
   * networks the provider owns alone. `v6Only`: an IPv6 socket with IPV6_V6ONLY on, whose
   * wildcard leaves the IPv4 side of the port free.
   */
  reservePort?(version: IpVersion, stream: boolean, address: string, port: number, v6Only: boolean): number;
  /** True if a connection (TIME_WAIT included) holds this 4-tuple. */
  streamTupleInUse(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): boolean;
  /**
   * Starts receiving datagrams for an address (or the wildcard) and port. An IPv6 socket's
   * address may be v4-mapped (::ffff:a.b.c.d: it sends and receives IPv4); `dualStack` (the IPv6
   * wildcard with IPV6_V6ONLY off) receives IPv4 too. Sources arrive in their own version's
   * text; the endpoint sends IPv4 to an IPv4 destination.
   */
  bindDatagram(version: IpVersion, address: string, port: number, receiver: DatagramReceiver, options?: ListenOptions): DatagramEndpoint;
  /**
   * Lets the network run until `done()` holds. 'idle': nothing left that could make it hold;
   * 'deadline': `timeoutMs` passed; 'unsupported': this network cannot block the caller.
   */
  block(done: () => boolean, timeoutMs?: number): BlockOutcome;
}
