/**
 * The ws2spi.h facade: the WSP* functions with C argument order, `lpErrno` out-parameters
 * and Windows' numeric codes. Arguments are checked here (pointers, lengths, sockaddrs);
 * the rules live in the provider core. Every failure leaves through {@link fail}.
 */
import {
  AF_UNSPEC, SD_RECEIVE, SD_SEND, CF_ACCEPT, CF_DEFER, CF_REJECT, SOCKET_ERROR, INVALID_SOCKET, WSAEFAULT, WSAEAFNOSUPPORT,
  WSAEINPROGRESS, WSAEINVAL, WSAENOTSOCK, WSAEOPNOTSUPP, WSANOTINITIALISED, WSAVERNOTSUPPORTED,
} from '../provider/constants.js';
import type { ProviderCore, SocketInfo } from '../provider/provider.js';
import type { Endpoint } from '../provider/socket.js';
import { addressFor } from '../provider/transport.js';
import { protocolCatalog } from './catalog.js';
import { addressToString, stringToAddress, type LPWSTR } from './address-string.js';
import { disconnect } from './disconnect.js';
import { duplicateSocket, isDuplicateInfo, processIdOf, redeemDuplicate } from './duplicate.js';
import { getQOSByName, joinLeaf, type QOS } from './unoffered.js';
import { OptionFunctions } from './option-functions.js';
import { callerBytes, fail, finish, guard, isRef, probe, probeAll, store } from './funnel.js';
import { isByteArray } from '../wire/bytes.js';
import { canWriteSockAddr, encodeSockAddr, readSockAddrArg, writeSockAddrArg, type SockAddrArg, type SockAddrOut } from './sockaddr.js';
import { UPCALL_NAMES, type ConditionProc, type LPINT, type WSABUF, type WSAPROTOCOL_INFOW, type WSPDATA, type WSPUPCALLTABLE } from './types.js';

/** `FROM_PROTOCOL_INFO`: take af, type or protocol from lpProtocolInfo. */
export const FROM_PROTOCOL_INFO = -1;

/** The version this provider implements: 2.2. */
export const WSP_VERSION = 0x0202;

/** Every function WSPStartup puts in the proc table: ws2spi.h's WSPPROC_TABLE, all 30 entries, in its order. */
export const PROC_NAMES = [
  'WSPAccept', 'WSPAddressToString', 'WSPAsyncSelect', 'WSPBind', 'WSPCancelBlockingCall', 'WSPCleanup',
  'WSPCloseSocket', 'WSPConnect', 'WSPDuplicateSocket', 'WSPEnumNetworkEvents', 'WSPEventSelect', 'WSPGetOverlappedResult',
  'WSPGetPeerName', 'WSPGetSockName', 'WSPGetSockOpt', 'WSPGetQOSByName', 'WSPIoctl', 'WSPJoinLeaf', 'WSPListen',
  'WSPRecv', 'WSPRecvDisconnect', 'WSPRecvFrom', 'WSPSelect', 'WSPSend', 'WSPSendDisconnect', 'WSPSendTo',
  'WSPSetSockOpt', 'WSPShutdown', 'WSPSocket', 'WSPStringToAddress',
] as const;

/**
 * The proc-table entries of overlapped I/O (docs/overlapped.md), also in {@link PROC_NAMES}; worker
 * threads (`winsock-spi/threads`) carry them on their own OVERLAPPEDs (docs/overlapped.md, "Worker threads").
 */
export const OVERLAPPED_PROC_NAMES = ['WSPGetOverlappedResult'] as const satisfies readonly (typeof PROC_NAMES)[number][];

const ALL_PROC_NAMES = PROC_NAMES;
const PROC_KEYS = ALL_PROC_NAMES.map((name) => `lp${name}`);
const WSPDATA_KEYS = ['wVersion', 'wHighVersion', 'szDescription'];

/** The upcall table's functions, read once: a hostile table can fail WSPStartup, never a later call. */
function snapshotUpcalls(table: WSPUPCALLTABLE): WSPUPCALLTABLE {
  const out = Object.create(null) as Record<string, unknown>;
  for (const name of UPCALL_NAMES) {
    const fn = table[`lp${name}`];
    if (typeof fn === 'function') out[`lp${name}`] = fn;
  }
  return out as WSPUPCALLTABLE;
}

