/**
 * A tiny HTTP/1.1 server on the SPI: non-blocking sockets and WSPSelect, one thread. It reads a
 * request head up to CRLFCRLF, answers GET / and GET /echo?<text>, 404 for other paths, 405 for
 * other methods, 400 for a malformed request (then closes), always with Content-Length. HTTP/1.1
 * connections stay open for more requests unless a request says `Connection: close`.
 *
 * The client is a step function on the same thread (see echo.ts for why nobody blocks).
 *
 * Run: npm run example:http (on the virtual network), or npm run example:http -- --port 8080
 * (the same server on the host network, see http-host.ts); --help lists the options.
 */
import { AF_INET, VirtualNetwork, type ServiceProvider, type SockAddr } from '../src/index.js';
import {
  SpiError, Stream, acceptAll, check, connectDone, drive, isMain, latin1, listenOn, localName, select, startConnect, type Party,
} from './spi-helpers.js';

export type Log = (line: string) => void;

/** A parsed request head. */
export interface Request {
  method: string;
  target: string;
  version: '1.0' | '1.1';
  /** Header names in lower case. */
  headers: Map<string, string>;
}

/** Parses the text before CRLFCRLF; undefined when it is malformed (→ 400). */
export function parseHead(head: string): Request | undefined {
  const [line, ...rest] = head.split('\r\n');
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.([01])$/.exec(line ?? '');
  if (m === null) return undefined;
  const headers = new Map<string, string>();
  for (const h of rest) {
    const hm = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(h);
    if (hm === null) return undefined;
    const name = hm[1]!.toLowerCase();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${hm[2]}` : hm[2]!);
  }
  const version = m[3] === '1' ? '1.1' : '1.0';
  if (version === '1.1' && !headers.has('host')) return undefined; // RFC 9112 §3.2
  const length = headers.get('content-length');
  if (length !== undefined && !/^\d{1,9}$/.test(length)) return undefined;
  return { method: m[1]!, target: m[2]!, version, headers };
}

const REASONS: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed' };

/** The application: a status and a body for a request. */
export function route(req: Request): { status: number; body: string } {
  if (req.method !== 'GET') return { status: 405, body: `${req.method} is not supported here; try GET\n` };
  const q = req.target.indexOf('?');
  const path = q < 0 ? req.target : req.target.slice(0, q);
  if (path === '/') return { status: 200, body: 'Hello from a winsock-spi HTTP server.\n' };
  if (path === '/echo') {
    try {
      return { status: 200, body: decodeURIComponent(q < 0 ? '' : req.target.slice(q + 1)) };
    } catch {
      return { status: 400, body: 'bad percent-encoding\n' };
    }
  }
  return { status: 404, body: `Not found: ${path}\n` };
}

function response(status: number, body: string, keepAlive: boolean): Buffer {
  const b = Buffer.from(body, 'utf8');
  const head = `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${b.length}\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), b]);
}

// ---- the server -------------------------------------------------------------------------

export interface HttpServer {
  /** The port it listens on (the one the network chose for port 0). */
  readonly port: number;
  step(waitMs: number): void;
  close(): void;
  readonly stats: { connections: number; requests: number; closed: number };
}

interface Conn {
  stream: Stream;
  peer: string;
  input: string; // latin1: one char per byte
  requests: number;
  closing: boolean; // no more requests: send what is queued, then FIN
  finSent: boolean;
  peerDone: boolean; // the client sent FIN (it may still wait for our answers)
}

