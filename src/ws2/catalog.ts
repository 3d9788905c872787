// The protocol catalogue ws2_32 loads providers from: base entries, layered entries, protocol chains; enumeration and selection.
/**
 * The Winsock catalogue (what WSCInstallProvider writes and WSAEnumProtocols reads): an ordered
 * list of WSAPROTOCOL_INFOW entries, each naming the provider that serves it. A base entry
 * (ChainLen 1) is served by a base provider; a layered entry (ChainLen 0) only names a layered
 * provider; a protocol chain (ChainLen > 1) lists catalogue entry ids from the top layer down to
 * the base entry, and is served by the provider of its first (top) entry.
 */
import {
  AF_UNSPEC, BASE_PROTOCOL, LAYERED_PROTOCOL, MAX_PROTOCOL_CHAIN, PFL_HIDDEN, PFL_MATCHES_PROTOCOL_ZERO, SOCKET_ERROR,
  WSAEAFNOSUPPORT, WSAEFAULT, WSAEINVAL, WSAENOBUFS, WSAEPROTONOSUPPORT, WSAESOCKTNOSUPPORT, XP1_IFS_HANDLES,
} from '../provider/constants.js';
import { fail, isRef, probe, store } from '../spi/funnel.js';
import type { WSPPROC_TABLE } from '../spi/service-provider.js';
import type { LPINT, WSAPROTOCOL_INFOW, WSPDATA, WSPUPCALLTABLE } from '../spi/types.js';
import type { LPWSTR } from '../spi/address-string.js';

/** sizeof(WSAPROTOCOL_INFOW) in C: what lpdwBufferLength counts, per entry. */
export const WSAPROTOCOL_INFOW_SIZE = 628;

/** What ws2_32 needs of a provider DLL: its WSPStartup (a ServiceProvider, or a layered provider). */
export interface WSPProvider {
  WSPStartup(
    wVersionRequested: number, lpWSPData: WSPDATA, lpProtocolInfo: WSAPROTOCOL_INFOW | null,
    UpcallTable: WSPUPCALLTABLE | null, lpProcTable: WSPPROC_TABLE,
  ): number;
}

/** A base provider as the catalogue installs it: its WSPStartup and the entries it reports (ServiceProvider has both). */
export interface BaseProvider extends WSPProvider {
  protocols(): WSAPROTOCOL_INFOW[];
}

/** One installed entry and what serves it. */
interface Entry {
  info: WSAPROTOCOL_INFOW;
  /** The provider DLL's "path": the key LoadProvider knows it by. */
  path: string;
  /** For a base entry: the record its provider reported (its own catalogue id), for the calls that check it. */
  native: WSAPROTOCOL_INFOW | null;
}

/** Options of {@link Catalog.installLayered}. */
export interface LayeredInstall {
  /** The layered provider's GUID (ProviderId of its layered entry and its chains). */
  ProviderId: string;
  /** Its name: the layered entry's szProtocol; each chain is named `name over [lower's szProtocol]`. */
  name: string;
  /** Catalogue ids of the entries (base entries or chains) to layer over: one chain each. */
  over: readonly number[];
  /** Where the new chains go: 'top' (default; selected before what they cover, as LSP installers order them) or 'bottom'. */
  position?: 'top' | 'bottom';
  /** The provider makes IFS handles (XP1_IFS_HANDLES kept on its chains). Default false: non-IFS, WPUCreateSocketHandle. */
  ifs?: boolean;
}

function copy(info: WSAPROTOCOL_INFOW): WSAPROTOCOL_INFOW {
  return { ...info, ProtocolChain: { ChainLen: info.ProtocolChain.ChainLen, ChainEntries: [...info.ProtocolChain.ChainEntries] } };
}

/**
 * The catalogue. Ids are given at install, counting from 1001 (the first base provider's entries
 * keep the numbers this package's provider reports for itself).
 */
export class Catalog {
  private readonly entries: Entry[] = [];
  private readonly paths = new Map<string, WSPProvider>();
  private nextId = 1001;