/** An AF_UNSPEC sockaddr (object or bytes) of a readable length: WSPConnect's "no peer". */
function isUnspec(name: unknown, namelen: unknown): boolean {
  if (typeof namelen !== 'number' || !Number.isInteger(namelen) || namelen < 2) return false;
  const bytes = callerBytes(name, 2);
  if (bytes !== undefined) return bytes[0] === 0 && bytes[1] === 0;
  return typeof name === 'object' && name !== null && !isByteArray(name) && (name as { family?: unknown }).family === AF_UNSPEC;
}

/** The proc table: `lpWSPListen` and so on. */
export type WSPPROC_TABLE = { [K in (typeof ALL_PROC_NAMES)[number] as `lp${K}`]?: ServiceProvider[K] };

/**
 * One host's service provider. Its methods are the WSP* functions (bound, so they can be
 * taken off the object or out of the proc table).
 */
export class ServiceProvider extends OptionFunctions {
  private startups = 0;

  constructor(core: ProviderCore, private readonly description: string) {
    super(core);
  }

  /** The protocols this provider offers, as WSAPROTOCOL_INFOW records. */
  protocols(): WSAPROTOCOL_INFOW[] {
    return protocolCatalog(this.core.transport.urgentData === true);
  }

  /**
   * Non-standard, for tests and tools: a snapshot of a socket, including the effective backlog
   * and queue length of a listener (Winsock offers no standard way to read them).
   */
  inspect(s: number): SocketInfo | undefined {
    return this.core.inspect(s);
  }

  /** Initialises the provider and fills the proc table. Returns 0 or an error code (not via lpErrno, as in C). */
  WSPStartup = (
    wVersionRequested: number, lpWSPData: WSPDATA, lpProtocolInfo: WSAPROTOCOL_INFOW | null,
    UpcallTable: WSPUPCALLTABLE | null, lpProcTable: WSPPROC_TABLE,
  ): number => {
    try {
      if (this.core.inCallback) return WSAEINPROGRESS;
      if (typeof wVersionRequested !== 'number') return WSAVERNOTSUPPORTED;
      const major = wVersionRequested & 0xff;
      const minor = (wVersionRequested >> 8) & 0xff;
      if (major < 2 || (major === 2 && minor < 2)) return WSAVERNOTSUPPORTED;
      if (!isRef(lpWSPData) || !isRef(lpProcTable)) return WSAEFAULT;
      if (lpProtocolInfo !== null && lpProtocolInfo !== undefined && !isRef(lpProtocolInfo)) return WSAEFAULT;
      if (!probeAll(lpWSPData, WSPDATA_KEYS) || !probeAll(lpProcTable, PROC_KEYS)) return WSAEFAULT;
      const upcalls = isRef(UpcallTable) ? snapshotUpcalls(UpcallTable) : null;
      store(lpWSPData, 'wVersion', WSP_VERSION);
      store(lpWSPData, 'wHighVersion', WSP_VERSION);
      store(lpWSPData, 'szDescription', this.description);
      for (const name of ALL_PROC_NAMES) store(lpProcTable, `lp${name}`, this[name]);
      this.upcalls = upcalls;
      this.startups++;
      return 0;
    } catch {
      return WSAEFAULT;
    }
  };

