/**
 * The virtual network: hosts with addresses, routing between them (and each host's own
 * loopback), and delivery of segments after a latency, all on the scheduler's clock.
 */
import { emptyStats, merge, type FaultStats, type LinkRules } from './faults.js';
import { HOST_INTERFACE, LOOPBACK_INTERFACE, isInterfaceLocal } from './multicast.js';
import { Random } from './random.js';
import { Scheduler } from './scheduler.js';
import type { IpVersion, Segment } from './segment.js';
import { TcpStack, type TcpConfig, type TcpEnvironment } from './tcp.js';
import { UdpStack, type Datagram, type UdpEnvironment } from './udp.js';

export interface NetworkConfig {
  readonly seed: number;
  /** One-way delay between two hosts. */
  readonly latencyUs: number;
  /** Network-wide fault rules (jitter, loss, …); links and hosts may override them. */
  readonly faults?: LinkRules;
  /** One-way delay on a host's loopback. */
  readonly loopbackLatencyUs: number;
  readonly tcp: TcpConfig;
}

/** Sees every segment a host transmits, before routing (for traces and captures). */
export type PacketTap = (seg: Segment, from: NetHost, timeUs: number) => void;

/** Sees every datagram a host transmits, and every ICMP port unreachable (`unreachable`) about one. */
export type DatagramTap = (d: Datagram, from: NetHost, unreachable: boolean, timeUs: number) => void;

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

interface GroupDatagramInFlight {
  readonly to: NetHost;
  readonly d: Datagram;
  readonly iface: number;
  readonly fromThisHost: boolean;
}

function deliverGroupDatagram(p: GroupDatagramInFlight): void {
  if (!p.to.down) p.to.udp.receiveMulticast(p.d, p.iface, p.fromThisHost);
}

export class Network {
  readonly scheduler = new Scheduler();
  readonly random: Random;
  readonly hosts: NetHost[] = [];
  readonly taps = new Set<PacketTap>();
  readonly datagramTaps = new Set<DatagramTap>();
  readonly stats: FaultStats = emptyStats();
  private readonly byAddress = new Map<string, NetHost>();
  private readonly hostRules = new Map<NetHost, LinkRules>();
  /** Rules per direction, keyed by sender then receiver. */
  private readonly linkRules = new Map<NetHost, Map<NetHost, LinkRules>>();
  /** Each direction between two hosts that carried a packet or has a partition or hold. */
  private readonly links = new Map<NetHost, Map<NetHost, Link>>();
  /** The link the previous packet took (a stream's packets take the same one). */
  private lastLink: Link | null = null;
  /**
   * Hosts with a member of a group on their network interface, by group: a datagram to a group
   * goes to these hosts only (no scan of hosts or sockets per packet). Insertion order keeps runs
   * deterministic.
   */
  private readonly groupHosts = new Map<string, Set<NetHost>>();

  constructor(readonly config: NetworkConfig) {
    this.random = new Random(config.seed);
  }

  /** The host that owns an address (canonical text). */
  hostByAddress(address: string): NetHost | undefined {
    return this.byAddress.get(address);
  }

  /**
   * Adds a host. Addresses are canonical text; the caller checks they are unused. A host given
   * its own `random` (the DNS server) draws nothing from the network's, so adding it changes no
   * other host's run.
   */
  addHost(name: string, addresses: readonly { version: IpVersion; text: string }[], random?: Random): NetHost {
    const host = new NetHost(this, name, addresses, random ?? this.random.fork());
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
    this.carry(from, to, 40 + (seg.payload?.length ?? 0), deliver, { to, seg });
  }

  /** @internal Routes a datagram, or an ICMP port-unreachable about one (towards `d.srcAddress`). */
  routeDatagram(from: NetHost, d: Datagram, unreachable: boolean): void {
    if (from.down) return;
    if (this.datagramTaps.size > 0) {
      for (const tap of this.datagramTaps) tap(d, from, unreachable, this.scheduler.nowMicros);
    }
    const dst = unreachable ? d.srcAddress : d.dstAddress;
    if (isLoopbackText(dst) || from.owns(dst)) {
      this.scheduler.schedule(this.config.loopbackLatencyUs, deliverDatagram, { to: from, d, unreachable });
      return;
    }
    const to = this.byAddress.get(dst);
    if (to === undefined) return;
    this.carry(from, to, 28 + d.payload.length + (unreachable ? 28 : 0), deliverDatagram, { to, d, unreachable });
  }

