/**
 * The wsp command never shows a stack trace, never leaves half output, and never lets a name
 * reach Object.prototype (issue 13, item 8). Every test spawns the built CLI with node.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { parseScenarioText } from '../src/scenario/schema.js';
import { OUTCOMES, runScenario, type ScenarioResult } from '../src/scenario/run.js';

// The CLI compiled next to this test: build/src/cli/wsp.js under `npm test`, or the same place
// in any other output folder the tests were compiled to.
const WSP = fileURLToPath(new URL('../src/cli/wsp.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wsp-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  out: string;
  err: string;
}

/** Runs `node [nodeArgs] wsp.js args` in `cwd`, without any WSP_DEBUG of the caller. */
function wsp(args: string[], options: { env?: Record<string, string>; nodeArgs?: string[]; cwd?: string } = {}): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (options.env?.WSP_DEBUG === undefined) delete env.WSP_DEBUG;
  const r = spawnSync(process.execPath, [...(options.nodeArgs ?? []), WSP, ...args], { encoding: 'utf8', timeout: 60_000, env, cwd: options.cwd ?? dir });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** One line on stderr starting with "wsp: ", matching `message`, nothing on stdout, no stack trace. */
function assertOneLine(r: Run, status: number, message: RegExp): void {
  assert.equal(r.status, status, `exit status; stderr: ${r.err}`);
  assert.doesNotMatch(r.err, /^\s+at /m, 'no stack trace');
  assert.equal(r.err.split('\n').filter((l) => l !== '').length, 1, `one line: ${r.err}`);
  assert.match(r.err, /^wsp: /);
  assert.match(r.err, message);
  assert.equal(r.out, '', 'nothing on stdout');
}

/** A fresh directory for one test's files. */
let n = 0;
function workDir(): string {
  const d = join(dir, `t${++n}`);
  mkdirSync(d);
  return d;
}
const write = (path: string, content: string): string => {
  writeFileSync(path, content);
  return path;
};
const noPartials = (d: string) => assert.deepEqual(readdirSync(d).filter((f) => f.includes('.partial-')), [], 'no temporary file left');

/** A small valid scenario: a server with a backlog of 3 and a burst of clients from two hosts. */
function scenario(names: { server?: string; a?: string; b?: string; listener?: string; clients?: string } = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { server = 'server', a = 'office', b = 'home', listener = 'web', clients = 'storm' } = names;
  return {
    name: 'cli test', seed: 7, durationMs: 120,
    hosts: [{ name: server, addresses: ['10.0.0.1'] }, { name: a, addresses: ['10.0.1.1'] }, { name: b, addresses: ['10.0.2.1'] }],
    listeners: [{ name: listener, host: server, address: '10.0.0.1', port: 80, backlog: 3, accept: { everyMs: 20, startMs: 30 } }],
    clients: [{ name: clients, from: [a, b], to: listener, count: 12, pattern: 'uniform', spreadMs: 40 }],
    ...extra,
  };
}
const scenarioFile = (d: string, s: unknown, name = 'scenario.json') => write(join(d, name), JSON.stringify(s, null, 2));

describe('1. output paths in a missing directory or naming a directory: one line, exit 2', () => {
  const cases: [string, (d: string) => string[], RegExp][] = [
    ['--report in a missing directory', (d) => ['--report', join(d, 'missing', 'r.html')], /--report .*r\.html: the directory .*missing does not exist/],
    ['--report naming a directory', (d) => ['--report', d], /--report .*: is a directory, not a file/],
    ['--capture in a missing directory', (d) => ['--capture', join(d, 'missing', 'run.pcap')], /--capture .*run\.pcap: the directory .*missing does not exist/],
    ['--capture naming a directory', (d) => ['--capture', d], /--capture .*: is a directory, not a file/],
    ['--capture naming a directory with a trailing slash', (d) => ['--capture', `${d}/`], /--capture .*: names a directory, not a file/],
  ];
  for (const [what, outputs, message] of cases) {
    test(what, () => {
      const d = workDir();
      const file = scenarioFile(d, scenario());
      assertOneLine(wsp(['scenario', file, ...outputs(d)]), 2, message);
      assert.deepEqual(readdirSync(d), ['scenario.json'], 'nothing written');
    });
  }

  test('--report and --capture naming the same file, or the scenario file itself', () => {
    const d = workDir();
    const file = scenarioFile(d, scenario());
    assertOneLine(wsp(['scenario', file, '--report', join(d, 'x'), '--capture', join(d, 'x')]), 2, /--capture .*x: would overwrite the --report file/);
    assertOneLine(wsp(['scenario', file, '--report', file]), 2, /would overwrite the scenario file/);
    assert.deepEqual(readdirSync(d), ['scenario.json']);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), scenario(), 'the scenario file is untouched');
  });
});

