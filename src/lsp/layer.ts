// The machinery both sample LSPs share: a non-IFS layered provider that forwards every call to the layer below, through one hook.
/**
 * A layered service provider as the SDK's LSP sample is built: WSPStartup finds the next layer by
 * the provider's own GUID in the protocol chain ({@link Catalog.nextInChain}), starts it, and
 * hands ws2_32 a proc table whose every function translates the program's socket (a
 * WPUCreateSocketHandle handle, context = the handle below) and calls the table below.
 *
 * - Overlapped calls pass through: the program's WSAOVERLAPPED, completion routine and thread id
 *   go down unchanged, so the base provider completes the program's OVERLAPPED itself (Internal,
 *   InternalHigh, hEvent, the routine as an APC on the program's thread); WSPGetOverlappedResult
 *   is forwarded with the handle below.
 * - SIO_GET_EXTENSION_FUNCTION_POINTER is intercepted: the program gets the layer's AcceptEx,
 *   ConnectEx, ... which translate their sockets and go through the hook, then call the function
 *   the layer below handed out.
 * - SIO_BASE_HANDLE (and SIO_BSP_HANDLE*) is never intercepted: forwarded down, the base answers
 *   with its own handle.
 *
 * Every call, extension functions included, goes through {@link LayerHook.call}: the tracing and
 * chaos LSPs are that hook.
 */
import {
  INVALID_SOCKET, SIO_GET_EXTENSION_FUNCTION_POINTER, SO_LINGER, SO_UPDATE_ACCEPT_CONTEXT, SOCKET_ERROR, SOL_SOCKET, WSAECONNRESET,
  WSAEFAULT, WSAEINVAL, WSAENOTSOCK,
} from '../provider/constants.js';
import { PROC_NAMES, type WSPPROC_TABLE } from '../spi/service-provider.js';
import type { FD_SET, LPINT, WSAPROTOCOL_INFOW, WSPDATA, WSPUPCALLTABLE } from '../spi/types.js';
import type { Catalog, WSPProvider } from '../ws2/catalog.js';
import {
  sameGuid, WSAID_ACCEPTEX_BYTES, WSAID_CONNECTEX_BYTES, WSAID_DISCONNECTEX_BYTES, WSAID_TRANSMITPACKETS_BYTES, WSAID_WSARECVMSG_BYTES,
  WSAID_WSASENDMSG_BYTES,
} from '../extensions/guids.js';

type Fn = (...args: unknown[]) => unknown;

/** One call the layer sees, as the program made it (its socket is the program's handle). */
export interface LayerCall {
  /** `WSPSend`, `WSPIoctl`, ... or an extension function's name (`AcceptEx`, `ConnectEx`, ...). */
  readonly name: string;
  /** The program's socket the call is on (the first argument), or null (WSPSocket, WSPSelect...). */
  readonly socket: number | null;
  /** The program's arguments (C order, lpErrno last when the function has one). A hook may change them before `next`. */
  args: unknown[];
  /** The lpErrno of the call, or null (extension functions called without one). */
  readonly lpErrno: LPINT | null;
  /** What the call returns when it fails: SOCKET_ERROR, INVALID_SOCKET, false or 0 (FALSE). */
  readonly failValue: unknown;
}

/** What a layered provider does with each call: `next()` runs it in the layers below (with `call.args`). */
export interface LayerHook {
  call(call: LayerCall, next: () => unknown, layer: LayerControl): unknown;
}

/** What a hook may ask of the layer besides forwarding. */
export interface LayerControl {
  /**
   * Resets the connection of the program's socket `s`: the socket below is closed abortively
   * (SO_LINGER on, 0 s: the peer gets RST) and every later call on `s` but WSPCloseSocket fails with
   * WSAECONNRESET. False if `s` is not one of this layer's sockets.
   */
  reset(s: number): boolean;
  /** Waits `ms` milliseconds: virtual time on a virtual network, real time otherwise (the calling thread blocks). */
  sleep(ms: number): void;
}

/** The extension functions that take sockets: their GUID, socket argument positions, lpErrno position and failure value. */
const EXTENSIONS: readonly { name: string; guid: Uint8Array; sockets: readonly number[]; errno: number; fv: number }[] = [
  { name: 'AcceptEx', guid: WSAID_ACCEPTEX_BYTES, sockets: [0, 1], errno: 8, fv: 0 },
  { name: 'ConnectEx', guid: WSAID_CONNECTEX_BYTES, sockets: [0], errno: 7, fv: 0 },
  { name: 'DisconnectEx', guid: WSAID_DISCONNECTEX_BYTES, sockets: [0], errno: 4, fv: 0 },
  { name: 'WSARecvMsg', guid: WSAID_WSARECVMSG_BYTES, sockets: [0], errno: 5, fv: SOCKET_ERROR },
  { name: 'WSASendMsg', guid: WSAID_WSASENDMSG_BYTES, sockets: [0], errno: 6, fv: SOCKET_ERROR },
  { name: 'TransmitPackets', guid: WSAID_TRANSMITPACKETS_BYTES, sockets: [0], errno: 6, fv: 0 },
];

