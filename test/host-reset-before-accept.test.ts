/**
 * Host network: a connection the peer resets before Node reports it has no remote address (the
 * kernel's getpeername fails). It once reached AcceptEx, whose address slots cannot hold "no
 * address", and the exception killed the process. Such a connection now leaves the queue, as a
 * reset connection leaves Windows' backlog, and the posted AcceptEx calls wait for the next one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { after, test } from 'node:test';
import {
  AF_INET, IPPROTO_TCP, SIO_GET_EXTENSION_FUNCTION_POINTER, SOCK_STREAM, STATUS_PENDING, STATUS_SUCCESS, WSAID_ACCEPTEX_BYTES,
  slotSize, type AcceptExFn, type FunctionPointerOut, type SockAddr, type WSAOVERLAPPED,
} from '../src/index.js';
import { HostNetwork } from '../src/host/index.js';
import { needs } from './peers.js';

/** Connects to 127.0.0.1:argv[1] 20 times and resets each connection (SO_LINGER 0). */
const RESET_CLIENTS = `
import socket, struct, sys
for _ in range(20):
    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()
`;

const host = new HostNetwork();
after(() => host.close());
const p = host.provider;

/** Real time passes until `done` or `ms` runs out (the host network runs on Node's event loop). */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return done();
}

test('a connection reset before the provider sees it never reaches a posted AcceptEx; the next connection does', needs('python3'), async () => {
  const e = { value: 0 };
  const l = p.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e);
  assert.equal(p.WSPBind(l, { family: AF_INET, address: '127.0.0.1', port: 0 }, 16, e), 0);
  assert.equal(p.WSPListen(l, 16, e), 0);
  const name: SockAddr = { family: 0, address: '', port: 0 };
  assert.equal(p.WSPGetSockName(l, name, { value: 16 }, e), 0);
  const out: FunctionPointerOut = { value: null };
  assert.equal(p.WSPIoctl(l, SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_ACCEPTEX_BYTES, 16, out as never, 4, { value: 0 }, null, null, null, e), 0);
  const acceptEx = out.value as AcceptExFn;
  const slot = slotSize(AF_INET);
  const posted: WSAOVERLAPPED[] = [];
  for (let i = 0; i < 20; i++) {
    const a = p.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e);
    const ov = { Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: null } as WSAOVERLAPPED;
    acceptEx(l, a, new Uint8Array(2 * slot), 0, slot, slot, { value: 0 }, ov, e);
    posted.push(ov);
  }
  // python3 connects and resets 20 times while this thread is blocked in spawnSync: the kernel
  // completes the handshakes, and Node accepts sockets whose peers are already gone.
  const rude = spawnSync('python3', ['-c', RESET_CLIENTS, String(name.port)], { encoding: 'utf8', timeout: 20000 });
  assert.equal(rude.status, 0, rude.stderr);
  await new Promise((r) => setTimeout(r, 50));
  // Whatever the resets did, the process lives, and an ordinary client is still accepted.
  const polite = net.connect(name.port, '127.0.0.1');
  polite.on('error', () => {});
  const taken = () => posted.some((ov) => ov.Internal === STATUS_SUCCESS);
  assert.equal(await until(taken, 5000), true, 'a posted AcceptEx took the ordinary connection');
  assert.ok(posted.every((ov) => ov.Internal === STATUS_SUCCESS || ov.Internal === STATUS_PENDING || ov.Internal >>> 0 >= 0xc0000000));
  polite.destroy();
});
