/**
 * The embedded virtual network: the default place a provider runs, with nothing to set up.
 * Deterministic: the same seed and the same calls give the same run.
 */
import { checkRules, type FaultStats, type LinkRules } from '../net/faults.js';
import { Capture, fileSink, type CaptureSink } from './capture.js';
import { Network, type PacketTap } from '../net/network.js';
import type { Segment } from '../net/segment.js';
import { DEFAULT_LIMITS, ProviderCore, type ProviderLimits } from '../provider/provider.js';
import { ServiceProvider } from '../spi/service-provider.js';
import { parseIpAddress } from '../wire/ip.js';
import { VirtualTransport } from './transport.js';
import type { NetHost } from '../net/network.js';
import { VirtualDns, dnsKey } from '../net/dns.js';

/**
 * What can go wrong on a link (network-wide, per host or per link). Times in milliseconds;
 * rates are probabilities per packet.
 */
export interface Faults {
  /** One-way delay. */
  latencyMs?: number;
  /** Extra delay drawn uniformly from [0, jitterMs): packets may overtake each other. */
  jitterMs?: number;
  lossRate?: number;
  duplicateRate?: number;
  /** Probability that a packet is held back behind the next ones. */
  reorderRate?: number;
  /** Probability that a packet is damaged; the receiver drops it (bad checksum). */
  corruptRate?: number;
  /** Link capacity in megabits per second (absent: unlimited). */
  bandwidthMbps?: number;
}

function toRules(f: Faults): LinkRules {
  const us = (ms: number | undefined) => (ms === undefined ? undefined : ms * 1000);
  return checkRules({
    latencyUs: us(f.latencyMs), jitterUs: us(f.jitterMs), lossRate: f.lossRate, duplicateRate: f.duplicateRate,
    reorderRate: f.reorderRate, corruptRate: f.corruptRate,
    bandwidthBps: f.bandwidthMbps === undefined ? undefined : f.bandwidthMbps * 1e6,
  });
}

/** Network-wide settings. Times are in milliseconds of virtual time. */
export interface VirtualNetworkOptions extends Omit<Faults, 'latencyMs'> {
  /** Seed of every random choice (initial sequence numbers, loss, jitter, …). Default 1. */
  seed?: number;
  /** One-way delay between hosts. Default 0.1 ms. */
  latencyMs?: number;
  /** One-way delay on a host's loopback. Default 0.01 ms. */
  loopbackLatencyMs?: number;
  /**
   * MTU of the links between hosts, in bytes: TCP segments carry at most this less 40 bytes
   * (1460 at the default 1500). Loopback, as on Windows, carries segments of up to 65495 bytes.
   */
  mtu?: number;
  /** First SYN retransmission time-out. Default 3000 ms (Windows' InitialRto). */
  synRtoMs?: number;
  /** SYN retransmissions before connect fails with WSAETIMEDOUT. Default 2 (Windows' TcpMaxConnectRetransmissions), so an unanswered connect fails after 21 s. */
  synRetries?: number;
  /** TIME_WAIT duration (2·MSL). Default 240000 ms, Windows' default. */
  timeWaitMs?: number;
  /** Lower bound of TCP's retransmission time-out. Default 300 ms (Windows' MinRto). */
  rtoMinMs?: number;
  /** Retransmissions of a segment before the connection is dropped. Default 5 (Windows' TcpMaxDataRetransmissions). */
  dataRetries?: number;
  /** SO_KEEPALIVE: idle time before the first probe. Default 7200000 ms (2 hours, Windows' KeepAliveTime). */
  keepAliveTimeMs?: number;
  /** SO_KEEPALIVE: time between unanswered probes (10 of them, then WSAENETRESET). Default 1000 ms. */
  keepAliveIntervalMs?: number;
}

/** Per-host settings. */
export interface HostOptions {
  /** A name for traces and the network's DNS (`net.dns`: it resolves to the host's addresses); default `host1`, `host2`, … */
  name?: string;
  /** IPv4 and IPv6 addresses of the host (loopback comes free). Default: the next of 10.0.0.1, 10.0.0.2, … */
  addresses?: string[];
  /** Descriptor limit, queued connections included. Default 65536. */
  maxSockets?: number;
  /** What SOMAXCONN means and the ceiling of any backlog. Default 200 (Windows server). */
  maxBacklog?: number;
  /** Provider memory budget in bytes; past it, WSAENOBUFS. Default 256 MiB. */
  bufferBudget?: number;
  /**
   * A SYN to a full listen queue: 'reset' (default) answers RST as Windows does; 'drop' ignores
   * it as Linux does, so the client retransmits its SYN and may get in later.
   */
  fullQueue?: 'reset' | 'drop';
}

