/**
 * The demonstration `npm start` runs: a server with a small backlog meets a burst of clients
 * on the virtual network. Everything printed comes from real WSP* calls and their results.
 */
import { AF_INET, FIONBIO, INVALID_SOCKET, SOCK_STREAM, SOCKET_ERROR, WSAECONNRESET, errorName } from '../provider/constants.js';
import type { SockAddr } from '../spi/sockaddr.js';
import { VirtualNetwork, type VirtualHost } from '../virtual/virtual-network.js';
import { runAcceptExAct, type AcceptExOutcome } from './demo-acceptex.js';

/** What happened to each client, for the summary and for tests. */
export interface DemoOutcome {
  client: string;
  port: number;
  fate: 'accepted' | 'refused' | 'reset' | 'queued';
}

interface Client {
  name: string;
  host: VirtualHost;
  s: number;
  port: number;
  fate: DemoOutcome['fate'] | 'connecting';
}

/** Small enough that act 6 runs out of descriptors before the backlog is reached. */
const MAX_SOCKETS = 5;
const SERVER: SockAddr = { family: AF_INET, address: '10.0.0.1', port: 80 };
/** The virtual network's random seed: the same seed, the same run. */
const SEED = 2026;

/**
 * Runs the demonstration, writing lines through `out`. Returns each client's fate of the WSPListen
 * acts (1–7); the fates of act 8's burst (AcceptEx and the backlog) are pushed to `acceptEx`.
 */
