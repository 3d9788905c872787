/** WSALookupServiceBeginW / NextW / End: the ws2_32 side that routes a query to the namespace providers installed. */
import * as W from '../provider/constants.js';
import { NamespaceProvider } from './nsp.js';
import type { NameSource } from './source.js';
import { NS_ALL, NS_DNS, type HANDLE, type NSP_ROUTINE, type Out, type WSAQUERYSETW, SIZEOF_WSAQUERYSETW_32, SIZEOF_WSAQUERYSETW_64 } from './types.js';

/** Where the namespace providers come from, and where errors go. */
export interface LookupServiceProviders {
  /** One NS_DNS provider per source, tried in this order. */
  sources: NameSource[];
  /** WSASetLastError (per thread in the ws2_32 layer). Default: {@link WSALookupService.lastError}. */
  setLastError?: (code: number) => void;
}

interface Installed {
  readonly nsp: NamespaceProvider;
  readonly routines: NSP_ROUTINE;
}

/**
 * The lookup-service functions over installed NSPs (each started once with NSPStartup). A handle
 * belongs to the provider that answered; a provider that does not know the service class
 * (WSASERVICE_NOT_FOUND) lets the next one try.
 */
export class WSALookupService {
  lastError = 0;
  private readonly sink: (code: number) => void;
  private readonly installed: Installed[] = [];
  private readonly handles = new Map<HANDLE, { provider: Installed; inner: HANDLE }>();
  private nextHandle = 0x1000;

  constructor(options: LookupServiceProviders) {
    this.sink = options.setLastError ?? ((code) => { this.lastError = code; });
    for (const source of options.sources) {
      const nsp = new NamespaceProvider(source, { setLastError: (c) => this.setError(c) });
      const out: Out<NSP_ROUTINE | null> = { value: null };
      if (nsp.NSPStartup(nsp.providerId, out) === 0 && out.value !== null) this.installed.push({ nsp, routines: out.value });
    }
  }

  /** The providers installed (for enumeration). */
  get providers(): readonly NamespaceProvider[] {
    return this.installed.map((i) => i.nsp);
  }

  private setError(code: number): void {
    try { this.sink(code); } catch { /* never through */ }
  }

  private fail(code: number): number {
    this.setError(code);
    return W.SOCKET_ERROR;
  }

  private candidates(qs: WSAQUERYSETW): Installed[] | number {
    if (typeof qs !== 'object' || qs === null) return W.WSAEFAULT;
    if (qs.dwSize !== SIZEOF_WSAQUERYSETW_64 && qs.dwSize !== SIZEOF_WSAQUERYSETW_32) return W.WSAEINVAL;
    const id = typeof qs.lpNSProviderId === 'string' ? qs.lpNSProviderId.toLowerCase() : null;
    const list = this.installed.filter((i) => (id === null || i.nsp.providerId === id) && (qs.dwNameSpace === NS_ALL || qs.dwNameSpace === NS_DNS));
    return list.length === 0 ? W.WSASERVICE_NOT_FOUND : list;
  }

  private adopt(provider: Installed, inner: HANDLE, lphLookup: Out<HANDLE>): number {
    const h = this.nextHandle++;
    this.handles.set(h, { provider, inner });
    lphLookup.value = h;
    this.setError(0);
    return 0;
  }

  /** WSALookupServiceBeginW(lpqsRestrictions, dwControlFlags, lphLookup): 0 or SOCKET_ERROR. Blocks (runs the virtual network) for the answer. */
  WSALookupServiceBeginW(lpqsRestrictions: WSAQUERYSETW | null, dwControlFlags: number, lphLookup: Out<HANDLE> | null): number {
    try {
      if (typeof lpqsRestrictions !== 'object' || lpqsRestrictions === null || typeof lphLookup !== 'object' || lphLookup === null) return this.fail(W.WSAEFAULT);
      const list = this.candidates(lpqsRestrictions);
      if (typeof list === 'number') return this.fail(list);
      let last = W.WSASERVICE_NOT_FOUND;
      for (const p of list) {
        const inner: Out<HANDLE> = { value: 0 };
        if (p.routines.NSPLookupServiceBegin(p.nsp.providerId, lpqsRestrictions, null, dwControlFlags, inner) === 0) return this.adopt(p, inner.value, lphLookup);
        last = p.nsp.lastErrorOf();
        if (last !== W.WSASERVICE_NOT_FOUND) break;
      }
      return this.fail(last);
    } catch {
      return this.fail(W.WSANO_RECOVERY);
    }
  }

  /** The async form of {@link WSALookupServiceBeginW} (needed on the host network). */
  async WSALookupServiceBeginWAsync(lpqsRestrictions: WSAQUERYSETW | null, dwControlFlags: number, lphLookup: Out<HANDLE> | null): Promise<number> {
    try {
      if (typeof lpqsRestrictions !== 'object' || lpqsRestrictions === null || typeof lphLookup !== 'object' || lphLookup === null) return this.fail(W.WSAEFAULT);
      const list = this.candidates(lpqsRestrictions);
      if (typeof list === 'number') return this.fail(list);
      let last = W.WSASERVICE_NOT_FOUND;
      for (const p of list) {
        const inner: Out<HANDLE> = { value: 0 };
        if (await p.nsp.lookupServiceBeginAsync(p.nsp.providerId, lpqsRestrictions, null, dwControlFlags, inner) === 0) return this.adopt(p, inner.value, lphLookup);
        last = p.nsp.lastErrorOf();
        if (last !== W.WSASERVICE_NOT_FOUND) break;
      }
      return this.fail(last);
    } catch {
      return this.fail(W.WSANO_RECOVERY);
    }
  }

  /** WSALookupServiceNextW(hLookup, dwControlFlags, lpdwBufferLength, lpqsResults). */
  WSALookupServiceNextW(hLookup: HANDLE, dwControlFlags: number, lpdwBufferLength: Out<number> | null, lpqsResults: Out<WSAQUERYSETW | null> | null): number {
    const h = this.handles.get(hLookup);
    if (h === undefined) return this.fail(W.WSA_INVALID_HANDLE);
    const r = h.provider.routines.NSPLookupServiceNext(h.inner, dwControlFlags, lpdwBufferLength, lpqsResults);
    if (r === 0) this.setError(0);
    return r;
  }

  /** WSALookupServiceEnd(hLookup): SOCKET_ERROR with WSA_INVALID_HANDLE (ERROR_INVALID_HANDLE, 6) for an unknown handle. */
  WSALookupServiceEnd(hLookup: HANDLE): number {
    const h = this.handles.get(hLookup);
    if (h === undefined) return this.fail(W.WSA_INVALID_HANDLE);
    this.handles.delete(hLookup);
    return h.provider.routines.NSPLookupServiceEnd(h.inner);
  }
}