/** A segment as a trace sees it. */
export interface PacketRecord {
  /** Virtual time in milliseconds. */
  readonly time: number;
  /** Name of the sending host. */
  readonly from: string;
  /** The segment as sent; its payload is valid during the callback only (copy it to keep it). */
  readonly segment: Segment;
}

const ms = (value: number | undefined, fallback: number): number => {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`expected a time >= 0 in milliseconds, got ${String(value)}`);
  return Math.round(v * 1000);
};

export class VirtualNetwork {
  /** The simulation underneath (for layers above; not needed by SPI clients). */
  readonly net: Network;
  readonly hosts: VirtualHost[] = [];
  /**
   * The network's DNS (see docs/names.md): every host's name resolves to its addresses; add and
   * remove records, delays and failures at run time. Answers come in virtual time.
   */
  get dns(): VirtualDns {
    return (this.dnsServer ??= new VirtualDns(this.net));
  }
  private dnsServer: VirtualDns | undefined;

  constructor(options: VirtualNetworkOptions = {}) {
    const retries = options.synRetries ?? 2;
    const mtu = options.mtu ?? 1500;
    if (!Number.isInteger(mtu) || mtu < 576 || mtu > 65535) throw new RangeError(`mtu must be an integer from 576 to 65535, got ${String(mtu)}`);
    if (!Number.isInteger(retries) || retries < 0) throw new RangeError(`synRetries must be an integer >= 0, got ${String(retries)}`);
    this.net = new Network({
      seed: options.seed ?? 1,
      latencyUs: ms(options.latencyMs, 0.1),
      loopbackLatencyUs: ms(options.loopbackLatencyMs, 0.01),
      faults: toRules({ ...options, latencyMs: undefined }),
      tcp: {
        synRtoUs: ms(options.synRtoMs, 3000),
        synRetries: retries,
        timeWaitUs: ms(options.timeWaitMs, 240_000),
        window: 65535,
        mss: mtu - 40,
        loopbackMss: 65495,
        rtoMinUs: ms(options.rtoMinMs, 300),
        dataRetries: options.dataRetries ?? 5,
        keepAliveTimeUs: ms(options.keepAliveTimeMs, 7_200_000),
        keepAliveIntervalUs: ms(options.keepAliveIntervalMs, 1000),
      },
    });
  }

  /** Adds a host with its own provider. Throws on a malformed or duplicate address. */
  addHost(options: HostOptions = {}): VirtualHost {
    const n = this.hosts.length + 1;
    const texts = options.addresses ?? [`10.0.0.${n}`];
    const addresses = texts.map((t) => {
      const a = parseIpAddress(t);
      if (a === undefined) throw new TypeError(`not an IP address: ${JSON.stringify(t)}`);
      if (a.text === '0.0.0.0' || a.text === '::' || a.text === '::1' || a.text.startsWith('127.')) {
        throw new RangeError(`a host address cannot be the wildcard or loopback: ${t}`);
      }
      if (this.net.hostByAddress(a.text) !== undefined) throw new RangeError(`address already in use on this network: ${t}`);
      return { version: a.version, text: a.text };
    });
    const limits: ProviderLimits = {
      maxSockets: positive('maxSockets', options.maxSockets, DEFAULT_LIMITS.maxSockets),
      maxBacklog: positive('maxBacklog', options.maxBacklog, DEFAULT_LIMITS.maxBacklog),
      bufferBudget: positive('bufferBudget', options.bufferBudget, DEFAULT_LIMITS.bufferBudget, 0),
      fullQueue: fullQueueOption(options.fullQueue),
    };
    const netHost = this.net.addHost(options.name ?? `host${n}`, addresses);
    const host = new VirtualHost(netHost, limits);
    this.hosts.push(host);
    // A host's name is a DNS name when it is one (a trace label with spaces is not).
    if (dnsKey(netHost.name) !== undefined && addresses.length > 0) this.dns.add(netHost.name, addresses.map((a) => a.text));
    return host;
  }

  /** Runs the simulation until nothing is in flight, advancing virtual time as needed. */
  run(): void {
    this.net.scheduler.run();
  }

