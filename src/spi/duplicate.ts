/**
 * WSPDuplicateSocket and its redemption by WSPSocket. Windows' record: Wine's test_WSADuplicateSocket
 * (test/wine/duplicate.test.ts); where it is silent, the decisions are written here.
 *
 * A duplicate is a WSAPROTOCOL_INFOW: the socket's catalogue entry with `dwProviderReserved`
 * naming a pending duplicate. It is plain data (numbers and strings), so it can travel to another
 * worker thread with postMessage; WSPSocket given it (FROM_PROTOCOL_INFO or 0 for the triple, or
 * the socket's own values) hands out a second descriptor of the same socket, once. The descriptors
 * share everything (options, data, connection); the socket lives until the last one closes.
 *
 * As on Windows, where WSPDuplicateSocket duplicates the handle into the target process at once,
 * the new descriptor exists from the duplicate on (it counts against the descriptor limit, and
 * keeps the socket open if the source closes its own before the structure is redeemed); WSPSocket
 * only hands it out. A structure never redeemed holds its socket until WSPCleanup, as a handle
 * the target never learnt of stays open until that process exits; then the structure is stale
 * (WSAEINVAL) and nothing of it is kept.
 *
 * "Processes": socket handles belong to a provider (docs/overlapped.md, CreateIoCompletionPort),
 * so a provider is the process; its worker threads (`winsock-spi/threads`) are its threads.
 * {@link processIdOf} is its GetCurrentProcessId. Another host's provider is another machine.
 */
import { INVALID_SOCKET, SOCKET_ERROR, WSAEFAULT, WSAEINPROGRESS, WSAEINVAL, WSAENOTSOCK } from '../provider/constants.js';
import type { ProviderCore } from '../provider/provider.js';
import type { Socket } from '../provider/socket.js';
import { fail, isRef, probeAll } from './funnel.js';
import type { WSAPROTOCOL_INFOW } from './types.js';

/** The fields of a WSAPROTOCOL_INFOW, all written by a successful call. */
const INFO_KEYS = [
  'dwServiceFlags1', 'dwServiceFlags2', 'dwServiceFlags3', 'dwServiceFlags4', 'dwProviderFlags', 'ProviderId',
  'dwCatalogEntryId', 'ProtocolChain', 'iVersion', 'iAddressFamily', 'iMaxSockAddr', 'iMinSockAddr', 'iSocketType',
  'iProtocol', 'iProtocolMaxOffset', 'iNetworkByteOrder', 'iSecurityScheme', 'dwMessageSize', 'dwProviderReserved',
  'szProtocol',
] as const;

/** A duplicate not redeemed yet. */
interface Pending {
  readonly sock: Socket;
  /** The descriptor made for it. */
  readonly handle: number;
}

/**
 * Pending duplicates of a provider by their `dwProviderReserved` (a DWORD; never 0, which
 * catalogue entries carry). Per provider, so that nothing module-wide holds a provider alive;
 * an entry goes when redeemed or when its socket is destroyed (its last descriptor closed,
 * WSPCleanup), so a structure never redeemed holds nothing after that.
 */
const PENDING = new WeakMap<ProviderCore, Map<number, Pending>>();

function pendingOf(core: ProviderCore): Map<number, Pending> {
  let map = PENDING.get(core);
  if (map === undefined) {
    const made = new Map<number, Pending>();
    map = made;
    PENDING.set(core, made);
    core.beforeChange.add((sock) => {
      if (made.size === 0 || sock.phase !== 'closed') return;
      for (const [token, p] of made) if (p.sock === sock) made.delete(token);
    });
  }
  return map;
}

/** @internal How many duplicates of `core` are pending (tests: a destroyed socket leaves none). */
export function pendingDuplicates(core: ProviderCore): number {
  return PENDING.get(core)?.size ?? 0;
}

/**
 * Numbering per network (the transport's domain): tokens and process ids depend on what ran in
 * that network only, not on how many networks this module saw before. Tokens are unique across
 * the network's providers, so a structure redeemed in another provider names nothing there.
 */
interface Counters {
  nextToken: number;
  nextProcessId: number;
}
const COUNTERS = new WeakMap<object, Counters>();
const FIRST_TOKEN = 0x5d00_0001;
/** Windows' process ids are multiples of 4; these start where a small system's would. */
const FIRST_PROCESS_ID = 0x1000;

function countersOf(core: ProviderCore): Counters {
  const domain = core.transport.domain;
  let c = COUNTERS.get(domain);
  if (c === undefined) {
    c = { nextToken: FIRST_TOKEN, nextProcessId: FIRST_PROCESS_ID };
    COUNTERS.set(domain, c);
  }
  return c;
}

/** `FROM_PROTOCOL_INFO` (service-provider.ts exports it; not imported, which would be a cycle). */
const FROM_PROTOCOL_INFO_VALUE = -1;

const PROCESS_IDS = new WeakMap<ProviderCore, number>();