export function startHttpServer(p: ServiceProvider, at: SockAddr, log: Log = () => {}): HttpServer {
  const ls = listenOn(p, at, 16);
  const port = localName(p, ls).port;
  log(`server  listening on ${at.address}:${port}`);
  const conns = new Map<number, Conn>();
  const stats = { connections: 0, requests: 0, closed: 0 };

  const drop = (s: number, why: string): void => {
    const c = conns.get(s)!;
    conns.delete(s);
    c.stream.close();
    stats.closed++;
    log(`server  ${c.peer} ${why}; closed after ${c.requests} request(s)`);
  };

  /** Answers every complete request in the input. */
  const handle = (c: Conn): void => {
    while (!c.closing) {
      const end = c.input.indexOf('\r\n\r\n');
      if (end < 0) {
        if (c.input.length > 8192) reply(c, 400, 'request head too long\n', false);
        return;
      }
      const req = parseHead(c.input.slice(0, end));
      if (req === undefined) {
        log(`server  ${c.peer} malformed request: ${JSON.stringify(c.input.slice(0, Math.min(end, 30)))}`);
        return reply(c, 400, 'malformed request\n', false);
      }
      const length = Number(req.headers.get('content-length') ?? '0');
      if (c.input.length < end + 4 + length) return; // the body is still on its way
      c.input = c.input.slice(end + 4 + length);
      const connection = (req.headers.get('connection') ?? '').toLowerCase();
      const keepAlive = req.version === '1.1' ? connection !== 'close' : connection === 'keep-alive';
      const { status, body } = route(req);
      log(`server  ${c.peer} ${req.method} ${req.target} HTTP/${req.version} -> ${status}${keepAlive ? '' : ' (closing)'}`);
      reply(c, status, body, keepAlive);
    }
  };

  const reply = (c: Conn, status: number, body: string, keepAlive: boolean): void => {
    c.stream.write(response(status, body, keepAlive));
    c.closing = !keepAlive;
    c.requests++; // requests answered, malformed ones included
    stats.requests++;
  };

  const serve = (s: number): void => {
    const c = conns.get(s)!;
    for (;;) {
      const got = c.stream.read();
      if (got === 'reset') return drop(s, 'reset the connection (WSAECONNRESET)');
      if (got === 'wait') break;
      if (got === 'eof') {
        if (c.closing && c.finSent) return drop(s, 'closed after our FIN');
        // A client may send its requests and FIN at once: answer what came, then close.
        c.peerDone = true;
        handle(c);
        c.closing = true;
        return;
      }
      if (!c.closing) c.input += latin1(got); // after a close decision, input is read and dropped
    }
    handle(c);
  };

  return {
    port,
    stats,
    step(waitMs) {
      const handles = [...conns.keys()];
      const ready = select(p, [ls, ...handles], handles.filter((s) => conns.get(s)!.stream.pending > 0), [], waitMs);
      for (const s of ready.write) conns.get(s)?.stream.flush();
      for (const s of ready.read) {
        if (s !== ls) {
          if (conns.has(s)) serve(s);
          continue;
        }
        for (const a of acceptAll(p, ls)) {
          conns.set(a.s, { stream: new Stream(p, a.s), peer: a.peer, input: '', requests: 0, closing: false, finSent: false, peerDone: false });
          stats.connections++;
          log(`server  accepted ${a.peer}`);
        }
      }
      // A connection we decided to close: once the response is handed over, send FIN (graceful;
      // WSPCloseSocket follows when the client's FIN arrives, so no unread data turns it into RST).
      for (const [s, c] of [...conns]) {
        if (c.closing && !c.finSent && c.stream.pending === 0) {
          c.stream.shutdownSend();
          c.finSent = true;
          if (c.peerDone) drop(s, 'closed the connection after its last answer');
        }
      }
    },
    close() {
      for (const s of [...conns.keys()]) drop(s, 'server shutting down');
      check('WSPCloseSocket', (e) => p.WSPCloseSocket(ls, e));
    },
  };
}

// ---- a client -----------------------------------------------------------------------------

export interface HttpResponse {
  status: number;
  statusLine: string;
  headers: Map<string, string>;
  body: string;
}

export interface HttpClientResult {
  name: string;
  /** Local address of the one connection every request of this client used. */
  local: string;
  responses: HttpResponse[];
  /** The server closed the connection (WSPRecv returned 0) before the client did. */
  closedByServer: boolean;
}

