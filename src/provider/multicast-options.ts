/**
 * The multicast socket options of IPPROTO_IP and IPPROTO_IPV6: group membership, and the hop
 * limit, loopback and interface of what a socket sends to groups.
 *
 * What Windows does, and where it says so:
 * - Sizes and values (Wine's test_set_getsockopt, option-size table and the IP_MULTICAST_TTL
 *   rows): IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS take one to four bytes and refuse values above
 *   255; IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP take one to four bytes and read back 0 or 1.
 *   Both read 1 until set (RFC 1112's defaults, Windows' too).
 * - The membership options are set-only: getsockopt answers WSAENOPROTOOPT (Wine's
 *   test_sockopt_validity, TCP and UDP).
 * - Conflicts (Microsoft, "Multicast Socket Option Behavior"): a group joined twice on one
 *   interface, or a source-specific join of a group joined for any source, is WSAEADDRNOTAVAIL;
 *   a drop of a group or source not joined is WSAEINVAL.
 * - IP_MULTICAST_IF and imr_interface: an IPv4 address in network order; 0.0.0.0 is the default
 *   interface, and any other 0.x.y.z is the interface index x.y.z (Microsoft, "IPPROTO_IP socket
 *   options", "ip_mreq"). IPV6_MULTICAST_IF and ipv6mr_interface are an interface index.
 * - IP_MULTICAST_LOOP acts on the receiving socket (Microsoft's note on the option: a socket with
 *   it off does not receive what its own host sends to the group, whatever the sender's setting).
 * The rest (what a stream socket answers, joining before bind) is in docs/decisions.md, "Multicast".
 */
import {
  IPPROTO_IP, IPPROTO_IPV6, IP_ADD_MEMBERSHIP, IP_ADD_SOURCE_MEMBERSHIP, IP_DROP_MEMBERSHIP, IP_DROP_SOURCE_MEMBERSHIP,
  IP_MULTICAST_IF, IP_MULTICAST_LOOP, IP_MULTICAST_TTL, IPV6_ADD_MEMBERSHIP, IPV6_DROP_MEMBERSHIP, IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF, IPV6_MULTICAST_LOOP, SOCK_STREAM, WSAEADDRNOTAVAIL, WSAEFAULT, WSAEINVAL, WSAENOPROTOOPT,
} from './constants.js';
import type { OptionDef, OptionValue } from './options.js';
import type { Socket } from './socket.js';
import type { IpVersion, MulticastInterface, MulticastSend, Transport } from './transport.js';

/** sizeof(ip_mreq), sizeof(ip_mreq_source), sizeof(ipv6_mreq). */
export const IP_MREQ_SIZE = 8;
export const IP_MREQ_SOURCE_SIZE = 12;
export const IPV6_MREQ_SIZE = 20;

/** IP_DEFAULT_MULTICAST_TTL and IP_DEFAULT_MULTICAST_LOOP (the IPv6 options share them). */
const DEFAULT_HOPS = 1;
const DEFAULT_LOOP = 1;

const key = (level: number, name: number): string => `${level}/${name}`;
const TTL4 = key(IPPROTO_IP, IP_MULTICAST_TTL);
const LOOP4 = key(IPPROTO_IP, IP_MULTICAST_LOOP);
const IF4 = key(IPPROTO_IP, IP_MULTICAST_IF);
const HOPS6 = key(IPPROTO_IPV6, IPV6_MULTICAST_HOPS);
const LOOP6 = key(IPPROTO_IPV6, IPV6_MULTICAST_LOOP);
const IF6 = key(IPPROTO_IPV6, IPV6_MULTICAST_IF);

/** True for a multicast address in canonical text: 224.0.0.0/4 or ff00::/8. */
export function isMulticastAddress(address: string): boolean {
  if (address.includes(':')) return /^ff[0-9a-f]{2}:/i.test(address);
  const first = Number.parseInt(address, 10);
  return first >= 224 && first <= 239;
}

// Datagram-only IP options on a stream socket: WSAEINVAL, as the receive-information options.
const notStream = (s: Socket): number => (s.type === SOCK_STREAM ? WSAEINVAL : 0);

function stored(s: Socket, k: string, fallback: number): number {
  const v = s.ipExtras[k];
  return typeof v === 'number' ? v : fallback;
}

function store(s: Socket, k: string, v: number): void {
  s.ipExtras = { ...s.ipExtras, [k]: v };
}

const u32 = (v: OptionValue): number => (typeof v === 'number' ? v >>> 0 : 0);

/** IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS: one byte's worth, 0..255. */
function hops(level: number, name: number): OptionDef {
  const k = key(level, name);
  return {
    level, name, shape: 'small', refuse: notStream,
    get: (s) => stored(s, k, DEFAULT_HOPS),
    set: (s, v) => {
      if (typeof v !== 'number' || u32(v) > 255) return WSAEINVAL;
      store(s, k, u32(v));
      return 0;
    },
  };
}

/** IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP: a boolean read back as 0 or 1. */
function loop(level: number, name: number): OptionDef {
  const k = key(level, name);
  return {
    level, name, shape: 'small', refuse: notStream,
    get: (s) => stored(s, k, DEFAULT_LOOP),
    set: (s, v) => {
      if (typeof v !== 'number') return WSAEINVAL;
      const on = u32(v) !== 0;
      store(s, k, on ? 1 : 0);
      s.endpoint?.setMulticastLoop(on);
      return 0;
    },
  };
}