/** Calls without a socket first. */
const NO_SOCKET = new Set(['WSPCleanup', 'WSPSocket', 'WSPSelect', 'WSPAddressToString', 'WSPStringToAddress', 'WSPCancelBlockingCall']);

function failValueOf(name: string): unknown {
  if (name === 'WSPSocket' || name === 'WSPAccept' || name === 'WSPJoinLeaf') return INVALID_SOCKET;
  if (name === 'WSPGetOverlappedResult') return 0; // BOOL FALSE
  return SOCKET_ERROR;
}

function setErrno(lpErrno: unknown, code: number): void {
  try {
    if (typeof lpErrno === 'object' && lpErrno !== null) (lpErrno as LPINT).value = code;
  } catch {
    // an unwritable lpErrno: the failure value still says it failed
  }
}

/** The extension function a SIO_GET_EXTENSION_FUNCTION_POINTER input names, if it takes sockets. */
function extensionOf(inBuf: unknown): (typeof EXTENSIONS)[number] | undefined {
  if (!(inBuf instanceof Uint8Array) || inBuf.length < 16) return undefined;
  return EXTENSIONS.find((x) => sameGuid(inBuf, x.guid));
}

/**
 * A layered provider: install it with {@link Catalog.installLayered} under the same GUID. Its
 * behaviour is the hook's; with none it only passes calls through.
 */
export class LayeredProvider implements WSPProvider {
  constructor(readonly catalog: Catalog, readonly ProviderId: string, protected readonly hook: LayerHook | null = null) {}

  /**
   * Waits `ms`: through the catalogue's blocking wait where the network can block its caller (a
   * virtual network: virtual time, the network running meanwhile), else in real time (Atomics.wait).
   */
  sleep(ms: number): void {
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    const outcome = this.catalog.blocker()?.(() => false, ms);
    if (outcome !== undefined && outcome !== 'unsupported') return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }

  WSPStartup = (
    wVersionRequested: number, lpWSPData: WSPDATA, lpProtocolInfo: WSAPROTOCOL_INFOW | null, UpcallTable: WSPUPCALLTABLE | null,
    lpProcTable: WSPPROC_TABLE,
  ): number => {
    try {
      if (lpProtocolInfo === null || typeof lpProtocolInfo !== 'object' || UpcallTable === null || typeof UpcallTable !== 'object') return WSAEINVAL;
      if (typeof lpProcTable !== 'object' || lpProcTable === null) return WSAEFAULT;
      const up = UpcallTable as unknown as Record<string, Fn>;
      const myId = lpProtocolInfo.dwCatalogEntryId;
      const below = this.catalog.nextInChain(lpProtocolInfo, this.ProviderId);
      if (below === undefined) return WSAEINVAL;
      const nextInfo = below.info;
      const next: Record<string, Fn> = {};
      const r = below.provider.WSPStartup(wVersionRequested, lpWSPData, nextInfo, UpcallTable, next as WSPPROC_TABLE);
      if (r !== 0) return r;
      this.fill(lpProcTable as unknown as Record<string, Fn>, next, up, myId, nextInfo);
      return 0;
    } catch {
      return WSAEFAULT;
    }
  };

