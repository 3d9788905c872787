/**
 * Socket options as values (the SPI layer turns them into C bytes). One table: each entry
 * says its level and name, its C shape, and how it reads and writes a socket.
 */
import {
  IPPROTO_TCP, SOL_SOCKET, SO_ACCEPTCONN, SO_BROADCAST, SO_CONDITIONAL_ACCEPT, SO_DEBUG,
  SO_DONTLINGER, SO_DONTROUTE, SO_ERROR, SO_EXCLUSIVEADDRUSE, SO_KEEPALIVE, SO_LINGER,
  SO_MAX_MSG_SIZE, SO_OOBINLINE, SO_RCVBUF, SO_RCVTIMEO, SO_REUSEADDR, SO_SNDBUF, SO_SNDTIMEO,
  SO_TYPE, TCP_NODELAY, WSAEINVAL, WSAENOPROTOOPT,
} from './constants.js';
import type { Linger, Socket } from './socket.js';

/** The C type of an option's value: BOOL and int are 4 bytes; DWORD is unsigned; LINGER is two u_shorts. */
export type OptionShape = 'bool' | 'int' | 'dword' | 'linger';

export type OptionValue = number | Linger;

/** Largest UDP payload over IPv4 (65535 - 20 - 8), what Windows reports for SO_MAX_MSG_SIZE. */
export const MAX_UDP_PAYLOAD = 65507;

export interface OptionDef {
  readonly level: number;
  readonly name: number;
  readonly shape: OptionShape;
  /** Which socket types have it; undefined for all. */
  readonly only?: 'stream' | 'dgram';
  get(s: Socket): OptionValue;
  /** Returns 0 or a WSA error code. Absent: read-only (WSAENOPROTOOPT on set, as Windows does for SO_ACCEPTCONN). */
  set?(s: Socket, v: OptionValue): number;
}

const bool = (v: OptionValue): boolean => typeof v === 'number' && v !== 0;
const int = (v: OptionValue): number => (typeof v === 'number' ? v | 0 : 0);

const defs: OptionDef[] = [
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
  { level: SOL_SOCKET, name: SO_TYPE, shape: 'int', get: (s) => s.type },
  {
    level: SOL_SOCKET, name: SO_KEEPALIVE, shape: 'bool', only: 'stream',
    get: (s) => (s.keepAlive ? 1 : 0),
    set: (s, v) => {
      s.keepAlive = bool(v);
      if (s.conn !== null) s.conn.keepAlive = s.keepAlive;
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_LINGER, shape: 'linger', only: 'stream',
    get: (s) => ({ onoff: s.linger.onoff, seconds: s.linger.seconds }),
    set: (s, v) => {
      if (typeof v === 'number') return WSAEINVAL;
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
    level: SOL_SOCKET, name: SO_SNDBUF, shape: 'int',
    get: (s) => s.sendBuffer,
    set: (s, v) => {
      if (int(v) < 0) return WSAEINVAL;
      s.sendBuffer = int(v);
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_RCVBUF, shape: 'int',
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
      s.receiveTimeoutMs = int(v) >>> 0;
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_SNDTIMEO, shape: 'dword',
    get: (s) => s.sendTimeoutMs,
    set: (s, v) => {
      s.sendTimeoutMs = int(v) >>> 0;
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
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_DEBUG, shape: 'bool',
    get: (s) => (s.debug ? 1 : 0),
    set: (s, v) => {
      s.debug = bool(v);
      return 0;
    },
  },
  {
    level: SOL_SOCKET, name: SO_DONTROUTE, shape: 'bool',
    get: (s) => (s.dontRoute ? 1 : 0),
    set: (s, v) => {
      s.dontRoute = bool(v);
      return 0;
    },
  },
  { level: SOL_SOCKET, name: SO_MAX_MSG_SIZE, shape: 'int', only: 'dgram', get: () => MAX_UDP_PAYLOAD },
  {
    level: IPPROTO_TCP, name: TCP_NODELAY, shape: 'bool', only: 'stream',
    get: (s) => (s.noDelay ? 1 : 0),
    set: (s, v) => {
      s.noDelay = bool(v);
      if (s.conn !== null) s.conn.noDelay = s.noDelay;
      return 0;
    },
  },
];

const table = new Map<string, OptionDef>();
for (const d of defs) table.set(`${d.level}/${d.name}`, d);
const knownLevels = new Set(defs.map((d) => d.level));

/**
 * Finds an option for a socket. Returns the definition, or the error Windows gives:
 * WSAEINVAL for an unknown level, WSAENOPROTOOPT for an unknown option or one the socket's
 * type does not have.
 */
export function findOption(s: Socket, level: number, name: number): OptionDef | number {
  if (!knownLevels.has(level)) return WSAEINVAL;
  const def = table.get(`${level}/${name}`);
  if (def === undefined) return WSAENOPROTOOPT;
  if (def.only === 'stream' && s.type !== 1) return WSAENOPROTOOPT;
  if (def.only === 'dgram' && s.type !== 2) return WSAENOPROTOOPT;
  return def;
}

/** Options an accepted socket takes over from its listener. */
export function inheritOptions(from: Socket, to: Socket): void {
  to.nonBlocking = from.nonBlocking;
  to.inheritOptions(from);
  if (to.conditionalAccept) to.conditionalAccept = false; // the listener's option, not the connection's
}
