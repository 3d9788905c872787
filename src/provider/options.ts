/**
 * Socket options as values (the SPI layer turns them into C bytes). One table: each entry
 * says its level and name, its C shape, and how it reads and writes a socket.
 *
 * The shapes are what Windows does with the caller's lengths (Wine's ws2_32 test suite,
 * test_set_getsockopt's option-size table): SOL_SOCKET BOOLs take any length, BOOLEANs
 * (SO_KEEPALIVE, SO_DONTROUTE, TCP_NODELAY, IPV6_V6ONLY) are one byte, the IP-level byte-sized
 * values (IP_TTL, IP_TOS, …) take one to four bytes, the other IP- and TCP-level values four.
 */
import {
  IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, IP_DONTFRAGMENT, IP_ECN, IP_GET_IFLIST, IP_HDRINCL,
  IP_IFLIST, IP_MTU, IP_MTU_DISCOVER, IP_OPTIONS, IP_ORIGINAL_ARRIVAL_IF, IP_PKTINFO, IP_PKTINFO_EX,
  IP_PMTUDISC_DO, IP_PMTUDISC_PROBE, IP_RECEIVE_BROADCAST, IP_RECVDSTADDR, IP_RECVERR, IP_RECVIF,
  IP_RECVRTHDR, IP_RECVTOS, IP_RECVTTL, IP_RTHDR, IP_TOS, IP_TTL, IP_UNICAST_IF, IP_USER_MTU,
  IP_WFP_REDIRECT_CONTEXT, IP_WFP_REDIRECT_RECORDS, IPV6_DONTFRAG, IPV6_ECN, IPV6_GET_IFLIST, IPV6_HDRINCL,
  IPV6_HOPLIMIT, IPV6_HOPOPTS, IPV6_IFLIST, IPV6_MTU, IPV6_MTU_DISCOVER, IPV6_PKTINFO, IPV6_PKTINFO_EX,
  IPV6_PROTECTION_LEVEL, IPV6_RECVDSTADDR, IPV6_RECVERR, IPV6_RECVIF, IPV6_RECVRTHDR, IPV6_RECVTCLASS,
  IPV6_RTHDR, IPV6_UNICAST_HOPS, IPV6_UNICAST_IF, IPV6_USER_MTU, IPV6_V6ONLY, IPV6_WFP_REDIRECT_CONTEXT,
  IPV6_WFP_REDIRECT_RECORDS, PROTECTION_LEVEL_DEFAULT, PROTECTION_LEVEL_EDGERESTRICTED,
  PROTECTION_LEVEL_RESTRICTED, PROTECTION_LEVEL_UNRESTRICTED, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM,
  SOL_SOCKET, SO_ACCEPTCONN, SO_BROADCAST, SO_BSP_STATE, SO_CONDITIONAL_ACCEPT, SO_CONNECT_TIME, SO_DEBUG,
  SO_DONTLINGER, SO_DONTROUTE, SO_ERROR, SO_EXCLUSIVEADDRUSE, SO_KEEPALIVE, SO_LINGER, SO_MAX_MSG_SIZE,
  SO_OOBINLINE, SO_PROTOCOL_INFOW, SO_RCVBUF, SO_RCVLOWAT, SO_RCVTIMEO, SO_REUSEADDR, SO_SNDBUF,
  SO_SNDLOWAT, SO_SNDTIMEO, SO_TYPE, TCP_KEEPALIVE, TCP_KEEPCNT, TCP_KEEPINTVL, TCP_MAXSEG, TCP_NODELAY,
  WSAEINVAL, WSAENOPROTOOPT, WSAENOTCONN,
} from './constants.js';
import type { Endpoint, Linger, Socket } from './socket.js';
import type { Transport } from './transport.js';
import { oobInlineChanged } from './data.js';
import { multicastOptions } from './multicast-options.js';

