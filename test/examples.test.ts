/** The examples: their exported server and client functions on the virtual network, and the scripts themselves. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AF_INET, VirtualNetwork, errorName, type SockAddr } from '../src/index.js';
import { echoClient, runEcho } from '../examples/echo.js';
import { SpiError, drive } from '../examples/spi-helpers.js';
import { get, parseHead, runHttp, type HttpClientResult } from '../examples/http-server.js';

const at = (port: number, address = '10.0.0.1'): SockAddr => ({ family: AF_INET, address, port });

/** Runs a compiled example (resolved from this compiled test file) as its own process. */
function runScript(name: string) {
  const file = fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
  return spawnSync(process.execPath, [file], { encoding: 'utf8' });
}

describe('examples/echo', () => {
  it('serves several clients at once; every echo matches, a 200 000-byte one included', () => {
    const net = new VirtualNetwork({ seed: 3 });
    const server = net.addHost({ addresses: ['10.0.0.1'] }).provider;
    const big = '0123456789'.repeat(20_000);
    const clients = [1, 2, 3].map((i) => ({
      name: `c${i}`,
      provider: net.addHost({ addresses: [`10.0.0.${10 + i}`] }).provider,
      messages: i === 2 ? ['first', big, 'last'] : [`hello ${i}`, 'héllo wörld ✓', 'bye'],
    }));
    const summary = runEcho(server, at(7), clients);
    assert.ok(summary.ok);
    for (const [i, c] of summary.clients.entries()) {
      assert.deepEqual(c.echoed, clients[i]!.messages);
      assert.deepEqual(c.sent, clients[i]!.messages);
    }
    const bytes = clients.flatMap((c) => c.messages).reduce((n, m) => n + Buffer.byteLength(m), 0);
    assert.deepEqual(summary.server, { accepted: 3, closed: 3, bytes });
  });

  it('ten clients on one host: ten connections, all served', () => {
    const net = new VirtualNetwork({ seed: 4 });
    const server = net.addHost({ addresses: ['10.0.0.1'] }).provider;
    const client = net.addHost({ addresses: ['10.0.0.2'] }).provider;
    const clients = Array.from({ length: 10 }, (_, i) => ({ name: `c${i}`, provider: client, messages: [`a${i}`, `b${i}`] }));
    const summary = runEcho(server, at(7), clients);
    assert.ok(summary.ok);
    assert.equal(summary.server.accepted, 10);
    assert.equal(summary.server.closed, 10);
  });

  it('runs with server and client on one provider, over loopback', () => {
    const net = new VirtualNetwork({ seed: 5 });
    const p = net.addHost({ addresses: ['10.0.0.1'] }).provider;
    const summary = runEcho(p, at(7, '127.0.0.1'), [{ name: 'self', provider: p, messages: ['ping', 'pong'] }]);
    assert.ok(summary.ok);
    assert.deepEqual(summary.clients[0]!.echoed, ['ping', 'pong']);
  });

  it('is deterministic: the same seed gives the same transcript', () => {
    const once = () => {
      const net = new VirtualNetwork({ seed: 9 });
      const server = net.addHost({ addresses: ['10.0.0.1'] }).provider;
      const lines: string[] = [];
      const clients = [1, 2].map((i) => ({ name: `c${i}`, provider: net.addHost({}).provider, messages: ['x', 'y'.repeat(5000)] }));
      runEcho(server, at(7), clients, (l) => lines.push(`${net.now()} ${l}`));
      return lines;
    };
    const first = once();
    assert.ok(first.length > 5);
    assert.deepEqual(once(), first);
  });

  it('a client whose server is not listening fails with WSAECONNREFUSED (from SO_ERROR)', () => {
    const net = new VirtualNetwork({ seed: 6 });
    net.addHost({ addresses: ['10.0.0.1'] });
    const client = echoClient(net.addHost({ addresses: ['10.0.0.2'] }).provider, 'c', at(7), ['hi']);
    // No server here: the driver only lets virtual time pass between the client's steps.
    assert.throws(() => drive({ step: (ms) => net.advance(ms) }, [client], 0.05),
      (err: unknown) => err instanceof SpiError && errorName(err.code) === 'WSAECONNREFUSED');
  });

  it('node build/examples/echo.js exits 0 and prints its transcript', () => {
    const r = runScript('echo.js');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /client1 connected from 10\.0\.0\.11:\d+/);
    assert.match(r.stdout, /client3 echo 2: <200000 bytes/);
    assert.match(r.stdout, /9 of 9 echoes matched, all ok/);
  });
});

