/**
 * The guest side of examples/embedding.ts: one worker thread is one guest thread. It holds the
 * emulator's ws2_32 exports ({@link makeWs2_32}), thunks that turn a guest call (integers and
 * pointers, a pointer being an offset into guest memory) into a WSP* call of the thread provider,
 * and the two guest programs ({@link guestEchoServer}, {@link guestClient}), which touch nothing but
 * guest memory and those exports — as compiled Windows code would (docs/embedding.md).
 *
 * This module runs a guest only when started as that worker; the launcher imports its types and
 * the guest memory layout.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import {
  INVALID_SOCKET, SOCKET_ERROR, WSAEFAULT, decodeSockAddr, errorName,
  type LPINT, type SockAddr, type WSABUF,
} from '../src/index.js';
import { threadProvider, type ProviderChannel, type ThreadProvider } from '../src/threads/index.js';

// ---- the guest's constants (what its headers say) ---------------------------------------------

const AF_INET = 2;
const SOCK_STREAM = 1;
const IPPROTO_TCP = 6;
const WSAECONNREFUSED = 10061;

// ---- guest memory layout (fixed addresses, as a loader would place a small program) -----------

/** Bytes of guest RAM (16 MiB: only the bytes a call names cross, never the whole RAM). */
export const RAM_SIZE = 16 << 20;
/** sockaddr_in the guest fills for bind / connect (16 bytes). */
export const NAME = 0x0100;
/** int addrlen for accept. */
export const ADDRLEN = 0x0110;
/** The guest's results: u32 words (see {@link ServerResults} and {@link ClientResults}). */
export const RESULTS = 0x0200;
/** The server's accepted peers: one sockaddr_in (16 bytes) per connection, written by accept. */
export const PEERS = 0x0400;
/** The server's receive buffer. */
export const SERVER_BUF = 0x1000;
export const SERVER_BUF_SIZE = 4096;
/** The client's .data: its messages, one after another, as the loader placed them. */
export const DATA = 0x10000;
/** The client's receive buffer, where the echo lands (as long as all the messages). */
export const ECHO = 0x40000;

/** The words at {@link RESULTS} after the server ran. */
export const ServerResults = { connections: 0, bytes: 1, bindAgainError: 2 } as const;
/** The words at {@link RESULTS} after the client ran. */
export const ClientResults = { refusedError: 0, badPointerError: 1, echoed: 2, mismatches: 3 } as const;

// ---- the emulator's ws2_32 exports ------------------------------------------------------------

/** What the guest imports from ws2_32.dll: integers in, integers out, pointers are guest addresses. */
export interface Ws2_32 {
  socket(af: number, type: number, protocol: number): number;
  bind(s: number, name: number, namelen: number): number;
  listen(s: number, backlog: number): number;
  accept(s: number, addr: number, addrlen: number): number;
  connect(s: number, name: number, namelen: number): number;
  send(s: number, buf: number, len: number, flags: number): number;
  recv(s: number, buf: number, len: number, flags: number): number;
  closesocket(s: number): number;
  WSAGetLastError(): number;
}

/** One call as the emulator's trace records it. */
export interface TraceEntry {
  /** The export's name. */
  name: string;
  ret: number;
  /** `name(args) = ret [error]`, sockaddrs decoded. */
  line: string;
}

/**
 * The emulator's ws2_32 for one guest thread, over that thread's provider `p` and the guest's
 * memory `ram`. Each thunk turns guest pointers into views of `ram` (a pointer outside it is the
 * guest's fault: WSAEFAULT without a call, as Windows answers for a bad pointer), makes the WSP*
 * call with a fresh lpErrno, and keeps the code as this thread's last error.
 */
