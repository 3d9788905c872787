/** The namespace-provider side of ws2spi.h: NSPStartup and an NS_DNS provider's NSP_ROUTINE over a network's naming. */
import * as W from '../provider/constants.js';
import { encodeSockAddr } from '../spi/sockaddr.js';
import { parseIpAddress } from '../wire/ip.js';
import type { LookupResult, NameSource, ReverseResult } from './source.js';
import {
  LUP_RETURN_ADDR, LUP_RETURN_ALIASES, LUP_RETURN_NAME, LUP_RETURN_TYPE, NS_ALL, NS_DNS, NSP_ROUTINE_SIZE,
  SVCID_HOSTNAME, SVCID_INET_HOSTADDRBYINETSTRING, SVCID_INET_HOSTADDRBYNAME, SIZEOF_WSAQUERYSETW_32, SIZEOF_WSAQUERYSETW_64,
  emptyQuerySet, type CSADDR_INFO, type GUID, type HANDLE, type NSP_ROUTINE, type Out, type WSAQUERYSETW,
} from './types.js';

/** Bytes a result set takes in the caller's buffer: the 64-bit WSAQUERYSETW, its strings, GUID and addresses. */
export function querySetSize(qs: WSAQUERYSETW): number {
  let size = SIZEOF_WSAQUERYSETW_64;
  if (qs.lpszServiceInstanceName !== null) size += 2 * (qs.lpszServiceInstanceName.length + 1);
  if (qs.lpServiceClassId !== null) size += 16;
  if (qs.lpNSProviderId !== null) size += 16;
  for (const c of qs.lpcsaBuffer ?? []) size += 48 + c.LocalAddr.iSockaddrLength + c.RemoteAddr.iSockaddrLength;
  return size;
}

interface Lookup {
  flags: number;
  classId: GUID;
  name: string;
  /** Set when the answer is in. */
  answer: { error: number; name: string; addresses: string[] } | undefined;
  pending: { cancel(): void } | undefined;
  returned: boolean;
  /** Called once the answer is in (the async Begin waits here). */
  onAnswer: (() => void) | undefined;
}

/** Options of a namespace provider. */
export interface NspOptions {
  /** Where the provider's WSASetLastError goes. Default: {@link NamespaceProvider.lastError}. */
  setLastError?: (code: number) => void;
}

/**
 * An NS_DNS namespace provider over a network's naming: lookups of SVCID_INET_HOSTADDRBYNAME
 * (addresses of a name), SVCID_HOSTNAME (the local name, or addresses of a name given) and
 * SVCID_INET_HOSTADDRBYINETSTRING (the name of an address). NSPLookupServiceBegin asks the
 * network and waits for the answer (in virtual time; on the host, use {@link lookupServiceBeginAsync});
 * NSPLookupServiceNext returns one result set, then WSA_E_NO_MORE. Registration calls
 * (NSPSetService, service classes, NSPIoctl) answer WSAEOPNOTSUPP, as the DNS provider does.
 */
export class NamespaceProvider {
  lastError = 0;
  private readonly sink: (code: number) => void;
  private readonly lookups = new Map<HANDLE, Lookup>();
  private nextHandle = 0x4000;
  private started = 0;

  constructor(
    readonly source: NameSource,
    options: NspOptions = {},
  ) {
    this.sink = options.setLastError ?? ((code) => { this.lastError = code; });
  }

  /** The provider id this NSP answers to. */
  get providerId(): GUID {
    return this.source.providerId;
  }

  private lastCode = 0;

  private fail(code: number): number {
    this.lastCode = code;
    try { this.sink(code); } catch { /* the sink must not throw through */ }
    return W.SOCKET_ERROR;
  }

  /** The code of this provider's last failure (whatever the sink did with it). */
  lastErrorOf(): number {
    return this.lastCode;
  }

  /** NSPStartup(lpProviderId, lpnspRoutines): fills the routine table. */
  NSPStartup(lpProviderId: GUID, lpnspRoutines: Out<NSP_ROUTINE | null> | null): number {
    if (typeof lpnspRoutines !== 'object' || lpnspRoutines === null) return this.fail(W.WSAEFAULT);
    if (typeof lpProviderId !== 'string' || lpProviderId.toLowerCase() !== this.providerId) return this.fail(W.WSAEINVALIDPROVIDER);
    this.started++;
    lpnspRoutines.value = this.routines();
    return 0;
  }

  /** The NSP_ROUTINE table (what NSPStartup hands out). */
  routines(): NSP_ROUTINE {
    const unsupported = () => this.fail(W.WSAEOPNOTSUPP);
    return {
      cbSize: NSP_ROUTINE_SIZE, dwMajorVersion: 4, dwMinorVersion: 4,
      NSPCleanup: (id) => this.NSPCleanup(id),
      NSPLookupServiceBegin: (id, qs, info, flags, h) => this.NSPLookupServiceBegin(id, qs, info, flags, h),
      NSPLookupServiceNext: (h, flags, len, qs) => this.NSPLookupServiceNext(h, flags, len, qs),
      NSPLookupServiceEnd: (h) => this.NSPLookupServiceEnd(h),
      NSPSetService: unsupported, NSPInstallServiceClass: unsupported, NSPRemoveServiceClass: unsupported,
      NSPGetServiceClassInfo: unsupported, NSPIoctl: unsupported,
    };
  }

