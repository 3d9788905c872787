/**
 * The host network keeps the process alive only while something is open (issue 16, item 6): a
 * script that closed all its sockets exits without `host.close()`; one with an open listener and
 * a pending accept stays. Each case runs a child process (test/fixtures/host-lifetime-child.ts)
 * on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HostNetwork } from '../src/host/index.js';
import { connect, listen } from '../src/index.js';
import { quietPort } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/host-lifetime-child.js', import.meta.url));
/** Generous: the child exits within a few hundred ms once nothing holds it. */
const EXIT_LIMIT_MS = 10_000;

function run(args: string[]): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exit };
}

function waitFor(output: () => string, re: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      const m = re.exec(output());
      if (m !== null) {
        clearInterval(poll);
        resolve(m);
      } else if (Date.now() - t0 > ms) {
        clearInterval(poll);
        reject(new Error(`no ${re} within ${ms} ms; output: ${output()}`));
      }
    }, 10);
  });
}

describe('host network: what keeps the process alive', () => {
  test('a script that closed every socket exits by itself, without host.close(), even while a peer keeps its side open', async () => {
    // The peer: reads, never ends its side (the child's graceful close stays half-open).
    const peers: net.Socket[] = [];
    const peer = net.createServer({ allowHalfOpen: true }, (s) => {
      peers.push(s);
      s.on('data', () => {});
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const { child, output, exit } = run(['close-all', String((peer.address() as net.AddressInfo).port)]);
    const limit = setTimeout(() => child.kill('SIGKILL'), EXIT_LIMIT_MS);
    try {
      const code = await exit;
      assert.match(output(), /closed/);
      assert.equal(code, 0, `the child did not exit by itself within ${EXIT_LIMIT_MS} ms (exit ${code}); output: ${output()}`);
    } finally {
      clearTimeout(limit);
      for (const s of peers) s.destroy();
      peer.close();
    }
  });

  test('a script with an open listener and a pending accept stays alive (still running after 1 s), and is served', async () => {
    const { child, output, exit } = run(['listening']);
    try {
      const [, port] = await waitFor(output, /ready (\d+)/, EXIT_LIMIT_MS);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(child.exitCode, null, `the child exited: ${output()}`);
      assert.equal(child.signalCode, null);
      // It is alive and serving: its pending accept takes a connection, then it has nothing open.
      const s = net.connect(Number(port), '127.0.0.1');
      s.on('error', () => {});
      const limit = setTimeout(() => child.kill('SIGKILL'), EXIT_LIMIT_MS);
      const code = await exit;
      clearTimeout(limit);
      s.destroy();
      assert.equal(code, 0, output());
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  test('host.close() still closes everything: a pending accept is interrupted and the port is free again', async () => {
    const host = new HostNetwork();
    // A quiet port (below the ephemeral range): no other process is handed it between
    // host.close() and the listen below that checks it is free.
    const server = await listen(host, { address: '127.0.0.1', port: await quietPort() });
    const port = server.localAddress.port;
    const c = await connect(host, { address: '127.0.0.1', port });
    const a = await server.accept();
    const pending = server.accept().then(() => null, (err: unknown) => err);
    await host.close();
    const e = await pending;
    assert.ok(e instanceof Error && 'codeName' in e && e.codeName === 'WSAEINTR', String(e));
    assert.equal(await c.read().catch((err: unknown) => (err as { codeName?: string }).codeName), 'WSAENOTSOCK');
    void a;
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', resolve);
    });
    again.close();
  });
});
