/**
 * The published artefact: `npm pack` output imports from plain Node (no TypeScript loader),
 * and the README's example runs against it and prints what the README says.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

const root = resolve(import.meta.dirname, '..', '..');
let work = '';

before(() => {
  work = mkdtempSync(join(tmpdir(), 'winsock-spi-pack-'));
  // dist/ is built by `npm test` before the tests run; --ignore-scripts keeps pack from rebuilding.
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
  const [{ filename }] = JSON.parse(out) as [{ filename: string }];
  const pkgDir = join(work, 'node_modules', 'winsock-spi');
  mkdirSync(pkgDir, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, filename), '-C', pkgDir, '--strip-components=1']);
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
