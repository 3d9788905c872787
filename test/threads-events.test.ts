/**
 * Event objects, waits and selects across threads (issue 16, item 3; docs/embedding.md, "Events
 * and waits"): WSPEventSelect with a worker's own WSAEvent, WSPEnumNetworkEvents from the worker,
 * the worker's WSAWaitForMultipleEvents (limits, time-out, alertable), a worker's blocking select
 * or accept woken by another thread (Wine's SelectReadThread, SelectCloseThread and
 * AcceptKillThread rows of test_select / test_accept), and SetFileCompletionNotificationModes
 * from a worker. Here the test's thread owns the network and is "the other thread".
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, FD_CLOSE, FD_READ, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, INVALID_SOCKET, IPPROTO_TCP,
  SOCK_STREAM, SOCKET_ERROR, STATUS_PENDING, WAIT_IO_COMPLETION, WSA_INVALID_HANDLE, WSA_INVALID_PARAMETER, WSA_IO_PENDING,
  WSA_WAIT_FAILED, WSA_WAIT_TIMEOUT, WSAEINTR, WSAENOTSOCK, type ServiceProvider,
} from '../src/index.js';
import { ProviderServer } from '../src/threads/index.js';
import { ok, setNonBlocking, v4 } from './helpers.js';
import { hostWorld, listener, sendText, startWorker, tick, untilWaiting, virtualWorld, type Report, type World } from './threads-harness.js';

const WORKER = new URL('./fixtures/events-worker.js', import.meta.url);

/** Starts a worker of this file's fixture on `owner`'s channel to `provider`; resolves with its report. */
function start(owner: ProviderServer, provider: ServiceProvider, data: Record<string, unknown>,
  onWaiting?: (what: unknown) => void): Promise<Report> {
  return startWorker(WORKER, owner, provider, data, onWaiting).done;
}