  /**
   * @internal Routes a datagram to a multicast group. The sending host's own members get a copy
   * (on the interface it left by; receivers with IP_MULTICAST_LOOP off ignore it). It leaves the
   * host only by the network interface and with a hop limit of at least 1 (0 keeps it on the
   * host); every host is one hop away (one link, no routers), so 1 reaches them all.
   */
  routeMulticast(from: NetHost, d: Datagram, hops: number, iface: number): void {
    if (from.down) return;
    if (this.datagramTaps.size > 0) {
      for (const tap of this.datagramTaps) tap(d, from, false, this.scheduler.nowMicros);
    }
    if (from.udp.multicast.has(d.dstAddress, d.dstPort)) {
      this.scheduler.schedule(this.config.loopbackLatencyUs, deliverGroupDatagram, { to: from, d, iface, fromThisHost: true });
    }
    if (iface === LOOPBACK_INTERFACE || hops < 1 || isInterfaceLocal(d.dstAddress)) return;
    const members = this.groupHosts.get(d.dstAddress);
    if (members === undefined) return;
    for (const to of members) {
      if (to !== from) this.carry(from, to, 28 + d.payload.length, deliverGroupDatagram, { to, d, iface: HOST_INTERFACE, fromThisHost: false });
    }
  }

  /** @internal A host's network interface gained its first member of a group, or lost its last. */
  groupChanged(host: NetHost, group: string, joined: boolean): void {
    let hosts = this.groupHosts.get(group);
    if (joined) {
      if (hosts === undefined) this.groupHosts.set(group, (hosts = new Set()));
      hosts.add(host);
    } else if (hosts !== undefined) {
      hosts.delete(host);
      if (hosts.size === 0) this.groupHosts.delete(group);
    }
  }

  // ---- faults --------------------------------------------------------------------------------

  /** Sets (or with `undefined`, clears) the rules of every packet a host sends or receives. */
  setHostRules(host: NetHost, rules: LinkRules | undefined): void {
    if (rules === undefined) this.hostRules.delete(host);
    else this.hostRules.set(host, rules);
    this.forgetRules();
  }

  /** Sets (or clears) the rules of packets from `a` to `b`. */
  setLinkRules(a: NetHost, b: NetHost, rules: LinkRules | undefined): void {
    const m = inner(this.linkRules, a);
    if (rules === undefined) m.delete(b);
    else m.set(b, rules);
    this.forgetRules();
  }

  /** Rules changed: every link works its own out again on its next packet. */
  private forgetRules(): void {
    for (const m of this.links.values()) for (const link of m.values()) link.rules = null;
  }

  private link(from: NetHost, to: NetHost): Link {
    const last = this.lastLink;
    if (last !== null && last.from === from && last.to === to) return last;
    const m = inner(this.links, from);
    let link = m.get(to);
    if (link === undefined) {
      link = { from, to, partitioned: false, held: null, rules: null, busyUntilUs: 0 };
      m.set(to, link);
    }
    this.lastLink = link;
    return link;
  }

  private rulesOf(link: Link): Required<LinkRules> {
    return (link.rules ??= merge(
      { latencyUs: this.config.latencyUs }, this.config.faults, this.hostRules.get(link.from), this.hostRules.get(link.to),
      this.linkRules.get(link.from)?.get(link.to),
    ));
  }

  /** Packets between `a` and `b` (both ways) are lost until {@link repair}. */
  partition(a: NetHost, b: NetHost): void {
    this.link(a, b).partitioned = true;
    this.link(b, a).partitioned = true;
  }

  repair(a: NetHost, b: NetHost): void {
    this.link(a, b).partitioned = false;
    this.link(b, a).partitioned = false;
  }

  /** Packets from `a` to `b` wait until {@link release} (then travel as usual, in order). */
  hold(a: NetHost, b: NetHost): void {
    this.link(a, b).held ??= [];
  }

