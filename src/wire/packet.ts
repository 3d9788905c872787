/**
 * Whole frames: the virtual network's segments and datagrams as Ethernet II + IPv4/IPv6 +
 * TCP/UDP/ICMP bytes, and back. Pure; `parseFrame` never throws on any byte string — a frame
 * it cannot accept is dropped and counted by reason, and so is anything that is not a real
 * Uint8Array ('not-bytes').
 */
import { type EthernetDropReason, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERNET_HEADER_LENGTH, formatMac, macForAddress, parseEthernet, writeEthernetHeader } from './ethernet.js';
import { type IcmpDropReason, type IcmpParsed, type UnreachableKind, icmpUnreachableLength, parseIcmp, writeIcmpUnreachable } from './icmp.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.js';
import { type Ipv4DropReason, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_HEADER_LENGTH, parseIpv4, writeIpv4Header } from './ipv4.js';
import { type Ipv6DropReason, IPPROTO_ICMPV6, IPV6_HEADER_LENGTH, parseIpv6, writeIpv6Header } from './ipv6.js';
import { type TcpDropReason, type TcpOptions, type TcpSegmentFields, parseTcp, tcpHeaderLength, writeTcpSegment } from './tcp.js';
import { type UdpDropReason, UDP_HEADER_LENGTH, parseUdp, writeUdpDatagram } from './udp.js';

/** A TCP segment as the virtual network holds it (structurally its `Segment`). */
export interface WireSegment extends TcpSegmentFields {
  readonly version: 4 | 6;
  readonly srcAddress: string;
  readonly dstAddress: string;
}