  /**
   * WSCInstallProvider for a base provider: its entries (from `protocols()`) go at the end of the
   * catalogue, as base entries (ChainLen 1, ChainEntries [own id]). Returns copies of the installed entries.
   */
  installBase(provider: BaseProvider, path = `winsock-spi:base:${this.paths.size + 1}`): WSAPROTOCOL_INFOW[] {
    this.paths.set(path, provider);
    const added: Entry[] = provider.protocols().map((native) => {
      const info = copy(native);
      info.dwCatalogEntryId = this.nextId++;
      info.ProtocolChain = { ChainLen: BASE_PROTOCOL, ChainEntries: [info.dwCatalogEntryId] };
      return { info, path, native: copy(native) };
    });
    this.entries.push(...added);
    return added.map((e) => copy(e.info));
  }

  /**
   * Installs a layered provider: one layered entry (ChainLen 0, hidden from WSAEnumProtocols) and,
   * for each entry in `over`, a protocol chain [layered id, ...the lower entry's chain]. Returns
   * copies of the layered entry and the chains. Throws (an installer's mistake, not a Winsock call)
   * on an unknown lower entry, a layered one, or a chain that would pass MAX_PROTOCOL_CHAIN.
   */
  installLayered(provider: WSPProvider, opts: LayeredInstall, path = `winsock-spi:layered:${opts.ProviderId}`): {
    layered: WSAPROTOCOL_INFOW; chains: WSAPROTOCOL_INFOW[];
  } {
    const lowers = opts.over.map((id) => {
      const e = this.find(id);
      if (e === undefined || e.info.ProtocolChain.ChainLen === LAYERED_PROTOCOL) throw new RangeError(`no base entry or chain ${id} to layer over`);
      const below = e.info.ProtocolChain.ChainLen === BASE_PROTOCOL ? [e.info.dwCatalogEntryId] : e.info.ProtocolChain.ChainEntries;
      if (below.length + 1 > MAX_PROTOCOL_CHAIN) throw new RangeError(`a chain over ${id} would be longer than ${MAX_PROTOCOL_CHAIN}`);
      return { e, below };
    });
    this.paths.set(path, provider);
    const first = lowers[0]?.e.info;
    const layered: WSAPROTOCOL_INFOW = {
      ...(first ? copy(first) : copy(this.entries[0]!.info)),
      ProviderId: opts.ProviderId,
      dwCatalogEntryId: this.nextId++,
      ProtocolChain: { ChainLen: LAYERED_PROTOCOL, ChainEntries: [] },
      dwProviderFlags: PFL_HIDDEN,
      szProtocol: opts.name,
    };
    const chains: Entry[] = lowers.map(({ e, below }) => {
      const info = copy(e.info);
      info.ProviderId = opts.ProviderId;
      info.dwCatalogEntryId = this.nextId++;
      info.ProtocolChain = { ChainLen: below.length + 1, ChainEntries: [layered.dwCatalogEntryId, ...below] };
      if (!opts.ifs) info.dwServiceFlags1 &= ~XP1_IFS_HANDLES;
      info.szProtocol = `${opts.name} over [${e.info.szProtocol}]`.slice(0, 255);
      return { info, path, native: null };
    });
    this.entries.push({ info: layered, path, native: null });
    if (opts.position === 'bottom') this.entries.push(...chains);
    else this.entries.unshift(...chains);
    return { layered: copy(layered), chains: chains.map((c) => copy(c.info)) };
  }

  /** The installed entry with this id (a copy), or undefined. */
  entry(dwCatalogEntryId: number): WSAPROTOCOL_INFOW | undefined {
    const e = this.find(dwCatalogEntryId);
    return e && copy(e.info);
  }

  /** @internal The entry, the provider serving it (the top layer's for a chain) and, for a base entry, its native record. */
  resolve(dwCatalogEntryId: number): { info: WSAPROTOCOL_INFOW; provider: WSPProvider; native: WSAPROTOCOL_INFOW | null } | undefined {
    const e = this.find(dwCatalogEntryId);
    if (e === undefined) return undefined;
    const top = e.info.ProtocolChain.ChainLen > BASE_PROTOCOL ? this.find(e.info.ProtocolChain.ChainEntries[0]!) : e;
    const provider = top && this.paths.get(top.path);
    if (provider === undefined) return undefined;
    return { info: e.info, provider, native: e.native };
  }

  /** @internal The base entry at the bottom of an entry's chain (itself for a base entry). */
  baseOf(dwCatalogEntryId: number): { info: WSAPROTOCOL_INFOW; provider: WSPProvider; native: WSAPROTOCOL_INFOW } | undefined {
    const e = this.find(dwCatalogEntryId);
    if (e === undefined) return undefined;
    const chain = e.info.ProtocolChain;
    const base = chain.ChainLen > BASE_PROTOCOL ? this.find(chain.ChainEntries[chain.ChainEntries.length - 1]!) : e;
    const provider = base && this.paths.get(base.path);
    if (base === undefined || base.native === null || provider === undefined) return undefined;
    return { info: base.info, provider, native: base.native };
  }

