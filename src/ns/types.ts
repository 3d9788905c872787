/** Shapes and constants of name resolution: ws2def.h's ADDRINFOW, winsock2.h's WSAQUERYSETW and hostent, ws2spi.h's NSP_ROUTINE. */
import * as W from '../provider/constants.js';

/** A GUID as text, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (lower case). */
export type GUID = string;

// ---- getaddrinfo flags (ws2def.h) ------------------------------------------------------------
export const AI_PASSIVE = 0x01;
export const AI_CANONNAME = 0x02;
export const AI_NUMERICHOST = 0x04;
export const AI_NUMERICSERV = 0x08;
export const AI_DNS_ONLY = 0x10;
export const AI_ALL = 0x0100;
export const AI_ADDRCONFIG = 0x0400;
export const AI_V4MAPPED = 0x0800;
export const AI_NON_AUTHORITATIVE = 0x4000;
export const AI_SECURE = 0x8000;
export const AI_RETURN_PREFERRED_NAMES = 0x10000;
export const AI_FQDN = 0x20000;
export const AI_FILESERVER = 0x40000;
export const AI_DISABLE_IDN_ENCODING = 0x80000;
/** Every flag getaddrinfo accepts; others give WSAEINVAL (EAI_BADFLAGS). */
export const AI_KNOWN_FLAGS = AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_NUMERICSERV | AI_DNS_ONLY | AI_ALL | AI_ADDRCONFIG
  | AI_V4MAPPED | AI_NON_AUTHORITATIVE | AI_SECURE | AI_RETURN_PREFERRED_NAMES | AI_FQDN | AI_FILESERVER | AI_DISABLE_IDN_ENCODING;

// ---- getnameinfo flags (ws2def.h) ------------------------------------------------------------
export const NI_NOFQDN = 0x01;
export const NI_NUMERICHOST = 0x02;
export const NI_NAMEREQD = 0x04;
export const NI_NUMERICSERV = 0x08;
export const NI_DGRAM = 0x10;
export const NI_MAXHOST = 1025;
export const NI_MAXSERV = 32;

// ---- EAI_* (ws2tcpip.h): on Windows they are the WSA codes -----------------------------------
export const EAI_AGAIN = W.WSATRY_AGAIN;
export const EAI_BADFLAGS = W.WSAEINVAL;
export const EAI_FAIL = W.WSANO_RECOVERY;
export const EAI_FAMILY = W.WSAEAFNOSUPPORT;
export const EAI_MEMORY = W.WSA_NOT_ENOUGH_MEMORY;
/** WSA_SECURE_HOST_NOT_FOUND (winerror.h). */
export const EAI_NOSECURENAME = 11032;
export const EAI_NONAME = W.WSAHOST_NOT_FOUND;
export const EAI_SERVICE = W.WSATYPE_NOT_FOUND;
export const EAI_SOCKTYPE = W.WSAESOCKTNOSUPPORT;
export const EAI_NODATA = W.WSANO_DATA;

/** ADDRINFOW (ws2def.h): one entry of getaddrinfo's linked list. `ai_addr` holds C sockaddr bytes. */
export interface ADDRINFOW {
  ai_flags: number;
  ai_family: number;
  ai_socktype: number;
  ai_protocol: number;
  /** 16 (sockaddr_in) or 28 (sockaddr_in6). */
  ai_addrlen: number;
  /** Set on the first entry only, with AI_CANONNAME. */
  ai_canonname: string | null;
  ai_addr: Uint8Array;
  ai_next: ADDRINFOW | null;
}

/** ADDRINFOA has the same shape (names are strings in JavaScript either way). */
export type ADDRINFOA = ADDRINFOW;

/** The hints argument: only the first four fields count; the rest must be zero / null. */
export interface ADDRINFOW_HINTS {
  ai_flags?: number;
  ai_family?: number;
  ai_socktype?: number;
  ai_protocol?: number;
  ai_addrlen?: number;
  ai_canonname?: string | null;
  ai_addr?: Uint8Array | null;
  ai_next?: ADDRINFOW | null;
}

/** An out-parameter (`PADDRINFOW *ppResult`, `HANDLE *lphLookup`, …). */
export interface Out<T> {
  value: T;
}

/** hostent (winsock2.h). gethostbyname answers IPv4 only: h_addrtype AF_INET, h_length 4. */
export interface HOSTENT {
  h_name: string;
  h_aliases: string[];
  h_addrtype: number;
  h_length: number;
  /** Each address as 4 bytes in network order. */
  h_addr_list: Uint8Array[];
}

// ---- the namespace side (winsock2.h, ws2spi.h, svcguid.h, nspapi.h) ---------------------------
export const NS_ALL = 0;
export const NS_DNS = 12;
export const NS_NLA = 15;

export const LUP_DEEP = 0x0001;
export const LUP_CONTAINERS = 0x0002;
export const LUP_NOCONTAINERS = 0x0004;
export const LUP_NEAREST = 0x0008;
export const LUP_RETURN_NAME = 0x0010;
export const LUP_RETURN_TYPE = 0x0020;
export const LUP_RETURN_VERSION = 0x0040;
export const LUP_RETURN_COMMENT = 0x0080;
export const LUP_RETURN_ADDR = 0x0100;
export const LUP_RETURN_BLOB = 0x0200;
export const LUP_RETURN_ALIASES = 0x0400;
export const LUP_RETURN_QUERY_STRING = 0x0800;
export const LUP_RETURN_ALL = 0x0ff0;
export const LUP_FLUSHCACHE = 0x1000;
export const LUP_FLUSHPREVIOUS = 0x2000;

