/**
 * The thread channel itself (docs/host-network.md, "Blocking calls from threads"): nothing a
 * worker passes can throw in the worker or break the owner; calls after either side closed fail
 * at once; guest memory crosses as each view's own bytes (SharedArrayBuffer views: none, written
 * in place); a worker that ends releases its sockets as a process exit does on Windows.
 * test/fixtures/channel-worker.ts is the worker.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  INVALID_SOCKET, SOCKET_ERROR, STATUS_PENDING, VirtualNetwork, WSAECONNRESET, type ServiceProvider,
} from '../src/index.js';
import { ProviderServer } from '../src/threads/index.js';
import { listener, ok, setNonBlocking, v4 } from './helpers.js';

const WORKER = new URL('./fixtures/channel-worker.js', import.meta.url);

interface Started {
  worker: Worker;
  /** The worker's final report (its `log`). */
  done: Promise<Record<string, any>>;
}

/** Starts a scenario; `onWaiting` runs each time the worker says it waits. */
function start(owner: ProviderServer, provider: ServiceProvider, data: Record<string, unknown>, onWaiting?: (what: unknown) => void): Started {
  const channel = owner.open(provider);
  const worker = new Worker(WORKER, { workerData: { ...data, channel }, transferList: [channel.port] });
  const done = new Promise<Record<string, any>>((resolve, reject) => {
    worker.on('message', (m: { waiting?: unknown; log?: Record<string, any>; error?: string }) => {
      if (m.waiting !== undefined) onWaiting?.(m.waiting);
      else if (m.error !== undefined) reject(new Error(`${m.error} ${JSON.stringify(m.log)}`));
      else resolve(m.log!);
    });
    worker.on('error', reject);
  });
  return { worker, done };
}

function world(stallMs?: number) {
  const net = new VirtualNetwork({ seed: 16 });
  const parent = net.addHost({ addresses: ['10.0.0.1'] }).provider;
  const provider = net.addHost({ addresses: ['10.0.0.2'] }).provider;
  const owner = new ProviderServer(provider, { stallMs });
  return { net, parent, provider, owner };
}

const go = (word: SharedArrayBuffer, n: number) => {
  const w = new Int32Array(word);
  Atomics.store(w, 0, n);
  Atomics.notify(w, 0);
};

