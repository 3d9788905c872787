/** examples/ws2-client.ts: a C-shaped Winsock client over winsock-spi/ws2 finds its server by name on the virtual network. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runWs2Client } from '../examples/ws2-client.js';

test('the client resolves echo.example, connects, sends, reads the whole echo and cleans up (exit code 0)', () => {
  const lines: string[] = [];
  const message = 'x'.repeat(3000) + ' and the end';
  assert.equal(runWs2Client(message, (l) => lines.push(l)), 0);
  assert.ok(lines.includes('client  connected to echo.example (10.0.0.1:7)'), lines.join('\n'));
  assert.ok(lines.includes(`client  received "${message}"`));
});

test('the same seed gives the same transcript, virtual times included', () => {
  const a: string[] = [];
  const b: string[] = [];
  runWs2Client(undefined, (l) => a.push(l));
  runWs2Client(undefined, (l) => b.push(l));
  assert.deepEqual(a, b);
});

test('a name the network does not know: getaddrinfo fails with WSAHOST_NOT_FOUND and the client exits 1', () => {
  const lines: string[] = [];
  assert.equal(runWs2Client(undefined, (l) => lines.push(l), 'nowhere.example'), 1);
  assert.ok(lines.includes('client  getaddrinfo failed: WSAHOST_NOT_FOUND'), lines.join('\n'));
});

test('the compiled script prints the transcript and exits 0', () => {
  const file = fileURLToPath(new URL('../examples/ws2-client.js', import.meta.url));
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /client {2}received "hello from a C-shaped client"/);
});

test('ws2 name functions: WSANOTINITIALISED before WSAStartup; WSANO_RECOVERY with no namespace provider installed; the last error follows', async () => {
  const { VirtualNetwork, VirtualNameSource, WSANOTINITIALISED, WSANO_RECOVERY, AF_INET } = await import('../src/index.js');
  const { Catalog, Ws2 } = await import('../src/ws2/index.js');
  const net = new VirtualNetwork();
  const h = net.addHost({ name: 'me', addresses: ['10.0.0.9'] });
  const catalog = new Catalog();
  catalog.installBase(h.provider);
  const named = new Ws2(catalog, { names: [new VirtualNameSource(h, net.dns)] });
  const out = { value: null };
  assert.equal(named.getaddrinfo('me', null, null, out), WSANOTINITIALISED);
  assert.equal(named.WSAGetLastError(), WSANOTINITIALISED);
  named.WSAStartup(0x0202, {});
  assert.equal(named.getaddrinfo('me', null, { ai_family: AF_INET, ai_socktype: 0, ai_protocol: 0, ai_flags: 0 }, out), 0);
  assert.equal(named.gethostbyname('me')?.h_name, 'me');
  const bare = new Ws2(catalog);
  bare.WSAStartup(0x0202, {});
  assert.equal(bare.getaddrinfo('127.0.0.1', null, null, out), WSANO_RECOVERY);
  assert.equal(bare.gethostbyname('me'), null);
  assert.equal(bare.WSAGetLastError(), WSANO_RECOVERY);
});