/** A UDP datagram as the virtual network holds it (structurally its `Datagram`). */
export interface WireDatagram {
  readonly version: 4 | 6;
  readonly srcAddress: string;
  readonly dstAddress: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

/** Link and IP choices for an emitted frame. */
export interface FrameOptions {
  /** Default: {@link macForAddress} of the source IP address. */
  readonly srcMac?: Uint8Array;
  /** Default: {@link macForAddress} of the destination IP address. */
  readonly dstMac?: Uint8Array;
  /** IPv4 identification (ignored for IPv6); default 0. */
  readonly identification?: number;
  /** TTL / hop limit; default 64. */
  readonly ttl?: number;
}

/** Frame options plus the TCP header fields the in-memory segment lacks. */
export interface TcpFrameOptions extends FrameOptions {
  readonly tcpOptions?: TcpOptions;
  readonly urgentPointer?: number;
}

/** Frame options for an ICMP error, plus how to re-encode the quoted original. */
export interface IcmpFrameOptions extends FrameOptions {
  /** Sender of the ICMP message; default the original packet's destination. */
  readonly srcAddress?: string;
  /** IPv4 identification of the quoted original packet; default 0. */
  readonly originalIdentification?: number;
  /** TCP options the quoted original segment carried. */
  readonly originalTcpOptions?: TcpOptions;
}

/** Why a frame was dropped. `ip-protocol`: a transport this module does not parse. */
export type DropReason =
  | 'not-bytes' | 'ip-protocol'
  | EthernetDropReason | Ipv4DropReason | Ipv6DropReason | TcpDropReason | UdpDropReason | IcmpDropReason;

/** Counters a caller keeps across calls to {@link parseFrame}. */
export interface WireStats {
  parsed: number;
  malformed: { [reason: string]: number };
}

/** Fresh counters. */
export function createWireStats(): WireStats {
  return { parsed: 0, malformed: {} };
}

/** The IP layer of a parsed frame. */
export interface IpInfo {
  readonly version: 4 | 6;
  readonly srcAddress: string;
  readonly dstAddress: string;
  /** Protocol (IPv4) or next header (IPv6). */
  readonly protocol: number;
  /** TTL (IPv4) or hop limit (IPv6). */
  readonly ttl: number;
  /** IPv4 identification; 0 for IPv6. */
  readonly identification: number;
}

interface FrameCommon {
  readonly srcMac: string;
  readonly dstMac: string;
  readonly ip: IpInfo;
}

/** A frame `parseFrame` accepted. `segment.payload` is null when the segment carries no data. */
export type ParsedFrame =
  | (FrameCommon & { readonly kind: 'tcp'; readonly segment: WireSegment; readonly options: TcpOptions; readonly urgentPointer: number })
  | (FrameCommon & { readonly kind: 'udp'; readonly datagram: WireDatagram })
  | (FrameCommon & { readonly kind: 'icmp'; readonly icmp: IcmpParsed });

function addressBytes(version: 4 | 6, text: string): Uint8Array {
  const bytes = version === 4 ? parseIPv4(text) : parseIPv6(text);
  if (bytes === undefined) throw new TypeError(`not an IPv${version} address: ${String(text)}`);
  return bytes;
}

interface Endpoints { readonly version: 4 | 6; readonly src: Uint8Array; readonly dst: Uint8Array }

/** Allocates a frame and writes Ethernet and IP headers; returns it with the transport offset. */
function frameWithHeaders(ep: Endpoints, protocol: number, transportLength: number, opts: FrameOptions | undefined, withEthernet: boolean): [Uint8Array, number] {
  const ipLength = (ep.version === 4 ? IPV4_HEADER_LENGTH : IPV6_HEADER_LENGTH) + transportLength;
  const out = new Uint8Array((withEthernet ? ETHERNET_HEADER_LENGTH : 0) + ipLength);
  let at = 0;
  if (withEthernet) {
    const etherType = ep.version === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
    at = writeEthernetHeader(out, 0, opts?.dstMac ?? macForAddress(ep.dst), opts?.srcMac ?? macForAddress(ep.src), etherType);
  }
  const ttl = opts?.ttl;
  at = ep.version === 4
    ? writeIpv4Header(out, at, { src: ep.src, dst: ep.dst, protocol, payloadLength: transportLength, identification: opts?.identification ?? 0, ...(ttl === undefined ? {} : { ttl }) })
    : writeIpv6Header(out, at, { src: ep.src, dst: ep.dst, nextHeader: protocol, payloadLength: transportLength, ...(ttl === undefined ? {} : { hopLimit: ttl }) });
  return [out, at];
}

function tcpBytes(seg: WireSegment, opts: TcpFrameOptions | undefined, withEthernet: boolean): Uint8Array {
  const ep = { version: seg.version, src: addressBytes(seg.version, seg.srcAddress), dst: addressBytes(seg.version, seg.dstAddress) };
  const length = tcpHeaderLength(opts?.tcpOptions) + (seg.payload?.length ?? 0);
  const [out, at] = frameWithHeaders(ep, IPPROTO_TCP, length, opts, withEthernet);
  const extras = { ...(opts?.tcpOptions ? { options: opts.tcpOptions } : {}), urgentPointer: opts?.urgentPointer ?? 0 };
  writeTcpSegment(out, at, seg, ep.src, ep.dst, extras);
  return out;
}

function udpBytes(d: WireDatagram, opts: FrameOptions | undefined, withEthernet: boolean): Uint8Array {
  const ep = { version: d.version, src: addressBytes(d.version, d.srcAddress), dst: addressBytes(d.version, d.dstAddress) };
  const [out, at] = frameWithHeaders(ep, IPPROTO_UDP, UDP_HEADER_LENGTH + d.payload.length, opts, withEthernet);
  writeUdpDatagram(out, at, d, ep.src, ep.dst);
  return out;
}

/** The IP packet (no Ethernet header) of a segment. @throws TypeError if an address is not valid text of `seg.version`. */
export function emitTcpPacket(seg: WireSegment, opts?: TcpFrameOptions): Uint8Array {
  return tcpBytes(seg, opts, false);
}

/** The IP packet (no Ethernet header) of a datagram. @throws TypeError on an invalid address. */
export function emitUdpPacket(d: WireDatagram, opts?: FrameOptions): Uint8Array {
  return udpBytes(d, opts, false);
}

/** The Ethernet frame of a TCP segment. @throws TypeError if an address is not valid text of `seg.version`. */
export function emitTcpFrame(seg: WireSegment, opts?: TcpFrameOptions): Uint8Array {
  return tcpBytes(seg, opts, true);
}

/** The Ethernet frame of a UDP datagram. @throws TypeError on an invalid address. */
export function emitUdpFrame(d: WireDatagram, opts?: FrameOptions): Uint8Array {
  return udpBytes(d, opts, true);
}

/**
 * The Ethernet frame of an ICMP (IPv4) or ICMPv6 destination unreachable about `original`
 * (a datagram, or a segment when it has `seq`), sent back to the original's source. The
 * original is re-encoded as an IP packet and quoted as far as the size rules allow.
 * @throws TypeError on an invalid address.
 */
export function emitIcmpUnreachableFrame(original: WireDatagram | WireSegment, kind: UnreachableKind, opts?: IcmpFrameOptions): Uint8Array {
  const quoteOpts = { identification: opts?.originalIdentification ?? 0, ...(opts?.originalTcpOptions ? { tcpOptions: opts.originalTcpOptions } : {}) };
  const quoted = 'seq' in original ? emitTcpPacket(original, quoteOpts) : emitUdpPacket(original, quoteOpts);
  const version = original.version;
  const src = addressBytes(version, opts?.srcAddress ?? original.dstAddress);
  const dst = addressBytes(version, original.srcAddress);
  const protocol = version === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
  const [out, at] = frameWithHeaders({ version, src, dst }, protocol, icmpUnreachableLength(version, quoted.length), opts, true);
  writeIcmpUnreachable(out, at, version, kind, quoted, src, dst);
  return out;
}

function drop(stats: WireStats | undefined, reason: DropReason): undefined {
  if (stats !== undefined) stats.malformed[reason] = (stats.malformed[reason] ?? 0) + 1;
  return undefined;
}

/**
 * Parses an Ethernet II frame carrying IPv4 or IPv6 and then TCP, UDP, ICMP (over IPv4) or
 * ICMPv6 (over IPv6), validating every length and checksum on the way. Returns undefined for
 * anything else, after counting the reason in `stats.malformed`; `stats.parsed` counts the
 * accepted frames. Never throws on any `bytes`: a value that is not a real Uint8Array (see
 * ./bytes.ts) is dropped as 'not-bytes'.
 */
export function parseFrame(bytes: Uint8Array, stats?: WireStats): ParsedFrame | undefined {
  // parseEthernet is the one brand check: anything but a real Uint8Array (a Proxy of one, a
  // look-alike, another typed array, ...) comes back as 'not-bytes', and a real one is read
  // through the intrinsics whatever its own properties say.
  const eth = parseEthernet(bytes);
  if (typeof eth === 'string') return drop(stats, eth);
  const ipPacket = eth.etherType === ETHERTYPE_IPV4 ? parseIpv4(eth.payload) : parseIpv6(eth.payload);
  if (typeof ipPacket === 'string') return drop(stats, ipPacket);
  const version = ipPacket.version;
  const protocol = ipPacket.version === 4 ? ipPacket.protocol : ipPacket.nextHeader;
  const format = version === 4 ? formatIPv4 : formatIPv6;
  const ip: IpInfo = {
    version,
    srcAddress: format(ipPacket.src),
    dstAddress: format(ipPacket.dst),
    protocol,
    ttl: ipPacket.version === 4 ? ipPacket.ttl : ipPacket.hopLimit,
    identification: ipPacket.version === 4 ? ipPacket.identification : 0,
  };
  const common = { srcMac: formatMac(eth.src), dstMac: formatMac(eth.dst), ip };
  const { src, dst, payload } = ipPacket;
  const addresses = { version, srcAddress: ip.srcAddress, dstAddress: ip.dstAddress };
  let result: ParsedFrame;
  if (protocol === IPPROTO_TCP) {
    const t = parseTcp(payload, src, dst);
    if (typeof t === 'string') return drop(stats, t);
    const segment: WireSegment = {
      ...addresses, srcPort: t.srcPort, dstPort: t.dstPort, seq: t.seq, ack: t.ack, flags: t.flags, window: t.window,
      payload: t.payload.length === 0 ? null : t.payload,
    };
    result = { ...common, kind: 'tcp', segment, options: t.options, urgentPointer: t.urgentPointer };
  } else if (protocol === IPPROTO_UDP) {
    const u = parseUdp(payload, src, dst);
    if (typeof u === 'string') return drop(stats, u);
    result = { ...common, kind: 'udp', datagram: { ...addresses, srcPort: u.srcPort, dstPort: u.dstPort, payload: u.payload } };
  } else if (protocol === (version === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6)) {
    const m = parseIcmp(payload, version, src, dst);
    if (typeof m === 'string') return drop(stats, m);
    result = { ...common, kind: 'icmp', icmp: m };
  } else {
    return drop(stats, 'ip-protocol');
  }
  if (stats !== undefined) stats.parsed++;
  return result;
}