  private fill(table: Record<string, Fn>, next: Record<string, Fn>, up: Record<string, Fn>, myId: number, nextInfo: WSAPROTOCOL_INFOW): void {
    /** The program's socket → the socket below, and whether a chaos reset closed it. */
    const socks = new Map<number, { lower: number; reset: boolean }>();
    /** The layer's extension functions, one per function below (the same GUID gives the same pointer, as in C). */
    const wrapped = new Map<Fn, Fn>();
    const control: LayerControl = {
      reset: (s) => {
        const st = socks.get(s);
        if (st === undefined) return false;
        if (!st.reset) {
          const e = { value: 0 };
          const linger = new Uint8Array([1, 0, 0, 0]); // struct linger { u_short l_onoff = 1; u_short l_linger = 0; }
          next.lpWSPSetSockOpt!(st.lower, SOL_SOCKET, SO_LINGER, linger, 4, e);
          next.lpWSPCloseSocket!(st.lower, e);
          st.reset = true;
        }
        return true;
      },
      sleep: (ms) => this.sleep(ms),
    };
    const adopt = (lower: unknown, lpErrno: unknown): unknown => {
      if (lower === INVALID_SOCKET || typeof lower !== 'number') return lower;
      const h = up.lpWPUCreateSocketHandle!(myId, lower, lpErrno) as number;
      if (h === INVALID_SOCKET) {
        next.lpWSPCloseSocket!(lower, { value: 0 });
        return INVALID_SOCKET;
      }
      socks.set(h, { lower, reset: false });
      return h;
    };
    /** Runs a call through the hook; `body` does the translated call below. */
    const run = (name: string, socket: number | null, args: unknown[], lpErrno: LPINT | null, failValue: unknown, body: (args: unknown[]) => unknown): unknown => {
      try {
        const call: LayerCall = { name, socket, args, lpErrno, failValue };
        const go = () => body(call.args);
        return this.hook === null ? go() : this.hook.call(call, go, control);
      } catch {
        setErrno(lpErrno, WSAEFAULT);
        return failValue;
      }
    };
    /** The socket below the program's `s`, or the code a call on it fails with (unknown: WSAENOTSOCK; reset: WSAECONNRESET). */
    const lowerOf = (s: unknown): number | { code: number } => {
      const st = typeof s === 'number' ? socks.get(s) : undefined;
      if (st === undefined) return { code: WSAENOTSOCK };
      if (st.reset) return { code: WSAECONNRESET };
      return st.lower;
    };
    for (const name of PROC_NAMES) {
      const lowerFn = next[`lp${name}`];
      if (typeof lowerFn !== 'function') continue;
      const fv = failValueOf(name);
      table[`lp${name}`] = NO_SOCKET.has(name)
        ? (...args: unknown[]) => run(name, null, args, args[args.length - 1] as LPINT, fv, (a) => lowerFn(...a))
        : (s: unknown, ...rest: unknown[]) => {
          const lpErrno = rest[rest.length - 1] as LPINT;
          return run(name, typeof s === 'number' ? s : null, [s, ...rest], lpErrno, fv, (a) => {
            const b = lowerOf(a[0]);
            if (typeof b !== 'number') { setErrno(a[a.length - 1], b.code); return fv; }
            return lowerFn(b, ...a.slice(1));
          });
        };
    }
    table.lpWSPSocket = (...args: unknown[]) => run('WSPSocket', null, args, args[6] as LPINT, INVALID_SOCKET, (a) =>
      // The layer below is handed its own record (the base entry's, or the chain for a lower layer).
      adopt(next.lpWSPSocket!(a[0], a[1], a[2], nextInfo, a[4], a[5], a[6]), a[6]));
    table.lpWSPAccept = (s: unknown, ...rest: unknown[]) => run('WSPAccept', s as number, [s, ...rest], rest[4] as LPINT, INVALID_SOCKET, (a) => {
      const b = lowerOf(a[0]);
      if (typeof b !== 'number') { setErrno(a[5], b.code); return INVALID_SOCKET; }
      return adopt(next.lpWSPAccept!(b, a[1], a[2], a[3], a[4], a[5]), a[5]);
    });
    table.lpWSPCloseSocket = (s: unknown, lpErrno: unknown) => run('WSPCloseSocket', s as number, [s, lpErrno], lpErrno as LPINT, SOCKET_ERROR, (a) => {
      const st = typeof a[0] === 'number' ? socks.get(a[0]) : undefined;
      if (st === undefined) { setErrno(a[1], WSAENOTSOCK); return SOCKET_ERROR; }
      const r = st.reset ? 0 : next.lpWSPCloseSocket!(st.lower, a[1]);
      if (r === 0) {
        socks.delete(a[0] as number);
        up.lpWPUCloseSocketHandle!(a[0], { value: 0 });
      }
      return r;
    });
    table.lpWSPSelect = (...args: unknown[]) => run('WSPSelect', null, args, args[5] as LPINT, SOCKET_ERROR, (a) => {
      const back = new Map<number, number>();
      const sets: (FD_SET | null)[] = [];
      for (const set of a.slice(1, 4) as (FD_SET | null)[]) {
        if (set === null || set === undefined) { sets.push(null); continue; }
        const fds: number[] = [];
        for (const s of set.fd_array.slice(0, set.fd_count)) {
          const b = lowerOf(s);
          if (typeof b !== 'number') { setErrno(a[5], WSAENOTSOCK); return SOCKET_ERROR; }
          back.set(b, s);
          fds.push(b);
        }
        sets.push({ fd_count: fds.length, fd_array: fds });
      }
      const r = next.lpWSPSelect!(a[0], sets[0], sets[1], sets[2], a[4], a[5]);
      if (r !== SOCKET_ERROR) (a.slice(1, 4) as (FD_SET | null)[]).forEach((set, i) => {
        if (set === null || set === undefined) return;
        const out = sets[i]!;
        set.fd_array = out.fd_array.slice(0, out.fd_count).map((b) => back.get(b)!);
        set.fd_count = set.fd_array.length;
      });
      return r;
    });
    // SO_UPDATE_ACCEPT_CONTEXT carries the listening socket in optval: the layer below knows it by its own handle (as the SDK sample translates it).
    const setopt = next.lpWSPSetSockOpt!;
    table.lpWSPSetSockOpt = (s: unknown, ...rest: unknown[]) => run('WSPSetSockOpt', s as number, [s, ...rest], rest[4] as LPINT, SOCKET_ERROR, (a) => {
      const b = lowerOf(a[0]);
      if (typeof b !== 'number') { setErrno(a[5], b.code); return SOCKET_ERROR; }
      const optval = a[3];
      if (a[1] === SOL_SOCKET && a[2] === SO_UPDATE_ACCEPT_CONTEXT && optval instanceof Uint8Array && optval.length >= 4 && typeof a[4] === 'number' && a[4] >= 4) {
        const listening = lowerOf(new DataView(optval.buffer, optval.byteOffset, 4).getUint32(0, true));
        if (typeof listening !== 'number') { setErrno(a[5], WSAENOTSOCK); return SOCKET_ERROR; }
        const down = optval.slice();
        new DataView(down.buffer).setUint32(0, listening, true);
        return setopt(b, a[1], a[2], down, a[4], a[5]);
      }
      return setopt(b, ...a.slice(1));
    });
    const ioctl = next.lpWSPIoctl!;
    table.lpWSPIoctl = (s: unknown, ...rest: unknown[]) => run('WSPIoctl', s as number, [s, ...rest], rest[9] as LPINT, SOCKET_ERROR, (a) => {
      const b = lowerOf(a[0]);
      if (typeof b !== 'number') { setErrno(a[10], b.code); return SOCKET_ERROR; }
      if (a[1] !== SIO_GET_EXTENSION_FUNCTION_POINTER) return ioctl(b, ...a.slice(1)); // SIO_BASE_HANDLE among them: the base answers
      // The layer below writes its function into a holder of ours; the program gets the layer's.
      const out = a[4] as { value: unknown } | null;
      const holder = { value: null as unknown };
      const r = ioctl(b, a[1], a[2], a[3], out === null || out === undefined ? null : holder, a[5], a[6], a[7], a[8], a[9], a[10]);
      if (r === 0 && typeof holder.value === 'function') {
        try {
          (out as { value: unknown }).value = this.wrapExtension(wrapped, holder.value as Fn, extensionOf(a[2]), run, lowerOf);
        } catch {
          setErrno(a[10], WSAEFAULT);
          return SOCKET_ERROR;
        }
      }
      return r;
    });
  }