  /** Runs everything due in the next `ms` milliseconds and moves the clock exactly that far. */
  advance(ms: number): void {
    if (typeof ms !== 'number' || !(ms >= 0)) throw new RangeError(`advance needs milliseconds >= 0, got ${String(ms)}`);
    this.net.scheduler.advance(ms * 1000);
  }

  /** Virtual time in milliseconds since the network was made. */
  now(): number {
    return this.net.scheduler.nowMicros / 1000;
  }

  /** Calls `fn` for every segment any host sends. Returns a function that stops it. */
  /** Fault rules for packets between two hosts (both directions unless `oneWay`); `undefined` clears them. */
  setLink(a: VirtualHost, b: VirtualHost, faults: Faults | undefined, oneWay = false): void {
    const rules = faults === undefined ? undefined : toRules(faults);
    this.net.setLinkRules(a.net, b.net, rules);
    if (!oneWay) this.net.setLinkRules(b.net, a.net, rules);
  }

  /** Fault rules for every packet a host sends or receives; `undefined` clears them. */
  setHostFaults(host: VirtualHost, faults: Faults | undefined): void {
    this.net.setHostRules(host.net, faults === undefined ? undefined : toRules(faults));
  }

  /** Packets between the two hosts are lost (both ways) until {@link repair}. */
  partition(a: VirtualHost, b: VirtualHost): void {
    this.net.partition(a.net, b.net);
  }

  repair(a: VirtualHost, b: VirtualHost): void {
    this.net.repair(a.net, b.net);
  }

  /** Packets from `a` to `b` (and back, unless `oneWay`) wait until {@link release}. */
  hold(a: VirtualHost, b: VirtualHost, oneWay = false): void {
    this.net.hold(a.net, b.net);
    if (!oneWay) this.net.hold(b.net, a.net);
  }

  release(a: VirtualHost, b: VirtualHost, oneWay = false): void {
    this.net.release(a.net, b.net);
    if (!oneWay) this.net.release(b.net, a.net);
  }

  /**
   * Captures every packet from now on into a pcap file (a path) or a sink with `write`
   * (a Node Writable, or your own). Wireshark and tshark read it; times are virtual.
   */
  capture(target: string | CaptureSink): Capture {
    const sink = typeof target === 'string' ? fileSink(target) : target;
    return new Capture(this.net, sink);
  }

  /** What the network did with packets between hosts (sent, lost, duplicated, …). */
  get faultStats(): Readonly<FaultStats> {
    return this.net.stats;
  }

  /** Calls `fn` for every TCP segment a host transmits; returns a function that stops it. */
  onPacket(fn: (p: PacketRecord) => void): () => void {
    const tap: PacketTap = (segment, from, timeUs) => fn({ time: timeUs / 1000, from: from.name, segment });
    this.net.taps.add(tap);
    return () => this.net.taps.delete(tap);
  }
}

function fullQueueOption(v: unknown): 'reset' | 'drop' {
  if (v === undefined || v === 'reset' || v === 'drop') return v ?? 'reset';
  throw new RangeError(`fullQueue must be 'reset' or 'drop', got ${String(v)}`);
}

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  return v;
}

export class VirtualHost {
  /** The host's service provider: the WSP* functions. */
  readonly provider: ServiceProvider;

  constructor(
    /** The simulated host underneath. */
    readonly net: NetHost,
    readonly limits: ProviderLimits,
  ) {
    const core = new ProviderCore(new VirtualTransport(net), limits);
    this.provider = new ServiceProvider(core, `winsock-spi virtual TCP/IP on ${net.name}`);
  }

  get name(): string {
    return this.net.name;
  }

  /** The host's addresses (canonical text). */
  get addresses(): string[] {
    return this.net.addresses.map((a) => a.text);
  }

  /** Takes the host's network down (every call fails with WSAENETDOWN, nothing is sent or received) or up. */
  setNetworkDown(down: boolean): void {
    this.net.setDown(down === true);
  }

  get networkDown(): boolean {
    return this.net.down;
  }

  /**
   * The host crashes: its programs' sockets and its TCP connections vanish without a packet;
   * it stays off the network until {@link restart}. Peers find out when they next send (RST).
   */
  crash(): void {
    this.net.setDown(true);
    this.provider.core.closeAll();
    this.net.crash();
  }

  /** Back on the network after a crash, with nothing open. */
  restart(): void {
    this.net.setDown(false);
  }
}
