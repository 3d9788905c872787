// ws2_32 over the catalogue: the Winsock 2 API (WSAStartup, socket, send, select, events...) routed to the provider of each socket.
/**
 * Functions keep ws2_32's names and C argument order and return what the C function returns; a
 * failure leaves its code for WSAGetLastError. The last error is kept per Ws2 instance: one
 * instance is one thread of a program (a worker thread makes its own). No function throws.
 */
import {
  AF_INET, AF_INET6, AF_UNSPEC, FIONBIO, SD_BOTH, SD_RECEIVE, SD_SEND, INVALID_SOCKET, SOCKET_ERROR, WSA_FLAG_OVERLAPPED, WSA_INFINITE, WSA_INVALID_HANDLE,
  WSA_INVALID_PARAMETER, WSA_WAIT_EVENT_0, WSA_WAIT_FAILED, WSA_WAIT_TIMEOUT, WSAEFAULT, WSAEINTR, WSAEINVAL, WSAENOTSOCK,
  WSAEWOULDBLOCK, WSANO_RECOVERY, WSANOTINITIALISED, WSAVERNOTSUPPORTED,
} from '../provider/constants.js';
import { WSAEvent } from '../provider/readiness.js';
import { isRef, probe, store } from '../spi/funnel.js';
import { signal } from '../spi/overlapped-args.js';
import { isByteArray } from '../wire/bytes.js';
import type { LPWSTR } from '../spi/address-string.js';
import type { SockAddrArg, SockAddrOut } from '../spi/sockaddr.js';
import type { WSPPROC_TABLE } from '../spi/service-provider.js';
import type {
  ConditionProc, FD_SET, LPINT, LPWSAUSERAPC, TIMEVAL, WSABUF, WSANETWORKEVENTS, WSAOVERLAPPED, WSAOVERLAPPED_COMPLETION_ROUTINE,
  WSAPROTOCOL_INFOW, WSATHREADID,
} from '../spi/types.js';
import type { Catalog } from './catalog.js';
import { HandleTable, type Slot } from './handles.js';
import { makeUpcalls, type UpcallHost } from './upcalls.js';
import { wsaPoll, type Shut, type WSAPOLLFD } from './poll.js';
import { NameResolver } from '../ns/resolver.js';
import { WSALookupService } from '../ns/lookup-service.js';
import type { NameSource } from '../ns/source.js';
import type { ADDRINFOW, ADDRINFOW_HINTS, HANDLE, HOSTENT, Out, WSAQUERYSETW } from '../ns/types.js';

/** `WSADATA`, filled by WSAStartup. */
export interface WSADATA {
  wVersion?: number;
  wHighVersion?: number;
  szDescription?: string;
  szSystemStatus?: string;
  iMaxSockets?: number;
  iMaxUdpDg?: number;
}

/** WSAWaitForMultipleEvents: an alertable wait ended because APCs ran. */
export const WSA_WAIT_IO_COMPLETION = 0xc0;
/** The most events one WSAWaitForMultipleEvents takes. */
export const WSA_MAXIMUM_WAIT_EVENTS = 64;
/** The highest version this ws2_32 speaks: 2.2. */
export const WS2_HIGH_VERSION = 0x0202;

/** How a blocking wait ended (the provider transports' answer). */
type BlockOutcome = 'done' | 'idle' | 'deadline' | 'unsupported';
type Blocker = (ready: () => boolean, timeoutMs?: number) => BlockOutcome;

/** Options of {@link Ws2}. */
export interface Ws2Options {
  /**
   * Delivers a WSAAsyncSelect message: `hWnd` is whatever the program passed. Default: an `hWnd`
   * that is a function is called with (Msg, wParam, lParam); anything else cannot be posted to.
   */
  postMessage?: (hWnd: unknown, Msg: number, wParam: number, lParam: number) => boolean;
  /**
   * The namespace providers installed for NS_DNS, in catalogue order (src/ns: `new
   * VirtualNameSource(host, net.dns)`, `new HostNameSource()` from `winsock-spi/host`): what
   * getaddrinfo and its kin ask. The first one answers getaddrinfo, getnameinfo, gethostbyname and
   * gethostname; WSALookupService* tries them in turn. Without any, those functions fail with
   * WSANO_RECOVERY (no name service installed), numeric names included.
   */
  names?: readonly NameSource[];
}

interface Started {
  procs: WSPPROC_TABLE;
}

type Procs = Required<WSPPROC_TABLE>;
const MAKEWORD = (lo: number, hi: number): number => (lo & 0xff) | ((hi & 0xff) << 8);

/**
 * The version WSAStartup agrees to for a request, per Microsoft's WSAStartup page (ws2_32 speaks
 * 1.0 to 2.2): 1.0 and 1.1 as asked, 1.x above 1.1 → 1.1, 2.0 to 2.2 as asked, anything above
 * 2.2 → 2.2. A major version 0 is refused (WSAVERNOTSUPPORTED) by WSAStartup.
 */
export function negotiateVersion(wVersionRequested: number): number {
  const major = wVersionRequested & 0xff;
  const minor = (wVersionRequested >> 8) & 0xff;
  if (major === 1) return MAKEWORD(1, Math.min(minor, 1));
  if (major === 2) return MAKEWORD(2, Math.min(minor, 2));
  return WS2_HIGH_VERSION;
}

