/**
 * Ports of Wine's network-event tests (dlls/ws2_32/tests/sock.c): test_events — which runs
 * test_accept_events, test_connect_events, test_write_events, test_read_events and
 * test_close_events once in event mode (WSPEventSelect, an event object, WSPEnumNetworkEvents)
 * and once in message mode (WSPAsyncSelect; WSPStartup's upcall table posts into a queue that
 * stands for the window's message queue) — and test_WSAEnumNetworkEvents. What Wine asserts,
 * todo_wine included (the asserted value is Windows'), is asserted here.
 *
 * test_oob_events runs on the virtual network only: the host network has no urgent data (node:net
 * offers none; MSG_OOB fails with WSAEOPNOTSUPP there).
 *
 * The overlapped WSARecv rows of test_read_events (sync_recv, the pending WSARecv) are the last
 * block; the AcceptEx part of test_accept_events is in acceptex.test.ts.
 *
 * Left out: the WSAPoll thread of test_read_events (its assertion about WSPEnumNetworkEvents is
 * kept without it).
 */
import assert from 'node:assert/strict';
import {
  FD_ACCEPT, FD_CLOSE, FD_CONNECT, FD_MAX_EVENTS, FD_OOB, FD_READ, FD_WRITE, FIONREAD, MSG_OOB, SD_BOTH, SD_RECEIVE,
  SD_SEND, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, SO_LINGER, WSAECONNABORTED, WSAEFAULT, WSAEWOULDBLOCK, WSAEvent, errorName,
  type SockAddr, type WSANETWORKEVENTS, STATUS_PENDING, WSA_IO_PENDING, type WSAOVERLAPPED,
} from '../../src/index.js';
import {
  addr, call, nameOf, nonBlocking, ok, onNetworks, recv, send, socket, tcpPair, type World,
} from './harness.js';

// ---- the test context: event mode or message mode ------------------------------------------

const WM_USER = 0x400;
const HWND = { window: 'test_events' };

interface Posted {
  readonly hWnd: unknown;
  readonly msg: number;
  readonly wParam: number;
  readonly lParam: number;
}

type Mode = 'event mode' | 'message mode';
const MODES: readonly Mode[] = ['event mode', 'message mode'];

/** Wine's struct event_test_ctx. */
class Ctx {
  socket = 0;
  readonly event = new WSAEvent();
  /** The window's message queue. */
  readonly queue: Posted[] = [];

  constructor(readonly w: World, readonly mode: Mode) {
    if (mode === 'message mode') {
      const upcalls = {
        lpWPUPostMessage: (hWnd: unknown, msg: number, wParam: number, lParam: number) => {
          this.queue.push({ hWnd, msg, wParam, lParam });
          return true;
        },
      };
      assert.equal(w.p.WSPStartup(0x0202, {}, null, upcalls, {}), 0);
    }
  }

  get isMessage(): boolean {
    return this.mode === 'message mode';
  }
}

/** select_events: WSPEventSelect or WSPAsyncSelect; the socket becomes the one checked. */
function selectEvents(ctx: Ctx, s: number, events: number): void {
  if (ctx.isMessage) ok('WSPAsyncSelect', (e) => ctx.w.p.WSPAsyncSelect(s, HWND, WM_USER, events, e));
  else ok('WSPEventSelect', (e) => ctx.w.p.WSPEventSelect(s, ctx.event, events, e));
  ctx.socket = s;
}

/** MAKELONG(event, error). */
function withError(event: number, error: number): number {
  return (event | (error << 16)) >>> 0;
}

const EVENT_NAMES: [number, string][] = [
  [FD_READ, 'FD_READ'], [FD_WRITE, 'FD_WRITE'], [FD_OOB, 'FD_OOB'], [FD_ACCEPT, 'FD_ACCEPT'], [FD_CONNECT, 'FD_CONNECT'], [FD_CLOSE, 'FD_CLOSE'],
];

function describeEvent(lParam: number): string {
  const names = EVENT_NAMES.filter(([bit]) => (lParam & 0xffff & bit) !== 0).map(([, n]) => n);
  const error = lParam >>> 16;
  return `${names.join('|') || '0'}${error !== 0 ? `(${errorName(error) ?? error})` : ''}`;
}

/** Lets the network run until `cond` holds, for at most `ms` (virtual time), or 3 s (host). */
async function waitFor(w: World, cond: () => boolean, ms: number): Promise<void> {
  if (cond()) return;
  if (w.kind === 'virtual') {
    await w.pass(ms);
    return;
  }
  const deadline = Date.now() + Math.max(ms, 3000);
  while (!cond() && Date.now() < deadline) await w.pass(5);
}

/** Lets `ms` pass when nothing is expected (shortened on the host network). */
async function idle(w: World, ms: number): Promise<void> {
  if (ms > 0) await w.pass(w.kind === 'virtual' ? ms : Math.min(ms, 200));
}

/**
 * check_events: in message mode, exactly the messages `flag1` then `flag2` (MAKELONG(event,
 * error)) for ctx.socket; in event mode, the event object signaled (or, with no flags, not
 * signaled) and WSPEnumNetworkEvents reporting exactly those events with those error codes.
 */