/** The provider's process id (GetCurrentProcessId for code using it), given at first request. */
export function processIdOf(core: ProviderCore): number {
  let id = PROCESS_IDS.get(core);
  if (id === undefined) {
    const c = countersOf(core);
    id = c.nextProcessId;
    c.nextProcessId += 4;
    PROCESS_IDS.set(core, id);
  }
  return id;
}

/**
 * WSPDuplicateSocket(s, dwProcessId, lpProtocolInfo, lpErrno). Checks in Windows' order (Wine's
 * test_WSADuplicateSocket): the socket (WSAENOTSOCK), then the process id (0, or no process:
 * WSAEINVAL; here only this provider's own id names a process that can hold this socket), then
 * lpProtocolInfo (null or unwritable: WSAEFAULT); then the new descriptor (WSAEMFILE, WSAENOBUFS).
 * On success it fills every field and returns 0.
 */
export function duplicateSocket(core: ProviderCore, s: unknown, dwProcessId: unknown, lpProtocolInfo: unknown,
  catalog: readonly WSAPROTOCOL_INFOW[], lpErrno: unknown): number {
  const sock = core.lookup(s);
  if (sock === undefined) return fail(lpErrno, WSAENOTSOCK, SOCKET_ERROR);
  if (core.inCallback) return fail(lpErrno, WSAEINPROGRESS, SOCKET_ERROR);
  if (typeof dwProcessId !== 'number' || dwProcessId !== processIdOf(core)) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
  if (!isRef(lpProtocolInfo) || !probeAll(lpProtocolInfo, INFO_KEYS)) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
  const entry = catalog.find((p) => p.iAddressFamily === sock.af && p.iSocketType === sock.type && p.iProtocol === sock.protocol);
  if (entry === undefined) return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
  const handle = core.addDescriptor(sock);
  if (handle < 0) return fail(lpErrno, -handle, SOCKET_ERROR);
  const counters = countersOf(core);
  const token = counters.nextToken;
  counters.nextToken = token >= 0xfffffff0 ? FIRST_TOKEN : token + 1;
  const info: WSAPROTOCOL_INFOW = { ...entry, ProtocolChain: { ...entry.ProtocolChain, ChainEntries: [...entry.ProtocolChain.ChainEntries] }, dwProviderReserved: token };
  // Every field was probed writable above: the writes cannot fail half-way.
  const out = lpProtocolInfo as unknown as Record<string, unknown>;
  for (const k of INFO_KEYS) out[k] = info[k];
  pendingOf(core).set(token, { sock, handle });
  return 0;
}

/** True when `lpProtocolInfo` carries a duplicate (its `dwProviderReserved` is not a catalogue entry's 0). */
export function isDuplicateInfo(lpProtocolInfo: WSAPROTOCOL_INFOW): boolean {
  const r = lpProtocolInfo.dwProviderReserved;
  return r !== 0 && r !== undefined && r !== null;
}

/**
 * WSPSocket with a duplicate's WSAPROTOCOL_INFOW: a new descriptor of the duplicated socket, or
 * INVALID_SOCKET with WSAEINVAL — WSASocket's "the WSAPROTOCOL_INFO structure ... is incomplete,
 * the contents are invalid or [it] has already been used in an earlier duplicate socket
 * operation": redeemed already, forged, stale (WSPCleanup closed its socket), redeemed in another
 * provider (process), or an af/type/protocol that is not the socket's. A refused redemption leaves
 * the duplicate pending.
 */
export function redeemDuplicate(core: ProviderCore, af: unknown, type: unknown, protocol: unknown, lpProtocolInfo: WSAPROTOCOL_INFOW,
  g: unknown, dwFlags: unknown, lpErrno: unknown): number {
  const token = lpProtocolInfo.dwProviderReserved;
  const map = PENDING.get(core);
  const pending = typeof token === 'number' && map !== undefined ? map.get(token) : undefined;
  if (map === undefined || pending === undefined) return fail(lpErrno, WSAEINVAL, INVALID_SOCKET);
  const { sock, handle } = pending;
  const same = (v: unknown, own: number): boolean => v === FROM_PROTOCOL_INFO_VALUE || v === 0 || v === own;
  if (!same(af, sock.af) || !same(type, sock.type) || !same(protocol, sock.protocol)) return fail(lpErrno, WSAEINVAL, INVALID_SOCKET);
  if (g !== 0 && g !== undefined && g !== null) return fail(lpErrno, WSAEINVAL, INVALID_SOCKET);
  if (dwFlags !== 0 && dwFlags !== undefined && dwFlags !== null && (typeof dwFlags !== 'number' || !Number.isInteger(dwFlags))) {
    return fail(lpErrno, WSAEINVAL, INVALID_SOCKET);
  }
  if (core.inCallback) return fail(lpErrno, WSAEINPROGRESS, INVALID_SOCKET);
  // Its descriptor was closed meanwhile (WSPCleanup, or a program that guessed the handle): stale.
  if (core.lookup(handle) !== sock) {
    map.delete(token as number);
    return fail(lpErrno, WSAEINVAL, INVALID_SOCKET);
  }
  map.delete(token as number);
  return handle;
}
