/**
 * WSPRecvDisconnect and WSPSendDisconnect: WSPShutdown(SD_RECEIVE) / WSPShutdown(SD_SEND) on
 * TCP, which carries no disconnect data (WSAENOPROTOOPT when a buffer is given, and nothing is
 * shut down).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SOCKET_ERROR, WSAEFAULT, WSAENOPROTOOPT, WSAENOTCONN, WSAENOTSOCK, WSAESHUTDOWN, errorName } from '../src/index.js';
import { attempt, connect, expectError, listener, ok, pair, tcp, v4 } from './helpers.js';

const SERVER = v4('10.0.0.1', 80);

function streams() {
  const w = pair();
  const l = listener(w.server, SERVER, 5);
  const c = tcp(w.client);
  assert.equal(connect(w.client, c, SERVER).ret, 0);
  const a = ok((e) => w.server.WSPAccept(l, null, null, null, 0, e));
  w.net.run();
  return { ...w, c, a };
}

const buf = (n: number) => [{ len: n, buf: new Uint8Array(n) }];

describe('WSPSendDisconnect', () => {
  test('is shutdown(SD_SEND): the peer reads end of stream, later sends fail with WSAESHUTDOWN', () => {
    const w = streams();
    ok((e) => w.client.WSPSendDisconnect(w.c, null, e));
    w.net.run();
    const got = { value: -1 };
    ok((e) => w.server.WSPRecv(w.a, buf(8), 1, got, { value: 0 }, null, null, null, e));
    assert.equal(got.value, 0, 'graceful close seen by the peer');
    expectError((e) => w.client.WSPSend(w.c, buf(4), 1, { value: 0 }, 0, null, null, null, e), WSAESHUTDOWN);
  });

  test('disconnect data given: WSAENOPROTOOPT and the socket still sends', () => {
    const w = streams();
    expectError((e) => w.client.WSPSendDisconnect(w.c, { len: 4, buf: new Uint8Array(4) }, e), WSAENOPROTOOPT);
    const sent = { value: 0 };
    ok((e) => w.client.WSPSend(w.c, buf(4), 1, sent, 0, null, null, null, e));
    assert.equal(sent.value, 4);
  });

  test('WSAEFAULT for a buffer that is no WSABUF, WSAENOTCONN unconnected, WSAENOTSOCK for no socket', () => {
    const w = streams();
    expectError((e) => w.client.WSPSendDisconnect(w.c, { len: 8, buf: new Uint8Array(2) }, e), WSAEFAULT);
    expectError((e) => w.client.WSPSendDisconnect(tcp(w.client), null, e), WSAENOTCONN);
    expectError((e) => w.client.WSPSendDisconnect(4242, null, e), WSAENOTSOCK);
  });
});

describe('WSPRecvDisconnect', () => {
  test('is shutdown(SD_RECEIVE): later receives fail with WSAESHUTDOWN, sends still work', () => {
    const w = streams();
    ok((e) => w.server.WSPRecvDisconnect(w.a, null, e));
    expectError((e) => w.server.WSPRecv(w.a, buf(8), 1, { value: 0 }, { value: 0 }, null, null, null, e), WSAESHUTDOWN);
    ok((e) => w.server.WSPSend(w.a, buf(4), 1, { value: 0 }, 0, null, null, null, e));
  });

  test('a buffer for disconnect data: WSAENOPROTOOPT and receives still work', () => {
    const w = streams();
    const r = attempt((e) => w.server.WSPRecvDisconnect(w.a, { len: 8, buf: new Uint8Array(8) }, e));
    assert.deepEqual([r.ret, errorName(r.err)], [SOCKET_ERROR, 'WSAENOPROTOOPT']);
    ok((e) => w.client.WSPSend(w.c, buf(3), 1, { value: 0 }, 0, null, null, null, e));
    w.net.run();
    const got = { value: 0 };
    ok((e) => w.server.WSPRecv(w.a, buf(8), 1, got, { value: 0 }, null, null, null, e));
    assert.equal(got.value, 3);
  });

  test('WSAENOTCONN on an unconnected stream socket, WSAENOTSOCK for no socket', () => {
    const { server } = pair();
    expectError((e) => server.WSPRecvDisconnect(tcp(server), null, e), WSAENOTCONN);
    expectError((e) => server.WSPRecvDisconnect(4242, null, e), WSAENOTSOCK);
  });
});
