/**
 * An echo server serving several clients at once on one thread: non-blocking sockets and
 * WSPSelect (accept when the listener is readable, echo what a connection has, close on 0).
 * The clients are non-blocking too: each sends a few messages and checks every echo.
 *
 * Why non-blocking clients: everything shares one JavaScript thread. On the virtual network a
 * blocking call runs the simulation until it can complete, but the server's program only runs
 * when we call it, so a blocking WSPRecv waiting for an echo would find the network idle and
 * fail with WSAEINTR (docs/decisions.md, "Blocking calls on the virtual network"). Instead a
 * driver loop (`drive` in spi-helpers.ts) lets every client take a non-blocking step, then
 * waits in the server's WSPSelect with a time-out, which advances virtual time.
 *
 * Run: npm run example:echo
 */
import { AF_INET, VirtualNetwork, type ServiceProvider, type SockAddr } from '../src/index.js';
import { SpiError, Stream, acceptAll, check, connectDone, drive, isMain, listenOn, localName, select, startConnect, type Party } from './spi-helpers.js';

export type Log = (line: string) => void;

// ---- the server -------------------------------------------------------------------------

export interface EchoServer {
  /** One turn of the server loop: WSPSelect (waiting up to `waitMs`), then serve what is ready. */
  step(waitMs: number): void;
  close(): void;
  readonly stats: { accepted: number; closed: number; bytes: number };
}

/** Echo bytes queued for one connection beyond which the server stops reading it. */
const HIGH_WATER = 64 * 1024;

export function startEchoServer(p: ServiceProvider, at: SockAddr, log: Log = () => {}): EchoServer {
  const ls = listenOn(p, at, 16);
  log(`server  listening on ${at.address}:${at.port} (socket 0x${ls.toString(16)}, non-blocking)`);
  const conns = new Map<number, { stream: Stream; peer: string; bytes: number }>();
  const stats = { accepted: 0, closed: 0, bytes: 0 };

  const drop = (s: number, why: string): void => {
    const c = conns.get(s)!;
    conns.delete(s);
    c.stream.close();
    stats.closed++;
    log(`server  ${c.peer} ${why}: closed after echoing ${c.bytes} bytes (${conns.size} open)`);
  };

  const serve = (s: number): void => {
    const c = conns.get(s)!;
    for (;;) {
      const got = c.stream.read();
      if (got === 'reset') return drop(s, 'reset the connection (WSAECONNRESET)');
      if (got === 'wait') return;
      if (got === 'eof') return drop(s, 'closed (WSPRecv returned 0)');
      c.bytes += got.length;
      stats.bytes += got.length;
      c.stream.write(got); // echo; what the send buffer cannot take yet waits in the stream's queue
      if (c.stream.pending >= HIGH_WATER) return;
    }
  };

  return {
    stats,
    step(waitMs) {
      const handles = [...conns.keys()];
      const backlogged = handles.filter((s) => conns.get(s)!.stream.pending > 0);
      // Flow control: a connection whose echoes are not being read stops being read itself.
      const reading = handles.filter((s) => conns.get(s)!.stream.pending < HIGH_WATER);
      const ready = select(p, [ls, ...reading], backlogged, [], waitMs);
      for (const s of ready.write) conns.get(s)?.stream.flush();
      for (const s of ready.read) {
        if (s !== ls) {
          if (conns.has(s)) serve(s);
          continue;
        }
        for (const a of acceptAll(p, ls)) {
          conns.set(a.s, { stream: new Stream(p, a.s), peer: a.peer, bytes: 0 });
          stats.accepted++;
          log(`server  accepted ${a.peer} (${conns.size} open)`);
        }
      }
    },
    close() {
      for (const s of [...conns.keys()]) drop(s, 'server shutting down');
      check('WSPCloseSocket', (e) => p.WSPCloseSocket(ls, e));
      log('server  listener closed');
    },
  };
}

// ---- a client -----------------------------------------------------------------------------

export interface EchoClientResult {
  name: string;
  sent: string[];
  echoed: string[];
  /** Every echo equal to what was sent. */
  ok: boolean;
}

const show = (m: string): string => (m.length > 40 ? `<${Buffer.byteLength(m)} bytes: ${JSON.stringify(m.slice(0, 12))}…>` : JSON.stringify(m));