/** A connection: `c` on the client provider (the one the worker's channel serves), `a` its accepted end. */
async function connection(w: World): Promise<{ c: number; a: number }> {
  const { accepted, port } = listener(w);
  const c = ok((e) => w.client.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
  setNonBlocking(w.client, c);
  w.client.WSPConnect(c, v4(w.address, port), 16, null, null, null, null, { value: 0 });
  const a = await accepted();
  setNonBlocking(w.client, c, false);
  return { c, a };
}

/** A scenario whose worker connects to a listener here; `steps[what]` runs when the worker says it waits for `what`. */
async function peerScenario(w: World, scenario: string, steps: Record<string, (a: number) => void>): Promise<Report['log']> {
  const owner = new ProviderServer(w.client);
  const l = listener(w);
  let a: Promise<number> | undefined;
  const r = await start(owner, w.client, { scenario, address: w.address, port: l.port }, (what) => {
    void (async () => {
      a ??= l.accepted();
      const s = await a;
      // 'name!': the worker is busy calling, not parked in one wait.
      if (!(what as string).endsWith('!')) await untilWaiting(owner, 1);
      steps[what as string]!(s);
      w.pump();
    })();
  });
  owner.close();
  assert.equal(r.error, undefined, `${r.error} ${JSON.stringify(r.log)}`);
  return r.log;
}

/** A scenario on a socket of this thread (`socket`), which this thread closes once the worker waits in its call. */
async function closeScenario(w: World, scenario: string, socket: number): Promise<Report['log']> {
  const owner = new ProviderServer(w.client);
  // This thread holds a channel too, as a thread that may still act: the owner does not move
  // virtual time on (to the select's time-out) while only the worker waits.
  const self = owner.open(w.client);
  const done = start(owner, w.client, { scenario, socket });
  let finished = false;
  void done.then(() => (finished = true));
  while (owner.waiting() < 1 && !finished) await tick();
  ok((e) => w.client.WSPCloseSocket(socket, e));
  w.pump();
  const r = await done;
  self.port.close();
  owner.close();
  assert.equal(r.error, undefined, `${r.error} ${JSON.stringify(r.log)}`);
  return r.log;
}

for (const [kind, make] of [['virtual', () => virtualWorld(16)], ['host', hostWorld]] as const) {
  describe(`event objects and waits of a worker thread (${kind} network)`, () => {
    test('WSPEventSelect with the worker\'s own WSAEvent: the owner\'s mirror signals it, the worker\'s wait wakes (WSA_WAIT_EVENT_0 + index), WSPEnumNetworkEvents reports FD_READ then FD_CLOSE and resets the worker\'s event; a finite wait with nothing new is WSA_WAIT_TIMEOUT', async () => {
      const w = make();
      try {
        const log = await peerScenario(w, 'event-select', {
          data: (a) => sendText(w.server, a, 'ping'),
          close: (a) => ok((e) => w.server.WSPCloseSocket(a, e)),
        });
        assert.equal(log.select, 0);
        assert.equal(log.before, false);
        assert.equal(log.idle, WSA_WAIT_TIMEOUT, 'nothing happened yet');
        assert.equal(log.wait, 0);
        assert.equal(log.afterWait, true, 'the worker\'s own event object is signaled');
        assert.deepEqual(log.enum, { ret: 0, err: 0, events: FD_READ, signaled: false });
        assert.equal(log.again, WSA_WAIT_TIMEOUT);
        assert.equal(log.closeWait, 1, 'the index of the signaled event');
        assert.equal(log.closeEnum.ret, 0);
        assert.equal(log.closeEnum.events & FD_CLOSE, FD_CLOSE);
        assert.equal(log.closeEnum.signaled, false);
      } finally {
        await w.close();
      }
    });

    test('the worker\'s event is signaled as soon as any call of the worker brings the news; the worker\'s own WSAResetEvent reaches the mirror (a later wait does not end for the old news); WSPEnumNetworkEvents without an event leaves it alone', async () => {
      const w = make();
      try {
        const log = await peerScenario(w, 'learn-by-call', { 'data!': (a) => sendText(w.server, a, 'x') });
        assert.equal(log.signaled, true);
        assert.equal(log.afterReset, WSA_WAIT_TIMEOUT);
        assert.equal(log.enum.events, FD_READ);
        assert.equal(log.stillReset, false);
      } finally {
        await w.close();
      }
    });

    test('an alertable wait returns WSA_WAIT_IO_COMPLETION after running the worker\'s due completion routine; a wait that is not alertable leaves the routine due and times out', async () => {
      const w = make();
      try {
        const log = await peerScenario(w, 'alertable', {
          data: (a) => sendText(w.server, a, 'hello'),
          'more!': (a) => sendText(w.server, a, 'again'),
        });
        assert.deepEqual(log.recv, [SOCKET_ERROR, WSA_IO_PENDING]);
        assert.equal(log.wait, WAIT_IO_COMPLETION);
        assert.deepEqual(log.ran, [[0, 5]]);
        assert.equal(log.data, 'hello');
        assert.equal(log.notAlertable, WSA_WAIT_TIMEOUT);
        assert.equal(log.ran2Before, 0);
        assert.equal(log.alertableNow, WAIT_IO_COMPLETION);
        assert.deepEqual(log.ran2, [[0, 5]]);
      } finally {
        await w.close();
      }
    });

    test('SelectReadThread: a worker\'s blocking WSPSelect wakes when this thread\'s send makes its socket readable', async () => {
      const w = make();
      try {
        const log = await peerScenario(w, 'select-read', { data: (a) => sendText(w.server, a, 'r') });
        assert.deepEqual([log.ret, log.set], [1, true]);
      } catch (err) {
        throw err;
      } finally {
        await w.close();
      }
    });

    test('SelectReadThread: closing a listener another thread selects on wakes that select with 1, the listener in its read set', async () => {
      const w = make();
      try {
        const l = ok((e) => w.client.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
        ok((e) => w.client.WSPBind(l, v4(kind === 'virtual' ? '10.0.0.2' : '127.0.0.1', 0), 16, e));
        ok((e) => w.client.WSPListen(l, 4, e));
        const log = await closeScenario(w, 'select-close-listener', l);
        assert.deepEqual([log.ret, log.set], [1, true]);
      } finally {
        await w.close();
      }
    });

    test('SelectCloseThread (bug 38399): closing a connected socket another thread selects on (read and except sets) wakes it with 1, the socket in the read set', async () => {
      const w = make();
      try {
        const { c } = await connection(w);
        const log = await closeScenario(w, 'select-close', c);
        assert.deepEqual([log.ret, log.inRead], [1, true]);
      } finally {
        await w.close();
      }
    });

    test('SelectCloseThread, except set only: the select fails with WSAENOTSOCK and the socket is not in the set', async () => {
      const w = make();
      try {
        const { c } = await connection(w);
        const log = await closeScenario(w, 'select-close-except', c);
        assert.deepEqual([log.ret, log.err, log.inExcept], [SOCKET_ERROR, WSAENOTSOCK, false]);
      } finally {
        await w.close();
      }
    });

    test('AcceptKillThread: closing the listener a worker\'s blocking WSPAccept waits on fails that accept (INVALID_SOCKET, WSAEINTR)', async () => {
      const w = make();
      try {
        const l = ok((e) => w.client.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
        ok((e) => w.client.WSPBind(l, v4(kind === 'virtual' ? '10.0.0.2' : '127.0.0.1', 0), 16, e));
        ok((e) => w.client.WSPListen(l, 4, e));
        const log = await closeScenario(w, 'accept-close', l);
        assert.deepEqual([log.ret, log.err], [INVALID_SOCKET, WSAEINTR]);
      } finally {
        await w.close();
      }
    });
  });
}

describe('waits and port functions of a worker thread (virtual network)', () => {
  test('waitForEvents: more than WSA_MAXIMUM_WAIT_EVENTS (64) or no events is WSA_WAIT_FAILED with WSA_INVALID_PARAMETER; something that is no event object WSA_INVALID_HANDLE; 64 are fine (WSA_WAIT_EVENT_0 + the first signaled index); waitAll needs all; a wait for ever that nothing of the worker can end is WSA_WAIT_FAILED', async () => {
    const w = virtualWorld(16);
    const owner = new ProviderServer(w.client);
    const r = await start(owner, w.client, { scenario: 'limits' });
    owner.close();
    assert.equal(r.error, undefined, r.error);
    const log = r.log;
    assert.deepEqual(log.sixtyFive, { ret: WSA_WAIT_FAILED, err: WSA_INVALID_PARAMETER });
    assert.deepEqual(log.none, { ret: WSA_WAIT_FAILED, err: WSA_INVALID_PARAMETER });
    assert.deepEqual(log.notArray, { ret: WSA_WAIT_FAILED, err: WSA_INVALID_PARAMETER });
    assert.deepEqual(log.notEvent, { ret: WSA_WAIT_FAILED, err: WSA_INVALID_HANDLE });
    assert.deepEqual(log.sixtyFourIdle, { ret: WSA_WAIT_TIMEOUT, err: 0 });
    assert.deepEqual(log.sixtyFourLast, { ret: 63, err: 0 });
    assert.deepEqual(log.first, { ret: 7, err: 0 });
    assert.deepEqual(log.allNot, { ret: WSA_WAIT_TIMEOUT, err: 0 });
    assert.deepEqual(log.all, { ret: 0, err: 0 });
    assert.deepEqual(log.forever, { ret: WSA_WAIT_FAILED, err: 0 });
  });

  test('SetFileCompletionNotificationModes from a worker answers as the owner thread\'s provider does (TRUE; FALSE with ERROR_INVALID_HANDLE / ERROR_INVALID_PARAMETER)', async () => {
    const w = virtualWorld(16);
    const owner = new ProviderServer(w.client);
    const r = await start(owner, w.client, { scenario: 'file-modes' });
    owner.close();
    assert.equal(r.error, undefined, r.error);
    assert.deepEqual(r.log.good, [1, 0]);
    // The owner's own answers to the same calls are the reference.
    const s = ok((e) => w.client.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
    const bad = { value: 0 };
    const flags = { value: 0 };
    assert.deepEqual(r.log.badHandle, [w.client.SetFileCompletionNotificationModes(0x7777, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, bad), bad.value]);
    assert.deepEqual(r.log.badFlags, [w.client.SetFileCompletionNotificationModes(s, 0x80, flags), flags.value]);
    assert.deepEqual(r.log.badHandle, [0, ERROR_INVALID_HANDLE]);
    assert.equal(r.log.badFlags[0], 0);
    void ERROR_INVALID_PARAMETER;
    void STATUS_PENDING;
  });
});
