/**
 * The extension functions in a worker thread (docs/overlapped.md, "Worker threads"). A function
 * cannot be cloned to a worker, so SIO_GET_EXTENSION_FUNCTION_POINTER answers a worker with the
 * function's name and the worker hands its program a stand-in made here: the stand-in carries the
 * call to the owner thread, where the provider's own function runs with the mirrors of the
 * worker's WSAOVERLAPPED (src/threads/overlapped-server.ts). GetAcceptExSockaddrs reads only its
 * buffer and runs here.
 */
import { types } from 'node:util';
import { getAcceptExSockaddrs } from '../extensions/accept-ex.js';
import {
  WSAID_ACCEPTEX_BYTES, WSAID_CONNECTEX_BYTES, WSAID_DISCONNECTEX_BYTES, WSAID_GETACCEPTEXSOCKADDRS_BYTES, WSAID_TRANSMITPACKETS_BYTES,
  WSAID_WSARECVMSG_BYTES, WSAID_WSASENDMSG_BYTES,
} from '../extensions/guids.js';
import type { ExtensionFunction } from '../extensions/function-pointers.js';
import { SOCKET_ERROR, WSAEFAULT } from '../provider/constants.js';
import { OVERLAPPED_SHAPES, type Uncloneable } from './protocol.js';

/** The extension functions a worker can be handed, by name, and the GUID the owner finds them by. */
export const EXTENSION_GUIDS: Readonly<Record<string, Uint8Array>> = {
  AcceptEx: WSAID_ACCEPTEX_BYTES,
  GetAcceptExSockaddrs: WSAID_GETACCEPTEXSOCKADDRS_BYTES,
  ConnectEx: WSAID_CONNECTEX_BYTES,
  DisconnectEx: WSAID_DISCONNECTEX_BYTES,
  TransmitPackets: WSAID_TRANSMITPACKETS_BYTES,
  WSARecvMsg: WSAID_WSARECVMSG_BYTES,
  WSASendMsg: WSAID_WSASENDMSG_BYTES,
};

const UNCLONEABLE: Uncloneable = { __uncloneable: true };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/**
 * `x` as it can travel: itself when it clones; else, for arrays and plain objects, a copy whose
 * parts that cannot clone (functions, symbols, Proxies, throwing getters) are {@link Uncloneable},
 * which the owner turns into a frozen object: the provider refuses it where it refuses any
 * unusable pointer or handle (WSAEFAULT, WSAENOTSOCK, …), and the owner never throws for it.
 * Byte buffers are not copied to find out (they always clone).
 */
export function travelling(x: unknown, depth = 0): unknown {
  if (typeof x === 'function' || typeof x === 'symbol') return UNCLONEABLE;
  if (!isObject(x)) return x;
  if (types.isProxy(x) || depth > 8) return UNCLONEABLE;
  if (ArrayBuffer.isView(x)) return x;
  try {
    const proto: unknown = Object.getPrototypeOf(x);
    if (Array.isArray(x) || proto === Object.prototype || proto === null) {
      const keys = Object.keys(x);
      const parts = keys.map((k) => travelling(x[k], depth + 1));
      if (parts.every((v, i) => v === x[keys[i]!])) return x;
      if (Array.isArray(x)) return parts;
      return Object.fromEntries(keys.map((k, i) => [k, parts[i]]));
    }
    structuredClone(x);
    return x;
  } catch {
    return UNCLONEABLE;
  }
}

/** What a worker's call of an extension function goes through (client.ts's `call`). */
export type CallOwner = (fn: string, args: unknown[]) => number;

/**
 * The stand-ins of one worker thread, made once each: the same GUID gives the same function in
 * that thread, as in C.
 */
export class WorkerExtensions {
  private readonly made = new Map<string, ExtensionFunction>();

  constructor(private readonly callOwner: CallOwner) {}

  /** The stand-in for `name` (one of {@link EXTENSION_GUIDS}), or undefined. */
  get(name: string): ExtensionFunction | undefined {
    if (!Object.hasOwn(EXTENSION_GUIDS, name)) return undefined;
    let fn = this.made.get(name);
    if (fn === undefined) {
      fn = name === 'GetAcceptExSockaddrs' ? getAcceptExSockaddrs : this.standIn(name);
      this.made.set(name, fn);
    }
    return fn;
  }

  /**
   * A function that carries its call to the owner: the arguments as they can travel (the
   * OVERLAPPED and the routine are client.ts's to carry), the code in a fresh lpErrno the owner
   * writes, copied into the program's lpErrno when there is one.
   */
  private standIn(name: string): ExtensionFunction {
    const fn = `__${name}`;
    const shape = OVERLAPPED_SHAPES[fn]!;
    const errnoAt = shape.errno!;
    // The last net, as client.ts puts under every WSP* function: whatever a program passes, the
    // stand-in returns its failure value with WSAEFAULT and never throws in this thread.
    const failValue = name === 'WSARecvMsg' || name === 'WSASendMsg' ? SOCKET_ERROR : 0;
    const standIn = (...args: unknown[]): number => {
      try {
        return carry(args);
      } catch {
        try {
          const lpErrno = args[errnoAt];
          if (isObject(lpErrno)) lpErrno.value = WSAEFAULT;
        } catch {
          // an unwritable lpErrno loses the code
        }
        return failValue;
      }
    };
    const carry = (args: unknown[]): number => {
      const lpErrno = args[errnoAt];
      const wire: unknown[] = [];
      for (let i = 0; i < errnoAt; i++) {
        const a = args[i];
        wire.push(i === shape.ov ? a : i === shape.routine ? (args[shape.ov] === null || args[shape.ov] === undefined ? null : a) : travelling(a));
      }
      const errno = { value: 0 };
      wire.push(errno);
      const ret = this.callOwner(fn, wire);
      if (errno.value !== 0 && isObject(lpErrno)) {
        try {
          lpErrno.value = errno.value;
        } catch {
          // an unwritable lpErrno loses the code, as the owner's fail() does
        }
      }
      return ret;
    };
    return standIn as unknown as ExtensionFunction;
  }
}