describe('a channel that cannot break the owner', () => {
  test('hostile arguments: each call returns its code in the worker, none throws, the owner and the connection keep working', async () => {
    const { provider, owner } = world();
    const log = await start(owner, provider, { scenario: 'hostile', self: '10.0.0.2' }).done;
    owner.close();
    for (const [k, v] of Object.entries(log)) if (typeof v === 'object' && v !== null && 'threw' in v) assert.fail(`${k} threw in the worker: ${v.threw}`);
    // The list: a completion routine given to WSPSend (no OVERLAPPED: ignored, the send happens)…
    assert.deepEqual([log.sendWithRoutine, log.sent, log.routineRan], [{ ret: 0, err: 0 }, 3, undefined]);
    // …and with an OVERLAPPED (it completes at once; the routine waits for an alertable wait).
    assert.equal(log.overlappedSendWithRoutine.ret, 0);
    // A function where a sockaddr belongs: WSAEFAULT, as for any unreadable pointer.
    assert.deepEqual(log.connectToFunction, { ret: SOCKET_ERROR, err: 'WSAEFAULT' });
    assert.deepEqual(log.bindToSymbol, { ret: SOCKET_ERROR, err: 'WSAEFAULT' });
    assert.deepEqual(log.bindToProxy, { ret: SOCKET_ERROR, err: 'WSAEFAULT' });
    assert.deepEqual(log.bindThrowingGetter, { ret: SOCKET_ERROR, err: 'WSAEFAULT' });
    assert.deepEqual(log.bindDeep, { ret: SOCKET_ERROR, err: 'WSAEFAULT' });
    // Where a socket belongs: WSAENOTSOCK.
    for (const k of ['closeFunction', 'closeSymbol', 'closeBigInt']) assert.deepEqual(log[k], { ret: SOCKET_ERROR, err: 'WSAENOTSOCK' }, k);
    // Inside a WSABUF: the provider's answer for an unusable buffer.
    assert.deepEqual(log.sendBigIntLen, { ret: SOCKET_ERROR, err: 'WSAEFAULT' });
    assert.deepEqual(log.sendFunctionBuf, { ret: SOCKET_ERROR, err: 'WSAEFAULT' });
    assert.deepEqual(log.selectThrowingSet, { ret: SOCKET_ERROR, err: 'WSAEFAULT' });
    // A cyclic object is fine where the provider only writes fields of it.
    assert.deepEqual(log.nameIntoCyclic, { ret: 0, err: 0 });
    assert.deepEqual(log.cyclicAfter, { family: 2, self: true });
    // An unusable lpErrno loses the code, nothing else.
    for (const k of ['frozenErrno', 'symbolErrno', 'proxyErrno']) assert.equal(log[k].ret, SOCKET_ERROR, k);
    assert.equal(log.noArguments.ret, SOCKET_ERROR);
    // WSPAccept's condition function runs in the worker; a call it makes meets WSAEINPROGRESS; the accept completes.
    assert.equal(typeof log.acceptWithCondition.ret, 'number');
    assert.notEqual(log.acceptWithCondition.ret, INVALID_SOCKET, JSON.stringify(log.acceptWithCondition));
    assert.deepEqual(log.innerCall, { ret: INVALID_SOCKET, err: 'WSAEINPROGRESS' });
    // A verdict that is no number (a Proxy) cannot break the owner: the accept is refused with the provider's code.
    assert.equal(log.acceptConditionReturnsProxy.ret, INVALID_SOCKET);
    // The connection still carries the first send.
    assert.deepEqual([log.recvAfter, log.received], [{ ret: 0, err: 0 }, [1, 2, 3]]);
  });

  test('after the worker closed its channel, every call fails at once with WSANOTINITIALISED', async () => {
    const { provider, owner } = world();
    const log = await start(owner, provider, { scenario: 'after-close', self: '10.0.0.2' }).done;
    owner.close();
    assert.deepEqual(log.socket, { ret: INVALID_SOCKET, err: 'WSANOTINITIALISED' });
    assert.deepEqual(log.recv, { ret: SOCKET_ERROR, err: 'WSANOTINITIALISED' });
    assert.deepEqual(log.accept, { ret: INVALID_SOCKET, err: 'WSANOTINITIALISED' });
  });

  test('after the owner closed the server: the waiting call fails with WSAEINTR, every later call at once with WSAENETDOWN', async () => {
    const { provider, owner } = world(60_000);
    const run = start(owner, provider, { scenario: 'owner-closed', self: '10.0.0.2' }, () => {
      const close = () => (owner.waiting() === 1 ? owner.close() : setTimeout(close, 2));
      close();
    });
    const log = await run.done;
    assert.deepEqual(log.blocked, { ret: SOCKET_ERROR, err: 'WSAEINTR' });
    assert.deepEqual(log.socket, { ret: INVALID_SOCKET, err: 'WSAENETDOWN' });
    assert.deepEqual(log.recv, { ret: SOCKET_ERROR, err: 'WSAENETDOWN' });
  });

  test('a channel opened after the server closed: calls fail at once with WSAENETDOWN', async () => {
    const { provider, owner } = world();
    owner.close();
    const run = start(owner, provider, { scenario: 'after-close', self: '10.0.0.2' });
    await assert.rejects(run.done, /WSAENETDOWN/); // its first WSPSocket fails
  });
});

describe('guest memory', () => {
  test('1-byte views into a 64 MB ArrayBuffer cross as 1 byte each and land in place; SharedArrayBuffer views cross as nothing and are written in place', async () => {
    const { net, provider, owner } = world(60_000);
    const sab = new SharedArrayBuffer(8 << 20);
    const goWord = new SharedArrayBuffer(4);
    let seenInPlace: number[] | undefined;
    const run = start(owner, provider, { scenario: 'guest-memory', self: '10.0.0.2', sab, go: goWord }, (what) => {
      if (what !== 'sent') return;
      // The worker makes no call now: whatever reaches its shared memory is the owner's doing.
      net.run();
      seenInPlace = [...new Uint8Array(sab, 3_000_000, 4)];
      go(goWord, 1);
    });
    const log = await run.done;
    owner.close();
    assert.deepEqual([log.send, log.recv], [{ ret: 0, err: 0 }, { ret: 0, err: 0 }]);
    assert.equal(log.landed, 0x5a);
    assert.deepEqual(log.neighbours, [0, 0]);
    // Two 1-byte views of ordinary memory: 2 bytes crossed (not 2 × 64 MB).
    assert.equal(log.wireBytes, 2);
    assert.deepEqual([log.sharedSend, log.sharedRecv, log.sharedWireBytes, log.sharedLanded], [{ ret: 0, err: 0 }, { ret: 0, err: 0 }, 0, 0x77]);
    assert.equal(new Uint8Array(sab)[2_000_000], 0x77, 'the parent sees the received byte in the shared memory');
    // The overlapped receive into shared memory was written by the owner while the worker made no call.
    assert.deepEqual(log.overlappedRecv, { ret: SOCKET_ERROR, err: 'WSA_IO_PENDING' });
    assert.deepEqual(seenInPlace, [9, 8, 7, 6]);
    assert.equal(log.overlappedInternalAfterWait, STATUS_PENDING, 'the worker\'s OVERLAPPED changes only when it calls');
    assert.deepEqual([log.overlappedResult, log.overlappedCount], [{ ret: 1, err: 0 }, 4]);
  });
});

