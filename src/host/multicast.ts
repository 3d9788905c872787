/**
 * Multicast on the host network: one node:dgram socket's group memberships, and the hop limit,
 * interface and loopback of what it sends to groups, with Node's errors turned into the codes
 * Windows gives for these options.
 */
import type dgram from 'node:dgram';
import os from 'node:os';
import { WSAEADDRNOTAVAIL, WSAEINVAL } from '../provider/constants.js';
import { isDefaultInterface, type IpVersion, type MulticastInterface, type MulticastSend } from '../provider/transport.js';
import { wsaFromMembershipError } from './errors.js';

/** The loopback interface's index (Linux and Windows both number it 1). */
const LOOPBACK_INDEX = 1;

/**
 * The name of the interface with index `index`. Node lists no indices; an IPv6 link-local
 * address carries its interface's index as its scope id, and loopback is 1.
 */
function interfaceName(index: number): string | undefined {
  const all = os.networkInterfaces();
  for (const [name, list] of Object.entries(all)) {
    if ((list ?? []).some((a) => a.family === 'IPv6' && a.scopeid === index && index !== 0)) return name;
  }
  if (index === LOOPBACK_INDEX) return Object.entries(all).find(([, list]) => (list ?? []).some((a) => a.internal))?.[0];
  return undefined;
}

/**
 * The interface as node:dgram names it: undefined for the default, an IPv4 address, or for
 * IPv6 `::%name`; null when the host has no such interface.
 */
function nodeInterface(version: IpVersion, iface: MulticastInterface): string | undefined | null {
  if (isDefaultInterface(iface)) return undefined;
  if (typeof iface === 'string') return version === 4 ? iface : null;
  const name = interfaceName(iface);
  if (name === undefined) return null;
  if (version === 6) return `::%${name}`;
  const v4 = (os.networkInterfaces()[name] ?? []).find((a) => a.family === 'IPv4');
  return v4 === undefined ? null : v4.address;
}

/** The multicast state of one host-network datagram socket. */
export class HostMulticast {
  /** What the socket was last told, so a send changes the socket only when the option changed. */
  private hops = -1;
  private iface: string | undefined | null = null;
  /**
   * The socket's memberships by `${group}|${interface}`: null for any source, else its sources.
   * Linux lets a source-specific join extend an any-source one and drops sources it never had
   * quietly in places; Windows refuses those (Microsoft, "Multicast Socket Option Behavior"), so
   * the conflicts are decided here, as the virtual network decides them.
   */
  private readonly joined = new Map<string, Set<string> | null>();

  constructor(private readonly socket: dgram.Socket, private readonly version: IpVersion) {}

  /** Joins or leaves a group (source-specific with `source`): 0 or a Winsock code. */
  membership(join: boolean, group: string, iface: MulticastInterface, source?: string): number {
    const on = nodeInterface(this.version, iface);
    if (on === null) return join ? WSAEADDRNOTAVAIL : WSAEINVAL;
    try {
      this.socket.address(); // not bound yet (this Node binds later): libuv would bind it to port 0
    } catch {
      return WSAEINVAL;
    }
    const k = `${group}|${on ?? ''}`;
    const current = this.joined.get(k);
    if (join && current !== undefined && (source === undefined || current === null || current.has(source))) return WSAEADDRNOTAVAIL;
    if (!join && (current === undefined || (source !== undefined && (current === null || !current.has(source))))) return WSAEINVAL;
    try {
      if (source === undefined) {
        if (join) this.socket.addMembership(group, on);
        else this.socket.dropMembership(group, on);
      } else if (join) {
        this.socket.addSourceSpecificMembership(source, group, on);
      } else {
        this.socket.dropSourceSpecificMembership(source, group, on);
      }
    } catch (e) {
      return wsaFromMembershipError(e, join);
    }
    if (join) {
      if (source === undefined) this.joined.set(k, null);
      else if (current === undefined) this.joined.set(k, new Set([source]));
      else current!.add(source);
    } else if (source === undefined || (current!.delete(source) && current!.size === 0)) {
      this.joined.delete(k);
    }
    return 0;
  }

  /** IP_MULTICAST_LOOP: Linux applies it to what this socket sends (Windows: to what it receives). */
  setLoop(on: boolean): void {
    try {
      this.socket.setMulticastLoopback(on);
    } catch {
      // Not bound yet: the system's default (on) stays, as Windows' does.
    }
  }

  /** Before a send to a group: the socket's hop limit and interface as the options say. */
  prepare(m: MulticastSend): void {
    try {
      if (m.hops !== this.hops) {
        this.socket.setMulticastTTL(m.hops);
        this.hops = m.hops;
      }
      const iface = nodeInterface(this.version, m.iface);
      if (iface !== null && iface !== this.iface) {
        this.socket.setMulticastInterface(iface ?? (this.version === 4 ? '0.0.0.0' : '::'));
        this.iface = iface;
      }
    } catch {
      // The system refused the interface (gone since): the datagram leaves by the default one.
    }
  }
}
