/**
 * What keeps the owner's process alive (src/threads/server.ts): a worker terminated while its
 * call waits with a deadline (a 30 s WSPSelect) leaves nothing parked, and the deadline's timer
 * must not hold the process until it comes. The child process is test/fixtures/threads-timer-child.ts
 * (host network, 127.0.0.1).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./fixtures/threads-timer-child.js', import.meta.url));
/** Generous against a slow machine, far below the select's 30 s. */
const EXIT_LIMIT_MS = 10_000;

test('a worker terminated during a 30 s select: the owner process exits within seconds, not at the deadline', async () => {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const limit = setTimeout(() => child.kill('SIGKILL'), EXIT_LIMIT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(limit);
  const ms = performance.now() - t0;
  assert.match(out, /terminated/, out);
  assert.equal(code, 0, `the child did not exit by itself within ${EXIT_LIMIT_MS} ms (exit ${code}, ${Math.round(ms)} ms); output: ${out}`);
});
