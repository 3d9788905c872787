/**
 * What a worker's arguments become before they cross to the owner thread (docs/host-network.md,
 * "Blocking calls from threads"): plain data that always clones, so nothing a worker passes can
 * throw in postMessage, in the owner, or in the owner's answer.
 *
 * - Functions, symbols, Proxies, parts behind throwing getters, back-references of cyclic
 *   objects and structures too deep or too large become an {@link Uncloneable} marker, which the
 *   owner turns into a frozen empty object: the provider refuses it where it refuses any unusable
 *   pointer or handle (WSAEFAULT, WSAENOTSOCK, WSAEINVAL…).
 * - A frozen object travels as a {@link FrozenPart} and is frozen again in the owner, so an
 *   out-parameter the caller made read-only is refused there as on the owner thread.
 * - Guest memory: a byte view whose memory is a SharedArrayBuffer travels as itself (the owner
 *   reads and writes that memory in place, no byte is copied); a view of part of an ordinary
 *   ArrayBuffer travels as a fresh copy of its own bytes only (structured clone would copy its
 *   whole buffer), and what the owner wrote is copied back into the view after the call.
 */
import { types } from 'node:util';
import type { Uncloneable } from './protocol.js';

/** A frozen object of the caller, as it travels: the owner freezes `__frozen` again. */
export interface FrozenPart {
  readonly __frozen: unknown;
}

export const UNCLONEABLE: Uncloneable = Object.freeze({ __uncloneable: true as const });

/** More nesting than any WSP* argument has (WSAMSG → lpBuffers → WSABUF → buf is 3). */
const MAX_DEPTH = 12;
/** More parts than any sane call passes (fd_sets of 64, WSABUF arrays of 1024…). */
const MAX_PARTS = 1 << 16;

// The intrinsic accessors: an own property named `buffer` on a view cannot mislead them.
const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const getter = (proto: object, key: string): ((this: unknown) => unknown) =>
  Object.getOwnPropertyDescriptor(proto, key)!.get! as (this: unknown) => unknown;
const TA_BUFFER = getter(typedArrayProto, 'buffer');
const TA_OFFSET = getter(typedArrayProto, 'byteOffset');
const TA_LENGTH = getter(typedArrayProto, 'byteLength');
const DV_BUFFER = getter(DataView.prototype, 'buffer');
const DV_OFFSET = getter(DataView.prototype, 'byteOffset');
const DV_LENGTH = getter(DataView.prototype, 'byteLength');
const AB_LENGTH = getter(ArrayBuffer.prototype, 'byteLength');

/** What one conversion found: how many bytes of ordinary memory it put on the wire (shared memory costs none). */
export interface WireCount {
  bytes: number;
  /** Markers were made (the owner has parts to replace). */
  marked: boolean;
}

/** The memory, offset and length of a byte view (undefined: not a view, or a detached one's). */
function viewParts(x: object): { buffer: ArrayBufferLike; offset: number; length: number } | undefined {
  try {
    if (types.isTypedArray(x)) return { buffer: TA_BUFFER.call(x) as ArrayBufferLike, offset: TA_OFFSET.call(x) as number, length: TA_LENGTH.call(x) as number };
    if (types.isDataView(x)) return { buffer: DV_BUFFER.call(x) as ArrayBufferLike, offset: DV_OFFSET.call(x) as number, length: DV_LENGTH.call(x) as number };
  } catch {
    // a detached view's accessors may throw
  }
  return undefined;
}

/**
 * `x` as it crosses. `callbackAt`: a top-level function may travel as a callback reference
 * (WSPAccept's condition function), pushed to `functions`.
 */
export class WireConverter {
  private parts = 0;
  private seen = new Set<object>();
  readonly count: WireCount = { bytes: 0, marked: false };

  /** Converts one argument (start a new converter per call). */
  convert(x: unknown, depth = 0): unknown {
    switch (typeof x) {
      case 'number': case 'string': case 'boolean': case 'undefined': case 'bigint': return x;
      case 'object': break;
      default: return this.mark(); // a function or symbol where data belongs
    }
    if (x === null) return null;
    if (++this.parts > MAX_PARTS || depth > MAX_DEPTH || types.isProxy(x) || this.seen.has(x)) return this.mark();
    if (ArrayBuffer.isView(x)) return this.view(x);
    if (types.isAnyArrayBuffer(x)) return this.arrayBuffer(x);
    this.seen.add(x);
    try {
      const frozen = Object.isFrozen(x);
      let out: unknown;
      if (Array.isArray(x)) {
        const n = x.length;
        if (n > MAX_PARTS - this.parts) return this.mark();
        const a = new Array<unknown>(n);
        for (let i = 0; i < n; i++) a[i] = this.read(x, i, depth);
        out = a;
      } else {
        const o: Record<string, unknown> = {};
        const keys = Object.keys(x);
        if (keys.length > MAX_PARTS - this.parts) return this.mark();
        for (const k of keys) {
          const v = this.read(x, k, depth);
          if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
          else o[k] = v;
        }
        out = o;
      }
      if (!frozen) return out;
      this.count.marked = true;
      const f: FrozenPart = { __frozen: out };
      return f;
    } catch {
      return this.mark();
    } finally {
      this.seen.delete(x);
    }
  }

  private read(x: object, k: string | number, depth: number): unknown {
    let v: unknown;
    try {
      v = (x as Record<string | number, unknown>)[k];
    } catch {
      return this.mark(); // a throwing getter
    }
    return this.convert(v, depth + 1);
  }

  private mark(): Uncloneable {
    this.count.marked = true;
    return UNCLONEABLE;
  }

  /** A byte view: shared memory as itself, a whole small buffer as itself, else a copy of its own bytes. */
  private view(x: ArrayBufferView): unknown {
    const v = viewParts(x);
    if (v === undefined) return this.mark();
    if (types.isSharedArrayBuffer(v.buffer)) return x;
    let whole: number;
    try {
      whole = AB_LENGTH.call(v.buffer) as number;
    } catch {
      return this.mark();
    }
    if (v.length === 0 || whole === 0) return types.isDataView(x) ? new DataView(new ArrayBuffer(0)) : new Uint8Array(0); // detached or empty
    if (v.offset === 0 && v.length === whole && types.isUint8Array(x) && Object.getPrototypeOf(x) === Uint8Array.prototype) {
      this.count.bytes += whole;
      return x;
    }
    const copy = new Uint8Array(v.length);
    copy.set(new Uint8Array(v.buffer, v.offset, v.length));
    this.count.bytes += v.length;
    return types.isDataView(x) ? new DataView(copy.buffer) : copy;
  }

  private arrayBuffer(x: ArrayBuffer | SharedArrayBuffer): unknown {
    if (types.isSharedArrayBuffer(x)) return x;
    try {
      const n = AB_LENGTH.call(x) as number;
      this.count.bytes += n;
      return n === 0 ? new ArrayBuffer(0) : x;
    } catch {
      return this.mark();
    }
  }
}
