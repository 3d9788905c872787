/**
 * The library in a browser: the main entry point imports no `node:` module, so headless
 * Chromium loads dist/ as ES modules, runs a scenario on the virtual network and renders its
 * report's charts, with no console error. Without chromium the tests are skipped (test/peers.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { needs } from './peers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Loads a URL in headless Chromium; returns the DOM after scripts ran, and Chromium's log. */
function chromium(url: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('chromium', [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage',
      '--enable-logging=stderr', '--v=0', '--virtual-time-budget=20000', '--dump-dom', url,
    ], { timeout: 90_000, maxBuffer: 16 << 20, env: { ...process.env, http_proxy: '', https_proxy: '', HTTP_PROXY: '', HTTPS_PROXY: '' } },
    (err, out, errOut) => (err !== null && out === '' ? reject(new Error(`chromium failed (is Debian's chromium installed? .ci/run installs it): ${err.message}\n${errOut}`)) : resolve({ stdout: out, stderr: errOut })));
  });
}
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.json': 'application/json' };

test('headless Chromium runs a scenario from dist/ and renders the report charts without console errors', needs('chromium'), async (t) => {
  const server = createServer(async (req, res) => {
    const path = req.url === '/' ? '/test/fixtures/browser-page.html' : decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(ROOT, path));
    if (!file.startsWith(ROOT) || !/^\/(dist|examples|test\/fixtures)\//.test(path)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const { stdout, stderr } = await chromium(`http://127.0.0.1:${port}/`);
  assert.match(stdout, /<title>done: \d+ queued<\/title>/, 'the scenario ran in the page');
  assert.match(stdout, /<svg id="queue-chart"[^>]*>.*<path d="M/s, 'the queue chart has a line');
  assert.match(stdout, /<svg id="outcome-chart"/);
  assert.match(stdout, /<pre id="errors"><\/pre>/, `no error on the page: ${/<pre id="errors">([^<]*)/.exec(stdout)?.[1]}`);
  assert.doesNotMatch(stderr, /Uncaught|CONSOLE\(\d+\)\] "(Error|TypeError)/, 'no console error');
});

test('a report written by wsp opens offline in headless Chromium with both charts', needs('chromium'), async () => {
  const { parseScenarioText, runScenario, reportHtml } = await import('../src/index.js');
  const parsed = parseScenarioText(await readFile(join(ROOT, 'examples/scenarios/backlog-lowered.json'), 'utf8'));
  assert.ok(parsed.ok);
  const dir = mkdtempSync(join(tmpdir(), 'wsp-report-'));
  try {
    const file = join(dir, 'report.html');
    writeFileSync(file, reportHtml(runScenario(parsed.scenario)));
    const { stdout, stderr } = await chromium(`file://${file}`);
    assert.match(stdout, /<svg id="queue-chart"[^>]*>.*<path d="M/s);
    assert.match(stdout, /<svg id="outcome-chart"[^>]*>.*<path d="M/s);
    assert.match(stdout, /WSPListen again with backlog 3/);
    assert.doesNotMatch(stderr, /Uncaught|ERR_FILE_NOT_FOUND/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