export function makeWs2_32(p: ThreadProvider, ram: Uint8Array, trace: (e: TraceEntry) => void = () => {}): Ws2_32 {
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  /** This thread's WSAGetLastError: one variable per worker, as Windows keeps one per thread. */
  let lastError = 0;

  /** `len` bytes of guest memory at `ptr` (a view: the provider reads and writes guest memory itself), or undefined. */
  const view = (ptr: number, len: number): Uint8Array | undefined =>
    Number.isInteger(ptr) && Number.isInteger(len) && ptr >= 0 && len >= 0 && ptr + len <= ram.byteLength && ptr !== 0
      ? ram.subarray(ptr, ptr + len) : undefined;

  const addr = (bytes: Uint8Array | undefined, len = bytes?.length): string => {
    if (bytes === undefined) return 'NULL';
    const a: SockAddr | undefined = decodeSockAddr(bytes, len);
    return a === undefined ? `<${len} bytes>` : `${a.address}:${a.port}`;
  };

  /** Ends a thunk: the thread's last error (0 after a success, as ws2_32 leaves it), the trace line. */
  const done = (name: string, ret: number, failed: boolean, err: LPINT, args: string): number => {
    lastError = failed ? err.value : 0;
    trace({ name, ret, line: `${name}(${args}) = ${ret}${failed ? ` ${errorName(err.value) ?? err.value}` : ''}` });
    return ret;
  };
  /** A call refused before it reaches the provider (a pointer outside guest memory). */
  const fault = (name: string, ret: number, args: string): number => done(name, ret, true, { value: WSAEFAULT }, args);

  return {
    socket(af, type, protocol) {
      const err = { value: 0 };
      const s = p.WSPSocket(af, type, protocol, null, 0, 0, err);
      return done('socket', s, s === INVALID_SOCKET, err, `${af}, ${type}, ${protocol}`);
    },
    bind(s, name, namelen) {
      const n = view(name, namelen);
      if (n === undefined) return fault('bind', SOCKET_ERROR, `${s}, ${name}, ${namelen}`);
      const err = { value: 0 };
      const r = p.WSPBind(s, n, namelen, err);
      return done('bind', r, r === SOCKET_ERROR, err, `${s}, ${addr(n)}, ${namelen}`);
    },
    listen(s, backlog) {
      const err = { value: 0 };
      const r = p.WSPListen(s, backlog, err);
      return done('listen', r, r === SOCKET_ERROR, err, `${s}, ${backlog}`);
    },
    accept(s, addrPtr, addrlenPtr) {
      // accept(s, NULL, …) takes no address; with an address, *addrlen says how much room it has.
      const err = { value: 0 };
      let out: Uint8Array | null = null;
      let len: LPINT | null = null;
      if (addrPtr !== 0) {
        if (view(addrlenPtr, 4) === undefined) return fault('accept', INVALID_SOCKET, `${s}, ${addrPtr}, ${addrlenPtr}`);
        len = { value: dv.getInt32(addrlenPtr, true) };
        out = view(addrPtr, Math.max(len.value, 0)) ?? null;
        if (out === null) return fault('accept', INVALID_SOCKET, `${s}, ${addrPtr}, ${addrlenPtr}`);
      }
      const a = p.WSPAccept(s, out, len, null, 0, err);
      const failed = a === INVALID_SOCKET;
      // The provider wrote the peer's sockaddr into guest memory (in place when it is shared); the length goes back too.
      if (!failed && len !== null) dv.setInt32(addrlenPtr, len.value, true);
      return done('accept', a, failed, err, `${s}, ${failed || out === null ? 'NULL' : addr(out, len!.value)}`);
    },
    connect(s, name, namelen) {
      const n = view(name, namelen);
      if (n === undefined) return fault('connect', SOCKET_ERROR, `${s}, ${name}, ${namelen}`);
      const err = { value: 0 };
      const r = p.WSPConnect(s, n, namelen, null, null, null, null, err);
      return done('connect', r, r === SOCKET_ERROR, err, `${s}, ${addr(n)}, ${namelen}`);
    },
    send(s, buf, len, flags) {
      const b = view(buf, len);
      if (b === undefined) return fault('send', SOCKET_ERROR, `${s}, ${buf}, ${len}, ${flags}`);
      const err = { value: 0 };
      const sent = { value: 0 };
      const bufs: WSABUF[] = [{ len, buf: b }];
      const r = p.WSPSend(s, bufs, 1, sent, flags, null, null, null, err);
      return done('send', r === SOCKET_ERROR ? r : sent.value, r === SOCKET_ERROR, err, `${s}, ${buf}, ${len}, ${flags}`);
    },
    recv(s, buf, len, flags) {
      const b = view(buf, len);
      if (b === undefined) return fault('recv', SOCKET_ERROR, `${s}, ${buf}, ${len}, ${flags}`);
      const err = { value: 0 };
      const got = { value: 0 };
      // The received bytes land in guest memory: in place for a SharedArrayBuffer, copied back into the view otherwise.
      const r = p.WSPRecv(s, [{ len, buf: b }], 1, got, { value: flags }, null, null, null, err);
      return done('recv', r === SOCKET_ERROR ? r : got.value, r === SOCKET_ERROR, err, `${s}, ${buf}, ${len}, ${flags}`);
    },
    closesocket(s) {
      const err = { value: 0 };
      const r = p.WSPCloseSocket(s, err);
      return done('closesocket', r, r === SOCKET_ERROR, err, `${s}`);
    },
    WSAGetLastError: () => lastError,
  };
}

