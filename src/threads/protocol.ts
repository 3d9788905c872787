/**
 * What a worker thread and the thread that owns the network say to each other. A call travels
 * as a message; the caller sleeps in Atomics.wait on a shared word until the answer (or a
 * request to run one of its callbacks) is posted, then takes it with receiveMessageOnPort.
 */
import type { MessagePort } from 'node:worker_threads';

/** Handed to a worker (in workerData, with `port` in the transfer list). */
export interface ProviderChannel {
  readonly port: MessagePort;
  /** Int32 words: [0] the caller's wake-up word, [1] the owner's wake-up word (callbacks). */
  readonly state: SharedArrayBuffer;
}

/** Values of the caller's wake-up word. */
export const IDLE = 0;
export const ANSWERED = 1;
export const CALLBACK = 2;

/** A function argument (the condition function of WSPAccept) travels as its index. */
export interface FunctionRef {
  readonly __function: number;
}

export type ToOwner =
  | { type: 'call'; fn: string; args: unknown[] }
  | { type: 'callback-return'; value: unknown; args: unknown[] }
  | { type: 'close' };

export type ToCaller =
  | { type: 'return'; ret: number; args: unknown[] }
  | { type: 'callback'; index: number; args: unknown[] };

export function isFunctionRef(x: unknown): x is FunctionRef {
  return typeof x === 'object' && x !== null && typeof (x as FunctionRef).__function === 'number';
}

/**
 * Writes what the call did to its (cloned) arguments back into the caller's own objects:
 * bytes into the same Uint8Arrays, fields into the same objects, elements into the same arrays.
 */
export function copyBack(original: unknown, result: unknown): void {
  if (original instanceof Uint8Array) {
    if (result instanceof Uint8Array) original.set(result.subarray(0, original.length));
    return;
  }
  if (typeof original !== 'object' || original === null || typeof result !== 'object' || result === null) return;
  if (Object.isFrozen(original)) return;
  const o = original as Record<string, unknown>;
  const r = result as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    const before = o[key];
    const after = r[key];
    if (typeof before === 'object' && before !== null && typeof after === 'object' && after !== null) copyBack(before, after);
    else if (!isFunctionRef(after)) o[key] = after;
  }
  if (Array.isArray(original) && Array.isArray(result)) original.length = result.length;
}
