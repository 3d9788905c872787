/**
 * Real peers on the host network: curl, python3's socket module and nc talk to the SPI HTTP
 * example (a child process) and to SPI sockets in this process; SPI clients talk to a python3
 * server. A test whose tool is missing is skipped with a line saying how to install it; with CI
 * set (.ci/run installs them all) a missing tool is a failure (test/peers.ts).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  AF_INET, INVALID_SOCKET, IPPROTO_TCP, SOCK_STREAM, SOCKET_ERROR, WinsockError, connect, errorName, listen, type Connection,
} from '../src/index.js';
import { HostNetwork } from '../src/host/index.js';
import { quietPort, refusedPort } from './helpers.js';
import { needs, peerStatus } from './peers.js';

const HTTP_EXAMPLE = fileURLToPath(new URL('../examples/http-server.js', import.meta.url));
/** Children get no proxy settings: nothing may stand between them and 127.0.0.1. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|all|no)_proxy$/i.test(k)));
const CURL = ['-s', '-S', '--noproxy', '*', '--max-time', '5'];

/** A child process whose output can be waited on; always stopped by the test. */
class Proc {
  out = '';
  err = '';
  private failure: Error | null = null;
  /** Exited, its output all read. */
  private done = false;
  private readonly waiters = new Set<() => void>();
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;

