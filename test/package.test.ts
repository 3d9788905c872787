/**
 * The published artefact: `npm pack` output imports from plain Node (no TypeScript loader),
 * and the README's example runs against it and prints what the README says. It carries its
 * licence, the bundled scenarios where the docs say they are, and source maps that resolve.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { after, before, test } from 'node:test';

const root = resolve(import.meta.dirname, '..', '..');
let work = '';
/** Paths of the packed files, relative to the package root. */
let packed = new Set<string>();
const pkgDir = () => join(work, 'node_modules', 'winsock-spi');

before(() => {
  work = mkdtempSync(join(tmpdir(), 'winsock-spi-pack-'));
  // dist/ is built by `npm test` before the tests run; --ignore-scripts keeps pack from rebuilding.
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
  const [{ filename, files }] = JSON.parse(out) as [{ filename: string; files: { path: string }[] }];
  packed = new Set(files.map((f) => f.path));
  mkdirSync(pkgDir(), { recursive: true });
  execFileSync('tar', ['-xzf', join(work, filename), '-C', pkgDir(), '--strip-components=1']);
  writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module', private: true }));
});

after(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

function runNode(source: string): string {
  const file = join(work, `script-${Math.abs(hash(source))}.mjs`);
  writeFileSync(file, source);
  return execFileSync(process.execPath, [file], { cwd: work, encoding: 'utf8' });
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

test('the packed package imports from plain Node and exposes the API and constants', () => {
  const out = runNode(`
    import * as w from 'winsock-spi';
    const net = new w.VirtualNetwork();
    const h = net.addHost();
    console.log(JSON.stringify({
      WSAEINVAL: w.WSAEINVAL, WSAECONNREFUSED: w.WSAECONNREFUSED, WSATRY_AGAIN: w.WSATRY_AGAIN,
      SOMAXCONN: w.SOMAXCONN, FIONBIO: w.FIONBIO, AF_INET6: w.AF_INET6, SOL_SOCKET: w.SOL_SOCKET,
      hasListen: typeof h.provider.WSPListen, name: w.errorName(10061),
    }));
  `);
  assert.deepEqual(JSON.parse(out), {
    WSAEINVAL: 10022, WSAECONNREFUSED: 10061, WSATRY_AGAIN: 11002, SOMAXCONN: 0x7fffffff,
    FIONBIO: 0x8004667e, AF_INET6: 23, SOL_SOCKET: 0xffff, hasListen: 'function', name: 'WSAECONNREFUSED',
  });
});

test('the packed package exports winsock-spi/ws2: a catalogue over a provider and ws2_32 over it', () => {
  const out = runNode(`
    import { VirtualNetwork, AF_INET, SOCK_STREAM } from 'winsock-spi';
    import { Catalog, Ws2 } from 'winsock-spi/ws2';
    const catalog = new Catalog();
    catalog.installBase(new VirtualNetwork().addHost().provider);
    const ws = new Ws2(catalog);
    const data = {};
    const started = ws.WSAStartup(0x0202, data);
    const s = ws.socket(AF_INET, SOCK_STREAM, 0);
    console.log(JSON.stringify({ started, wVersion: data.wVersion, made: s !== 0xffffffff, closed: ws.closesocket(s), cleanup: ws.WSACleanup() }));
  `);
  assert.deepEqual(JSON.parse(out), { started: 0, wVersion: 0x0202, made: true, closed: 0, cleanup: 0 });
});

test('the packed package exports winsock-spi/lsp: the tracing LSP in a chain over a base provider traces a program\'s calls', () => {
  const out = runNode(`
    import { VirtualNetwork, AF_INET, SOCK_STREAM } from 'winsock-spi';
    import { Catalog, Ws2 } from 'winsock-spi/ws2';
    import { TracingLsp } from 'winsock-spi/lsp';
    const catalog = new Catalog();
    const bases = catalog.installBase(new VirtualNetwork().addHost().provider);
    const text = [];
    const lsp = new TracingLsp(catalog, { text });
    catalog.installLayered(lsp, { ProviderId: lsp.ProviderId, name: 'tracing', over: bases.map((b) => b.dwCatalogEntryId) });
    const ws = new Ws2(catalog);
    ws.WSAStartup(0x0202, {});
    ws.closesocket(ws.socket(AF_INET, SOCK_STREAM, 0));
    ws.WSACleanup();
    console.log(JSON.stringify(text.map((t) => t.split('(')[0])));
  `);
  assert.deepEqual(JSON.parse(out), ['#1 WSPSocket', '#2 WSPCloseSocket', '#3 WSPCleanup']);
});

test('the packed package ships type declarations', () => {
  const pkg = JSON.parse(readFileSync(join(work, 'node_modules', 'winsock-spi', 'package.json'), 'utf8')) as { types: string };
  const dts = readFileSync(join(work, 'node_modules', 'winsock-spi', pkg.types), 'utf8');
  assert.match(dts, /VirtualNetwork/);
});

test('the README example runs against the packed package and prints what the README shows', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  const expected = /It prints:\n\n```text\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(code && expected, 'README has a js example and its output');
  assert.equal(runNode(code), expected);
});

test('the package carries the MIT licence of the winsock-spi contributors', () => {
  assert.ok(packed.has('LICENSE'), 'LICENSE is packed');
  const text = readFileSync(join(pkgDir(), 'LICENSE'), 'utf8');
  assert.match(text, /^MIT License\n\nCopyright \(c\) \d{4} winsock-spi contributors\n/);
  assert.match(text, /THE SOFTWARE IS PROVIDED "AS IS"/);
  assert.equal((JSON.parse(readFileSync(join(pkgDir(), 'package.json'), 'utf8')) as { license: string }).license, 'MIT');
});

test('the scenarios docs/scenarios.md bundles are packed where it says, and wsp runs them from the package', () => {
  const doc = readFileSync(join(root, 'docs', 'scenarios.md'), 'utf8');
  const named = new Set([...doc.matchAll(/examples\/scenarios\/([\w-]+)\.json/g)].map((m) => m[1]!));
  const bundled = /^Bundled: ([\s\S]*?)\n\n/m.exec(doc)?.[1];
  assert.ok(bundled, 'docs/scenarios.md lists the bundled scenarios');
  for (const m of bundled.matchAll(/`([\w-]+)`/g)) named.add(m[1]!);
  assert.ok(named.size >= 4, [...named].join());
  for (const name of named) assert.ok(packed.has(`examples/scenarios/${name}.json`), `examples/scenarios/${name}.json is packed`);
  const file = join(pkgDir(), 'examples', 'scenarios', 'burst-small-backlog.json');
  const out = execFileSync(process.execPath, [join(pkgDir(), 'dist', 'cli', 'wsp.js'), 'scenario', file, '--json'], { cwd: work, encoding: 'utf8' });
  assert.ok(typeof JSON.parse(out) === 'object');
});

test('every source map in the package resolves: each source is a packed file or inlined', () => {
  const maps = [...packed].filter((f) => f.endsWith('.js.map'));
  assert.ok(maps.length > 20, `${maps.length} .js.map files`);
  const checked = [...maps, ...[...packed].filter((f) => f.endsWith('.d.ts.map'))];
  for (const file of checked) {
    const map = JSON.parse(readFileSync(join(pkgDir(), file), 'utf8')) as { sources: string[]; sourceRoot?: string; sourcesContent?: (string | null)[] };
    assert.ok(map.sources.length > 0, file);
    map.sources.forEach((source, i) => {
      if (typeof map.sourcesContent?.[i] === 'string') return;
      const target = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? '', source));
      assert.ok(packed.has(target), `${file}: its source ${source} (${target}) is neither packed nor inlined`);
    });
  }
});

test('the package holds no build state and the wsp command it declares', () => {
  assert.deepEqual([...packed].filter((f) => /tsbuildinfo/.test(f)), []);
  const pkg = JSON.parse(readFileSync(join(pkgDir(), 'package.json'), 'utf8')) as { bin: { wsp: string } };
  assert.ok(packed.has(posix.normalize(pkg.bin.wsp)), pkg.bin.wsp);
  assert.match(execFileSync(process.execPath, [join(pkgDir(), pkg.bin.wsp), 'help'], { cwd: work, encoding: 'utf8' }), /wsp scenario/);
});
