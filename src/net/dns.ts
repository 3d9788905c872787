/**
 * The virtual network's DNS server: a zone of A and AAAA records changed at run time, served on
 * UDP port 53 of its own host on the network (so captures show real DNS messages), answering
 * after a delay on the scheduler's clock, with failures and delays injectable per name. Pure (no
 * clock, no randomness): the same calls give the same answers at the same virtual times.
 */
import {
  DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_PTR, RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_REFUSED, RCODE_SERVFAIL,
  encodeDnsMessage, encodeDnsName, parseDnsMessage, type DnsRecord,
} from '../wire/dns.js';
import { parseIpAddress } from '../wire/ip.js';
import type { Network, NetHost } from './network.js';
import { Random } from './random.js';
import type { Datagram } from './udp.js';

/** Where the DNS server listens (UDP port 53); a host may not take these addresses. */
export const DNS_SERVER_IPV4 = '10.0.255.53';
export const DNS_SERVER_IPV6 = 'fd00:ffff::53';
export const DNS_PORT = 53;
/** TTL of every answer, in seconds (nothing caches here; it is for captures). */
const TTL = 60;

/** An injectable failure: an RCODE the server answers, or no answer at all (`timeout`). */
export type DnsFailure = 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | 'timeout';

/** How a query ended. `NOERROR` with no addresses: the name exists without data of that type. */
export type DnsStatus = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | 'timeout';

/** What the DNS has done, for tests and traces. */
export interface DnsStats {
  queries: number;
  answered: number;
  failed: number;
  timedOut: number;
  reverse: number;
  /** Datagrams to port 53 that were not a well-formed query: dropped, never answered. */
  malformed: number;
}

interface Zone {
  /** The name with the case it was first added with. */
  readonly name: string;
  readonly ipv4: string[];
  readonly ipv6: string[];
}

const MAX_NAME = 253;
const LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** Lower-case key of a host name without its trailing dot; undefined if it is not a DNS name. */
export function dnsKey(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n.length === 0 || n.length > MAX_NAME) return undefined;
  for (const label of n.split('.')) if (!LABEL.test(label)) return undefined;
  return n.toLowerCase();
}

function msToUs(what: string, ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new RangeError(`${what} must be milliseconds >= 0, got ${String(ms)}`);
  return Math.round(ms * 1000);
}

function keyOf(name: string): string {
  const k = dnsKey(name);
  if (k === undefined) throw new TypeError(`not a DNS host name: ${JSON.stringify(name)}`);
  return k;
}

/**
 * The DNS of one virtual network. Names are case-insensitive. Records, failures and delays
 * may change while queries are in flight: a query sees the zone as it is when its answer is due.
 */
export class VirtualDns {
  private readonly zones = new Map<string, Zone>();
  private readonly failures = new Map<string, DnsFailure>();
  private readonly delays = new Map<string, number>();
  private latencyUs: number;
  private timeoutUs: number;
  readonly stats: DnsStats = { queries: 0, answered: 0, failed: 0, timedOut: 0, reverse: 0, malformed: 0 };
  /** The server's host on the network (named `dns`). */
  readonly server: NetHost;

  constructor(
    private readonly network: Network,
    options: { latencyMs?: number; timeoutMs?: number } = {},
  ) {
    this.latencyUs = msToUs('latencyMs', options.latencyMs ?? 1);
    this.timeoutUs = msToUs('timeoutMs', options.timeoutMs ?? 10_000);
    // Its own Random: the server draws no random number, and the network's stream (every other
    // host's sequence numbers, loss, jitter) must stay what it was without a DNS.
    this.server = network.addHost('dns', [{ version: 4, text: DNS_SERVER_IPV4 }, { version: 6, text: DNS_SERVER_IPV6 }], new Random(0));
    const serve = { datagram: (d: Datagram) => this.receive(d), portUnreachable: () => {} };
    this.server.udp.bind(4, '0.0.0.0', DNS_PORT, serve);
    this.server.udp.bind(6, '::', DNS_PORT, serve);
  }

  /** The server's address for a client of that IP version. */
  serverAddress(version: 4 | 6): string {
    return version === 4 ? DNS_SERVER_IPV4 : DNS_SERVER_IPV6;
  }

  /** The server's time from question to answer when no per-name delay is set (default 1 ms; the network's latency comes on top). */
  get latencyMs(): number {
    return this.latencyUs / 1000;
  }

  set latencyMs(ms: number) {
    this.latencyUs = msToUs('latencyMs', ms);
  }

  /** How long a resolver waits for an answer that never comes, retransmissions included (default 10 000 ms). */
  get timeoutMs(): number {
    return this.timeoutUs / 1000;
  }

  set timeoutMs(ms: number) {
    this.timeoutUs = msToUs('timeoutMs', ms);
  }

  /** Adds A / AAAA records (by the address's version). Throws on a bad name or address. */
  add(name: string, addresses: string | readonly string[]): void {
    const key = keyOf(name);
    const list = typeof addresses === 'string' ? [addresses] : addresses;
    const parsed = list.map((t) => {
      const a = parseIpAddress(t);
      if (a === undefined) throw new TypeError(`not an IP address: ${JSON.stringify(t)}`);
      return a;
    });
    let zone = this.zones.get(key);
    if (zone === undefined) this.zones.set(key, (zone = { name: name.endsWith('.') ? name.slice(0, -1) : name, ipv4: [], ipv6: [] }));
    for (const a of parsed) {
      const into = a.version === 4 ? zone.ipv4 : zone.ipv6;
      if (!into.includes(a.text)) into.push(a.text);
    }
  }