async function checkEvents(ctx: Ctx, flag1: number, flag2: number, timeout: number, what = ''): Promise<void> {
  const { w } = ctx;
  const label = `${ctx.mode}${what !== '' ? `, ${what}` : ''}`;
  if (ctx.isMessage) {
    const want = [flag1, flag2].filter((f) => f !== 0);
    if (want.length > 0) await waitFor(w, () => ctx.queue.length >= want.length, timeout);
    else await idle(w, timeout);
    const got = ctx.queue.splice(0);
    for (const m of got) {
      assert.equal(m.hWnd, HWND, `${label}: hWnd`);
      assert.equal(m.msg, WM_USER, `${label}: message`);
    }
    assert.deepEqual(
      got.map((m) => `${m.wParam}:${describeEvent(m.lParam)}`),
      want.map((f) => `${ctx.socket}:${describeEvent(f)}`),
      `${label}: the messages posted`,
    );
    return;
  }
  const events = (flag1 | flag2) & 0xffff;
  if (events !== 0) await waitFor(w, () => ctx.event.signaled, timeout);
  else await idle(w, timeout);
  assert.equal(ctx.event.signaled, events !== 0, `${label}: the event object is ${events !== 0 ? '' : 'not '}signaled`);
  const ne: WSANETWORKEVENTS = { lNetworkEvents: -1, iErrorCode: new Array<number>(FD_MAX_EVENTS).fill(0xcccccccc) };
  ok('WSPEnumNetworkEvents', (e) => w.p.WSPEnumNetworkEvents(ctx.socket, ctx.event, ne, e));
  assert.equal(describeEvent(ne.lNetworkEvents), describeEvent(events), `${label}: lNetworkEvents`);
  for (const flag of [flag1, flag2]) {
    if (flag === 0) continue;
    const bit = 31 - Math.clz32(flag & 0xffff);
    assert.equal(errorName(ne.iErrorCode[bit]!) ?? ne.iErrorCode[bit], errorName(flag >>> 16) ?? flag >>> 16, `${label}: iErrorCode of ${describeEvent(flag & 0xffff)}`);
  }
}

// ---- C-shaped steps that work on both networks ---------------------------------------------

/** A loopback address with port 0, as Wine's `addr`. */
function loopback(w: World): SockAddr {
  return addr(w.loopback4, 0);
}

function bindListen(w: World, s: number, backlog = 2): SockAddr {
  ok('WSPBind', (e) => w.p.WSPBind(s, loopback(w), 16, e));
  const at = nameOf(w, s);
  ok('WSPListen', (e) => w.p.WSPListen(s, backlog, e));
  return at;
}

function phase(w: World, s: number): string | undefined {
  return w.p.inspect(s)?.phase;
}

/**
 * connect() that succeeds: a blocking one in Wine. Made non-blocking for the call (so the host
 * network's main thread can do it), then left as it was; a selected socket stays non-blocking
 * and, as on Windows, answers WSAEWOULDBLOCK.
 */
async function connectNow(w: World, s: number, at: SockAddr): Promise<void> {
  const blocking = w.p.inspect(s)?.nonBlocking === false;
  if (blocking) nonBlocking(w, s);
  const r = call((e) => w.p.WSPConnect(s, at, 16, null, null, null, null, e));
  assert.ok(r.ret === 0 || r.err === WSAEWOULDBLOCK, `connect failed with ${errorName(r.err)}`);
  await w.settle(() => phase(w, s) === 'connected', 'the connect');
  if (blocking) nonBlocking(w, s, false);
}

/** A connect that is expected to complete later (non-blocking, or on a selected socket). */
function startConnect(w: World, s: number, at: SockAddr): void {
  const r = call((e) => w.p.WSPConnect(s, at, 16, null, null, null, null, e));
  assert.ok(r.ret === 0 || r.err === WSAEWOULDBLOCK, `connect failed with ${errorName(r.err)}`);
}

/** accept() of a connection that is (or is about to be) queued: one WSPAccept call, once it can succeed. */
async function acceptNow(w: World, l: number): Promise<number> {
  await w.settle(() => (w.p.inspect(l)?.listen?.ready ?? 0) > 0, 'a connection to accept');
  return ok('WSPAccept', (e) => w.p.WSPAccept(l, null, null, null, 0, e));
}

function readable(w: World, s: number): number {
  const out = new Uint8Array(4);
  ok('FIONREAD', (e) => w.p.WSPIoctl(s, FIONREAD, null, 0, out, 4, { value: 0 }, null, null, null, e));
  return new DataView(out.buffer).getUint32(0, true);
}

/** recv() of `len` bytes once `atLeast` have arrived (one WSPRecv call: each call re-enables FD_READ). */
async function recvNow(w: World, s: number, len: number, atLeast = 1): Promise<number> {
  await w.settle(() => readable(w, s) >= atLeast, `${atLeast} bytes to read`);
  const r = recv(w, s, len);
  assert.equal(r.err, 0, `recv failed with ${errorName(r.err)}`);
  return r.bytes.length;
}

/** recv() that returns 0: waits (by select, which re-enables nothing) for the end of the stream. */
async function recvEnd(w: World, s: number): Promise<number> {
  await w.settle(() => {
    const set = { fd_count: 1, fd_array: [s] };
    return ok('WSPSelect', (e) => w.p.WSPSelect(0, set, null, null, { tv_sec: 0, tv_usec: 0 }, e)) === 1;
  }, 'the end of the stream');
  const r = recv(w, s, 5);
  assert.equal(r.err, 0, `recv failed with ${errorName(r.err)}`);
  return r.bytes.length;
}

function sendText(w: World, s: number, text: string): number {
  const r = send(w, s, new TextEncoder().encode(text));
  assert.equal(r.err, 0, `send failed with ${errorName(r.err)}`);
  return r.sent;
}

function close(w: World, s: number): void {
  ok('WSPCloseSocket', (e) => w.p.WSPCloseSocket(s, e));
}

/** close_with_rst: SO_LINGER {1, 0} and close. */
function closeWithRst(w: World, s: number): void {
  ok('SO_LINGER', (e) => w.p.WSPSetSockOpt(s, SOL_SOCKET, SO_LINGER, new Uint8Array([1, 0, 0, 0]), 4, e));
  close(w, s);
}

function shutdown(w: World, s: number, how: number): void {
  ok('WSPShutdown', (e) => w.p.WSPShutdown(s, how, e));
}

/** The pair the tests name (client, server), with the data path settled. */
async function socketPair(w: World): Promise<{ client: number; server: number }> {
  return tcpPair(w);
}

const ALL = FD_ACCEPT | FD_CLOSE | FD_CONNECT | FD_OOB | FD_READ | FD_WRITE;
/** Everything but FD_WRITE: what test_read_events, test_oob_events and test_close_events select. */
const CLOSE_SET = FD_ACCEPT | FD_CLOSE | FD_CONNECT | FD_OOB | FD_READ;

