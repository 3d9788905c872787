/** The virtual network's naming: a host's view of the network's DNS, waited for by running the simulation. */
import type { VirtualDns } from '../net/dns.js';
import type { Scheduler } from '../net/scheduler.js';
import { VIRTUAL_NSP_ID } from './types.js';
import { wsaFromDnsStatus, type LookupResult, type NameSource, type Pending, type ReverseResult } from './source.js';
import { DnsStubClient, DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_PTR, type QuestionResult } from './dns-client.js';
import type { ServiceProvider } from '../spi/service-provider.js';
import * as W from '../provider/constants.js';
import { NameResolver, type ResolverOptions } from './resolver.js';

/** The parts of a virtual host this needs (a VirtualHost fits). */
export interface VirtualHostLike {
  readonly name: string;
  readonly addresses: string[];
  readonly net: { readonly scheduler: Scheduler };
  readonly provider: ServiceProvider;
}

/**
 * The DNS of a virtual network seen from one of its hosts: a stub resolver on the host's own
 * provider asks the network's DNS server over UDP (AAAA then A, as two questions).
 */
export class VirtualNameSource implements NameSource {
  readonly kind = 'virtual' as const;
  readonly canBlock = true;
  readonly providerId = VIRTUAL_NSP_ID;
  private stub: DnsStubClient | undefined;

  constructor(
    private readonly host: VirtualHostLike,
    private readonly dns: VirtualDns,
  ) {}

  /** The host's stub resolver (made at the first query). */
  get client(): DnsStubClient {
    const version = this.host.addresses.some((a) => !a.includes(':')) || this.host.addresses.length === 0 ? 4 : 6;
    return (this.stub ??= new DnsStubClient(this.host.provider, this.host.net.scheduler, this.dns, version));
  }

  hostName(): string {
    return this.host.name;
  }

  localAddresses(): { ipv4: string[]; ipv6: string[] } {
    const all = this.host.addresses;
    return { ipv4: all.filter((a) => !a.includes(':')), ipv6: all.filter((a) => a.includes(':')) };
  }

  lookup(name: string, question: { a: boolean; aaaa: boolean }, done: (r: LookupResult) => void): Pending {
    // Neither family wanted: still ask (A) whether the name exists, for NXDOMAIN versus no data.
    const types = [...(question.aaaa ? [DNS_TYPE_AAAA] : []), ...(question.a || !question.aaaa ? [DNS_TYPE_A] : [])];
    const results = new Map<number, QuestionResult>();
    const asks = types.map((type) => this.client.ask(name, type, (r) => {
      results.set(type, r);
      if (results.size < types.length) return;
      const all = types.map((t) => results.get(t)!);
      const failed = all.find((x) => x.status !== 'NOERROR');
      if (failed !== undefined) {
        done({ error: wsaFromDnsStatus(failed.status), canonicalName: name, ipv6: [], ipv4: [] });
        return;
      }
      const v6 = results.get(DNS_TYPE_AAAA);
      const v4 = results.get(DNS_TYPE_A);
      const canonical = [v6, v4].find((x) => x !== undefined && x.values.length > 0)?.name ?? name;
      done({ error: 0, canonicalName: canonical, ipv6: v6?.values ?? [], ipv4: question.a ? v4?.values ?? [] : [] });
    }));
    return { cancel: () => { for (const a of asks) a.cancel(); } };
  }

  reverse(address: string, done: (r: ReverseResult) => void): Pending {
    return this.client.ask(address, DNS_TYPE_PTR, (r) => {
      if (r.status !== 'NOERROR') done({ error: wsaFromDnsStatus(r.status), name: address });
      else if (r.values.length === 0) done({ error: W.WSAHOST_NOT_FOUND, name: address });
      else done({ error: 0, name: r.values[0]! });
    });
  }

  block(done: () => boolean): 'done' | 'idle' | 'unsupported' {
    const outcome = this.host.net.scheduler.runUntil(done);
    return outcome === 'done' ? 'done' : 'idle';
  }
}

/** A resolver for a program on a virtual host: `virtualResolver(host, net.dns)`. */
export function virtualResolver(host: VirtualHostLike, dns: VirtualDns, options?: ResolverOptions): NameResolver {
  return new NameResolver(new VirtualNameSource(host, dns), options);
}
