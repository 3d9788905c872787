/**
 * The host network's ports against other processes (issue 13, item 1). A port that WSPBind or an
 * implicit bind reports is the provider's: the operating system holds it from WSPBind until the
 * socket listens, connects or closes, and a connect whose ephemeral port the system refuses
 * takes another one, as the system itself would. See docs/host-network.md, "Ports".
 *
 * The churn test runs the SPI beside a "port churner" (test/fixtures/port-churner.ts): another
 * process that binds and releases ephemeral loopback ports as fast as it can and answers any
 * connection that reaches it with FOREIGN. Every connect must reach our own listener (the
 * accepted peer is the client's own address, the bytes come back) and none may fail.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  AF_INET, FIONBIO, FIONREAD, INVALID_SOCKET, IPPROTO_TCP, IPPROTO_UDP, SOCK_DGRAM, SOCK_STREAM, SOCKET_ERROR, SOL_SOCKET,
  SO_ERROR, errorName, type ServiceProvider, type SockAddr,
} from '../src/index.js';
import { HostNetwork } from '../src/host/index.js';
import { Guard } from '../bench/measure.js';
import { quietPort, refusedPort } from './helpers.js';

const CHURNER = fileURLToPath(new URL('./fixtures/port-churner.js', import.meta.url));
const LOOPBACK = '127.0.0.1';
/** Connection cycles per lane, and lanes running side by side (each cycle: one listener, two clients). */
const CYCLES = 200;
const LANES = 4;
/** Ports the churner holds at any time (a modest share of the ~28,000 ephemeral ports). */
const CHURNER_HELD = 1000;
/** How long one step of a cycle may take before the test fails (a stuck step is a failure, not a hang). */
const STEP_MS = 5000;

const hosts: HostNetwork[] = [];
after(async () => {
  for (const h of hosts) await h.close();
});

function ok(what: string, f: (e: { value: number }) => number): number {
  const e = { value: 0 };
  const r = f(e);
  if (r === SOCKET_ERROR || r === INVALID_SOCKET) assert.fail(`${what} failed with ${errorName(e.value) ?? e.value}`);
  return r;
}

function fails(what: string, f: (e: { value: number }) => number): string {
  const e = { value: 0 };
  const r = f(e);
  assert.ok(r === SOCKET_ERROR || r === INVALID_SOCKET, `${what}: expected a failure, got ${r}`);
  return errorName(e.value) ?? String(e.value);
}

function socket(p: ServiceProvider, type = SOCK_STREAM): number {
  const s = ok('WSPSocket', (e) => p.WSPSocket(AF_INET, type, type === SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP, null, 0, 0, e));
  ok('FIONBIO', (e) => p.WSPIoctl(s, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e));
  return s;
}

function nameOf(p: ServiceProvider, s: number): SockAddr {
  const name = { family: 0, address: '', port: 0 };
  ok('WSPGetSockName', (e) => p.WSPGetSockName(s, name, { value: 16 }, e));
  return name;
}

function peerOf(p: ServiceProvider, s: number): SockAddr {
  const name = { family: 0, address: '', port: 0 };
  ok('WSPGetPeerName', (e) => p.WSPGetPeerName(s, name, { value: 16 }, e));
  return name;
}

function soError(p: ServiceProvider, s: number): string {
  const v = new Uint8Array(4);
  ok('SO_ERROR', (e) => p.WSPGetSockOpt(s, SOL_SOCKET, SO_ERROR, v, { value: 4 }, e));
  const code = v[0]! | (v[1]! << 8);
  return errorName(code) ?? String(code);
}

function readable(p: ServiceProvider, s: number): number {
  const out = new Uint8Array(4);
  const e = { value: 0 };
  if (p.WSPIoctl(s, FIONREAD, null, 0, out, 4, { value: 0 }, null, null, null, e) === SOCKET_ERROR) return 0;
  return out[0]! | (out[1]! << 8) | (out[2]! << 16);
}