// ---- test_accept_events ------------------------------------------------------------------

onNetworks('test_events: test_accept_events', (it) => {
  for (const mode of MODES) {
    it(`test_accept_events (${mode}): FD_ACCEPT once a connection is queued; selecting again posts it again in message mode only; a second connection is recorded in event mode only; accept re-enables it`, async (w) => {
      const ctx = new Ctx(w, mode);
      const listener = socket(w);
      selectEvents(ctx, listener, FD_CONNECT | FD_READ | FD_OOB | FD_ACCEPT);
      const at = bindListen(w, listener);
      await checkEvents(ctx, 0, 0, 0, 'listening, nothing queued');

      let client = socket(w);
      await connectNow(w, client, at);
      await checkEvents(ctx, FD_ACCEPT, 0, 200, 'a connection');
      await checkEvents(ctx, 0, 0, 0);
      selectEvents(ctx, listener, FD_CONNECT | FD_READ | FD_OOB | FD_ACCEPT);
      if (ctx.isMessage) await checkEvents(ctx, FD_ACCEPT, 0, 200, 'selected again');
      await checkEvents(ctx, 0, 0, 0, 'selected again');
      selectEvents(ctx, listener, 0);
      selectEvents(ctx, listener, FD_CONNECT | FD_READ | FD_OOB | FD_ACCEPT);
      if (ctx.isMessage) await checkEvents(ctx, FD_ACCEPT, 0, 200, 'cancelled and selected again');
      await checkEvents(ctx, 0, 0, 0, 'cancelled and selected again');

      const client2 = socket(w);
      await connectNow(w, client2, at);
      if (!ctx.isMessage) await checkEvents(ctx, FD_ACCEPT, 0, 200, 'a second connection (todo_wine: Windows records it)');
      await checkEvents(ctx, 0, 0, 0, 'a second connection');

      let server = await acceptNow(w, listener);
      close(w, server);
      await checkEvents(ctx, FD_ACCEPT, 0, 200, 'accept with one more queued');
      await checkEvents(ctx, 0, 0, 0);

      server = await acceptNow(w, listener);
      close(w, server);
      await checkEvents(ctx, 0, 0, 0, 'accept of the last one');

      close(w, client2);
      close(w, client);

      client = socket(w);
      await connectNow(w, client, at);
      await checkEvents(ctx, FD_ACCEPT, 0, 200, 'a connection after the queue emptied');
      server = await acceptNow(w, listener);
      close(w, server);
      close(w, client);
      await checkEvents(ctx, 0, 0, 200);
      close(w, listener);
    });

    it(`test_accept_events (${mode}): connect and then select; subsets with and without FD_ACCEPT; accept before selecting`, async (w) => {
      const ctx = new Ctx(w, mode);
      const listener = socket(w);
      const at = bindListen(w, listener);

      // Connect and then select.
      let client = socket(w);
      await connectNow(w, client, at);
      await w.settle(() => (w.p.inspect(listener)?.listen?.ready ?? 0) > 0, 'the connection queued');
      selectEvents(ctx, listener, FD_CONNECT | FD_READ | FD_OOB | FD_ACCEPT);
      await checkEvents(ctx, FD_ACCEPT, 0, 200, 'connect and then select');
      let server = await acceptNow(w, listener);
      close(w, server);
      close(w, client);

      // As above, but select on a subset containing FD_ACCEPT first (event mode only).
      if (!ctx.isMessage) {
        selectEvents(ctx, listener, FD_CONNECT | FD_READ | FD_OOB | FD_ACCEPT);
        client = socket(w);
        await connectNow(w, client, at);
        await waitFor(w, () => ctx.event.signaled, 200);
        assert.equal(ctx.event.signaled, true, 'signaled by the connection');
        selectEvents(ctx, listener, FD_CONNECT | FD_READ | FD_OOB);
        assert.equal(ctx.event.signaled, true, 'selecting a subset does not reset the event object');
        ctx.event.reset();
        selectEvents(ctx, listener, FD_CONNECT | FD_READ | FD_OOB);
        assert.equal(ctx.event.signaled, false, 'FD_ACCEPT is not selected: nothing to signal');
        selectEvents(ctx, listener, FD_CONNECT | FD_READ | FD_OOB | FD_ACCEPT);
        assert.equal(ctx.event.signaled, true, 'FD_ACCEPT selected again: still recorded, signaled at once');
        await checkEvents(ctx, FD_ACCEPT, 0, 0, 'the subset containing FD_ACCEPT');
        server = await acceptNow(w, listener);
        close(w, server);
        close(w, client);
      }

      // As above, but select on a subset not containing FD_ACCEPT first.
      selectEvents(ctx, listener, FD_CONNECT | FD_READ | FD_OOB);
      client = socket(w);
      await connectNow(w, client, at);
      await w.settle(() => (w.p.inspect(listener)?.listen?.ready ?? 0) > 0, 'the connection queued');
      selectEvents(ctx, listener, FD_CONNECT | FD_READ | FD_OOB | FD_ACCEPT);
      await checkEvents(ctx, FD_ACCEPT, 0, 200, 'a subset without FD_ACCEPT first');
      server = await acceptNow(w, listener);
      close(w, server);
      close(w, client);

      // As above, but call accept() before selecting.
      selectEvents(ctx, listener, FD_CONNECT | FD_READ | FD_OOB);
      client = socket(w);
      await connectNow(w, client, at);
      await idle(w, 200);
      server = await acceptNow(w, listener);
      selectEvents(ctx, listener, FD_CONNECT | FD_READ | FD_OOB | FD_ACCEPT);
      await checkEvents(ctx, 0, 0, 200, 'accepted before selecting');
      close(w, server);
      close(w, client);
      close(w, listener);
    });

    it(`test_accept_events (${mode}): the socket returned from accept inherits the selection: FD_WRITE, and nothing else`, async (w) => {
      const ctx = new Ctx(w, mode);
      const listener = socket(w);
      const at = bindListen(w, listener);
      const client = socket(w);
      await connectNow(w, client, at);
      await w.settle(() => (w.p.inspect(listener)?.listen?.ready ?? 0) > 0, 'the connection queued');
      selectEvents(ctx, listener, FD_CONNECT | FD_READ | FD_OOB | FD_ACCEPT | FD_WRITE);
      await checkEvents(ctx, FD_ACCEPT, 0, 200);
      const server = await acceptNow(w, listener);
      ctx.socket = server;
      await checkEvents(ctx, FD_WRITE, 0, 200, 'the accepted socket');
      await checkEvents(ctx, 0, 0, 0, 'the accepted socket');
      close(w, server);
      close(w, client);
      close(w, listener);
    });
  }
});

