// The tracing LSP: every call it sees, with its arguments, result and lpErrno, as readable lines, JSON lines or records.
/**
 * Install it over any base entry (or chain) with {@link Catalog.installLayered} under
 * {@link TracingLsp.ProviderId}; each call the program makes through the chain is written to the
 * sinks once it returns (so out-parameters show what the call wrote). A sink is an array (lines
 * are pushed) or a function (called with each line).
 */
import { errorName } from '../provider/constants.js';
import type { Catalog } from '../ws2/catalog.js';
import { LayeredProvider, type LayerCall, type LayerHook } from './layer.js';

/** Where trace output goes: pushed onto an array, or handed to a function. */
export type Sink<T> = T[] | ((item: T) => void);

/** One traced call. */
export interface TraceRecord {
  /** 1, 2, 3... in the order calls returned. */
  seq: number;
  /** The function (`WSPSend`, ..., or an extension function such as `AcceptEx`). */
  call: string;
  /** The program's socket, or null. */
  socket: number | null;
  /** The arguments by their ws2spi.h names (lpErrno left out), each described as text. */
  args: Record<string, string>;
  /** What the call returned. */
  result: number | boolean | string;
  /** lpErrno after the call when it failed (0 when it succeeded or has no lpErrno). */
  errno: number;
}

/** Options of {@link TracingLsp}. */
export interface TracingOptions {
  /** Readable lines: `WSPSend(s=0x40000000, lpBuffers=[5 B], ...) = 0`, or `= -1 WSAEWOULDBLOCK (10035)`. */
  text?: Sink<string>;
  /** One JSON object per line (a {@link TraceRecord}). */
  json?: Sink<string>;
  /** The records themselves. */
  records?: Sink<TraceRecord>;
}

/** ws2spi.h's parameter names (lpErrno, always last, left out). */
const PARAMS: Record<string, readonly string[]> = {
  WSPAccept: ['s', 'addr', 'addrlen', 'lpfnCondition', 'dwCallbackData'],
  WSPAddressToString: ['lpsaAddress', 'dwAddressLength', 'lpProtocolInfo', 'lpszAddressString', 'lpdwAddressStringLength'],
  WSPAsyncSelect: ['s', 'hWnd', 'wMsg', 'lEvent'],
  WSPBind: ['s', 'name', 'namelen'],
  WSPCancelBlockingCall: [],
  WSPCleanup: [],
  WSPCloseSocket: ['s'],
  WSPConnect: ['s', 'name', 'namelen', 'lpCallerData', 'lpCalleeData', 'lpSQOS', 'lpGQOS'],
  WSPDuplicateSocket: ['s', 'dwProcessId', 'lpProtocolInfo'],
  WSPEnumNetworkEvents: ['s', 'hEventObject', 'lpNetworkEvents'],
  WSPEventSelect: ['s', 'hEventObject', 'lNetworkEvents'],
  WSPGetOverlappedResult: ['s', 'lpOverlapped', 'lpcbTransfer', 'fWait', 'lpdwFlags'],
  WSPGetPeerName: ['s', 'name', 'namelen'],
  WSPGetSockName: ['s', 'name', 'namelen'],
  WSPGetSockOpt: ['s', 'level', 'optname', 'optval', 'optlen'],
  WSPGetQOSByName: ['s', 'lpQOSName', 'lpQOS'],
  WSPIoctl: ['s', 'dwIoControlCode', 'lpvInBuffer', 'cbInBuffer', 'lpvOutBuffer', 'cbOutBuffer', 'lpcbBytesReturned', 'lpOverlapped',
    'lpCompletionRoutine', 'lpThreadId'],
  WSPJoinLeaf: ['s', 'name', 'namelen', 'lpCallerData', 'lpCalleeData', 'lpSQOS', 'lpGQOS', 'dwFlags'],
  WSPListen: ['s', 'backlog'],
  WSPRecv: ['s', 'lpBuffers', 'dwBufferCount', 'lpNumberOfBytesRecvd', 'lpFlags', 'lpOverlapped', 'lpCompletionRoutine', 'lpThreadId'],
  WSPRecvDisconnect: ['s', 'lpInboundDisconnectData'],
  WSPRecvFrom: ['s', 'lpBuffers', 'dwBufferCount', 'lpNumberOfBytesRecvd', 'lpFlags', 'lpFrom', 'lpFromlen', 'lpOverlapped',
    'lpCompletionRoutine', 'lpThreadId'],
  WSPSelect: ['nfds', 'readfds', 'writefds', 'exceptfds', 'timeout'],
  WSPSend: ['s', 'lpBuffers', 'dwBufferCount', 'lpNumberOfBytesSent', 'dwFlags', 'lpOverlapped', 'lpCompletionRoutine', 'lpThreadId'],
  WSPSendDisconnect: ['s', 'lpOutboundDisconnectData'],
  WSPSendTo: ['s', 'lpBuffers', 'dwBufferCount', 'lpNumberOfBytesSent', 'dwFlags', 'lpTo', 'iTolen', 'lpOverlapped',
    'lpCompletionRoutine', 'lpThreadId'],
  WSPSetSockOpt: ['s', 'level', 'optname', 'optval', 'optlen'],
  WSPShutdown: ['s', 'how'],
  WSPSocket: ['af', 'type', 'protocol', 'lpProtocolInfo', 'g', 'dwFlags'],
  WSPStringToAddress: ['AddressString', 'AddressFamily', 'lpProtocolInfo', 'lpAddress', 'lpAddressLength'],
  AcceptEx: ['sListenSocket', 'sAcceptSocket', 'lpOutputBuffer', 'dwReceiveDataLength', 'dwLocalAddressLength', 'dwRemoteAddressLength',
    'lpdwBytesReceived', 'lpOverlapped'],
  ConnectEx: ['s', 'name', 'namelen', 'lpSendBuffer', 'dwSendDataLength', 'lpdwBytesSent', 'lpOverlapped'],
  DisconnectEx: ['s', 'lpOverlapped', 'dwFlags', 'dwReserved'],
  WSARecvMsg: ['s', 'lpMsg', 'lpdwNumberOfBytesRecvd', 'lpOverlapped', 'lpCompletionRoutine'],
  WSASendMsg: ['s', 'lpMsg', 'dwFlags', 'lpNumberOfBytesSent', 'lpOverlapped', 'lpCompletionRoutine'],
  TransmitPackets: ['hSocket', 'lpPacketArray', 'nElementCount', 'nSendSize', 'lpOverlapped', 'dwFlags'],
};

