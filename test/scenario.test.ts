/** The wsp command: bundled scenarios, reports, JSON, and bad input (one line, exit 2, nothing half-written). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { parseScenarioText, validateScenario } from '../src/scenario/schema.js';
import { runScenario } from '../src/scenario/run.js';

// The CLI compiled next to this test (build/src/cli/wsp.js under `npm test`, or the same place in
// any other output folder); the bundled scenarios from the project (two levels up from build/test,
// else the working directory).
const WSP = fileURLToPath(new URL('../src/cli/wsp.js', import.meta.url));
const ROOT = [fileURLToPath(new URL('../../', import.meta.url)), process.cwd()].find((d) => existsSync(join(d, 'examples/scenarios')))!;
const SCENARIOS = join(ROOT, 'examples/scenarios');
const dir = mkdtempSync(join(tmpdir(), 'wsp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function wsp(...args: string[]) {
  const r = spawnSync(process.execPath, [WSP, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}
function scenarioFile(name: string, content: string): string {
  const f = join(dir, name);
  writeFileSync(f, content);
  return f;
}

describe('bundled scenarios', () => {
  for (const file of readdirSync(SCENARIOS).filter((f) => f.endsWith('.json'))) {
    test(`${file} runs and writes a report and a capture`, () => {
      const report = join(dir, `${file}.html`);
      const capture = join(dir, `${file}.pcap`);
      const r = wsp('scenario', join(SCENARIOS, file), '--report', report, '--capture', capture);
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /listener\s+queued\s+accepted/);
      const html = readFileSync(report, 'utf8');
      assert.match(html, /<svg id="queue-chart"/);
      assert.match(html, /<svg id="outcome-chart"/);
      assert.doesNotMatch(html, /<script|https?:\/\//, 'self-contained: no scripts, no outside resources');
      assert.ok(readFileSync(capture).length > 24, 'capture written');
    });
  }

  test('burst against a small backlog: a backlog of 5 refuses most of a 60-client storm (Windows: RST)', () => {
    const parsed = parseScenarioText(readFileSync(join(SCENARIOS, 'burst-small-backlog.json'), 'utf8'));
    assert.ok(parsed.ok);
    const r = runScenario(parsed.scenario);
    const web = r.listeners.web!;
    assert.equal(web.queued + web.refusedFull, 60);
    assert.ok(web.refusedFull > 30, JSON.stringify(web));
    assert.equal(Math.max(...r.timeline.map((s) => s.queues.web!)), 5, 'the queue never holds more than the backlog');
  });

  test('backlog lowered under load: the excess is reset, and the clients see WSAECONNRESET', () => {
    const parsed = parseScenarioText(readFileSync(join(SCENARIOS, 'backlog-lowered.json'), 'utf8'));
    assert.ok(parsed.ok);
    const r = runScenario(parsed.scenario);
    assert.ok(r.listeners.api!.resetByListener > 0);
    assert.equal(r.clientHosts.clients!.reset, r.listeners.api!.resetByListener);
    assert.ok(r.timeline.filter((s) => s.timeMs > 260).every((s) => s.queues.api! <= 3));
  });

  test('descriptor exhaustion and recovery: refusals for lack of descriptors, then accepted again', () => {
    const parsed = parseScenarioText(readFileSync(join(SCENARIOS, 'descriptor-exhaustion.json'), 'utf8'));
    assert.ok(parsed.ok);
    const r = runScenario(parsed.scenario);
    assert.ok(r.listeners.db!.refusedNoDescriptor > 0);
    const last = r.timeline[r.timeline.length - 1]!;
    assert.ok(last.accepted > 20, 'accepting again once held connections are released');
  });

  test('--json prints the same numbers for scripts', () => {
    const r = wsp('scenario', join(SCENARIOS, 'burst-small-backlog.json'), '--json');
    assert.equal(r.status, 0, r.err);
    const result = JSON.parse(r.out) as { listeners: Record<string, { queued: number }>; timeline: unknown[] };
    assert.equal(typeof result.listeners.web!.queued, 'number');
    assert.ok(result.timeline.length > 10);
  });
});

describe('bad input: one clear line, exit status 2, nothing half-written', () => {
  const good = readFileSync(join(SCENARIOS, 'burst-small-backlog.json'), 'utf8');
  const cases: [string, () => string[], RegExp][] = [
    ['an unknown command', () => ['scenarios'], /unknown command "scenarios"/],
    ['an unknown flag', () => ['scenario', scenarioFile('ok.json', good), '--colour'], /unknown option "--colour"/],
    ['a flag without its value', () => ['scenario', scenarioFile('ok2.json', good), '--report'], /--report needs a file name/],
    ['a missing file', () => ['scenario', join(dir, 'nope.json')], /cannot read .*nope\.json: ENOENT/],
    ['malformed JSON', () => ['scenario', scenarioFile('bad.json', '{\n  "hosts": [\n    { "name": "a", }\n  ]\n}')], /bad\.json: line 3, column \d+: malformed JSON/],
    ['a negative count', () => ['scenario', scenarioFile('neg.json', good.replace('"count": 60', '"count": -3'))], /clients\[0\]\.count: must be an integer from 1 to 1000000, got -3/],
    ['port 70000', () => ['scenario', scenarioFile('port.json', good.replace('"port": 80', '"port": 70000'))], /listeners\[0\]\.port: must be an integer from 1 to 65535, got 70000/],
    ['a host nobody defined', () => ['scenario', scenarioFile('host.json', good.replace('"home"]', '"garage"]'))], /clients\[0\]\.from\[1\]: no host named "garage"/],
  ];
  for (const [what, args, message] of cases) {
    test(what, () => {
      const report = join(dir, `${what.replace(/\W+/g, '-')}.html`);
      const r = wsp(...args(), ...(args()[0] === 'scenario' && !args().includes('--report') ? ['--report', report] : []));
      assert.equal(r.status, 2, r.err);
      assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
      assert.match(r.err, message);
      assert.equal(r.out, '');
      assert.ok(!existsSync(report), 'no report written');
      assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.partial-')), [], 'no partial file left');
    });
  }

  test('every problem is found, each with its path', () => {
    const v = validateScenario({ hosts: [{ name: 'a', addresses: [] }], listeners: [{ name: 'l', host: 'b', address: 'x', port: 0 }], clients: 'many', bogus: 1 });
    assert.equal(v.ok, false);
    const errors = v.ok ? [] : v.errors;
    for (const want of ['scenario.bogus: unknown field', 'hosts[0].addresses: needs at least one address', 'listeners[0].host: no host named "b"', 'listeners[0].port: must be an integer', 'clients: must be a list']) {
      assert.ok(errors.some((e) => e.startsWith(want)), `${want} in ${JSON.stringify(errors)}`);
    }
  });
});