// ---- test_connect_events -------------------------------------------------------------------

onNetworks('test_events: test_connect_events', (it) => {
  for (const mode of MODES) {
    it(`test_connect_events (${mode}): FD_CONNECT comes before FD_WRITE; selecting again posts FD_WRITE (not FD_CONNECT) in message mode only; the accepted socket gets FD_WRITE`, async (w) => {
      const ctx = new Ctx(w, mode);
      const listener = socket(w);
      const at = bindListen(w, listener);
      const client = socket(w);
      selectEvents(ctx, client, ALL);
      await checkEvents(ctx, 0, 0, 0, 'not connected');
      startConnect(w, client, at);
      await checkEvents(ctx, FD_CONNECT, FD_WRITE, 200, 'connected');
      await checkEvents(ctx, 0, 0, 0);
      selectEvents(ctx, client, 0);
      selectEvents(ctx, client, ALL);
      if (ctx.isMessage) await checkEvents(ctx, FD_WRITE, 0, 200, 'selected again');
      await checkEvents(ctx, 0, 0, 0, 'selected again');

      const server = await acceptNow(w, listener);
      selectEvents(ctx, server, FD_ACCEPT | FD_CONNECT | FD_OOB | FD_READ | FD_WRITE);
      await checkEvents(ctx, FD_WRITE, 0, 200, 'the accepted socket: no FD_CONNECT');
      close(w, client);
      close(w, server);
      close(w, listener);
    });

    it(`test_connect_events (${mode}): connect and then select: event mode finds FD_CONNECT and FD_WRITE, message mode posts FD_WRITE only`, async (w) => {
      const ctx = new Ctx(w, mode);
      const listener = socket(w);
      const at = bindListen(w, listener);
      const client = socket(w);
      await connectNow(w, client, at);
      const server = await acceptNow(w, listener);
      assert.equal(sendText(w, client, 'data\0'), 5);
      selectEvents(ctx, client, ALL);
      if (ctx.isMessage) await checkEvents(ctx, FD_WRITE, 0, 200);
      else await checkEvents(ctx, FD_CONNECT, FD_WRITE, 200);
      close(w, client);
      close(w, server);
      close(w, listener);
    });

    it(`test_connect_events (${mode}): select on a subset not containing FD_CONNECT first: FD_WRITE; then FD_CONNECT (event mode) or FD_WRITE again (message mode)`, async (w) => {
      const ctx = new Ctx(w, mode);
      const listener = socket(w);
      const at = bindListen(w, listener);
      const client = socket(w);
      selectEvents(ctx, client, FD_ACCEPT | FD_CLOSE | FD_OOB | FD_READ | FD_WRITE);
      startConnect(w, client, at);
      const server = await acceptNow(w, listener);
      await checkEvents(ctx, FD_WRITE, 0, 200, 'without FD_CONNECT');
      selectEvents(ctx, client, FD_ACCEPT | FD_CONNECT | FD_OOB | FD_READ | FD_WRITE);
      if (ctx.isMessage) await checkEvents(ctx, FD_WRITE, 0, 200, 'with FD_CONNECT');
      else await checkEvents(ctx, FD_CONNECT, 0, 200, 'with FD_CONNECT');
      close(w, client);
      close(w, server);
      close(w, listener);
    });

    it(`test_connect_events (${mode}): UDP: an unbound socket posts FD_WRITE in message mode and records nothing in event mode; connect brings FD_CONNECT and FD_WRITE (event mode) or FD_WRITE (message mode)`, async (w) => {
      const ctx = new Ctx(w, mode);
      const client = socket(w, SOCK_DGRAM);
      const server = socket(w, SOCK_DGRAM);
      selectEvents(ctx, client, FD_ACCEPT | FD_CONNECT | FD_OOB | FD_READ | FD_WRITE);
      if (ctx.isMessage) await checkEvents(ctx, FD_WRITE, 0, 200, 'unbound');
      await checkEvents(ctx, 0, 0, 0, 'unbound (todo_wine in event mode: Windows records nothing)');
      ok('WSPBind', (e) => w.p.WSPBind(server, loopback(w), 16, e));
      const destaddr = nameOf(w, server);
      // Wine connects to 127.0.0.1 port 0, which Windows accepts for UDP (ok(!ret)); this
      // provider refuses port 0 with WSAEADDRNOTAVAIL (provider.ts), so the bound address is used.
      ok('WSPConnect', (e) => w.p.WSPConnect(client, destaddr, 16, null, null, null, null, e));
      if (ctx.isMessage) await checkEvents(ctx, FD_WRITE, 0, 200, 'connected (todo_wine)');
      else await checkEvents(ctx, FD_CONNECT, FD_WRITE, 200, 'connected (todo_wine)');
      await checkEvents(ctx, 0, 0, 0);
      close(w, client);
      close(w, server);
    });
  }
});

// ---- test_write_events ---------------------------------------------------------------------