  /**
   * For a layered provider in WSPStartup: the layer under it in the chain `lpProtocolInfo`. It finds
   * its place by its own GUID (`myProviderId`: the layered entry of that GUID among ChainEntries),
   * and gets the next entry's provider (what WPUGetProviderPath and LoadLibrary give) and the record
   * to hand that provider's WSPStartup and WSPSocket: the base entry's record when the next layer is
   * the base, else the chain itself (the next layered provider finds its own place in it, as the
   * SDK's LSP sample does). Undefined: not a chain, or this GUID is not in it, or nothing below.
   */
  nextInChain(lpProtocolInfo: WSAPROTOCOL_INFOW, myProviderId: string): { provider: WSPProvider; info: WSAPROTOCOL_INFOW; base: boolean } | undefined {
    const ids = lpProtocolInfo?.ProtocolChain?.ChainEntries;
    if (!Array.isArray(ids) || lpProtocolInfo.ProtocolChain.ChainLen <= BASE_PROTOCOL) return undefined;
    const at = ids.findIndex((id) => this.find(id)?.info.ProviderId === myProviderId && this.find(id)?.info.ProtocolChain.ChainLen === LAYERED_PROTOCOL);
    const next = at < 0 ? undefined : this.find(ids[at + 1]!);
    if (next === undefined) return undefined;
    const provider = this.paths.get(next.path);
    if (provider === undefined) return undefined;
    const base = next.info.ProtocolChain.ChainLen === BASE_PROTOCOL;
    return { provider, info: copy(base ? next.info : lpProtocolInfo), base };
  }

  /** LoadLibrary for a provider path (what WSCGetProviderPath / WPUGetProviderPath answer): the provider, or null. */
  LoadProvider(path: string): WSPProvider | null {
    return this.paths.get(path) ?? null;
  }

  /**
   * WSCGetProviderPath: the "DLL path" of the provider with this GUID, in `lpszProviderDllPath.value`;
   * `lpProviderDllPathLen.value` in characters with the NUL, in and out. Unknown GUID: WSAEINVAL;
   * too small: WSAEFAULT with the length needed.
   */
  WSCGetProviderPath(lpProviderId: string, lpszProviderDllPath: LPWSTR, lpProviderDllPathLen: LPINT, lpErrno: LPINT): number {
    try {
      const e = this.entries.find((x) => x.info.ProviderId === lpProviderId);
      if (e === undefined) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      if (!isRef(lpProviderDllPathLen) || typeof lpProviderDllPathLen.value !== 'number' || !probe(lpProviderDllPathLen, 'value')) {
        return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      }
      const need = e.path.length + 1;
      if (lpProviderDllPathLen.value < need) {
        store(lpProviderDllPathLen, 'value', need);
        return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      }
      if (!probe(lpszProviderDllPath, 'value')) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      store(lpszProviderDllPath, 'value', e.path);
      store(lpProviderDllPathLen, 'value', need);
      return 0;
    } catch {
      return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
    }
  }

  /**
   * WSCEnumProtocols: every entry (layered and PFL_HIDDEN ones too) in catalogue order. Same
   * buffer rules as {@link enumerate}; the code goes to lpErrno.
   */
  WSCEnumProtocols(lpiProtocols: readonly number[] | null, lpProtocolBuffer: WSAPROTOCOL_INFOW[] | null, lpdwBufferLength: LPINT, lpErrno: LPINT): number {
    const r = this.enumerate(lpiProtocols, lpProtocolBuffer, lpdwBufferLength, true);
    return r < 0 ? fail(lpErrno, -r, SOCKET_ERROR) : r;
  }

