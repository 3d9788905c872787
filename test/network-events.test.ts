/** WSPEventSelect, WSPEnumNetworkEvents, WSPAsyncSelect: recording, re-enabling, errors; waitForEvents. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CF_DEFER, CF_REJECT, FD_ACCEPT, FD_ACCEPT_BIT, FD_CLOSE, FD_CLOSE_BIT, FD_CONNECT, FD_CONNECT_BIT, FD_MAX_EVENTS,
  FD_READ, FD_WRITE, FIONBIO, INVALID_SOCKET, MSG_PEEK, SD_SEND, SOL_SOCKET, SO_LINGER, SO_SNDBUF, WSAECONNABORTED, WSAECONNREFUSED, WSAECONNRESET, WSAEFAULT,
  WSAEINVAL, WSAENOTSOCK, WSAEWOULDBLOCK, WSAEvent, WSA_INFINITE, WSA_WAIT_FAILED, WSA_WAIT_TIMEOUT, WSATRY_AGAIN,
  type ServiceProvider, type WSANETWORKEVENTS,
} from '../src/index.js';
import {
  accept, attempt, connect, expectError, listener, ok, pair, setInt, startConnect, tcp, v4,
  type Outcome,
} from './helpers.js';

const SERVER = v4('10.0.0.1', 80);
const NOBODY = v4('10.0.0.1', 81);

function eventSelect(p: ServiceProvider, s: number, ev: WSAEvent | null, events: number): Outcome {
  return attempt((e) => p.WSPEventSelect(s, ev as WSAEvent, events, e));
}

/** WSPEnumNetworkEvents: the recorded bits and their error codes. */
function enumEvents(p: ServiceProvider, s: number, ev: WSAEvent | null = null): WSANETWORKEVENTS {
  const out: WSANETWORKEVENTS = { lNetworkEvents: -1, iErrorCode: [] };
  ok((e) => p.WSPEnumNetworkEvents(s, ev, out, e));
  assert.equal(out.iErrorCode.length, FD_MAX_EVENTS);
  return out;
}