/** A GET request as text. */
export const get = (path: string, close = false): string =>
  `GET ${path} HTTP/1.1\r\nHost: 10.0.0.1\r\nUser-Agent: winsock-spi-example\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;

/** One connection: sends the requests one after another, reading each response (Content-Length). */
export function httpClient(p: ServiceProvider, name: string, server: SockAddr, requests: string[], log: Log = () => {}): Party & { result: HttpClientResult } {
  const result: HttpClientResult = { name, local: '', responses: [], closedByServer: false };
  const s = startConnect(p, server);
  const stream = new Stream(p, s);
  let phase: 'connecting' | 'talking' | 'draining' | 'done' = 'connecting';
  let input = Buffer.alloc(0);

  const done = (why: string): boolean => {
    stream.close();
    log(`${name} ${why}`);
    phase = 'done';
    return true;
  };

  /** A complete response at the start of `input`, removed from it; undefined if more is needed. */
  const takeResponse = (): HttpResponse | undefined => {
    const end = input.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine, ...lines] = input.subarray(0, end).toString('latin1').split('\r\n');
    const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
    const length = Number(headers.get('content-length'));
    if (input.length < end + 4 + length) return undefined;
    const body = input.subarray(end + 4, end + 4 + length).toString('utf8');
    input = input.subarray(end + 4 + length);
    return { status: Number(statusLine!.split(' ')[1]), statusLine: statusLine!, headers, body };
  };

  return {
    result,
    step() {
      if (phase === 'done') return true;
      if (phase === 'connecting') {
        if (!connectDone(p, s, name)) return false;
        const me = localName(p, s);
        result.local = `${me.address}:${me.port}`;
        log(`${name} connected from ${result.local}`);
        phase = 'talking';
        if (requests.length === 0) return done('closed (nothing to ask)');
        stream.write(requests[0]!);
        log(`${name} > ${requests[0]!.split('\r\n')[0]}`);
      }
      stream.flush();
      for (;;) {
        const r = stream.read();
        if (r === 'wait') return false;
        if (r === 'reset') throw new Error(`${name}: the server reset the connection`);
        if (r === 'eof') {
          if (phase !== 'draining') throw new Error(`${name}: the server closed the connection before answering`);
          result.closedByServer = true;
          return done('saw the server close the connection (WSPRecv returned 0); closed');
        }
        input = Buffer.concat([input, r]);
        for (let res = takeResponse(); res !== undefined; res = takeResponse()) {
          result.responses.push(res);
          log(`${name} < ${res.statusLine}  body ${JSON.stringify(res.body)}`);
          if (res.headers.get('connection')?.toLowerCase() === 'close') {
            phase = 'draining'; // nothing more will be answered: wait for the server's FIN
          } else if (result.responses.length < requests.length) {
            const next = requests[result.responses.length]!;
            stream.write(next);
            log(`${name} > ${next.split('\r\n')[0]}  (same connection)`);
          } else {
            return done('closed');
          }
        }
      }
    },
  };
}

// ---- both, on one thread ----------------------------------------------------------------

export interface HttpSummary {
  clients: HttpClientResult[];
  server: HttpServer['stats'];
}

export function runHttp(
  serverProvider: ServiceProvider, at: SockAddr,
  clients: { name: string; provider: ServiceProvider; requests: string[] }[], log: Log = () => {},
): HttpSummary {
  const server = startHttpServer(serverProvider, at, log);
  try {
    const parties = clients.map((c) => httpClient(c.provider, c.name, at, c.requests, log));
    drive(server, parties, 0.05);
    for (let i = 0; i < 100 && server.stats.closed < server.stats.connections; i++) server.step(0.05);
    return { clients: parties.map((c) => c.result), server: { ...server.stats } };
  } finally {
    server.close();
  }
}

// ---- main ---------------------------------------------------------------------------------

export const HTTP_USAGE = 'usage: npm run example:http [-- --port <0-65535> [--verbose]]';

/** What the command line asks for: the virtual network (no --port) or the host network on `port`. */
export type HttpArgs = { help: true } | { help: false; port: number | undefined; verbose: boolean } | { error: string };

/** Parses the command line; an unknown option, a missing or bad value: `{ error }` (one line). */
export function parseHttpArgs(args: readonly string[]): HttpArgs {
  let port: number | undefined;
  let verbose = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--help' || a === '-h') return { help: true };
    if (a === '--verbose') {
      verbose = true;
      continue;
    }
    if (a === '--port' || a.startsWith('--port=')) {
      const v = a === '--port' ? args[++i] : a.slice('--port='.length);
      if (v === undefined || !/^\d{1,5}$/.test(v) || Number(v) > 65535) {
        return { error: `--port needs a port number from 0 to 65535, got ${v === undefined ? 'nothing' : JSON.stringify(v)}` };
      }
      if (port !== undefined) return { error: '--port given twice' };
      port = Number(v);
      continue;
    }
    return { error: a.startsWith('-') ? `unknown option ${JSON.stringify(a)}` : `unexpected argument ${JSON.stringify(a)}` };
  }
  return { help: false, port, verbose };
}

const cli = isMain(import.meta.url) ? parseHttpArgs(process.argv.slice(2)) : undefined;
if (cli !== undefined && 'error' in cli) {
  // One line and exit status 2, like any command given something it does not understand.
  console.error(`http-server: ${cli.error} (${HTTP_USAGE})`);
  process.exitCode = 2;
} else if (cli?.help === true) {
  console.log(`${HTTP_USAGE}

  (no option)      the server and its clients on the virtual network, one thread; prints a transcript
  --port <port>    the same server on the host network at 127.0.0.1:<port> (0: any free port),
                   until Ctrl-C; try: curl -i http://127.0.0.1:<port>/echo?hi
  --verbose        with --port: log every request`);
} else if (cli !== undefined && cli.port !== undefined) {
  // The same server on the real network: it runs in a worker thread, where its blocking
  // WSPSelect truly blocks, and this thread owns the host network.
  const { serveOnHost } = await import('./http-host.js');
  process.exitCode = await serveOnHost(cli.port, cli.verbose);
} else if (cli !== undefined) {
  const net = new VirtualNetwork({ seed: 80 });
  const serverHost = net.addHost({ name: 'server', addresses: ['10.0.0.1'] });
  const browser = net.addHost({ name: 'browser', addresses: ['10.0.0.2'] }).provider;
  const at: SockAddr = { family: AF_INET, address: '10.0.0.1', port: 80 };
  const log: Log = (line) => console.log(`[${net.now().toFixed(3).padStart(7)} ms] ${line}`);
  console.log('winsock-spi HTTP example: a WSPSelect HTTP/1.1 server and its clients, one thread.');
  try {
    const summary = runHttp(serverHost.provider, at, [
      { name: 'browser', provider: browser, requests: [get('/'), get('/echo?hello%20there'), get('/missing', true)] },
      { name: 'garbler', provider: browser, requests: ['HELLO SERVER\r\n\r\n'] },
    ], log);
    const all = summary.clients.flatMap((c) => c.responses.map((r) => r.status));
    console.log(`summary: ${summary.server.requests} requests on ${summary.server.connections} connections; statuses ${all.join(', ')}`);
    process.exitCode = all.join() === '200,200,404,400' ? 0 : 1;
  } catch (err) {
    console.error(err instanceof SpiError ? `error: ${err.message}` : err);
    process.exitCode = 1;
  }
}