/**
 * The C shape of an option's value, which decides the lengths it takes and writes:
 * - `bool`: a SOL_SOCKET BOOL. Set reads up to four bytes (none at all reads FALSE); get writes
 *   up to four bytes and reports 4, or 1 when the caller's buffer is shorter than four.
 * - `int`, `dword`: four bytes both ways (`dword` unsigned). A shorter get fails (WSAEFAULT).
 * - `int-zeroed`, `linger`: the same, but a get into a buffer shorter than four bytes zeroes it
 *   before failing (SO_SNDBUF, SO_RCVBUF, SO_LINGER, as Windows does).
 * - `byte`: a BOOLEAN, one byte both ways; get reports 1 whatever the buffer.
 * - `small`: an IP-level value of a byte (IP_TTL, IP_TOS, IP_DONTFRAGMENT): set reads one to
 *   four bytes; get writes four, or one (reporting 1) into a shorter buffer.
 * - `ip-int`: an IP- or TCP-level DWORD: four bytes both ways; a shorter get fails and reports 0.
 * - `blob`: bytes as given (IP_OPTIONS, IPV6_HOPOPTS, …), read back as stored.
 * - `protocol-info`: SO_PROTOCOL_INFOW, a WSAPROTOCOL_INFOW (the SPI layer builds the record).
 * - `connect-time`: SO_CONNECT_TIME, a DWORD the SPI layer computes from the clock.
 * - `bsp-state`: SO_BSP_STATE, a CSADDR_INFO with the addresses after it.
 */
export type OptionShape =
  | 'bool' | 'int' | 'dword' | 'int-zeroed' | 'linger' | 'byte' | 'small' | 'ip-int' | 'blob'
  | 'protocol-info' | 'connect-time' | 'bsp-state';

/** A get that fails for the socket's state (IP_MTU on an unconnected socket: WSAENOTCONN). */
export interface OptionFailure {
  readonly error: number;
}

/** SO_CONNECT_TIME on a connected socket: when it connected (-1: not recorded). */
export interface ConnectedSince {
  readonly connectedAtMs: number;
}

/** SO_PROTOCOL_INFOW: which catalogue entry describes the socket. */
export interface ProtocolOf {
  readonly af: number;
  readonly type: number;
  readonly protocol: number;
}

/** SO_BSP_STATE: the socket's addresses. */
export interface BspState {
  readonly local: Endpoint | null;
  readonly remote: Endpoint | null;
  readonly type: number;
  readonly protocol: number;
}

export type OptionValue = number | Linger | Uint8Array | OptionFailure | ConnectedSince | ProtocolOf | BspState;

/** Largest UDP payload over IPv4 (65535 - 20 - 8), what Windows reports for SO_MAX_MSG_SIZE. */
export const MAX_UDP_PAYLOAD = 65507;
/** Over IPv6 (65535 - 8; the IPv6 header is not counted in the payload length). */
export const MAX_UDP6_PAYLOAD = 65527;
/** Longest IP_OPTIONS (the IPv4 header's option space) and IPv6 extension header this provider stores. */
const MAX_BLOB = 40;
/** What TCP_MAXSEG reports before a connection has chosen its segment size (RFC 1122's default MSS). */
const DEFAULT_MSS = 536;

export interface OptionDef {
  readonly level: number;
  readonly name: number;
  readonly shape: OptionShape;
  /** Which socket types have it; another type gets WSAENOPROTOOPT. Undefined for all. */
  readonly only?: 'stream' | 'dgram';
  /** An error for get and set alike on this socket (an IP-level receive option on a TCP socket: WSAEINVAL), or 0. */
  refuse?(s: Socket): number;
  get(s: Socket): OptionValue;
  /**
   * Returns 0 or a WSA error code. Absent: read-only (WSAENOPROTOOPT on set, as Windows does for
   * SO_ACCEPTCONN). `transport`: the socket's network, for options that name a local address.
   */
  set?(s: Socket, v: OptionValue, transport?: Transport): number;
}

const bool = (v: OptionValue): boolean => typeof v === 'number' && v !== 0;
const int = (v: OptionValue): number => (typeof v === 'number' ? v | 0 : 0);
const dword = (v: OptionValue): number => (typeof v === 'number' ? v >>> 0 : 0);