/** One program thread's ws2_32 over a {@link Catalog}. */
export class Ws2 implements UpcallHost {
  readonly handles = new HandleTable();
  readonly closedEvents = new WeakSet<WSAEvent>();
  private lastError = 0;
  private names: { resolver: NameResolver; lookup: WSALookupService } | undefined;
  private startups = 0;
  private readonly started = new Map<number, Started>();
  private readonly apcs: { fn: LPWSAUSERAPC; ctx: number }[] = [];
  /** The sides of sockets the program shut down (WSAPoll reads them differently from select). */
  private readonly shut = new Map<number, Shut>();
  /** This "thread"'s WSATHREADID, given to providers with every overlapped call. */
  readonly threadId: WSATHREADID = { ThreadHandle: this, Reserved: 0 };

  constructor(readonly catalog: Catalog, private readonly options: Ws2Options = {}) {}

  // ---- errors and startup ---------------------------------------------------------------------

  WSAGetLastError = (): number => this.lastError;

  WSASetLastError = (iError: number): void => {
    this.lastError = typeof iError === 'number' ? iError | 0 : 0;
  };

  /**
   * Returns 0 or the error (not through WSAGetLastError, as in C): WSAVERNOTSUPPORTED for a major
   * version 0, then WSAEFAULT without a writable `lpWSAData`. Counted: each success needs its
   * WSACleanup. Writes `lpWSAData` (wVersion the agreed version, see {@link negotiateVersion};
   * wHighVersion 2.2) even when the version is refused.
   */
  WSAStartup = (wVersionRequested: number, lpWSAData: WSADATA): number => {
    try {
      if (typeof wVersionRequested !== 'number') return WSAVERNOTSUPPORTED;
      const writable = isRef(lpWSAData) && ['wVersion', 'wHighVersion', 'szDescription', 'szSystemStatus'].every((k) => probe(lpWSAData, k));
      if (writable) {
        const v1 = (wVersionRequested & 0xff) === 1;
        store(lpWSAData, 'wVersion', negotiateVersion(wVersionRequested));
        store(lpWSAData, 'wHighVersion', WS2_HIGH_VERSION);
        store(lpWSAData, 'szDescription', 'WinSock 2.0');
        store(lpWSAData, 'szSystemStatus', 'Running');
        // Winsock 1 programs read these limits; Winsock 2 ones are told 0 (no limit stated).
        store(lpWSAData, 'iMaxSockets', v1 ? 32767 : 0);
        store(lpWSAData, 'iMaxUdpDg', v1 ? 65467 : 0);
      }
      // The version is judged before the structure, as Wine's ws2_32 does.
      if ((wVersionRequested & 0xff) === 0) return WSAVERNOTSUPPORTED;
      if (!writable) return WSAEFAULT;
      this.startups++;
      return 0;
    } catch {
      return WSAEFAULT;
    }
  };

  /** Undoes one WSAStartup; the last one cleans every provider up (WSPCleanup) and forgets every socket. */
  WSACleanup = (): number => {
    if (this.startups === 0) return this.failWith(WSANOTINITIALISED, SOCKET_ERROR);
    this.startups--;
    if (this.startups === 0) {
      for (const { procs } of this.started.values()) {
        try {
          procs.lpWSPCleanup?.({ value: 0 });
        } catch {
          // a provider that throws in cleanup is still cleaned up as far as ws2 is concerned
        }
      }
      this.started.clear();
      this.handles.clear();
      this.shut.clear();
    }
    return 0;
  };

  // ---- the catalogue ----------------------------------------------------------------------------

  /** Fills `lpProtocolBuffer` with the visible entries (protocols in `lpiProtocols`, or all); WSAENOBUFS with the size needed. */
  WSAEnumProtocolsW = (lpiProtocols: readonly number[] | null, lpProtocolBuffer: WSAPROTOCOL_INFOW[] | null, lpdwBufferLength: LPINT): number => {
    if (this.startups === 0) return this.failWith(WSANOTINITIALISED, SOCKET_ERROR);
    const r = this.catalog.enumerate(lpiProtocols, lpProtocolBuffer, lpdwBufferLength, false);
    return r < 0 ? this.failWith(-r, SOCKET_ERROR) : r;
  };

  // ---- sockets ----------------------------------------------------------------------------------

  /** socket(): WSASocketW with no record, no group, WSA_FLAG_OVERLAPPED (as ws2_32's socket does). */
  socket = (af: number, type: number, protocol: number): number => this.WSASocketW(af, type, protocol, null, 0, WSA_FLAG_OVERLAPPED);