function send(p: ServiceProvider, s: number, text: string): void {
  const buf = new TextEncoder().encode(text);
  const n = { value: 0 };
  ok('WSPSend', (e) => p.WSPSend(s, [{ len: buf.length, buf }], 1, n, 0, null, null, null, e));
  assert.equal(n.value, buf.length);
}

function recv(p: ServiceProvider, s: number): string {
  const buf = new Uint8Array(256);
  const n = { value: 0 };
  ok('WSPRecv', (e) => p.WSPRecv(s, [{ len: buf.length, buf }], 1, n, { value: 0 }, null, null, null, e));
  return new TextDecoder().decode(buf.subarray(0, n.value));
}

const phase = (p: ServiceProvider, s: number) => p.inspect(s)?.phase;
const queued = (p: ServiceProvider, l: number) => p.inspect(l)?.listen?.queueLength ?? 0;

/** The churner, started and ready; `stop()` ends it and returns how many ports it bound. */
async function startChurner(): Promise<{ stop(): Promise<{ binds: number; foreign: number }> }> {
  // The child ends by itself after its time limit; the spawn time-out kills it if even that fails.
  const child = spawn(process.execPath, [CHURNER, '40000', String(CHURNER_HELD)], { timeout: 50_000, killSignal: 'SIGKILL' });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => ((out += d), waiters.forEach((w) => w())));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdin.on('error', () => {});
  const exited = new Promise<void>((resolve) => child.once('close', () => (waiters.forEach((w) => w()), resolve())));
  const wait = (re: RegExp, ms: number) => new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`churner: no ${re} within ${ms} ms: ${out}${err}`)), ms);
    const check = () => {
      const m = re.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(m);
      } else if (child.exitCode !== null || child.signalCode !== null) {
        clearTimeout(timer);
        reject(new Error(`churner ended early: ${out}${err}`));
      }
    };
    waiters.add(check);
    check();
  });
  await wait(/ready/, 10_000);
  return {
    async stop() {
      child.stdin.end();
      const m = await wait(/done (\d+) (\d+)/, 10_000);
      await exited;
      return { binds: Number(m[1]), foreign: Number(m[2]) };
    },
  };
}

/** Whether another process could bind 127.0.0.1:`port` now: null, or the error it would get. */
async function clash(port: number, udp = false): Promise<string | null> {
  if (udp) {
    const u = dgram.createSocket('udp4');
    const r = await new Promise<string | null>((resolve) => {
      u.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      u.bind({ address: LOOPBACK, port, exclusive: true }, () => resolve(null));
    });
    u.close();
    return r;
  }
  const s = net.createServer();
  const r = await new Promise<string | null>((resolve) => {
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    s.listen({ host: LOOPBACK, port, exclusive: true }, () => resolve(null));
  });
  s.close();
  return r;
}