  /** NSPCleanup: one NSPStartup undone; the last one ends every lookup. */
  NSPCleanup(lpProviderId: GUID): number {
    if (typeof lpProviderId !== 'string' || lpProviderId.toLowerCase() !== this.providerId) return this.fail(W.WSAEINVALIDPROVIDER);
    if (this.started === 0) return this.fail(W.WSANOTINITIALISED);
    if (--this.started === 0) {
      for (const l of this.lookups.values()) l.pending?.cancel();
      this.lookups.clear();
    }
    return 0;
  }

  /** Checks the restrictions and starts the query; the handle or SOCKET_ERROR. */
  private begin(lpqsRestrictions: WSAQUERYSETW | null, dwControlFlags: number, lphLookup: Out<HANDLE> | null, noNetwork = false): Lookup | number {
    if (typeof lpqsRestrictions !== 'object' || lpqsRestrictions === null || typeof lphLookup !== 'object' || lphLookup === null) return W.WSAEFAULT;
    const qs = lpqsRestrictions;
    if (qs.dwSize !== SIZEOF_WSAQUERYSETW_64 && qs.dwSize !== SIZEOF_WSAQUERYSETW_32) return W.WSAEINVAL;
    if (!Number.isInteger(dwControlFlags)) return W.WSAEINVAL;
    if (qs.dwNameSpace !== NS_ALL && qs.dwNameSpace !== NS_DNS) return W.WSAEINVAL;
    if (typeof qs.lpServiceClassId !== 'string') return W.WSAEINVAL;
    const classId = qs.lpServiceClassId.toLowerCase();
    const name = qs.lpszServiceInstanceName;
    if (name !== null && typeof name !== 'string') return W.WSAEFAULT;
    const lookup: Lookup = { flags: dwControlFlags, classId, name: name ?? '', answer: undefined, pending: undefined, returned: false, onAnswer: undefined };
    const local = this.source.hostName();
    if (classId === SVCID_HOSTNAME && (name === null || name === '')) {
      lookup.answer = { error: 0, name: local, addresses: [] };
    } else if (classId === SVCID_HOSTNAME || classId === SVCID_INET_HOSTADDRBYNAME) {
      if (name === null || name === '') return W.WSAEINVAL;
      if (/^localhost\.?$/i.test(name)) lookup.answer = { error: 0, name: 'localhost', addresses: ['127.0.0.1'] };
      else {
        const numeric = parseIpAddress(name);
        if (numeric !== undefined) lookup.answer = { error: 0, name, addresses: [numeric.text] };
        else if (noNetwork) return W.WSAEWOULDBLOCK;
        else {
          lookup.pending = this.source.lookup(name, { a: true, aaaa: true }, (r: LookupResult) => {
            lookup.pending = undefined;
            const addresses = [...r.ipv6, ...r.ipv4];
            lookup.answer = r.error !== 0 ? { error: r.error, name, addresses: [] }
              : addresses.length === 0 ? { error: W.WSANO_DATA, name, addresses: [] } : { error: 0, name: r.canonicalName, addresses };
            lookup.onAnswer?.();
          });
        }
      }
    } else if (classId === SVCID_INET_HOSTADDRBYINETSTRING) {
      const numeric = name === null ? undefined : parseIpAddress(name);
      if (numeric === undefined) return W.WSAEINVAL;
      if (noNetwork) return W.WSAEWOULDBLOCK;
      lookup.pending = this.source.reverse(numeric.text, (r: ReverseResult) => {
        lookup.pending = undefined;
        lookup.answer = r.error !== 0 ? { error: r.error, name: numeric.text, addresses: [] } : { error: 0, name: r.name, addresses: [numeric.text] };
        lookup.onAnswer?.();
      });
    } else {
      return W.WSASERVICE_NOT_FOUND;
    }
    return lookup;
  }

  private settle(lookup: Lookup, lphLookup: Out<HANDLE>): number {
    const answer = lookup.answer!;
    if (answer.error !== 0) return this.fail(answer.error);
    const handle = this.nextHandle++;
    this.lookups.set(handle, lookup);
    lphLookup.value = handle;
    return 0;
  }

  /**
   * NSPLookupServiceBegin(lpProviderId, lpqsRestrictions, lpServiceClassInfo, dwControlFlags,
   * lphLookup): asks and waits; a name that does not resolve fails here (WSAHOST_NOT_FOUND,
   * WSANO_DATA, WSATRY_AGAIN, WSANO_RECOVERY), as Windows' DNS provider does.
   */
  NSPLookupServiceBegin(lpProviderId: GUID, lpqsRestrictions: WSAQUERYSETW | null, lpServiceClassInfo: unknown, dwControlFlags: number, lphLookup: Out<HANDLE> | null): number {
    try {
      if (typeof lpProviderId !== 'string' || lpProviderId.toLowerCase() !== this.providerId) return this.fail(W.WSAEINVALIDPROVIDER);
      if (this.started === 0) return this.fail(W.WSANOTINITIALISED);
      const lookup = this.begin(lpqsRestrictions, dwControlFlags, lphLookup, !this.source.canBlock);
      if (typeof lookup === 'number') return this.fail(lookup);
      if (lookup.answer === undefined) this.source.block(() => lookup.answer !== undefined);
      if (lookup.answer === undefined) {
        lookup.pending?.cancel();
        return this.fail(W.WSAEWOULDBLOCK);
      }
      return this.settle(lookup, lphLookup!);
    } catch {
      return this.fail(W.WSANO_RECOVERY);
    }
  }