  /**
   * Picks the catalogue entry (lpProtocolInfo's dwCatalogEntryId, or the first matching (af, type,
   * protocol): {@link Catalog.select}), starts its provider once, and calls its WSPSocket with the entry.
   */
  WSASocketW = (af: number, type: number, protocol: number, lpProtocolInfo: WSAPROTOCOL_INFOW | null, g: number, dwFlags: number): number => {
    try {
      if (this.startups === 0) return this.failWith(WSANOTINITIALISED, INVALID_SOCKET);
      let entryId: number;
      let record: WSAPROTOCOL_INFOW;
      if (lpProtocolInfo !== null && lpProtocolInfo !== undefined) {
        if (!isRef(lpProtocolInfo)) return this.failWith(WSAEFAULT, INVALID_SOCKET);
        const id = lpProtocolInfo.dwCatalogEntryId;
        const resolved = typeof id === 'number' ? this.catalog.resolve(id) : undefined;
        if (resolved === undefined) return this.failWith(WSAEINVAL, INVALID_SOCKET);
        entryId = id;
        // A base provider checks records against its own ids (a duplicate's, WSPDuplicateSocket's).
        record = resolved.native !== null ? { ...lpProtocolInfo, dwCatalogEntryId: resolved.native.dwCatalogEntryId } : lpProtocolInfo;
      } else {
        if (typeof af !== 'number' || typeof type !== 'number' || typeof protocol !== 'number') return this.failWith(WSAEINVAL, INVALID_SOCKET);
        const hit = this.catalog.select(af, type, protocol);
        if (typeof hit === 'number') return this.failWith(hit, INVALID_SOCKET);
        entryId = hit.dwCatalogEntryId;
        record = this.recordFor(entryId, hit);
      }
      const procs = this.procsOf(entryId);
      if (typeof procs === 'number') return this.failWith(procs, INVALID_SOCKET);
      const e = { value: 0 };
      const ph = procs.lpWSPSocket(af, type, protocol, record, g, dwFlags, e);
      if (ph === INVALID_SOCKET) return this.failWith(e.value, INVALID_SOCKET);
      return this.handles.adopt(entryId, ph);
    } catch {
      return this.failWith(WSAEFAULT, INVALID_SOCKET);
    }
  };

