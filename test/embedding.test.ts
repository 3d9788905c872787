/**
 * examples/embedding.ts, the worked example of docs/embedding.md: a guest echo server and a guest
 * client, each a worker thread calling an emulator's ws2_32 exports (guest pointers into guest
 * RAM) over `winsock-spi/threads`, on the virtual network. The bytes are checked in the guests'
 * own memory.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { INVALID_SOCKET, WSAEADDRINUSE, WSAECONNREFUSED, WSAEFAULT, WSANOTINITIALISED } from '../src/index.js';
import { DEFAULT_MESSAGES, runEmbedding, type EmbeddingResult } from '../examples/embedding.js';
import { PEERS } from '../examples/embedding-guest.js';

const SCRIPT = fileURLToPath(new URL('../examples/embedding.js', import.meta.url));
const expected = new TextEncoder().encode(DEFAULT_MESSAGES.join(''));

/** Bytes the calls of a trace name in guest memory (what crosses the channel when guest RAM is private). */
function namedBytes(trace: string[]): number {
  let n = 0;
  for (const line of trace) {
    const m = /^(\w+)\((.*)\) = (-?\d+)( \w+)?$/.exec(line);
    assert.ok(m, line);
    const [, name, args, , error] = m;
    if (error === ' WSAEFAULT') continue; // refused by the emulator: nothing crossed
    const a = args!.split(', ');
    if (name === 'send' || name === 'recv') n += Number(a[2]);
    else if (name === 'bind' || name === 'connect') n += Number(a[2]);
    else if (name === 'accept' && a[1] !== 'NULL') n += 16; // the sockaddr_in the guest made room for
  }
  return n;
}

function checkGuests(r: EmbeddingResult): void {
  assert.equal(r.server.code, 0, r.server.trace.join('\n'));
  assert.equal(r.client.code, 0, r.client.trace.join('\n'));
  // The client's .data and the echo it received, both read from its guest memory.
  assert.deepEqual(r.client.sent, expected);
  assert.deepEqual(r.client.echo, expected, 'the echo in guest memory is the data sent, byte for byte');
  assert.equal(r.client.echoed, expected.length);
  assert.equal(r.client.mismatches, 0);
  assert.equal(r.server.bytes, expected.length);
  assert.equal(r.server.connections, 1);
  assert.ok(r.ok);
  // accept wrote the peer's sockaddr_in into the server's memory: AF_INET, port in network order, 10.0.0.2.
  assert.deepEqual(r.server.peer?.address, '10.0.0.2');
  assert.equal(r.server.ram[PEERS], 2);
  assert.equal(r.server.ram[PEERS + 1], 0);
  assert.deepEqual([...r.server.ram.subarray(PEERS + 4, PEERS + 8)], [10, 0, 0, 2]);
  assert.equal((r.server.ram[PEERS + 2]! << 8) | r.server.ram[PEERS + 3]!, r.server.peer?.port);
  // Each guest thread's WSAGetLastError after its failed calls.
  assert.equal(r.server.bindAgainError, WSAEADDRINUSE);
  assert.equal(r.client.refusedError, WSAECONNREFUSED);
  assert.equal(r.client.badPointerError, WSAEFAULT, 'a pointer past the end of guest RAM is refused by the emulator');
  // After the thread closed its channel (its process's WSACleanup): at once, WSANOTINITIALISED.
  for (const g of [r.server, r.client]) assert.deepEqual(g.afterClose, { ret: INVALID_SOCKET, error: WSANOTINITIALISED });
  assert.deepEqual(r.server.trace.slice(0, 6), [
    'socket(2, 1, 6) = 256', 'bind(256, 0.0.0.0:7, 16) = 0', 'socket(2, 1, 6) = 260',
    'bind(260, 0.0.0.0:7, 16) = -1 WSAEADDRINUSE', 'closesocket(260) = 0', 'listen(256, 5) = 0',
  ]);
  assert.match(r.server.trace[6]!, /^accept\(256, 10\.0\.0\.2:\d+\) = \d+$/);
  assert.deepEqual(r.client.trace.slice(0, 3), ['socket(2, 1, 6) = 256', 'connect(256, 10.0.0.1:9, 16) = -1 WSAECONNREFUSED', 'closesocket(256) = 0']);
}

describe('examples/embedding: guest ws2_32 exports over winsock-spi/threads', () => {
  test('guest RAM in SharedArrayBuffers: the echo lands in the client\'s memory, and no byte of guest memory is copied onto the channel', async () => {
    const r = await runEmbedding({ memory: 'shared' });
    checkGuests(r);
    assert.ok(r.client.ram.buffer instanceof SharedArrayBuffer, 'the launcher reads the guest\'s own memory');
    assert.ok(r.client.wire.calls > 10 && r.server.wire.calls > 10);
    assert.equal(r.server.wire.bytesSent, 0);
    assert.equal(r.client.wire.bytesSent, 0);
  });

  test('guest RAM private to each worker (16 MiB ArrayBuffer): the same bytes; only the bytes each call names cross, never the whole RAM', async () => {
    const r = await runEmbedding({ memory: 'private' });
    checkGuests(r);
    assert.ok(!(r.client.ram.buffer instanceof SharedArrayBuffer));
    assert.equal(r.server.wire.bytesSent, namedBytes(r.server.trace));
    assert.equal(r.client.wire.bytesSent, namedBytes(r.client.trace));
  });

  test('node build/examples/embedding.js exits 0 and prints what the guests left in their memory', () => {
    const r = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^server \| bind\(260, 0\.0\.0\.0:7, 16\) = -1 WSAEADDRINUSE$/m);
    assert.match(r.stdout, /^client \| send\(260, 16777212, 64, 0\) = -1 WSAEFAULT$/m);
    assert.match(r.stdout, new RegExp(`server exit 0: 1 connection\\(s\\) from 10\\.0\\.0\\.2:\\d+, ${expected.length} bytes echoed`));
    assert.match(r.stdout, new RegExp(`client exit 0: .*${expected.length} bytes echoed, 0 differing`));
    assert.match(r.stdout, /guest RAM shared: \d+ calls crossed, 0 bytes of guest memory copied onto the channel/);
    assert.match(r.stdout, /returns 4294967295 with WSANOTINITIALISED/);
    assert.match(r.stdout, /^all ok$/m);
    assert.equal(spawnSync(process.execPath, [SCRIPT, '--bogus'], { encoding: 'utf8' }).status, 2);
  });
});
