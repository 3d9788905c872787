/**
 * Overlapped I/O and completion ports from worker threads (docs/overlapped.md, "Worker threads"),
 * and WSPCancelBlockingCall across threads. The worker's WSAOVERLAPPED, event and routine stay in
 * the worker; the owner thread keeps mirrors and tells the worker what happened when it next calls.
 * Here the test's thread owns the network and is the peer: it sends once the worker waits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  AF_INET, CompletionPort, ERROR_CONNECTION_ABORTED, GetQueuedCompletionStatus, GetQueuedCompletionStatusAsync, INVALID_HANDLE_VALUE,
  STATUS_CONNECTION_ABORTED, type WSAOVERLAPPED, INVALID_SOCKET, IPPROTO_TCP, PostQueuedCompletionStatus, SOCK_STREAM, SOCKET_ERROR, STATUS_PENDING,
  WAIT_IO_COMPLETION, WAIT_TIMEOUT, WSA_INFINITE, WSA_IO_INCOMPLETE, WSA_IO_PENDING, WSAEFAULT, WSAEINTR, WSAEINVAL, type ServiceProvider,
} from '../src/index.js';
import { ProviderServer } from '../src/threads/index.js';
import { ok } from './helpers.js';
import { onNetworks, tcpPair, type World as WineWorld } from './wine/harness.js';
import { hostWorld, listener, sendText, startWorker, untilWaiting, virtualWorld, type Report, type World } from './threads-harness.js';

const WORKER = new URL('./fixtures/overlapped-worker.js', import.meta.url);

/** Starts a worker of this file's fixture on `owner`'s channel to `provider`. */
function start(owner: ProviderServer, provider: ServiceProvider, data: Record<string, unknown>,
  onWaiting?: (what: unknown, worker: Worker) => void): { worker: Worker; done: Promise<Report> } {
  return startWorker(WORKER, owner, provider, data, onWaiting);
}

/** Runs a scenario whose worker connects to a listener here, and to which this thread sends `data` once it waits. */
async function peerScenario(w: World, scenario: string, data: string, extra: Record<string, unknown> = {},
  after?: (owner: ProviderServer) => void): Promise<Report['log']> {
  const owner = new ProviderServer(w.client);
  const l = listener(w);
  const run = start(owner, w.client, { scenario, address: w.address, port: l.port, ...extra }, () => {
    void (async () => {
      const a = await l.accepted();
      await untilWaiting(owner, 1);
      sendText(w.server, a, data);
      w.pump();
    })();
  });
  const r = await run.done;
  after?.(owner);
  owner.close();
  assert.equal(r.error, undefined, `${r.error} ${JSON.stringify(r.log)}`);
  return r.log;
}

