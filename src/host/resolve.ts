/**
 * The host network's naming through node:dns (the system resolver: hosts file, DNS): forward
 * lookups with dns.lookup, reverse with dns.lookupService, errors mapped to Windows' codes.
 * The host cannot block a JavaScript caller, so `block` is 'unsupported' (use the async forms).
 */
import { lookup, lookupService } from 'node:dns';
import { hostname, networkInterfaces } from 'node:os';
import * as W from '../provider/constants.js';
import type { LookupResult, NameSource, Pending, ReverseResult } from '../ns/source.js';
import { HOST_NSP_ID } from '../ns/types.js';
import { NameResolver, type ResolverOptions } from '../ns/resolver.js';

/** node:dns error code → Windows' code. */
export function wsaFromDnsError(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOTFOUND': case 'EAI_NONAME': case 'NXDOMAIN': return W.WSAHOST_NOT_FOUND;
    case 'ENODATA': case 'EAI_NODATA': return W.WSANO_DATA;
    case 'EAI_AGAIN': case 'ETIMEOUT': case 'ESERVFAIL': case 'ECONNREFUSED': return W.WSATRY_AGAIN;
    case 'EAI_MEMORY': case 'ENOMEM': return W.WSA_NOT_ENOUGH_MEMORY;
    default: return W.WSANO_RECOVERY;
  }
}

function isGlobal(a: { family: string | number; internal: boolean; address: string }): boolean {
  return !a.internal && !/^fe[89ab]/i.test(a.address);
}

/** The machine's naming. */
export class HostNameSource implements NameSource {
  readonly kind = 'host' as const;
  readonly canBlock = false;
  readonly providerId = HOST_NSP_ID;

  hostName(): string {
    return hostname();
  }

  localAddresses(): { ipv4: string[]; ipv6: string[] } {
    const ipv4: string[] = [];
    const ipv6: string[] = [];
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) {
        if (!isGlobal(a)) continue;
        const v6 = a.family === 'IPv6' || (a.family as unknown) === 6;
        (v6 ? ipv6 : ipv4).push(a.address);
      }
    }
    return { ipv4, ipv6 };
  }

  lookup(name: string, question: { a: boolean; aaaa: boolean }, done: (r: LookupResult) => void): Pending {
    let cancelled = false;
    const family = question.a && question.aaaa ? 0 : question.aaaa ? 6 : 4;
    try {
      lookup(name, { all: true, family, verbatim: true }, (err, addresses) => {
        if (cancelled) return;
        if (err !== null) return done({ error: wsaFromDnsError(err), canonicalName: name, ipv4: [], ipv6: [] });
        const ipv4 = question.a ? addresses.filter((a) => a.family === 4).map((a) => a.address) : [];
        const ipv6 = question.aaaa ? addresses.filter((a) => a.family === 6).map((a) => a.address) : [];
        done({ error: 0, canonicalName: name, ipv4, ipv6 });
      });
    } catch (err) {
      queueMicrotask(() => { if (!cancelled) done({ error: wsaFromDnsError(err), canonicalName: name, ipv4: [], ipv6: [] }); });
    }
    return { cancel: () => { cancelled = true; } };
  }

  reverse(address: string, done: (r: ReverseResult) => void): Pending {
    let cancelled = false;
    try {
      lookupService(address.split('%')[0]!, 0, (err, host) => {
        if (cancelled) return;
        done(err !== null ? { error: wsaFromDnsError(err), name: address } : { error: 0, name: host });
      });
    } catch (err) {
      queueMicrotask(() => { if (!cancelled) done({ error: wsaFromDnsError(err), name: address }); });
    }
    return { cancel: () => { cancelled = true; } };
  }

  block(): 'unsupported' {
    return 'unsupported';
  }
}

/** A resolver on the host network (blocking forms answer numeric names, localhost and the local name; others need the async forms). */
export function hostResolver(options?: ResolverOptions): NameResolver {
  return new NameResolver(new HostNameSource(), options);
}