describe('2. host addresses: not an IP address, loopback, or used twice: one line naming the host, exit 2', () => {
  const withOffice = (addresses: string[], serverAddresses = ['10.0.0.1']) => {
    const s = scenario();
    const hosts = s.hosts as { name: string; addresses: string[] }[];
    hosts[0]!.addresses = serverAddresses;
    hosts[1]!.addresses = addresses;
    return s;
  };
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['not an IP address', withOffice(['banana']), /hosts\[1\]\.addresses\[0\]: host "office": "banana" is not an IP address/],
    ['not an IP address (out of range)', withOffice(['10.0.0.256']), /host "office": "10\.0\.0\.256" is not an IP address/],
    ['IPv4 loopback', withOffice(['127.8.9.10']), /hosts\[1\]\.addresses\[0\]: host "office": 127\.8\.9\.10 is a loopback address/],
    ['IPv6 loopback', withOffice(['10.0.1.1', '::1']), /hosts\[1\]\.addresses\[1\]: host "office": ::1 is a loopback address/],
    ['the wildcard address', withOffice(['0.0.0.0']), /host "office": 0\.0\.0\.0 is the wildcard address/],
    ['used by two hosts', withOffice(['10.0.0.1']), /hosts\[1\]\.addresses\[0\]: host "office": 10\.0\.0\.1 is used twice \(also by host "server"\)/],
    ['used by two hosts, written differently', withOffice(['fe80::1'], ['10.0.0.1', 'FE80:0:0::1']), /host "office": fe80::1 is used twice \(also by host "server"\)/],
  ];
  for (const [what, s, message] of cases) {
    test(what, () => {
      const d = workDir();
      assertOneLine(wsp(['scenario', scenarioFile(d, s)]), 2, message);
    });
  }
});

/** A child-process check: at exit, did anything add or change a property of the built-ins? */
const POLLUTION_CHECK = `
const watched = { 'Object.prototype': Object.prototype, Object, 'Function.prototype': Function.prototype,
  'Object.prototype.hasOwnProperty': Object.prototype.hasOwnProperty, 'Object.prototype.toString': Object.prototype.toString,
  'Array.prototype': Array.prototype };
const snapshot = () => JSON.stringify(Object.entries(watched).map(([k, o]) => [k, Object.getOwnPropertyNames(o).sort()]));
const before = snapshot();
process.on('exit', () => {
  const probes = [({}).polluted, ({}).accepted, ({}).refused, ({}).queued, ({}).failed, Object.accepted];
  if (snapshot() !== before || probes.some((p) => p !== undefined)) {
    process.stderr.write('POLLUTED\\n');
    process.exitCode = 99;
  }
});
`;