  /** The layer's own version of an extension function the layer below handed out (one per function, as in C). */
  private wrapExtension(
    cache: Map<Fn, Fn>, lowerFn: Fn, ext: (typeof EXTENSIONS)[number] | undefined, run: (name: string, s: number | null, args: unknown[], e: LPINT | null, fv: unknown, body: (a: unknown[]) => unknown) => unknown,
    lowerOf: (s: unknown) => number | { code: number },
  ): Fn {
    const known = cache.get(lowerFn);
    if (known !== undefined) return known;
    let fn: Fn;
    if (ext === undefined) {
      fn = lowerFn; // GetAcceptExSockaddrs and the like: no socket, nothing to translate
    } else {
      const { name, fv, errno } = ext;
      fn = (...args: unknown[]) => {
        const lpErrno = (args[errno] ?? null) as LPINT | null;
        return run(name, typeof args[0] === 'number' ? args[0] : null, args, lpErrno, fv, (a) => {
          const down = [...a];
          for (const i of ext.sockets) {
            const b = lowerOf(a[i]);
            if (typeof b !== 'number') { setErrno(lpErrno, b.code); return fv; }
            down[i] = b;
          }
          return lowerFn(...down);
        });
      };
    }
    cache.set(lowerFn, fn);
    return fn;
  }
}
