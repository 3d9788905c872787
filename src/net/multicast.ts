/**
 * Multicast group membership of one host's UDP endpoints, indexed by group and port, and the
 * delivery of a group datagram that reached the host to the endpoints that joined the group.
 */
import type { IpVersion } from './segment.js';
import type { Datagram, UdpEndpoint } from './udp.js';

/** The host's loopback interface (127.0.0.0/8, ::1): Windows numbers it 1 too. */
export const LOOPBACK_INTERFACE = 1;
/** The host's one network interface, which carries all of its own addresses. */
export const HOST_INTERFACE = 2;

/** True for a group that never leaves its host: IPv6 interface-local scope (ffx1::/16). */
export function isInterfaceLocal(address: string): boolean {
  return /^ff[0-9a-f]1:/i.test(address);
}

/** One endpoint's membership of one group on one interface. */
interface Membership {
  readonly ep: UdpEndpoint;
  readonly group: string;
  readonly iface: number;
  /** Source-specific membership: the senders it admits; null for any source. */
  readonly sources: Set<string> | null;
}

/**
 * How a membership change went: 'ok'; 'already-joined' (Windows: WSAEADDRNOTAVAIL); 'not-member',
 * not a member or the wrong kind of membership (Windows: WSAEINVAL).
 */
export type MembershipResult = 'ok' | 'already-joined' | 'not-member';

/** Told when a host's interface gains its first member of a group or loses its last one. */
export type GroupListener = (group: string, joined: boolean) => void;

export class MulticastTable {
  /** Memberships by `${group}|${port}`: what a datagram to that group and port may reach. */
  private readonly byGroupPort = new Map<string, Membership[]>();
  /** Memberships by endpoint, so a closing endpoint leaves all its groups without a scan. */
  private readonly byEndpoint = new Map<UdpEndpoint, Membership[]>();
  /** Members per group on the host interface (what the network's index follows). */
  private readonly hostInterfaceCount = new Map<string, number>();

  constructor(private readonly listener: GroupListener) {}

  /** True if some endpoint joined `group` for `port` (on either interface). */
  has(group: string, port: number): boolean {
    return this.byGroupPort.has(`${group}|${port}`);
  }

  /** Joins a group on an interface; `source` makes it source-specific (adds that source). */
  join(ep: UdpEndpoint, group: string, iface: number, source?: string): MembershipResult {
    const existing = this.find(ep, group, iface);
    if (existing !== undefined) {
      // Any-source twice, any-source then a source, or the same source twice: WSAEADDRNOTAVAIL.
      if (source === undefined || existing.sources === null || existing.sources.has(source)) return 'already-joined';
      existing.sources.add(source);
      return 'ok';
    }
    const m: Membership = { ep, group, iface, sources: source === undefined ? null : new Set([source]) };
    push(this.byGroupPort, `${group}|${ep.port}`, m);
    push(this.byEndpoint, ep, m);
    if (iface === HOST_INTERFACE) this.count(group, +1);
    return 'ok';
  }

  /** Leaves a group (or with `source`, one source of a source-specific membership). */
  leave(ep: UdpEndpoint, group: string, iface: number, source?: string): MembershipResult {
    const m = this.find(ep, group, iface);
    if (m === undefined) return 'not-member';
    if (source !== undefined) {
      // Dropping a source of an any-source membership is IP_BLOCK_SOURCE's job: WSAEINVAL.
      if (m.sources === null || !m.sources.has(source)) return 'not-member';
      m.sources.delete(source);
      if (m.sources.size > 0) return 'ok';
    }
    this.remove(m);
    return 'ok';
  }

  /** The endpoint closed: it leaves every group. */
  leaveAll(ep: UdpEndpoint): void {
    const list = this.byEndpoint.get(ep);
    if (list === undefined) return;
    for (const m of [...list]) this.remove(m);
  }

  /**
   * A datagram to a group arrived on `iface`. `fromThisHost`: sent by this host, which Windows
   * hands only to receivers whose IP_MULTICAST_LOOP is on (the option acts on the receive path).
   */
  deliver(d: Datagram, iface: number, fromThisHost: boolean): void {
    const list = this.byGroupPort.get(`${d.dstAddress}|${d.dstPort}`);
    if (list === undefined) return;
    for (const m of list.slice()) {
      if (m.iface !== iface) continue;
      const ep = m.ep;
      if (fromThisHost && !ep.multicastLoop) continue;
      if (m.sources !== null && !m.sources.has(d.srcAddress)) continue;
      if (!boundFor(ep.version, ep.address, iface)) continue;
      ep.receiver.datagram(d);
    }
  }

  private find(ep: UdpEndpoint, group: string, iface: number): Membership | undefined {
    return this.byEndpoint.get(ep)?.find((m) => m.group === group && m.iface === iface);
  }

  private remove(m: Membership): void {
    pull(this.byGroupPort, `${m.group}|${m.ep.port}`, m);
    pull(this.byEndpoint, m.ep, m);
    if (m.iface === HOST_INTERFACE) this.count(m.group, -1);
  }

  private count(group: string, delta: number): void {
    const n = (this.hostInterfaceCount.get(group) ?? 0) + delta;
    if (n > 0) this.hostInterfaceCount.set(group, n);
    else this.hostInterfaceCount.delete(group);
    if (n === 1 && delta > 0) this.listener(group, true);
    if (n === 0) this.listener(group, false);
  }
}

/** An endpoint hears a group on an interface if bound to the wildcard or to an address of that interface. */
function boundFor(version: IpVersion, address: string, iface: number): boolean {
  if (address === (version === 4 ? '0.0.0.0' : '::')) return true;
  const loopback = address === '::1' || address.startsWith('127.');
  return loopback === (iface === LOOPBACK_INTERFACE);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function pull<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) return;
  const i = list.indexOf(value);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) map.delete(key);
}