  constructor(readonly cmd: string, args: string[], lifetimeMs = 15_000) {
    this.child = spawn(cmd, args, { env: ENV, timeout: lifetimeMs, killSignal: 'SIGKILL' });
    live.add(this);
    const notify = () => this.waiters.forEach((w) => w());
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => ((this.out += d), notify()));
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    this.child.stdin.on('error', () => {}); // a child that exits before reading its input
    this.exited = new Promise((resolve) => {
      this.child.once('error', (e: NodeJS.ErrnoException) => {
        this.failure = e.code === 'ENOENT' ? new Error(`${cmd} is not installed (CI installs it: .ci/run)`) : e;
        resolve({ code: null, signal: null });
      });
      this.child.once('close', (code, signal) => resolve({ code, signal }));
    }).finally(() => ((this.done = true), live.delete(this), notify())) as Proc['exited'];
  }

  /** Resolves once the output matches `re`; rejects if the process ends first or `ms` pass. */
  wait(re: RegExp, ms = 5000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = re.exec(this.out);
        if (m !== null || this.done) {
          this.waiters.delete(check);
          clearTimeout(timer);
          if (m !== null) resolve(m);
          else reject(this.failure ?? new Error(`${this.cmd} ended before printing ${re}: ${this.out}${this.err}`));
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.cmd}: no ${re} within ${ms} ms; output: ${this.out}${this.err}`));
      }, ms);
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for the exit (bounded by the spawn time-out) and asserts it was a clean one. */
  async finish(): Promise<string> {
    const { code, signal } = await this.exited;
    if (this.failure !== null) throw this.failure;
    assert.equal(code, 0, `${this.cmd} exited with ${code ?? signal}: ${this.err}${this.out}`);
    return this.out;
  }

  /** SIGTERM, then SIGKILL if it has not gone within 2 s. */
  async stop(): Promise<void> {
    if (this.done) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(t);
  }
}

const live = new Set<Proc>();
after(() => Promise.all([...live].map((p) => p.stop())));

/** Runs a tool to completion with `input` on its stdin; its stdout. */
function run(cmd: string, args: string[], input = ''): Promise<string> {
  const p = new Proc(cmd, args);
  p.child.stdin.end(input);
  return p.finish();
}

/** The real interpreter behind python3 (a pyenv shim costs half a second per start). */
let pythonPath: Promise<string> | undefined;
const python = () => (pythonPath ??= run('python3', ['-c', 'import sys; print(sys.executable)']).then((s) => s.trim()));

/** Status, headers (lower-case names) and body of one HTTP response. */
function parse(text: string) {
  const end = text.indexOf('\r\n\r\n');
  assert.ok(end > 0, `not an HTTP response: ${JSON.stringify(text)}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { statusLine: statusLine!, status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(end + 4) };
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Reads until `n` bytes have come (fails on end of stream). */
async function readExactly(c: Connection, n: number): Promise<string> {
  const parts: Uint8Array[] = [];
  for (let got = 0; got < n;) {
    const chunk = await c.read();
    assert.ok(chunk !== null, `end of stream after ${got} of ${n} bytes`);
    parts.push(chunk.slice());
    got += chunk.length;
  }
  return dec(Buffer.concat(parts));
}

describe('real clients against the SPI HTTP example (node build/examples/http-server.js --port 0)', () => {
  let server: Proc | undefined;
  let port = 0;
  before(async () => {
    // Without curl, python3 and nc every test here is skipped: no server then.
    if ((['curl', 'python3', 'nc'] as const).every((p) => peerStatus([p]).skip !== undefined)) return;
    server = new Proc(process.execPath, [HTTP_EXAMPLE, '--port', '0'], 60_000);
    port = Number((await server.wait(/listening on 127\.0\.0\.1:(\d+)/))[1]);
  });
  after(() => server?.stop());
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;

  test('curl: 200 with a matching Content-Length, keep-alive (two URLs, one connection), 404, --http1.0', needs('curl'), async () => {
    const home = parse(await run('curl', [...CURL, '-i', url('/')]));
    assert.equal(home.statusLine, 'HTTP/1.1 200 OK');
    assert.equal(home.body, 'Hello from a winsock-spi HTTP server.\n');
    assert.equal(Number(home.headers.get('content-length')), Buffer.byteLength(home.body));
    assert.equal(home.headers.get('connection'), 'keep-alive');
    // -w runs once per URL: the second transfer made no new connection.
    const two = await run('curl', [...CURL, '-o', '/dev/null', '-o', '/dev/null', '-w', '%{http_code} %{num_connects}\n', url('/'), url('/echo?again')]);
    assert.deepEqual(two.trim().split('\n'), ['200 1', '200 0']);
    assert.equal(await run('curl', [...CURL, '-o', '/dev/null', '-w', '%{http_code}', url('/missing')]), '404');
    const old = parse(await run('curl', [...CURL, '-i', '--http1.0', url('/echo?hi%20there')]));
    assert.equal(old.status, 200);
    assert.equal(old.body, 'hi there');
    assert.equal(old.headers.get('connection'), 'close'); // an HTTP/1.0 request is not kept alive
  });

  test('python3 socket: an HTTP/1.1 request with Connection: close is answered, then EOF; a malformed one gets 400', needs('python3'), async () => {
    const script = `
import json, socket, sys
def ask(raw):
    with socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5) as s:
        s.sendall(raw)
        got = b''
        while chunk := s.recv(4096):
            got += chunk
    return got.decode('latin1')
print(json.dumps([ask(b'GET /echo?from%20python HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n'),
                  ask(b'HELLO SERVER\\r\\n\\r\\n')]))`;
    const [ok, bad] = (JSON.parse(await run(await python(), ['-c', script, String(port)])) as string[]).map(parse);
    assert.equal(ok!.statusLine, 'HTTP/1.1 200 OK');
    assert.equal(ok!.headers.get('connection'), 'close');
    assert.equal(ok!.body, 'from python');
    assert.equal(bad!.statusLine, 'HTTP/1.1 400 Bad Request');
    assert.equal(bad!.body, 'malformed request\n');
  });

  test('nc: GET /echo?nc HTTP/1.0 through its stdin gets 200 and the body "nc"', needs('nc'), async () => {
    // stdin stays open until the response is in (the next test closes it at once). -q 0: quit right at EOF.
    const nc = new Proc('nc', ['-q', '0', '127.0.0.1', String(port)]);
    nc.child.stdin.write('GET /echo?nc HTTP/1.0\r\n\r\n');
    await nc.wait(/\r\n\r\nnc/);
    nc.child.stdin.end();
    const res = parse(await nc.finish());
    assert.equal(res.status, 200);
    assert.equal(res.body, 'nc');
  });

  test('nc: the request followed at once by EOF (printf ... | nc -q 0) is still answered', needs('nc'), async () => {
    for (let i = 0; i < 5; i++) {
      const res = parse(await run('nc', ['-q', '0', '127.0.0.1', String(port)], 'GET /echo?nc HTTP/1.0\r\n\r\n'));
      assert.equal(res.status, 200);
      assert.equal(res.body, 'nc');
    }
  });
});

describe('SPI sockets in this process with real peers (python3)', needs('python3'), () => {
  test('python3 client against an async-API echo server: several messages including 100 kB, then the server sees EOF', async () => {
    const host = new HostNetwork();
    try {
      const server = await listen(host, { address: '127.0.0.1', port: 0 });
      const served = (async () => {
        const conn = await server.accept();
        let bytes = 0;
        for await (const chunk of conn) {
          bytes += chunk.length;
          await conn.write(chunk.slice());
        }
        conn.close(); // the loop ended: read() returned null, the client's FIN
        server.close();
        return bytes;
      })();
      served.catch(() => {}); // awaited below
      const script = `
import socket, sys
msgs = [b'hello', b'from python', bytes(range(256)) * 400]
with socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5) as s:
    for m in msgs:
        s.sendall(m)
        got = b''
        while len(got) < len(m):
            chunk = s.recv(65536)
            if not chunk: sys.exit('the server closed early')
            got += chunk
        print('echoed', len(m), got == m)
    s.shutdown(socket.SHUT_WR)
    print('server closed too:', s.recv(1) == b'')`;
      const out = await run(await python(), ['-c', script, String(server.localAddress.port)]);
      assert.deepEqual(out.trim().split('\n'), ['echoed 5 True', 'echoed 11 True', 'echoed 102400 True', 'server closed too: True']);
      assert.equal(await served, 5 + 11 + 102400);
    } finally {
      await host.close();
    }
  });

  test('async-API client against a python3 uppercase server; when python closes, read() returns null', async () => {
    const script = `
import socket
with socket.create_server(('127.0.0.1', 0)) as srv:
    print('port', srv.getsockname()[1], flush=True)
    conn, _ = srv.accept()
    seen = b''
    with conn:
        while data := conn.recv(65536):
            conn.sendall(data.upper())
            seen += data
            if seen.endswith(b'bye'): break
print('closed', flush=True)`;
    const py = new Proc(await python(), ['-c', script]);
    const host = new HostNetwork();
    try {
      const port = Number((await py.wait(/port (\d+)/))[1]);
      const c = await connect(host, { address: '127.0.0.1', port, noDelay: true });
      await c.write(enc('hello from the spi'));
      assert.equal(await readExactly(c, 18), 'HELLO FROM THE SPI');
      await c.write(enc('x'.repeat(30_000) + ' bye'));
      assert.equal(await readExactly(c, 30_004), 'X'.repeat(30_000) + ' BYE');
      assert.equal(await c.read(), null);
      await py.wait(/closed/);
      c.close();
      await py.finish();
    } finally {
      await py.stop();
      await host.close();
    }
  });

  test('listen queue of 1 on the host network: of three real clients, the first waits for accept, two are reset', async () => {
    // The operating system completes every handshake (node:net's own backlog is 511), so where
    // Windows would answer a SYN beyond the queue with RST (connect fails), the provider can only
    // reset the established connection it is handed. python's connect() has usually returned by
    // then and recv() raises ECONNRESET; if the reset came first, connect() raises it. The
    // survivor is the first client: the kernel hands connections over in arrival order. (A
    // node:net client in this process sees the reset before its 'connect' event.)
    const script = `
import json, socket, sys
socks = []
for i in range(3):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(('127.0.0.1', int(sys.argv[1])))
        socks.append(s)
    except ConnectionResetError:  # the reset came before connect() read SO_ERROR
        socks.append(None)
print('connected', flush=True)
sys.stdin.readline()  # the test has let the provider accept
out = []
for s in socks:
    if s is None:
        out.append('reset')
        continue
    try:
        got = b''
        while chunk := s.recv(100): got += chunk
        out.append(got.decode())
    except ConnectionResetError: out.append('reset')
print(json.dumps(out), flush=True)`;
    const py3 = await python();
    const host = new HostNetwork();
    let py: Proc | undefined;
    try {
      const server = await listen(host, { address: '127.0.0.1', port: 0, backlog: 1 });
      py = new Proc(py3, ['-c', script, String(server.localAddress.port)]);
      await py.wait(/connected/);
      const stats = () => host.provider.inspect(server.socket)!.listen!.stats;
      assert.ok(await host.until(() => stats().queued + stats().refusedFull === 3), JSON.stringify(stats()));
      assert.deepEqual({ queued: stats().queued, refusedFull: stats().refusedFull }, { queued: 1, refusedFull: 2 });
      const a = await server.accept();
      await a.write(enc('welcome'));
      a.close();
      py.child.stdin.write('\n');
      const results = JSON.parse((await py.wait(/^\[.*\]$/m))[0]) as string[];
      assert.deepEqual(results, ['welcome', 'reset', 'reset']);
      await py.finish();
    } finally {
      await py?.stop();
      await host.close(); // closes the listener too
    }
  });

  test('a port nobody listens on: connect rejects with WSAECONNREFUSED; a port python holds: WSPBind itself fails with WSAEADDRINUSE', async () => {
    // A port outside the ephemeral range: once python lets it go, no other process is handed it
    // before this test binds it again (another process may take a system-chosen one at once).
    const quiet = await quietPort();
    const py = new Proc(await python(), ['-c', `
import socket, sys
with socket.create_server(('127.0.0.1', ${quiet})) as srv:
    print('port', srv.getsockname()[1], flush=True)
    sys.stdin.readline()`]);
    const host = new HostNetwork();
    try {
      const free = await refusedPort(); // a port just closed may be taken by another process at once
      await assert.rejects(connect(host, { address: '127.0.0.1', port: free }), (e: unknown) => {
        assert.ok(e instanceof WinsockError, String(e));
        assert.equal(e.code, 10061);
        assert.equal(e.codeName, 'WSAECONNREFUSED');
        return true;
      });

      const held = Number((await py.wait(/port (\d+)/))[1]);
      const p = host.provider;
      const err = { value: 0 };
      const s = p.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, err);
      assert.notEqual(s, INVALID_SOCKET);
      const at = { family: AF_INET, address: '127.0.0.1', port: held };
      assert.equal(p.WSPBind(s, at, 16, err), SOCKET_ERROR); // the answer of the call itself
      assert.equal(errorName(err.value), 'WSAEADDRINUSE');
      py.child.stdin.end('\n');
      await py.finish();
      // Once python has let go, the same socket binds that port: the error came from the OS.
      assert.equal(p.WSPBind(s, at, 16, err), 0, errorName(err.value));
      assert.equal(p.WSPCloseSocket(s, err), 0);
    } finally {
      await py.stop();
      await host.close();
    }
  });
});
