/** The resolver functions with Windows' names and C argument order: getaddrinfo, GetAddrInfoW, getnameinfo, gethostbyname, gethostname, … in blocking and async forms. */
import * as W from '../provider/constants.js';
import { decodeSockAddr } from '../spi/sockaddr.js';
import { parseIpAddress } from '../wire/ip.js';
import { planGetAddrInfo, numericHost } from './addrinfo.js';
import { serviceOfPort } from './services.js';
import type { LookupResult, NameSource, ReverseResult } from './source.js';
import {
  NI_DGRAM, NI_NAMEREQD, NI_NOFQDN, NI_NUMERICHOST, NI_NUMERICSERV,
  type ADDRINFOW, type ADDRINFOW_HINTS, type HOSTENT, type Out,
} from './types.js';

/** Options of a {@link NameResolver}. */
export interface ResolverOptions {
  /**
   * Where WSASetLastError goes (the ws2_32 layer passes its per-thread setter). Default: the
   * resolver's own {@link NameResolver.lastError}.
   */
  setLastError?: (code: number) => void;
}

const NI_KNOWN = NI_NOFQDN | NI_NUMERICHOST | NI_NAMEREQD | NI_NUMERICSERV | NI_DGRAM;
const isOut = (v: unknown): v is Out<unknown> => typeof v === 'object' && v !== null;

/**
 * Name resolution on one network, from one host. Blocking forms (`getaddrinfo`, …) run the
 * virtual network until the answer comes, as the provider's blocking calls do; on the host
 * network, which cannot block a JavaScript caller, a name that needs node:dns makes them fail
 * with WSAEWOULDBLOCK: use the `…Async` forms there. Every function sets the last error, 0 on
 * success (as Windows' getaddrinfo does), and none throws.
 */
export class NameResolver {
  /** The last error set, when no `setLastError` was given. */
  lastError = 0;
  private readonly sink: (code: number) => void;

  constructor(
    /** The network's naming. */
    readonly source: NameSource,
    options: ResolverOptions = {},
  ) {
    this.sink = options.setLastError ?? ((code) => { this.lastError = code; });
  }

  private setError(code: number): number {
    try {
      this.sink(code);
    } catch {
      // a caller's sink must not turn a result into an exception
    }
    return code;
  }

  /** Starts a lookup and waits for it in virtual time; undefined if this network cannot block (host). */
  private wait<T>(start: (done: (r: T) => void) => void): T | undefined {
    if (!this.source.canBlock) return undefined;
    let result: T | undefined;
    let finished = false;
    start((r) => { result = r; finished = true; });
    // 'unsupported' (host) or 'idle' (cannot happen: a query is a foreground event) leave it unfinished.
    if (!finished) this.source.block(() => finished);
    return finished ? result : undefined;
  }

  private lookupAsync(name: string, q: { a: boolean; aaaa: boolean }): Promise<LookupResult> {
    return new Promise((resolve) => { this.source.lookup(name, q, resolve); });
  }

  // ---- getaddrinfo ---------------------------------------------------------------------------

  /**
   * GetAddrInfoW(pNodeName, pServiceName, pHints, ppResult): 0 and `ppResult.value` the list, or
   * a Windows code (also the last error) and `ppResult.value` null.
   */
  GetAddrInfoW(pNodeName: string | null, pServiceName: string | null, pHints: ADDRINFOW_HINTS | null, ppResult: Out<ADDRINFOW | null> | null): number {
    try {
      if (!isOut(ppResult)) return this.setError(W.WSAEINVAL);
      ppResult.value = null;
      const plan = planGetAddrInfo(this.source, pNodeName ?? null, pServiceName ?? null, pHints);
      if (plan.kind === 'fail') return this.setError(plan.error);
      if (plan.kind === 'answer') {
        ppResult.value = plan.result;
        return this.setError(0);
      }
      const r = this.wait<LookupResult>((done) => this.source.lookup(plan.name, plan.question, done));
      if (r === undefined) return this.setError(W.WSAEWOULDBLOCK);
      const { error, result } = plan.finish(r);
      ppResult.value = result;
      return this.setError(error);
    } catch {
      return this.setError(W.WSANO_RECOVERY);
    }
  }

