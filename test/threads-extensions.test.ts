/**
 * The extension functions from worker threads (docs/overlapped.md, "Worker threads"):
 * SIO_GET_EXTENSION_FUNCTION_POINTER in a worker hands out a stand-in of that worker, which runs
 * the provider's function on the owner thread with the mirrors of the worker's WSAOVERLAPPED;
 * completions reach the worker's own objects, buffers and WSAMSG. The test's thread owns the
 * network and is the peer (test/fixtures/extensions-worker.ts is the worker).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  AF_INET, ERROR_OPERATION_ABORTED, INVALID_SOCKET, IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, IP_PKTINFO, SOCK_DGRAM, SOCK_STREAM, SOCKET_ERROR, STATUS_CANCELLED, STATUS_PENDING,
  VirtualNetwork, WAIT_IO_COMPLETION, WSA_CMSG_SPACE, WSA_INFINITE, WSAEWOULDBLOCK, type ServiceProvider,
} from '../src/index.js';
import { HostNetwork } from '../src/host/index.js';
import { ProviderServer } from '../src/threads/index.js';
import { ok, setNonBlocking, v4 } from './helpers.js';

const WORKER = new URL('./fixtures/extensions-worker.js', import.meta.url);
const DEADBEEF = 0xdeadbeef;

interface Report {
  log: Record<string, any>;
  error?: string;
}

interface World {
  /** The peer's provider (this thread) and the worker's. */
  peer: ServiceProvider;
  worker: ServiceProvider;
  peerAddress: string;
  workerAddress: string;
  /** What the worker's waits pass: WSA_INFINITE on the virtual network (a finite wait would end in virtual time before this thread acts). */
  wait: number;
  /** Lets the network deliver what this thread sent. */
  pump(): void;
  close(): Promise<void>;
}

function virtualWorld(): World {
  const net = new VirtualNetwork({ seed: 15 });
  const peer = net.addHost({ addresses: ['10.0.0.1'] }).provider;
  const worker = net.addHost({ addresses: ['10.0.0.2'] }).provider;
  return { peer, worker, peerAddress: '10.0.0.1', workerAddress: '10.0.0.2', wait: WSA_INFINITE, pump: () => net.run(), close: async () => {} };
}

function hostWorld(): World {
  const host = new HostNetwork();
  return {
    peer: host.provider, worker: host.provider, peerAddress: '127.0.0.1', workerAddress: '127.0.0.1', wait: 10_000, pump: () => {}, close: () => host.close(),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 2));
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Runs a scenario in a worker served by a fresh owner; `onWaiting` runs each time it says it waits. */
async function run(w: World, scenario: string, port: number, onWaiting?: (what: any) => Promise<void>): Promise<Report['log']> {
  const owner = new ProviderServer(w.worker);
  const channel = owner.open(w.worker);
  const worker = new Worker(WORKER, {
    workerData: { scenario, channel, self: w.workerAddress, peer: w.peerAddress, port, wait: w.wait }, transferList: [channel.port],
  });
  let acting = Promise.resolve();
  const r = await new Promise<Report>((resolve, reject) => {
    worker.on('message', (m: Report & { waiting?: unknown }) => {
      if (m.waiting !== undefined) acting = acting.then(() => onWaiting?.(m.waiting)).catch(reject);
      else resolve(m);
    });
    worker.on('error', reject);
  });
  await acting;
  await worker.terminate();
  owner.close();
  assert.equal(r.error, undefined, `${r.error} ${JSON.stringify(r.log)}`);
  return r.log;
}

