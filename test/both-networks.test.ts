/**
 * SPI conformance that makes sense on a real network, run on both: the virtual network and the
 * host network (node:net on 127.0.0.1). Sockets are non-blocking (this thread owns Node's event
 * loop on the host network), and each test waits with `settle`. Documented differences between
 * the networks are marked DIFFERENCE and explained in docs/host-network.md.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  AF_INET, FD_CLOSE, FD_READ, FIONBIO, FIONREAD, INVALID_SOCKET, IPPROTO_TCP, IPPROTO_UDP, MSG_PEEK, SD_SEND, SOCK_DGRAM,
  SOCK_STREAM, SOCKET_ERROR, SOL_SOCKET, SO_ERROR, SO_LINGER, VirtualNetwork, WSAEvent, errorName, type ServiceProvider,
  type SockAddr,
} from '../src/index.js';
import { HostNetwork } from '../src/host/index.js';
import { refusedPort } from './helpers.js';

interface World {
  server: ServiceProvider;
  client: ServiceProvider;
  /** The server's address; port 0 lets the network choose. */
  address: string;
  virtual: boolean;
  /** Lets the network run until `ready()` holds (fails the test if it does not). */
  settle(ready: () => boolean): Promise<void>;
  close(): Promise<void>;
}

const makers: Record<string, () => World> = {
  virtual: () => {
    const net = new VirtualNetwork({ seed: 11 });
    return {
      server: net.addHost({ addresses: ['10.0.0.1'] }).provider,
      client: net.addHost({ addresses: ['10.0.0.2'] }).provider,
      address: '10.0.0.1',
      virtual: true,
      settle: async (ready) => {
        net.run();
        assert.ok(ready(), 'the condition did not hold once the network was idle');
      },
      close: async () => {},
    };
  },
  host: () => {
    const host = new HostNetwork();
    return {
      server: host.provider,
      client: host.provider,
      address: '127.0.0.1',
      virtual: false,
      settle: async (ready) => assert.ok(await host.until(ready, 3000), 'the condition did not hold within 3 s'),
      close: () => host.close(),
    };
  },
};

function ok(what: string, f: (e: { value: number }) => number): number {
  const e = { value: 0 };
  const r = f(e);
  assert.ok(r !== SOCKET_ERROR && r !== INVALID_SOCKET, `${what} failed: ${errorName(e.value)}`);
  return r;
}
function fails(f: (e: { value: number }) => number): string {
  const e = { value: 0 };
  const r = f(e);
  assert.ok(r === SOCKET_ERROR || r === INVALID_SOCKET, `expected a failure, got ${r}`);
  return errorName(e.value) ?? String(e.value);
}
function socket(p: ServiceProvider, type = SOCK_STREAM): number {
  const s = ok('WSPSocket', (e) => p.WSPSocket(AF_INET, type, type === SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP, null, 0, 0, e));
  ok('FIONBIO', (e) => p.WSPIoctl(s, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e));
  return s;
}
function nameOf(p: ServiceProvider, s: number): SockAddr {
  const name = { family: 0, address: '', port: 0 };
  ok('WSPGetSockName', (e) => p.WSPGetSockName(s, name, { value: 16 }, e));
  return name;
}
function listener(w: World, backlog: number): { l: number; at: SockAddr } {
  const l = socket(w.server);
  ok('WSPBind', (e) => w.server.WSPBind(l, { family: AF_INET, address: w.address, port: 0 }, 16, e));
  ok('WSPListen', (e) => w.server.WSPListen(l, backlog, e));
  return { l, at: nameOf(w.server, l) };
}
function startConnect(w: World, at: SockAddr): number {
  const c = socket(w.client);
  assert.equal(fails((e) => w.client.WSPConnect(c, at, 16, null, null, null, null, e)), 'WSAEWOULDBLOCK');
  return c;
}
const phase = (p: ServiceProvider, s: number) => p.inspect(s)?.phase;
const queued = (w: World, l: number) => w.server.inspect(l)?.listen?.queueLength ?? 0;
function send(p: ServiceProvider, s: number, text: string): number {
  const buf = new TextEncoder().encode(text);
  const n = { value: 0 };
  ok('WSPSend', (e) => p.WSPSend(s, [{ len: buf.length, buf }], 1, n, 0, null, null, null, e));
  return n.value;
}
function recv(p: ServiceProvider, s: number): { text?: string; error?: string } {
  const buf = new Uint8Array(1000);
  const n = { value: 0 };
  const e = { value: 0 };
  if (p.WSPRecv(s, [{ len: buf.length, buf }], 1, n, { value: 0 }, null, null, null, e) === SOCKET_ERROR) return { error: errorName(e.value) };
  return { text: new TextDecoder().decode(buf.subarray(0, n.value)) };
}
/** A bound UDP socket on the server (its address) and an unbound one on the client. */
function udpPair(w: World): { r: number; at: SockAddr; s: number } {
  const r = socket(w.server, SOCK_DGRAM);
  ok('WSPBind', (e) => w.server.WSPBind(r, { family: AF_INET, address: w.address, port: 0 }, 16, e));
  return { r, at: nameOf(w.server, r), s: socket(w.client, SOCK_DGRAM) };
}
const datagramsQueued = (p: ServiceProvider, s: number) => (p.core.lookup(s)?.datagrams.length ?? 0) - (p.core.lookup(s)?.datagramHead ?? 0);
const readable = (p: ServiceProvider, s: number) => (p.core.lookup(s)?.inbox.length ?? 0) > 0 || p.core.lookup(s)?.peerClosed === true || p.core.lookup(s)?.reset === true;