  /** getaddrinfo (ANSI): the same rules as {@link GetAddrInfoW}. */
  getaddrinfo(pNodeName: string | null, pServiceName: string | null, pHints: ADDRINFOW_HINTS | null, ppResult: Out<ADDRINFOW | null> | null): number {
    return this.GetAddrInfoW(pNodeName, pServiceName, pHints, ppResult);
  }

  /**
   * The async form: resolves to the code and the list once the answer comes (on the virtual
   * network, when the simulation runs to the answer's time; on the host, when node:dns answers).
   */
  async GetAddrInfoWAsync(pNodeName: string | null, pServiceName: string | null, pHints: ADDRINFOW_HINTS | null): Promise<{ error: number; result: ADDRINFOW | null }> {
    try {
      const plan = planGetAddrInfo(this.source, pNodeName ?? null, pServiceName ?? null, pHints);
      if (plan.kind === 'fail') return { error: this.setError(plan.error), result: null };
      if (plan.kind === 'answer') return { error: this.setError(0), result: plan.result };
      const out = plan.finish(await this.lookupAsync(plan.name, plan.question));
      this.setError(out.error);
      return out;
    } catch {
      return { error: this.setError(W.WSANO_RECOVERY), result: null };
    }
  }

  /** FreeAddrInfoW: the list is garbage-collected; this unlinks it so a stale pointer reads as empty. */
  FreeAddrInfoW(pAddrInfo: ADDRINFOW | null): void {
    let p = pAddrInfo;
    while (p !== null && typeof p === 'object') {
      const next: ADDRINFOW | null = p.ai_next;
      p.ai_next = null;
      p = next;
    }
  }

  /** freeaddrinfo (ANSI). */
  freeaddrinfo(pAddrInfo: ADDRINFOW | null): void {
    this.FreeAddrInfoW(pAddrInfo);
  }

  // ---- getnameinfo ---------------------------------------------------------------------------

  private planNameInfo(pSockaddr: Uint8Array | null, SockaddrLength: number, pNodeBuffer: Out<string> | null, NodeBufferSize: number,
    pServiceBuffer: Out<string> | null, ServiceBufferSize: number, Flags: number):
    { error: number } | { address: string; port: number; needName: boolean } {
    if (!(pSockaddr instanceof Uint8Array)) return { error: W.WSAEFAULT };
    if (!Number.isInteger(Flags) || (Flags & ~NI_KNOWN) !== 0) return { error: W.WSAEINVAL };
    if (!Number.isInteger(SockaddrLength) || SockaddrLength < 2 || SockaddrLength > pSockaddr.length) return { error: W.WSAEFAULT };
    const family = pSockaddr[0]! | (pSockaddr[1]! << 8);
    if (family !== W.AF_INET && family !== W.AF_INET6) return { error: W.WSAEAFNOSUPPORT };
    const addr = decodeSockAddr(pSockaddr, SockaddrLength);
    if (addr === undefined) return { error: W.WSAEFAULT };
    const node = pNodeBuffer !== null && pNodeBuffer !== undefined;
    const serv = pServiceBuffer !== null && pServiceBuffer !== undefined;
    if (!node && !serv) return { error: W.WSAHOST_NOT_FOUND };
    if ((node && (!isOut(pNodeBuffer) || !Number.isInteger(NodeBufferSize) || NodeBufferSize <= 0))
      || (serv && (!isOut(pServiceBuffer) || !Number.isInteger(ServiceBufferSize) || ServiceBufferSize <= 0))) return { error: W.WSAEFAULT };
    return { address: addr.address, port: addr.port, needName: node && (Flags & NI_NUMERICHOST) === 0 };
  }

  private finishNameInfo(plan: { address: string; port: number }, name: ReverseResult | undefined, pNodeBuffer: Out<string> | null, NodeBufferSize: number,
    pServiceBuffer: Out<string> | null, ServiceBufferSize: number, Flags: number): number {
    let host: string | undefined;
    if (pNodeBuffer !== null && pNodeBuffer !== undefined) {
      if (name !== undefined && name.error === 0) host = (Flags & NI_NOFQDN) !== 0 ? name.name.split('.')[0]! : name.name;
      else if ((Flags & NI_NAMEREQD) !== 0) return this.setError(name === undefined || name.error === W.WSAHOST_NOT_FOUND ? W.WSAHOST_NOT_FOUND : name.error);
      else host = plan.address;
      if (host.length + 1 > NodeBufferSize) return this.setError(W.WSAEFAULT);
    }
    let service: string | undefined;
    if (pServiceBuffer !== null && pServiceBuffer !== undefined) {
      service = (Flags & NI_NUMERICSERV) !== 0 ? String(plan.port) : serviceOfPort(plan.port, (Flags & NI_DGRAM) !== 0) ?? String(plan.port);
      if (service.length + 1 > ServiceBufferSize) return this.setError(W.WSAEFAULT);
    }
    // Nothing is written unless everything fits.
    if (host !== undefined) pNodeBuffer!.value = host;
    if (service !== undefined) pServiceBuffer!.value = service;
    return this.setError(0);
  }