// ---- the guest programs: guest memory and ws2_32 only -----------------------------------------

/** The guest's own sockaddr_in writer: family (host order), port and address (network order), 8 zero bytes. */
function putSockaddrIn(mem: DataView, at: number, ip: number, port: number): void {
  mem.setUint16(at, AF_INET, true);
  mem.setUint16(at + 2, port, false);
  mem.setUint32(at + 4, ip, false);
  mem.setUint32(at + 8, 0);
  mem.setUint32(at + 12, 0);
}

/**
 * The guest echo server: binds 0.0.0.0:`port`, shows that a second bind there fails (its last
 * error kept in RESULTS), then accepts `clients` connections one after another and sends back
 * all it receives on each until the peer closes. Returns its exit code.
 */
export function guestEchoServer(ws: Ws2_32, mem: DataView, port: number, clients: number): number {
  const ls = ws.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (ls === INVALID_SOCKET) return 1;
  putSockaddrIn(mem, NAME, 0, port);
  if (ws.bind(ls, NAME, 16) !== 0) return 2;
  const other = ws.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  mem.setUint32(RESULTS + 4 * ServerResults.bindAgainError, ws.bind(other, NAME, 16) === 0 ? 0 : ws.WSAGetLastError(), true);
  ws.closesocket(other);
  if (ws.listen(ls, 5) !== 0) return 3;
  let total = 0;
  for (let i = 0; i < clients; i++) {
    mem.setInt32(ADDRLEN, 16, true);
    const a = ws.accept(ls, PEERS + 16 * i, ADDRLEN);
    if (a === INVALID_SOCKET) return 4;
    for (;;) {
      const n = ws.recv(a, SERVER_BUF, SERVER_BUF_SIZE, 0);
      if (n === SOCKET_ERROR) return 5;
      if (n === 0) break;
      for (let off = 0; off < n;) {
        const k = ws.send(a, SERVER_BUF + off, n - off, 0);
        if (k === SOCKET_ERROR) return 6;
        off += k;
      }
      total += n;
    }
    ws.closesocket(a);
    mem.setUint32(RESULTS + 4 * ServerResults.connections, i + 1, true);
    mem.setUint32(RESULTS + 4 * ServerResults.bytes, total, true);
  }
  ws.closesocket(ls);
  return 0;
}

/**
 * The guest client: a connect to a port nobody listens on (its last error kept), a send from a
 * pointer past the end of guest memory (the same), then the real connection: each message of
 * its .data (`lengths` of them, from DATA) sent and its echo received into ECHO, the echo compared
 * with what was sent. Returns its exit code.
 */