for (const [name, make] of Object.entries(makers)) {
  describe(`on the ${name} network`, () => {
    const worlds: World[] = [];
    const world = () => {
      const w = make();
      worlds.push(w);
      return w;
    };
    after(async () => {
      for (const w of worlds) await w.close();
    });

    test('WSAEADDRINUSE and WSAEADDRNOTAVAIL come from WSPBind itself', async () => {
      const w = world();
      const { at } = listener(w, 5);
      const s = socket(w.server);
      assert.equal(fails((e) => w.server.WSPBind(s, at, 16, e)), 'WSAEADDRINUSE');
      assert.equal(fails((e) => w.server.WSPBind(s, { family: AF_INET, address: '10.99.99.99', port: 0 }, 16, e)), 'WSAEADDRNOTAVAIL');
    });

    test('WSAEWOULDBLOCK: WSPAccept on an empty queue; a pending connection then makes it succeed', async () => {
      const w = world();
      const { l, at } = listener(w, 5);
      assert.equal(fails((e) => w.server.WSPAccept(l, null, null, null, 0, e)), 'WSAEWOULDBLOCK');
      const c = startConnect(w, at);
      await w.settle(() => queued(w, l) === 1 && phase(w.client, c) === 'connected');
      ok('WSPAccept', (e) => w.server.WSPAccept(l, null, null, null, 0, e));
    });

    test('backlog 1: the first connection is queued; the others are refused (virtual) or reset (host)', async () => {
      const w = world();
      const { l, at } = listener(w, 1);
      const cs = [startConnect(w, at), startConnect(w, at), startConnect(w, at)];
      await w.settle(() => cs.every((c) => phase(w.client, c) !== 'connecting') && queued(w, l) === 1);
      assert.equal(phase(w.client, cs[0]!), 'connected');
      for (const c of cs.slice(1)) {
        if (w.virtual) {
          assert.equal(phase(w.client, c), 'bound'); // the connect failed: SYN answered with RST
          const err = new Uint8Array(4);
          ok('SO_ERROR', (e) => w.client.WSPGetSockOpt(c, SOL_SOCKET, SO_ERROR, err, { value: 4 }, e));
          assert.equal(errorName(err[0]! | (err[1]! << 8)), 'WSAECONNREFUSED');
        } else {
          // DIFFERENCE: the operating system completed the handshake before the provider could
          // refuse, so the provider resets the connection: the client reads WSAECONNRESET.
          await w.settle(() => readable(w.client, c));
          assert.deepEqual(recv(w.client, c), { error: 'WSAECONNRESET' });
        }
      }
    });

    test('a smaller backlog in a second WSPListen resets the excess connections', async () => {
      const w = world();
      const { l, at } = listener(w, 3);
      const cs = [startConnect(w, at), startConnect(w, at), startConnect(w, at)];
      await w.settle(() => queued(w, l) === 3 && cs.every((c) => phase(w.client, c) === 'connected'));
      ok('WSPListen', (e) => w.server.WSPListen(l, 1, e));
      await w.settle(() => readable(w.client, cs[1]!) && readable(w.client, cs[2]!));
      assert.equal(queued(w, l), 1);
      assert.deepEqual([recv(w.client, cs[1]!), recv(w.client, cs[2]!)], [{ error: 'WSAECONNRESET' }, { error: 'WSAECONNRESET' }]);
      assert.deepEqual(recv(w.client, cs[0]!), { error: 'WSAEWOULDBLOCK' }, 'the oldest one stays');
    });

    test('a refused non-blocking connect: SO_ERROR is WSAECONNREFUSED and WSPSelect reports it in exceptfds', async () => {
      const w = world();
      const { l, at } = listener(w, 1);
      ok('WSPCloseSocket', (e) => w.server.WSPCloseSocket(l, e));
      // On the host network a port just closed may be taken by another process at once.
      const c = startConnect(w, w.virtual ? at : { ...at, port: await refusedPort() });
      await w.settle(() => phase(w.client, c) !== 'connecting');
      const except = { fd_count: 1, fd_array: [c] };
      assert.equal(ok('WSPSelect', (e) => w.client.WSPSelect(0, null, null, except, { tv_sec: 0, tv_usec: 0 }, e)), 1);
      const err = new Uint8Array(4);
      ok('SO_ERROR', (e) => w.client.WSPGetSockOpt(c, SOL_SOCKET, SO_ERROR, err, { value: 4 }, e));
      assert.equal(errorName(err[0]! | (err[1]! << 8)), 'WSAECONNREFUSED');
    });

    test('data both ways, FD_READ and FD_CLOSE, SD_SEND reads as 0, an abortive close as WSAECONNRESET', async () => {
      const w = world();
      const { l, at } = listener(w, 5);
      const c = startConnect(w, at);
      await w.settle(() => queued(w, l) === 1 && phase(w.client, c) === 'connected');
      const a = ok('WSPAccept', (e) => w.server.WSPAccept(l, null, null, null, 0, e));
      const ev = new WSAEvent();
      ok('WSPEventSelect', (e) => w.server.WSPEventSelect(a, ev, FD_READ | FD_CLOSE, e));
      assert.equal(send(w.client, c, 'ping'), 4);
      await w.settle(() => ev.signaled);
      const events = { lNetworkEvents: 0, iErrorCode: [] as number[] };
      ok('WSPEnumNetworkEvents', (e) => w.server.WSPEnumNetworkEvents(a, ev, events, e));
      assert.equal(events.lNetworkEvents & FD_READ, FD_READ);
      assert.deepEqual(recv(w.server, a), { text: 'ping' });
      send(w.server, a, 'pong');
      await w.settle(() => readable(w.client, c));
      assert.deepEqual(recv(w.client, c), { text: 'pong' });
      ok('WSPShutdown', (e) => w.client.WSPShutdown(c, SD_SEND, e));
      await w.settle(() => ev.signaled);
      ok('WSPEnumNetworkEvents', (e) => w.server.WSPEnumNetworkEvents(a, ev, events, e));
      assert.equal(events.lNetworkEvents & FD_CLOSE, FD_CLOSE);
      assert.equal(events.iErrorCode[4], 0, 'FD_CLOSE_BIT: graceful');
      assert.deepEqual(recv(w.server, a), { text: '' });
      ok('SO_LINGER', (e) => w.server.WSPSetSockOpt(a, SOL_SOCKET, SO_LINGER, new Uint8Array([1, 0, 0, 0]), 4, e));
      ok('WSPCloseSocket', (e) => w.server.WSPCloseSocket(a, e));
      await w.settle(() => readable(w.client, c) && w.client.core.lookup(c)?.reset === true);
      assert.deepEqual(recv(w.client, c), { error: 'WSAECONNRESET' });
    });

    test('WSPSelect: a listener is readable while a connection is pending', async () => {
      const w = world();
      const { l, at } = listener(w, 5);
      const set = () => ({ fd_count: 1, fd_array: [l] });
      assert.equal(ok('WSPSelect', (e) => w.server.WSPSelect(0, set(), null, null, { tv_sec: 0, tv_usec: 0 }, e)), 0);
      startConnect(w, at);
      await w.settle(() => queued(w, l) === 1);
      assert.equal(ok('WSPSelect', (e) => w.server.WSPSelect(0, set(), null, null, { tv_sec: 0, tv_usec: 0 }, e)), 1);
    });

    test('UDP: datagram boundaries kept, the sender filled in, a datagram larger than the buffer truncated (WSAEMSGSIZE)', async () => {
      const w = world();
      const { r, at, s } = udpPair(w);
      for (const text of ['first', 'second datagram']) {
        const buf = new TextEncoder().encode(text);
        ok('WSPSendTo', (e) => w.client.WSPSendTo(s, [{ len: buf.length, buf }], 1, { value: 0 }, 0, at, 16, null, null, null, e));
      }
      await w.settle(() => datagramsQueued(w.server, r) === 2);
      const buf = new Uint8Array(100);
      const n = { value: 0 };
      const from = { family: 0, address: '', port: 0 };
      ok('WSPRecvFrom', (e) => w.server.WSPRecvFrom(r, [{ len: 100, buf }], 1, n, { value: 0 }, from, { value: 16 }, null, null, null, e));
      assert.equal(new TextDecoder().decode(buf.subarray(0, n.value)), 'first');
      assert.equal(from.port, nameOf(w.client, s).port);
      const small = new Uint8Array(6);
      assert.equal(fails((e) => w.server.WSPRecvFrom(r, [{ len: 6, buf: small }], 1, n, { value: 0 }, null, null, null, null, null, e)), 'WSAEMSGSIZE');
      assert.equal(new TextDecoder().decode(small), 'second');
    });

    /** A connected pair (client socket, accepted socket), both non-blocking. */
    async function connected(w: World): Promise<{ c: number; a: number }> {
      const { l, at } = listener(w, 5);
      const c = startConnect(w, at);
      await w.settle(() => queued(w, l) === 1 && phase(w.client, c) === 'connected');
      const a = ok('WSPAccept', (e) => w.server.WSPAccept(l, null, null, null, 0, e));
      return { c, a };
    }

    test('argument and state errors: WSPListen unbound (WSAEINVAL), WSPAccept not listening (WSAEINVAL), WSPShutdown unconnected (WSAENOTCONN), WSPConnect twice (WSAEISCONN)', async () => {
      const w = world();
      const s = socket(w.server);
      assert.equal(fails((e) => w.server.WSPListen(s, 5, e)), 'WSAEINVAL');
      assert.equal(fails((e) => w.server.WSPAccept(s, null, null, null, 0, e)), 'WSAEINVAL');
      assert.equal(fails((e) => w.server.WSPShutdown(s, SD_SEND, e)), 'WSAENOTCONN');
      const { c } = await connected(w);
      const peer = { family: 0, address: '', port: 0 };
      ok('WSPGetPeerName', (e) => w.client.WSPGetPeerName(c, peer, { value: 16 }, e));
      assert.equal(fails((e) => w.client.WSPConnect(c, peer, 16, null, null, null, null, e)), 'WSAEISCONN');
    });

    test('MSG_PEEK, FIONREAD and WSAEWOULDBLOCK on an empty receive', async () => {
      const w = world();
      const { c, a } = await connected(w);
      assert.deepEqual(recv(w.server, a), { error: 'WSAEWOULDBLOCK' });
      send(w.client, c, 'peek-a-boo');
      await w.settle(() => readable(w.server, a));
      const count = new Uint8Array(4);
      ok('FIONREAD', (e) => w.server.WSPIoctl(a, FIONREAD, null, 0, count, 4, { value: 0 }, null, null, null, e));
      assert.equal(new DataView(count.buffer).getUint32(0, true), 10);
      const buf = new Uint8Array(4);
      const n = { value: 0 };
      ok('WSPRecv', (e) => w.server.WSPRecv(a, [{ len: 4, buf }], 1, n, { value: MSG_PEEK }, null, null, null, e));
      assert.equal(new TextDecoder().decode(buf), 'peek');
      assert.deepEqual(recv(w.server, a), { text: 'peek-a-boo' });
    });

    test('WSAESHUTDOWN after SD_SEND; the other direction still works', async () => {
      const w = world();
      const { c, a } = await connected(w);
      ok('WSPShutdown', (e) => w.client.WSPShutdown(c, SD_SEND, e));
      const buf = new TextEncoder().encode('late');
      assert.equal(fails((e) => w.client.WSPSend(c, [{ len: 4, buf }], 1, { value: 0 }, 0, null, null, null, e)), 'WSAESHUTDOWN');
      await w.settle(() => readable(w.server, a));
      assert.deepEqual(recv(w.server, a), { text: '' });
      send(w.server, a, 'still here');
      await w.settle(() => readable(w.client, c));
      assert.deepEqual(recv(w.client, c), { text: 'still here' });
    });

    test('a large transfer arrives intact while the reader reads slowly (flow control)', async () => {
      const w = world();
      const { c, a } = await connected(w);
      const total = 1 << 20;
      const data = Uint8Array.from({ length: total }, (_, i) => (i * 13) & 0xff);
      let sent = 0;
      const got: Uint8Array[] = [];
      let received = 0;
      while (received < total) {
        if (sent < total) {
          const n = { value: 0 };
          const e = { value: 0 };
          const rest = data.subarray(sent);
          if (w.client.WSPSend(c, [{ len: rest.length, buf: rest }], 1, n, 0, null, null, null, e) === 0) sent += n.value;
        }
        await w.settle(() => readable(w.server, a)); // data is always on its way: something was sent
        const buf = new Uint8Array(8192);
        const n = { value: 0 };
        if (w.server.WSPRecv(a, [{ len: buf.length, buf }], 1, n, { value: 0 }, null, null, null, { value: 0 }) === 0) {
          got.push(buf.slice(0, n.value));
          received += n.value;
        }
      }
      assert.equal(Buffer.compare(Buffer.concat(got), data), 0);
    });

    test('UDP: connect sets the default peer; WSPSend and WSPRecv on the connected socket', async () => {
      const w = world();
      const { r, at, s } = udpPair(w);
      ok('WSPConnect', (e) => w.client.WSPConnect(s, at, 16, null, null, null, null, e));
      assert.equal(send(w.client, s, 'to my peer'), 10);
      await w.settle(() => datagramsQueued(w.server, r) > 0);
      assert.deepEqual(recv(w.server, r), { text: 'to my peer' });
    });
  });
}
