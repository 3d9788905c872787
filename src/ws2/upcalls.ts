// The upcall table (WSPUPCALLTABLE) ws2 gives each provider it starts: handles, events, messages, APCs, completions, provider paths.
/**
 * One table per started catalogue entry, so an upcall knows which entry's provider made it
 * (WPUPostMessage's wParam is that provider's handle, turned back into the program's SOCKET).
 * Every upcall validates its arguments and never throws.
 */
import {
  INVALID_SOCKET, SOCKET_ERROR, WSA_INVALID_HANDLE, WSAEFAULT, WSAEINVAL, WSAENOTSOCK,
} from '../provider/constants.js';
import { WSAEvent } from '../provider/readiness.js';
import { fail, isRef, probe, store } from '../spi/funnel.js';
import { signal } from '../spi/overlapped-args.js';
import type { LPWSTR } from '../spi/address-string.js';
import type { LPINT, LPWSAUSERAPC, WSAOVERLAPPED, WSATHREADID, WSPUPCALLTABLE } from '../spi/types.js';
import type { Catalog } from './catalog.js';
import type { HandleTable } from './handles.js';

/** What the upcalls need of the ws2 instance that gives them. */
export interface UpcallHost {
  readonly catalog: Catalog;
  readonly handles: HandleTable;
  /** Delivers a window message (WSAAsyncSelect); false when it cannot. */
  postMessage(hWnd: unknown, Msg: number, wParam: number, lParam: number): boolean;
  /** Queues an APC to the "thread" `lpThreadId` names; false when it names none of this ws2's. */
  queueApc(lpThreadId: WSATHREADID, fn: LPWSAUSERAPC, dwContext: number): boolean;
  /** The events WSACloseEvent closed. */
  readonly closedEvents: WeakSet<WSAEvent>;
}

/** `lpWPUQueryBlockingCallback`'s answer: no blocking hook (Winsock 2 has none; the provider blocks by itself). */
const NO_BLOCKING_CALLBACK = null;

function usable(host: UpcallHost, h: unknown): h is WSAEvent {
  return WSAEvent.is(h) && !host.closedEvents.has(h);
}