  /** Undoes one WSPStartup; the last one closes every socket this provider has. */
  WSPCleanup = (lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      if (this.startups === 0) return fail(lpErrno, WSANOTINITIALISED, SOCKET_ERROR);
      // Closing every socket under a running callback would pull state from under the call that made it.
      if (this.core.inCallback) return fail(lpErrno, WSAEINPROGRESS, SOCKET_ERROR);
      this.startups--;
      if (this.startups === 0) this.core.closeAll();
      return 0;
    });

  WSPSocket = (
    af: number, type: number, protocol: number, lpProtocolInfo: WSAPROTOCOL_INFOW | null,
    g: number, dwFlags: number, lpErrno: LPINT,
  ): number =>
    guard(lpErrno, INVALID_SOCKET, () => {
      let a = af;
      let t = type;
      let p = protocol;
      const fromInfo = lpProtocolInfo !== null && lpProtocolInfo !== undefined;
      if (fromInfo) {
        if (!isRef(lpProtocolInfo)) return fail(lpErrno, WSAEFAULT, INVALID_SOCKET);
        if (isDuplicateInfo(lpProtocolInfo)) return redeemDuplicate(this.core, af, type, protocol, lpProtocolInfo, g, dwFlags, lpErrno);
        // As WSASocket does (Wine's test_WSASocket): FROM_PROTOCOL_INFO, and also 0, take the
        // record's value; any other value wins over the record.
        if (a === FROM_PROTOCOL_INFO || a === 0) a = lpProtocolInfo.iAddressFamily;
        if (t === FROM_PROTOCOL_INFO || t === 0) t = lpProtocolInfo.iSocketType;
        if (p === FROM_PROTOCOL_INFO || p === 0) p = lpProtocolInfo.iProtocol;
      }
      return finish(this.core.socket(a, t, p, g, dwFlags, fromInfo), lpErrno, INVALID_SOCKET);
    });

  /**
   * Fills `lpProtocolInfo` (a WSAPROTOCOL_INFOW) with a duplicate of socket `s` for process
   * `dwProcessId` — this provider's {@link GetCurrentProcessId}: a provider is the process its
   * handles belong to, worker threads are its threads. WSPSocket given that structure redeems it
   * once (in any thread of this provider, e.g. after postMessage to another worker): a new
   * descriptor of the same socket, sharing its state; the socket lives until the last descriptor
   * closes. Errors: WSAENOTSOCK, WSAEINVAL (process id), WSAEFAULT (src/spi/duplicate.ts).
   */
  WSPDuplicateSocket = (s: number, dwProcessId: number, lpProtocolInfo: WSAPROTOCOL_INFOW, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => duplicateSocket(this.core, s, dwProcessId, lpProtocolInfo, this.protocols(), lpErrno));

  /** Non-standard: kernel32's GetCurrentProcessId for code using this provider (WSPDuplicateSocket's dwProcessId). */
  GetCurrentProcessId = (): number => processIdOf(this.core);

  WSPBind = (s: number, name: SockAddrArg, namelen: number, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      if (this.core.lookup(s) === undefined) return fail(lpErrno, WSAENOTSOCK, SOCKET_ERROR);
      const ep = this.readName(name, namelen, lpErrno);
      if (ep === undefined) return SOCKET_ERROR;
      return finish(this.core.bind(s, ep), lpErrno, SOCKET_ERROR, 0);
    });

  WSPListen = (s: number, backlog: number, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => finish(this.core.listen(s, backlog), lpErrno, SOCKET_ERROR, 0), WSAEINVAL);

  WSPAccept = (
    s: number, addr: SockAddrOut | null, addrlen: LPINT | null, lpfnCondition: ConditionProc | null,
    dwCallbackData: unknown, lpErrno: LPINT,
  ): number =>
    guard(lpErrno, INVALID_SOCKET, () => {
      const listener = this.core.lookup(s);
      if (listener === undefined) return fail(lpErrno, WSAENOTSOCK, INVALID_SOCKET);
      // The address must fit before a connection is taken off the queue. With no addrlen the
      // address is not written at all (Wine's test_accept: accept(s, &ss, NULL) succeeds, ss untouched).
      const wantsAddr = addr !== null && addr !== undefined && addrlen !== null && addrlen !== undefined;
      if (wantsAddr && !canWriteSockAddr(listener.af, addr, addrlen)) return fail(lpErrno, WSAEFAULT, INVALID_SOCKET);
      if (lpfnCondition !== null && lpfnCondition !== undefined && typeof lpfnCondition !== 'function') {
        return fail(lpErrno, WSAEFAULT, INVALID_SOCKET);
      }
      const decide = typeof lpfnCondition === 'function'
        ? (entry: { conn: { localAddress: string; localPort: number; remoteAddress: string; remotePort: number } }) =>
          this.askCondition(lpfnCondition, listener.af, entry.conn, dwCallbackData)
        : null;
      const handle = this.core.accept(s, decide);
      if (handle < 0) return fail(lpErrno, -handle, INVALID_SOCKET);
      const remote = this.core.lookup(handle)?.remote;
      if (wantsAddr && remote) writeSockAddrArg(remote, addr, addrlen);
      return handle;
    });

  WSPConnect = (
    s: number, name: SockAddrArg, namelen: number, lpCallerData: WSABUF | null, lpCalleeData: WSABUF | null,
    lpSQOS: null, lpGQOS: null, lpErrno: LPINT,
  ): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      if (this.core.lookup(s) === undefined) return fail(lpErrno, WSAENOTSOCK, SOCKET_ERROR);
      if (isUnspec(name, namelen)) return finish(this.core.dissolve(s), lpErrno, SOCKET_ERROR, 0);
      const ep = this.readName(name, namelen, lpErrno);
      if (ep === undefined) return SOCKET_ERROR;
      // TCP carries no connect data; QOS is not offered (XP1_QOS_SUPPORTED is not set).
      if ((lpSQOS !== null && lpSQOS !== undefined) || (lpGQOS !== null && lpGQOS !== undefined)) {
        return fail(lpErrno, WSAEOPNOTSUPP, SOCKET_ERROR);
      }
      const callee = lpCalleeData !== null && lpCalleeData !== undefined;
      if (callee && !probe(lpCalleeData, 'len')) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      void lpCallerData;
      const r = this.core.connect(s, ep);
      if (r < 0) return fail(lpErrno, -r, SOCKET_ERROR);
      if (callee) store(lpCalleeData, 'len', 0); // no connect data comes back over TCP
      return 0;
    });

  WSPCloseSocket = (s: number, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => finish(this.core.close(s), lpErrno, SOCKET_ERROR, 0), WSAENOTSOCK);

  WSPGetSockName = (s: number, name: SockAddrOut, namelen: LPINT, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => this.writeName(this.core.sockName(s), name, namelen, lpErrno));

  WSPGetPeerName = (s: number, name: SockAddrOut, namelen: LPINT, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => this.writeName(this.core.peerName(s), name, namelen, lpErrno));

  /**
   * Prints a sockaddr (`{ family, address, port, scopeId? }` or its bytes) as Windows does:
   * `10.0.0.1:80`, `[fe80::1%4]:80`; the port only when not 0 (src/spi/address-string.ts).
   * `lpProtocolInfo` is required: one of {@link protocols}. `lpszAddressString` receives the text
   * in `value`; `lpdwAddressStringLength.value` is its size in characters with the terminating NUL,
   * in and out. Too small: WSAEFAULT, and the size needed is written back.
   */
  WSPAddressToString = (
    lpsaAddress: SockAddrArg, dwAddressLength: number, lpProtocolInfo: WSAPROTOCOL_INFOW,
    lpszAddressString: LPWSTR | null, lpdwAddressStringLength: LPINT, lpErrno: LPINT,
  ): number =>
    guard(lpErrno, SOCKET_ERROR, () => addressToString(this.protocols(), lpsaAddress, dwAddressLength, lpProtocolInfo,
      lpszAddressString, lpdwAddressStringLength, lpErrno));

  /**
   * Parses address text as Windows does (shortened, hex and octal IPv4 forms; `[addr%scope]:port`)
   * into `lpAddress` (object or bytes); `lpAddressLength.value` in bytes, in and out (too small:
   * WSAEFAULT and the size needed). AF_UNSPEC takes `lpProtocolInfo`'s family. A string Windows
   * refuses: WSAEINVAL, and nothing is written.
   */
  WSPStringToAddress = (
    AddressString: string, AddressFamily: number, lpProtocolInfo: WSAPROTOCOL_INFOW,
    lpAddress: SockAddrOut, lpAddressLength: LPINT, lpErrno: LPINT,
  ): number =>
    guard(lpErrno, SOCKET_ERROR, () => stringToAddress(this.protocols(), AddressString, AddressFamily, lpProtocolInfo,
      lpAddress, lpAddressLength, lpErrno));

  /** WSPShutdown(SD_RECEIVE); `lpInboundDisconnectData` must be null (TCP has none: WSAENOPROTOOPT). */
  WSPRecvDisconnect = (s: number, lpInboundDisconnectData: WSABUF | null, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => disconnect(this.core, s, lpInboundDisconnectData, SD_RECEIVE, lpErrno));

  /** WSPShutdown(SD_SEND); `lpOutboundDisconnectData` must be null (TCP has none: WSAENOPROTOOPT). */
  WSPSendDisconnect = (s: number, lpOutboundDisconnectData: WSABUF | null, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => disconnect(this.core, s, lpOutboundDisconnectData, SD_SEND, lpErrno));

  /** No multipoint sockets exist here: INVALID_SOCKET with WSAEOPNOTSUPP (src/spi/unoffered.ts). */
  WSPJoinLeaf = (
    s: number, name: SockAddrArg, namelen: number, lpCallerData: WSABUF | null, lpCalleeData: WSABUF | null,
    lpSQOS: QOS | null, lpGQOS: QOS | null, dwFlags: number, lpErrno: LPINT,
  ): number =>
    guard(lpErrno, INVALID_SOCKET, () => {
      void name; void namelen; void lpCallerData; void lpCalleeData; void lpSQOS; void lpGQOS; void dwFlags;
      return joinLeaf(this.core, s, lpErrno);
    });

  /** No QOS templates: returns FALSE (0) with WSAEINVAL, never TRUE (src/spi/unoffered.ts). */
  WSPGetQOSByName = (s: number, lpQOSName: WSABUF, lpQOS: QOS | null, lpErrno: LPINT): number =>
    guard(lpErrno, 0, () => {
      void lpQOS;
      return getQOSByName(this.core, s, lpQOSName, lpErrno);
    });

  /**
   * Cancels the blocking call in progress on the calling thread. On the thread that owns the
   * network none ever is when a caller's code can run (a blocking call runs the network to its end
   * inside the call, and a condition function's call completes as soon as it returns), so this is
   * always WSAEINVAL ("no outstanding blocking call") here. A worker thread's blocking call is
   * cancelled from another thread with `ProviderServer.cancelBlockingCall` (WSAEINTR;
   * docs/overlapped.md, "WSPCancelBlockingCall across threads").
   */
  WSPCancelBlockingCall = (lpErrno: LPINT): number => fail(lpErrno, WSAEINVAL, SOCKET_ERROR);

  // ---- helpers --------------------------------------------------------------------------

  private readName(name: unknown, namelen: unknown, lpErrno: unknown): Endpoint | undefined {
    const r = readSockAddrArg(name, namelen);
    if (r.ok) return r.endpoint;
    fail(lpErrno, r.reason === 'family' ? WSAEAFNOSUPPORT : WSAEFAULT, SOCKET_ERROR);
    return undefined;
  }

  private writeName(ep: Endpoint | number, name: unknown, namelen: unknown, lpErrno: unknown): number {
    if (typeof ep === 'number') return fail(lpErrno, -ep, SOCKET_ERROR);
    // writeSockAddrArg checks every field before it writes one, so a failure leaves name as it was.
    if (!writeSockAddrArg({ ...ep, flowinfo: 0, scopeId: 0 }, name, namelen)) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
    return 0;
  }

  /** Calls the client's condition function with sockaddr bytes for caller and callee. */
  private askCondition(
    fn: ConditionProc, af: number,
    conn: { localAddress: string; localPort: number; remoteAddress: string; remotePort: number },
    data: unknown,
  ): number {
    const caller = encodeSockAddr({ family: af, address: addressFor(af, conn.remoteAddress), port: conn.remotePort });
    const callee = encodeSockAddr({ family: af, address: addressFor(af, conn.localAddress), port: conn.localPort });
    let verdict: unknown;
    try {
      verdict = fn({ len: caller.length, buf: caller }, null, null, null, { len: callee.length, buf: callee }, null, { value: 0 }, data);
    } catch {
      return -WSAEFAULT;
    }
    if (verdict === CF_ACCEPT || verdict === CF_REJECT || verdict === CF_DEFER) return verdict as number;
    return -WSAEINVAL;
  }
}
