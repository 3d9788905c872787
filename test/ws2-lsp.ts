/**
 * A trivial pass-through layered provider for the ws2 tests: non-IFS handles (WPUCreateSocketHandle,
 * the lower provider's handle kept as the context), every call forwarded to the layer below it in
 * its chain (catalog.nextInChain: its place found by its own GUID), which may be another layer.
 */
import { INVALID_SOCKET, PROC_NAMES, SOCKET_ERROR, type FD_SET, type LPINT, type WSAPROTOCOL_INFOW, type WSPPROC_TABLE, type WSPUPCALLTABLE } from '../src/index.js';
import type { Catalog, WSPProvider } from '../src/ws2/index.js';

type Fn = (...args: unknown[]) => number;

/** Calls not taking a socket first. */
const NO_SOCKET = new Set(['WSPCleanup', 'WSPSocket', 'WSPSelect', 'WSPAddressToString', 'WSPStringToAddress', 'WSPCancelBlockingCall']);

export class PassThroughLsp implements WSPProvider {
  /** Every call the LSP forwarded, by name: proof that calls went through it. */
  readonly calls = new Map<string, number>();
  constructor(private readonly catalog: Catalog, readonly ProviderId: string) {}

  WSPStartup = (
    wVersionRequested: number, lpWSPData: object, lpProtocolInfo: WSAPROTOCOL_INFOW | null, UpcallTable: WSPUPCALLTABLE | null,
    lpProcTable: WSPPROC_TABLE,
  ): number => {
    if (lpProtocolInfo === null || UpcallTable === null) return 10022;
    const up = UpcallTable as Record<string, Fn>;
    const myId = lpProtocolInfo.dwCatalogEntryId;
    // The next layer, as an LSP finds it: its place in the chain by its own GUID, the entry below,
    // that entry's provider (WPUGetProviderPath + LoadLibrary: catalog.nextInChain does both).
    const below = this.catalog.nextInChain(lpProtocolInfo, this.ProviderId);
    if (below === undefined) return 10022;
    const nextInfo = below.info;
    const next: Record<string, Fn> = {};
    const r = below.provider.WSPStartup(wVersionRequested, lpWSPData, nextInfo, UpcallTable, next as WSPPROC_TABLE);
    if (r !== 0) return r;
    const ctx = (s: unknown): number | undefined => {
      const c = { value: 0 };
      return up.lpWPUQuerySocketHandleContext!(s, c, { value: 0 }) === 0 ? c.value : undefined;
    };
    const count = (name: string) => this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    const table = lpProcTable as Record<string, Fn>;
    for (const name of PROC_NAMES) {
      const lowerFn = next[`lp${name}`]!;
      if (NO_SOCKET.has(name)) table[`lp${name}`] = (...args) => { count(name); return lowerFn(...args); };
      else table[`lp${name}`] = (s, ...rest) => {
        count(name);
        const b = ctx(s);
        const lpErrno = rest[rest.length - 1] as LPINT;
        if (b === undefined) { lpErrno.value = 10038; return name === 'WSPAccept' ? INVALID_SOCKET : SOCKET_ERROR; }
        return lowerFn(b, ...rest);
      };
    }
    const wrapNew = (b: number, lpErrno: LPINT): number => (b === INVALID_SOCKET ? b : up.lpWPUCreateSocketHandle!(myId, b, lpErrno));
    table.lpWSPSocket = (af, type, protocol, _info, g, flags, lpErrno) => {
      count('WSPSocket');
      return wrapNew(next.lpWSPSocket!(af, type, protocol, nextInfo, g, flags, lpErrno), lpErrno as LPINT);
    };
    table.lpWSPAccept = (s, addr, addrlen, cond, data, lpErrno) => {
      count('WSPAccept');
      const b = ctx(s);
      if (b === undefined) { (lpErrno as LPINT).value = 10038; return INVALID_SOCKET; }
      return wrapNew(next.lpWSPAccept!(b, addr, addrlen, cond, data, lpErrno), lpErrno as LPINT);
    };
    table.lpWSPCloseSocket = (s, lpErrno) => {
      count('WSPCloseSocket');
      const b = ctx(s);
      if (b === undefined) { (lpErrno as LPINT).value = 10038; return SOCKET_ERROR; }
      const r = next.lpWSPCloseSocket!(b, lpErrno);
      if (r === 0) up.lpWPUCloseSocketHandle!(s, lpErrno);
      return r;
    };
    table.lpWSPSelect = (nfds, r, w, x, timeout, lpErrno) => {
      count('WSPSelect');
      const back = new Map<number, number>();
      const down = (set: unknown): FD_SET | null => {
        if (set === null || set === undefined) return null;
        const f = set as FD_SET;
        return { fd_count: f.fd_count, fd_array: f.fd_array.slice(0, f.fd_count).map((s) => { const b = ctx(s) ?? -1; back.set(b, s); return b; }) };
      };
      const sets = [r, w, x].map(down);
      const ret = next.lpWSPSelect!(nfds, sets[0], sets[1], sets[2], timeout, lpErrno);
      if (ret !== SOCKET_ERROR) [r, w, x].forEach((set, i) => {
        if (set === null || set === undefined) return;
        const f = set as FD_SET;
        f.fd_array = sets[i]!.fd_array.slice(0, sets[i]!.fd_count).map((b) => back.get(b)!);
        f.fd_count = f.fd_array.length;
      });
      return ret;
    };
    return 0;
  };
}