  /** NSPLookupServiceBegin that waits without blocking (the host network's form). */
  async lookupServiceBeginAsync(lpProviderId: GUID, lpqsRestrictions: WSAQUERYSETW | null, lpServiceClassInfo: unknown, dwControlFlags: number, lphLookup: Out<HANDLE> | null): Promise<number> {
    try {
      if (typeof lpProviderId !== 'string' || lpProviderId.toLowerCase() !== this.providerId) return this.fail(W.WSAEINVALIDPROVIDER);
      if (this.started === 0) return this.fail(W.WSANOTINITIALISED);
      const lookup = this.begin(lpqsRestrictions, dwControlFlags, lphLookup);
      if (typeof lookup === 'number') return this.fail(lookup);
      if (lookup.answer === undefined) {
        await new Promise<void>((resolve) => { lookup.onAnswer = resolve; });
      }
      return this.settle(lookup, lphLookup!);
    } catch {
      return this.fail(W.WSANO_RECOVERY);
    }
  }

  /**
   * NSPLookupServiceNext(hLookup, dwControlFlags, lpdwBufferLength, lpqsResults): the result set
   * (what LUP_RETURN_* asked for), WSAEFAULT with the size needed in `lpdwBufferLength` when it
   * does not fit, WSA_E_NO_MORE once it was returned, WSA_INVALID_HANDLE for an unknown handle.
   */
  NSPLookupServiceNext(hLookup: HANDLE, dwControlFlags: number, lpdwBufferLength: Out<number> | null, lpqsResults: Out<WSAQUERYSETW | null> | null): number {
    try {
      const lookup = this.lookups.get(hLookup);
      if (lookup === undefined) return this.fail(W.WSA_INVALID_HANDLE);
      if (typeof lpdwBufferLength !== 'object' || lpdwBufferLength === null || typeof lpqsResults !== 'object' || lpqsResults === null
        || !Number.isInteger(lpdwBufferLength.value) || lpdwBufferLength.value < 0) return this.fail(W.WSAEFAULT);
      if (lookup.returned) return this.fail(W.WSA_E_NO_MORE);
      const qs = this.resultSet(lookup, Number.isInteger(dwControlFlags) && dwControlFlags !== 0 ? dwControlFlags | lookup.flags : lookup.flags);
      const size = querySetSize(qs);
      if (size > lpdwBufferLength.value) {
        lpdwBufferLength.value = size;
        return this.fail(W.WSAEFAULT);
      }
      lookup.returned = true;
      lpqsResults.value = qs;
      return 0;
    } catch {
      return this.fail(W.WSANO_RECOVERY);
    }
  }

  /** NSPLookupServiceEnd(hLookup). */
  NSPLookupServiceEnd(hLookup: HANDLE): number {
    const lookup = this.lookups.get(hLookup);
    if (lookup === undefined) return this.fail(W.WSA_INVALID_HANDLE);
    lookup.pending?.cancel();
    this.lookups.delete(hLookup);
    return 0;
  }

  private resultSet(lookup: Lookup, flags: number): WSAQUERYSETW {
    const answer = lookup.answer!;
    const qs = emptyQuerySet();
    qs.dwNameSpace = NS_DNS;
    qs.lpNSProviderId = this.providerId;
    if ((flags & LUP_RETURN_NAME) !== 0) qs.lpszServiceInstanceName = answer.name;
    if ((flags & LUP_RETURN_TYPE) !== 0) qs.lpServiceClassId = lookup.classId;
    if ((flags & LUP_RETURN_ADDR) !== 0 && answer.addresses.length > 0) {
      const csa: CSADDR_INFO[] = answer.addresses.map((text) => {
        const v6 = text.includes(':');
        const remote = encodeSockAddr({ family: v6 ? W.AF_INET6 : W.AF_INET, address: text, port: 0 });
        const localBytes = encodeSockAddr({ family: v6 ? W.AF_INET6 : W.AF_INET, address: v6 ? '::' : '0.0.0.0', port: 0 });
        return {
          LocalAddr: { lpSockaddr: localBytes, iSockaddrLength: localBytes.length },
          RemoteAddr: { lpSockaddr: remote, iSockaddrLength: remote.length },
          iSocketType: W.SOCK_STREAM, iProtocol: W.IPPROTO_TCP,
        };
      });
      qs.lpcsaBuffer = csa;
      qs.dwNumberOfCsAddrs = csa.length;
    }
    void LUP_RETURN_ALIASES; // no aliases in either namespace (no CNAME records)
    return qs;
  }
}
