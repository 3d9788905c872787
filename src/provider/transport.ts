/**
 * What the provider needs from a network. The virtual network and (later) the host network
 * each implement this; the provider's Winsock semantics sit on top and never see packets.
 */

export type IpVersion = 4 | 6;

/** Why a stream connection failed or was torn down abnormally. */
export type StreamFailReason = 'refused' | 'reset' | 'timed-out' | 'host-unreachable' | 'net-unreachable';

/** Callbacks a stream connection delivers to its owner. */
export interface StreamEvents<C extends StreamConnection = StreamConnection> {
  established(conn: C): void;
  failed(conn: C, reason: StreamFailReason): void;
  remoteClosed(conn: C): void;
  data(conn: C, bytes: Uint8Array): void;
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
  /** Stops delivering events; a graceful close still completes on the network. */
  detach(): void;
  sendData(bytes: Uint8Array): void;
}

/** A listener's answer to an incoming connection request. */
export type SynVerdict = 'accept' | 'refuse' | 'defer';

export interface StreamListenHooks {
  /** A connection request arrived; the hook sets `conn.events` unless it refuses. */
  onSyn(conn: StreamConnection): SynVerdict;
}

export interface ListenHandle {
  close(): void;
}

/** How a blocking wait ended. */
export type BlockOutcome = 'done' | 'idle' | 'deadline' | 'unsupported';

export interface Transport {
  /** Current time in milliseconds (virtual on the virtual network). */
  nowMs(): number;
  /** True while the host's network is down (every call reports WSAENETDOWN). */
  isNetworkDown(): boolean;
  /** True if a socket on this host may bind this specific address (its own, or loopback). */
  hasLocalAddress(version: IpVersion, address: string): boolean;
  /** The local address a connection to `remoteAddress` leaves from; undefined if there is no route. */
  sourceAddress(version: IpVersion, remoteAddress: string): string | undefined;
  /** Starts matching connection requests for an address (or the wildcard) and port. */
  listenStream(address: string, port: number, hooks: StreamListenHooks): ListenHandle;
  /** Starts an active open. The caller has checked that the tuple is free. */
  connectStream(
    version: IpVersion, localAddress: string, localPort: number,
    remoteAddress: string, remotePort: number, events: StreamEvents<any>,
  ): StreamConnection;
  /** True if a connection (TIME_WAIT included) holds this 4-tuple. */
  streamTupleInUse(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): boolean;
  /**
   * Lets the network run until `done()` holds. 'idle': nothing left that could make it hold;
   * 'deadline': `timeoutMs` passed; 'unsupported': this network cannot block the caller.
   */
  block(done: () => boolean, timeoutMs?: number): BlockOutcome;
}