/** Sends on a non-blocking socket until WSAEWOULDBLOCK. */
function fill(w: World, s: number): void {
  const chunk = new Uint8Array(1024 * 1024);
  for (let i = 0; i < 1000; i++) {
    const r = send(w, s, chunk);
    if (r.err !== 0) {
      assert.equal(errorName(r.err), 'WSAEWOULDBLOCK');
      return;
    }
    assert.ok(r.sent > 0);
  }
  assert.fail('the send buffer never filled');
}

/** Reads everything on a non-blocking socket until the peer's send buffer has drained. */
async function drain(w: World, s: number, peer: number): Promise<void> {
  const drained = () => {
    for (;;) {
      const r = recv(w, s, 1024 * 1024);
      if (r.err !== 0) {
        assert.equal(errorName(r.err), 'WSAEWOULDBLOCK');
        break;
      }
      if (r.bytes.length === 0) break;
    }
    const set = { fd_count: 1, fd_array: [peer] };
    return ok('WSPSelect', (e) => w.p.WSPSelect(0, null, set, null, { tv_sec: 0, tv_usec: 0 }, e)) === 1;
  };
  for (let i = 0; i < 10_000 && !drained(); i++) await w.pass(1);
  assert.ok(drained(), 'the sender became writable again');
}

onNetworks('test_events: test_write_events', (it) => {
  for (const mode of MODES) {
    it(`test_write_events (${mode}): FD_WRITE when selected, once; selecting again posts it again in message mode only; a send does not bring it back; a send that met a full buffer does once room opens`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      nonBlocking(w, client);

      selectEvents(ctx, server, ALL);
      await checkEvents(ctx, FD_WRITE, 0, 200, 'selected');
      await checkEvents(ctx, 0, 0, 0);
      selectEvents(ctx, server, ALL);
      if (ctx.isMessage) await checkEvents(ctx, FD_WRITE, 0, 200, 'selected again');
      await checkEvents(ctx, 0, 0, 0, 'selected again');
      selectEvents(ctx, server, 0);
      selectEvents(ctx, server, ALL);
      if (ctx.isMessage) await checkEvents(ctx, FD_WRITE, 0, 200, 'cancelled and selected again');
      await checkEvents(ctx, 0, 0, 0, 'cancelled and selected again');

      assert.equal(sendText(w, server, 'data\0'), 5);
      await checkEvents(ctx, 0, 0, 0, 'after a send');
      assert.equal(await recvNow(w, client, 1024 * 1024, 5), 5);
      await checkEvents(ctx, 0, 0, 0, 'after the peer read');

      // Wine runs this part on Wine only (!broken(1)); its ok(ret == buffer_size) is not a
      // Windows assertion and is not kept: a non-blocking send here returns what fits.
      fill(w, server);
      await drain(w, client, server);
      await checkEvents(ctx, FD_WRITE, 0, 200, 'room after WSAEWOULDBLOCK');
      await checkEvents(ctx, 0, 0, 0);
      selectEvents(ctx, server, 0);
      selectEvents(ctx, server, ALL);
      if (ctx.isMessage) await checkEvents(ctx, FD_WRITE, 0, 200, 'cancelled and selected again');
      await checkEvents(ctx, 0, 0, 0, 'cancelled and selected again');
      close(w, server);
      close(w, client);
    });

    it(`test_write_events (${mode}): select on a subset not containing FD_WRITE first`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      nonBlocking(w, client);
      assert.equal(sendText(w, client, 'data\0'), 5);
      selectEvents(ctx, client, FD_ACCEPT | FD_CONNECT | FD_OOB | FD_READ);
      if (!ctx.isMessage) await checkEvents(ctx, FD_CONNECT, 0, 200, 'the connect done before selecting');
      await checkEvents(ctx, 0, 0, 0);
      selectEvents(ctx, client, FD_ACCEPT | FD_CONNECT | FD_OOB | FD_READ | FD_WRITE);
      await checkEvents(ctx, FD_WRITE, 0, 200, 'FD_WRITE selected');
      await checkEvents(ctx, 0, 0, 0);
      close(w, client);
      close(w, server);
    });

    it(`test_write_events (${mode}): "unlike FD_ACCEPT and FD_RECV, calling send() doesn't clear the FD_WRITE bit"`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      selectEvents(ctx, server, FD_ACCEPT | FD_CONNECT | FD_OOB | FD_READ | FD_WRITE);
      assert.equal(sendText(w, server, 'data\0'), 5);
      await checkEvents(ctx, FD_WRITE, 0, 200);
      close(w, server);
      close(w, client);
    });
  }
});

// ---- test_read_events ----------------------------------------------------------------------

