/**
 * Runs a scenario on the virtual network through the SPI: servers that accept at a given rate,
 * client storms, timed events; what happened to every connection request, and a timeline of
 * queue depths. Imports no `node:` module (it also runs in a browser).
 *
 * Everything in the result keyed by a name (listeners, client hosts, queues) is a
 * null-prototype object, so a host called `__proto__` or `constructor` is just a key.
 */
import {
  AF_INET, AF_INET6, FIONBIO, INVALID_SOCKET, IPPROTO_TCP, MSG_PEEK, SOCK_STREAM, SOCKET_ERROR, SOL_SOCKET,
  SO_CONDITIONAL_ACCEPT, SO_ERROR, errorName,
} from '../provider/constants.js';
import type { ListenStats } from '../provider/listen-queue.js';
import type { ServiceProvider } from '../spi/service-provider.js';
import type { CaptureSink } from '../virtual/capture.js';
import { VirtualNetwork, type Faults, type VirtualHost } from '../virtual/virtual-network.js';
import type { Scenario, ScenarioListener } from './schema.js';

export type Outcome = 'accepted' | 'queued' | 'refused' | 'reset' | 'timed-out' | 'connecting' | 'failed';
export const OUTCOMES: Outcome[] = ['accepted', 'queued', 'refused', 'reset', 'timed-out', 'connecting', 'failed'];

export interface Sample {
  timeMs: number;
  /** Queue length per listener. */
  queues: Record<string, number>;
  accepted: number;
  refused: number;
  reset: number;
}

export interface ScenarioResult {
  name: string;
  durationMs: number;
  listeners: Record<string, ListenerResult>;
  /** Outcome counts per client host. */
  clientHosts: Record<string, Record<Outcome, number>>;
  /** Why requests `failed`, per client host: error name → count (only hosts with failures). */
  failures: Record<string, Record<string, number>>;
  timeline: Sample[];
  events: { timeMs: number; text: string }[];
}

export interface ListenerResult {
  queued: number;
  accepted: number;
  refusedFull: number;
  refusedNoDescriptor: number;
  resetByListener: number;
  withdrawn: number;
  /** Why it could not listen (the error name of WSPSocket, WSPBind or WSPListen), or null if it listened. */
  error: string | null;
}

interface Client {
  host: string;
  provider: ServiceProvider;
  socket: number;
  outcome: Outcome;
  key: string;
  /** The error name when the outcome is `failed`. */
  error?: string;
}

interface Server {
  spec: ScenarioListener;
  p: ServiceProvider;
  socket: number | null;
  everyMs: number | null;
  nextAcceptMs: number;
  /** Accepted connections the server keeps open (each holds a descriptor) until `untilMs`. */
  held: { socket: number; untilMs: number }[];
  /** The listener's counters when it was closed. */
  closedStats?: ListenStats;
  /** Why it could not listen. */
  error: string | null;
}

const e = () => ({ value: 0 });
const zeroOutcomes = (): Record<Outcome, number> => Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
/** An error code's name (WSAEADDRINUSE), or its number when it has none. */
const nameOf = (code: number): string => errorName(code) ?? `error ${code}`;
/** A record keyed by user-given names: no prototype, so `__proto__` is a key like any other. */
const dict = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

export interface RunOptions {
  /** Called now and then with the share of virtual time done (0..1). */
  progress?: (done: number) => void;
  capture?: CaptureSink;
}

