/**
 * The headline: the HTTP example (examples/http-server.ts), unchanged, through both sample
 * LSPs (tracing over chaos over the base provider) on both networks. The example is written against
 * a provider object; it is handed providerOverWs2(ws): each WSP* function it calls is the Winsock
 * call (WSASocketW, WSARecv, select...) on a Ws2 whose catalogue puts the LSP chain first, so the
 * program reaches the base provider through both layers as a Windows program does. On the host
 * network curl (a real client on 127.0.0.1) sees what the chaos rules do.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { AF_INET, VirtualNetwork, WSAECONNRESET, type ServiceProvider, type SockAddr } from '../src/index.js';
import { HostNetwork } from '../src/host/index.js';
import { providerOverWs2 } from '../src/lsp/index.js';
import { get, runHttp, startHttpServer } from '../examples/http-server.js';
import { quietPort } from './helpers.js';
import { needs } from './peers.js';
import { stack, type Stack } from './lsp-stack.js';
import type { ChaosRule } from '../src/lsp/index.js';

/** The example's provider parameter, met by the ws2-backed facade (the WSP* functions it calls). */
const asProvider = (s: Stack) => providerOverWs2(s.ws) as unknown as ServiceProvider;

describe('the HTTP example through the tracing and chaos LSPs on the virtual network', () => {
  const world = (rules: ChaosRule[]) => {
    const net = new VirtualNetwork({ seed: 80 });
    const server = net.addHost({ name: 'server', addresses: ['10.0.0.1'] }).provider;
    const browser = net.addHost({ name: 'browser', addresses: ['10.0.0.2'] }).provider;
    return { net, s: stack(server, rules), browser, at: { family: AF_INET, address: '10.0.0.1', port: 80 } as SockAddr };
  };
  const requests = [get('/'), get('/echo?hello%20there'), get('/missing', true)];

  test('short sends (7 bytes) and short receives (5 bytes) on every call: the example still answers 200, 200, 404, 400, and the trace shows each short call', () => {
    const { s, browser, at } = world([{ call: 'WSPSend', action: { truncate: 7 } }, { call: 'WSPRecv', action: { truncate: 5 } }]);
    const summary = runHttp(asProvider(s), at, [
      { name: 'browser', provider: browser, requests },
      { name: 'garbler', provider: browser, requests: ['HELLO SERVER\r\n\r\n'] },
    ]);
    assert.deepEqual(summary.clients.flatMap((c) => c.responses.map((r) => r.status)), [200, 200, 404, 400]);
    assert.equal(summary.clients[0]!.responses[1]!.body, 'hello there');
    const sends = s.records.filter((r) => r.call === 'WSPSend' && r.result === 0);
    assert.ok(sends.length > 20 && sends.every((r) => /^&[0-7]$/.test(r.args.lpNumberOfBytesSent!)), `${sends.length} sends of at most 7 bytes`);
    assert.ok(s.records.some((r) => r.call === 'WSPRecv' && r.args.lpNumberOfBytesRecvd === '&5'));
    assert.ok(s.chaos.fired.length > 40);
    // The example's own calls, in the trace: the listener first.
    assert.deepEqual(s.records.slice(0, 4).map((r) => r.call), ['WSPSocket', 'WSPBind', 'WSPListen', 'WSPIoctl']);
  });

  test('a reset of the first connection the server reads: the example\'s client sees the reset', () => {
    const { s, browser, at } = world([{ call: 'WSPRecv', nth: 1, action: { reset: true } }]);
    assert.throws(() => runHttp(asProvider(s), at, [{ name: 'browser', provider: browser, requests }]), /browser: the server reset the connection/);
    assert.equal(s.chaos.fired.length, 1);
    assert.ok(s.text.some((t) => /WSPRecv\(.*\) = -1 WSAECONNRESET \(10054\)$/.test(t)), 'traced above the chaos layer');
  });
});

const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|all|no)_proxy$/i.test(k)));