/** IP-level options that only datagram and raw sockets have (receive control data): WSAEINVAL on TCP. */
const notStream = (s: Socket): number => (s.type === SOCK_STREAM ? WSAEINVAL : 0);
const rawOnly = (s: Socket): number => (s.type === SOCK_RAW ? 0 : WSAEINVAL);
const dgramOnly = (s: Socket): number => (s.type === SOCK_DGRAM ? 0 : WSAEINVAL);
const never = (): number => WSAEINVAL;

/**
 * Keep-alive timing reaches the socket's connection once a timing option was set (before that,
 * the connection keeps its network's defaults). The provider calls this too when a socket gets
 * its connection (connect, accept), so options set before then apply.
 */
export function applyKeepAliveTiming(s: Socket): void {
  if (s.keepAliveTimed && s.conn !== null) s.conn.setKeepAliveTiming(s.keepAliveIdleMs, s.keepAliveIntervalMs, s.keepAliveProbes);
}

/** Sets the SIO_KEEPALIVE_VALS triple: on/off, idle time and probe interval in milliseconds. */
export function setKeepAliveValues(s: Socket, on: boolean, idleMs: number, intervalMs: number): void {
  s.keepAlive = on;
  s.keepAliveIdleMs = idleMs;
  s.keepAliveIntervalMs = intervalMs;
  s.keepAliveTimed = true;
  applyKeepAliveTiming(s);
  if (s.conn !== null) s.conn.keepAlive = on;
}

