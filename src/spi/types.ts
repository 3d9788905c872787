/**
 * C types of ws2spi.h as JavaScript values. Pointers become objects the callee writes into.
 */
import type { WSAEvent } from '../provider/readiness.js';
import type { SockAddrArg, SockAddrOut } from './sockaddr.js';

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
  /**
   * Queues `lpfnUserApc(dwContext)` to run in the thread `lpThreadId` names, during its next
   * alertable wait: how overlapped completion routines reach the initiating thread. Returns 0,
   * or SOCKET_ERROR with the code in `lpErrno`. Without it the provider keeps its own queues
   * (docs/overlapped.md, `alertableWait`).
   */
  lpWPUQueueApc?: (lpThreadId: WSATHREADID, lpfnUserApc: LPWSAUSERAPC, dwContext: number, lpErrno: LPINT) => number;
  /**
   * Indicates the completion of an overlapped operation whose caller chose no completion routine:
   * ws2_32 signals the OVERLAPPED's event and/or queues a packet to the completion port it
   * associated with the socket. `dwError` is 0 or the operation's Winsock code, `cbTransferred`
   * its bytes; the provider has written `InternalHigh` and `Internal` before the call. Returns 0,
   * or SOCKET_ERROR with the code in `lpErrno` (WSAEINVAL: a socket ws2_32 did not make). This
   * provider's handles are not IFS handles, so when ws2_32 gives it, every completion without a
   * routine goes through it and the provider signals nothing itself; when it fails or throws, the
   * provider indicates the completion itself (event, its own port) rather than lose it.
   * (Microsoft's page says ws2_32 exports it instead of listing it in the table; there is no DLL
   * to link against here, so the table carries it.)
   */
  lpWPUCompleteOverlappedRequest?: (s: number, lpOverlapped: WSAOVERLAPPED, dwError: number, cbTransferred: number, lpErrno: LPINT) => number;
  [name: string]: unknown;
}

/** `LPWSAUSERAPC`: the function WPUQueueApc runs in the target thread, given its dwContext. */
export type LPWSAUSERAPC = (dwContext: number) => void;

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
 * `WSAOVERLAPPED`: the caller's record of one overlapped operation, written by the provider.
 * While the operation pends `Internal` is STATUS_PENDING (0x103); at completion it holds the
 * NTSTATUS (STATUS_SUCCESS 0, or why it failed) and `InternalHigh` the bytes transferred.
 * `Offset` and `OffsetHigh` are never written. All five fields must be present (a look-alike
 * object is WSAEFAULT), and `Internal` and `InternalHigh` writable.
 */
export interface WSAOVERLAPPED {
  Internal: number;
  InternalHigh: number;
  Offset: number;
  OffsetHigh: number;
  /**
   * The event object signaled at completion (and reset when the call pends), or null. With a
   * completion routine the provider leaves it alone (the program may keep its own value there).
   * `noPortNotification(event)` (a WSAEvent viewing `event`) is C's `hEvent | 1`: the event is still signaled, but no packet
   * goes to the socket's completion port (docs/overlapped.md, "Completion ports").
   */
  hEvent: WSAEvent | null;
}

/**
 * `LPWSAOVERLAPPED_COMPLETION_ROUTINE`: run in the initiating thread's alertable wait once the
 * operation completed. `dwError` is 0 or the Winsock code of the failure, `dwFlags` the
 * receive's flags (0 for sends).
 */
export type WSAOVERLAPPED_COMPLETION_ROUTINE = (dwError: number, cbTransferred: number, lpOverlapped: WSAOVERLAPPED, dwFlags: number) => void;

/**
 * `WSATHREADID`: the thread that initiated an overlapped operation, where its completion routine
 * is queued. The provider copies it at the call. `ThreadHandle` is whatever identifies the
 * thread to the caller (its WPUQueueApc, or `alertableWait`'s argument).
 */
export interface WSATHREADID {
  ThreadHandle: unknown;
  Reserved: number;
}

/**
 * `WSAMSG` (ws2def.h), for WSARecvMsg and WSASendMsg. The callee writes `namelen`, `Control.len`
 * and `dwFlags` in place, as C's callee writes the structure.
 */
export interface WSAMSG {
  /**
   * `LPSOCKADDR`: WSASendMsg's destination (null: the connected peer), WSARecvMsg's sender
   * (written; null: not wanted). A sockaddr object or its C bytes, as everywhere.
   */
  name: SockAddrArg | SockAddrOut | null;
  /** `INT`: the bytes `name` holds; WSARecvMsg sets it to the sockaddr size it wrote. */
  namelen: number;
  lpBuffers: WSABUF[];
  dwBufferCount: number;
  /**
   * Control (ancillary) data: WSACMSGHDR records. `buf` may be null when `len` is 0. WSARecvMsg
   * sets `len` to the bytes of records it wrote.
   */
  Control: { len: number; buf: Uint8Array | null };
  /** In: MSG_PEEK (WSARecvMsg); out: MSG_TRUNC, MSG_CTRUNC, MSG_BCAST, MSG_MCAST. */
  dwFlags: number;
}