/** Arguments shown in hex: handles and ioctl codes. */
const HEX_ARGS = new Set(['s', 'sListenSocket', 'sAcceptSocket', 'hSocket', 'dwIoControlCode']);
/** Calls that return a new socket (shown in hex, as handles are). */
const SOCKET_MAKERS = new Set(['WSPSocket', 'WSPAccept', 'WSPJoinLeaf']);
const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** A short text for one argument value: numbers, byte counts, buffers, out-parameters, addresses. */
export function describeArg(name: string, v: unknown, depth = 0): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return HEX_ARGS.has(name) ? hex(v) : String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'fn';
  if (v instanceof Uint8Array) return `[${v.length} B]`;
  if (depth > 1) return '{...}';
  if (Array.isArray(v)) return `[${v.slice(0, 4).map((x) => describeArg('', x, depth + 1)).join(', ')}${v.length > 4 ? ', ...' : ''}]`;
  const o = v as Record<string, unknown>;
  try {
    if ('buf' in o && 'len' in o) return `${String(o.len)} B`;
    if ('fd_count' in o && Array.isArray(o.fd_array)) return `{${(o.fd_array as number[]).slice(0, o.fd_count as number).map(hex).join(' ')}}`;
    if ('family' in o && 'address' in o) return `${String(o.address)}:${String(o.port)}`;
    if ('Internal' in o && 'InternalHigh' in o) return `&OVERLAPPED{Internal=${hex(o.Internal as number)}, InternalHigh=${String(o.InternalHigh)}}`;
    if ('tv_sec' in o) return `{${String(o.tv_sec)} s ${String(o.tv_usec)} us}`;
    if ('ThreadHandle' in o) return 'thread';
    if ('dwCatalogEntryId' in o) return `&{entry ${String(o.dwCatalogEntryId)}}`;
    if (Object.keys(o).length === 1 && 'value' in o) return `&${describeArg('', o.value, depth + 1)}`;
  } catch {
    return '?';
  }
  return '{...}';
}

/** The readable line for a record. */
export function traceLine(r: TraceRecord): string {
  const args = Object.entries(r.args).map(([k, v]) => `${k}=${v}`).join(', ');
  const res = typeof r.result === 'number' && r.result < 0 || r.result === false || r.errno !== 0
    ? `${String(r.result)} ${errorName(r.errno) ?? 'error'} (${r.errno})`
    : SOCKET_MAKERS.has(r.call) && typeof r.result === 'number' ? hex(r.result) : String(r.result);
  return `#${r.seq} ${r.call}(${args}) = ${res}`;
}

function emit<T>(sink: Sink<T> | undefined, item: T): void {
  if (sink === undefined) return;
  if (Array.isArray(sink)) sink.push(item);
  else sink(item);
}

/** The tracing hook (usable under any {@link LayeredProvider}). */
export class TraceHook implements LayerHook {
  private seq = 0;
  constructor(private readonly options: TracingOptions) {}

  call(call: LayerCall, next: () => unknown): unknown {
    const result = next();
    const names = PARAMS[call.name] ?? call.args.map((_, i) => `arg${i}`);
    const args: Record<string, string> = {};
    names.forEach((n, i) => {
      try {
        args[n] = describeArg(n, call.args[i]);
      } catch {
        args[n] = '?'; // a hostile argument (a throwing proxy): the call's own answer stands
      }
    });
    const failed = result === call.failValue;
    let errno = 0;
    try {
      errno = failed && call.lpErrno !== null && typeof call.lpErrno === 'object' ? Number(call.lpErrno.value) || 0 : 0;
    } catch {
      errno = 0;
    }
    const record: TraceRecord = {
      seq: ++this.seq, call: call.name, socket: call.socket, args,
      result: typeof result === 'number' || typeof result === 'boolean' ? result : typeof result, errno,
    };
    try {
      emit(this.options.records, record);
      if (this.options.text !== undefined) emit(this.options.text, traceLine(record));
      if (this.options.json !== undefined) emit(this.options.json, JSON.stringify(record));
    } catch {
      // a sink that throws must not change the program's call
    }
    return result;
  }
}

/** The tracing LSP: a pass-through layer whose every call is traced. */
export class TracingLsp extends LayeredProvider {
  /** The default GUID it installs under. */
  static readonly DEFAULT_ID = '{7a3c2e10-5f4b-4c1e-9d2a-000000000001}';
  constructor(catalog: Catalog, options: TracingOptions, ProviderId = TracingLsp.DEFAULT_ID) {
    super(catalog, ProviderId, new TraceHook(options));
  }
}
