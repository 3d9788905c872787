/**
 * C types of ws2spi.h as JavaScript values. Pointers become objects the callee writes into.
 */

/** `LPINT`, `LPDWORD`, `GROUP*`: an in/out integer. */
export interface LPINT {
  value: number;
}

/** `WSABUF`: a length and a buffer. */
export interface WSABUF {
  len: number;
  buf: Uint8Array;
}

/**
 * WSPAccept's condition function (`LPCONDITIONPROC`). Caller and callee ids are WSABUFs
 * holding sockaddr bytes; connect data and QOS are not carried by TCP (null).
 * Returns CF_ACCEPT, CF_REJECT or CF_DEFER.
 */
export type ConditionProc = (
  lpCallerId: WSABUF | null,
  lpCallerData: WSABUF | null,
  lpSQOS: unknown,
  lpGQOS: unknown,
  lpCalleeId: WSABUF | null,
  lpCalleeData: WSABUF | null,
  g: LPINT,
  dwCallbackData: unknown,
) => number;

/** `WSPDATA`, filled by WSPStartup. */
export interface WSPDATA {
  wVersion?: number;
  wHighVersion?: number;
  szDescription?: string;
}

/** `WSAPROTOCOLCHAIN`. */
export interface WSAPROTOCOLCHAIN {
  ChainLen: number;
  ChainEntries: number[];
}

/** `WSAPROTOCOL_INFOW`, one entry of the protocol catalogue. */
export interface WSAPROTOCOL_INFOW {
  dwServiceFlags1: number;
  dwServiceFlags2: number;
  dwServiceFlags3: number;
  dwServiceFlags4: number;
  dwProviderFlags: number;
  /** The provider's GUID as text. */
  ProviderId: string;
  dwCatalogEntryId: number;
  ProtocolChain: WSAPROTOCOLCHAIN;
  iVersion: number;
  iAddressFamily: number;
  iMaxSockAddr: number;
  iMinSockAddr: number;
  iSocketType: number;
  iProtocol: number;
  iProtocolMaxOffset: number;
  iNetworkByteOrder: number;
  iSecurityScheme: number;
  dwMessageSize: number;
  dwProviderReserved: number;
  szProtocol: string;
}

/** The upcalls of ws2spi.h's `WSPUPCALLTABLE`, without their `lp` prefix. */
export const UPCALL_NAMES = [
  'WPUCloseEvent', 'WPUCloseSocketHandle', 'WPUCreateEvent', 'WPUCreateSocketHandle', 'WPUFDIsSet',
  'WPUGetProviderPath', 'WPUModifyIFSHandle', 'WPUPostMessage', 'WPUQueryBlockingCallback',
  'WPUQuerySocketHandleContext', 'WPUQueueApc', 'WPUResetEvent', 'WPUSetEvent', 'WPUOpenCurrentThread',
  'WPUCloseThread', 'WPUCompleteOverlappedRequest',
] as const;

/**
 * `WSPUPCALLTABLE`: what ws2_32 offers the provider. WSPStartup reads the functions once;
 * WSPAsyncSelect posts through `lpWPUPostMessage`.
 */
export interface WSPUPCALLTABLE {
  /** Posts a WSPAsyncSelect message: the window, the message, the socket (wParam) and WSAMAKESELECTREPLY (lParam). */
  lpWPUPostMessage?: (hWnd: unknown, Msg: number, wParam: number, lParam: number) => boolean;
  [name: string]: unknown;
}

/** An fd_set: the first `fd_count` entries of `fd_array` are the set; WSPSelect rewrites both. */
export interface FD_SET {
  fd_count: number;
  fd_array: number[];
}

/** A select time-out. */
export interface TIMEVAL {
  tv_sec: number;
  tv_usec: number;
}

/** What WSPEnumNetworkEvents fills: the recorded FD_* bits and an error per FD_*_BIT. */
export interface WSANETWORKEVENTS {
  lNetworkEvents: number;
  iErrorCode: number[];
}

/**
 * `WSAOVERLAPPED`. Overlapped I/O is not offered yet: the functions that take one fail with
 * WSAEOPNOTSUPP when it is not null.
 */
export interface WSAOVERLAPPED {
  Internal: number;
  InternalHigh: number;
  Offset: number;
  OffsetHigh: number;
  hEvent: unknown;
}

/** `LPWSAOVERLAPPED_COMPLETION_ROUTINE` (not offered yet: pass null). */
export type WSAOVERLAPPED_COMPLETION_ROUTINE = (dwError: number, cbTransferred: number, lpOverlapped: WSAOVERLAPPED, dwFlags: number) => void;

/** `WSATHREADID`: the thread that initiated an overlapped operation (used with completion routines). */
export interface WSATHREADID {
  ThreadHandle: unknown;
  Reserved: number;
}
