/**
 * The provider's {@link Transport} over one host of the virtual network.
 */
import { LOOPBACK_INTERFACE } from '../net/multicast.js';
import type { NetHost } from '../net/network.js';
import { WSAEADDRNOTAVAIL, WSAEINVAL } from '../provider/constants.js';
import type { ConnectionEvents, TcpConnection } from '../net/tcp.js';
import type { Datagram } from '../net/udp.js';
import {
  isDefaultInterface, v4Mapped, type BlockOutcome, type DatagramEndpoint, type DatagramReceiver, type IpVersion, type ListenHandle, type ListenOptions,
  type StreamConnection, type StreamEvents, type StreamListenHooks, type Transport,
} from '../provider/transport.js';

export class VirtualTransport implements Transport {
  readonly urgentData = true;
  /** IPv4 listeners by address and port, shared by IPv4 and dual-stack IPv6 sockets. */
  private readonly v4Listeners = new Map<string, { entries: { hooks: StreamListenHooks; dual: boolean }[]; listener: ListenHandle }>();

  constructor(private readonly host: NetHost) {}

  get domain(): object {
    return this.host.network;
  }

  nowMs(): number {
    return this.host.scheduler.nowMicros / 1000;
  }

  isNetworkDown(): boolean {
    return this.host.down;
  }

  hasLocalAddress(version: IpVersion, address: string): boolean {
    return this.host.isLocal(version, address);
  }

  sourceAddress(version: IpVersion, remoteAddress: string): string | undefined {
    return this.host.sourceAddress(version, remoteAddress);
  }

  interfaceIndex(version: IpVersion, localAddress: string): number | undefined {
    // A group or broadcast address is no local address: the host's default interface took it.
    return this.host.multicastInterface(version, localAddress) ?? this.host.multicastInterface(version, 0);
  }

  listenStream(address: string, port: number, hooks: StreamListenHooks, options?: ListenOptions): ListenHandle {
    // An IPv6 socket bound to a v4-mapped address listens on IPv4.
    const v4 = address.includes(':') ? v4Mapped(address) : address;
    if (v4 !== undefined) return this.listenV4(v4, port, hooks, false);
    // TcpConnection satisfies StreamConnection structurally; the hook sets its events.
    const v6 = this.host.tcp.listen(address, port, { onSyn: (conn: TcpConnection) => hooks.onSyn(conn) });
    if (options?.dualStack !== true) return v6;
    const dual = this.listenV4('0.0.0.0', port, hooks, true);
    return {
      close: () => {
        v6.close();
        dual.close();
      },
    };
  }

  /**
   * IPv4 listeners, one network listener per address and port: an IPv4 socket's (or a v4-mapped
   * IPv6 socket's) first, then a dual-stack IPv6 wildcard's, which gets the requests only when no
   * IPv4 listener matches them.
   */
  private listenV4(address: string, port: number, hooks: StreamListenHooks, dual: boolean): ListenHandle {
    const key = `${address}/${port}`;
    let slot = this.v4Listeners.get(key);
    if (slot === undefined) {
      const entries: { hooks: StreamListenHooks; dual: boolean }[] = [];
      const listener = this.host.tcp.listen(address, port, {
        onSyn: (conn: TcpConnection) => {
          const entry = entries.find((e) => !e.dual) ?? entries[0];
          return entry === undefined ? 'refuse' : entry.hooks.onSyn(conn);
        },
      });
      slot = { entries, listener };
      this.v4Listeners.set(key, slot);
    }
    const entry = { hooks, dual };
    slot.entries.push(entry);
    const held = slot;
    return {
      close: () => {
        const i = held.entries.indexOf(entry);
        if (i < 0) return;
        held.entries.splice(i, 1);
        if (held.entries.length === 0 && this.v4Listeners.get(key) === held) {
          this.v4Listeners.delete(key);
          held.listener.close();
        }
      },
    };
  }

  connectStream(
    version: IpVersion, localAddress: string, localPort: number,
    remoteAddress: string, remotePort: number, events: StreamEvents<any>, receiveBuffer: number,
  ): StreamConnection {
    return this.host.tcp.connect(version, localAddress, localPort, remoteAddress, remotePort, events as ConnectionEvents, receiveBuffer);
  }

  streamTupleInUse(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): boolean {
    return this.host.tcp.tupleInUse(localAddress, localPort, remoteAddress, remotePort);
  }

  localAddresses(version: IpVersion): readonly string[] {
    return this.host.addresses.filter((a) => a.version === version).map((a) => a.text);
  }

  bindDatagram(version: IpVersion, address: string, port: number, receiver: DatagramReceiver, options?: ListenOptions): DatagramEndpoint {
    const udp = this.host.udp;
    const handlers = {
      datagram: (d: Datagram) => receiver.datagram(d.srcAddress, d.srcPort, d.payload, d.dstAddress),
      portUnreachable: (d: Datagram) => receiver.portUnreachable(d.dstAddress, d.dstPort),
    };
    // An IPv6 socket bound to a v4-mapped address is an IPv4 endpoint; the dual-stack wildcard
    // is an IPv6 one with an IPv4 twin on the same port.
    const mapped = version === 6 ? v4Mapped(address) : undefined;
    if (mapped !== undefined) {
      version = 4;
      address = mapped;
    }
    const ep = udp.bind(version, address, port, handlers);
    const ep4 = options?.dualStack === true ? udp.bind(4, '0.0.0.0', port, handlers) : null;
    const host = this.host;
    return {
      send: (srcAddress, dstAddress, dstPort, payload, multicast) => {
        const d = { version: dstAddress.includes(':') ? version : 4 as IpVersion, srcAddress, dstAddress, srcPort: port, dstPort, payload };
        if (multicast === undefined) {
          udp.send(d);
          return;
        }
        // The interface named by IP_MULTICAST_IF, else the one the source address belongs to.
        const named = isDefaultInterface(multicast.iface) ? undefined : host.multicastInterface(version, multicast.iface);
        const iface = named ?? host.multicastInterface(version, srcAddress) ?? LOOPBACK_INTERFACE;
        udp.sendMulticast(d, multicast.hops, iface);
      },
      membership: (join, group, iface, source) => {
        const on = host.multicastInterface(version, iface);
        if (on === undefined) return join ? WSAEADDRNOTAVAIL : WSAEINVAL;
        const r = join ? ep.join(group, on, source) : ep.leave(group, on, source);
        return r === 'ok' ? 0 : r === 'already-joined' ? WSAEADDRNOTAVAIL : WSAEINVAL;
      },
      setMulticastLoop: (on) => {
        ep.multicastLoop = on;
      },
      close: () => {
        ep.close();
        ep4?.close();
      },
    };
  }

  block(done: () => boolean, timeoutMs?: number): BlockOutcome {
    const scheduler = this.host.scheduler;
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : scheduler.nowMicros + timeoutMs * 1000;
    return scheduler.runUntil(done, deadline);
  }
}