for (const [kind, make] of [['virtual', () => virtualWorld(11)], ['host', hostWorld]] as const) {
  describe(`overlapped calls from a worker thread (${kind} network)`, () => {
    test('a receive pends (WSA_IO_PENDING, Internal STATUS_PENDING, the event reset, the count untouched); the worker\'s waitForEvents wakes at completion with its buffer filled, InternalHigh then Internal written and its own event set', async () => {
      const w = make();
      try {
        const log = await peerScenario(w, 'recv-event', 'hello');
        assert.deepEqual(log.call, { ret: SOCKET_ERROR, err: WSA_IO_PENDING, count: 77 });
        assert.deepEqual(log.pending, { Internal: STATUS_PENDING, InternalHigh: 0xbeef, signaled: false });
        assert.deepEqual(log.early, { ret: 0, err: WSA_IO_INCOMPLETE });
        assert.equal(log.wait, 0);
        assert.deepEqual(log.done, { Internal: 0, InternalHigh: 5, signaled: true, data: 'hello' });
        assert.deepEqual(log.result, { ret: 1, cb: 5, flags: 0, err: 0 });
      } finally {
        await w.close();
      }
    });

    test('WSPGetOverlappedResult with fWait blocks only the worker until the receive completes; a SharedArrayBuffer buffer is filled in place', async () => {
      const w = make();
      try {
        const shared = new SharedArrayBuffer(32);
        const log = await peerScenario(w, 'recv-fwait', 'in place', { shared });
        assert.deepEqual(log.call, { ret: SOCKET_ERROR, err: WSA_IO_PENDING, count: 77 });
        assert.deepEqual(log.result, { ret: 1, cb: 8, err: 0, Internal: 0 });
        assert.equal(log.data, 'in place');
        assert.equal(new TextDecoder().decode(new Uint8Array(shared, 0, 8)), 'in place', 'this thread sees the bytes in the shared memory');
      } finally {
        await w.close();
      }
    });

    test('a completion routine belongs to the initiating worker: not run by a non-alertable wait, run by its alertable wait with its own WSAOVERLAPPED and the bytes in its buffer', async () => {
      const w = make();
      try {
        const log = await peerScenario(w, 'recv-routine', 'apc!');
        assert.deepEqual(log.call, { ret: SOCKET_ERROR, err: WSA_IO_PENDING, count: 77 });
        assert.deepEqual(log.result, { ret: 1, cb: 4, routinesSoFar: 0 });
        assert.equal(log.alertable, WAIT_IO_COMPLETION);
        assert.deepEqual(log.calls, [{ dwError: 0, cb: 4, same: true, dwFlags: 0, data: 'apc!' }]);
        assert.equal(log.again, 0, 'a routine runs once');
      } finally {
        await w.close();
      }
    });

    test('a port made by a worker: its socket associated (and forgotten by the owner once closed), GetQueuedCompletionStatus times out (WAIT_TIMEOUT, *lpOverlapped NULL), then hands back the worker\'s own WSAOVERLAPPED with its fields and buffer written; a posted OVERLAPPED of its own comes back as the same object', async () => {
      const w = make();
      try {
        let portsLeft = -1;
        // White-box: the owner forgets a port the worker closed (its table would grow with every port made and closed).
        const log = await peerScenario(w, 'iocp-own', 'packet', {}, (owner) => {
          portsLeft = (owner as unknown as { overlapped: { ports: Map<number, unknown> } }).overlapped.ports.size;
        });
        assert.equal(portsLeft, 0, 'the closed port is forgotten');
        assert.equal(log.assoc, true);
        assert.deepEqual(log.call, { ret: SOCKET_ERROR, err: WSA_IO_PENDING, count: 77 });
        assert.deepEqual(log.timeout, { ret: 0, err: WAIT_TIMEOUT, ov: null });
        assert.deepEqual(log.packet, { ret: 1, bytes: 6, key: 'my socket', same: true, Internal: 0, InternalHigh: 6, data: 'packet' });
        assert.deepEqual(log.posted, { ret: 1, bytes: 3, key: 'posted', same: true });
        assert.equal(log.closed, 1);
      } finally {
        await w.close();
      }
    });

    test('WSPRecvFrom from a worker writes lpFrom and lpFromlen at completion; one that completes at once returns 0 with everything written; arguments refused at once change nothing (WSAEFAULT, WSAEINVAL); GetQueuedCompletionStatusEx hands back the worker\'s own OVERLAPPEDs', async () => {
      const w = make();
      const owner = new ProviderServer(w.server);
      try {
        const r = await start(owner, w.server, { scenario: 'datagrams', address: w.address, port: 0 }).done;
        assert.equal(r.error, undefined, `${r.error} ${JSON.stringify(r.log)}`);
        const log = r.log;
        assert.deepEqual(log.pend, { ret: SOCKET_ERROR, err: WSA_IO_PENDING, from: 0 });
        assert.equal(log.wait, 0);
        assert.deepEqual(log.first, { Internal: 0, InternalHigh: 5, data: 'first', fromPort: true, fromlen: 16, count: 77 });
        assert.deepEqual(log.immediate, { ret: 0, err: 0, count: 6, Internal: 0, InternalHigh: 6, signaled: true, data: 'second', fromPort: true });
        assert.deepEqual(log.frozen, { ret: SOCKET_ERROR, err: WSAEFAULT });
        assert.deepEqual(log.badEvent, { ret: SOCKET_ERROR, err: WSAEINVAL, Internal: 0xdead });
        assert.deepEqual(log.ex, { ret: 1, removed: 2, keys: ['x', 'y'], same: true, bytes: [1, 2], third: -1 });
        assert.deepEqual(log.exTimeout, { ret: 0, err: WAIT_TIMEOUT });
      } finally {
        owner.close();
        await w.close();
      }
    });
  });
}

