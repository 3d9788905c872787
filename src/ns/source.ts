/** What a resolver needs from a network: its host name and addresses, forward and reverse lookups, and a way to wait. */
import * as W from '../provider/constants.js';
import type { DnsStatus } from '../net/dns.js';

/** How a lookup ended: `error` 0 or a Windows code (WSAHOST_NOT_FOUND, WSATRY_AGAIN, WSANO_DATA, WSANO_RECOVERY). */
export interface LookupResult {
  readonly error: number;
  /** The canonical name (the name as the zone holds it, or the name asked). */
  readonly canonicalName: string;
  readonly ipv6: readonly string[];
  readonly ipv4: readonly string[];
}

/** How a reverse lookup ended: `error` 0 with a name, or a Windows code. */
export interface ReverseResult {
  readonly error: number;
  readonly name: string;
}

/** A lookup in flight. */
export interface Pending {
  cancel(): void;
}

/**
 * A network's naming, as the resolver functions and the NSPs see it. `lookup` and `reverse`
 * call `done` later (never synchronously); `block` lets the network run until a condition holds.
 */
export interface NameSource {
  /** 'virtual' or 'host' (for traces and docs). */
  readonly kind: 'virtual' | 'host';
  /** False when the network cannot block a caller (host): blocking forms then fail with WSAEWOULDBLOCK before asking. */
  readonly canBlock: boolean;
  /** The provider id of this network's NSP. */
  readonly providerId: string;
  /** The local host's name (gethostname). */
  hostName(): string;
  /** The local host's own addresses, loopback excluded (canonical text). */
  localAddresses(): { ipv4: string[]; ipv6: string[] };
  lookup(name: string, question: { a: boolean; aaaa: boolean }, done: (r: LookupResult) => void): Pending;
  reverse(address: string, done: (r: ReverseResult) => void): Pending;
  /** Runs the network until `done()`: 'done', 'idle' (it never will), or 'unsupported' (this network cannot block a caller). */
  block(done: () => boolean): 'done' | 'idle' | 'unsupported';
}

/** A DNS outcome → the Windows code getaddrinfo reports (0 for NOERROR; the caller checks for no data). */
export function wsaFromDnsStatus(status: DnsStatus): number {
  switch (status) {
    case 'NOERROR': return 0;
    case 'NXDOMAIN': return W.WSAHOST_NOT_FOUND;
    case 'SERVFAIL': return W.WSATRY_AGAIN;
    case 'timeout': return W.WSATRY_AGAIN;
    case 'REFUSED': return W.WSANO_RECOVERY;
  }
}