export function guestClient(ws: Ws2_32, mem: DataView, server: number, port: number, closedPort: number, lengths: readonly number[]): number {
  let s = ws.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  putSockaddrIn(mem, NAME, server, closedPort);
  const refused = ws.connect(s, NAME, 16) === SOCKET_ERROR ? ws.WSAGetLastError() : 0;
  mem.setUint32(RESULTS + 4 * ClientResults.refusedError, refused, true);
  ws.closesocket(s);
  if (refused !== WSAECONNREFUSED) return 1;

  s = ws.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  putSockaddrIn(mem, NAME, server, port);
  if (ws.connect(s, NAME, 16) !== 0) return 2;
  const bad = ws.send(s, mem.byteLength - 4, 64, 0) === SOCKET_ERROR ? ws.WSAGetLastError() : 0;
  mem.setUint32(RESULTS + 4 * ClientResults.badPointerError, bad, true);

  let at = 0;
  let mismatches = 0;
  for (const len of lengths) {
    for (let off = 0; off < len;) {
      const k = ws.send(s, DATA + at + off, len - off, 0);
      if (k === SOCKET_ERROR) return 3;
      off += k;
    }
    for (let got = 0; got < len;) {
      const k = ws.recv(s, ECHO + at + got, len - got, 0);
      if (k === SOCKET_ERROR || k === 0) return 4;
      got += k;
    }
    for (let i = 0; i < len; i++) if (mem.getUint8(DATA + at + i) !== mem.getUint8(ECHO + at + i)) mismatches++;
    at += len;
    mem.setUint32(RESULTS + 4 * ClientResults.echoed, at, true);
  }
  mem.setUint32(RESULTS + 4 * ClientResults.mismatches, mismatches, true);
  return ws.closesocket(s) === 0 ? 0 : 5;
}

// ---- the worker: one guest thread ---------------------------------------------------------------

/** What the launcher gives a guest thread. */
export interface GuestData {
  kind: 'embedding-guest';
  channel: ProviderChannel;
  /** Guest RAM shared with the launcher, or null: the thread makes its own private ArrayBuffer. */
  memory: SharedArrayBuffer | null;
  program:
    | { name: 'server'; port: number; clients: number }
    | { name: 'client'; server: number; port: number; closedPort: number; messages: string[] };
}

/** What a guest thread posts: each call as it returns, then its exit. */
export type GuestMessage =
  | { type: 'call'; entry: TraceEntry }
  | {
    type: 'exit';
    code: number;
    /** The thread provider's counts: how many calls crossed, how many bytes of ordinary memory they carried. */
    wire: { calls: number; bytesSent: number };
    /** A call made after the thread closed its channel (as after WSACleanup): its return and last error. */
    afterClose: { ret: number; error: number };
    /** The first {@link GUEST_IMAGE} bytes of guest RAM when it was private (shared RAM the launcher reads itself). */
    image: Uint8Array | null;
  };

/** The part of guest RAM the launcher looks at (results, peers, data, echo). */
export const GUEST_IMAGE = 0x80000;

function runGuest(data: GuestData): void {
  const ram = new Uint8Array(data.memory ?? new ArrayBuffer(RAM_SIZE));
  const mem = new DataView(ram.buffer);
  const p = threadProvider(data.channel);
  const ws = makeWs2_32(p, ram, (entry) => parentPort!.postMessage({ type: 'call', entry } satisfies GuestMessage));
  const prog = data.program;
  let code: number;
  if (prog.name === 'server') {
    code = guestEchoServer(ws, mem, prog.port, prog.clients);
  } else {
    // The loader: the client's .data (its messages) goes into guest memory before it runs.
    const lengths: number[] = [];
    let at = DATA;
    for (const m of prog.messages) {
      const bytes = new TextEncoder().encode(m);
      ram.set(bytes, at);
      at += bytes.length;
      lengths.push(bytes.length);
    }
    code = guestClient(ws, mem, prog.server, prog.port, prog.closedPort, lengths);
  }
  const wire = p.wireStats();
  // Process exit: the thread lets go of its channel (its sockets left open are closed for it).
  p.close();
  const lateErr = { value: 0 };
  const late = p.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, lateErr);
  const exit: GuestMessage = {
    type: 'exit', code, wire: { calls: wire.calls, bytesSent: wire.bytesSent }, afterClose: { ret: late, error: lateErr.value },
    image: data.memory === null ? ram.slice(0, GUEST_IMAGE) : null,
  };
  parentPort!.postMessage(exit);
}

if (!isMainThread && (workerData as Partial<GuestData> | null)?.kind === 'embedding-guest') runGuest(workerData as GuestData);
