// The chaos LSP: rules that pick calls (by name, socket, nth call, seeded chance) and delay them, fail them, reset the connection or truncate the data.
/**
 * Installed over a base entry (or a chain) with {@link Catalog.installLayered}, it lets an
 * unchanged program meet faults: each call the program makes through the chain is checked against
 * the rules in order, and the first rule that fires acts on it. A rule that does not fire lets
 * the call through untouched. Chance comes from a seeded generator (never Math.random), so a run
 * repeats exactly for the same seed and the same calls.
 */
import { WSAECONNRESET } from '../provider/constants.js';
import type { LPINT, WSABUF } from '../spi/types.js';
import type { Catalog } from '../ws2/catalog.js';
import { LayeredProvider, type LayerCall, type LayerControl, type LayerHook } from './layer.js';

/** What a rule does to a call it fires on. */
export type ChaosAction =
  /**
   * Waits `delay` ms, then lets the call through. The calling thread waits (a blocking call and a
   * non-blocking one alike): in virtual time on a virtual network (the network runs meanwhile), in
   * real time elsewhere (Atomics.wait: on the host network's own thread nothing else runs then).
   */
  | { delay: number }
  /** Fails the call with this Winsock code (lpErrno) and its failure value; nothing happens below. */
  | { fail: number }
  /**
   * Resets the connection: the socket below is closed abortively (the peer sees RST), this call and
   * every later one on the socket fail with WSAECONNRESET; WSPCloseSocket still closes the handle.
   */
  | { reset: true }
  /**
   * At most `truncate` bytes: a send sends fewer (WSPSend, WSPSendTo, ConnectEx's data), a receive
   * returns fewer (WSPRecv, WSPRecvFrom); the buffers given below are cut to that length. Other calls pass.
   */
  | { truncate: number };

/** One rule; every given condition must hold for a call to match. */
export interface ChaosRule {
  /** The function name(s): `WSPSend`, `WSPRecv`, `AcceptEx`...; omitted: every call. */
  call?: string | readonly string[];
  /** The program's socket; omitted: any (calls without a socket too). */
  socket?: number;
  /** Only the nth matching call (1 = the first), counted per rule; omitted: every matching call. */
  nth?: number;
  /** The chance (0 to 1) that a matching call fires the rule, drawn from the seeded source; omitted: 1. */
  probability?: number;
  /** Fires at most this many times; omitted: no limit. */
  times?: number;
  action: ChaosAction;
}

/** A rule that fired: which call, which rule (index in `rules`), what it did. */
export interface ChaosEvent {
  call: string;
  socket: number | null;
  rule: number;
  action: ChaosAction;
}

/** Options of {@link ChaosLsp}. */
export interface ChaosOptions {
  rules?: ChaosRule[];
  /** The seed of the chance source (default 1). */
  seed?: number;
}

/** A small seeded generator (mulberry32): numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `bufs` (the first `count`) cut to at most `max` bytes in all: new WSABUFs over the same memory. */
function cut(bufs: unknown, count: unknown, max: number): { bufs: WSABUF[]; count: number } | undefined {
  if (!Array.isArray(bufs) || typeof count !== 'number') return undefined;
  const out: WSABUF[] = [];
  let left = Math.max(0, Math.floor(max));
  for (const b of (bufs as WSABUF[]).slice(0, count)) {
    if (typeof b !== 'object' || b === null || typeof b.len !== 'number') return undefined;
    const len = Math.min(b.len, left);
    out.push({ len, buf: b.buf });
    left -= len;
    if (left === 0) break;
  }
  return { bufs: out, count: out.length };
}

/** The chaos hook (usable under any {@link LayeredProvider}). */
export class ChaosHook implements LayerHook {
  /** The rules, in order; change them at any time. */
  rules: ChaosRule[];
  /** Every time a rule fired, in order. */
  readonly fired: ChaosEvent[] = [];
  private readonly random: () => number;
  private readonly seen = new WeakMap<ChaosRule, { matched: number; fired: number }>();

  constructor(options: ChaosOptions = {}) {
    this.rules = options.rules ?? [];
    this.random = seededRandom(options.seed ?? 1);
  }

  private fires(rule: ChaosRule, call: LayerCall): boolean {
    const names = rule.call === undefined ? undefined : typeof rule.call === 'string' ? [rule.call] : rule.call;
    if (names !== undefined && !names.includes(call.name)) return false;
    if (rule.socket !== undefined && rule.socket !== call.socket) return false;
    let st = this.seen.get(rule);
    if (st === undefined) this.seen.set(rule, (st = { matched: 0, fired: 0 }));
    st.matched++;
    if (rule.nth !== undefined && st.matched !== rule.nth) return false;
    if (rule.times !== undefined && st.fired >= rule.times) return false;
    // The draw is made only for calls that got this far, so adding a rule elsewhere does not shift this one's luck.
    if (rule.probability !== undefined && !(this.random() < rule.probability)) return false;
    st.fired++;
    return true;
  }

  call(call: LayerCall, next: () => unknown, layer: LayerControl): unknown {
    const i = this.rules.findIndex((r) => this.fires(r, call));
    if (i < 0) return next();
    const action = this.rules[i]!.action;
    this.fired.push({ call: call.name, socket: call.socket, rule: i, action });
    const failWith = (code: number): unknown => {
      try {
        if (call.lpErrno !== null && typeof call.lpErrno === 'object') (call.lpErrno as LPINT).value = code;
      } catch {
        // unwritable lpErrno: the failure value still reports the failure
      }
      return call.failValue;
    };
    if ('delay' in action) {
      layer.sleep(action.delay);
      return next();
    }
    if ('fail' in action) return failWith(action.fail);
    if ('reset' in action) {
      if (call.socket === null || !layer.reset(call.socket)) return next();
      return failWith(WSAECONNRESET);
    }
    const a = call.args;
    switch (call.name) {
      case 'WSPSend': case 'WSPSendTo': case 'WSPRecv': case 'WSPRecvFrom': {
        const c = cut(a[1], a[2], action.truncate);
        if (c !== undefined) { a[1] = c.bufs; a[2] = c.count; }
        break;
      }
      case 'ConnectEx':
        if (typeof a[4] === 'number') a[4] = Math.min(a[4], Math.max(0, Math.floor(action.truncate)));
        break;
      default:
    }
    return next();
  }
}

/** The chaos LSP: a pass-through layer that applies {@link ChaosRule}s. */
export class ChaosLsp extends LayeredProvider {
  /** The default GUID it installs under. */
  static readonly DEFAULT_ID = '{7a3c2e10-5f4b-4c1e-9d2a-000000000002}';
  declare protected readonly hook: ChaosHook;
  constructor(catalog: Catalog, options: ChaosOptions = {}, ProviderId = ChaosLsp.DEFAULT_ID) {
    super(catalog, ProviderId, new ChaosHook(options));
  }

  /** The rules, in order (the same array the hook reads: push, splice or replace it at any time). */
  get rules(): ChaosRule[] { return this.hook.rules; }
  set rules(r: ChaosRule[]) { this.hook.rules = r; }

  /** Every time a rule fired. */
  get fired(): readonly ChaosEvent[] { return this.hook.fired; }
}


