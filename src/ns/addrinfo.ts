/** getaddrinfo's rules: hints, services, numeric hosts, localhost, the local name, and the ADDRINFOW list built from an answer. */
import * as W from '../provider/constants.js';
import { encodeSockAddr } from '../spi/sockaddr.js';
import { formatIPv4, parseIPv4, parseIPv6, formatIPv6 } from '../wire/ip.js';
import { portOfService } from './services.js';
import type { LookupResult, NameSource } from './source.js';
import {
  AI_ALL, AI_CANONNAME, AI_KNOWN_FLAGS, AI_NUMERICHOST, AI_NUMERICSERV, AI_PASSIVE, AI_V4MAPPED,
  type ADDRINFOW, type ADDRINFOW_HINTS,
} from './types.js';

/** Checked hints. */
export interface Hints {
  readonly flags: number;
  readonly family: number;
  readonly socktype: number;
  readonly protocol: number;
}

/** What getaddrinfo does next: fail, answer at once, or ask the network for a name. */
export type Plan =
  | { readonly kind: 'fail'; readonly error: number }
  | { readonly kind: 'answer'; readonly result: ADDRINFOW }
  | {
    readonly kind: 'lookup';
    readonly name: string;
    readonly question: { a: boolean; aaaa: boolean };
    /** Turns the network's answer into a list or an error. */
    finish(r: LookupResult): { error: number; result: ADDRINFOW | null };
  };

const SOCKTYPES = new Set([0, W.SOCK_STREAM, W.SOCK_DGRAM, W.SOCK_RAW, 4 /* SOCK_RDM */, 5 /* SOCK_SEQPACKET */]);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Hints → checked hints or a Windows code (WSAEINVAL, WSAEAFNOSUPPORT, WSAESOCKTNOSUPPORT). */
export function checkHints(hints: ADDRINFOW_HINTS | null | undefined): Hints | number {
  if (hints === null || hints === undefined) return { flags: 0, family: W.AF_UNSPEC, socktype: 0, protocol: 0 };
  if (typeof hints !== 'object') return W.WSAEFAULT;
  const { ai_flags = 0, ai_family = 0, ai_socktype = 0, ai_protocol = 0 } = hints;
  if (!isInt(ai_flags) || !isInt(ai_family) || !isInt(ai_socktype) || !isInt(ai_protocol)) return W.WSAEINVAL;
  // The other members must be zero or null (MSDN, getaddrinfo: "otherwise … fail with WSANO_RECOVERY" in old
  // texts, WSAEINVAL today): the modern answer.
  if ((hints.ai_addrlen ?? 0) !== 0 || (hints.ai_canonname ?? null) !== null || (hints.ai_addr ?? null) !== null || (hints.ai_next ?? null) !== null) {
    return W.WSAEINVAL;
  }
  if ((ai_flags & ~AI_KNOWN_FLAGS) !== 0) return W.WSAEINVAL;
  if (ai_family !== W.AF_UNSPEC && ai_family !== W.AF_INET && ai_family !== W.AF_INET6) return W.WSAEAFNOSUPPORT;
  if (!SOCKTYPES.has(ai_socktype)) return W.WSAESOCKTNOSUPPORT;
  return { flags: ai_flags, family: ai_family, socktype: ai_socktype, protocol: ai_protocol };
}

/** Service text → port, or a Windows code: WSATYPE_NOT_FOUND for an unknown name, WSAHOST_NOT_FOUND for a name under AI_NUMERICSERV. */
export function resolveService(service: string | null, hints: Hints): number | { error: number } {
  if (service === null || service === '') return 0;
  if (/^[0-9]+$/.test(service)) {
    const n = Number(service);
    return n <= 0xffff ? n : { error: W.WSATYPE_NOT_FOUND };
  }
  if ((hints.flags & AI_NUMERICSERV) !== 0) return { error: W.WSAHOST_NOT_FOUND };
  const udp = hints.socktype === W.SOCK_DGRAM || hints.protocol === W.IPPROTO_UDP ? true : hints.socktype === W.SOCK_STREAM ? false : undefined;
  const port = portOfService(service, udp);
  return port === undefined ? { error: W.WSATYPE_NOT_FOUND } : port;
}

/** A numeric host: dotted IPv4, IPv6, or IPv6 in brackets (with an optional `:port`, which is ignored). */
export function numericHost(text: string): { version: 4 | 6; text: string } | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { version: 4, text: formatIPv4(v4) };
  let t = text;
  const bracketed = /^\[([^\]]*)\](:[0-9]{1,5})?$/.exec(t);
  if (bracketed !== null) t = bracketed[1]!;
  else if (t.includes('[') || t.includes(']')) return undefined;
  const v6 = parseIPv6(t);
  return v6 === undefined ? undefined : { version: 6, text: formatIPv6(v6) };
}

const isLocalhost = (name: string): boolean => /^localhost\.?$/i.test(name);

/** `::ffff:a.b.c.d` for an IPv4 address. */
function mapped(v4: string): string {
  return formatIPv6(parseIPv6(`::ffff:${v4}`)!);
}