/** A listener of the peer; `accepted()` takes the next connection once it came. */
function listener(w: World): { port: number; accepted: () => Promise<number> } {
  const l = ok((e) => w.peer.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
  ok((e) => w.peer.WSPBind(l, v4(w.peerAddress, 0), 16, e));
  ok((e) => w.peer.WSPListen(l, 4, e));
  setNonBlocking(w.peer, l);
  return {
    port: portOf(w.peer, l),
    accepted: async () => {
      for (;;) {
        w.pump();
        const a = w.peer.WSPAccept(l, null, null, null, 0, { value: 0 });
        if (a !== INVALID_SOCKET) {
          setNonBlocking(w.peer, a);
          return a;
        }
        await tick();
      }
    },
  };
}

function portOf(p: ServiceProvider, s: number): number {
  const name = { family: 0, address: '', port: 0 };
  ok((e) => p.WSPGetSockName(s, name, { value: 16 }, e));
  return name.port;
}

/** Reads from a non-blocking socket until `n` bytes came or the peer closed (then what came). */
async function readAll(w: World, s: number, n: number): Promise<{ text: string; closed: boolean }> {
  let got = '';
  for (;;) {
    w.pump();
    const buf = new Uint8Array(64);
    const count = { value: 0 };
    const e = { value: 0 };
    const r = w.peer.WSPRecv(s, [{ len: 64, buf }], 1, count, { value: 0 }, null, null, null, e);
    if (r === 0 && count.value === 0) return { text: got, closed: true };
    if (r === 0) got += text(buf.subarray(0, count.value));
    else if (e.value !== WSAEWOULDBLOCK) throw new Error(`recv: ${e.value}`);
    if (got.length >= n) return { text: got, closed: false };
    await tick();
  }
}

/** A datagram socket of the peer, bound. */
function udp(w: World): number {
  const s = ok((e) => w.peer.WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
  ok((e) => w.peer.WSPBind(s, v4(w.peerAddress, 0), 16, e));
  setNonBlocking(w.peer, s);
  return s;
}

async function recvFrom(w: World, s: number): Promise<string> {
  for (;;) {
    w.pump();
    const buf = new Uint8Array(64);
    const count = { value: 0 };
    const r = w.peer.WSPRecvFrom(s, [{ len: 64, buf }], 1, count, { value: 0 }, null, null, null, null, null, { value: 0 });
    if (r === 0) return text(buf.subarray(0, count.value));
    await tick();
  }
}

for (const [kind, make] of [['virtual', virtualWorld], ['host', hostWorld]] as const) {
  describe(`extension functions from a worker thread (${kind} network)`, () => {
    test('SIO_GET_EXTENSION_FUNCTION_POINTER in a worker: a function of the worker, the same one for the same GUID (also into an output that holds it already, and on another socket), seven distinct ones; an unknown GUID WSAEINVAL with the count and output untouched; a short or unwritable output WSAEFAULT; with an OVERLAPPED done at once (InternalHigh 0, the event set)', async () => {
      const w = make();
      try {
        const log = await run(w, 'pointers', 0);
        assert.deepEqual(log.first, { ret: 0, cb: 4, type: 'function' });
        assert.deepEqual(log.again, { ret: 0, same: true });
        assert.equal(log.fresh, true);
        assert.equal(log.otherSocket, true);
        assert.equal(log.distinct, 7);
        assert.deepEqual(log.bogus, { ret: SOCKET_ERROR, err: 'WSAEINVAL', cb: DEADBEEF, value: 'untouched' });
        assert.deepEqual(log.short, { ret: SOCKET_ERROR, err: 'WSAEFAULT', value: 'untouched' });
        assert.deepEqual(log.frozen, { ret: SOCKET_ERROR, err: 'WSAEFAULT' });
        assert.deepEqual(log.frozenNull, { ret: SOCKET_ERROR, err: 'WSAEFAULT' });
        assert.deepEqual(log.overlapped, { ret: 0, cb: 4, same: true, Internal: 0, InternalHigh: 0, signaled: true });
      } finally {
        await w.close();
      }
    });

    test('arguments that cannot cross to the owner (a function where a buffer belongs, a symbol where a socket or sockaddr belongs, a symbol as the routine) fail with the codes the owner gives for an unusable one, and a refused AcceptEx still leaves STATUS_PENDING in the worker\'s Internal [88]; GetAcceptExSockaddrs runs in the worker', async () => {
      const w = make();
      try {
        const log = await run(w, 'pointers', 0);
        assert.deepEqual(log.acceptFunctionBuffer, { ret: 0, err: 'WSAEFAULT', Internal: STATUS_PENDING });
        assert.deepEqual(log.acceptSymbolSocket, { ret: 0, err: 'WSAENOTSOCK' });
        assert.deepEqual(log.connectSymbolName, { ret: 0, err: 'WSAEFAULT' });
        assert.deepEqual(log.disconnectSymbol, { ret: 0, err: 'WSAENOTSOCK' });
        assert.deepEqual(log.sendMsgFunctionBuffer, { ret: SOCKET_ERROR, err: 'WSAEFAULT' });
        assert.deepEqual(log.recvMsgBadRoutine, { ret: SOCKET_ERROR, err: 'WSAEFAULT' });
        assert.equal(log.sockaddrsEmpty, null);
      } finally {
        await w.close();
      }
    });

    test('an AcceptEx pool posted by a worker (FALSE, WSA_IO_PENDING, Internal STATUS_PENDING, *lpdwBytesReceived never written) completes through the worker\'s port: GetQueuedCompletionStatus in the worker hands back its own OVERLAPPEDs with the listener\'s key and the first data\'s count, the received bytes and both address slots in its buffer, readable with GetAcceptExSockaddrs there', async () => {
      const w = make();
      try {
        const clients: number[] = [];
        const log = await run(w, 'accept-pool', 0, async (waiting: { port: number }) => {
          for (const word of ['ping', 'pong']) {
            const c = ok((e) => w.peer.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, null, 0, 0, e));
            setNonBlocking(w.peer, c);
            const e = { value: 0 };
            const r = w.peer.WSPConnect(c, v4(w.workerAddress, waiting.port), 16, null, null, null, null, e);
            assert.ok(r === 0 || e.value === WSAEWOULDBLOCK, `connect: ${e.value}`);
            const b = new TextEncoder().encode(word);
            for (;;) {
              w.pump();
              const sent = { value: 0 };
              if (w.peer.WSPSend(c, [{ len: 4, buf: b }], 1, sent, 0, null, null, null, { value: 0 }) === 0) break;
              await tick();
            }
            clients.push(portOf(w.peer, c));
          }
          w.pump();
        });
        const pending = { ret: 0, err: 'WSA_IO_PENDING', Internal: STATUS_PENDING, InternalHigh: 0xbeef, got: DEADBEEF };
        assert.deepEqual(log.posted, [pending, pending]);
        const packets = log.packets as any[];
        const seen = new Set<string>();
        for (const p of packets) {
          assert.equal(p.mine, true, 'the worker\'s own OVERLAPPED');
          assert.deepEqual([p.ret, p.bytes, p.key, p.Internal, p.InternalHigh, p.got], [1, 4, 'listener', 0, 4, DEADBEEF]);
          seen.add(p.data);
          assert.equal(p.local.address, w.workerAddress);
          assert.equal(p.localLen, 16);
          assert.equal(p.remote.address, w.peerAddress);
          assert.ok(clients.includes(p.remote.port), `remote port ${p.remote.port} is a client's`);
          assert.equal(p.peerPort, p.remote.port, 'getpeername after SO_UPDATE_ACCEPT_CONTEXT agrees');
        }
        assert.deepEqual([...seen].sort(), ['ping', 'pong']);
        assert.equal(packets[0].local.port, packets[1].local.port);
      } finally {
        await w.close();
      }
    });

    test('AcceptEx from a worker, cancelled: CancelIoEx on the listener with the worker\'s OVERLAPPED, then closing the listener, end each pending call with STATUS_CANCELLED, ERROR_OPERATION_ABORTED and 0 bytes through the worker\'s port, its own OVERLAPPED in the packet [37, 39]', async () => {
      const w = make();
      try {
        const log = await run(w, 'accept-cancel', 0);
        assert.equal(log.cancel, 1);
        const aborted = { ret: 0, err: ERROR_OPERATION_ABORTED, bytes: 0, key: 'l', mine: true, Internal: STATUS_CANCELLED, InternalHigh: 0 };
        assert.deepEqual(log.cancelled, aborted);
        assert.deepEqual(log.closed, aborted);
      } finally {
        await w.close();
      }
    });

    test('ConnectEx with send data from a worker: an unbound socket is WSAEINVAL with STATUS_PENDING in Internal and the event as it was [93]; a bound one pends, completes with the bytes sent (data copied at the call), *lpdwBytesSent never written, the peer gets the data', async () => {
      const w = make();
      try {
        const l = listener(w);
        const log = await run(w, 'connectex', l.port);
        assert.deepEqual(log.unbound, { ret: 0, err: 'WSAEINVAL', Internal: STATUS_PENDING, InternalHigh: 0xbeef, signaled: true });
        assert.deepEqual(log.call, { ret: 0, err: 'WSA_IO_PENDING', sent: 77, Internal: STATUS_PENDING, signaled: false });
        assert.equal(log.wait, 0);
        assert.deepEqual(log.result, { ret: 1, cb: 5, Internal: 0, InternalHigh: 5, sent: 77 });
        const a = await l.accepted();
        assert.equal((await readAll(w, a, 5)).text, 'hello');
      } finally {
        await w.close();
      }
    });

    test('DisconnectEx from a worker: overlapped, pends and completes (Internal 0, the event set) and the peer reads the FIN; without an OVERLAPPED on a socket that is not connected FALSE with WSAENOTCONN', async () => {
      const w = make();
      try {
        const l = listener(w);
        let peerSaw: unknown;
        const log = await run(w, 'disconnectex', l.port, async () => {
          const a = await l.accepted();
          peerSaw = await readAll(w, a, 1);
          ok((e) => w.peer.WSPCloseSocket(a, e));
          w.pump();
        });
        assert.deepEqual(log.notConnected, { ret: 0, err: 'WSAENOTCONN' });
        assert.deepEqual(log.call, { ret: 0, err: 'WSA_IO_PENDING' });
        assert.equal(log.wait, 0);
        assert.deepEqual(log.done, { Internal: 0, InternalHigh: 0, signaled: true });
        assert.deepEqual(peerSaw, { text: '', closed: true });
        assert.equal(log.after, 0);
      } finally {
        await w.close();
      }
    });

    test('WSARecvMsg from a worker on UDP with IP_PKTINFO: pends with the WSAMSG untouched; at completion the worker\'s WSAMSG has the sender in name, namelen, dwFlags 0, the in_pktinfo record naming the address the datagram was sent to, Control.len, and the bytes; with a completion routine (no WSATHREADID) the routine runs in the worker\'s alertable wait with its own OVERLAPPED; without an OVERLAPPED on a blocking socket the call blocks the worker until the datagram comes, the WSAMSG and count written; with the datagram already there an overlapped call is done before it returns (0, count, WSAMSG, Internal, InternalHigh, event)', async () => {
      const w = make();
      try {
        const s = udp(w);
        const log = await run(w, 'recvmsg', 0, async (waiting: { port: number; text: string }) => {
          const b = new TextEncoder().encode(waiting.text);
          ok((e) => w.peer.WSPSendTo(s, [{ len: b.length, buf: b }], 1, { value: 0 }, 0, v4(w.workerAddress, waiting.port), 16, null, null, null, e));
          w.pump();
        });
        assert.deepEqual(log.call1, { ret: SOCKET_ERROR, err: 'WSA_IO_PENDING', count: 77, Internal: STATUS_PENDING, InternalHigh: 0xbeef });
        assert.deepEqual(log.pendingMsg, { namelen: 16, controlLen: 64 });
        assert.equal(log.wait, 0);
        const pktinfo = [{ level: IPPROTO_IP, type: IP_PKTINFO, address: w.workerAddress }];
        const from = { address: w.peerAddress, family: AF_INET };
        assert.deepEqual(log.first, {
          count: 5, data: 'first', rest: 0xee, from, namelen: 16, dwFlags: 0, controlLen: WSA_CMSG_SPACE(8), control: pktinfo, Internal: 0, InternalHigh: 5,
        });
        assert.deepEqual(log.call2, { ret: SOCKET_ERROR, err: 'WSA_IO_PENDING' });
        assert.equal(log.sleep, WAIT_IO_COMPLETION);
        assert.deepEqual(log.routine, [{ dwError: 0, cb: 7, mine: true, flags: 0 }]);
        assert.deepEqual(log.second, { count: 7, data: 'second!', rest: 0xee, from, namelen: 16, dwFlags: 0, controlLen: WSA_CMSG_SPACE(8), control: pktinfo });
        assert.deepEqual(log.call3, { ret: 0, err: 0 });
        assert.deepEqual(log.third, { count: 5, data: 'third', rest: 0xee, from, namelen: 16, dwFlags: 0, controlLen: WSA_CMSG_SPACE(8), control: pktinfo });
        assert.deepEqual(log.call4, { ret: 0, err: 0, count: 6, Internal: 0, InternalHigh: 6, signaled: true });
        assert.deepEqual(log.fourth, { count: 6, data: 'fourth', rest: 0xee, from, namelen: 16, dwFlags: 0, controlLen: WSA_CMSG_SPACE(8), control: pktinfo });
      } finally {
        await w.close();
      }
    });

    test('WSASendMsg from a worker: overlapped, done at once (0, the count written, Internal 0, InternalHigh the bytes, the event set, all before the call returns); without an OVERLAPPED the count written; a NULL count without an OVERLAPPED WSAEFAULT; the peer gets both datagrams', async () => {
      const w = make();
      try {
        const s = udp(w);
        const log = await run(w, 'sendmsg', portOf(w.peer, s));
        assert.deepEqual(log.overlapped, { ret: 0, err: 0, sent: 4, Internal: 0, InternalHigh: 4, signaled: true });
        assert.deepEqual(log.plain, { ret: 0, sent: 6 });
        assert.deepEqual(log.nullCount, { ret: SOCKET_ERROR, err: 'WSAEFAULT' });
        assert.equal(await recvFrom(w, s), 'over');
        assert.equal(await recvFrom(w, s), 'plain!');
      } finally {
        await w.close();
      }
    });

    test('TransmitPackets from a worker: overlapped, pends and completes with the bytes of both elements; without an OVERLAPPED TRUE; a socket that is not connected WSAENOTCONN; the peer reads the buffers in order', async () => {
      const w = make();
      try {
        const l = listener(w);
        let peerSaw: unknown;
        const log = await run(w, 'transmitpackets', l.port, async () => {
          const a = await l.accepted();
          peerSaw = await readAll(w, a, 9);
          ok((e) => w.peer.WSPCloseSocket(a, e));
          w.pump();
        });
        assert.deepEqual(log.call, { ret: 0, err: 'WSA_IO_PENDING' });
        assert.equal(log.wait, 0);
        assert.deepEqual(log.done, { Internal: 0, InternalHigh: 7 });
        assert.equal(log.plain, 1);
        assert.deepEqual(log.noSocket, { ret: 0, err: 'WSAENOTCONN' });
        assert.deepEqual(peerSaw, { text: 'abcdefghi', closed: false });
        assert.equal(log.after, 0);
      } finally {
        await w.close();
      }
    });
  });
}