  /**
   * The body of WSAEnumProtocols (`all` false) and WSCEnumProtocols (`all` true): the matching
   * entries, copied into `lpProtocolBuffer` from index 0; the count, or a negated code. A
   * buffer of fewer than count × 628 bytes (as `lpdwBufferLength.value` says), or none, is
   * WSAENOBUFS with the size needed written back (Wine's test_WSAEnumProtocols: (NULL, NULL, &0)
   * and (NULL, &one, &0) both). `lpiProtocols`: a list of iProtocol values ended by 0 (or the
   * array's end); null: all. Without `all`, layered (ChainLen 0) and PFL_HIDDEN entries are left out.
   */
  enumerate(lpiProtocols: readonly number[] | null, lpProtocolBuffer: WSAPROTOCOL_INFOW[] | null, lpdwBufferLength: LPINT, all: boolean): number {
    try {
      let filter: Set<number> | null = null;
      if (lpiProtocols !== null && lpiProtocols !== undefined) {
        if (!Array.isArray(lpiProtocols)) return -WSAEFAULT;
        filter = new Set();
        for (const p of lpiProtocols) {
          if (p === 0) break;
          filter.add(p);
        }
      }
      if (!isRef(lpdwBufferLength) || typeof lpdwBufferLength.value !== 'number' || !probe(lpdwBufferLength, 'value')) return -WSAEFAULT;
      const list = this.entries.filter((e) =>
        (all || (e.info.ProtocolChain.ChainLen !== LAYERED_PROTOCOL && (e.info.dwProviderFlags & PFL_HIDDEN) === 0))
        && (filter === null || filter.has(e.info.iProtocol)));
      const need = list.length * WSAPROTOCOL_INFOW_SIZE;
      const have = lpdwBufferLength.value;
      if (lpProtocolBuffer === null || lpProtocolBuffer === undefined || have < need) {
        store(lpdwBufferLength, 'value', need);
        return -WSAENOBUFS;
      }
      if (!Array.isArray(lpProtocolBuffer) || Object.isFrozen(lpProtocolBuffer)) return -WSAEFAULT;
      list.forEach((e, i) => { lpProtocolBuffer[i] = copy(e.info); });
      return list.length;
    } catch {
      return -WSAEFAULT;
    }
  }

  /**
   * The entry WSASocket picks for (af, type, protocol): the first visible entry (catalogue
   * order) whose family and type match (0: any) and whose protocol is `protocol`, or, for protocol
   * 0, that has PFL_MATCHES_PROTOCOL_ZERO. None: the code Windows gives (Wine's test_WSASocket
   * table): af and protocol both 0 is WSAEINVAL (checked first); else a type no entry has is WSAESOCKTNOSUPPORT,
   * then a family no entry has WSAEAFNOSUPPORT, then WSAEPROTONOSUPPORT.
   */
  select(af: number, type: number, protocol: number): WSAPROTOCOL_INFOW | number {
    // Neither a family nor a protocol: nothing to choose by, whatever the type (test_WSASocket's AF_UNSPEC rows).
    if (af === AF_UNSPEC && protocol === 0) return WSAEINVAL;
    const visible = this.entries.map((e) => e.info)
      .filter((i) => i.ProtocolChain.ChainLen !== LAYERED_PROTOCOL && (i.dwProviderFlags & PFL_HIDDEN) === 0);
    const hit = visible.find((i) => (af === AF_UNSPEC || i.iAddressFamily === af) && (type === 0 || i.iSocketType === type)
      && (protocol === 0 ? (i.dwProviderFlags & PFL_MATCHES_PROTOCOL_ZERO) !== 0 : i.iProtocol === protocol));
    if (hit !== undefined) return hit;
    if (type !== 0 && !visible.some((i) => i.iSocketType === type)) return WSAESOCKTNOSUPPORT;
    if (af !== AF_UNSPEC && !visible.some((i) => i.iAddressFamily === af)) return WSAEAFNOSUPPORT;
    return WSAEPROTONOSUPPORT;
  }

  /**
   * @internal How a wait blocks: the first base provider's transport (a ServiceProvider's
   * `core.transport.block`: runs the virtual network, or waits on a worker thread), or undefined.
   */
  blocker(): ((ready: () => boolean, timeoutMs?: number) => 'done' | 'idle' | 'deadline' | 'unsupported') | undefined {
    for (const e of this.entries) {
      if (e.native === null) continue;
      const transport = (this.paths.get(e.path) as { core?: { transport?: { block?: unknown } } } | undefined)?.core?.transport;
      if (transport && typeof transport.block === 'function') return (ready, ms) => (transport.block as (r: () => boolean, t?: number) => never)(ready, ms);
    }
    return undefined;
  }

  private find(id: number): Entry | undefined {
    return this.entries.find((e) => e.info.dwCatalogEntryId === id);
  }
}
