/**
 * Small helpers shared by the examples. Everything here is plain WSP* calls on a
 * ServiceProvider (the functions WSPStartup puts in a proc table), so the examples run on any
 * provider: the embedded virtual network today, a host-network provider later.
 *
 * Failures are thrown as {@link SpiError}, whose message names the call and the Winsock code.
 */
import { pathToFileURL } from 'node:url';
import {
  AF_INET6, FIONBIO, FUNCTION_POINTER_SIZE, INVALID_SOCKET, IPPROTO_TCP, SIO_GET_EXTENSION_FUNCTION_POINTER, SOCK_STREAM,
  SOCKET_ERROR, SOL_SOCKET, SO_ERROR, WSAECONNRESET, WSAEWOULDBLOCK, errorName,
  type FunctionPointerOut, type LPINT, type ServiceProvider, type SockAddr, type TIMEVAL,
} from '../src/index.js';

/** A WSP* call that returned SOCKET_ERROR or INVALID_SOCKET. */
export class SpiError extends Error {
  constructor(readonly call: string, readonly code: number) {
    super(`${call} failed: ${errorName(code) ?? code}`);
  }
}

/** Runs one WSP* call with a fresh lpErrno; throws {@link SpiError} on SOCKET_ERROR / INVALID_SOCKET. */
export function check(call: string, fn: (lpErrno: LPINT) => number): number {
  const e = { value: 0 };
  const r = fn(e);
  if (r === SOCKET_ERROR || r === INVALID_SOCKET) throw new SpiError(call, e.value);
  return r;
}

/** Size of a sockaddr of the address's family (the C `namelen`). */
export const nameLen = (a: SockAddr): number => (a.family === AF_INET6 ? 28 : 16);

/** FIONBIO through WSPIoctl: a non-blocking socket. */
export function setNonBlocking(p: ServiceProvider, s: number): void {
  check('WSPIoctl(FIONBIO)', (e) => p.WSPIoctl(s, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e));
}