/** The four bytes of an IPv4 address as `in_addr` holds them (network order). */
function v4Text(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** An `in_addr` naming an interface: the default, an index (0.x.y.z), or an address. */
function v4Interface(b: Uint8Array, at: number): MulticastInterface {
  if (b[at] !== 0) return v4Text(b, at);
  return (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!; // 0.0.0.0 is index 0: the default
}

/** IP_MULTICAST_IF's DWORD (the in_addr as the caller's little-endian bytes) as an interface. */
function v4InterfaceOf(dword: number): MulticastInterface {
  const b = Uint8Array.of(dword & 0xff, (dword >>> 8) & 0xff, (dword >>> 16) & 0xff, dword >>> 24);
  return v4Interface(b, 0);
}

function v6Text(b: Uint8Array, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[at + i]! << 8) | b[at + i + 1]!).toString(16));
  // Canonical text (RFC 5952): the longest run of two or more zero groups becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

const ifOption = (level: number, name: number, version: IpVersion): OptionDef => {
  const k = key(level, name);
  return {
    level, name, shape: 'ip-int', refuse: notStream,
    get: (s) => stored(s, k, 0),
    set: (s, v, transport) => {
      if (typeof v !== 'number') return WSAEINVAL;
      const dword = u32(v);
      // An IPv4 address must be one of the host's; an index is looked up when it is used.
      const iface = version === 4 ? v4InterfaceOf(dword) : dword;
      if (typeof iface === 'string' && transport !== undefined && !transport.hasLocalAddress(4, iface)) return WSAEADDRNOTAVAIL;
      store(s, k, dword);
      return 0;
    },
  };
};

/** What a membership option carries. */
interface Request {
  readonly group: string;
  readonly iface: MulticastInterface;
  readonly source?: string;
}

function parseRequest(version: IpVersion, withSource: boolean, b: Uint8Array): Request | number {
  if (version === 6) {
    if (b.length < IPV6_MREQ_SIZE) return WSAEFAULT;
    const index = (b[16]! | (b[17]! << 8) | (b[18]! << 16) | (b[19]! << 24)) >>> 0;
    return { group: v6Text(b, 0), iface: index };
  }
  if (b.length < (withSource ? IP_MREQ_SOURCE_SIZE : IP_MREQ_SIZE)) return WSAEFAULT;
  if (!withSource) return { group: v4Text(b, 0), iface: v4Interface(b, 4) };
  // ip_mreq_source: imr_multiaddr, imr_sourceaddr, imr_interface.
  return { group: v4Text(b, 0), source: v4Text(b, 4), iface: v4Interface(b, 8) };
}

/** IP_ADD_MEMBERSHIP and its kin: set-only; joins need a bound datagram socket. */
function membership(level: number, name: number, version: IpVersion, join: boolean, withSource: boolean): OptionDef {
  return {
    level, name, shape: 'blob',
    get: () => ({ error: WSAENOPROTOOPT }),
    set: (s, v) => {
      if (s.type === SOCK_STREAM || !(v instanceof Uint8Array)) return WSAEINVAL;
      const r = parseRequest(version, withSource, v);
      if (typeof r === 'number') return r;
      if (s.version !== version || !isMulticastAddress(r.group)) return WSAEINVAL;
      if (r.source !== undefined && (r.source === '0.0.0.0' || isMulticastAddress(r.source))) return WSAEINVAL;
      const ep = s.endpoint;
      if (ep === null || s.local === null) return WSAEINVAL; // Windows joins on bound sockets only
      if (join) ep.setMulticastLoop(multicastLoop(s));
      return ep.membership(join, r.group, r.iface, r.source);
    },
  };
}

/** The multicast option definitions, for the option table. */
export const multicastOptions: readonly OptionDef[] = [
  ifOption(IPPROTO_IP, IP_MULTICAST_IF, 4),
  hops(IPPROTO_IP, IP_MULTICAST_TTL),
  loop(IPPROTO_IP, IP_MULTICAST_LOOP),
  membership(IPPROTO_IP, IP_ADD_MEMBERSHIP, 4, true, false),
  membership(IPPROTO_IP, IP_DROP_MEMBERSHIP, 4, false, false),
  membership(IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, 4, true, true),
  membership(IPPROTO_IP, IP_DROP_SOURCE_MEMBERSHIP, 4, false, true),
  ifOption(IPPROTO_IPV6, IPV6_MULTICAST_IF, 6),
  hops(IPPROTO_IPV6, IPV6_MULTICAST_HOPS),
  loop(IPPROTO_IPV6, IPV6_MULTICAST_LOOP),
  membership(IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, 6, true, false),
  membership(IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, 6, false, false),
];

/** The socket's IP_MULTICAST_LOOP (IPv4) or IPV6_MULTICAST_LOOP (IPv6). */
export function multicastLoop(s: Socket): boolean {
  return stored(s, s.version === 4 ? LOOP4 : LOOP6, DEFAULT_LOOP) !== 0;
}

/** How a datagram from this socket to a group travels: its hop limit and interface. */
export function multicastSend(s: Socket): MulticastSend {
  if (s.version === 4) return { hops: stored(s, TTL4, DEFAULT_HOPS), iface: v4InterfaceOf(stored(s, IF4, 0)) };
  return { hops: stored(s, HOPS6, DEFAULT_HOPS), iface: stored(s, IF6, 0) };
}

/**
 * The source address of a datagram to a group from a socket bound to the wildcard: the
 * address IP_MULTICAST_IF names, loopback for interface 1, else the route's choice.
 */
export function multicastSource(s: Socket, transport: Transport, group: string): string | undefined {
  const { iface } = multicastSend(s);
  if (typeof iface === 'string' && iface !== '') return iface;
  if (iface === 1) return s.version === 4 ? '127.0.0.1' : '::1';
  return transport.sourceAddress(s.version, group) ?? (s.version === 4 ? '127.0.0.1' : '::1');
}