/** Builds the ADDRINFOW list. Addresses are canonical text of their version; IPv4 under AF_INET6 is already mapped. */
export function buildList(addresses: readonly { v6: boolean; text: string }[], port: number, hints: Hints, canonical: string | null): ADDRINFOW | null {
  let head: ADDRINFOW | null = null;
  let tail: ADDRINFOW | null = null;
  for (const a of addresses) {
    const family = a.v6 ? W.AF_INET6 : W.AF_INET;
    const ai_addr = encodeSockAddr({ family, address: a.text, port });
    const entry: ADDRINFOW = {
      ai_flags: 0, ai_family: family, ai_socktype: hints.socktype, ai_protocol: hints.protocol,
      ai_addrlen: ai_addr.length, ai_canonname: null, ai_addr, ai_next: null,
    };
    if (tail === null) head = entry;
    else tail.ai_next = entry;
    tail = entry;
  }
  if (head !== null && (hints.flags & AI_CANONNAME) !== 0) head.ai_canonname = canonical;
  return head;
}

/** The addresses a family filter keeps, IPv6 first (Windows' default prefix policy ranks ::1 and IPv6 above IPv4). */
function pick(ipv6: readonly string[], ipv4: readonly string[], hints: Hints): { v6: boolean; text: string }[] {
  const out: { v6: boolean; text: string }[] = [];
  if (hints.family !== W.AF_INET) for (const t of ipv6) out.push({ v6: true, text: t });
  if (hints.family === W.AF_INET6) {
    const v4mapped = (hints.flags & AI_V4MAPPED) !== 0;
    if (v4mapped && ((hints.flags & AI_ALL) !== 0 || out.length === 0)) for (const t of ipv4) out.push({ v6: true, text: mapped(t) });
  } else {
    for (const t of ipv4) out.push({ v6: false, text: t });
  }
  return out;
}

/**
 * Plans getaddrinfo(nodename, servname, hints) on a network. The order of checks follows
 * Windows: both names null, then hints, then the service, then the host.
 */
export function planGetAddrInfo(source: NameSource, node: string | null, service: string | null, rawHints: ADDRINFOW_HINTS | null | undefined): Plan {
  if (node === null && service === null) return { kind: 'fail', error: W.WSAHOST_NOT_FOUND };
  if ((node !== null && typeof node !== 'string') || (service !== null && typeof service !== 'string')) return { kind: 'fail', error: W.WSAEFAULT };
  const hints = checkHints(rawHints);
  if (typeof hints === 'number') return { kind: 'fail', error: hints };
  if (node === null && (hints.flags & AI_CANONNAME) !== 0) return { kind: 'fail', error: W.WSAEINVAL };
  const port = resolveService(service, hints);
  if (typeof port !== 'number') return { kind: 'fail', error: port.error };
  const done = (list: { v6: boolean; text: string }[], canonical: string | null): Plan => {
    const result = buildList(list, port, hints, canonical);
    return result === null ? { kind: 'fail', error: W.WSANO_DATA } : { kind: 'answer', result };
  };

  if (node === null) {
    const passive = (hints.flags & AI_PASSIVE) !== 0;
    return done(pick([passive ? '::' : '::1'], [passive ? '0.0.0.0' : '127.0.0.1'], hints), null);
  }
  const numeric = numericHost(node);
  if (numeric !== undefined) {
    if (numeric.version === 6 && hints.family === W.AF_INET) return { kind: 'fail', error: W.WSAHOST_NOT_FOUND };
    if (numeric.version === 4 && hints.family === W.AF_INET6 && (hints.flags & AI_V4MAPPED) === 0) return { kind: 'fail', error: W.WSAHOST_NOT_FOUND };
    const list = numeric.version === 6 ? pick([numeric.text], [], hints) : pick([], [numeric.text], { ...hints, flags: hints.flags | AI_ALL });
    return done(list, numeric.text);
  }
  if ((hints.flags & AI_NUMERICHOST) !== 0) return { kind: 'fail', error: W.WSAHOST_NOT_FOUND };
  if (isLocalhost(node)) return done(pick(['::1'], ['127.0.0.1'], hints), 'localhost');
  const local = source.localAddresses();
  if (node === '' || node.toLowerCase() === source.hostName().toLowerCase()) {
    // The local name: the host's own addresses; a family it has none of falls back to loopback.
    const v6 = local.ipv6.length > 0 ? local.ipv6 : ['::1'];
    const v4 = local.ipv4.length > 0 ? local.ipv4 : ['127.0.0.1'];
    return done(pick(v6, v4, hints), source.hostName());
  }
  // Windows asks only for the families the host has a (non-loopback) address of: with no IPv6
  // address it returns no IPv6 answers, and AF_INET6 gives WSANO_DATA (protocol.c, test_getaddrinfo).
  const hasV6 = local.ipv6.length > 0;
  const hasV4 = local.ipv4.length > 0;
  const question = {
    a: hasV4 && (hints.family !== W.AF_INET6 || (hints.flags & AI_V4MAPPED) !== 0),
    aaaa: hasV6 && hints.family !== W.AF_INET,
  };
  return {
    kind: 'lookup', name: node, question,
    finish(r: LookupResult) {
      if (r.error !== 0) return { error: r.error, result: null };
      const result = buildList(pick(question.aaaa ? r.ipv6 : [], question.a ? r.ipv4 : [], hints), port, hints, r.canonicalName);
      return result === null ? { error: W.WSANO_DATA, result: null } : { error: 0, result };
    },
  };
}