export function runScenario(s: Scenario, options: RunOptions = {}): ScenarioResult {
  const net = new VirtualNetwork({ seed: s.seed, ...(s.network as Faults), timeWaitMs: 1000 });
  const hosts = new Map<string, VirtualHost>();
  for (const h of s.hosts) {
    hosts.set(h.name, net.addHost({ name: h.name, addresses: h.addresses, maxSockets: h.maxSockets, maxBacklog: h.maxBacklog, fullQueue: h.fullQueue }));
  }
  const capture = options.capture === undefined ? null : net.capture(options.capture);
  const events: ScenarioResult['events'] = [];
  const log = (text: string): void => {
    events.push({ timeMs: net.now(), text });
  };

  // Servers.
  const servers = new Map<string, Server>();
  for (const l of s.listeners) {
    const p = hosts.get(l.host)!.provider;
    const af = l.address.includes(':') ? AF_INET6 : AF_INET;
    const err = e();
    const socket = p.WSPSocket(af, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, err);
    let ok = socket !== INVALID_SOCKET;
    if (ok) {
      p.WSPIoctl(socket, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, e(), null, null, null, e());
      if (l.conditionalAccept) p.WSPSetSockOpt(socket, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, new Uint8Array([1, 0, 0, 0]), 4, e());
      ok = p.WSPBind(socket, { family: af, address: l.address, port: l.port }, af === AF_INET6 ? 28 : 16, err) === 0
        && p.WSPListen(socket, l.backlog, err) === 0;
      if (!ok) p.WSPCloseSocket(socket, e());
    }
    const error = ok ? null : nameOf(err.value);
    log(ok ? `${l.name} listening on ${l.address}:${l.port} with backlog ${l.backlog}` : `${l.name} could not listen: ${error}`);
    servers.set(l.name, {
      spec: l, p, socket: ok ? socket : null, everyMs: l.accept === 'never' ? null : l.accept.everyMs,
      nextAcceptMs: l.accept === 'never' ? Infinity : l.accept.startMs, held: [], error,
    });
  }

  // Client arrivals, in time order.
  const arrivals: { atMs: number; host: string; to: string }[] = [];
  for (const c of s.clients) {
    for (let i = 0; i < c.count; i++) {
      const atMs = c.pattern === 'burst' || c.count === 1 ? c.startMs : c.startMs + (c.spreadMs * i) / (c.count - 1);
      arrivals.push({ atMs, host: c.from[i % c.from.length]!, to: c.to });
    }
  }
  arrivals.sort((a, b) => a.atMs - b.atMs);
  const clients: Client[] = [];
  const pending = new Set<Client>();
  const byKey = new Map<string, Client>();
  const totals = { accepted: 0, refused: 0, reset: 0 };

  const settle = (c: Client, outcome: Outcome, error?: string) => {
    c.outcome = outcome;
    if (outcome === 'failed') c.error = error ?? 'unknown error';
    pending.delete(c);
    if (outcome === 'refused' || outcome === 'reset' || outcome === 'timed-out' || outcome === 'failed') {
      c.provider.WSPCloseSocket(c.socket, e());
      if (outcome === 'refused') totals.refused++;
      if (outcome === 'reset') totals.reset++;
    }
  };
  const poll = (c: Client) => {
    const info = c.provider.inspect(c.socket);
    if (info === undefined) return;
    if (info.phase === 'connecting') return;
    if (info.phase !== 'connected') {
      const code = new Uint8Array(4);
      c.provider.WSPGetSockOpt(c.socket, SOL_SOCKET, SO_ERROR, code, { value: 4 }, e());
      const name = nameOf(new DataView(code.buffer).getInt32(0, true));
      settle(c, name === 'WSAECONNREFUSED' ? 'refused' : name === 'WSAETIMEDOUT' ? 'timed-out' : name === 'WSAECONNRESET' ? 'reset' : 'failed', name);
      return;
    }
    if (c.outcome === 'connecting') c.outcome = 'queued';
    const err = e();
    const buf = new Uint8Array(1);
    if (c.provider.WSPRecv(c.socket, [{ len: 1, buf }], 1, e(), { value: MSG_PEEK }, null, null, null, err) === SOCKET_ERROR) {
      if (err.value === 10054 || err.value === 10053) settle(c, 'reset');
    }
  };

  const step = 1;
  let nextArrival = 0;
  let nextEvent = 0;
  const timeline: Sample[] = [];
  for (let t = 0; t <= s.durationMs; t += step) {
    while (nextEvent < s.events.length && s.events[nextEvent]!.atMs <= t) applyEvent(s.events[nextEvent++]!);
    while (nextArrival < arrivals.length && arrivals[nextArrival]!.atMs <= t) startClient(arrivals[nextArrival++]!);
    for (const srv of servers.values()) serve(srv, t);
    for (const c of [...pending]) poll(c);
    if (t % Math.max(1, Math.ceil(s.durationMs / 400)) === 0 || t === s.durationMs) {
      const queues = dict<number>();
      for (const [name, srv] of servers) queues[name] = srv.socket === null ? 0 : srv.p.inspect(srv.socket)?.listen?.queueLength ?? 0;
      timeline.push({ timeMs: t, queues, ...totals });
      options.progress?.(t / s.durationMs);
    }
    if (t < s.durationMs) net.advance(step);
  }
  capture?.close();

  const result: ScenarioResult = {
    name: s.name, durationMs: s.durationMs, listeners: dict(), clientHosts: dict(), failures: dict(), timeline, events,
  };
  for (const [name, srv] of servers) {
    const stats = srv.socket === null ? undefined : srv.p.inspect(srv.socket)?.listen?.stats;
    result.listeners[name] = {
      queued: stats?.queued ?? srv.closedStats?.queued ?? 0,
      accepted: stats?.accepted ?? srv.closedStats?.accepted ?? 0,
      refusedFull: stats?.refusedFull ?? srv.closedStats?.refusedFull ?? 0,
      refusedNoDescriptor: stats?.refusedNoDescriptor ?? srv.closedStats?.refusedNoDescriptor ?? 0,
      resetByListener: stats?.resetByListener ?? srv.closedStats?.resetByListener ?? 0,
      withdrawn: stats?.withdrawn ?? srv.closedStats?.withdrawn ?? 0,
      error: srv.error,
    };
  }
  for (const c of clients) {
    (result.clientHosts[c.host] ??= zeroOutcomes())[c.outcome]++;
    if (c.error !== undefined) {
      const reasons = (result.failures[c.host] ??= dict());
      reasons[c.error] = (reasons[c.error] ?? 0) + 1;
    }
  }
  return result;

  function startClient(a: { host: string; to: string }): void {
    const srv = servers.get(a.to)!;
    const p = hosts.get(a.host)!.provider;
    const af = srv.spec.address.includes(':') ? AF_INET6 : AF_INET;
    const err = e();
    const socket = p.WSPSocket(af, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, err);
    const c: Client = { host: a.host, provider: p, socket, outcome: 'connecting', key: '' };
    clients.push(c);
    if (socket === INVALID_SOCKET) {
      c.outcome = 'failed';
      c.error = nameOf(err.value);
      return;
    }
    p.WSPIoctl(socket, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, e(), null, null, null, e());
    const r = p.WSPConnect(socket, { family: af, address: srv.spec.address, port: srv.spec.port }, af === AF_INET6 ? 28 : 16, null, null, null, null, err);
    if (r === SOCKET_ERROR && err.value !== 10035) {
      settle(c, 'failed', nameOf(err.value));
      return;
    }
    const name = { family: 0, address: '', port: 0 };
    p.WSPGetSockName(socket, name, { value: 28 }, e());
    c.key = `${name.address}|${name.port}`;
    byKey.set(c.key, c);
    pending.add(c);
  }

  function serve(srv: Server, t: number): void {
    for (const h of srv.held.filter((x) => x.untilMs <= t)) srv.p.WSPCloseSocket(h.socket, e());
    srv.held = srv.held.filter((x) => x.untilMs > t);
    if (srv.socket === null || srv.everyMs === null) return;
    while (srv.nextAcceptMs <= t) {
      srv.nextAcceptMs += srv.everyMs;
      const peer = { family: 0, address: '', port: 0 };
      const a = srv.p.WSPAccept(srv.socket, peer, { value: 28 }, null, 0, e());
      if (a === INVALID_SOCKET) break;
      const c = byKey.get(`${peer.address}|${peer.port}`);
      if (c !== undefined && c.outcome !== 'reset') {
        settle(c, 'accepted');
        totals.accepted++;
      }
      if (srv.spec.holdMs > 0) srv.held.push({ socket: a, untilMs: t + srv.spec.holdMs });
      else srv.p.WSPCloseSocket(a, e());
    }
    if (srv.nextAcceptMs <= t) srv.nextAcceptMs = t + srv.everyMs;
  }

  function applyEvent(ev: Scenario['events'][number]): void {
    switch (ev.do) {
      case 'listen': {
        const srv = servers.get(ev.listener)!;
        if (srv.socket === null) return log(`${ev.listener}: not listening, backlog unchanged`);
        const err = e();
        const ok = srv.p.WSPListen(srv.socket, ev.backlog, err) === 0;
        return log(ok ? `${ev.listener}: WSPListen again with backlog ${ev.backlog}` : `${ev.listener}: WSPListen failed: ${nameOf(err.value)}`);
      }
      case 'close': {
        const srv = servers.get(ev.listener)!;
        if (srv.socket === null) return;
        srv.closedStats = { ...srv.p.inspect(srv.socket)!.listen!.stats };
        srv.p.WSPCloseSocket(srv.socket, e());
        srv.socket = null;
        return log(`${ev.listener}: listener closed (its queue is reset)`);
      }
      case 'networkDown':
        hosts.get(ev.host)!.setNetworkDown(ev.down);
        return log(`${ev.host}: network ${ev.down ? 'down' : 'up'}`);
      case 'faults':
        net.setLink(hosts.get(ev.between[0])!, hosts.get(ev.between[1])!, ev.faults as Faults);
        return log(`faults between ${ev.between[0]} and ${ev.between[1]}: ${JSON.stringify(ev.faults)}`);
      case 'acceptRate': {
        const srv = servers.get(ev.listener)!;
        srv.everyMs = ev.everyMs;
        srv.nextAcceptMs = ev.everyMs === null ? Infinity : net.now();
        return log(`${ev.listener}: ${ev.everyMs === null ? 'stops accepting' : `accepts one connection every ${ev.everyMs} ms`}`);
      }
    }
  }
}
