/**
 * Packet capture of a virtual network: every packet a host transmits (before the network's
 * faults act on it, as a capture at the sender's interface sees it) becomes an Ethernet frame
 * with real IP and transport headers in a pcap file, stamped with virtual time.
 */
import type { Network, NetHost } from '../net/network.js';
import { SYN, type Segment } from '../net/segment.js';
import type { Datagram } from '../net/udp.js';
import { emitIcmpUnreachableFrame, emitTcpFrame, emitUdpFrame } from '../wire/packet.js';
import { pcapFileHeader, pcapRecord } from '../wire/pcap.js';

/** Where capture bytes go: anything with `write` (a Node Writable, an array pusher, …). */
export interface CaptureSink {
  write(bytes: Uint8Array): unknown;
  end?(): unknown;
}

/** A capture in progress; {@link close} stops it (and closes a file it opened). */
export class Capture {
  /** Frames written so far. */
  frames = 0;
  private readonly ids = new Map<NetHost, number>();
  private closed = false;
  private readonly stop: () => void;

  constructor(network: Network, private readonly sink: CaptureSink) {
    sink.write(pcapFileHeader());
    const { mss, loopbackMss = mss } = network.config.tcp;
    const tcpTap = (seg: Segment, from: NetHost, timeUs: number) => this.record(timeUs, emitTcpFrame(seg, {
      identification: this.nextId(from),
      tcpOptions: seg.flags & SYN ? { mss: from.staysLocal(seg.dstAddress) ? loopbackMss : mss } : undefined,
    }));
    const udpTap = (d: Datagram, from: NetHost, unreachable: boolean, timeUs: number) => this.record(timeUs, unreachable
      ? emitIcmpUnreachableFrame(d, 'port', { identification: this.nextId(from) })
      : emitUdpFrame(d, { identification: this.nextId(from) }));
    network.taps.add(tcpTap);
    network.datagramTaps.add(udpTap);
    this.stop = () => {
      network.taps.delete(tcpTap);
      network.datagramTaps.delete(udpTap);
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    this.sink.end?.();
  }

  private record(timeUs: number, frame: Uint8Array): void {
    this.sink.write(pcapRecord(timeUs, frame));
    this.frames++;
  }

  /** IPv4 identification: a counter per sending host, so captures are the same run after run. */
  private nextId(host: NetHost): number {
    const id = ((this.ids.get(host) ?? 0) + 1) & 0xffff;
    this.ids.set(host, id);
    return id;
  }
}

/** A sink writing to a file through Node's fs (looked up at run time: this module also runs in browsers). */
export function fileSink(path: string): CaptureSink {
  const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  const fs = get?.('node:fs') as
    | { openSync(p: string, f: string): number; writeSync(fd: number, b: Uint8Array): number; closeSync(fd: number): void }
    | undefined;
  if (fs === undefined) throw new TypeError('capturing to a file path needs Node.js; pass a sink with write() instead');
  const fd = fs.openSync(path, 'w');
  return {
    write: (bytes) => {
      let off = 0;
      while (off < bytes.length) off += fs.writeSync(fd, bytes.subarray(off));
    },
    end: () => fs.closeSync(fd),
  };
}
