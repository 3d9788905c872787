/**
 * UDP for the virtual network: endpoints bound to an address (or the wildcard) and port,
 * datagrams delivered whole, and an ICMP port-unreachable answer when nobody is bound.
 * Multicast membership lives in multicast.ts.
 */
import { MulticastTable, type MembershipResult } from './multicast.js';
import type { IpVersion } from './segment.js';

/** A UDP datagram as the virtual network carries it. */
export interface Datagram {
  readonly version: IpVersion;
  readonly srcAddress: string;
  readonly dstAddress: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

/** What a bound endpoint's owner is told. */
export interface UdpReceiver {
  datagram(d: Datagram): void;
  /** An ICMP port-unreachable came back for a datagram this endpoint sent. */
  portUnreachable(original: Datagram): void;
}

/** What the stack needs from its host. */
export interface UdpEnvironment {
  transmitDatagram(d: Datagram): void;
  /** Sends an ICMP port-unreachable about `original` back to its source. */
  transmitPortUnreachable(original: Datagram): void;
  /** Sends a datagram to a group: `hops` is its TTL / hop limit, `iface` the interface it leaves by. */
  transmitMulticast(d: Datagram, hops: number, iface: number): void;
  /** The host interface gained its first member of a group (`joined`) or lost its last. */
  groupChanged(group: string, joined: boolean): void;
}

export class UdpEndpoint {
  constructor(
    readonly stack: UdpStack,
    readonly key: string,
    readonly version: IpVersion,
    readonly address: string,
    readonly port: number,
    public receiver: UdpReceiver,
  ) {}

  /** IP_MULTICAST_LOOP, which Windows applies when receiving: whether group datagrams sent from this host reach it. */
  multicastLoop = true;

  /** Joins a group on an interface (source-specific with `source`). */
  join(group: string, iface: number, source?: string): MembershipResult {
    return this.stack.multicast.join(this, group, iface, source);
  }

  /** Leaves a group on an interface (with `source`, that source only). */
  leave(group: string, iface: number, source?: string): MembershipResult {
    return this.stack.multicast.leave(this, group, iface, source);
  }

  close(): void {
    this.stack.multicast.leaveAll(this);
    this.stack.unbind(this);
  }
}

function key(address: string, port: number): string {
  return `${address}|${port}`;
}

export class UdpStack {
  /** Several sockets may share a key (SO_REUSEADDR); the oldest receives. */
  private readonly endpoints = new Map<string, UdpEndpoint[]>();
  /** Group memberships of this host's endpoints. */
  readonly multicast: MulticastTable;

  constructor(readonly env: UdpEnvironment) {
    this.multicast = new MulticastTable((group, joined) => env.groupChanged(group, joined));
  }

  /** Registers an endpoint; the provider has already applied the port-sharing rules. */
  bind(version: IpVersion, address: string, port: number, receiver: UdpReceiver): UdpEndpoint {
    const k = key(address, port);
    const ep = new UdpEndpoint(this, k, version, address, port, receiver);
    const list = this.endpoints.get(k);
    if (list === undefined) this.endpoints.set(k, [ep]);
    else list.push(ep);
    return ep;
  }

  /** @internal */
  unbind(ep: UdpEndpoint): void {
    const list = this.endpoints.get(ep.key);
    if (list === undefined) return;
    const i = list.indexOf(ep);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.endpoints.delete(ep.key);
  }

  send(d: Datagram): void {
    this.env.transmitDatagram(d);
  }

  /** Sends a datagram to a group (see {@link UdpEnvironment.transmitMulticast}). */
  sendMulticast(d: Datagram, hops: number, iface: number): void {
    this.env.transmitMulticast(d, hops, iface);
  }

  /** A datagram to a group reached this host on `iface`; `fromThisHost` when this host sent it. */
  receiveMulticast(d: Datagram, iface: number, fromThisHost: boolean): void {
    this.multicast.deliver(d, iface, fromThisHost);
  }

  private find(version: IpVersion, address: string, port: number): UdpEndpoint | undefined {
    return this.endpoints.get(key(address, port))?.[0]
      ?? this.endpoints.get(key(version === 4 ? '0.0.0.0' : '::', port))?.[0];
  }

  /** A datagram addressed to this host. */
  receive(d: Datagram): void {
    const ep = this.find(d.version, d.dstAddress, d.dstPort);
    if (ep !== undefined) ep.receiver.datagram(d);
    else this.env.transmitPortUnreachable(d);
  }

  /** An ICMP port-unreachable about a datagram this host sent. */
  unreachable(original: Datagram): void {
    this.find(original.version, original.srcAddress, original.srcPort)?.receiver.portUnreachable(original);
  }
}