/** WSPSocket + WSPBind + WSPListen, non-blocking. */
export function listenOn(p: ServiceProvider, at: SockAddr, backlog: number): number {
  const s = check('WSPSocket', (e) => p.WSPSocket(at.family, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
  check(`WSPBind(${at.address}:${at.port})`, (e) => p.WSPBind(s, at, nameLen(at), e));
  check('WSPListen', (e) => p.WSPListen(s, backlog, e));
  setNonBlocking(p, s);
  return s;
}

/** A non-blocking socket with its connect started (WSAEWOULDBLOCK is the expected answer). */
export function startConnect(p: ServiceProvider, to: SockAddr): number {
  const s = check('WSPSocket', (e) => p.WSPSocket(to.family, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
  setNonBlocking(p, s);
  const e = { value: 0 };
  if (p.WSPConnect(s, to, nameLen(to), null, null, null, null, e) === SOCKET_ERROR && e.value !== WSAEWOULDBLOCK) {
    throw new SpiError(`WSPConnect(${to.address}:${to.port})`, e.value);
  }
  return s;
}

/**
 * Polls a connect started by {@link startConnect} with WSPSelect: true once connected (writable);
 * throws the connect's error, read from SO_ERROR, if it failed (the except set).
 */
export function connectDone(p: ServiceProvider, s: number, who: string): boolean {
  const ready = select(p, [], [s], [s], 0);
  if (ready.except.length > 0) {
    const v = new Uint8Array(4);
    check('WSPGetSockOpt(SO_ERROR)', (e) => p.WSPGetSockOpt(s, SOL_SOCKET, SO_ERROR, v, { value: 4 }, e));
    throw new SpiError(`${who} WSPConnect`, new DataView(v.buffer).getInt32(0, true));
  }
  return ready.write.length > 0;
}

/**
 * Accepts every connection waiting on a non-blocking listener (until WSAEWOULDBLOCK) and makes
 * each non-blocking. A queued connection the client already reset (WSAECONNRESET) is skipped.
 */
export function acceptAll(p: ServiceProvider, ls: number): { s: number; peer: string }[] {
  const out: { s: number; peer: string }[] = [];
  for (;;) {
    const peer = { family: 0, address: '', port: 0 };
    const e = { value: 0 };
    const s = p.WSPAccept(ls, peer, { value: 28 }, null, 0, e);
    if (s === INVALID_SOCKET) {
      if (e.value === WSAEWOULDBLOCK) return out;
      if (e.value === WSAECONNRESET) continue;
      throw new SpiError('WSPAccept', e.value);
    }
    setNonBlocking(p, s);
    out.push({ s, peer: `${peer.address}:${peer.port}` });
  }
}

/** The local address of a socket (WSPGetSockName). */
export function localName(p: ServiceProvider, s: number): SockAddr {
  const name = { family: 0, address: '', port: 0 };
  check('WSPGetSockName', (e) => p.WSPGetSockName(s, name, { value: 28 }, e));
  return name;
}

/** What WSPSelect reported ready. */
export interface Ready {
  read: number[];
  write: number[];
  except: number[];
}

/** WSPSelect over plain arrays; `timeoutMs` 0 polls. Throws on failure. */
export function select(p: ServiceProvider, read: number[], write: number[], except: number[], timeoutMs: number): Ready {
  const set = (a: number[]) => (a.length === 0 ? null : { fd_count: a.length, fd_array: [...a] });
  const [r, w, x] = [set(read), set(write), set(except)];
  const ms = Math.round(timeoutMs * 1000);
  const tv: TIMEVAL = { tv_sec: Math.floor(ms / 1_000_000), tv_usec: ms % 1_000_000 };
  check('WSPSelect', (e) => p.WSPSelect(0, r, w, x, tv, e));
  const got = (s: { fd_count: number; fd_array: number[] } | null) => (s === null ? [] : s.fd_array.slice(0, s.fd_count));
  return { read: got(r), write: got(w), except: got(x) };
}

/**
 * A connected non-blocking stream socket with an outgoing queue: `write` queues, `flush` hands
 * what WSPSend accepts to the provider, `read` returns bytes, `'eof'` (the peer closed),
 * `'reset'` (WSAECONNRESET) or `'wait'` (WSAEWOULDBLOCK); any other failure throws.
 */
export class Stream {
  private outbox: Uint8Array[] = [];
  private readonly chunk = new Uint8Array(4096);

  constructor(readonly p: ServiceProvider, readonly s: number) {}

  /** Bytes queued and not yet accepted by WSPSend. */
  get pending(): number {
    return this.outbox.reduce((n, b) => n + b.length, 0);
  }

  write(bytes: Uint8Array | string): void {
    this.outbox.push(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
    this.flush();
  }

  /** Sends what the send buffer takes now (a non-blocking WSPSend may accept part of a buffer). */
  flush(): void {
    while (this.outbox.length > 0) {
      const buf = this.outbox[0]!;
      const sent = { value: 0 };
      const e = { value: 0 };
      if (this.p.WSPSend(this.s, [{ len: buf.length, buf }], 1, sent, 0, null, null, null, e) === SOCKET_ERROR) {
        if (e.value === WSAEWOULDBLOCK) return;
        throw new SpiError('WSPSend', e.value);
      }
      if (sent.value === buf.length) this.outbox.shift();
      else this.outbox[0] = buf.subarray(sent.value);
    }
  }

  read(): Uint8Array | 'eof' | 'reset' | 'wait' {
    const got = { value: 0 };
    const e = { value: 0 };
    if (this.p.WSPRecv(this.s, [{ len: this.chunk.length, buf: this.chunk }], 1, got, { value: 0 }, null, null, null, e) === SOCKET_ERROR) {
      if (e.value === WSAEWOULDBLOCK) return 'wait';
      if (e.value === WSAECONNRESET) return 'reset';
      throw new SpiError('WSPRecv', e.value);
    }
    return got.value === 0 ? 'eof' : this.chunk.slice(0, got.value);
  }

  shutdownSend(): void {
    check('WSPShutdown(SD_SEND)', (e) => this.p.WSPShutdown(this.s, 1 /* SD_SEND */, e));
  }

  close(): void {
    check('WSPCloseSocket', (e) => this.p.WSPCloseSocket(this.s, e));
  }
}

/** A party of the driver loop: does what it can without blocking; true once it is finished. */
export interface Party {
  step(): boolean;
}

/**
 * One thread, several parties: the server waits in WSPSelect up to `waitMs` (on the virtual
 * network this advances virtual time and delivers packets to every host), then each client
 * takes a non-blocking step. Ends when every client is finished; throws after `maxRounds`.
 */
export function drive(server: { step(waitMs: number): void }, clients: Party[], waitMs = 1, maxRounds = 10_000): number {
  const open = new Set(clients);
  for (let round = 1; round <= maxRounds; round++) {
    for (const c of [...open]) if (c.step()) open.delete(c);
    if (open.size === 0) return round;
    server.step(waitMs);
  }
  throw new Error(`no progress after ${maxRounds} rounds (${open.size} clients unfinished)`);
}

export const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** True when this module is the script node was started with. */
export function isMain(importMetaUrl: string): boolean {
  return process.argv[1] !== undefined && importMetaUrl === pathToFileURL(process.argv[1]).href;
}

/**
 * An extension function (AcceptEx, ConnectEx, …) of `p` for socket `s` through
 * SIO_GET_EXTENSION_FUNCTION_POINTER, as a C program gets its pointer; throws with the call's name
 * if the provider refuses. `p` is a provider or a worker thread's provider.
 */
export function extension<T>(p: Pick<ServiceProvider, 'WSPIoctl'>, s: number, guid: Uint8Array, name: string): T {
  const out: FunctionPointerOut = { value: null };
  check(`WSPIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, ${name})`, (e) =>
    p.WSPIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, guid, 16, out as never, FUNCTION_POINTER_SIZE, { value: 0 }, null, null, null, e));
  return out.value as T;
}

/** A DWORD option value as its 4 little-endian bytes (setsockopt's optval). */
export function int32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}
