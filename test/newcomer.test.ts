/**
 * What a newcomer meets (issue 13, item 9): the README names the programs `npm test` needs and
 * the tests skip (or, in CI, fail) clearly without them; `npx wsp` works after `npm install`;
 * `npm run example:*` starts at once and answers bad flags and a taken port with one line; the
 * demonstration speaks of Microsoft's documentation, not of internal notes.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runDemo } from '../src/cli/demo.js';
import { parseHttpArgs } from '../examples/http-server.js';
import { PEERS, needsMessage, peerStatus } from './peers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BUILD = join(ROOT, 'build');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; bin: Record<string, string> };
/** A directory with nothing in it: a PATH on which none of the peer programs is found. */
const EMPTY = mkdtempSync(join(tmpdir(), 'winsock-spi-empty-path-'));
after(() => rmSync(EMPTY, { recursive: true, force: true }));

/** The environment of a child, without CI (or with `ci`), and PATH replaced when `path` is given. */
function env(options: { ci?: string; path?: string } = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e.CI;
  delete e.NODE_TEST_CONTEXT; // set by the runner of this file; a child `node --test` must not see it
  if (options.ci !== undefined) e.CI = options.ci;
  if (options.path !== undefined) e.PATH = options.path;
  return e;
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('the programs npm test needs beyond npm', () => {
  test('the README names each of them with the package to install, and says what happens without them', () => {
    const readme = read('README.md');
    for (const [program, pkgName] of Object.entries(PEERS)) {
      assert.ok(new RegExp(`\\b${program}\\b`).test(readme), `README names ${program}`);
      assert.ok(new RegExp(`apt-get install[^\\n]*\\b${pkgName}\\b`).test(readme), `README installs ${pkgName}`);
    }
    assert.ok(/skipped/.test(readme) && /\bCI=true\b/.test(readme), 'README says what happens without them, and in CI');
  });

  test('.ci/run installs every one of them and sets CI, so that a missing one fails there', () => {
    const ci = read('.ci/run');
    for (const [program, pkgName] of Object.entries(PEERS)) {
      assert.match(ci, new RegExp(`command -v ${program} >/dev/null \\|\\| need\\+=\\(${pkgName}\\)`), `.ci/run installs ${pkgName}`);
    }
    assert.match(ci, /^export CI=true$/m);
  });

  test('peerStatus: nothing to do, a skip with the install line, or (CI) a failure', () => {
    const here = { ...process.env, PATH: process.env.PATH ?? '' };
    const none = { PATH: EMPTY };
    assert.deepEqual(peerStatus([], none), { missing: [] });
    assert.deepEqual(peerStatus(['tshark'], none), { missing: ['tshark'], skip: 'needs tshark: apt-get install tshark' });
    assert.deepEqual(peerStatus(['nc', 'curl'], { ...none, CI: 'false' }).skip, 'needs nc, curl: apt-get install netcat-openbsd curl');
    const ci = peerStatus(['nc'], { ...none, CI: 'true' });
    assert.equal(ci.skip, undefined);
    assert.match(ci.fail!, /^needs nc: apt-get install netcat-openbsd \(CI is set/);
    assert.equal(needsMessage(['chromium']), 'needs chromium: apt-get install chromium');
    // node itself is on this PATH; so is every peer when the machine has them (CI).
    assert.equal(peerStatus(['node' as keyof typeof PEERS], here).missing.length, 0);
  });

  const files = ['browser', 'capture', 'real-peers'].map((f) => join(BUILD, 'test', `${f}.test.js`));
  // Only the tests that need a program (the others are not what this is about, and take time).
  const pattern = '--test-name-pattern=Chromium|tshark|curl|python3|nc:';
  const nodeTest = (args: string[], e: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...args], { encoding: 'utf8', env: e, timeout: 120_000 });

  test('without them, the tests that need them are skipped, each with the line that installs its program', () => {
    const r = nodeTest([pattern, ...files], env({ path: EMPTY }));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const skips = lines(r.stdout).filter((l) => /^\s*ok .*# SKIP needs /.test(l)).map((l) => l.replace(/^.*# SKIP /, ''));
    assert.deepEqual([...new Set(skips)].sort(), [
      'needs chromium: apt-get install chromium',
      'needs curl: apt-get install curl',
      'needs nc: apt-get install netcat-openbsd',
      'needs python3: apt-get install python3',
      'needs tshark: apt-get install tshark',
    ]);
    // Both browser tests, the capture test, curl, python3, nc twice, the python3 suite.
    assert.ok(skips.length >= 8, skips.join('\n'));
    assert.match(r.stdout, /^# fail 0$/m);
  });

  test('with CI set, a missing program is a failure that names it and how to install it, and the tests that need it run', () => {
    const file = join(EMPTY, 'ci.test.mjs');
    writeFileSync(file, `
      import { test } from 'node:test';
      import { needs } from ${JSON.stringify(pathToFileURL(join(BUILD, 'test', 'peers.js')).href)};
      test('a test that needs chromium', needs('chromium'), () => console.log('it ran'));
      test('another that needs chromium and tshark', needs('chromium', 'tshark'), () => {});`);
    const r = nodeTest([file], env({ path: EMPTY, ci: 'true' }));
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^not ok \d+ - chromium installed$/m);
    assert.match(r.stdout, /^not ok \d+ - tshark installed$/m);
    assert.match(r.stdout, /needs chromium: apt-get install chromium \(CI is set, so a missing program is a failure/);
    assert.match(r.stdout, /^ok \d+ - a test that needs chromium$/m);
    assert.match(r.stdout, /^# fail 2$/m);
    assert.doesNotMatch(r.stdout, /# SKIP/);
  });
});

describe('npx wsp right after npm install', () => {
  test('npm install (and npm ci) build dist/ through the prepare script; the wsp command is in it', () => {
    assert.match(pkg.scripts.prepare ?? '', /^npm run --silent build$/);
    assert.match(pkg.scripts.build ?? '', /tsc -b tsconfig\.build\.json/);
    assert.match(pkg.bin.wsp ?? '', /^\.\/dist\//);
    assert.match(read(pkg.bin.wsp!), /^#!\/usr\/bin\/env node\n/);
    // tsc writes it without the execute bit; npm sets it when it links a package's commands, but
    // not after a plain `npm run build` (npx wsp: "Permission denied"), so the build sets it.
    assert.equal(statSync(join(ROOT, pkg.bin.wsp!)).mode & 0o111, 0o111, `${pkg.bin.wsp} is executable`);
  });

  test('the incremental builds keep their state inside their output folders, so deleting a folder rebuilds it', () => {
    for (const [file, outDir] of [['tsconfig.build.json', 'dist'], ['tsconfig.examples.json', 'build/run']] as const) {
      const options = (JSON.parse(read(file)) as { compilerOptions: { outDir: string; tsBuildInfoFile: string } }).compilerOptions;
      assert.equal(options.outDir, outDir);
      assert.match(options.tsBuildInfoFile, new RegExp(`^${outDir}/[\\w.]+\\.tsbuildinfo$`), file);
    }
  });

  test('npx wsp finds the project\'s own command and runs it', () => {
    const r = spawnSync('npx', ['--no-install', 'wsp', 'help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wsp demo/);
  });
});

describe('npm run example:*', () => {
  const npmRun = (args: string[]): SpawnSyncReturns<string> & { ms: number } => {
    const t0 = performance.now();
    const r = spawnSync('npm', ['run', '--silent', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    return Object.assign(r, { ms: performance.now() - t0 });
  };

  test('builds only the examples and what they import (src/), incrementally, never the tests', () => {
    const config = JSON.parse(read('tsconfig.examples.json')) as { include: string[]; compilerOptions: { outDir: string; incremental: boolean } };
    assert.deepEqual(config.include, ['examples/*.ts', 'src/**/*.ts']);
    assert.equal(config.compilerOptions.incremental, true);
    for (const name of ['example:echo', 'example:http']) {
      assert.match(pkg.scripts[name]!, /^tsc -b tsconfig\.examples\.json && node build\/run\/examples\/[\w-]+\.js$/, name);
    }
  });

  test('starts at once (a run compiles nothing once built), passes its arguments, and refuses an unknown flag', () => {
    const info = join(BUILD, 'run', 'tsconfig.examples.tsbuildinfo');
    const mtime = () => (existsSync(info) ? statSync(info).mtimeMs : -1);
    // The first run builds what is out of date (npm test has built it already); in a tree others
    // edit at the same time a source may also change between two runs. Then it tries again.
    let r: ReturnType<typeof npmRun> | undefined;
    for (let attempt = 0; attempt < 3 && r === undefined; attempt++) {
      const built = mtime();
      const run = npmRun(['example:http', '--', '--bogus']);
      assert.equal(run.status, 2, run.stderr);
      assert.equal(lines(run.stderr).length, 1, run.stderr);
      assert.match(run.stderr, /^http-server: unknown option "--bogus" \(usage: npm run example:http/);
      if (mtime() === built) r = run;
    }
    assert.ok(r !== undefined, 'every run compiled something');
    // About a second on an idle machine (6 to 10 s when it built all the tests each time); generous for a busy one.
    assert.ok(r.ms < 8000, `npm run example:http took ${Math.round(r.ms)} ms`);
  });
});

describe('examples: bad flags and a taken port', () => {
  const script = (name: string) => join(BUILD, 'examples', name);
  const run = (name: string, ...args: string[]) => spawnSync(process.execPath, [script(name), ...args], { encoding: 'utf8', timeout: 30_000 });

  test('example:http: unknown flags, bad values and stray arguments are refused, each with one line', () => {
    for (const [args, message] of [
      [['--bogus'], 'unknown option "--bogus"'],
      [['-p', '80'], 'unknown option "-p"'],
      [['--port'], '--port needs a port number from 0 to 65535, got nothing'],
      [['--port', 'http'], '--port needs a port number from 0 to 65535, got "http"'],
      [['--port=70000'], '--port needs a port number from 0 to 65535, got "70000"'],
      [['--port', '0', '--port', '1'], '--port given twice'],
      [['8080'], 'unexpected argument "8080"'],
    ] as const) {
      assert.deepEqual(parseHttpArgs(args), { error: message }, args.join(' '));
    }
    assert.deepEqual(parseHttpArgs([]), { help: false, port: undefined, verbose: false });
    assert.deepEqual(parseHttpArgs(['--port', '8080', '--verbose']), { help: false, port: 8080, verbose: true });
    assert.deepEqual(parseHttpArgs(['--port=0']), { help: false, port: 0, verbose: false });
    assert.deepEqual(parseHttpArgs(['--help']), { help: true });
  });

  test('example:echo takes no flags: one line and exit status 2', () => {
    const r = run('echo.js', '--port', '80');
    assert.equal(r.status, 2);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /^echo: unknown option "--port"/);
  });

  test('example:http -- --port P with P taken: one clear line, a non-zero exit status, and no waiting', async () => {
    const holder = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    try {
      const port = (holder.address() as net.AddressInfo).port;
      const child = spawn(process.execPath, [script('http-server.js'), '--port', String(port)], { timeout: 20_000, killSignal: 'SIGKILL' });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.once('close', (c, s) => r([c, s])));
      assert.equal(signal, null, 'it ended by itself');
      assert.equal(code, 1, err);
      assert.equal(out, '');
      assert.deepEqual(lines(err), [
        `http-server: port ${port} on 127.0.0.1 is already in use (WSPBind(127.0.0.1:${port}): WSAEADDRINUSE); choose another --port, or --port 0 for any free port`,
      ]);
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });
});

describe('words a reader understands', () => {
  const demo = () => {
    const out: string[] = [];
    runDemo((l) => out.push(l));
    return out.join('\n');
  };

  test('the demonstration quotes "the documentation" (Microsoft\'s WSPListen page), never "the seed"', () => {
    const text = demo();
    assert.match(text, /"The documentation" is Microsoft's\s+documentation of WSPListen/);
    assert.match(text, /the documentation says/);
    assert.match(text, /"a later call\n.*to WSPListen or WSPAccept will re-fill the queue \.\.\. and resume listening"/);
    // "seed" only as the virtual network's random seed.
    for (const l of lines(text).filter((x) => /seed/i.test(x))) assert.match(l, /random seed \d+|Same seed, same run/, l);
  });

  test('README and docs/*.md use "seed" only for the random seed', () => {
    const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    for (const file of docs) {
      for (const l of lines(read(file)).filter((x) => /\bseed\b/i.test(x))) {
        assert.doesNotMatch(l, /\bthe seed\b(?! of)|\bseed (says|text|document)/i, `${file}: ${l}`);
      }
    }
  });
});