test('a port WSPBind reports is held by the operating system until the socket closes (TCP and UDP)', async () => {
  const host = new HostNetwork();
  hosts.push(host);
  const p = host.provider;
  // The sockets whose port must come free again at close bind a port the system never hands out
  // for port 0 (below its ephemeral range): a port it does hand out may be taken by another
  // process the moment it is free, and "free again" could not be told from "someone else's".

  // A bound stream socket: nobody else may take its port, before and after WSPListen.
  const l = socket(p);
  const lport = await quietPort();
  ok('WSPBind', (e) => p.WSPBind(l, { family: AF_INET, address: LOOPBACK, port: lport }, 16, e));
  const at = nameOf(p, l);
  assert.equal(await clash(at.port), 'EADDRINUSE', 'another process could take the port between WSPBind and WSPListen');
  ok('WSPListen', (e) => p.WSPListen(l, 4, e));
  assert.equal(await clash(at.port), 'EADDRINUSE');
  const c = socket(p);
  assert.equal(fails('WSPConnect', (e) => p.WSPConnect(c, at, 16, null, null, null, null, e)), 'WSAEWOULDBLOCK');
  assert.ok(await host.until(() => queued(p, l) === 1 && phase(p, c) === 'connected', STEP_MS), 'the connection did not arrive');
  ok('WSPCloseSocket', (e) => p.WSPCloseSocket(c, e));
  ok('WSPCloseSocket', (e) => p.WSPCloseSocket(l, e));
  assert.equal(await clash(at.port), null, 'the port stays taken after WSPCloseSocket');

  // A socket that is only bound, then closed: the port comes free again.
  const b = socket(p);
  const bport = await quietPort();
  ok('WSPBind', (e) => p.WSPBind(b, { family: AF_INET, address: LOOPBACK, port: bport }, 16, e));
  const bound = nameOf(p, b).port;
  assert.equal(await clash(bound), 'EADDRINUSE');
  ok('WSPCloseSocket', (e) => p.WSPCloseSocket(b, e));
  assert.equal(await clash(bound), null, 'the port of a bound socket stays taken after WSPCloseSocket');

  // A bound socket that connects keeps its port (the connection holds it from then on).
  const l2 = socket(p);
  ok('WSPBind', (e) => p.WSPBind(l2, { family: AF_INET, address: LOOPBACK, port: 0 }, 16, e));
  ok('WSPListen', (e) => p.WSPListen(l2, 4, e));
  const c2 = socket(p);
  ok('WSPBind', (e) => p.WSPBind(c2, { family: AF_INET, address: LOOPBACK, port: 0 }, 16, e));
  const before = nameOf(p, c2).port;
  assert.equal(fails('WSPConnect', (e) => p.WSPConnect(c2, nameOf(p, l2), 16, null, null, null, null, e)), 'WSAEWOULDBLOCK');
  assert.ok(await host.until(() => phase(p, c2) !== 'connecting', STEP_MS));
  assert.equal(phase(p, c2), 'connected', `connect: ${soError(p, c2)}`);
  assert.equal(nameOf(p, c2).port, before);
  const peer = { family: 0, address: '', port: 0 };
  ok('WSPAccept', (e) => p.WSPAccept(l2, peer, { value: 16 }, null, 0, e));
  assert.equal(peer.port, before);

  // Bound, not listening: Windows refuses a connection; here the system's socket that holds the
  // port completes it and the provider resets it at once (docs/host-network.md, "Ports").
  const quiet = socket(p);
  ok('WSPBind', (e) => p.WSPBind(quiet, { family: AF_INET, address: LOOPBACK, port: 0 }, 16, e));
  const c3 = socket(p);
  assert.equal(fails('WSPConnect', (e) => p.WSPConnect(c3, nameOf(p, quiet), 16, null, null, null, null, e)), 'WSAEWOULDBLOCK');
  const refusedOrReset = () => {
    if (phase(p, c3) === 'connecting') return false;
    if (phase(p, c3) === 'bound') return true; // the connect itself failed
    const e = { value: 0 };
    const r = p.WSPRecv(c3, [{ len: 1, buf: new Uint8Array(1) }], 1, { value: 0 }, { value: 0 }, null, null, null, e);
    return r === SOCKET_ERROR && errorName(e.value) === 'WSAECONNRESET';
  };
  assert.ok(await host.until(refusedOrReset, STEP_MS), `a connection to a bound socket: ${phase(p, c3)}`);

  // UDP: held from WSPBind too.
  const u = socket(p, SOCK_DGRAM);
  const udpPort = await quietPort();
  ok('WSPBind', (e) => p.WSPBind(u, { family: AF_INET, address: LOOPBACK, port: udpPort }, 16, e));
  const uport = nameOf(p, u).port;
  assert.equal(await clash(uport, true), 'EADDRINUSE');
  ok('WSPCloseSocket', (e) => p.WSPCloseSocket(u, e));
  assert.equal(await clash(uport, true), null);
});

