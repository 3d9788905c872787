/**
 * Per-socket state. A socket is a plain record; the operations that change it live in
 * provider.ts so that every rule is in one place.
 */
import type { IpVersion, StreamConnection } from './transport.js';
import type { ListenQueue } from './listen-queue.js';
import { ByteQueue } from './byte-queue.js';
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
const NO_LINGER: Readonly<Linger> = Object.freeze({ onoff: 0, seconds: 0 });

export class Socket {
  phase: SocketPhase = 'open';
  nonBlocking = false;
  /** Bound address; the wildcard is '0.0.0.0' or '::'. */
  local: Endpoint | null = null;
  /** The address the port table holds for us (a connect from the wildcard keeps the wildcard there). */
  boundAddress = '';
  remote: Endpoint | null = null;
  reuseAddr = false;
  exclusiveAddrUse = false;
  /** The last asynchronous error (SO_ERROR). */
  soError = 0;
  conn: StreamConnection | null = null;
  queue: ListenQueue | null = null;
  /** The peer closed its direction (FIN). */
  peerClosed = false;
  /** The connection was reset or aborted after it was established. */
  reset = false;
  /** Received bytes not yet read. */
  inbox = new ByteQueue();
  /** Budget bytes charged for data this socket has queued to send. */
  sendCharged = 0;
  /** WSPShutdown(SD_SEND) or (SD_RECEIVE). */
  sendShutdown = false;
  receiveShutdown = false;
  /** Outcome of the last connect attempt for FD_CONNECT and exceptfds: null while none finished. */
  connectResult: number | null = null;
  /** FD_WRITE is due when the socket next becomes writable (after a connect, an accept, or a WSAEWOULDBLOCK send). */
  writeArmed = false;

  // Datagram sockets.
  endpoint: DatagramEndpoint | null = null;
  /** Received datagrams; a shared empty list until the first arrives (most sockets are streams). */
  datagrams: ReceivedDatagram[] = NO_DATAGRAMS;
  datagramHead = 0;
  datagramBytes = 0;
  /** An ICMP port-unreachable arrived: the next receive reports WSAECONNRESET (unless SIO_UDP_CONNRESET turned it off). */
  pendingUnreachable = false;
  reportUnreachable = true;

  /** WSPEventSelect/WSPAsyncSelect state; null until one is called. */
  notify: EventSelection | null = null;

  // Options that are stored and reported; their effect arrives with the data path.
  keepAlive = false;
  /** Replaced, never changed in place, so sockets can share one value. */
  linger: Readonly<Linger> = NO_LINGER;
  sendBuffer = 65536;
  receiveBuffer = 65536;
  noDelay = false;
  conditionalAccept = false;
  receiveTimeoutMs = 0;
  sendTimeoutMs = 0;
  broadcast = false;
  oobInline = false;
  debug = false;
  dontRoute = false;

  constructor(
    readonly handle: number,
    readonly af: number,
    readonly type: number,
    readonly protocol: number,
    readonly version: IpVersion,
  ) {}

  /** SOCK_STREAM: the only type that listens, accepts and connects with a handshake. */
  get streamType(): boolean {
    return this.type === 1;
  }
}
