/**
 * The owner's side of worker threads' extension functions (docs/overlapped.md, "Worker threads"):
 * SIO_GET_EXTENSION_FUNCTION_POINTER's answer to a worker names the function instead of holding
 * it, and a worker's call of its stand-in (src/threads/extensions-client.ts) runs the provider's
 * own function here, with the mirrors of the worker's WSAOVERLAPPED.
 */
import { SIO_GET_EXTENSION_FUNCTION_POINTER, SOCKET_ERROR, WSAETIMEDOUT, WSAEWOULDBLOCK } from '../provider/constants.js';
import type { Completion } from '../provider/overlapped.js';
import type { Socket } from '../provider/socket.js';
import type { ExtensionHost } from '../extensions/accept-ex.js';
import { lookupExtension } from '../extensions/function-pointers.js';
import { sameGuid } from '../extensions/guids.js';
import type { OverlappedArgs } from '../spi/overlapped-args.js';
import type { LPINT } from '../spi/types.js';
import type { ChannelLike, Job } from './job.js';
import { EXTENSION_GUIDS } from './extensions-client.js';
import type { ThreadOverlapped } from './overlapped-server.js';
import { OVERLAPPED_SHAPES, type ExtensionMarker } from './protocol.js';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/** The extension functions that return SOCKET_ERROR on failure (as WSARecv / WSASend); the others return FALSE. */
const SOCKET_ERROR_FUNCTIONS = new Set(['__WSARecvMsg', '__WSASendMsg']);

/** The owner's functions for one worker, by stand-in name (`__AcceptEx`, …). */
const FUNCTIONS = new WeakMap<ChannelLike, Map<string, (...a: unknown[]) => number>>();

/**
 * The provider's extension functions as one worker's calls get them: the same code, on a host
 * whose completion routines (WSARecvMsg's, WSASendMsg's: they take no WSATHREADID) are queued
 * for that worker's thread 0 — where its alertable waits look — rather than the owner's.
 */
function functionsOf(channel: ChannelLike, overlapped: ThreadOverlapped): Map<string, (...a: unknown[]) => number> {
  let m = FUNCTIONS.get(channel);
  if (m !== undefined) return m;
  const provider = channel.provider;
  const thread0 = overlapped.threadIdOf(channel, 0);
  const host: ExtensionHost = {
    core: provider.core,
    indicate: (sock: Socket, a: OverlappedArgs, c: Completion, immediate?: boolean): void =>
      provider.indicate(sock, a.routine !== null && a.thread === null ? { ...a, thread: thread0 } : a, c, immediate),
  };
  m = new Map();
  for (const [name, guid] of Object.entries(EXTENSION_GUIDS)) {
    const fn = lookupExtension(host, guid, 16);
    if (typeof fn === 'function') m.set(`__${name}`, fn as unknown as (...a: unknown[]) => number);
  }
  FUNCTIONS.set(channel, m);
  return m;
}

/** A part the worker could not send ({@link Uncloneable}): an object the provider cannot use, as it is refused on the owner thread. */
function standIns(x: unknown, depth = 0): unknown {
  if (!isObject(x) || ArrayBuffer.isView(x) || depth > 8) return x;
  if (x.__uncloneable === true) return Object.freeze({});
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) x[i] = standIns(x[i], depth + 1);
  } else {
    for (const k of Object.keys(x)) x[k] = standIns(x[k], depth + 1);
  }
  return x;
}

/**
 * The job for a worker's call of an extension function (`__AcceptEx`, …), or undefined for any
 * other call. The overlapped ones answer at once; a blocking WSARecvMsg waits in the worker only
 * ({@link blockingRecvMsg}); a synchronous DisconnectEx with TF_REUSE_SOCKET or TransmitPackets
 * waits as on the owner thread (the provider's own wait).
 */
export function extensionJob(channel: ChannelLike, fn: string, args: unknown[], overlapped: ThreadOverlapped, now: () => number): Job | undefined {
  const shape = OVERLAPPED_SHAPES[fn];
  if (shape?.errno === undefined) return undefined;
  const f = functionsOf(channel, overlapped).get(fn);
  if (f === undefined) return undefined;
  standIns(args);
  const failValue = SOCKET_ERROR_FUNCTIONS.has(fn) ? SOCKET_ERROR : 0;
  const t = overlapped.transfer(channel, fn, args);
  if (t === undefined) {
    if (fn === '__WSARecvMsg') {
      const sock = channel.provider.core.lookup(args[0]);
      if (sock !== undefined && !sock.nonBlocking) return blockingRecvMsg(channel, args, f, sock, now);
    }
    const attempt = (): number => f(...args);
    return { channel, args, deadline: Infinity, attempt, expire: () => failValue };
  }
  const errno = t.args[shape.errno] as LPINT;
  const job: Job = {
    channel, args: t.args, deadline: Infinity, keep: t.keep,
    attempt: () => {
      const r = f(...t.args);
      job.result = t.after(isObject(errno) && typeof errno.value === 'number' ? errno.value : 0);
      return r;
    },
    expire: () => failValue,
  };
  return job;
}

/**
 * WSARecvMsg without an OVERLAPPED on a blocking socket: it blocks the worker only, as a blocking
 * WSPRecv of a worker does — tried non-blocking now and whenever a socket changes, until a
 * datagram comes (SO_RCVTIMEO: WSAETIMEDOUT; another thread's WSPCancelBlockingCall: WSAEINTR).
 */
function blockingRecvMsg(channel: ChannelLike, args: unknown[], f: (...a: unknown[]) => number, sock: Socket, now: () => number): Job {
  const lpErrno = args[args.length - 1] as LPINT;
  const timeoutMs = sock.receiveTimeoutMs;
  return {
    channel, args, cancellable: true,
    deadline: timeoutMs > 0 ? now() + timeoutMs : Infinity,
    attempt: () => {
      sock.nonBlocking = true;
      let r: number;
      try {
        r = f(...args);
      } finally {
        sock.nonBlocking = false;
      }
      if (r === SOCKET_ERROR && lpErrno.value === WSAEWOULDBLOCK) {
        lpErrno.value = 0;
        return undefined;
      }
      return r;
    },
    expire: () => {
      lpErrno.value = WSAETIMEDOUT;
      return SOCKET_ERROR;
    },
  };
}

/**
 * SIO_GET_EXTENSION_FUNCTION_POINTER from a worker: once the call has written the function to
 * the (owner's copy of the) output, the function is replaced by its name, which can travel; the
 * worker puts its stand-in there. Other calls are left alone.
 */
export function namePointer(job: Job): void {
  const [, code, inBuf] = job.args;
  if (code !== SIO_GET_EXTENSION_FUNCTION_POINTER) return;
  const attempt = job.attempt.bind(job);
  job.attempt = () => {
    const r = attempt();
    const out = job.args[4];
    if (isObject(out) && typeof out.value === 'function') {
      const name = Object.keys(EXTENSION_GUIDS).find((n) => inBuf instanceof Uint8Array && inBuf.length >= 16 && sameGuid(inBuf, EXTENSION_GUIDS[n]!));
      const marker: ExtensionMarker | null = name === undefined ? null : { __extension: name };
      out.value = marker;
    }
    return r;
  };
}