/** Wine's iocp_async_read_thread and iocp_async_read_thread_closesocket (test_completion_port), with a worker as the thread. */
onNetworks('iocp_async_read_thread', (it) => {
  const postAndExit = async (w: WineWorld) => {
    const { client: src, server: dst } = await tcpPair(w);
    const err = { value: 0 };
    const port = w.p.CreateIoCompletionPort(dst, null, 125, 0, err)!;
    const owner = new ProviderServer(w.p);
    const run = start(owner, w.p, { scenario: 'read-and-exit', address: w.loopback4, port: 0, socket: dst });
    // Listen for the exit before awaiting the report: a worker that reports and ends while this
    // thread is busy delivers both events in one turn, and a listener added after the report
    // would miss the exit.
    const exited = new Promise((resolve) => run.worker.once('exit', resolve));
    const r = await run.done;
    await exited;
    owner.close();
    assert.equal(r.error, undefined, r.error);
    assert.deepEqual(r.log.call, { ret: SOCKET_ERROR, err: WSA_IO_PENDING, count: 77 });
    return { src, dst, port };
  };
  const dequeue = async (w: WineWorld, port: CompletionPort) => {
    const bytes = { value: 0xdead };
    const key = { value: null as unknown };
    const ov = { value: null as WSAOVERLAPPED | null };
    const err = { value: 0 };
    const ret = w.kind === 'virtual'
      ? GetQueuedCompletionStatus(port, bytes, key, ov, 1000, err)
      : await GetQueuedCompletionStatusAsync(port, bytes, key, ov, WSA_INFINITE, err); // a hang is the test timeout's to catch
    return { ret, err: err.value, bytes: bytes.value, key: key.value, Internal: ov.value?.Internal, InternalHigh: ov.value?.InternalHigh };
  };

  it('"an overlapped WSARecv posted from a thread that has terminated still completes": bytes 12, Internal 0, InternalHigh 12 [21]', async (w) => {
    const { src, port } = await postAndExit(w);
    const data = new Uint8Array(12).fill(0x41);
    ok((e) => w.p.WSPSend(src, [{ len: 12, buf: data }], 1, { value: 0 }, 0, null, null, null, e));
    assert.deepEqual(await dequeue(w, port), { ret: 1, err: 0, bytes: 12, key: 125, Internal: 0, InternalHigh: 12 });
  });

  it('iocp_async_read_thread_closesocket: closing the socket after the thread ended aborts it: FALSE, ERROR_CONNECTION_ABORTED, Internal STATUS_CONNECTION_ABORTED, InternalHigh 0 [30]', async (w) => {
    const { dst, port } = await postAndExit(w);
    ok((e) => w.p.WSPCloseSocket(dst, e));
    assert.deepEqual(await dequeue(w, port), { ret: 0, err: ERROR_CONNECTION_ABORTED, bytes: 0, key: 125, Internal: STATUS_CONNECTION_ABORTED, InternalHigh: 0 });
  });
});

describe('completion ports shared by worker threads', () => {
  test('several workers wait on one port the owner made (libuv/.NET shape): each packet goes to exactly one of them, every one is handed out, and the owner keeps serving meanwhile', async () => {
    const w = virtualWorld(11);
    const owner = new ProviderServer(w.server);
    const err = { value: 0 };
    const port = w.server.CreateIoCompletionPort(INVALID_HANDLE_VALUE, null, 0, 0, err)!;
    const cp = owner.portRef(port);
    const runs = [1, 2, 3].map(() => start(owner, w.server, { scenario: 'iocp-pool', address: w.address, port: 0, cp }).done);
    await untilWaiting(owner, 3);
    // While three threads wait, this thread's own calls are served at once.
    const s = ok((e) => w.server.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
    ok((e) => w.server.WSPCloseSocket(s, e));
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const k of keys) assert.equal(PostQueuedCompletionStatus(port, 1, k, k === 'f' ? { Internal: 0, InternalHigh: 42, Offset: 1, OffsetHigh: 2, hEvent: null } : null), 1);
    for (let i = 0; i < 3; i++) PostQueuedCompletionStatus(port, 0, 'stop', null);
    const reports = await Promise.all(runs);
    owner.close();
    for (const r of reports) assert.equal(r.error, undefined, r.error);
    const got = reports.flatMap((r) => r.log.keys as string[]);
    assert.deepEqual([...got].sort(), keys, 'each packet once');
    const foreign = reports.map((r) => r.log.foreign).filter((f) => f !== undefined);
    assert.deepEqual(foreign, [{ Internal: 0, InternalHigh: 42, Offset: 1, OffsetHigh: 2, hEvent: null }], 'this thread\'s OVERLAPPED reaches a worker by value');
  });
});

describe('WSPCancelBlockingCall across threads', () => {
  test('the owner cancels a worker\'s blocking WSPAccept, another worker its blocking WSPRecv: each fails with WSAEINTR; with nothing blocking, WSAEINVAL', async () => {
    const w = virtualWorld(11);
    const owner = new ProviderServer(w.server);
    const steps: string[] = [];
    let canceller: Promise<Report> | undefined;
    const run = start(owner, w.server, { scenario: 'cancel-accept', address: w.address, port: 99 }, (what, worker) => {
      void (async () => {
        await untilWaiting(owner, 1);
        if (what === true) {
          steps.push(`owner cancel: ${owner.cancelBlockingCall(worker.threadId)}`);
        } else {
          canceller = start(owner, w.server, { scenario: 'canceller', address: w.address, port: 0, target: worker.threadId }).done;
        }
      })();
    });
    const r = await run.done;
    const c = await canceller!;
    assert.equal(owner.cancelBlockingCall(run.worker.threadId), false, 'nothing blocking now');
    owner.close();
    assert.equal(r.error, undefined, r.error);
    assert.equal(c.error, undefined, c.error);
    assert.deepEqual(steps, ['owner cancel: true']);
    assert.deepEqual(r.log.accept, { ret: INVALID_SOCKET, err: WSAEINTR });
    assert.deepEqual(r.log.recv, { ret: SOCKET_ERROR, err: WSAEINTR });
    assert.deepEqual(c.log.cancel, { ret: 0, err: 0 });
    assert.deepEqual(c.log.idle, { ret: SOCKET_ERROR, err: WSAEINVAL });
  });
});