export function runDemo(out: (line: string) => void, acceptEx: AcceptExOutcome[] = []): DemoOutcome[] {
  const net = new VirtualNetwork({ seed: SEED });
  // MAX_SOCKETS descriptors on the server: the listener and the connections, queued ones included.
  const serverHost = net.addHost({ name: 'server', addresses: ['10.0.0.1'], maxSockets: MAX_SOCKETS });
  const server = serverHost.provider;
  const clients: Client[] = [];
  const t = () => net.now().toFixed(3).padStart(8);
  const say = (who: string, text: string) => out(`[${t()} ms] ${who.padEnd(8)} ${text}`);
  const heading = (text: string) => {
    out('');
    out(text);
  };
  const e = { value: 0 };
  const err = () => errorName(e.value) ?? String(e.value);
  const hex = (s: number) => `0x${s.toString(16)}`;

  out('winsock-spi demo: WSPListen and its queue, on the embedded virtual network.');
  out('Every line is a real WSP* call or what came of it. Every host is simulated; times are virtual');
  out(`milliseconds (one-way latency 0.1 ms, random seed ${SEED}). "The documentation" is Microsoft's`);
  out('documentation of WSPListen (ws2spi.h), which this provider follows.');

  heading('1. The server listens with a backlog of 3.');
  const ls = server.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 0, e);
  say('server', `WSPSocket(AF_INET, SOCK_STREAM)  -> socket ${hex(ls)}`);
  server.WSPBind(ls, SERVER, 16, e);
  say('server', 'WSPBind(10.0.0.1:80)              -> 0');
  server.WSPListen(ls, 3, e);
  say('server', `WSPListen(backlog 3)              -> 0   (backlog in effect: ${server.inspect(ls)!.listen!.backlog}, read with inspect(), which Winsock does not have)`);

  const connectClient = (i: number): Client => {
    const name = `client${i}`;
    const host = net.addHost({ name, addresses: [`10.0.0.${10 + i}`] });
    const p = host.provider;
    const s = p.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 0, e);
    p.WSPIoctl(s, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e);
    const c: Client = { name, host, s, port: 0, fate: 'connecting' };
    clients.push(c);
    p.core.watchers.add((sock) => {
      if (sock.handle !== s) return;
      if (c.fate === 'connecting' && sock.phase === 'connected') {
        c.fate = 'queued';
        say(name, 'connected: the handshake completed, the server holds the connection in its queue');
      } else if (c.fate === 'connecting' && sock.soError !== 0) {
        c.fate = 'refused';
        say(name, `connect failed: SO_ERROR = ${errorName(sock.soError)} (the server answered the SYN with RST, as Windows does)`);
      } else if (c.fate === 'queued' && sock.reset) {
        // A reset connection reports its error through the next call (SO_ERROR reads 0, as on Windows).
        c.fate = 'reset';
        say(name, `connection reset: ${errorName(sock.resetCode || WSAECONNRESET)} (the next WSPRecv or WSPSend on it fails with that)`);
      }
    });
    const r = p.WSPConnect(s, SERVER, 16, null, null, null, null, e);
    const name2 = { family: 0, address: '', port: 0 };
    p.WSPGetSockName(s, name2, { value: 16 }, { value: 0 });
    c.port = name2.port;
    say(name, `WSPConnect(10.0.0.1:80) from ${name2.address}:${name2.port} -> ${r === SOCKET_ERROR ? err() : r} (non-blocking: the SYN is on its way)`);
    return c;
  };

  heading('2. A burst of six clients arrives at once.');
  for (let i = 1; i <= 6; i++) connectClient(i);
  net.run();
  const q = () => server.inspect(ls)!.listen!;
  say('server', `queue: ${q().queueLength} of ${q().backlog} (refused because full: ${q().stats.refusedFull})`);

  const acceptOne = (label = ''): void => {
    const addr = { family: 0, address: '', port: 0 };
    const a = server.WSPAccept(ls, addr, { value: 16 }, null, 0, e);
    if (a === INVALID_SOCKET) {
      say('server', `WSPAccept -> INVALID_SOCKET, ${err()}${label}`);
      return;
    }
    const who = clients.find((c) => c.port === addr.port && c.host.addresses[0] === addr.address);
    if (who !== undefined) who.fate = 'accepted';
    say('server', `WSPAccept -> socket ${hex(a)}, peer ${addr.address}:${addr.port} (${who?.name ?? '?'})${label}`);
  };

  heading('3. WSPAccept hands out the oldest connection first.');
  acceptOne();
  net.run();

  heading('4. Two more clients arrive; one slot is free.');
  connectClient(7);
  connectClient(8);
  net.run();

  heading('5. The server calls WSPListen again with backlog 1: the newest pending connections are reset.');
  server.WSPListen(ls, 1, e);
  say('server', `WSPListen(backlog 1)              -> 0   (${q().queueLength} left in the queue)`);
  net.run();

  heading(`6. Descriptors run out: the server host allows ${MAX_SOCKETS} sockets in all, queued connections included.`);
  server.WSPListen(ls, 4, e);
  say('server', `WSPListen(backlog 4)              -> 0   (descriptors in use: ${server.core.descriptorsInUse} of ${MAX_SOCKETS})`);
  for (let i = 9; i <= 13; i++) connectClient(i);
  net.run();
  const info = q();
  say('server', `descriptors in use: ${server.core.descriptorsInUse} of ${MAX_SOCKETS}; queue ${info.queueLength}; listening suspended: ${info.suspended}`);
  say('server', `refused for lack of descriptors so far: ${info.stats.refusedNoDescriptor}`);
  say('server', 'the documentation says WSPListen "should continue to function rationally when there are no');
  say('server', 'available descriptors": it refuses new requests and keeps the connections it has queued');

  heading('7. The server drains its queue, closes two sockets, and calls WSPAccept: listening resumes.');
  acceptOne();
  acceptOne();
  server.WSPIoctl(ls, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e);
  acceptOne(' (the queue is empty now)');
  const accepted = server.core.handles().filter((h) => h !== ls);
  for (const h of accepted.slice(0, 2)) {
    server.WSPCloseSocket(h, e);
    say('server', `WSPCloseSocket(${hex(h)}) -> 0`);
  }
  say('server', `listening still suspended after the close: ${q().suspended}. The documentation says "a later call`);
  say('server', 'to WSPListen or WSPAccept will re-fill the queue ... and resume listening": closing is not enough');
  acceptOne(' (this call resumes listening)');
  say('server', `listening suspended: ${q().suspended}`);
  connectClient(14);
  net.run();
  acceptOne();

  heading('8. AcceptEx and the backlog: a second server (10.0.0.2) with backlog 2 and two AcceptEx calls posted meets a burst of seven.');
  acceptEx.push(...runAcceptExAct(net, say));

  heading('Summary');
  out('client    port   fate');
  for (const c of clients) out(`${c.name.padEnd(9)} ${String(c.port).padEnd(6)} ${c.fate}`);
  const stats = q().stats;
  out('');
  out(`server queue: ${stats.queued} queued, ${stats.accepted} accepted, ${stats.refusedFull} refused (queue full), ` +
    `${stats.refusedNoDescriptor} refused (no descriptor), ${stats.resetByListener} reset by a lower backlog.`);
  const count = (fate: AcceptExOutcome['fate']) => acceptEx.filter((o) => o.fate === fate).length;
  out(`AcceptEx act: ${count('AcceptEx')} taken by AcceptEx, ${count('queued')} queued and accepted by WSPAccept, ${count('refused')} refused.`);
  out(`virtual time elapsed: ${net.now().toFixed(3)} ms. Same seed, same run: try it twice.`);
  return clients.map((c) => ({ client: c.name, port: c.port, fate: c.fate === 'connecting' ? 'queued' : c.fate }));
}