describe('3. names such as __proto__ and constructor never reach Object.prototype', () => {
  const WEIRD = { server: '__proto__', a: 'constructor', b: 'hasOwnProperty', listener: 'prototype', clients: '__proto__' };
  const WEIRD2 = { server: 'toString', a: '__proto__', b: 'valueOf', listener: '__proto__', clients: 'constructor' };
  const plain = () => {
    const parsed = parseScenarioText(JSON.stringify(scenario()));
    assert.ok(parsed.ok);
    return runScenario(parsed.scenario);
  };
  /** The result with names mapped back to the plain ones, for comparison. */
  const renamed = (r: ScenarioResult, names: typeof WEIRD) => ({
    listeners: r.listeners[names.listener],
    office: r.clientHosts[names.a],
    home: r.clientHosts[names.b],
    listenerKeys: Object.keys(r.listeners),
    hostKeys: Object.keys(r.clientHosts).sort(),
  });

  for (const names of [WEIRD, WEIRD2]) {
    test(`in process: ${JSON.stringify(names)} are accepted, the counts are right, nothing is polluted`, () => {
      const builtins = [Object.prototype, Object, Function.prototype, Object.prototype.hasOwnProperty, Object.prototype.toString];
      const before = builtins.map((o) => Object.getOwnPropertyNames(o).sort());
      const parsed = parseScenarioText(JSON.stringify(scenario(names)));
      assert.ok(parsed.ok, JSON.stringify(parsed));
      const r = runScenario(parsed.scenario);
      assert.deepEqual(builtins.map((o) => Object.getOwnPropertyNames(o).sort()), before, 'no property added to a built-in');
      const probe = {} as Record<string, unknown>;
      for (const k of ['polluted', 'accepted', 'refused', 'queued', 'failed', 'reset']) assert.equal(probe[k], undefined, k);
      assert.equal((Object as unknown as Record<string, unknown>).accepted, undefined);
      const p = plain();
      const got = renamed(r, names);
      assert.deepEqual({ ...got.listeners }, { ...p.listeners.web });
      assert.deepEqual({ ...got.office }, { ...p.clientHosts.office });
      assert.deepEqual({ ...got.home }, { ...p.clientHosts.home });
      assert.deepEqual(got.listenerKeys, [names.listener]);
      assert.deepEqual(got.hostKeys, [names.a, names.b].sort());
      assert.ok(p.listeners.web!.accepted > 0 && p.clientHosts.office!.refused > 0, 'the scenario does something');
    });
  }

  test('through the CLI: the table and the JSON name them, with the same numbers as plain names', () => {
    const d = workDir();
    const check = write(join(d, 'check.mjs'), POLLUTION_CHECK);
    const nodeArgs = ['--import', pathToFileURL(check).href];
    const p = JSON.parse(wsp(['scenario', scenarioFile(d, scenario(), 'plain.json'), '--json'], { nodeArgs }).out) as ScenarioResult;
    const file = scenarioFile(d, scenario(WEIRD));
    const json = wsp(['scenario', file, '--json'], { nodeArgs });
    assert.equal(json.status, 0, json.err);
    assert.equal(json.err, '');
    const r = JSON.parse(json.out) as ScenarioResult; // JSON.parse makes "__proto__" an own key
    assert.deepEqual(Object.keys(r.listeners), ['prototype']);
    assert.deepEqual(Object.keys(r.clientHosts).sort(), ['constructor', 'hasOwnProperty']);
    assert.deepEqual(r.listeners.prototype, p.listeners.web);
    assert.deepEqual(r.clientHosts.constructor, p.clientHosts.office);
    assert.deepEqual(r.clientHosts.hasOwnProperty, p.clientHosts.home);
    assert.ok(r.timeline.every((s) => Object.keys(s.queues).join() === 'prototype'));

    const table = wsp(['scenario', scenarioFile(d, scenario(WEIRD2), 'weird2.json'), '--report', join(d, 'r.html')], { nodeArgs });
    assert.equal(table.status, 0, table.err);
    assert.equal(table.err, '');
    const used = OUTCOMES.filter((o) => Object.values(p.clientHosts).some((h) => h[o] > 0));
    const web = p.listeners.web!;
    const listenerRow = [web.queued, web.accepted, web.refusedFull, web.refusedNoDescriptor, web.resetByListener, web.withdrawn];
    assert.match(table.out, new RegExp(`^__proto__\\s+${listenerRow.join('\\s+')}$`, 'm'), table.out);
    assert.match(table.out, new RegExp(`^__proto__\\s+${used.map((o) => p.clientHosts.office![o]).join('\\s+')}$`, 'm'), table.out);
    assert.match(table.out, /^valueOf\s+\d/m);
    assert.match(readFileSync(join(d, 'r.html'), 'utf8'), /<td>__proto__<\/td>/);
  });

  test('"__proto__" and "constructor" as keys in the scenario file: rejected as unknown fields, nothing polluted', () => {
    const d = workDir();
    const check = write(join(d, 'check.mjs'), POLLUTION_CHECK);
    const good = JSON.stringify(scenario());
    const top = good.replace('{', '{ "__proto__": { "polluted": 1, "hosts": [] },');
    const inHost = good.replace('"name": "office"', '"constructor": { "prototype": { "polluted": 1 } }, "name": "office"').replace('"name":"office"', '"constructor":{"prototype":{"polluted":1}},"name":"office"');
    assert.notEqual(inHost, good);
    for (const [text, message] of [[top, /scenario\.__proto__: unknown field/], [inHost, /hosts\[1\]\.constructor: unknown field/]] as const) {
      const parsed = parseScenarioText(text);
      assert.equal(parsed.ok, false);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      const r = wsp(['scenario', write(join(d, 'keys.json'), text)], { nodeArgs: ['--import', pathToFileURL(check).href] });
      assertOneLine(r, 2, message);
    }
  });

  test('a listener named twice is an error, not a silent overwrite', () => {
    const d = workDir();
    const s = scenario();
    (s.listeners as unknown[]).push({ name: 'web', host: 'server', address: '10.0.0.1', port: 81 });
    assertOneLine(wsp(['scenario', scenarioFile(d, s)]), 2, /listeners\[1\]\.name: "web" is used twice/);
  });
});

