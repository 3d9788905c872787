/**
 * Scenario files: what a user writes to see how a server behaves under a connection storm,
 * and their validation, with one precise message per problem (`clients[1].count: …`).
 */

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
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    err(path, `must be an object, got ${describe(v)}`);
    return undefined;
  };
  const known = (o: Record<string, unknown>, path: string, keys: string[]) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) err(`${path}.${k}`, `unknown field (expected one of: ${keys.join(', ')})`);
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
    if (addresses.length === 0) err(`${p}.addresses`, 'needs at least one address');
    const fullQueue = o.fullQueue === undefined ? undefined : o.fullQueue === 'reset' || o.fullQueue === 'drop'
      ? o.fullQueue : (err(`${p}.fullQueue`, `must be "reset" or "drop", got ${describe(o.fullQueue)}`), undefined);
    return {
      name: str(o.name, `${p}.name`), addresses, fullQueue,
      maxSockets: o.maxSockets === undefined ? undefined : int(o.maxSockets, `${p}.maxSockets`, 1, 1_000_000),
      maxBacklog: o.maxBacklog === undefined ? undefined : int(o.maxBacklog, `${p}.maxBacklog`, 1, 65535),
    };
  });
  if (hosts.length === 0) err('hosts', 'needs at least one host');
  const hostNames = new Set<string>();
  hosts.forEach((h, i) => {
    if (hostNames.has(h.name)) err(`hosts[${i}].name`, `"${h.name}" is used twice`);
    hostNames.add(h.name);
  });
  const hostRef = (v: unknown, path: string) => {
    const name = str(v, path);
    if (name !== '' && !hostNames.has(name)) err(path, `no host named "${name}"`);
    return name;
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
    return {
      name: str(o.name, `${p}.name`), host: hostRef(o.host, `${p}.host`), address: str(o.address, `${p}.address`),
      port: int(o.port, `${p}.port`, 1, 65535), backlog: int(o.backlog, `${p}.backlog`, 1, 65535, 5), accept,
      holdMs: num(o.holdMs, `${p}.holdMs`, 0, 86_400_000, 0),
      conditionalAccept: o.conditionalAccept === undefined ? false : o.conditionalAccept === true
        || (o.conditionalAccept !== false && (err(`${p}.conditionalAccept`, `must be true or false, got ${describe(o.conditionalAccept)}`), false)),
    };
  });
  const listenerNames = new Set(listeners.map((l) => l.name));
  const listenerRef = (v: unknown, path: string) => {
    const name = str(v, path);
    if (name !== '' && !listenerNames.has(name)) err(path, `no listener named "${name}"`);
    return name;
  };

  const clients: ScenarioClients[] = list(top.clients, 'clients').map((c, i) => {
    const p = `clients[${i}]`;
    const o = obj(c, p) ?? {};
    known(o, p, ['name', 'from', 'to', 'count', 'startMs', 'pattern', 'spreadMs']);
    const from = (Array.isArray(o.from) ? o.from : [o.from]).map((h, j) => hostRef(h, `${p}.from${Array.isArray(o.from) ? `[${j}]` : ''}`));
    const pattern = o.pattern === undefined ? 'uniform' : o.pattern === 'burst' || o.pattern === 'uniform'
      ? o.pattern : (err(`${p}.pattern`, `must be "burst" or "uniform", got ${describe(o.pattern)}`), 'uniform');
    return {
      name: str(o.name, `${p}.name`, `clients${i + 1}`), from, to: listenerRef(o.to, `${p}.to`),
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
    name: str(top.name, 'name', 'scenario'), seed: int(top.seed, 'seed', 0, 2 ** 31 - 1, 1), durationMs,
    network: faults(top.network, 'network'), hosts, listeners, clients, events: events.sort((a, b) => a.atMs - b.atMs),
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, scenario };
}

/** Parses JSON text; a syntax error names its line and column. */
export function parseScenarioText(text: string): Validation {
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

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : String(v);
}