  /** Loopback and the host's own addresses are named without asking: the host's name. */
  private localName(address: string): ReverseResult | undefined {
    const a = parseIpAddress(address.split('%')[0]!);
    if (a === undefined) return undefined;
    const local = this.source.localAddresses();
    if (a.text === '127.0.0.1' || a.text.startsWith('127.') || a.text === '::1' || local.ipv4.includes(a.text) || local.ipv6.includes(a.text)) {
      return { error: 0, name: this.source.hostName() };
    }
    return undefined;
  }

  /**
   * GetNameInfoW(pSockaddr, SockaddrLength, pNodeBuffer, NodeBufferSize, pServiceBuffer,
   * ServiceBufferSize, Flags). Buffers are out-parameters; their sizes count characters with the
   * terminating NUL. A name the DNS does not know gives the numeric form unless NI_NAMEREQD.
   */
  GetNameInfoW(pSockaddr: Uint8Array | null, SockaddrLength: number, pNodeBuffer: Out<string> | null, NodeBufferSize: number,
    pServiceBuffer: Out<string> | null, ServiceBufferSize: number, Flags: number): number {
    try {
      const plan = this.planNameInfo(pSockaddr, SockaddrLength, pNodeBuffer, NodeBufferSize, pServiceBuffer, ServiceBufferSize, Flags);
      if ('error' in plan) return this.setError(plan.error);
      let name: ReverseResult | undefined;
      if (plan.needName) {
        name = this.localName(plan.address) ?? this.wait<ReverseResult>((done) => this.source.reverse(plan.address, done));
        if (name === undefined) return this.setError(W.WSAEWOULDBLOCK);
      }
      return this.finishNameInfo(plan, name, pNodeBuffer, NodeBufferSize, pServiceBuffer, ServiceBufferSize, Flags);
    } catch {
      return this.setError(W.WSANO_RECOVERY);
    }
  }

  /** getnameinfo (ANSI). */
  getnameinfo(pSockaddr: Uint8Array | null, SockaddrLength: number, pNodeBuffer: Out<string> | null, NodeBufferSize: number,
    pServiceBuffer: Out<string> | null, ServiceBufferSize: number, Flags: number): number {
    return this.GetNameInfoW(pSockaddr, SockaddrLength, pNodeBuffer, NodeBufferSize, pServiceBuffer, ServiceBufferSize, Flags);
  }

  /** The async form of {@link GetNameInfoW}. */
  async GetNameInfoWAsync(pSockaddr: Uint8Array | null, SockaddrLength: number, pNodeBuffer: Out<string> | null, NodeBufferSize: number,
    pServiceBuffer: Out<string> | null, ServiceBufferSize: number, Flags: number): Promise<number> {
    try {
      const plan = this.planNameInfo(pSockaddr, SockaddrLength, pNodeBuffer, NodeBufferSize, pServiceBuffer, ServiceBufferSize, Flags);
      if ('error' in plan) return this.setError(plan.error);
      let name: ReverseResult | undefined;
      if (plan.needName) name = this.localName(plan.address) ?? await new Promise<ReverseResult>((resolve) => { this.source.reverse(plan.address, resolve); });
      return this.finishNameInfo(plan, name, pNodeBuffer, NodeBufferSize, pServiceBuffer, ServiceBufferSize, Flags);
    } catch {
      return this.setError(W.WSANO_RECOVERY);
    }
  }

  // ---- gethostbyname / gethostname -----------------------------------------------------------