/** A client as a step function: connect, then for each message send it and read its echo back, then close. */
export function echoClient(p: ServiceProvider, name: string, server: SockAddr, messages: string[], log: Log = () => {}): Party & { result: EchoClientResult } {
  const result: EchoClientResult = { name, sent: [], echoed: [], ok: false };
  const s = startConnect(p, server);
  const stream = new Stream(p, s);
  let phase: 'connecting' | 'echoing' | 'done' = 'connecting';
  let expected = new Uint8Array(0);
  let got: Uint8Array[] = [];
  let gotBytes = 0;

  const sendNext = (): void => {
    const m = messages[result.sent.length]!;
    result.sent.push(m);
    expected = new TextEncoder().encode(m);
    got = [];
    gotBytes = 0;
    stream.write(expected);
  };

  const finish = (): boolean => {
    stream.close(); // graceful: FIN, the server reads 0
    result.ok = result.echoed.length === messages.length && result.echoed.every((m, i) => m === messages[i]);
    log(`${name} closed: ${result.echoed.length} of ${messages.length} echoes ${result.ok ? 'matched' : 'DID NOT MATCH'}`);
    phase = 'done';
    return true;
  };

  return {
    result,
    step() {
      if (phase === 'done') return true;
      if (phase === 'connecting') {
        if (!connectDone(p, s, name)) return false; // WSPSelect poll: writable = connected
        const me = localName(p, s);
        log(`${name} connected from ${me.address}:${me.port}`);
        phase = 'echoing';
        if (messages.length === 0) return finish();
        sendNext();
      }
      stream.flush();
      for (;;) {
        const r = stream.read();
        if (r === 'wait') return false;
        if (r === 'eof' || r === 'reset') throw new Error(`${name}: the server ${r === 'eof' ? 'closed' : 'reset'} the connection before echoing everything`);
        got.push(r);
        gotBytes += r.length;
        if (gotBytes < expected.length) continue;
        const all = Buffer.concat(got);
        const echo = all.subarray(0, expected.length).toString('utf8');
        if (all.length > expected.length) throw new Error(`${name}: ${all.length - expected.length} unexpected bytes after an echo`);
        result.echoed.push(echo);
        const same = echo === result.sent[result.sent.length - 1];
        log(`${name} echo ${result.echoed.length}: ${show(echo)} ${same ? 'ok' : 'MISMATCH'}`);
        if (result.echoed.length === messages.length) return finish();
        sendNext();
      }
    },
  };
}

// ---- both, on one thread ----------------------------------------------------------------

export interface EchoSummary {
  clients: EchoClientResult[];
  server: EchoServer['stats'];
  rounds: number;
  ok: boolean;
}

/** Runs an echo server on `serverProvider` and one client per entry of `clients`, interleaved on this thread. */
export function runEcho(
  serverProvider: ServiceProvider, at: SockAddr,
  clients: { name: string; provider: ServiceProvider; messages: string[] }[], log: Log = () => {},
): EchoSummary {
  const server = startEchoServer(serverProvider, at, log);
  try {
    const parties = clients.map((c) => echoClient(c.provider, c.name, at, c.messages, log));
    // The server waits at most 50 µs per round: short enough that nobody waits long for a
    // packet that reached a client while the server was the one waiting.
    const rounds = drive(server, parties, 0.05);
    // Let the server see the last FINs (WSPRecv returns 0) and close those connections.
    for (let i = 0; i < 100 && server.stats.closed < server.stats.accepted; i++) server.step(0.05);
    const results = parties.map((c) => c.result);
    return { clients: results, server: { ...server.stats }, rounds, ok: results.every((r) => r.ok) };
  } finally {
    server.close();
  }
}

// ---- main: a virtual network with a server and three clients ----------------------------------

const extra = isMain(import.meta.url) ? process.argv.slice(2) : [];
if (extra.length > 0 && extra[0] !== '--help' && extra[0] !== '-h') {
  console.error(`echo: ${extra[0]!.startsWith('-') ? 'unknown option' : 'unexpected argument'} ${JSON.stringify(extra[0])} (usage: npm run example:echo, no options)`);
  process.exitCode = 2;
} else if (extra.length > 0) {
  console.log('usage: npm run example:echo (no options): an echo server and three clients on the virtual network');
} else if (isMain(import.meta.url)) {
  const net = new VirtualNetwork({ seed: 7 });
  const serverHost = net.addHost({ name: 'server', addresses: ['10.0.0.1'] });
  const at: SockAddr = { family: AF_INET, address: '10.0.0.1', port: 7 };
  const clients = [1, 2, 3].map((i) => ({
    name: `client${i}`,
    provider: net.addHost({ name: `client${i}`, addresses: [`10.0.0.${10 + i}`] }).provider,
    messages: i === 3
      ? ['hello from client3', 'abcdefghij'.repeat(20_000), 'bye']   // 200 000 bytes: more than one send buffer
      : [`hello from client${i}`, `message 2 of client${i}`, 'bye'],
  }));
  const log: Log = (line) => console.log(`[${net.now().toFixed(3).padStart(8)} ms] ${line}`);
  console.log('winsock-spi echo example: one WSPSelect server, three non-blocking clients, one thread.');
  try {
    const summary = runEcho(serverHost.provider, at, clients, log);
    const echoes = summary.clients.reduce((n, c) => n + c.echoed.length, 0);
    const matched = summary.clients.reduce((n, c) => n + c.echoed.filter((m, i) => m === c.sent[i]).length, 0);
    console.log(`summary: ${summary.server.accepted} connections, ${summary.server.bytes} bytes echoed, ` +
      `${matched} of ${echoes} echoes matched, ${summary.ok ? 'all ok' : 'FAILED'} (virtual time ${net.now().toFixed(3)} ms)`);
    process.exitCode = summary.ok ? 0 : 1;
  } catch (err) {
    console.error(err instanceof SpiError ? `error: ${err.message}` : err);
    process.exitCode = 1;
  }
}