  bind = (s: number, name: SockAddrArg, namelen: number): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => p.lpWSPBind(ph, name, namelen, e));

  listen = (s: number, backlog: number): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => p.lpWSPListen(ph, backlog, e));

  accept = (s: number, addr: SockAddrOut | null, addrlen: LPINT | null): number => this.WSAAccept(s, addr, addrlen, null, 0);

  /** The accepted socket belongs to the listener's catalogue entry. */
  WSAAccept = (s: number, addr: SockAddrOut | null, addrlen: LPINT | null, lpfnCondition: ConditionProc | null, dwCallbackData: unknown): number =>
    this.on(s, INVALID_SOCKET, (p, ph, e, slot) => {
      const nh = p.lpWSPAccept(ph, addr, addrlen, lpfnCondition, dwCallbackData, e);
      return nh === INVALID_SOCKET ? nh : this.handles.adopt(slot.entryId, nh);
    });

  connect = (s: number, name: SockAddrArg, namelen: number): number =>
    this.WSAConnect(s, name, namelen, null, null, null, null);

  WSAConnect = (
    s: number, name: SockAddrArg, namelen: number, lpCallerData: WSABUF | null, lpCalleeData: WSABUF | null, lpSQOS: null, lpGQOS: null,
  ): number => this.on(s, SOCKET_ERROR, (p, ph, e) => p.lpWSPConnect(ph, name, namelen, lpCallerData, lpCalleeData, lpSQOS, lpGQOS, e));

  /** The socket leaves the table when its provider closed it (a failed close keeps it). */
  closesocket = (s: number): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => {
      const r = p.lpWSPCloseSocket(ph, e);
      if (r === 0) {
        this.handles.delete(s);
        this.shut.delete(s);
      }
      return r;
    });

  /** The sides shut here are remembered for WSAPoll (src/ws2/poll.ts: poll reads them unlike select). */
  shutdown = (s: number, how: number): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => {
      const r = p.lpWSPShutdown(ph, how, e);
      if (r === 0) {
        const was = this.shut.get(s) ?? { receive: false, send: false };
        this.shut.set(s, { receive: was.receive || how === SD_RECEIVE || how === SD_BOTH, send: was.send || how === SD_SEND || how === SD_BOTH });
      }
      return r;
    });

  getsockname = (s: number, name: SockAddrOut, namelen: LPINT): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => p.lpWSPGetSockName(ph, name, namelen, e));

  getpeername = (s: number, name: SockAddrOut, namelen: LPINT): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => p.lpWSPGetPeerName(ph, name, namelen, e));

  getsockopt = (s: number, level: number, optname: number, optval: Uint8Array | null, optlen: LPINT): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => p.lpWSPGetSockOpt(ph, level, optname, optval, optlen, e));

  setsockopt = (s: number, level: number, optname: number, optval: Uint8Array | null, optlen: number): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => p.lpWSPSetSockOpt(ph, level, optname, optval, optlen, e));

  /** `argp` is the u_long in/out: FIONBIO reads it, FIONREAD and SIOCATMARK write it. */
  ioctlsocket = (s: number, cmd: number, argp: LPINT): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => {
      if (!isRef(argp) || typeof argp.value !== 'number' || !probe(argp, 'value')) return failed(e, WSAEFAULT);
      const input = new Uint8Array(4);
      new DataView(input.buffer).setUint32(0, argp.value >>> 0, true);
      const output = new Uint8Array(4);
      const got = { value: 0 };
      const r = cmd === FIONBIO
        ? p.lpWSPIoctl(ph, cmd, input, 4, null, 0, got, null, null, null, e)
        : p.lpWSPIoctl(ph, cmd, input, 4, output, 4, got, null, null, null, e);
      if (r === 0 && cmd !== FIONBIO && got.value >= 4) store(argp, 'value', new DataView(output.buffer).getUint32(0, true));
      return r;
    });

  WSAIoctl = (
    s: number, dwIoControlCode: number, lpvInBuffer: Uint8Array | null, cbInBuffer: number, lpvOutBuffer: Uint8Array | null, cbOutBuffer: number,
    lpcbBytesReturned: LPINT, lpOverlapped: WSAOVERLAPPED | null, lpCompletionRoutine: WSAOVERLAPPED_COMPLETION_ROUTINE | null,
  ): number => this.on(s, SOCKET_ERROR, (p, ph, e) => p.lpWSPIoctl(ph, dwIoControlCode, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer,
    lpcbBytesReturned, lpOverlapped, lpCompletionRoutine, this.threadId, e));

  // ---- data -------------------------------------------------------------------------------------

  /** send(): the bytes sent (`buf`'s first `len`), or SOCKET_ERROR. */
  send = (s: number, buf: Uint8Array, len: number, flags: number): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => {
      const bufs = oneBuffer(buf, len);
      if (bufs === undefined) return failed(e, WSAEFAULT);
      const sent = { value: 0 };
      const r = p.lpWSPSend(ph, bufs, 1, sent, flags, null, null, null, e);
      return r === 0 ? sent.value : r;
    });

  /** recv(): the bytes received into `buf` (0 at the peer's orderly close), or SOCKET_ERROR. */
  recv = (s: number, buf: Uint8Array, len: number, flags: number): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => {
      const bufs = oneBuffer(buf, len);
      if (bufs === undefined) return failed(e, WSAEFAULT);
      const got = { value: 0 };
      const r = p.lpWSPRecv(ph, bufs, 1, got, { value: flags }, null, null, null, e);
      return r === 0 ? got.value : r;
    });

  sendto = (s: number, buf: Uint8Array, len: number, flags: number, to: SockAddrArg | null, tolen: number): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => {
      const bufs = oneBuffer(buf, len);
      if (bufs === undefined) return failed(e, WSAEFAULT);
      const sent = { value: 0 };
      const r = p.lpWSPSendTo(ph, bufs, 1, sent, flags, to, tolen, null, null, null, e);
      return r === 0 ? sent.value : r;
    });

  recvfrom = (s: number, buf: Uint8Array, len: number, flags: number, from: SockAddrOut | null, fromlen: LPINT | null): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => {
      const bufs = oneBuffer(buf, len);
      if (bufs === undefined) return failed(e, WSAEFAULT);
      const got = { value: 0 };
      const r = p.lpWSPRecvFrom(ph, bufs, 1, got, { value: flags }, from, fromlen, null, null, null, e);
      return r === 0 ? got.value : r;
    });

  /** Overlapped calls pass through; completion routines come back as APCs run in this thread's alertable waits. */
  WSASend = (
    s: number, lpBuffers: WSABUF[], dwBufferCount: number, lpNumberOfBytesSent: LPINT | null, dwFlags: number,
    lpOverlapped: WSAOVERLAPPED | null, lpCompletionRoutine: WSAOVERLAPPED_COMPLETION_ROUTINE | null,
  ): number => this.on(s, SOCKET_ERROR, (p, ph, e) =>
    p.lpWSPSend(ph, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpOverlapped, lpCompletionRoutine, this.threadId, e));

  WSARecv = (
    s: number, lpBuffers: WSABUF[], dwBufferCount: number, lpNumberOfBytesRecvd: LPINT | null, lpFlags: LPINT,
    lpOverlapped: WSAOVERLAPPED | null, lpCompletionRoutine: WSAOVERLAPPED_COMPLETION_ROUTINE | null,
  ): number => this.on(s, SOCKET_ERROR, (p, ph, e) =>
    p.lpWSPRecv(ph, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpOverlapped, lpCompletionRoutine, this.threadId, e));

  WSASendTo = (
    s: number, lpBuffers: WSABUF[], dwBufferCount: number, lpNumberOfBytesSent: LPINT | null, dwFlags: number, lpTo: SockAddrArg | null,
    iTolen: number, lpOverlapped: WSAOVERLAPPED | null, lpCompletionRoutine: WSAOVERLAPPED_COMPLETION_ROUTINE | null,
  ): number => this.on(s, SOCKET_ERROR, (p, ph, e) =>
    p.lpWSPSendTo(ph, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpTo, iTolen, lpOverlapped, lpCompletionRoutine, this.threadId, e));

  WSARecvFrom = (
    s: number, lpBuffers: WSABUF[], dwBufferCount: number, lpNumberOfBytesRecvd: LPINT | null, lpFlags: LPINT, lpFrom: SockAddrOut | null,
    lpFromlen: LPINT | null, lpOverlapped: WSAOVERLAPPED | null, lpCompletionRoutine: WSAOVERLAPPED_COMPLETION_ROUTINE | null,
  ): number => this.on(s, SOCKET_ERROR, (p, ph, e) =>
    p.lpWSPRecvFrom(ph, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpFrom, lpFromlen, lpOverlapped, lpCompletionRoutine, this.threadId, e));

  /** TRUE (1) or FALSE (0), as the C function. */
  WSAGetOverlappedResult = (s: number, lpOverlapped: WSAOVERLAPPED, lpcbTransfer: LPINT, fWait: boolean, lpdwFlags: LPINT | null): number => {
    const r = this.on(s, SOCKET_ERROR, (p, ph, e) => (p.lpWSPGetOverlappedResult(ph, lpOverlapped, lpcbTransfer, fWait, lpdwFlags, e) ? 1 : SOCKET_ERROR));
    return r === 1 ? 1 : 0;
  };

  // ---- readiness --------------------------------------------------------------------------------

  /**
   * select(): the sockets of all three sets go to one provider (the first socket's); a socket of
   * another provider is WSAEINVAL, an unknown one WSAENOTSOCK. The sets are rewritten in place.
   */
  select = (nfds: number, readfds: FD_SET | null, writefds: FD_SET | null, exceptfds: FD_SET | null, timeout: TIMEVAL | null): number => {
    try {
      if (this.startups === 0) return this.failWith(WSANOTINITIALISED, SOCKET_ERROR);
      const sets = [readfds, writefds, exceptfds];
      const lists: (number[] | null)[] = [];
      for (const set of sets) {
        if (set === null || set === undefined) { lists.push(null); continue; }
        if (!isRef(set) || typeof set.fd_count !== 'number' || !Array.isArray(set.fd_array) || set.fd_count < 0 || set.fd_count > set.fd_array.length
          || !probe(set, 'fd_count')) return this.failWith(WSAEFAULT, SOCKET_ERROR);
        lists.push(set.fd_array.slice(0, set.fd_count));
      }
      let procs: Procs | undefined;
      const toProvider = new Map<number, number>();
      for (const list of lists) for (const s of list ?? []) {
        const slot = this.handles.get(s);
        if (slot === undefined) return this.failWith(WSAENOTSOCK, SOCKET_ERROR);
        const p = this.procsOf(slot.entryId);
        if (typeof p === 'number') return this.failWith(p, SOCKET_ERROR);
        if (procs === undefined) procs = p;
        else if (procs.lpWSPSelect !== p.lpWSPSelect) return this.failWith(WSAEINVAL, SOCKET_ERROR);
        toProvider.set(s, slot.providerHandle);
      }
      if (procs === undefined) return this.failWith(WSAEINVAL, SOCKET_ERROR);
      const fromProvider = new Map([...toProvider].map(([s, ph]) => [ph, s]));
      const mine = lists.map((l) => (l === null ? null : { fd_count: l.length, fd_array: l.map((s) => toProvider.get(s)!) }));
      const e = { value: 0 };
      const r = procs.lpWSPSelect(nfds, mine[0]!, mine[1]!, mine[2]!, timeout, e);
      if (r === SOCKET_ERROR) return this.failWith(e.value, SOCKET_ERROR);
      sets.forEach((set, i) => {
        const out = mine[i];
        if (set === null || set === undefined || out === null || out === undefined) return;
        const back = out.fd_array.slice(0, out.fd_count).map((ph) => fromProvider.get(ph) ?? ph);
        set.fd_array.splice(0, set.fd_array.length, ...back);
        set.fd_count = back.length;
      });
      return r;
    } catch {
      return this.failWith(WSAEFAULT, SOCKET_ERROR);
    }
  };

  /**
   * WSAPoll: the number of entries with something to report (their `revents` written), 0 at the
   * time-out (ms; negative: for ever), or SOCKET_ERROR (src/ws2/poll.ts has the rules).
   */
  WSAPoll = (fdArray: WSAPOLLFD[] | null, fds: number, timeout: number): number => {
    try {
      if (this.startups === 0) return this.failWith(WSANOTINITIALISED, SOCKET_ERROR);
      const r = wsaPoll((s) => {
        const slot = this.handles.get(s);
        const procs = slot && this.procsOf(slot.entryId);
        return slot && procs !== undefined && typeof procs !== 'number'
          ? { procs, ph: slot.providerHandle, shut: this.shut.get(s as number) ?? { receive: false, send: false } } : undefined;
      }, fdArray, fds, typeof timeout === 'number' ? timeout : 0);
      return r < 0 ? this.failWith(-r, SOCKET_ERROR) : r;
    } catch {
      return this.failWith(WSAEFAULT, SOCKET_ERROR);
    }
  };

  WSAEventSelect = (s: number, hEventObject: WSAEvent, lNetworkEvents: number): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => p.lpWSPEventSelect(ph, hEventObject, lNetworkEvents, e));

  WSAEnumNetworkEvents = (s: number, hEventObject: WSAEvent | null, lpNetworkEvents: WSANETWORKEVENTS): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => p.lpWSPEnumNetworkEvents(ph, hEventObject, lpNetworkEvents, e));

  /** Messages reach `hWnd` through {@link Ws2Options.postMessage} with wParam the program's SOCKET. */
  WSAAsyncSelect = (s: number, hWnd: unknown, wMsg: number, lEvent: number): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e) => p.lpWSPAsyncSelect(ph, hWnd, wMsg, lEvent, e));

  // ---- event objects (kernel objects: no WSAStartup needed) --------------------------------------

  /** A manual-reset event, not signaled. */
  WSACreateEvent = (): WSAEvent => new WSAEvent();

  WSASetEvent = (hEvent: WSAEvent): boolean => this.onEvent(hEvent, (ev) => signal(ev, true));

  WSAResetEvent = (hEvent: WSAEvent): boolean => this.onEvent(hEvent, (ev) => signal(ev, false));

  /** After it, the event is an invalid handle to every event function (WSA_INVALID_HANDLE). */
  WSACloseEvent = (hEvent: WSAEvent): boolean => this.onEvent(hEvent, (ev) => this.closedEvents.add(ev));

  /**
   * WSA_WAIT_EVENT_0 + the index of the first signaled event (fWaitAll: once all are; the events are
   * manual-reset and stay signaled); WSA_WAIT_IO_COMPLETION when `fAlertable` and queued completion
   * routines ran; WSA_WAIT_TIMEOUT; or WSA_WAIT_FAILED (WSA_INVALID_PARAMETER: 0 or more than 64
   * events; WSA_INVALID_HANDLE: one is not an open event). The wait runs the network as a blocking
   * call does; where the thread cannot block (the host network's own thread) a wait that would
   * block fails with WSAEWOULDBLOCK, and a virtual network with nothing left to happen with WSAEINTR.
   */
  WSAWaitForMultipleEvents = (cEvents: number, lphEvents: readonly WSAEvent[], fWaitAll: boolean, dwTimeout: number, fAlertable: boolean): number => {
    try {
      if (typeof cEvents !== 'number' || !Number.isInteger(cEvents) || cEvents < 1 || cEvents > WSA_MAXIMUM_WAIT_EVENTS) return this.failWith(WSA_INVALID_PARAMETER, WSA_WAIT_FAILED);
      if (!Array.isArray(lphEvents) || lphEvents.length < cEvents) return this.failWith(WSA_INVALID_PARAMETER, WSA_WAIT_FAILED);
      const events = lphEvents.slice(0, cEvents);
      if (!events.every((ev) => WSAEvent.is(ev) && !this.closedEvents.has(ev))) return this.failWith(WSA_INVALID_HANDLE, WSA_WAIT_FAILED);
      const check = (): number | undefined => {
        if (fAlertable && this.apcs.length > 0) return WSA_WAIT_IO_COMPLETION;
        if (fWaitAll) return events.every((ev) => ev.signaled) ? WSA_WAIT_EVENT_0 : undefined;
        const i = events.findIndex((ev) => ev.signaled);
        return i < 0 ? undefined : WSA_WAIT_EVENT_0 + i;
      };
      const settle = (r: number): number => {
        if (r === WSA_WAIT_IO_COMPLETION) this.runApcs();
        return r;
      };
      const now = check();
      if (now !== undefined) return settle(now);
      if (dwTimeout === 0) return WSA_WAIT_TIMEOUT;
      const block = this.blocker();
      if (block === undefined) return this.failWith(WSAEWOULDBLOCK, WSA_WAIT_FAILED);
      const outcome = block(() => check() !== undefined, dwTimeout === WSA_INFINITE ? undefined : dwTimeout);
      const after = check();
      if (after !== undefined) return settle(after);
      if (outcome === 'deadline') return WSA_WAIT_TIMEOUT;
      return this.failWith(outcome === 'unsupported' ? WSAEWOULDBLOCK : WSAEINTR, WSA_WAIT_FAILED);
    } catch {
      return this.failWith(WSA_INVALID_PARAMETER, WSA_WAIT_FAILED);
    }
  };

  /** kernel32's SleepEx(0, TRUE) for this thread: runs queued completion routines; their count. */
  runApcs = (): number => {
    let n = 0;
    while (this.apcs.length > 0) {
      const { fn, ctx } = this.apcs.shift()!;
      n++;
      try {
        fn(ctx);
      } catch {
        // a routine that throws does not stop the others
      }
    }
    return n;
  };

  // ---- duplicates, address strings --------------------------------------------------------------

  /** The record names this catalogue's entry, so WSASocketW given it reaches the same provider. */
  WSADuplicateSocketW = (s: number, dwProcessId: number, lpProtocolInfo: WSAPROTOCOL_INFOW): number =>
    this.on(s, SOCKET_ERROR, (p, ph, e, slot) => {
      const r = p.lpWSPDuplicateSocket(ph, dwProcessId, lpProtocolInfo, e);
      if (r === 0) store(lpProtocolInfo, 'dwCatalogEntryId', slot.entryId);
      return r;
    });

  /**
   * Prints a sockaddr through the base provider of `lpProtocolInfo`'s entry (null: the first
   * visible entry of the address's family).
   */
  WSAAddressToStringW = (
    lpsaAddress: SockAddrArg, dwAddressLength: number, lpProtocolInfo: WSAPROTOCOL_INFOW | null,
    lpszAddressString: LPWSTR | null, lpdwAddressStringLength: LPINT,
  ): number => {
    try {
      if (this.startups === 0) return this.failWith(WSANOTINITIALISED, SOCKET_ERROR);
      const base = this.baseFor(lpProtocolInfo, familyOf(lpsaAddress));
      if (typeof base === 'number') return this.failWith(base, SOCKET_ERROR);
      const e = { value: 0 };
      const r = base.procs.lpWSPAddressToString(lpsaAddress, dwAddressLength, base.native, lpszAddressString, lpdwAddressStringLength, e);
      return r === SOCKET_ERROR ? this.failWith(e.value, SOCKET_ERROR) : r;
    } catch {
      return this.failWith(WSAEFAULT, SOCKET_ERROR);
    }
  };

  /** Parses address text through the base provider of `lpProtocolInfo`'s entry (null: the first visible entry of `AddressFamily`). */
  WSAStringToAddressW = (
    AddressString: string, AddressFamily: number, lpProtocolInfo: WSAPROTOCOL_INFOW | null, lpAddress: SockAddrOut, lpAddressLength: LPINT,
  ): number => {
    try {
      if (this.startups === 0) return this.failWith(WSANOTINITIALISED, SOCKET_ERROR);
      const base = this.baseFor(lpProtocolInfo, AddressFamily);
      if (typeof base === 'number') return this.failWith(base, SOCKET_ERROR);
      const e = { value: 0 };
      const r = base.procs.lpWSPStringToAddress(AddressString, AddressFamily, base.native, lpAddress, lpAddressLength, e);
      return r === SOCKET_ERROR ? this.failWith(e.value, SOCKET_ERROR) : r;
    } catch {
      return this.failWith(WSAEFAULT, SOCKET_ERROR);
    }
  };

  // ---- names (src/ns: the namespace providers of options.names) ---------------------------------

  private namesOrError(): { resolver: NameResolver; lookup: WSALookupService } | number {
    if (this.startups === 0) return this.failWith(WSANOTINITIALISED, WSANOTINITIALISED);
    const sources = this.options.names ?? [];
    if (sources.length === 0) return this.failWith(WSANO_RECOVERY, WSANO_RECOVERY);
    const setLastError = (code: number): void => { this.lastError = code; };
    return this.names ??= {
      resolver: new NameResolver(sources[0]!, { setLastError }),
      lookup: new WSALookupService({ sources: [...sources], setLastError }),
    };
  }

  /** getaddrinfo / GetAddrInfoW (src/ns's NameResolver): 0, or the code, also the last error. */
  getaddrinfo = (pNodeName: string | null, pServiceName: string | null, pHints: ADDRINFOW_HINTS | null, ppResult: Out<ADDRINFOW | null> | null): number => {
    const n = this.namesOrError();
    return typeof n === 'number' ? n : n.resolver.getaddrinfo(pNodeName, pServiceName, pHints, ppResult);
  };

  GetAddrInfoW = (pNodeName: string | null, pServiceName: string | null, pHints: ADDRINFOW_HINTS | null, ppResult: Out<ADDRINFOW | null> | null): number => {
    const n = this.namesOrError();
    return typeof n === 'number' ? n : n.resolver.GetAddrInfoW(pNodeName, pServiceName, pHints, ppResult);
  };

  /** The asynchronous form (the host network's names need it: its blocking form cannot wait). */
  GetAddrInfoWAsync = async (pNodeName: string | null, pServiceName: string | null, pHints: ADDRINFOW_HINTS | null): Promise<{ error: number; result: ADDRINFOW | null }> => {
    const n = this.namesOrError();
    return typeof n === 'number' ? { error: n, result: null } : n.resolver.GetAddrInfoWAsync(pNodeName, pServiceName, pHints);
  };

  FreeAddrInfoW = (pAddrInfo: ADDRINFOW | null): void => {
    // Nothing to free in JavaScript; kept for the C shape (and valid before WSAStartup, as free is).
    void pAddrInfo;
  };

  freeaddrinfo = this.FreeAddrInfoW;

  getnameinfo = (pSockaddr: Uint8Array | null, SockaddrLength: number, pNodeBuffer: Out<string> | null, NodeBufferSize: number,
    pServiceBuffer: Out<string> | null, ServiceBufferSize: number, Flags: number): number => {
    const n = this.namesOrError();
    return typeof n === 'number' ? n : n.resolver.getnameinfo(pSockaddr, SockaddrLength, pNodeBuffer, NodeBufferSize, pServiceBuffer, ServiceBufferSize, Flags);
  };

  /** gethostbyname: the HOSTENT, or null with the code in WSAGetLastError. */
  gethostbyname = (name: string | null): HOSTENT | null => {
    const n = this.namesOrError();
    return typeof n === 'number' ? null : n.resolver.gethostbyname(name);
  };

  gethostname = (name: Uint8Array | null, namelen: number): number => {
    const n = this.namesOrError();
    return typeof n === 'number' ? SOCKET_ERROR : n.resolver.gethostname(name, namelen);
  };

  WSALookupServiceBeginW = (lpqsRestrictions: WSAQUERYSETW | null, dwControlFlags: number, lphLookup: Out<HANDLE> | null): number => {
    const n = this.namesOrError();
    return typeof n === 'number' ? SOCKET_ERROR : n.lookup.WSALookupServiceBeginW(lpqsRestrictions, dwControlFlags, lphLookup);
  };

  WSALookupServiceNextW = (hLookup: HANDLE, dwControlFlags: number, lpdwBufferLength: Out<number> | null, lpqsResults: Out<WSAQUERYSETW | null> | null): number => {
    const n = this.namesOrError();
    return typeof n === 'number' ? SOCKET_ERROR : n.lookup.WSALookupServiceNextW(hLookup, dwControlFlags, lpdwBufferLength, lpqsResults);
  };

  WSALookupServiceEnd = (hLookup: HANDLE): number => {
    const n = this.namesOrError();
    return typeof n === 'number' ? SOCKET_ERROR : n.lookup.WSALookupServiceEnd(hLookup);
  };

  // ---- UpcallHost -------------------------------------------------------------------------------

  /** @internal */
  postMessage(hWnd: unknown, Msg: number, wParam: number, lParam: number): boolean {
    if (this.options.postMessage) return this.options.postMessage(hWnd, Msg, wParam, lParam) !== false;
    if (typeof hWnd !== 'function') return false;
    (hWnd as (m: number, w: number, l: number) => unknown)(Msg, wParam, lParam);
    return true;
  }

  /** @internal Only this thread's id is accepted: its routines run in its alertable waits. */
  queueApc(lpThreadId: WSATHREADID, fn: LPWSAUSERAPC, dwContext: number): boolean {
    let thread: unknown;
    try {
      thread = lpThreadId.ThreadHandle;
    } catch {
      return false;
    }
    if (thread !== this) return false;
    this.apcs.push({ fn, ctx: dwContext });
    return true;
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private failWith(code: number, ret: number): number {
    this.lastError = code;
    return ret;
  }

  /** Runs a per-socket call: WSANOTINITIALISED, WSAENOTSOCK, then the provider's own answer. */
  private on(s: number, failValue: number, body: (p: Procs, ph: number, e: LPINT, slot: Slot) => number): number {
    try {
      if (this.startups === 0) return this.failWith(WSANOTINITIALISED, failValue);
      const slot = this.handles.get(s);
      if (slot === undefined) return this.failWith(WSAENOTSOCK, failValue);
      const procs = this.procsOf(slot.entryId);
      if (typeof procs === 'number') return this.failWith(procs, failValue);
      const e = { value: 0 };
      const r = body(procs, slot.providerHandle, e, slot);
      if (r === failValue) this.lastError = e.value;
      return r;
    } catch {
      return this.failWith(WSAEFAULT, failValue);
    }
  }

  private onEvent(hEvent: unknown, act: (ev: WSAEvent) => void): boolean {
    if (!WSAEvent.is(hEvent) || this.closedEvents.has(hEvent)) {
      this.lastError = WSA_INVALID_HANDLE;
      return false;
    }
    act(hEvent);
    return true;
  }

  /** The proc table of a catalogue entry, starting its provider (WSPStartup) the first time; or an error code. */
  private procsOf(entryId: number): Procs | number {
    const known = this.started.get(entryId);
    if (known) return known.procs as Procs;
    const resolved = this.catalog.resolve(entryId);
    if (resolved === undefined) return WSAEINVAL;
    const procs: WSPPROC_TABLE = {};
    const r = resolved.provider.WSPStartup(WS2_HIGH_VERSION, {}, this.recordFor(entryId, resolved.info), makeUpcalls(this, entryId), procs);
    if (r !== 0) return r;
    this.started.set(entryId, { procs });
    return procs as Procs;
  }

  /** What a provider is handed for entry `entryId`: a base provider its own record, a layered one the catalogue's. */
  private recordFor(entryId: number, info: WSAPROTOCOL_INFOW): WSAPROTOCOL_INFOW {
    return this.catalog.resolve(entryId)?.native ?? info;
  }

  private baseFor(lpProtocolInfo: WSAPROTOCOL_INFOW | null, family: unknown): { procs: Procs; native: WSAPROTOCOL_INFOW } | number {
    let id: number | undefined;
    if (lpProtocolInfo !== null && lpProtocolInfo !== undefined) {
      if (!isRef(lpProtocolInfo) || typeof lpProtocolInfo.dwCatalogEntryId !== 'number') return WSAEFAULT;
      id = lpProtocolInfo.dwCatalogEntryId;
    } else {
      if (family !== AF_INET && family !== AF_INET6) return WSAEINVAL;
      const hit = this.catalog.select(family, 0, 0);
      if (typeof hit === 'number') return WSAEINVAL;
      id = hit.dwCatalogEntryId;
    }
    const base = this.catalog.baseOf(id);
    if (base === undefined) return WSAEINVAL;
    const procs = this.procsOf(base.info.dwCatalogEntryId);
    if (typeof procs === 'number') return procs;
    return { procs, native: base.native };
  }

  private blocker(): Blocker | undefined {
    return this.catalog.blocker();
  }
}

function failed(e: LPINT, code: number): number {
  e.value = code;
  return SOCKET_ERROR;
}

/** `buf`'s first `len` bytes as one WSABUF; undefined when `len` does not fit `buf`. */
function oneBuffer(buf: unknown, len: unknown): WSABUF[] | undefined {
  if (!isByteArray(buf) || typeof len !== 'number' || !Number.isInteger(len) || len < 0 || len > buf.length) return undefined;
  return [{ len, buf }];
}

/** The family of a sockaddr (object or C bytes), or undefined. */
function familyOf(addr: unknown): unknown {
  if (isByteArray(addr)) return addr.length >= 2 ? addr[0]! | (addr[1]! << 8) : undefined;
  if (typeof addr === 'object' && addr !== null) return (addr as { family?: unknown }).family;
  return AF_UNSPEC;
}