onNetworks('test_events: test_read_events', (it) => {
  for (const mode of MODES) {
    it(`test_read_events (${mode}): FD_READ once per arrival; recv re-enables it while data is left; a recv refused with WSAEFAULT re-enables it in message mode only`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      nonBlocking(w, client);

      selectEvents(ctx, server, FD_ACCEPT | FD_CLOSE | FD_CONNECT | FD_OOB | FD_READ);
      await checkEvents(ctx, 0, 0, 0, 'nothing to read');
      assert.equal(sendText(w, client, 'data\0'), 5);
      await checkEvents(ctx, FD_READ, 0, 200, 'data');
      await checkEvents(ctx, 0, 0, 0);
      selectEvents(ctx, server, FD_ACCEPT | FD_CLOSE | FD_CONNECT | FD_OOB | FD_READ);
      if (ctx.isMessage) await checkEvents(ctx, FD_READ, 0, 200, 'selected again');
      await checkEvents(ctx, 0, 0, 0, 'selected again');
      selectEvents(ctx, server, 0);
      selectEvents(ctx, server, FD_ACCEPT | FD_CLOSE | FD_CONNECT | FD_OOB | FD_READ);
      if (ctx.isMessage) await checkEvents(ctx, FD_READ, 0, 200, 'cancelled and selected again');
      await checkEvents(ctx, 0, 0, 0, 'cancelled and selected again');

      assert.equal(sendText(w, client, 'data\0'), 5);
      if (!ctx.isMessage) await checkEvents(ctx, FD_READ, 0, 200, 'more data (todo_wine: Windows records it in event mode)');
      await checkEvents(ctx, 0, 0, 0, 'more data');

      assert.equal(await recvNow(w, server, 2, 10), 2);
      await checkEvents(ctx, FD_READ, 0, 200, 'recv with data left');
      await checkEvents(ctx, 0, 0, 0);

      // recv(server, buffer, -1, 0): a buffer the call cannot use.
      const r = call((e) => w.p.WSPRecv(server, [{ len: 0xffffffff, buf: new Uint8Array(8) }], 1, { value: 0 }, { value: 0 }, null, null, null, e));
      assert.equal(r.ret, -1);
      assert.equal(errorName(r.err), errorName(WSAEFAULT));
      if (ctx.isMessage) await checkEvents(ctx, FD_READ, 0, 200, 'after the refused recv (todo_wine in message mode)');
      await checkEvents(ctx, 0, 0, 0, 'after the refused recv');

      for (let i = 0; i < 8; ++i) {
        assert.equal(await recvNow(w, server, 1), 1);
        if (i < 7) await checkEvents(ctx, FD_READ, 0, 200, `recv ${i + 1} of 8`);
        await checkEvents(ctx, 0, 0, 0, `recv ${i + 1} of 8`);
      }
      close(w, server);
      close(w, client);
    });

    it(`test_read_events (${mode}): data sent while not selecting is reported once FD_READ is selected, unless it was read before`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      nonBlocking(w, client);
      selectEvents(ctx, server, 0);
      assert.equal(sendText(w, client, 'data\0'), 5);
      await w.settle(() => readable(w, server) === 5, 'the data');
      selectEvents(ctx, server, FD_ACCEPT | FD_CLOSE | FD_CONNECT | FD_OOB | FD_READ);
      await checkEvents(ctx, FD_READ, 0, 200, 'selected after the data arrived');
      assert.equal(await recvNow(w, server, 5), 5);

      selectEvents(ctx, server, 0);
      assert.equal(sendText(w, client, 'data\0'), 5);
      assert.equal(await recvNow(w, server, 5, 5), 5);
      selectEvents(ctx, server, FD_ACCEPT | FD_CONNECT | FD_OOB | FD_READ);
      await checkEvents(ctx, 0, 0, 200, 'the data was read before selecting');
      close(w, server);
      close(w, client);
    });

    it(`test_read_events (${mode}): WSPEnumNetworkEvents does not clear events that are not selected (FD_READ then FD_WRITE once both are)`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      nonBlocking(w, client);
      selectEvents(ctx, server, FD_ACCEPT | FD_CLOSE | FD_CONNECT | FD_OOB | FD_READ);
      await checkEvents(ctx, 0, 0, 0);
      selectEvents(ctx, server, 0);
      assert.equal(sendText(w, client, 'data\0'), 5);
      await w.settle(() => readable(w, server) === 5, 'the data');
      await checkEvents(ctx, 0, 0, 0, 'nothing selected');
      selectEvents(ctx, server, FD_ACCEPT | FD_CONNECT | FD_OOB | FD_READ | FD_WRITE);
      await checkEvents(ctx, FD_READ, FD_WRITE, 200, 'FD_READ and FD_WRITE selected');
      await checkEvents(ctx, 0, 0, 0);
      close(w, server);
      close(w, client);
    });
  }
});

// ---- test_oob_events -----------------------------------------------------------------------

/** Waits (by select, which re-enables nothing) until urgent data waits on `s`. */
async function untilUrgent(w: World, s: number): Promise<void> {
  await w.settle(() => {
    const set = { fd_count: 1, fd_array: [s] };
    return ok('WSPSelect', (e) => w.p.WSPSelect(0, null, null, set, { tv_sec: 0, tv_usec: 0 }, e)) === 1;
  }, 'urgent data');
}

function sendUrgent(w: World, s: number, text: string): number {
  const r = send(w, s, new TextEncoder().encode(text), MSG_OOB);
  assert.equal(r.err, 0, `send(MSG_OOB) failed with ${errorName(r.err)}`);
  return r.sent;
}

function recvUrgent(w: World, s: number): number {
  const r = recv(w, s, 1, MSG_OOB);
  assert.equal(r.err, 0, `recv(MSG_OOB) failed with ${errorName(r.err)}`);
  return r.bytes.length;
}

const NO_URGENT_DATA = 'the host network has no urgent data (node:net offers none; MSG_OOB is WSAEOPNOTSUPP there)';

onNetworks('test_events: test_oob_events', (it) => {
  for (const mode of MODES) {
    it(`test_oob_events (${mode}): FD_OOB once; selecting again posts it again in message mode only; a second urgent byte is recorded in event mode only; a MSG_OOB receive that leaves one brings FD_OOB back`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      nonBlocking(w, client);
      selectEvents(ctx, server, CLOSE_SET);
      await checkEvents(ctx, 0, 0, 0, 'nothing');

      assert.equal(sendUrgent(w, client, 'a'), 1);
      await checkEvents(ctx, FD_OOB, 0, 200, 'an urgent byte');
      await checkEvents(ctx, 0, 0, 0);
      selectEvents(ctx, server, CLOSE_SET);
      if (ctx.isMessage) await checkEvents(ctx, FD_OOB, 0, 200, 'selected again');
      await checkEvents(ctx, 0, 0, 0, 'selected again');
      selectEvents(ctx, server, 0);
      selectEvents(ctx, server, CLOSE_SET);
      if (ctx.isMessage) await checkEvents(ctx, FD_OOB, 0, 200, 'cancelled and selected again');
      await checkEvents(ctx, 0, 0, 0, 'cancelled and selected again');

      assert.equal(sendUrgent(w, client, 'b'), 1);
      if (!ctx.isMessage) await checkEvents(ctx, FD_OOB, 0, 200, 'a second urgent byte (todo_wine in event mode)');
      await checkEvents(ctx, 0, 0, 0, 'a second urgent byte');

      await untilUrgent(w, server);
      assert.equal(recvUrgent(w, server), 1);
      await checkEvents(ctx, FD_OOB, 0, 200, 'one urgent byte read, one left (todo_wine)');
      await checkEvents(ctx, 0, 0, 0);
      assert.equal(recvUrgent(w, server), 1, 'the second urgent byte (todo_wine)');
      await checkEvents(ctx, 0, 0, 0, 'both read');

      // Send data while we're not selecting.
      selectEvents(ctx, server, 0);
      assert.equal(sendUrgent(w, client, 'a'), 1);
      await untilUrgent(w, server);
      selectEvents(ctx, server, CLOSE_SET);
      await checkEvents(ctx, FD_OOB, 0, 200, 'selected after it arrived');
      assert.equal(recvUrgent(w, server), 1);
      close(w, server);
      close(w, client);
    }, { virtualOnly: NO_URGENT_DATA });
  }
});