  release(a: NetHost, b: NetHost): void {
    const link = this.link(a, b);
    const waiting = link.held;
    if (waiting === null) return;
    link.held = null;
    for (const send of waiting) send();
  }

  /** Carries a packet of `bytes` from one host to another through the fault rules. */
  private carry<T>(from: NetHost, to: NetHost, bytes: number, fn: (arg: T) => void, arg: T): void {
    const stats = this.stats;
    stats.sent++;
    const link = this.link(from, to);
    if (link.partitioned) {
      stats.partitioned++;
      return;
    }
    const held = link.held;
    if (held !== null) {
      stats.held++;
      stats.sent--; // counted when it is released
      held.push(() => this.carry(from, to, bytes, fn, arg));
      return;
    }
    const r = this.rulesOf(link);
    const random = this.random;
    if (r.lossRate > 0 && random.next() < r.lossRate) {
      stats.lost++;
      return;
    }
    if (r.corruptRate > 0 && random.next() < r.corruptRate) {
      stats.corrupted++; // the receiver's checksum check drops it
      return;
    }
    let delay = r.latencyUs;
    if (r.bandwidthBps > 0) {
      const now = this.scheduler.nowMicros;
      const start = Math.max(now, link.busyUntilUs);
      const done = start + (bytes * 8 * 1e6) / r.bandwidthBps;
      link.busyUntilUs = done;
      delay += done - now;
    }
    if (r.jitterUs > 0) delay += random.next() * r.jitterUs;
    if (r.reorderRate > 0 && random.next() < r.reorderRate) {
      stats.reordered++;
      delay += 2 * Math.max(r.latencyUs, 1);
    }
    stats.delivered++;
    this.scheduler.schedule(delay, fn, arg);
    if (r.duplicateRate > 0 && random.next() < r.duplicateRate) {
      stats.duplicated++;
      this.scheduler.schedule(delay + (r.jitterUs > 0 ? random.next() * r.jitterUs : 0), fn, arg);
    }
  }
}

/** One direction between two hosts: its partition, its hold, its rules worked out, its bandwidth queue. */
interface Link {
  readonly from: NetHost;
  readonly to: NetHost;
  partitioned: boolean;
  /** Sends waiting for {@link Network.release}, or null when the link is not held. */
  held: (() => void)[] | null;
  /** The effective rules (network, hosts, link merged), or null until the next packet needs them. */
  rules: Required<LinkRules> | null;
  /** When the link is free again (bandwidth limits). */
  busyUntilUs: number;
}

function inner<K, V>(outer: Map<NetHost, Map<K, V>>, key: NetHost): Map<K, V> {
  let m = outer.get(key);
  if (m === undefined) {
    m = new Map();
    outer.set(key, m);
  }
  return m;
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

  /** A crash: connections vanish and nothing held is ever sent; the host stays down until {@link setDown}(false). */
  crash(): void {
    this.down = true;
    this.tcp.crash();
    this.heldOut.length = 0;
    this.heldIn.length = 0;
  }

  staysLocal(address: string): boolean {
    return isLoopbackText(address) || this.own.has(address);
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

  transmitMulticast(d: Datagram, hops: number, iface: number): void {
    this.network.routeMulticast(this, d, hops, iface);
  }

  groupChanged(group: string, joined: boolean): void {
    this.network.groupChanged(this, group, joined);
  }

  /**
   * The interface a multicast datagram leaves by, or a membership is made on: the one the
   * caller named (a local address, or an index: 1 loopback, 2 the host's interface), else the
   * host's interface when it has an address of the version, else loopback. Undefined: no such
   * interface here.
   */
  multicastInterface(version: IpVersion, spec: string | number): number | undefined {
    if (spec === 0 || spec === '' || spec === '0.0.0.0' || spec === '::') {
      return this.addresses.some((a) => a.version === version) ? HOST_INTERFACE : LOOPBACK_INTERFACE;
    }
    if (typeof spec === 'number') return spec === LOOPBACK_INTERFACE || spec === HOST_INTERFACE ? spec : undefined;
    if (!this.isLocal(version, spec)) return undefined;
    return isLoopbackText(spec) ? LOOPBACK_INTERFACE : HOST_INTERFACE;
  }
}
