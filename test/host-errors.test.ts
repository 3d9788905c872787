/** The one table from Node's error codes to Winsock's. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorName } from '../src/index.js';
import { NODE_TO_WSA, wsaFromNodeError } from '../src/host/index.js';
import { refusedPort } from './helpers.js';

test('every Node error the host network can meet maps to its Winsock code', () => {
  const expected: Record<string, string> = {
    ECONNREFUSED: 'WSAECONNREFUSED', ECONNRESET: 'WSAECONNRESET', EADDRINUSE: 'WSAEADDRINUSE',
    EADDRNOTAVAIL: 'WSAEADDRNOTAVAIL', EACCES: 'WSAEACCES', ETIMEDOUT: 'WSAETIMEDOUT',
    ENETUNREACH: 'WSAENETUNREACH', EHOSTUNREACH: 'WSAEHOSTUNREACH', EPIPE: 'WSAECONNRESET',
    ECONNABORTED: 'WSAECONNABORTED', ENETDOWN: 'WSAENETDOWN', EMFILE: 'WSAEMFILE', ENOBUFS: 'WSAENOBUFS',
    EMSGSIZE: 'WSAEMSGSIZE', EAGAIN: 'WSAEWOULDBLOCK', EISCONN: 'WSAEISCONN', ENOTCONN: 'WSAENOTCONN',
    EAFNOSUPPORT: 'WSAEAFNOSUPPORT', EINVAL: 'WSAEINVAL', EPERM: 'WSAEACCES',
  };
  for (const [node, wsa] of Object.entries(expected)) {
    assert.equal(errorName(wsaFromNodeError(Object.assign(new Error(node), { code: node }))), wsa, node);
  }
});

test('every entry of the table is a Winsock error code with a name', () => {
  for (const [node, code] of Object.entries(NODE_TO_WSA)) {
    assert.ok(errorName(code)?.startsWith('WSAE'), `${node} → ${code}`);
  }
});

test('a code string works as well as an Error; anything unknown is WSAENETDOWN', () => {
  assert.equal(errorName(wsaFromNodeError('ECONNRESET')), 'WSAECONNRESET');
  assert.equal(errorName(wsaFromNodeError(new Error('no code'))), 'WSAENETDOWN');
  assert.equal(errorName(wsaFromNodeError(null)), 'WSAENETDOWN');
  assert.equal(errorName(wsaFromNodeError({ code: 'EWHATEVER' })), 'WSAENETDOWN');
});

test('real failures: refused and address-in-use errors from node:net arrive as those codes', async () => {
  const net = await import('node:net');
  const closedPort = await refusedPort();
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  const clash = net.createServer();
  const inUse = await new Promise<unknown>((resolve) => clash.once('error', resolve).listen(port, '127.0.0.1'));
  assert.equal(errorName(wsaFromNodeError(inUse)), 'WSAEADDRINUSE');
  await new Promise<void>((r) => server.close(() => r()));
  // Not the port just closed: another process may take it at once, and the connect would hang.
  const refused = await new Promise<unknown>((resolve) => net.connect(closedPort, '127.0.0.1').once('error', resolve));
  assert.equal(errorName(wsaFromNodeError(refused)), 'WSAECONNREFUSED');
});
