/**
 * Scenario files: what a user writes to see how a server behaves under a connection storm,
 * and their validation, with one precise message per problem (`clients[1].count: …`).
 *
 * Names (of hosts, listeners, clients) are arbitrary strings, `__proto__` and `constructor`
 * included: the validator reads only a parsed object's own fields, and everything keyed by a
 * name downstream is a Map or a null-prototype object, so no name can reach Object.prototype.
 */
import { isLoopback, isUnspecified, parseIpAddress } from '../wire/ip.js';

export interface ScenarioHost {
  name: string;
  addresses: string[];
  maxSockets?: number;
  maxBacklog?: number;
  fullQueue?: 'reset' | 'drop';
}

export interface ScenarioListener {
  name: string;
  host: string;
  address: string;
  port: number;
  backlog: number;
  /** How the server accepts: one connection every `everyMs` from `startMs`, or never. */
  accept: { everyMs: number; startMs: number } | 'never';
  /** How long an accepted connection stays open before the server closes it (holding a descriptor). */
  holdMs: number;
  conditionalAccept: boolean;
}

export interface ScenarioClients {
  name: string;
  from: string[];
  to: string;
  count: number;
  startMs: number;
  /** Arrival pattern over [startMs, startMs + spreadMs]: all at once, or evenly spaced. */
  pattern: 'burst' | 'uniform';
  spreadMs: number;
}

export type ScenarioEvent =
  | { atMs: number; do: 'listen'; listener: string; backlog: number }
  | { atMs: number; do: 'close'; listener: string }
  | { atMs: number; do: 'networkDown'; host: string; down: boolean }
  | { atMs: number; do: 'faults'; between: [string, string]; faults: Record<string, number> }
  | { atMs: number; do: 'acceptRate'; listener: string; everyMs: number | null };

export interface Scenario {
  name: string;
  seed: number;
  durationMs: number;
  network: Record<string, number>;
  hosts: ScenarioHost[];
  listeners: ScenarioListener[];
  clients: ScenarioClients[];
  events: ScenarioEvent[];
}

export type Validation = { ok: true; scenario: Scenario } | { ok: false; errors: string[] };

const FAULT_KEYS = ['latencyMs', 'jitterMs', 'lossRate', 'duplicateRate', 'reorderRate', 'corruptRate', 'bandwidthMbps'];