describe('thread lifetime: a worker that ends releases its sockets as a process exit does', () => {
  /** The parent's listener; the worker connects, sends 'hi', binds a listener on port 5000, then ends as `how` says. */
  async function ending(how: { unread: boolean; block: boolean; terminate: boolean }) {
    const { net, parent, provider, owner } = world(60_000);
    const l = listener(parent, v4('10.0.0.1', 0), 4);
    setNonBlocking(parent, l);
    const name = { family: 0, address: '', port: 0 };
    ok((e) => parent.WSPGetSockName(l, name, { value: 16 }, e));
    const goWord = new SharedArrayBuffer(4);
    let accepted = -1;
    const run = start(owner, provider, { scenario: 'lifetime', self: '10.0.0.2', peer: '10.0.0.1', port: name.port, go: goWord, block: how.block }, (what) => {
      if (what === 'connected') {
        net.run();
        accepted = ok((e) => parent.WSPAccept(l, null, null, null, 0, e));
        setNonBlocking(parent, accepted);
        if (how.unread) ok((e) => parent.WSPSend(accepted, [{ len: 3, buf: new Uint8Array([1, 2, 3]) }], 1, { value: 0 }, 0, null, null, null, e));
        net.run();
        go(goWord, 1);
      } else if (what === 'blocking' && how.terminate) {
        const kill = () => (owner.waiting() === 1 ? void run.worker.terminate() : setTimeout(kill, 2));
        kill();
      }
    });
    const exited = new Promise((r) => run.worker.once('exit', r));
    if (!how.terminate) await run.done;
    await exited;
    // The owner learns of the end when the worker's port closes: then port 5000 is free again.
    let rebound = SOCKET_ERROR;
    // No deadline of its own: on a loaded machine the port's close can take long; a hang is the test timeout's to catch.
    while (rebound !== 0) {
      await new Promise((r) => setTimeout(r, 5));
      const s = ok((e) => provider.WSPSocket(2, 1, 6, null, 0, 0, e));
      rebound = provider.WSPBind(s, v4('10.0.0.2', 5000), 16, { value: 0 });
      if (rebound !== 0) ok((e) => provider.WSPCloseSocket(s, e));
    }
    net.run();
    // What the parent's end of the connection sees.
    const buf = new Uint8Array(8);
    const count = { value: 0 };
    const first = { value: 0 };
    const r1 = parent.WSPRecv(accepted, [{ len: 8, buf }], 1, count, { value: 0 }, null, null, null, first);
    const got = new TextDecoder().decode(buf.subarray(0, count.value));
    const second = { value: 0 };
    const r2 = parent.WSPRecv(accepted, [{ len: 8, buf }], 1, count, { value: 0 }, null, null, null, second);
    // The owner still serves other workers.
    const again = start(owner, provider, { scenario: 'after-close', self: '10.0.0.2' }).done;
    const other = await again;
    owner.close();
    return { r1, e1: first.value, got, r2, e2: second.value, count: count.value, rebound, other };
  }

  test('a worker that returns, having left data unread: its connection is reset (abortive close), its listener closed', async () => {
    const r = await ending({ unread: true, block: false, terminate: false });
    // The reset ends the connection at once (what had arrived unread is dropped, as Windows drops it at a reset).
    assert.deepEqual([r.r1, r.e1, r.got], [SOCKET_ERROR, WSAECONNRESET, '']);
    assert.equal(r.rebound, 0);
  });

  test('a worker that returns with nothing unread: its connection is closed gracefully (the peer reads its data, then end of stream)', async () => {
    const r = await ending({ unread: false, block: false, terminate: false });
    assert.deepEqual([r.r1, r.got], [0, 'hi']);
    assert.deepEqual([r.r2, r.e2, r.count], [0, 0, 0]);
    assert.equal(r.rebound, 0);
    assert.deepEqual(r.other.socket, { ret: INVALID_SOCKET, err: 'WSANOTINITIALISED' }, 'another worker is served after it');
  });

  test('worker.terminate() while blocked in WSPAccept: its sockets go (graceful with nothing unread), the owner keeps serving', async () => {
    const r = await ending({ unread: false, block: true, terminate: true });
    assert.deepEqual([r.r1, r.got], [0, 'hi']);
    assert.deepEqual([r.r2, r.e2, r.count], [0, 0, 0]);
    assert.equal(r.rebound, 0);
    assert.deepEqual(r.other.socket, { ret: INVALID_SOCKET, err: 'WSANOTINITIALISED' });
  });

  test('worker.terminate() with unread data: the connection is reset', async () => {
    const r = await ending({ unread: true, block: true, terminate: true });
    assert.deepEqual([r.r1, r.e1, r.got], [SOCKET_ERROR, WSAECONNRESET, '']);
    assert.equal(r.rebound, 0);
  });
});