  /**
   * Removes one address of a name, or (no address) the name and all its records. True if
   * something was removed. A name left without addresses still exists (answers carry no data).
   */
  remove(name: string, address?: string): boolean {
    const key = dnsKey(name);
    if (key === undefined) return false;
    const zone = this.zones.get(key);
    if (zone === undefined) return false;
    if (address === undefined) return this.zones.delete(key);
    const a = parseIpAddress(address);
    if (a === undefined) return false;
    const list = a.version === 4 ? zone.ipv4 : zone.ipv6;
    const i = list.indexOf(a.text);
    if (i < 0) return false;
    list.splice(i, 1);
    return true;
  }

  /** The addresses a name has now (canonical text), or undefined when it is not in the zone. */
  lookupNow(name: string): { name: string; ipv4: readonly string[]; ipv6: readonly string[] } | undefined {
    const key = dnsKey(name);
    const z = key === undefined ? undefined : this.zones.get(key);
    return z === undefined ? undefined : { name: z.name, ipv4: [...z.ipv4], ipv6: [...z.ipv6] };
  }

  /** Every query for `name` fails this way from now on; `undefined` clears it. */
  fail(name: string, failure: DnsFailure | undefined): void {
    const key = keyOf(name);
    if (failure === undefined) this.failures.delete(key);
    else if (failure === 'NXDOMAIN' || failure === 'SERVFAIL' || failure === 'REFUSED' || failure === 'timeout') this.failures.set(key, failure);
    else throw new RangeError(`unknown DNS failure: ${String(failure)}`);
  }

  /** Answers about `name` take `ms` instead of {@link latencyMs}; `undefined` clears it. */
  delay(name: string, ms: number | undefined): void {
    const key = keyOf(name);
    if (ms === undefined) this.delays.delete(key);
    else this.delays.set(key, msToUs('delay', ms));
  }

  /** A datagram reached port 53: a query is answered after its delay; anything else is dropped and counted. */
  private receive(d: Datagram): void {
    const m = parseDnsMessage(d.payload);
    if (m === undefined || m.response || m.question === undefined) {
      this.stats.malformed++;
      return;
    }
    const q = m.question;
    this.stats.queries++;
    if (q.type === DNS_TYPE_PTR) this.stats.reverse++;
    const key = dnsKey(q.name);
    const failure = key === undefined ? undefined : this.failures.get(key);
    if (failure === 'timeout') {
      this.stats.timedOut++;
      return;
    }
    const delayUs = (key === undefined ? undefined : this.delays.get(key)) ?? this.latencyUs;
    this.network.scheduler.schedule(delayUs, () => {
      const { rcode, answers } = this.answer(q.name, key, q.type);
      const payload = encodeDnsMessage({ id: m.id, response: true, rcode, question: q, answers })
        ?? encodeDnsMessage({ id: m.id, response: true, rcode: RCODE_SERVFAIL, question: q, answers: [] });
      if (payload === undefined) return;
      this.server.udp.send({ version: d.version, srcAddress: d.dstAddress, dstAddress: d.srcAddress, srcPort: DNS_PORT, dstPort: d.srcPort, payload });
    }, undefined);
  }

  /** The zone's answer to a question, as it is now. */
  private answer(name: string, key: string | undefined, type: number): { rcode: number; answers: DnsRecord[] } {
    const failure = key === undefined ? 'NXDOMAIN' : this.failures.get(key);
    if (failure !== undefined) {
      this.stats.failed++;
      return { rcode: failure === 'SERVFAIL' ? RCODE_SERVFAIL : failure === 'REFUSED' ? RCODE_REFUSED : RCODE_NXDOMAIN, answers: [] };
    }
    if (type === DNS_TYPE_PTR) {
      const address = addressOfReverseName(key!);
      for (const z of this.zones.values()) {
        if (address !== undefined && (address.includes(':') ? z.ipv6 : z.ipv4).includes(address)) {
          this.stats.answered++;
          return { rcode: RCODE_NOERROR, answers: [{ name, type, ttl: TTL, data: encodeDnsName(z.name)! }] };
        }
      }
      this.stats.failed++;
      return { rcode: RCODE_NXDOMAIN, answers: [] };
    }
    const zone = this.zones.get(key!);
    if (zone === undefined) {
      this.stats.failed++;
      return { rcode: RCODE_NXDOMAIN, answers: [] };
    }
    this.stats.answered++;
    const list = type === DNS_TYPE_A ? zone.ipv4 : type === DNS_TYPE_AAAA ? zone.ipv6 : [];
    // Answers carry the name as registered: that is the canonical name a resolver reports.
    return { rcode: RCODE_NOERROR, answers: list.map((t) => ({ name: zone.name, type, ttl: TTL, data: parseIpAddress(t)!.bytes })) };
  }
}

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`; the 32 nibbles of `ip6.arpa` → IPv6 text; else undefined. */
function addressOfReverseName(key: string): string | undefined {
  if (key.endsWith('.in-addr.arpa')) {
    const parts = key.slice(0, -'.in-addr.arpa'.length).split('.');
    return parts.length === 4 ? parseIpAddress(parts.reverse().join('.'))?.text : undefined;
  }
  if (key.endsWith('.ip6.arpa')) {
    const nibbles = key.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || nibbles.some((n) => !/^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    return parseIpAddress(hex.match(/.{4}/g)!.join(':'))?.text;
  }
  return undefined;
}