function fionbio(p: ServiceProvider, s: number, on: number): Outcome {
  return attempt((e) => p.WSPIoctl(s, FIONBIO, new Uint8Array([on, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e));
}

/** WSPSend / WSPRecv of n bytes: ret is the count moved, or SOCKET_ERROR with err. */
function xfer(op: 'WSPSend' | 'WSPRecv', p: ServiceProvider, s: number, n: number): Outcome {
  const count = { value: 0 };
  const bufs = [{ len: n, buf: new Uint8Array(n) }];
  const r = attempt((e) => op === 'WSPSend' ? p.WSPSend(s, bufs, 1, count, 0, null, null, null, e) : p.WSPRecv(s, bufs, 1, count, { value: 0 }, null, null, null, e));
  return r.ret === 0 ? { ret: count.value, err: 0 } : r;
}
const send = (p: ServiceProvider, s: number, n: number) => xfer('WSPSend', p, s, n);
const recv = (p: ServiceProvider, s: number, n: number) => xfer('WSPRecv', p, s, n);

function abort(p: ServiceProvider, s: number): void {
  ok((e) => p.WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, new Uint8Array([1, 0, 0, 0]), 4, e));
  ok((e) => p.WSPCloseSocket(s, e));
}

/** A listener on SERVER with `events` selected on a fresh event object. */
function selected(events = FD_ACCEPT) {
  const p = pair();
  const l = listener(p.server, SERVER, 5);
  const ev = new WSAEvent();
  ok((e) => p.server.WSPEventSelect(l, ev, events, e));
  return { ...p, l, ev };
}

/** A connected client `c` and accepted server end `a` (network settled), plus an event selected on `a`. */
function established(events: number) {
  const p = pair();
  const l = listener(p.server, SERVER, 5);
  const c = tcp(p.client);
  assert.equal(connect(p.client, c, SERVER).ret, 0);
  const a = accept(p.server, l).ret;
  p.net.run();
  const ev = new WSAEvent();
  ok((e) => p.server.WSPEventSelect(a, ev, events, e));
  return { ...p, l, c, a, ev };
}

describe('WSPEventSelect: FD_ACCEPT', () => {
  test('signalled when a client connects; WSPEnumNetworkEvents reports FD_ACCEPT (error 0) and resets the event', () => {
    const { net, server, client, l, ev } = selected();
    assert.equal(ev.signaled, false);
    startConnect(client, SERVER);
    net.run();
    assert.equal(ev.signaled, true);
    const n = enumEvents(server, l, ev);
    assert.equal(n.lNetworkEvents, FD_ACCEPT);
    assert.equal(n.iErrorCode[FD_ACCEPT_BIT], 0);
    assert.equal(ev.signaled, false, 'reset by WSPEnumNetworkEvents');
    assert.equal(enumEvents(server, l).lNetworkEvents, 0, 'the record was cleared');
  });

  test('"raised immediately" when a connection is already queued when FD_ACCEPT is selected', () => {
    const { net, server, client } = pair();
    const l = listener(server, SERVER, 5);
    startConnect(client, SERVER);
    net.run();
    const ev = new WSAEvent();
    ok((e) => server.WSPEventSelect(l, ev, FD_ACCEPT, e));
    assert.equal(ev.signaled, true);
  });

  test('level-triggered: re-recorded after WSPAccept while more connections are pending, not after the last', () => {
    const { net, server, client, l, ev } = selected();
    startConnect(client, SERVER);
    startConnect(client, SERVER);
    net.run();
    assert.equal(enumEvents(server, l, ev).lNetworkEvents, FD_ACCEPT);
    assert.ok(accept(server, l).ret > 0);
    assert.equal(ev.signaled, true, 'one connection is still pending');
    assert.equal(enumEvents(server, l, ev).lNetworkEvents, FD_ACCEPT);
    assert.ok(accept(server, l).ret > 0);
    assert.equal(ev.signaled, false);
    assert.equal(enumEvents(server, l, ev).lNetworkEvents, 0);
  });

  test('not re-enabled by a WSPAccept that fails with WSATRY_AGAIN (CF_DEFER)', () => {
    const { net, server, client, l, ev } = selected();
    startConnect(client, SERVER);
    net.run();
    enumEvents(server, l, ev);
    expectError((e) => server.WSPAccept(l, null, null, () => CF_DEFER, 0, e), WSATRY_AGAIN, INVALID_SOCKET);
    assert.equal(ev.signaled, false);
    startConnect(client, SERVER);
    net.run();
    assert.equal(ev.signaled, false, 'still disabled: a later connection does not raise it either');
    assert.ok(accept(server, l).ret > 0);
    assert.equal(ev.signaled, true, 'a successful WSPAccept re-enables it; a connection is still pending');
  });

  test('re-enabled by a WSPAccept that fails with WSAECONNREFUSED (CF_REJECT) while more are pending', () => {
    const { net, server, client, l, ev } = selected();
    startConnect(client, SERVER);
    startConnect(client, SERVER);
    net.run();
    enumEvents(server, l, ev);
    expectError((e) => server.WSPAccept(l, null, null, () => CF_REJECT, 0, e), WSAECONNREFUSED, INVALID_SOCKET);
    net.run();
    assert.equal(server.inspect(l)!.listen!.queueLength, 1, 'one connection is still pending');
    assert.equal(ev.signaled, true);
  });

  test('re-enabled by a WSPAccept that fails with WSAECONNRESET: the next connection is signalled', () => {
    const { net, server, client, l, ev } = selected();
    const c = startConnect(client, SERVER);
    net.run();
    assert.equal(enumEvents(server, l, ev).lNetworkEvents, FD_ACCEPT);
    abort(client, c);
    net.run();
    expectError((e) => server.WSPAccept(l, null, null, null, 0, e), WSAECONNRESET, INVALID_SOCKET);
    startConnect(client, SERVER);
    net.run();
    assert.equal(server.inspect(l)!.listen!.queueLength, 1);
    assert.equal(ev.signaled, true);
  });
});

describe('WSPEventSelect: FD_CONNECT, FD_WRITE', () => {
  test('FD_CONNECT carries WSAECONNREFUSED in iErrorCode[FD_CONNECT_BIT] for a refused non-blocking connect', () => {
    const { net, client } = pair();
    const c = tcp(client);
    const ev = new WSAEvent();
    ok((e) => client.WSPEventSelect(c, ev, FD_CONNECT | FD_WRITE, e));
    assert.deepEqual(connect(client, c, NOBODY), { ret: -1, err: WSAEWOULDBLOCK });
    assert.equal(ev.signaled, false);
    net.run();
    assert.equal(ev.signaled, true);
    const n = enumEvents(client, c, ev);
    assert.equal(n.lNetworkEvents, FD_CONNECT, 'no FD_WRITE for a failed connect');
    assert.equal(n.iErrorCode[FD_CONNECT_BIT], WSAECONNREFUSED);
  });

  test('FD_CONNECT with error 0 and FD_WRITE for a successful non-blocking connect', () => {
    const { net, server, client } = pair();
    listener(server, SERVER, 5);
    const c = tcp(client);
    const ev = new WSAEvent();
    ok((e) => client.WSPEventSelect(c, ev, FD_CONNECT | FD_WRITE | FD_READ, e));
    connect(client, c, SERVER);
    net.run();
    const n = enumEvents(client, c, ev);
    assert.equal(n.lNetworkEvents, FD_CONNECT | FD_WRITE);
    assert.deepEqual(n.iErrorCode, new Array(FD_MAX_EVENTS).fill(0));
  });

  test('FD_WRITE: not raised again by successful sends; raised after a send got WSAEWOULDBLOCK and room opens', () => {
    const { net, client, c } = established(0);
    const ev = new WSAEvent();
    ok((e) => client.WSPEventSelect(c, ev, FD_WRITE, e));
    assert.equal(enumEvents(client, c, ev).lNetworkEvents, FD_WRITE, 'writable when selected');
    assert.equal(send(client, c, 100).ret, 100);
    net.run();
    assert.equal(ev.signaled, false, 'no FD_WRITE without a WSAEWOULDBLOCK');
    assert.equal(setInt(client, c, SOL_SOCKET, SO_SNDBUF, 1000).ret, 0);
    assert.equal(send(client, c, 5000).ret, 5000, 'taken whole: the buffer was not full (Wine test_send_buffering)');
    assert.deepEqual(send(client, c, 10), { ret: -1, err: WSAEWOULDBLOCK });
    assert.equal(ev.signaled, false);
    net.run();
    assert.equal(ev.signaled, true);
    assert.equal(enumEvents(client, c, ev).lNetworkEvents, FD_WRITE);
  });
  test('FD_WRITE: a send that fails with WSAEWOULDBLOCK re-enables it, even with no successful send since the last one', () => {
    const { net, client, c } = established(0);
    assert.equal(setInt(client, c, SOL_SOCKET, SO_SNDBUF, 2000).ret, 0);
    assert.equal(fionbio(client, c, 1).ret, 0);
    assert.equal(send(client, c, 1000).ret, 1000);
    const ev = new WSAEvent();
    ok((e) => client.WSPEventSelect(c, ev, FD_WRITE, e));
    assert.equal(enumEvents(client, c, ev).lNetworkEvents, FD_WRITE, 'room for 1000 more');
    assert.equal(setInt(client, c, SOL_SOCKET, SO_SNDBUF, 1000).ret, 0);
    assert.deepEqual(send(client, c, 10), { ret: -1, err: WSAEWOULDBLOCK });
    net.run();
    assert.equal(client.inspect(c)!.phase, 'connected');
    assert.equal(ev.signaled, true, 'room opened after WSAEWOULDBLOCK');
  });
});

describe('WSPEventSelect: FD_READ, FD_CLOSE', () => {
  test('FD_READ: recorded on data, not again until a recv, re-recorded by a recv that leaves data', () => {
    const { net, server, client, c, a, ev } = established(FD_READ);
    assert.equal(ev.signaled, false);
    send(client, c, 10);
    net.run();
    assert.equal(enumEvents(server, a, ev).lNetworkEvents, FD_READ);
    send(client, c, 10);
    net.run();
    assert.equal(ev.signaled, false, 'more data does not raise it again before a recv');
    assert.equal(recv(server, a, 5).ret, 5);
    assert.equal(ev.signaled, true, '15 bytes remain');
    assert.equal(enumEvents(server, a, ev).lNetworkEvents, FD_READ);
    assert.equal(recv(server, a, 100).ret, 15);
    assert.equal(ev.signaled, false);
    assert.equal(enumEvents(server, a).lNetworkEvents, 0);
  });

  test('FD_READ: "MSG_PEEK counts as a read" (re-enables; the data is still there, so it is recorded again)', () => {
    const { net, server, client, c, a, ev } = established(FD_READ);
    send(client, c, 3);
    net.run();
    assert.equal(enumEvents(server, a, ev).lNetworkEvents, FD_READ);
    ok((e) => server.WSPRecv(a, [{ len: 3, buf: new Uint8Array(3) }], 1, { value: 0 }, { value: MSG_PEEK }, null, null, null, e));
    assert.equal(ev.signaled, true);
  });

  test('FD_CLOSE with error 0 on a graceful close, at once even while data before the FIN is unread (Wine test_close_events)', () => {
    const { net, server, client, c, a, ev } = established(FD_READ | FD_CLOSE);
    send(client, c, 4);
    ok((e) => client.WSPShutdown(c, SD_SEND, e));
    net.run();
    const n = enumEvents(server, a, ev);
    assert.equal(n.lNetworkEvents, FD_READ | FD_CLOSE);
    assert.equal(n.iErrorCode[FD_CLOSE_BIT], 0);
    assert.equal(recv(server, a, 2).ret, 2);
    assert.equal(enumEvents(server, a, ev).lNetworkEvents, FD_READ, 'data left: FD_READ again, FD_CLOSE not again');
    assert.equal(recv(server, a, 100).ret, 2);
    assert.equal(enumEvents(server, a, ev).lNetworkEvents, 0);
  });

  test('FD_CLOSE with WSAECONNABORTED on a reset by the peer (Wine test_close_events); no FD_READ for the discarded data', () => {
    const { net, server, client, c, a, ev } = established(FD_READ | FD_CLOSE);
    abort(client, c);
    net.run();
    const n = enumEvents(server, a, ev);
    assert.equal(n.lNetworkEvents, FD_CLOSE);
    assert.equal(n.iErrorCode[FD_CLOSE_BIT], WSAECONNABORTED);
    assert.deepEqual(recv(server, a, 10), { ret: -1, err: WSAECONNRESET }, 'the calls themselves report WSAECONNRESET');
  });
});

describe('WSPEventSelect: mode, cancelling, inheritance, errors', () => {
  test('makes the socket non-blocking; FIONBIO(0) fails with WSAEINVAL until lNetworkEvents 0 cancels the association', () => {
    const { net, server, client, l, ev } = selected();
    assert.equal(server.inspect(l)!.nonBlocking, true);
    expectError((e) => server.WSPAccept(l, null, null, null, 0, e), WSAEWOULDBLOCK, INVALID_SOCKET);
    assert.deepEqual(fionbio(server, l, 0), { ret: -1, err: WSAEINVAL });
    ok((e) => server.WSPEventSelect(l, ev, 0, e));
    assert.equal(server.inspect(l)!.nonBlocking, true, 'cancelling does not make it blocking');
    assert.deepEqual(fionbio(server, l, 0), { ret: 0, err: 0 });
    startConnect(client, SERVER);
    net.run();
    assert.equal(ev.signaled, false, 'cancelled: nothing is recorded or signalled');
    assert.equal(enumEvents(server, l).lNetworkEvents, 0);
  });

  test('lNetworkEvents 0 ignores hEventObject: cancelling with a NULL event succeeds', () => {
    const { server } = pair();
    const l = listener(server, SERVER, 5);
    ok((e) => server.WSPEventSelect(l, new WSAEvent(), FD_ACCEPT, e));
    assert.deepEqual(eventSelect(server, l, null, 0), { ret: 0, err: 0 });
    assert.deepEqual(fionbio(server, l, 0), { ret: 0, err: 0 }, 'the association is gone');
  });

  test('an accepted socket inherits the listener\'s selection (non-blocking, FD_WRITE at once, FD_READ on data)', () => {
    const { net, server, client, l, ev } = selected(FD_ACCEPT | FD_READ | FD_WRITE);
    const c = tcp(client);
    connect(client, c, SERVER);
    net.run();
    enumEvents(server, l, ev);
    const a = accept(server, l).ret;
    assert.ok(a > 0);
    assert.equal(server.inspect(a)!.nonBlocking, true);
    assert.equal(ev.signaled, true, 'the same event object');
    assert.equal(enumEvents(server, a, ev).lNetworkEvents, FD_WRITE);
    send(client, c, 3);
    net.run();
    assert.equal(enumEvents(server, a, ev).lNetworkEvents, FD_READ);
    assert.equal(enumEvents(server, l).lNetworkEvents, 0, 'recorded on the accepted socket, not the listener');
  });

  test('WSPEventSelect: WSAEINVAL for an invalid event object or unknown FD_* bits; WSAENOTSOCK', () => {
    const { server } = pair();
    const s = tcp(server);
    for (const bad of [null, {}, 7, { signaled: false, set() {}, reset() {} }]) {
      assert.deepEqual(eventSelect(server, s, bad as WSAEvent, FD_READ), { ret: -1, err: WSAEINVAL });
    }
    assert.deepEqual(eventSelect(server, s, new WSAEvent(), 0x400), { ret: -1, err: WSAEINVAL });
    assert.deepEqual(eventSelect(server, s, new WSAEvent(), 1.5), { ret: -1, err: WSAEINVAL });
    assert.equal(server.inspect(s)!.nonBlocking, false, 'a failed call changes nothing');
    assert.deepEqual(eventSelect(server, 4242, new WSAEvent(), FD_READ), { ret: -1, err: WSAENOTSOCK });
  });

  test('WSPEnumNetworkEvents: WSAENOTSOCK, WSAEFAULT (bad lpNetworkEvents), WSAEINVAL (bad event); nothing cleared', () => {
    const { net, server, client, l, ev } = selected();
    startConnect(client, SERVER);
    net.run();
    const out = { lNetworkEvents: 0, iErrorCode: [] };
    expectError((e) => server.WSPEnumNetworkEvents(4242, null, out, e), WSAENOTSOCK);
    expectError((e) => server.WSPEnumNetworkEvents(l, ev, null as never, e), WSAEFAULT);
    expectError((e) => server.WSPEnumNetworkEvents(l, ev, 5 as never, e), WSAEFAULT);
    expectError((e) => server.WSPEnumNetworkEvents(l, {} as never, out, e), WSAEINVAL);
    assert.equal(ev.signaled, true, 'not reset by a failed call');
    assert.equal(enumEvents(server, l).lNetworkEvents, FD_ACCEPT, 'the record survived');
    assert.equal(ev.signaled, true, 'a NULL hEventObject leaves the event alone');
  });
});

describe('WSPAsyncSelect', () => {
  function withUpcalls() {
    const p = pair();
    const posted: [unknown, number, number, number][] = [];
    const upcalls = { lpWPUPostMessage: (h: unknown, m: number, w: number, lp: number) => { posted.push([h, m, w, lp]); return true; } };
    assert.equal(p.server.WSPStartup(0x0202, {}, null, upcalls, {}), 0);
    assert.equal(p.client.WSPStartup(0x0202, {}, null, upcalls, {}), 0);
    return { ...p, posted };
  }
  const HWND = { window: 1 };
  const WM = 0x8001;

  test('posts (hWnd, wMsg, socket, WSAMAKESELECTREPLY(event, error)) through WPUPostMessage: FD_ACCEPT, FD_READ, FD_CLOSE', () => {
    const { net, server, client, posted } = withUpcalls();
    const l = listener(server, SERVER, 5);
    ok((e) => server.WSPAsyncSelect(l, HWND, WM, FD_ACCEPT | FD_READ | FD_CLOSE, e));
    assert.equal(server.inspect(l)!.nonBlocking, true);
    const c = tcp(client);
    connect(client, c, SERVER);
    net.run();
    assert.deepEqual(posted.splice(0), [[HWND, WM, l, FD_ACCEPT]]);
    const a = accept(server, l).ret;
    send(client, c, 8);
    net.run();
    assert.deepEqual(posted.splice(0), [[HWND, WM, a, FD_READ]], 'the accepted socket inherits events and wMsg');
    recv(server, a, 100);
    abort(client, c);
    net.run();
    assert.deepEqual(posted.splice(0), [[HWND, WM, a, (FD_CLOSE | (WSAECONNABORTED << 16)) >>> 0]]);
  });

  test('FD_CONNECT carries the error in the high word; FD_CLOSE 0 on a graceful close', () => {
    const { net, server, client, posted } = withUpcalls();
    const refused = tcp(client);
    ok((e) => client.WSPAsyncSelect(refused, HWND, WM, FD_CONNECT, e));
    connect(client, refused, NOBODY);
    net.run();
    assert.deepEqual(posted.splice(0), [[HWND, WM, refused, (FD_CONNECT | (WSAECONNREFUSED << 16)) >>> 0]]);
    const l = listener(server, SERVER, 5);
    const c = tcp(client);
    ok((e) => client.WSPAsyncSelect(c, HWND, WM, FD_CONNECT | FD_CLOSE, e));
    connect(client, c, SERVER);
    net.run();
    const a = accept(server, l).ret;
    ok((e) => server.WSPShutdown(a, SD_SEND, e));
    net.run();
    assert.deepEqual(posted.splice(0), [[HWND, WM, c, FD_CONNECT], [HWND, WM, c, FD_CLOSE]]);
  });

  test('makes the socket non-blocking; lEvent 0 cancels; WSAEINVAL without WPUPostMessage or for bad bits', () => {
    const { net, server, client, posted } = withUpcalls();
    const l = listener(server, SERVER, 5);
    ok((e) => server.WSPAsyncSelect(l, HWND, WM, FD_ACCEPT, e));
    assert.deepEqual(fionbio(server, l, 0), { ret: -1, err: WSAEINVAL });
    ok((e) => server.WSPAsyncSelect(l, HWND, WM, 0, e));
    startConnect(client, SERVER);
    net.run();
    assert.deepEqual(posted, []);
    const ev = new WSAEvent();
    ok((e) => server.WSPEventSelect(l, ev, FD_ACCEPT, e));
    ev.reset();
    ok((e) => server.WSPAsyncSelect(l, HWND, WM, FD_ACCEPT, e));
    assert.deepEqual(posted.splice(0), [[HWND, WM, l, FD_ACCEPT]], 'the pending connection is posted at once');
    accept(server, l);
    startConnect(client, SERVER);
    net.run();
    assert.equal(ev.signaled, false, '"cancels any earlier AsyncSelect or EventSelect"');
    assert.deepEqual(posted.splice(0), [[HWND, WM, l, FD_ACCEPT]]);
    expectError((e) => server.WSPAsyncSelect(l, HWND, WM, 0x800, e), WSAEINVAL);
    expectError((e) => server.WSPAsyncSelect(4242, HWND, WM, FD_READ, e), WSAENOTSOCK);
    const bare = pair().server;
    const s = tcp(bare);
    expectError((e) => bare.WSPAsyncSelect(s, HWND, WM, FD_READ, e), WSAEINVAL);
    assert.equal(bare.WSPStartup(0x0202, {}, null, null, {}), 0);
    expectError((e) => bare.WSPAsyncSelect(s, HWND, WM, FD_READ, e), WSAEINVAL);
  });
});

describe('waitForEvents (WSAWaitForMultipleEvents stand-in) and WSAEvent', () => {
  test('runs the network until an event is signalled and returns its index', () => {
    const { net, server, client } = pair();
    const l1 = listener(server, SERVER, 5);
    const l2 = listener(server, v4('10.0.0.1', 90), 5);
    const [e1, e2] = [new WSAEvent(), new WSAEvent()];
    ok((e) => server.WSPEventSelect(l1, e1, FD_ACCEPT, e));
    ok((e) => server.WSPEventSelect(l2, e2, FD_ACCEPT, e));
    startConnect(client, v4('10.0.0.1', 90));
    assert.equal(server.waitForEvents([e1, e2], false, null), 1);
    assert.ok(net.now() > 0);
    assert.deepEqual([e1.signaled, e2.signaled], [false, true]);
  });

  test('WSA_WAIT_TIMEOUT after exactly the time-out; WSA_WAIT_FAILED when nothing can ever signal', () => {
    const { net, server, ev } = selected();
    assert.equal(server.waitForEvents([ev], false, 0), WSA_WAIT_TIMEOUT);
    assert.equal(server.waitForEvents([ev], false, 250), WSA_WAIT_TIMEOUT);
    assert.equal(net.now(), 250);
    assert.equal(server.waitForEvents([ev], false, null), WSA_WAIT_FAILED);
  });

  test('waitAll waits for every event (an already-signalled one counts)', () => {
    const { net, client, server, ev } = selected();
    const manual = new WSAEvent();
    manual.set();
    startConnect(client, SERVER);
    assert.equal(server.waitForEvents([manual, ev], true, 1000), 0);
    assert.deepEqual([manual.signaled, ev.signaled], [true, true]);
    assert.ok(net.now() > 0 && net.now() < 1000);
  });

  test('WSA_INFINITE as the time-out waits for ever, like null', () => {
    const { net, server, ev } = selected();
    assert.equal(server.waitForEvents([ev], false, WSA_INFINITE), WSA_WAIT_FAILED);
    assert.equal(net.now(), 0);
  });
});