/** SVCID_HOSTNAME (svcguid.h): the local host's name. */
export const SVCID_HOSTNAME: GUID = '0002a800-0000-0000-c000-000000000046';
/** SVCID_INET_HOSTADDRBYNAME: a host's addresses by its name. */
export const SVCID_INET_HOSTADDRBYNAME: GUID = '0002a803-0000-0000-c000-000000000046';
/** SVCID_INET_HOSTADDRBYINETSTRING: a host's name by its address text. */
export const SVCID_INET_HOSTADDRBYINETSTRING: GUID = '0002a801-0000-0000-c000-000000000046';

/** NS_DNS provider id of the virtual network's NSP (made up for this project, stable). */
export const VIRTUAL_NSP_ID: GUID = '6a3c2f0e-5d1b-4c7a-9e2f-1b8d4c6a0001';
/** NS_DNS provider id of the host network's NSP (made up for this project, stable). */
export const HOST_NSP_ID: GUID = '6a3c2f0e-5d1b-4c7a-9e2f-1b8d4c6a0002';

/** SOCKET_ADDRESS (ws2def.h). */
export interface SOCKET_ADDRESS {
  lpSockaddr: Uint8Array;
  iSockaddrLength: number;
}

/** CSADDR_INFO (ws2def.h): one address of a result set, with the socket type it is for. */
export interface CSADDR_INFO {
  LocalAddr: SOCKET_ADDRESS;
  RemoteAddr: SOCKET_ADDRESS;
  iSocketType: number;
  iProtocol: number;
}

/** AFPROTOCOLS (winsock2.h). */
export interface AFPROTOCOLS {
  iAddressFamily: number;
  iProtocol: number;
}

/** BLOB (nspapi.h). */
export interface BLOB {
  cbSize: number;
  pBlobData: Uint8Array;
}

/** WSAVERSION (winsock2.h). */
export interface WSAVERSION {
  dwVersion: number;
  ecHow: number;
}

/** WSAQUERYSETW (winsock2.h): the restrictions of a lookup and the shape of each result. */
export interface WSAQUERYSETW {
  /** sizeof(WSAQUERYSETW): 120 on 64-bit Windows, 60 on 32-bit; anything else is WSAEINVAL. */
  dwSize: number;
  lpszServiceInstanceName: string | null;
  lpServiceClassId: GUID | null;
  lpVersion: WSAVERSION | null;
  lpszComment: string | null;
  dwNameSpace: number;
  lpNSProviderId: GUID | null;
  lpszContext: string | null;
  dwNumberOfProtocols: number;
  lpafpProtocols: AFPROTOCOLS[] | null;
  lpszQueryString: string | null;
  dwNumberOfCsAddrs: number;
  lpcsaBuffer: CSADDR_INFO[] | null;
  dwOutputFlags: number;
  lpBlob: BLOB | null;
}

export const SIZEOF_WSAQUERYSETW_64 = 120;
export const SIZEOF_WSAQUERYSETW_32 = 60;

/** An empty WSAQUERYSETW with dwSize set (the C `memset` then `dwSize = sizeof`). */
export function emptyQuerySet(): WSAQUERYSETW {
  return {
    dwSize: SIZEOF_WSAQUERYSETW_64, lpszServiceInstanceName: null, lpServiceClassId: null, lpVersion: null, lpszComment: null,
    dwNameSpace: NS_ALL, lpNSProviderId: null, lpszContext: null, dwNumberOfProtocols: 0, lpafpProtocols: null,
    lpszQueryString: null, dwNumberOfCsAddrs: 0, lpcsaBuffer: null, dwOutputFlags: 0, lpBlob: null,
  };
}

/** A lookup handle (HANDLE). */
export type HANDLE = number;

/** NSP_ROUTINE (ws2spi.h): what NSPStartup fills in. Every entry returns 0 or SOCKET_ERROR (error through the last-error sink). */
export interface NSP_ROUTINE {
  cbSize: number;
  dwMajorVersion: number;
  dwMinorVersion: number;
  NSPCleanup(lpProviderId: GUID): number;
  NSPLookupServiceBegin(lpProviderId: GUID, lpqsRestrictions: WSAQUERYSETW | null, lpServiceClassInfo: unknown, dwControlFlags: number, lphLookup: Out<HANDLE> | null): number;
  NSPLookupServiceNext(hLookup: HANDLE, dwControlFlags: number, lpdwBufferLength: Out<number> | null, lpqsResults: Out<WSAQUERYSETW | null> | null): number;
  NSPLookupServiceEnd(hLookup: HANDLE): number;
  NSPSetService(lpProviderId: GUID, lpServiceClassInfo: unknown, lpqsRegInfo: WSAQUERYSETW | null, essOperation: number, dwControlFlags: number): number;
  NSPInstallServiceClass(lpProviderId: GUID, lpServiceClassInfo: unknown): number;
  NSPRemoveServiceClass(lpProviderId: GUID, lpServiceClassId: GUID | null): number;
  NSPGetServiceClassInfo(lpProviderId: GUID, lpdwBufSize: Out<number> | null, lpServiceClassInfo: unknown): number;
  NSPIoctl(hLookup: HANDLE, dwControlCode: number, lpvInBuffer: unknown, cbInBuffer: number, lpvOutBuffer: unknown, cbOutBuffer: number, lpcbBytesReturned: Out<number> | null, lpCompletion: unknown, lpThreadId: unknown): number;
}

/** sizeof(NSP_ROUTINE) on 64-bit Windows: three DWORDs, padding, nine pointers. */
export const NSP_ROUTINE_SIZE = 88;