/** Checks a parsed scenario; every problem is reported with its path. */
export function validateScenario(input: unknown): Validation {
  const errors: string[] = [];
  const err = (path: string, message: string) => errors.push(`${path}: ${message}`);
  const obj = (v: unknown, path: string): Record<string, unknown> | undefined => {
    // A null-prototype copy of the object's own fields: a field the file does not have is
    // undefined even if its name is that of something inherited ("constructor", "__proto__").
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return Object.assign(Object.create(null) as Record<string, unknown>, v);
    err(path, `must be an object, got ${describe(v)}`);
    return undefined;
  };
  const known = (o: Record<string, unknown>, path: string, keys: string[]) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) err(`${path}.${fieldName(k)}`, `unknown field (expected one of: ${keys.join(', ')})`);
  };
  const int = (v: unknown, path: string, min: number, max: number, fallback?: number): number => {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      err(path, `must be an integer from ${min} to ${max}, got ${describe(v)}`);
      return fallback ?? min;
    }
    return v;
  };
  const num = (v: unknown, path: string, min: number, max: number, fallback?: number): number => {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      err(path, `must be a number from ${min} to ${max}, got ${describe(v)}`);
      return fallback ?? min;
    }
    return v;
  };
  const str = (v: unknown, path: string, fallback?: string): string => {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string' || v === '') {
      err(path, `must be a non-empty string, got ${describe(v)}`);
      return fallback ?? '';
    }
    return v;
  };
  /** A name: a non-empty string without control characters (it is printed in tables and messages). */
  const name = (v: unknown, path: string, fallback?: string): string => {
    const n = str(v, path, fallback);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f-\u009f]/.test(n)) {
      err(path, `must not contain control characters, got ${describe(n)}`);
      return '';
    }
    return n;
  };
  const list = (v: unknown, path: string, optional = false): unknown[] => {
    if (v === undefined && optional) return [];
    if (!Array.isArray(v)) {
      err(path, `must be a list, got ${describe(v)}`);
      return [];
    }
    return v;
  };
  const faults = (v: unknown, path: string): Record<string, number> => {
    const o = v === undefined ? {} : obj(v, path) ?? {};
    known(o, path, FAULT_KEYS);
    const out: Record<string, number> = {};
    for (const k of FAULT_KEYS) {
      if (o[k] !== undefined) out[k] = num(o[k], `${path}.${k}`, 0, k.endsWith('Rate') ? 1 : 1e9);
    }
    return out;
  };

  const top = obj(input, 'scenario');
  if (top === undefined) return { ok: false, errors };
  known(top, 'scenario', ['name', 'seed', 'durationMs', 'network', 'hosts', 'listeners', 'clients', 'events']);
  const durationMs = int(top.durationMs, 'durationMs', 1, 86_400_000, 1000);
  const hosts: ScenarioHost[] = list(top.hosts, 'hosts').map((h, i) => {
    const p = `hosts[${i}]`;
    const o = obj(h, p) ?? {};
    known(o, p, ['name', 'addresses', 'maxSockets', 'maxBacklog', 'fullQueue']);
    const addresses = list(o.addresses, `${p}.addresses`).map((a, j) => str(a, `${p}.addresses[${j}]`));
    if (addresses.length === 0 && Array.isArray(o.addresses)) err(`${p}.addresses`, 'needs at least one address');
    const fullQueue = o.fullQueue === undefined ? undefined : o.fullQueue === 'reset' || o.fullQueue === 'drop'
      ? o.fullQueue : (err(`${p}.fullQueue`, `must be "reset" or "drop", got ${describe(o.fullQueue)}`), undefined);
    return {
      name: name(o.name, `${p}.name`), addresses, fullQueue,
      maxSockets: o.maxSockets === undefined ? undefined : int(o.maxSockets, `${p}.maxSockets`, 1, 1_000_000),
      maxBacklog: o.maxBacklog === undefined ? undefined : int(o.maxBacklog, `${p}.maxBacklog`, 1, 65535),
    };
  });
  if (hosts.length === 0) err('hosts', 'needs at least one host');
  const hostNames = new Set<string>();
  hosts.forEach((h, i) => {
    if (h.name !== '' && hostNames.has(h.name)) err(`hosts[${i}].name`, `${quote(h.name)} is used twice`);
    hostNames.add(h.name);
  });
  // Every host address: an IP address, neither the wildcard nor loopback, and on one host only.
  const owners = new Map<string, string>();
  hosts.forEach((h, i) => h.addresses.forEach((text, j) => {
    if (text === '') return;
    const p = `hosts[${i}].addresses[${j}]`;
    const host = `host ${quote(h.name)}`;
    const a = parseIpAddress(text);
    if (a === undefined) return err(p, `${host}: ${describe(text)} is not an IP address`);
    if (isLoopback(a) || isMappedLoopback(a.bytes)) return err(p, `${host}: ${text} is a loopback address (127.0.0.0/8, ::1), which every host has already`);
    if (isUnspecified(a)) return err(p, `${host}: ${text} is the wildcard address, not a host address`);
    const owner = owners.get(a.text);
    if (owner !== undefined) return err(p, `${host}: ${text} is used twice (${owner === h.name ? 'twice on this host' : `also by host ${quote(owner)}`})`);
    owners.set(a.text, h.name);
  }));
  const hostRef = (v: unknown, path: string) => {
    const n = str(v, path);
    if (n !== '' && !hostNames.has(n)) err(path, `no host named ${quote(n)}`);
    return n;
  };

  const listeners: ScenarioListener[] = list(top.listeners, 'listeners').map((l, i) => {
    const p = `listeners[${i}]`;
    const o = obj(l, p) ?? {};
    known(o, p, ['name', 'host', 'address', 'port', 'backlog', 'accept', 'holdMs', 'conditionalAccept']);
    let accept: ScenarioListener['accept'] = 'never';
    if (o.accept !== 'never') {
      const a = obj(o.accept ?? { everyMs: 1 }, `${p}.accept`) ?? {};
      known(a, `${p}.accept`, ['everyMs', 'startMs']);
      accept = { everyMs: num(a.everyMs, `${p}.accept.everyMs`, 0.001, 86_400_000, 1), startMs: num(a.startMs, `${p}.accept.startMs`, 0, 86_400_000, 0) };
    }
    const address = str(o.address, `${p}.address`);
    if (address !== '' && parseIpAddress(address) === undefined) err(`${p}.address`, `${describe(address)} is not an IP address`);
    return {
      name: name(o.name, `${p}.name`), host: hostRef(o.host, `${p}.host`), address,
      port: int(o.port, `${p}.port`, 1, 65535), backlog: int(o.backlog, `${p}.backlog`, 1, 65535, 5), accept,
      holdMs: num(o.holdMs, `${p}.holdMs`, 0, 86_400_000, 0),
      conditionalAccept: o.conditionalAccept === undefined ? false : o.conditionalAccept === true
        || (o.conditionalAccept !== false && (err(`${p}.conditionalAccept`, `must be true or false, got ${describe(o.conditionalAccept)}`), false)),
    };
  });
  const listenerNames = new Set<string>();
  listeners.forEach((l, i) => {
    if (l.name !== '' && listenerNames.has(l.name)) err(`listeners[${i}].name`, `${quote(l.name)} is used twice`);
    listenerNames.add(l.name);
  });
  const listenerRef = (v: unknown, path: string) => {
    const n = str(v, path);
    if (n !== '' && !listenerNames.has(n)) err(path, `no listener named ${quote(n)}`);
    return n;
  };

  const clients: ScenarioClients[] = list(top.clients, 'clients').map((c, i) => {
    const p = `clients[${i}]`;
    const o = obj(c, p) ?? {};
    known(o, p, ['name', 'from', 'to', 'count', 'startMs', 'pattern', 'spreadMs']);
    const from = (Array.isArray(o.from) ? o.from : [o.from]).map((h, j) => hostRef(h, `${p}.from${Array.isArray(o.from) ? `[${j}]` : ''}`));
    const pattern = o.pattern === undefined ? 'uniform' : o.pattern === 'burst' || o.pattern === 'uniform'
      ? o.pattern : (err(`${p}.pattern`, `must be "burst" or "uniform", got ${describe(o.pattern)}`), 'uniform');
    return {
      name: name(o.name, `${p}.name`, `clients${i + 1}`), from, to: listenerRef(o.to, `${p}.to`),
      count: int(o.count, `${p}.count`, 1, 1_000_000), startMs: num(o.startMs, `${p}.startMs`, 0, 86_400_000, 0),
      pattern, spreadMs: num(o.spreadMs, `${p}.spreadMs`, 0, 86_400_000, 0),
    };
  });

  const events: ScenarioEvent[] = [];
  list(top.events, 'events', true).forEach((ev, i) => {
    const p = `events[${i}]`;
    const o = obj(ev, p) ?? {};
    const atMs = num(o.atMs, `${p}.atMs`, 0, 86_400_000);
    switch (o.do) {
      case 'listen':
        known(o, p, ['atMs', 'do', 'listener', 'backlog']);
        events.push({ atMs, do: 'listen', listener: listenerRef(o.listener, `${p}.listener`), backlog: int(o.backlog, `${p}.backlog`, 1, 65535) });
        return;
      case 'close':
        known(o, p, ['atMs', 'do', 'listener']);
        events.push({ atMs, do: 'close', listener: listenerRef(o.listener, `${p}.listener`) });
        return;
      case 'networkDown':
        known(o, p, ['atMs', 'do', 'host', 'down']);
        if (typeof o.down !== 'boolean') err(`${p}.down`, `must be true or false, got ${describe(o.down)}`);
        events.push({ atMs, do: 'networkDown', host: hostRef(o.host, `${p}.host`), down: o.down === true });
        return;
      case 'faults': {
        known(o, p, ['atMs', 'do', 'between', 'faults']);
        const between = list(o.between, `${p}.between`).map((h, j) => hostRef(h, `${p}.between[${j}]`));
        if (between.length !== 2) err(`${p}.between`, `must name two hosts, got ${between.length}`);
        events.push({ atMs, do: 'faults', between: [between[0] ?? '', between[1] ?? ''], faults: faults(o.faults, `${p}.faults`) });
        return;
      }
      case 'acceptRate':
        known(o, p, ['atMs', 'do', 'listener', 'everyMs']);
        events.push({
          atMs, do: 'acceptRate', listener: listenerRef(o.listener, `${p}.listener`),
          everyMs: o.everyMs === null ? null : num(o.everyMs, `${p}.everyMs`, 0.001, 86_400_000),
        });
        return;
      default:
        err(`${p}.do`, `must be one of listen, close, networkDown, faults, acceptRate; got ${describe(o.do)}`);
    }
  });
  const scenario: Scenario = {
    name: name(top.name, 'name', 'scenario'), seed: int(top.seed, 'seed', 0, 2 ** 31 - 1, 1), durationMs,
    network: faults(top.network, 'network'), hosts, listeners, clients, events: events.sort((a, b) => a.atMs - b.atMs),
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, scenario };
}

/** Parses JSON text (a leading UTF-8 byte-order mark is ignored); a syntax error names its line and column. */
export function parseScenarioText(text: string): Validation {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = /position (\d+)/.exec(message);
    if (at !== null) {
      const pos = Number(at[1]);
      const before = text.slice(0, pos).split('\n');
      return { ok: false, errors: [`line ${before.length}, column ${before[before.length - 1]!.length + 1}: malformed JSON (${message.replace(/ in JSON at position \d+.*$/, '')})`] };
    }
    return { ok: false, errors: [`malformed JSON: ${message}`] };
  }
  return validateScenario(value);
}

/** A name in a message: quoted, with any control character escaped (the message stays one line). */
function quote(s: string): string {
  return JSON.stringify(s);
}

/** A field name in a path: as is when it is a plain identifier, quoted otherwise. */
function fieldName(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k);
}

/** ::ffff:127.x.x.x, IPv4 loopback written as IPv6. */
function isMappedLoopback(b: Uint8Array): boolean {
  return b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff && b[12] === 127;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : String(v);
}