describe('examples/http-server', () => {
  /** A server at 10.0.0.1:80 and one client host; each entry is one connection. */
  function http(...conns: string[][]) {
    const net = new VirtualNetwork({ seed: 80 });
    const server = net.addHost({ addresses: ['10.0.0.1'] }).provider;
    const client = net.addHost({ addresses: ['10.0.0.2'] }).provider;
    return runHttp(server, at(80), conns.map((requests, i) => ({ name: `c${i}`, provider: client, requests })));
  }
  const statuses = (c: HttpClientResult) => c.responses.map((r) => r.status);

  it('keep-alive: two GETs on one connection, each with its body and Content-Length', () => {
    const { clients: [c], server } = http([get('/'), get('/echo?hello%20world')]);
    assert.deepEqual(statuses(c!), [200, 200]);
    assert.equal(c!.responses[0]!.body, 'Hello from a winsock-spi HTTP server.\n');
    assert.equal(c!.responses[1]!.body, 'hello world');
    for (const r of c!.responses) {
      assert.equal(r.headers.get('content-length'), String(Buffer.byteLength(r.body)));
      assert.equal(r.headers.get('connection'), 'keep-alive');
    }
    assert.deepEqual(server, { connections: 1, requests: 2, closed: 1 }); // one connection served both
    assert.equal(c!.closedByServer, false); // the client closed it
  });

  it('404 for an unknown path; Connection: close makes the server close after answering', () => {
    const { clients: [c], server } = http([get('/'), get('/nope', true)]);
    assert.deepEqual(statuses(c!), [200, 404]);
    assert.equal(c!.responses[1]!.statusLine, 'HTTP/1.1 404 Not Found');
    assert.equal(c!.responses[1]!.body, 'Not found: /nope\n');
    assert.equal(c!.responses[1]!.headers.get('connection'), 'close');
    assert.equal(c!.closedByServer, true);
    assert.deepEqual(server, { connections: 1, requests: 2, closed: 1 });
  });

  it('400 for malformed requests, and the connection is closed', () => {
    const bad = [
      'HELLO\r\n\r\n',                                 // no request line
      'GET / HTTP/1.1\r\n\r\n',                        // HTTP/1.1 without Host
      'GET / HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n', // a header line without a colon
    ];
    const { clients, server } = http(...bad.map((b) => [b, get('/')]));
    for (const c of clients) {
      assert.deepEqual(statuses(c), [400], c.name); // the second request is never answered
      assert.equal(c.closedByServer, true);
    }
    assert.deepEqual(server, { connections: bad.length, requests: bad.length, closed: bad.length });
  });

  it('a well-formed request the application rejects (bad percent-encoding): 400, the connection stays open', () => {
    const { clients: [c] } = http([get('/echo?%zz'), get('/echo?ok')]);
    assert.deepEqual(statuses(c!), [400, 200]);
    assert.equal(c!.responses[0]!.headers.get('connection'), 'keep-alive');
    assert.equal(c!.closedByServer, false);
  });

  it('several clients at once, HTTP/1.0 closes by default, other methods get 405', () => {
    const { clients, server } = http(
      [get('/echo?a'), get('/echo?b')],
      ['GET /echo?c HTTP/1.0\r\n\r\n'],
      ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc', get('/echo?after-body')],
    );
    assert.deepEqual(clients.map((c) => c.responses.map((r) => `${r.status} ${r.body.trim()}`)), [
      ['200 a', '200 b'],
      ['200 c'],
      ['405 POST is not supported here; try GET', '200 after-body'],
    ]);
    assert.equal(clients[1]!.closedByServer, true);
    assert.deepEqual(server, { connections: 3, requests: 5, closed: 3 });
  });

  it('parseHead: request line, headers, Host rule', () => {
    const r = parseHead('GET /x?y HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2');
    assert.equal(r?.method, 'GET');
    assert.equal(r?.target, '/x?y');
    assert.equal(r?.headers.get('x-a'), '1, 2');
    assert.equal(parseHead('GET / HTTP/1.0')?.version, '1.0');
    assert.equal(parseHead('GET  / HTTP/1.1\r\nHost: a'), undefined);
    assert.equal(parseHead('GET / HTTP/2.0\r\nHost: a'), undefined);
    assert.equal(parseHead('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1'), undefined);
  });

  it('node build/examples/http-server.js exits 0 and prints status lines and bodies', () => {
    const r = runScript('http-server.js');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /HTTP\/1\.1 200 OK {2}body "hello there"/);
    assert.match(r.stdout, /\(same connection\)/);
    assert.match(r.stdout, /HTTP\/1\.1 404 Not Found/);
    assert.match(r.stdout, /HTTP\/1\.1 400 Bad Request/);
  });
});