function isLoopbackAddress(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

/** The path MTU of a connected socket: the connection's segment size plus headers, when it tells it. */
function pathMtu(s: Socket): number {
  const mss = (s.conn as unknown as { mss?: unknown } | null)?.mss;
  const headers = s.version === 6 ? 60 : 40;
  if (typeof mss === 'number' && mss > 0) return mss + headers;
  return s.remote !== null && isLoopbackAddress(s.remote.address) ? 65535 : 1500;
}

/** An IP-level option that is stored and read back only. */
function stored(
  level: number, name: number, shape: 'ip-int' | 'small' | 'blob', fallback: number | Uint8Array,
  extra: { refuse?: (s: Socket) => number; boolean?: boolean; max?: number; accept?: (v: number) => boolean } = {},
): OptionDef {
  const key = `${level}/${name}`;
  return {
    level, name, shape, refuse: extra.refuse,
    get: (s) => s.ipExtras[key] ?? fallback,
    set: (s, v) => {
      let value: number | Uint8Array;
      if (shape === 'blob') {
        if (!(v instanceof Uint8Array) || v.length > MAX_BLOB) return WSAEINVAL;
        value = v.slice();
      } else {
        if (typeof v !== 'number') return WSAEINVAL;
        value = extra.boolean === true ? (v !== 0 ? 1 : 0) : v >>> 0;
        if (extra.max !== undefined && value > extra.max) return WSAEINVAL;
        if (extra.accept !== undefined && !extra.accept(value)) return WSAEINVAL;
      }
      s.ipExtras = { ...s.ipExtras, [key]: value };
      return 0;
    },
  };
}

/** A receive-information switch (IP_PKTINFO and its kind): a BOOL, datagram and raw sockets only. */
const recvSwitch = (level: number, name: number, fallback = 0): OptionDef =>
  stored(level, name, 'ip-int', fallback, { refuse: notStream, boolean: true });

const pmtuDiscover = (v: number): boolean => v >= IP_PMTUDISC_DO && v <= IP_PMTUDISC_PROBE;
const protectionLevel = (v: number): boolean =>
  v === PROTECTION_LEVEL_UNRESTRICTED || v === PROTECTION_LEVEL_EDGERESTRICTED || v === PROTECTION_LEVEL_RESTRICTED
  || v === PROTECTION_LEVEL_DEFAULT;

const defs: OptionDef[] = [
  // ---- SOL_SOCKET ----
  { level: SOL_SOCKET, name: SO_ACCEPTCONN, shape: 'bool', get: (s) => (s.phase === 'listening' ? 1 : 0) },
  {
    level: SOL_SOCKET, name: SO_REUSEADDR, shape: 'bool',
    get: (s) => (s.reuseAddr ? 1 : 0),
    set: (s, v) => {
      if (bool(v) && s.exclusiveAddrUse) return WSAEINVAL;
      s.reuseAddr = bool(v);
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_EXCLUSIVEADDRUSE, shape: 'bool',
    get: (s) => (s.exclusiveAddrUse ? 1 : 0),
    set: (s, v) => {
      if (bool(v) && s.reuseAddr) return WSAEINVAL;
      s.exclusiveAddrUse = bool(v);
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_ERROR, shape: 'int',
    get: (s) => s.soError,
    set: (s, v) => {
      s.soError = int(v);
      return 0;
    },
  },
  {
    // Read-only: Windows answers WSAENOPROTOOPT for a stream socket and WSAEINVAL for the others
    // (test_WSASocket).
    level: SOL_SOCKET, name: SO_TYPE, shape: 'int', get: (s) => s.type,
    set: (s) => (s.type === SOCK_STREAM ? WSAENOPROTOOPT : WSAEINVAL),
  },
  {
    level: SOL_SOCKET, name: SO_KEEPALIVE, shape: 'byte', only: 'stream',
    get: (s) => (s.keepAlive ? 1 : 0),
    set: (s, v) => {
      s.keepAlive = bool(v);
      applyKeepAliveTiming(s);
      if (s.conn !== null) s.conn.keepAlive = s.keepAlive;
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_LINGER, shape: 'linger', only: 'stream',
    get: (s) => ({ onoff: s.linger.onoff, seconds: s.linger.seconds }),
    set: (s, v) => {
      if (typeof v !== 'object' || !('onoff' in v)) return WSAEINVAL;
      s.linger = { onoff: v.onoff & 0xffff, seconds: v.seconds & 0xffff };
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_DONTLINGER, shape: 'bool', only: 'stream',
    get: (s) => (s.linger.onoff === 0 ? 1 : 0),
    set: (s, v) => {
      s.linger = { onoff: bool(v) ? 0 : 1, seconds: s.linger.seconds };
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_SNDBUF, shape: 'int-zeroed',
    get: (s) => s.sendBuffer,
    set: (s, v) => {
      if (int(v) < 0) return WSAEINVAL;
      s.sendBuffer = int(v);
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_RCVBUF, shape: 'int-zeroed',
    get: (s) => s.receiveBuffer,
    set: (s, v) => {
      if (int(v) < 0) return WSAEINVAL;
      s.receiveBuffer = int(v);
      s.conn?.setReceiveBuffer(s.receiveBuffer);
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_CONDITIONAL_ACCEPT, shape: 'bool', only: 'stream',
    get: (s) => (s.conditionalAccept ? 1 : 0),
    set: (s, v) => {
      s.conditionalAccept = bool(v);
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_RCVTIMEO, shape: 'dword',
    get: (s) => s.receiveTimeoutMs,
    set: (s, v) => {
      s.receiveTimeoutMs = dword(v);
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_SNDTIMEO, shape: 'dword',
    get: (s) => s.sendTimeoutMs,
    set: (s, v) => {
      s.sendTimeoutMs = dword(v);
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_BROADCAST, shape: 'bool', only: 'dgram',
    get: (s) => (s.broadcast ? 1 : 0),
    set: (s, v) => {
      s.broadcast = bool(v);
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_OOBINLINE, shape: 'bool', only: 'stream',
    get: (s) => (s.oobInline ? 1 : 0),
    set: (s, v) => {
      s.oobInline = bool(v);
      oobInlineChanged(s);
      return 0;
    },
  },
  {
    // A BOOL read back as 0 or 1 (test_so_debug: 2 reads back 1).
    level: SOL_SOCKET, name: SO_DEBUG, shape: 'bool',
    get: (s) => (s.debug ? 1 : 0),
    set: (s, v) => {
      s.debug = bool(v);
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_DONTROUTE, shape: 'byte',
    get: (s) => (s.dontRoute ? 1 : 0),
    set: (s, v) => {
      s.dontRoute = bool(v);
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_MAX_MSG_SIZE, shape: 'int', only: 'dgram',
    get: (s) => (s.version === 6 ? MAX_UDP6_PAYLOAD : MAX_UDP_PAYLOAD),
  },
  // Windows' TCP/IP provider has no low-water marks: WSAEINVAL both ways (Vista and later).
  { level: SOL_SOCKET, name: SO_RCVLOWAT, shape: 'int', refuse: never, get: () => 1 },
  { level: SOL_SOCKET, name: SO_SNDLOWAT, shape: 'int', refuse: never, get: () => 1 },
  {
    level: SOL_SOCKET, name: SO_CONNECT_TIME, shape: 'connect-time',
    get: (s) => (s.type === SOCK_STREAM && s.phase === 'connected' ? { connectedAtMs: s.connectedAtMs } : 0xffffffff),
  },
  {
    level: SOL_SOCKET, name: SO_PROTOCOL_INFOW, shape: 'protocol-info',
    get: (s) => ({ af: s.af, type: s.type, protocol: s.protocol }),
  },
  {
    level: SOL_SOCKET, name: SO_BSP_STATE, shape: 'bsp-state',
    get: (s) => ({
      local: s.local,
      remote: s.phase === 'connected' || (s.type !== SOCK_STREAM && s.remote !== null) ? s.remote : null,
      type: s.type,
      protocol: s.protocol,
    }),
  },

  // ---- IPPROTO_TCP ----
  {
    level: IPPROTO_TCP, name: TCP_NODELAY, shape: 'byte', only: 'stream',
    get: (s) => (s.noDelay ? 1 : 0),
    set: (s, v) => {
      s.noDelay = bool(v);
      if (s.conn !== null) s.conn.noDelay = s.noDelay;
      return 0;
    },
  },
  {
    // TCP_KEEPALIVE is TCP_KEEPIDLE: idle seconds before the first probe.
    level: IPPROTO_TCP, name: TCP_KEEPALIVE, shape: 'ip-int', only: 'stream',
    get: (s) => Math.floor(s.keepAliveIdleMs / 1000),
    set: (s, v) => {
      s.keepAliveIdleMs = dword(v) * 1000;
      s.keepAliveTimed = true;
      applyKeepAliveTiming(s);
      return 0;
    },
  },
  {
    level: IPPROTO_TCP, name: TCP_KEEPINTVL, shape: 'ip-int', only: 'stream',
    get: (s) => Math.floor(s.keepAliveIntervalMs / 1000),
    set: (s, v) => {
      s.keepAliveIntervalMs = dword(v) * 1000;
      s.keepAliveTimed = true;
      applyKeepAliveTiming(s);
      return 0;
    },
  },
  {
    // "It is illegal to set TCP_KEEPCNT to a value greater than 255" (test_set_getsockopt: 0x100 → WSAEINVAL).
    level: IPPROTO_TCP, name: TCP_KEEPCNT, shape: 'ip-int', only: 'stream',
    get: (s) => s.keepAliveProbes,
    set: (s, v) => {
      if (dword(v) > 255) return WSAEINVAL;
      s.keepAliveProbes = dword(v);
      s.keepAliveTimed = true;
      applyKeepAliveTiming(s);
      return 0;
    },
  },
  {
    // Read-only: the connection's segment size once it has one.
    level: IPPROTO_TCP, name: TCP_MAXSEG, shape: 'ip-int', only: 'stream',
    get: (s) => {
      const mss = (s.conn as unknown as { mss?: unknown } | null)?.mss;
      return typeof mss === 'number' && mss > 0 ? mss : DEFAULT_MSS;
    },
  },

  // ---- IPPROTO_IP ----
  stored(IPPROTO_IP, IP_OPTIONS, 'blob', new Uint8Array(0)),
  stored(IPPROTO_IP, IP_HDRINCL, 'ip-int', 0, { refuse: rawOnly, boolean: true }),
  {
    level: IPPROTO_IP, name: IP_TOS, shape: 'small',
    get: (s) => s.ipTos,
    set: (s, v) => {
      if (dword(v) > 255) return WSAEINVAL;
      s.ipTos = dword(v);
      return 0;
    },
  },
  {
    level: IPPROTO_IP, name: IP_TTL, shape: 'small',
    get: (s) => s.ipTtl,
    set: (s, v) => {
      if (dword(v) > 255) return WSAEINVAL;
      s.ipTtl = dword(v);
      return 0;
    },
  },
  {
    // On by default for TCP (Windows sets DF on TCP segments), off for datagram and raw sockets.
    level: IPPROTO_IP, name: IP_DONTFRAGMENT, shape: 'small',
    get: (s) => (s.ipDontFragment >= 0 ? s.ipDontFragment : s.type === SOCK_STREAM ? 1 : 0),
    set: (s, v) => {
      s.ipDontFragment = bool(v) ? 1 : 0;
      return 0;
    },
  },
  recvSwitch(IPPROTO_IP, IP_PKTINFO),
  recvSwitch(IPPROTO_IP, IP_RECVTTL),
  recvSwitch(IPPROTO_IP, IP_RECEIVE_BROADCAST, 1),
  recvSwitch(IPPROTO_IP, IP_RECVIF),
  recvSwitch(IPPROTO_IP, IP_RECVDSTADDR),
  stored(IPPROTO_IP, IP_IFLIST, 'ip-int', 0, { boolean: true }),
  stored(IPPROTO_IP, IP_UNICAST_IF, 'ip-int', 0),
  stored(IPPROTO_IP, IP_RTHDR, 'blob', new Uint8Array(0)),
  { level: IPPROTO_IP, name: IP_GET_IFLIST, shape: 'ip-int', refuse: never, get: () => 0 },
  recvSwitch(IPPROTO_IP, IP_RECVRTHDR),
  recvSwitch(IPPROTO_IP, IP_RECVTOS),
  recvSwitch(IPPROTO_IP, IP_ORIGINAL_ARRIVAL_IF),
  recvSwitch(IPPROTO_IP, IP_ECN),
  recvSwitch(IPPROTO_IP, IP_PKTINFO_EX),
  stored(IPPROTO_IP, IP_WFP_REDIRECT_RECORDS, 'blob', new Uint8Array(0), { refuse: notStream }),
  stored(IPPROTO_IP, IP_WFP_REDIRECT_CONTEXT, 'blob', new Uint8Array(0), { refuse: notStream }),
  // Reads IP_PMTUDISC_NOT_SET until set; only DO, DONT and PROBE may be set (test_sockopt_validity).
  stored(IPPROTO_IP, IP_MTU_DISCOVER, 'ip-int', 0, { accept: pmtuDiscover }),
  {
    level: IPPROTO_IP, name: IP_MTU, shape: 'ip-int',
    get: (s) => (s.remote !== null && (s.phase === 'connected' || s.type !== SOCK_STREAM) ? pathMtu(s) : { error: WSAENOTCONN }),
  },
  stored(IPPROTO_IP, IP_RECVERR, 'ip-int', 0, { refuse: dgramOnly, boolean: true }),
  stored(IPPROTO_IP, IP_USER_MTU, 'ip-int', 0xffffffff),

  // ---- IPPROTO_IPV6 ----
  stored(IPPROTO_IPV6, IPV6_HOPOPTS, 'blob', new Uint8Array(0)),
  stored(IPPROTO_IPV6, IPV6_HDRINCL, 'ip-int', 0, { refuse: rawOnly, boolean: true }),
  {
    level: IPPROTO_IPV6, name: IPV6_UNICAST_HOPS, shape: 'small',
    get: (s) => s.ipv6UnicastHops,
    set: (s, v) => {
      if (dword(v) > 255) return WSAEINVAL;
      s.ipv6UnicastHops = dword(v);
      return 0;
    },
  },
  {
    level: IPPROTO_IPV6, name: IPV6_DONTFRAG, shape: 'small',
    get: (s) => (s.ipv6DontFragment >= 0 ? s.ipv6DontFragment : s.type === SOCK_STREAM ? 1 : 0),
    set: (s, v) => {
      s.ipv6DontFragment = bool(v) ? 1 : 0;
      return 0;
    },
  },
  recvSwitch(IPPROTO_IPV6, IPV6_PKTINFO),
  recvSwitch(IPPROTO_IPV6, IPV6_HOPLIMIT),
  stored(IPPROTO_IPV6, IPV6_PROTECTION_LEVEL, 'ip-int', PROTECTION_LEVEL_EDGERESTRICTED, { accept: protectionLevel }),
  recvSwitch(IPPROTO_IPV6, IPV6_RECVIF),
  recvSwitch(IPPROTO_IPV6, IPV6_RECVDSTADDR),
  {
    // A BOOLEAN, on by default for every socket (test_ipv6only, IPv4 sockets included), fixed once
    // the socket is bound (test_ipv6only: a set after bind fails).
    level: IPPROTO_IPV6, name: IPV6_V6ONLY, shape: 'byte',
    get: (s) => (s.v6Only ? 1 : 0),
    set: (s, v) => {
      if (s.local !== null) return WSAEINVAL;
      s.v6Only = bool(v);
      return 0;
    },
  },
  stored(IPPROTO_IPV6, IPV6_IFLIST, 'ip-int', 0, { boolean: true }),
  stored(IPPROTO_IPV6, IPV6_UNICAST_IF, 'ip-int', 0),
  stored(IPPROTO_IPV6, IPV6_RTHDR, 'blob', new Uint8Array(0)),
  { level: IPPROTO_IPV6, name: IPV6_GET_IFLIST, shape: 'ip-int', refuse: never, get: () => 0 },
  recvSwitch(IPPROTO_IPV6, IPV6_RECVRTHDR),
  recvSwitch(IPPROTO_IPV6, IPV6_RECVTCLASS),
  recvSwitch(IPPROTO_IPV6, IP_ORIGINAL_ARRIVAL_IF),
  recvSwitch(IPPROTO_IPV6, IPV6_ECN),
  recvSwitch(IPPROTO_IPV6, IPV6_PKTINFO_EX),
  stored(IPPROTO_IPV6, IPV6_WFP_REDIRECT_RECORDS, 'blob', new Uint8Array(0), { refuse: notStream }),
  stored(IPPROTO_IPV6, IPV6_WFP_REDIRECT_CONTEXT, 'blob', new Uint8Array(0), { refuse: notStream }),
  stored(IPPROTO_IPV6, IPV6_MTU_DISCOVER, 'ip-int', 0, { accept: pmtuDiscover }),
  {
    level: IPPROTO_IPV6, name: IPV6_MTU, shape: 'ip-int',
    get: (s) => (s.remote !== null && (s.phase === 'connected' || s.type !== SOCK_STREAM) ? pathMtu(s) : { error: WSAENOTCONN }),
  },
  stored(IPPROTO_IPV6, IPV6_RECVERR, 'ip-int', 0, { refuse: dgramOnly, boolean: true }),
  stored(IPPROTO_IPV6, IPV6_USER_MTU, 'ip-int', 0xffffffff),

  // ---- multicast (IPPROTO_IP and IPPROTO_IPV6): multicast-options.ts ----
  ...multicastOptions,
];

const table = new Map<string, OptionDef>();
for (const d of defs) table.set(`${d.level}/${d.name}`, d);
/** Levels Windows' TCP/IP provider knows; IPPROTO_UDP has options this provider does not keep (WSAENOPROTOOPT). */
const knownLevels = new Set([...defs.map((d) => d.level), IPPROTO_UDP]);

/**
 * Finds an option for a socket. Returns the definition, or the error Windows gives:
 * WSAEINVAL for an unknown level, WSAENOPROTOOPT for an unknown option or one the socket's
 * type does not have, and the option's own refusal (WSAEINVAL for an IP-level receive option
 * on a TCP socket).
 */
export function findOption(s: Socket, level: number, name: number): OptionDef | number {
  if (!knownLevels.has(level)) return WSAEINVAL;
  const def = table.get(`${level}/${name}`);
  if (def === undefined) return WSAENOPROTOOPT;
  if (def.only === 'stream' && s.type !== SOCK_STREAM) return WSAENOPROTOOPT;
  if (def.only === 'dgram' && s.type !== SOCK_DGRAM) return WSAENOPROTOOPT;
  const refused = def.refuse?.(s) ?? 0;
  if (refused !== 0) return refused;
  return def;
}

/** Options an accepted socket takes over from its listener. */
export function inheritOptions(from: Socket, to: Socket): void {
  to.nonBlocking = from.nonBlocking;
  to.inheritOptions(from);
  if (to.conditionalAccept) to.conditionalAccept = false; // the listener's option, not the connection's
}