/** Runs curl to completion: its exit code, stdout and stderr. */
function curl(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('curl', ['-s', '-S', '--noproxy', '*', '--max-time', '5', ...args], { env: ENV, timeout: 10_000, killSignal: 'SIGKILL' });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('error', (e) => resolve({ code: null, out, err: String(e) }));
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

/**
 * The example's server on 127.0.0.1 through both LSPs, stepped on this thread (non-blocking
 * selects: the host network's own thread cannot block) while curl runs; then closed.
 */
async function withServer<T>(rules: ChaosRule[], body: (url: (path: string) => string, s: Stack) => Promise<T>): Promise<T> {
  const host = new HostNetwork();
  const s = stack(host.provider, rules);
  const port = await quietPort();
  const server = startHttpServer(asProvider(s), { family: AF_INET, address: '127.0.0.1', port });
  let done = false;
  const loop = (async () => {
    while (!done) {
      server.step(0);
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  try {
    return await body((path) => `http://127.0.0.1:${port}${path}`, s);
  } finally {
    done = true;
    await loop;
    server.close();
    s.ws.WSACleanup();
    await host.close();
  }
}

describe('the HTTP example through the tracing and chaos LSPs on the host network, with curl', () => {
  test('no rule firing: curl gets 200 and the body; the trace has the example\'s calls with the program\'s handles', needs('curl'), async () => {
    await withServer([], async (url, s) => {
      const r = await curl(['-i', url('/echo?through%20two%20LSPs')]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^HTTP\/1\.1 200 OK\r\n/);
      assert.ok(r.out.endsWith('\r\n\r\nthrough two LSPs'), r.out);
      assert.ok(s.records.some((x) => x.call === 'WSPAccept' && typeof x.result === 'number' && x.result >= 0x40000000));
      assert.ok(s.text.some((t) => /WSPSend\(s=0x4[0-9a-f]+, lpBuffers=\[\d+ B\]/.test(t)));
    });
  });

  test('chaos reset on the server\'s first WSPRecv: curl sees the connection reset', needs('curl'), async () => {
    await withServer([{ call: 'WSPRecv', nth: 1, action: { reset: true } }], async (url, s) => {
      const r = await curl(['-i', url('/')]);
      // 56: "Recv failure: Connection reset by peer"; 52: "Empty reply from server" when curl reads the RST as an end.
      assert.ok(r.code === 56 || r.code === 52, `curl exit ${r.code}: ${r.err}`);
      assert.equal(r.out, '');
      assert.equal(s.chaos.fired.length, 1);
      // The next request is served: only one call was chosen.
      const again = await curl([url('/')]);
      assert.equal(again.code, 0, again.err);
      assert.equal(again.out, 'Hello from a winsock-spi HTTP server.\n');
    });
  });

  test('chaos fail (WSAECONNRESET as the code) on the server\'s first WSPRecv: the example drops the connection unanswered and curl gets no response', needs('curl'), async () => {
    await withServer([{ call: 'WSPRecv', nth: 1, action: { fail: WSAECONNRESET } }], async (url, s) => {
      const r = await curl(['-i', url('/')]);
      // The example closes a connection its read reports reset; the request it never read makes the close an RST (56), or curl reads an end (52).
      assert.ok(r.code === 56 || r.code === 52, `curl exit ${r.code}: ${r.err}`);
      assert.equal(r.out, '');
      assert.deepEqual(s.chaos.fired.map((f) => f.call), ['WSPRecv']);
      assert.ok(s.text.some((t) => /WSPRecv\(.*\) = -1 WSAECONNRESET \(10054\)$/.test(t)));
    });
  });

  test('chaos truncate (16 bytes) on every WSPSend: the example finishes its short sends and curl gets the whole response', needs('curl'), async () => {
    await withServer([{ call: 'WSPSend', action: { truncate: 16 } }], async (url, s) => {
      const r = await curl(['-i', url('/echo?short%20sends')]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^HTTP\/1\.1 200 OK\r\n/);
      assert.ok(r.out.endsWith('\r\n\r\nshort sends'), r.out);
      assert.ok(s.records.filter((x) => x.call === 'WSPSend' && x.args.lpNumberOfBytesSent === '&16').length >= 5);
    });
  });

  test('chaos delay of 300 ms on WSPSend (real time on the host): curl waits that long for the answer', needs('curl'), async () => {
    await withServer([{ call: 'WSPSend', nth: 1, action: { delay: 300 } }], async (url) => {
      const r = await curl(['-o', '/dev/null', '-w', '%{http_code} %{time_total}', url('/')]);
      assert.equal(r.code, 0, r.err);
      const [code, total] = r.out.split(' ');
      assert.equal(code, '200');
      assert.ok(Number(total) >= 0.29, `curl's time_total ${total} s`);
    });
  });
});