test('a connect refused before its connection is made leaves the socket\'s port held by the system, and the next connect leaves from it', async () => {
  const host = new HostNetwork();
  hosts.push(host);
  const p = host.provider;
  const l = socket(p);
  ok('WSPBind', (e) => p.WSPBind(l, { family: AF_INET, address: LOOPBACK, port: 0 }, 16, e));
  ok('WSPListen', (e) => p.WSPListen(l, 4, e));
  const closed = { family: AF_INET, address: LOOPBACK, port: await refusedPort() };
  const explicitPort = await quietPort();
  for (const kind of ['implicit bind', 'WSPBind'] as const) {
    const c = socket(p);
    if (kind === 'WSPBind') ok('WSPBind', (e) => p.WSPBind(c, { family: AF_INET, address: LOOPBACK, port: explicitPort }, 16, e));
    // Twice refused, as in Wine's test_select, then a listener.
    for (let i = 0; i < 2; i++) {
      assert.equal(fails('WSPConnect', (e) => p.WSPConnect(c, closed, 16, null, null, null, null, e)), 'WSAEWOULDBLOCK');
      assert.ok(await host.until(() => phase(p, c) !== 'connecting', STEP_MS), `${kind}: the refused connect did not end`);
      assert.equal(soError(p, c), 'WSAECONNREFUSED', kind);
      const port = nameOf(p, c).port;
      assert.equal(await clash(port), 'EADDRINUSE', `${kind}: after a refused connect, another process could take port ${port}, which the socket still reports`);
    }
    const before = nameOf(p, c).port;
    assert.equal(fails('WSPConnect', (e) => p.WSPConnect(c, nameOf(p, l), 16, null, null, null, null, e)), 'WSAEWOULDBLOCK');
    assert.ok(await host.until(() => phase(p, c) !== 'connecting', STEP_MS), `${kind}: the connect to the listener did not end`);
    assert.equal(phase(p, c), 'connected', `${kind}: ${soError(p, c)}`);
    // A port the system chose is let go in the microseconds before the connect binds it, and
    // another process may take it then: the connect takes a fresh one, as the system's own
    // implicit bind would (docs/host-network.md, "Ports"). A port the caller named is never
    // handed to another process (it is outside the ephemeral range) and must be kept.
    const after = nameOf(p, c).port;
    if (kind === 'WSPBind') assert.equal(after, before, `${kind}: the connection left from another port`);
    const peer = { family: 0, address: '', port: 0 };
    const a = ok('WSPAccept', (e) => p.WSPAccept(l, peer, { value: 16 }, null, 0, e));
    assert.equal(peer.port, after, `${kind}: the listener's peer is not the client's reported port`);
    ok('WSPCloseSocket', (e) => p.WSPCloseSocket(c, e));
    ok('WSPCloseSocket', (e) => p.WSPCloseSocket(a, e));
  }
  // Closed: the explicitly bound port is free again.
  assert.equal(await clash(explicitPort), null, 'the port stays taken after WSPCloseSocket');
});