/** A preload that makes renameSync fail (EIO) for targets ending with $FAIL_RENAME. */
const RENAME_FAILS = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const rename = fs.renameSync;
fs.renameSync = (from, to) => {
  if (String(to).endsWith(process.env.FAIL_RENAME)) throw Object.assign(new Error('simulated failure'), { code: 'EIO' });
  return rename(from, to);
};
syncBuiltinESMExports();
`;

describe('4. when any output fails, no output file is left', () => {
  test('a report that cannot be written: no capture either', () => {
    const d = workDir();
    const file = scenarioFile(d, scenario());
    mkdirSync(join(d, 'report.html'));
    assertOneLine(wsp(['scenario', file, '--report', join(d, 'report.html'), '--capture', join(d, 'run.pcap')]), 2, /--report .*report\.html: is a directory/);
    assert.ok(!existsSync(join(d, 'run.pcap')), 'no capture');
    noPartials(d);
  });

  for (const [failing, kept, status] of [['.pcap', 'report.html', 1], ['.html', 'run.pcap', 1]] as const) {
    test(`renaming the ${failing} output into place fails: the other output is not left either`, () => {
      const d = workDir();
      const file = scenarioFile(d, scenario());
      const preload = write(join(d, 'rename.mjs'), RENAME_FAILS);
      const r = wsp(['scenario', file, '--report', join(d, 'report.html'), '--capture', join(d, 'run.pcap')], {
        nodeArgs: ['--import', pathToFileURL(preload).href], env: { FAIL_RENAME: failing },
      });
      assertOneLine(r, status, /cannot write: EIO \(input\/output error\)/);
      assert.ok(!existsSync(join(d, kept)), `no ${kept}`);
      assert.deepEqual(readdirSync(d).sort(), ['rename.mjs', 'scenario.json']);
    });
  }

  test('a report that replaced an earlier one, when the capture then fails: the earlier report comes back', () => {
    const d = workDir();
    const file = scenarioFile(d, scenario());
    write(join(d, 'report.html'), 'the earlier report');
    const preload = write(join(d, 'rename.mjs'), RENAME_FAILS);
    const r = wsp(['scenario', file, '--report', join(d, 'report.html'), '--capture', join(d, 'run.pcap')], {
      nodeArgs: ['--import', pathToFileURL(preload).href], env: { FAIL_RENAME: '.pcap' },
    });
    assertOneLine(r, 1, /--capture .*run\.pcap: cannot write: EIO/);
    assert.equal(readFileSync(join(d, 'report.html'), 'utf8'), 'the earlier report');
    assert.deepEqual(readdirSync(d).sort(), ['rename.mjs', 'report.html', 'scenario.json']);
  });

  test('stdout failing after the files were renamed: they go too', () => {
    const d = workDir();
    const preload = write(join(d, 'stdout.mjs'), "process.stdout.write = () => { throw new Error('disk on fire'); };\n");
    const r = wsp(['scenario', scenarioFile(d, scenario()), '--report', join(d, 'report.html'), '--capture', join(d, 'run.pcap')], {
      nodeArgs: ['--import', pathToFileURL(preload).href],
    });
    assertOneLine(r, 1, /disk on fire/);
    assert.deepEqual(readdirSync(d).sort(), ['scenario.json', 'stdout.mjs']);
  });

  test('when everything succeeds, both are there (replacing earlier ones) and nothing else', () => {
    const d = workDir();
    write(join(d, 'report.html'), 'the earlier report');
    const r = wsp(['scenario', scenarioFile(d, scenario()), '--report', join(d, 'report.html'), '--capture', join(d, 'run.pcap')]);
    assert.equal(r.status, 0, r.err);
    assert.deepEqual(readdirSync(d).sort(), ['report.html', 'run.pcap', 'scenario.json']);
    assert.match(readFileSync(join(d, 'report.html'), 'utf8'), /<svg id="queue-chart"/);
  });
});

describe('5. a UTF-8 byte-order mark', () => {
  test('at the start of the scenario file is accepted', () => {
    const d = workDir();
    const file = write(join(d, 'bom.json'), `\uFEFF${JSON.stringify(scenario(), null, 2)}`);
    assert.equal(readFileSync(file)[0], 0xef);
    const r = wsp(['scenario', file]);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /^web\s+\d+/m);
  });

  test('and a syntax error after it still names the right line and column', () => {
    const d = workDir();
    const file = write(join(d, 'bom-bad.json'), '\uFEFF{\n  "name": "x",\n}');
    assertOneLine(wsp(['scenario', file]), 2, /line 3, column 1: malformed JSON \(Expected double-quoted property name\)/);
  });
});

test('a JSON syntax error whose message quotes several lines of the file stays one line', () => {
  const d = workDir();
  assertOneLine(wsp(['scenario', write(join(d, 'bad.json'), '{\n  "name": ,\n}')]), 2, /bad\.json: malformed JSON: Unexpected token/);
});

describe('6. --option=value works like --option value', () => {
  test('--report=… and --capture=…', () => {
    const d = workDir();
    const r = wsp(['scenario', scenarioFile(d, scenario()), `--report=${join(d, 'r.html')}`, `--capture=${join(d, 'r.pcap')}`]);
    assert.equal(r.status, 0, r.err);
    assert.match(readFileSync(join(d, 'r.html'), 'utf8'), /<svg id="queue-chart"/);
    assert.ok(readFileSync(join(d, 'r.pcap')).length > 24);
  });

  test('a value containing "=" is kept whole; an empty value, a flag given a value, an option given twice: exit 2', () => {
    const d = workDir();
    const file = scenarioFile(d, scenario());
    const r = wsp(['scenario', file, '--report=a=b.html'], { cwd: d });
    assert.equal(r.status, 0, r.err);
    assert.ok(existsSync(join(d, 'a=b.html')));
    assertOneLine(wsp(['scenario', file, '--report=']), 2, /--report needs a file name/);
    assertOneLine(wsp(['scenario', file, '--json=yes']), 2, /--json takes no value/);
    assertOneLine(wsp(['scenario', file, '--report=x.html', '--report', 'y.html']), 2, /--report given twice/);
  });
});

describe('7. --all-errors', () => {
  const bad = () => ({ hosts: [{ name: 'a', addresses: [] }], listeners: [{ name: 'l', host: 'b', address: 'x', port: 0 }], clients: 'many', bogus: 1 });

  test('without it: the first problem and "(and N more; --all-errors lists them all)"', () => {
    const d = workDir();
    assertOneLine(wsp(['scenario', scenarioFile(d, bad())]), 2, /scenario\.bogus: unknown field .*\(and 5 more; --all-errors lists them all\)$/m);
  });

  test('with it: every problem, one line each', () => {
    const d = workDir();
    const file = scenarioFile(d, bad());
    const r = wsp(['scenario', file, '--all-errors']);
    assert.equal(r.status, 2);
    assert.equal(r.out, '');
    const lines = r.err.trim().split('\n');
    assert.equal(lines.length, 6, r.err);
    assert.ok(lines.every((l) => l.startsWith(`wsp: ${file}: `)), r.err);
    for (const want of ['scenario.bogus: unknown field', 'hosts[0].addresses: needs at least one address', 'listeners[0].address: "x" is not an IP address',
      'listeners[0].host: no host named "b"', 'listeners[0].port: must be an integer', 'clients: must be a list']) {
      assert.ok(lines.some((l) => l.includes(want)), `${want} in ${r.err}`);
    }
    assert.doesNotMatch(r.err, /more/);
  });
});

describe('8. why a listener could not listen and why clients failed, in the terminal table', () => {
  const failing = {
    name: 'failing', durationMs: 200,
    hosts: [{ name: 'server', addresses: ['10.0.0.1'] }, { name: 'tiny', addresses: ['10.0.0.2'], maxSockets: 2 }],
    listeners: [
      { name: 'web', host: 'server', address: '10.0.0.1', port: 80, holdMs: 1000 },
      { name: 'elsewhere', host: 'server', address: '10.0.0.2', port: 81 },
    ],
    clients: [{ from: 'tiny', to: 'web', count: 5, pattern: 'burst' }],
  };

  test('the table says WSAEADDRNOTAVAIL and WSAEMFILE', () => {
    const d = workDir();
    const r = wsp(['scenario', scenarioFile(d, failing), '--report', join(d, 'r.html')]);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /^listener\s+queued.*withdrawn\s+could not listen$/m);
    assert.match(r.out, /^elsewhere\s+0\s+0\s+0\s+0\s+0\s+0\s+WSAEADDRNOTAVAIL$/m);
    assert.match(r.out, /^web\s+2\s+2\s+0\s+0\s+0\s+0$/m, 'a listener that listened has no reason');
    assert.match(r.out, /^client host\s+accepted\s+failed\s+failed because$/m);
    assert.match(r.out, /^tiny\s+2\s+3\s+3 WSAEMFILE$/m);
    const html = readFileSync(join(d, 'r.html'), 'utf8');
    assert.match(html, /<td>WSAEADDRNOTAVAIL<\/td>/);
    assert.match(html, /<td>3 WSAEMFILE<\/td>/);
  });

  test('and the JSON has them as fields', () => {
    const d = workDir();
    const r = wsp(['scenario', scenarioFile(d, failing), '--json']);
    assert.equal(r.status, 0, r.err);
    const result = JSON.parse(r.out) as ScenarioResult;
    assert.equal(result.listeners.elsewhere!.error, 'WSAEADDRNOTAVAIL');
    assert.equal(result.listeners.web!.error, null);
    assert.deepEqual(result.failures, { tiny: { WSAEMFILE: 3 } });
  });

  test('a table without failures has no such columns', () => {
    const d = workDir();
    const r = wsp(['scenario', scenarioFile(d, scenario())]);
    assert.equal(r.status, 0, r.err);
    assert.doesNotMatch(r.out, /could not listen|failed because/);
  });
});

describe('9. an unexpected exception: one line "wsp: …", non-zero exit, a stack trace only with WSP_DEBUG=1', () => {
  const throwing = "process.stdout.write = () => { throw new TypeError('disk on fire'); };\n";

  test('in wsp demo', () => {
    const d = workDir();
    const preload = pathToFileURL(write(join(d, 'throw.mjs'), throwing)).href;
    const r = wsp(['demo'], { nodeArgs: ['--import', preload] });
    assertOneLine(r, 1, /^wsp: internal error: TypeError: disk on fire \(WSP_DEBUG=1 shows the stack trace\)$/m);

    const debug = wsp(['demo'], { nodeArgs: ['--import', preload], env: { WSP_DEBUG: '1' } });
    assert.equal(debug.status, 1);
    assert.match(debug.err, /^wsp: TypeError: disk on fire\n\s+at /);
  });

  test('in wsp scenario, with no file left behind', () => {
    const d = workDir();
    const preload = pathToFileURL(write(join(d, 'throw.mjs'), throwing)).href;
    const r = wsp(['scenario', scenarioFile(d, scenario()), '--report', join(d, 'r.html')], { nodeArgs: ['--import', preload] });
    assertOneLine(r, 1, /^wsp: internal error: TypeError: disk on fire/);
    assert.deepEqual(readdirSync(d).sort(), ['scenario.json', 'throw.mjs']);
  });

  test('wsp help documents WSP_DEBUG, the exit statuses, --all-errors and --option=value', () => {
    const r = wsp(['help']);
    assert.equal(r.status, 0);
    assert.match(r.out, /WSP_DEBUG=1/);
    assert.match(r.out, /Exit status: 0/);
    assert.match(r.out, /--all-errors/);
    assert.match(r.out, /--report=out\.html/);
  });
});

describe('unknown flags: one line, exit 2', () => {
  for (const args of [['scenario', 'x.json', '--verbose'], ['scenario', 'x.json', '--colour=red'], ['scenario', 'x.json', '-v'], ['demo', '--fast'], ['--version']]) {
    test(args.join(' '), () => {
      assertOneLine(wsp(args), 2, /unknown option "(--verbose|--colour|-v|--fast|--version)"/);
    });
  }
});