// ---- test_close_events ---------------------------------------------------------------------

onNetworks('test_events: test_close_events', (it) => {
  for (const mode of MODES) {
    it(`test_close_events (${mode}): closesocket on the other end: FD_CLOSE (0) once; selecting again posts it again in message mode only; reading the end of the stream brings nothing`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      selectEvents(ctx, server, CLOSE_SET);
      close(w, client);
      await checkEvents(ctx, FD_CLOSE, 0, 1000, 'the peer closed');
      await checkEvents(ctx, 0, 0, 0);
      selectEvents(ctx, server, CLOSE_SET);
      if (ctx.isMessage) await checkEvents(ctx, FD_CLOSE, 0, 200, 'selected again');
      await checkEvents(ctx, 0, 0, 0, 'selected again');
      selectEvents(ctx, server, 0);
      selectEvents(ctx, server, CLOSE_SET);
      if (ctx.isMessage) await checkEvents(ctx, FD_CLOSE, 0, 200, 'cancelled and selected again');
      await checkEvents(ctx, 0, 0, 0, 'cancelled and selected again');
      assert.equal(await recvEnd(w, server), 0);
      await checkEvents(ctx, 0, 0, 0, 'after recv returned 0');
      close(w, server);
    });

    it(`test_close_events (${mode}): shutdown(SD_SEND) on the other end: FD_CLOSE; its closesocket afterwards: nothing more`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      selectEvents(ctx, server, CLOSE_SET);
      shutdown(w, client, SD_SEND);
      await checkEvents(ctx, FD_CLOSE, 0, 1000, 'SD_SEND');
      await checkEvents(ctx, 0, 0, 0);
      close(w, client);
      await checkEvents(ctx, 0, 0, 0, 'then closesocket');
      close(w, server);
    });

    it(`test_close_events (${mode}): no other shutdown() generates an event; SD_SEND on the other end after them still brings FD_CLOSE`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      selectEvents(ctx, server, CLOSE_SET);
      shutdown(w, client, SD_RECEIVE);
      shutdown(w, server, SD_BOTH);
      await checkEvents(ctx, 0, 0, 200, 'SD_RECEIVE there, SD_BOTH here');
      shutdown(w, client, SD_SEND);
      await checkEvents(ctx, FD_CLOSE, 0, 200, 'SD_SEND there (todo_wine)');
      await checkEvents(ctx, 0, 0, 0);
      close(w, server);
      close(w, client);
    });

    it(`test_close_events (${mode}): data before closesocket: FD_READ, then FD_CLOSE at once although the data is unread; FD_READ again while data is left`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      selectEvents(ctx, server, CLOSE_SET);
      assert.equal(sendText(w, client, 'data\0'), 5);
      await checkEvents(ctx, FD_READ, 0, 200, 'data');
      close(w, client);
      await checkEvents(ctx, FD_CLOSE, 0, 200, 'closed with 5 bytes unread (todo_wine)');
      assert.equal(await recvNow(w, server, 3), 3);
      await checkEvents(ctx, FD_READ, 0, 200, '2 bytes left');
      assert.equal(await recvNow(w, server, 5), 2);
      await checkEvents(ctx, 0, 0, 0, 'everything read (todo_wine)');
      close(w, server);
    });

    it(`test_close_events (${mode}): close and then select: FD_CLOSE`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      close(w, client);
      selectEvents(ctx, server, CLOSE_SET);
      await checkEvents(ctx, FD_CLOSE, 0, 200);
      close(w, server);
    });

    it(`test_close_events (${mode}): select on a subset not containing FD_CLOSE first: FD_CLOSE once it is selected`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      selectEvents(ctx, server, FD_ACCEPT | FD_CONNECT | FD_OOB | FD_READ);
      close(w, client);
      await checkEvents(ctx, 0, 0, 200, 'FD_CLOSE not selected');
      selectEvents(ctx, server, CLOSE_SET);
      await checkEvents(ctx, FD_CLOSE, 0, 200, 'FD_CLOSE selected');
      close(w, server);
    });

    it(`test_close_events (${mode}): a reset (close with a zero linger) brings FD_CLOSE with WSAECONNABORTED; selecting again posts it again in message mode only`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      selectEvents(ctx, server, CLOSE_SET);
      closeWithRst(w, client);
      await checkEvents(ctx, withError(FD_CLOSE, WSAECONNABORTED), 0, 200, 'RST');
      await checkEvents(ctx, 0, 0, 0);
      selectEvents(ctx, server, CLOSE_SET);
      if (ctx.isMessage) await checkEvents(ctx, withError(FD_CLOSE, WSAECONNABORTED), 0, 200, 'selected again (todo_wine)');
      await checkEvents(ctx, 0, 0, 0, 'selected again');
      selectEvents(ctx, server, 0);
      selectEvents(ctx, server, CLOSE_SET);
      if (ctx.isMessage) await checkEvents(ctx, withError(FD_CLOSE, WSAECONNABORTED), 0, 200, 'cancelled and selected again (todo_wine)');
      await checkEvents(ctx, 0, 0, 0, 'cancelled and selected again');
      close(w, server);
    });
  }
});