test('beside a process that churns loopback ports, every connect reaches our own listener and none fails', { timeout: 60_000 }, async () => {
  const host = new HostNetwork();
  hosts.push(host);
  const p = host.provider;
  const churner = await startChurner();
  let stopped = false;
  const cycles = { done: 0 };

  /** Waits (bounded) for `ready`, then reports what went wrong if it did not come. */
  const step = async (what: string, ready: () => boolean, explain: () => string) => {
    if (!(await host.until(ready, STEP_MS))) assert.fail(`${what} did not happen within ${STEP_MS} ms: ${explain()}`);
  };

  const lane = async (laneNo: number) => {
    for (let i = 0; i < CYCLES && !stopped; i++) {
      const tag = `${laneNo}.${i}`;
      // A listener on a port the system chooses (WSPBind with port 0), as the bench's listeners.
      const l = socket(p);
      ok('WSPBind', (e) => p.WSPBind(l, { family: AF_INET, address: LOOPBACK, port: 0 }, 16, e));
      const at = nameOf(p, l);
      ok('WSPListen', (e) => p.WSPListen(l, 8, e));
      // One client binds implicitly (WSPConnect on an unbound socket); the other binds port 0 first.
      const implicit = socket(p);
      const explicit = socket(p);
      ok('WSPBind', (e) => p.WSPBind(explicit, { family: AF_INET, address: LOOPBACK, port: 0 }, 16, e));
      const clients = [['implicit bind', implicit], ['WSPBind port 0', explicit]] as const;
      for (const [, c] of clients) {
        assert.equal(fails('WSPConnect', (e) => p.WSPConnect(c, at, 16, null, null, null, null, e)), 'WSAEWOULDBLOCK');
      }
      const settled = () => clients.every(([, c]) => phase(p, c) !== 'connecting');
      await step(`cycle ${tag}: the connects`, settled, () => clients.map(([k, c]) => `${k}: ${phase(p, c)}`).join(', '));
      for (const [kind, c] of clients) {
        assert.equal(phase(p, c), 'connected', `cycle ${tag}: the connect of the client with ${kind} to ${at.port} failed with ${soError(p, c)}`);
        assert.deepEqual(peerOf(p, c), at, `cycle ${tag}: the client with ${kind} is connected elsewhere`);
      }
      // Both connections must be in OUR queue: a connect that reached the churner never arrives,
      // and the churner says FOREIGN to it.
      await step(`cycle ${tag}: both connections in our listen queue`, () => queued(p, l) === 2 || clients.some(([, c]) => readable(p, c) > 0),
        () => `queue ${queued(p, l)}`);
      for (const [kind, c] of clients) {
        if (readable(p, c) > 0) assert.fail(`cycle ${tag}: the client with ${kind} reached another process's listener on port ${at.port}: ${recv(p, c)}`);
      }
      const local = new Set(clients.map(([, c]) => `${nameOf(p, c).address}:${nameOf(p, c).port}`));
      const accepted: number[] = [];
      for (let k = 0; k < 2; k++) {
        const peer = { family: 0, address: '', port: 0 };
        accepted.push(ok('WSPAccept', (e) => p.WSPAccept(l, peer, { value: 16 }, null, 0, e)));
        assert.ok(local.delete(`${peer.address}:${peer.port}`), `cycle ${tag}: accepted ${peer.address}:${peer.port}, not one of our clients`);
      }
      // The bytes each client sends come back through our own server.
      for (const [kind, c] of clients) send(p, c, `${kind} ${tag}`);
      for (const a of accepted) {
        await step(`cycle ${tag}: a request`, () => readable(p, a) > 0, () => 'nothing arrived');
        send(p, a, recv(p, a));
      }
      for (const [kind, c] of clients) {
        await step(`cycle ${tag}: the echo`, () => readable(p, c) >= `${kind} ${tag}`.length, () => `${readable(p, c)} bytes`);
        assert.equal(recv(p, c), `${kind} ${tag}`);
      }
      for (const s of [...accepted, implicit, explicit, l]) ok('WSPCloseSocket', (e) => p.WSPCloseSocket(s, e));
      cycles.done++;
    }
  };

  let failure: unknown = null;
  await Promise.all(Array.from({ length: LANES }, (_, n) => lane(n).catch((e: unknown) => {
    stopped = true;
    failure ??= e;
  })));
  const churned = await churner.stop();
  if (failure !== null) throw failure;
  // The churner really was busy while we worked (otherwise the test proves nothing).
  assert.ok(churned.binds > 10 * CHURNER_HELD, `the churner bound only ${churned.binds} ports`);
  assert.equal(churned.foreign, 0, `${churned.foreign} connection(s) reached the churner's listeners`);
  assert.equal(cycles.done, CYCLES * LANES);
});

test('a bench wait that makes no progress fails with an error that names it, and closes what the measurement opened', async () => {
  let closed = 0;
  const guard = new Guard('host network round trips', () => closed++, 50);
  try {
    await assert.rejects(guard.wait('the echoes', new Promise(() => {})), /host network round trips: no progress for 0.05 s while waiting for the echoes/);
  } finally {
    guard.done();
  }
  assert.equal(closed, 1);
  // Progress keeps a slow measurement alive: it is the lack of it that fails.
  const busy = new Guard('bulk', () => assert.fail('a measurement that moves was stopped'), 200);
  try {
    const slow = new Promise<string>((resolve) => {
      let beats = 0;
      const t = setInterval(() => {
        busy.beats++;
        if (++beats === 40) {
          clearInterval(t);
          resolve('done');
        }
      }, 10);
    });
    assert.equal(await busy.wait('the bytes', slow), 'done');
  } finally {
    busy.done();
  }
});
