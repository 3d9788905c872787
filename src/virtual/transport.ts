/**
 * The provider's {@link Transport} over one host of the virtual network.
 */
import type { NetHost } from '../net/network.js';
import type { ConnectionEvents, TcpConnection } from '../net/tcp.js';
import type {
  BlockOutcome, DatagramEndpoint, DatagramReceiver, IpVersion, ListenHandle, StreamConnection, StreamEvents, StreamListenHooks, Transport,
} from '../provider/transport.js';

export class VirtualTransport implements Transport {
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

  listenStream(address: string, port: number, hooks: StreamListenHooks): ListenHandle {
    // TcpConnection satisfies StreamConnection structurally; the hook sets its events.
    return this.host.tcp.listen(address, port, { onSyn: (conn: TcpConnection) => hooks.onSyn(conn) });
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

  bindDatagram(version: IpVersion, address: string, port: number, receiver: DatagramReceiver): DatagramEndpoint {
    const udp = this.host.udp;
    const ep = udp.bind(version, address, port, {
      datagram: (d) => receiver.datagram(d.srcAddress, d.srcPort, d.payload),
      portUnreachable: (d) => receiver.portUnreachable(d.dstAddress, d.dstPort),
    });
    return {
      send: (srcAddress, dstAddress, dstPort, payload) =>
        udp.send({ version, srcAddress, dstAddress, srcPort: port, dstPort, payload }),
      close: () => ep.close(),
    };
  }

  block(done: () => boolean, timeoutMs?: number): BlockOutcome {
    const scheduler = this.host.scheduler;
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : scheduler.nowMicros + timeoutMs * 1000;
    return scheduler.runUntil(done, deadline);
  }
}