  private planHost(name: string | null): { error: number } | { hostent: HOSTENT } | { lookup: string } {
    if (name !== null && typeof name !== 'string') return { error: W.WSAEFAULT };
    const local = this.source.localAddresses();
    if (name === null || name === '' || name.toLowerCase() === this.source.hostName().toLowerCase()) {
      return { hostent: hostent(this.source.hostName(), local.ipv4.length > 0 ? local.ipv4 : ['127.0.0.1']) };
    }
    if (/^localhost\.?$/i.test(name)) return { hostent: hostent(this.source.hostName(), ['127.0.0.1']) };
    const numeric = numericHost(name);
    if (numeric !== undefined) return numeric.version === 4 ? { hostent: hostent(name, [numeric.text]) } : { error: W.WSAHOST_NOT_FOUND };
    return { lookup: name };
  }

  private finishHost(r: LookupResult): HOSTENT | number {
    if (r.error !== 0) return r.error;
    return r.ipv4.length === 0 ? W.WSANO_DATA : hostent(r.canonicalName, r.ipv4);
  }

  /**
   * gethostbyname(name): a HOSTENT (IPv4 only) or null with the last error WSAHOST_NOT_FOUND,
   * WSANO_DATA (the name has no IPv4 address), WSATRY_AGAIN or WSANO_RECOVERY. `localhost` is
   * 127.0.0.1 with the host's name; `""` and the host's name give its IPv4 addresses.
   */
  gethostbyname(name: string | null): HOSTENT | null {
    try {
      const plan = this.planHost(name);
      if ('error' in plan) return (this.setError(plan.error), null);
      if ('hostent' in plan) return (this.setError(0), plan.hostent);
      const r = this.wait<LookupResult>((done) => this.source.lookup(plan.lookup, { a: true, aaaa: true }, done));
      if (r === undefined) return (this.setError(W.WSAEWOULDBLOCK), null);
      const out = this.finishHost(r);
      if (typeof out === 'number') return (this.setError(out), null);
      this.setError(0);
      return out;
    } catch {
      return (this.setError(W.WSANO_RECOVERY), null);
    }
  }

  /** The async form of {@link gethostbyname}: the HOSTENT, or the error code. */
  async gethostbynameAsync(name: string | null): Promise<HOSTENT | number> {
    try {
      const plan = this.planHost(name);
      if ('error' in plan) return this.setError(plan.error);
      if ('hostent' in plan) return (this.setError(0), plan.hostent);
      const out = this.finishHost(await this.lookupAsync(plan.lookup, { a: true, aaaa: true }));
      this.setError(typeof out === 'number' ? out : 0);
      return out;
    } catch {
      return this.setError(W.WSANO_RECOVERY);
    }
  }

  /**
   * gethostname(name, namelen): the host's name, NUL-terminated, into `name` (bytes). 0, or
   * SOCKET_ERROR with WSAEFAULT when `name` is null or `namelen` cannot hold the name and its NUL
   * (the buffer is then left as it was).
   */
  gethostname(name: Uint8Array | null, namelen: number): number {
    return this.copyName(name, namelen, 1);
  }

  /** GetHostNameW(name, namelen): as {@link gethostname}, in UTF-16 characters. */
  GetHostNameW(name: Uint16Array | null, namelen: number): number {
    return this.copyName(name, namelen, 2);
  }

  private copyName(buffer: Uint8Array | Uint16Array | null, namelen: number, width: 1 | 2): number {
    try {
      const ok = width === 1 ? buffer instanceof Uint8Array : buffer instanceof Uint16Array;
      const host = this.source.hostName();
      if (!ok || !Number.isInteger(namelen) || namelen < 0 || namelen > buffer!.length || namelen < host.length + 1) {
        this.setError(W.WSAEFAULT);
        return W.SOCKET_ERROR;
      }
      for (let i = 0; i < host.length; i++) buffer![i] = width === 1 ? host.charCodeAt(i) & 0xff : host.charCodeAt(i);
      buffer![host.length] = 0;
      this.setError(0);
      return 0;
    } catch {
      this.setError(W.WSAEFAULT);
      return W.SOCKET_ERROR;
    }
  }
}

function hostent(name: string, ipv4: readonly string[]): HOSTENT {
  return {
    h_name: name, h_aliases: [], h_addrtype: W.AF_INET, h_length: 4,
    h_addr_list: ipv4.map((t) => parseIpAddress(t)!.bytes.slice()),
  };
}