// ---- test_WSAEnumNetworkEvents -------------------------------------------------------------

onNetworks('test_WSAEnumNetworkEvents', (it) => {
  for (const withEvent of [true, false]) {
    it(`test_WSAEnumNetworkEvents (hEventObject ${withEvent ? 'given' : 'NULL'}): selecting FD_READ|FD_WRITE five times reports FD_WRITE the first time only (bound UDP, connected TCP), never on a bound TCP socket; iErrorCode entries of unreported events are left alone`, async (w) => {
      const cases = [
        { name: 'TCP, bound', type: SOCK_STREAM, writable: false },
        { name: 'UDP, bound', type: SOCK_DGRAM, writable: true },
        { name: 'TCP, connected', type: SOCK_STREAM, writable: true },
      ];
      for (const [i, c] of cases.entries()) {
        let s: number;
        let s2: number | undefined;
        if (i === 2) ({ client: s, server: s2 } = await socketPair(w));
        else {
          s = socket(w, c.type);
          ok('WSPBind', (e) => w.p.WSPBind(s, addr('0.0.0.0', 0), 16, e));
        }
        const event = new WSAEvent();
        for (let j = 0; j < 5; j++) {
          ok('WSPEventSelect', (e) => w.p.WSPEventSelect(s, event, FD_READ | FD_WRITE, e));
          const ne: WSANETWORKEVENTS = { lNetworkEvents: 0xabababab, iErrorCode: new Array<number>(FD_MAX_EVENTS).fill(0xabababab) };
          ok('WSPEnumNetworkEvents', (e) => w.p.WSPEnumNetworkEvents(s, withEvent ? event : null, ne, e));
          const expected = c.writable && j === 0 ? FD_WRITE : 0;
          assert.equal(ne.lNetworkEvents, expected, `${c.name}, selection ${j + 1}`);
          for (let k = 0; k < FD_MAX_EVENTS; k++) {
            assert.equal(ne.iErrorCode[k], (ne.lNetworkEvents & (1 << k)) !== 0 ? 0 : 0xabababab, `${c.name}, selection ${j + 1}, iErrorCode[${k}]`);
          }
        }
        close(w, s);
        if (s2 !== undefined) close(w, s2);
      }
    });
  }
});

// ---- test_read_events, overlapped rows -----------------------------------------------------

/** An OVERLAPPED with its own manual-reset event, as Wine's test_read_events makes it. */
function overlappedWithEvent(): WSAOVERLAPPED {
  return { Internal: 0xdeadbeef, InternalHigh: 0xdeadbeef, Offset: 0, OffsetHigh: 0, hEvent: new WSAEvent() };
}

/**
 * Wine's sync_recv: an overlapped WSARecv of `len` bytes, then GetOverlappedResult once it
 * completed (it usually completes at once here, data having arrived). Returns the count.
 */
async function syncRecv(w: World, s: number, len: number): Promise<number> {
  const ov = overlappedWithEvent();
  const buf = new Uint8Array(len);
  const r = call((e) => w.p.WSPRecv(s, [{ len, buf }], 1, null, { value: 0 }, ov, null, null, e));
  assert.ok(r.ret === 0 || r.err === WSA_IO_PENDING, `WSARecv failed with ${errorName(r.err)}`);
  await w.settle(() => ov.Internal !== STATUS_PENDING, 'the overlapped receive');
  const size = { value: 0 };
  assert.equal(w.p.WSPGetOverlappedResult(s, ov, size, false, null, { value: 0 }), 1);
  return size.value;
}

onNetworks('test_events: test_read_events (overlapped receives)', (it) => {
  for (const mode of MODES) {
    it(`test_read_events (${mode}): eight 1-byte overlapped receives (sync_recv) from 8 queued bytes: FD_READ after each of the first 7, none after the last [69]`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      nonBlocking(w, client);
      selectEvents(ctx, server, CLOSE_SET);
      assert.equal(sendText(w, client, 'datadata'), 8);
      await checkEvents(ctx, FD_READ, 0, 200, 'data');
      await w.settle(() => readable(w, server) === 8, 'the 8 bytes');
      for (let i = 0; i < 8; ++i) {
        assert.equal(await syncRecv(w, server, 1), 1);
        if (i < 7) await checkEvents(ctx, FD_READ, 0, 200, `overlapped receive ${i + 1} of 8`);
        await checkEvents(ctx, 0, 0, 0, `overlapped receive ${i + 1} of 8`);
      }
      close(w, server);
      close(w, client);
    });

    it(`test_read_events (${mode}): data that a pending 1-byte WSARecv takes raises no FD_READ (GetOverlappedResult TRUE, size 1); the next byte does [68]`, async (w) => {
      const ctx = new Ctx(w, mode);
      const { client, server } = await socketPair(w);
      nonBlocking(w, client);
      selectEvents(ctx, server, CLOSE_SET);
      await checkEvents(ctx, 0, 0, 0, 'nothing yet');
      const ov = overlappedWithEvent();
      const buf = new Uint8Array(1);
      const r = call((e) => w.p.WSPRecv(server, [{ len: 1, buf }], 1, null, { value: 0 }, ov, null, null, e));
      assert.deepEqual(r, { ret: -1, err: WSA_IO_PENDING }, 'WSARecv pends');
      assert.equal(sendText(w, client, 'a'), 1);
      await w.settle(() => ov.hEvent!.signaled, 'the receive\'s event');
      const size = { value: 0 };
      assert.equal(w.p.WSPGetOverlappedResult(server, ov, size, false, null, { value: 0 }), 1);
      assert.equal(size.value, 1);
      await checkEvents(ctx, 0, 0, 0, 'the byte the receive took');
      assert.equal(sendText(w, client, 'a'), 1);
      await checkEvents(ctx, FD_READ, 0, 200, 'the next byte');
      await checkEvents(ctx, 0, 0, 0);
      close(w, server);
      close(w, client);
    });
  }
});
