/**
 * The virtual network: hosts with addresses, routing between them (and each host's own
 * loopback), and delivery of segments after a latency, all on the scheduler's clock.
 */
import { Random } from './random.js';
import { Scheduler } from './scheduler.js';
import type { IpVersion, Segment } from './segment.js';
import { TcpStack, type TcpConfig, type TcpEnvironment } from './tcp.js';
import { UdpStack, type Datagram, type UdpEnvironment } from './udp.js';

export interface NetworkConfig {
  readonly seed: number;
  /** One-way delay between two hosts. */
  readonly latencyUs: number;
  /** One-way delay on a host's loopback. */
  readonly loopbackLatencyUs: number;
  readonly tcp: TcpConfig;
}

/** Sees every segment a host transmits, before routing (for traces and, later, captures). */
export type PacketTap = (seg: Segment, from: NetHost, timeUs: number) => void;

/** True for canonical loopback text: 127.0.0.0/8 and ::1. */
export function isLoopbackText(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

interface InFlight {
  readonly to: NetHost;
  readonly seg: Segment;
}

function deliver(p: InFlight): void {
  if (p.to.down) p.to.heldIn.push(p.seg);
  else p.to.tcp.receive(p.seg);
}

interface DatagramInFlight {
  readonly to: NetHost;
  readonly d: Datagram;
  /** True for an ICMP port-unreachable about `d` travelling back to its sender. */
  readonly unreachable: boolean;
}

function deliverDatagram(p: DatagramInFlight): void {
  if (p.to.down) return;
  if (p.unreachable) p.to.udp.unreachable(p.d);
  else p.to.udp.receive(p.d);
}

export class Network {
  readonly scheduler = new Scheduler();
  readonly random: Random;
  readonly hosts: NetHost[] = [];
  readonly taps = new Set<PacketTap>();
  private readonly byAddress = new Map<string, NetHost>();

  constructor(readonly config: NetworkConfig) {
    this.random = new Random(config.seed);
  }

  /** The host that owns an address (canonical text). */
  hostByAddress(address: string): NetHost | undefined {
    return this.byAddress.get(address);
  }

  /** Adds a host. Addresses are canonical text; the caller checks they are unused. */
  addHost(name: string, addresses: readonly { version: IpVersion; text: string }[]): NetHost {
    const host = new NetHost(this, name, addresses, this.random.fork());
    for (const a of addresses) this.byAddress.set(a.text, host);
    this.hosts.push(host);
    return host;
  }

  /** @internal Routes a segment a host transmitted. Unroutable segments are lost. */
  route(from: NetHost, seg: Segment): void {
    if (from.down) {
      from.heldOut.push(seg);
      return;
    }
    if (this.taps.size > 0) {
      for (const tap of this.taps) tap(seg, from, this.scheduler.nowMicros);
    }
    const dst = seg.dstAddress;
    if (isLoopbackText(dst) || from.owns(dst)) {
      this.scheduler.schedule(this.config.loopbackLatencyUs, deliver, { to: from, seg });
      return;
    }
    const to = this.byAddress.get(dst);
    if (to === undefined) return;
    this.scheduler.schedule(this.config.latencyUs, deliver, { to, seg });
  }

  /** @internal Routes a datagram, or an ICMP port-unreachable about one (towards `d.srcAddress`). */
  routeDatagram(from: NetHost, d: Datagram, unreachable: boolean): void {
    if (from.down) return;
    const dst = unreachable ? d.srcAddress : d.dstAddress;
    const local = isLoopbackText(dst) || from.owns(dst);
    const to = local ? from : this.byAddress.get(dst);
    if (to === undefined) return;
    this.scheduler.schedule(local ? this.config.loopbackLatencyUs : this.config.latencyUs, deliverDatagram, { to, d, unreachable });
  }
}

export class NetHost implements TcpEnvironment, UdpEnvironment {
  /** While down, the host neither sends nor receives (see {@link setDown}). */
  down = false;
  /**
   * TCP segments the host sent, or that reached it, while it was down. They move on when it
   * comes back up: a stand-in for TCP's retransmission (there is none yet), so a short outage
   * delays a connection instead of losing bytes or a FIN for ever. Datagrams are lost.
   */
  readonly heldOut: Segment[] = [];
  readonly heldIn: Segment[] = [];
  readonly tcp: TcpStack;
  readonly udp: UdpStack;
  private readonly own = new Set<string>();

  constructor(
    readonly network: Network,
    readonly name: string,
    readonly addresses: readonly { version: IpVersion; text: string }[],
    readonly random: Random,
  ) {
    for (const a of addresses) this.own.add(a.text);
    this.tcp = new TcpStack(this);
    this.udp = new UdpStack(this);
  }

  get scheduler(): Scheduler {
    return this.network.scheduler;
  }

  get config(): TcpConfig {
    return this.network.config.tcp;
  }

  /** Takes the host's network down or brings it back (releasing held segments in order). */
  setDown(down: boolean): void {
    this.down = down;
    if (down) return;
    const out = this.heldOut.splice(0);
    const into = this.heldIn.splice(0);
    for (const seg of into) this.tcp.receive(seg);
    for (const seg of out) this.network.route(this, seg);
  }

  /** True if the address is one of this host's own (not loopback). */
  owns(address: string): boolean {
    return this.own.has(address);
  }

  /** True if a socket here may bind this address: its own or a loopback address. */
  isLocal(version: IpVersion, address: string): boolean {
    if (isLoopbackText(address)) return version === 4 ? address !== '::1' : address === '::1';
    return this.own.has(address);
  }

  /** Source address for a destination: loopback stays on loopback, else the first address of that version. */
  sourceAddress(version: IpVersion, remote: string): string | undefined {
    if (isLoopbackText(remote)) return version === 4 ? '127.0.0.1' : '::1';
    if (this.own.has(remote)) return remote;
    for (const a of this.addresses) if (a.version === version) return a.text;
    return undefined;
  }

  transmit(seg: Segment): void {
    this.network.route(this, seg);
  }

  transmitDatagram(d: Datagram): void {
    this.network.routeDatagram(this, d, false);
  }

  transmitPortUnreachable(original: Datagram): void {
    this.network.routeDatagram(this, original, true);
  }
}