/** The upcall table for catalogue entry `entryId`. */
export function makeUpcalls(host: UpcallHost, entryId: number): WSPUPCALLTABLE {
  const upcalls: WSPUPCALLTABLE = {
    lpWPUCreateSocketHandle: (dwCatalogEntryId: number, dwContext: number, lpErrno: LPINT): number => {
      if (typeof dwCatalogEntryId !== 'number' || host.catalog.entry(dwCatalogEntryId) === undefined) return fail(lpErrno, WSAEINVAL, INVALID_SOCKET);
      return host.handles.createWpu(dwCatalogEntryId, typeof dwContext === 'number' ? dwContext : 0);
    },
    lpWPUQuerySocketHandleContext: (s: number, lpContext: LPINT, lpErrno: LPINT): number => {
      const slot = host.handles.get(s);
      if (slot === undefined || !slot.wpu) return fail(lpErrno, WSAENOTSOCK, SOCKET_ERROR);
      if (!probe(lpContext, 'value')) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      store(lpContext, 'value', slot.context);
      return 0;
    },
    lpWPUCloseSocketHandle: (s: number, lpErrno: LPINT): number => {
      const slot = host.handles.get(s);
      if (slot === undefined || !slot.wpu) return fail(lpErrno, WSAENOTSOCK, SOCKET_ERROR);
      host.handles.delete(s);
      return 0;
    },
    // IFS handles here are plain numbers with nothing to modify: the handle given is the handle kept.
    lpWPUModifyIFSHandle: (dwCatalogEntryId: number, ProposedHandle: number, lpErrno: LPINT): number => {
      if (typeof dwCatalogEntryId !== 'number' || host.catalog.entry(dwCatalogEntryId) === undefined) return fail(lpErrno, WSAEINVAL, INVALID_SOCKET);
      if (typeof ProposedHandle !== 'number') return fail(lpErrno, WSAEINVAL, INVALID_SOCKET);
      return ProposedHandle;
    },
    lpWPUPostMessage: (hWnd: unknown, Msg: number, wParam: number, lParam: number): boolean => {
      try {
        const s = host.handles.reverse(entryId, wParam) ?? wParam;
        return host.postMessage(hWnd, Msg, s, lParam);
      } catch {
        return false;
      }
    },
    lpWPUQueueApc: (lpThreadId: WSATHREADID, lpfnUserApc: LPWSAUSERAPC, dwContext: number, lpErrno: LPINT): number => {
      if (!isRef(lpThreadId) || typeof lpfnUserApc !== 'function') return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      return host.queueApc(lpThreadId, lpfnUserApc, dwContext) ? 0 : fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
    },
    // For non-IFS handles only (the function's page: WSAEINVAL for a socket WPUCreateSocketHandle did
    // not make): an IFS provider indicates its own completions (event, its completion port).
    lpWPUCompleteOverlappedRequest: (s: number, lpOverlapped: WSAOVERLAPPED, dwError: number, cbTransferred: number, lpErrno: LPINT): number => {
      const slot = host.handles.get(s);
      if (slot === undefined || !slot.wpu) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      if (!isRef(lpOverlapped)) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      void dwError; void cbTransferred; // the provider wrote Internal and InternalHigh before the call
      const ev = lpOverlapped.hEvent;
      if (ev !== null && ev !== undefined) {
        if (!WSAEvent.is(ev)) return fail(lpErrno, WSA_INVALID_HANDLE, SOCKET_ERROR);
        signal(ev, true);
      }
      return 0;
    },
    lpWPUCreateEvent: (lpErrno: LPINT): WSAEvent | null => {
      void lpErrno;
      return new WSAEvent();
    },
    lpWPUSetEvent: (hEvent: WSAEvent, lpErrno: LPINT): boolean => {
      if (!usable(host, hEvent)) return fail(lpErrno, WSA_INVALID_HANDLE, 0) !== 0;
      signal(hEvent, true);
      return true;
    },
    lpWPUResetEvent: (hEvent: WSAEvent, lpErrno: LPINT): boolean => {
      if (!usable(host, hEvent)) return fail(lpErrno, WSA_INVALID_HANDLE, 0) !== 0;
      signal(hEvent, false);
      return true;
    },
    lpWPUCloseEvent: (hEvent: WSAEvent, lpErrno: LPINT): boolean => {
      if (!usable(host, hEvent)) return fail(lpErrno, WSA_INVALID_HANDLE, 0) !== 0;
      host.closedEvents.add(hEvent);
      return true;
    },
    /** No blocking hook: `lplpfnCallback.value` gets null and the provider blocks on its own. */
    lpWPUQueryBlockingCallback: (dwCatalogEntryId: number, lplpfnCallback: { value: unknown }, lpdwContext: LPINT, lpErrno: LPINT): number => {
      if (typeof dwCatalogEntryId !== 'number' || host.catalog.entry(dwCatalogEntryId) === undefined) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
      if (!probe(lplpfnCallback, 'value') || !probe(lpdwContext, 'value')) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      store(lplpfnCallback, 'value', NO_BLOCKING_CALLBACK);
      store(lpdwContext, 'value', 0);
      return 0;
    },
    lpWPUGetProviderPath: (lpProviderId: string, lpszProviderDllPath: LPWSTR, lpProviderDllPathLen: LPINT, lpErrno: LPINT): number =>
      host.catalog.WSCGetProviderPath(lpProviderId, lpszProviderDllPath, lpProviderDllPathLen, lpErrno),
  };
  return guarded(upcalls);
}

/** What each upcall returns when it fails (SOCKET_ERROR, INVALID_SOCKET, FALSE, a null event). */
const FAILED: { readonly [K in keyof WSPUPCALLTABLE]-?: unknown } = {
  lpWPUCreateSocketHandle: INVALID_SOCKET, lpWPUQuerySocketHandleContext: SOCKET_ERROR, lpWPUCloseSocketHandle: SOCKET_ERROR,
  lpWPUModifyIFSHandle: INVALID_SOCKET, lpWPUPostMessage: false, lpWPUQueueApc: SOCKET_ERROR,
  lpWPUCompleteOverlappedRequest: SOCKET_ERROR, lpWPUCreateEvent: null, lpWPUSetEvent: false, lpWPUResetEvent: false,
  lpWPUCloseEvent: false, lpWPUQueryBlockingCallback: SOCKET_ERROR, lpWPUGetProviderPath: SOCKET_ERROR,
};

/**
 * Every upcall behind a last net: a provider (a layered one above all) may hand an upcall anything,
 * and an exception must not unwind into it. A throw becomes the upcall's failure value with
 * WSAEFAULT in its trailing lpErrno (WPUPostMessage has none).
 */
function guarded(table: WSPUPCALLTABLE): WSPUPCALLTABLE {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(table) as [keyof WSPUPCALLTABLE, (...a: unknown[]) => unknown][]) {
    out[name] = (...args: unknown[]): unknown => {
      try {
        return fn(...args);
      } catch {
        const lpErrno = name === 'lpWPUPostMessage' ? undefined : args[args.length - 1];
        try {
          if (isRef(lpErrno)) store(lpErrno, 'value', WSAEFAULT);
        } catch {
          // an lpErrno that cannot be written: the failure value says enough
        }
        return FAILED[name];
      }
    };
  }
  return out as unknown as WSPUPCALLTABLE;
}
