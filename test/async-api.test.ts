/** The idiomatic async API, one suite on both networks. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VirtualNetwork, WinsockError, connect, listen, type ProviderSource } from '../src/index.js';
import { HostNetwork } from '../src/host/index.js';
import { refusedPort } from './helpers.js';

interface World {
  server: ProviderSource;
  client: ProviderSource;
  serverAddress: string;
  done(): Promise<void>;
}

const worlds: Record<string, () => World> = {
  virtual: () => {
    const net = new VirtualNetwork({ seed: 3 });
    return {
      server: net.addHost({ addresses: ['10.0.0.1'] }),
      client: net.addHost({ addresses: ['10.0.0.2'] }),
      serverAddress: '10.0.0.1',
      done: async () => {},
    };
  },
  host: () => {
    const host = new HostNetwork();
    return { server: host, client: host, serverAddress: '127.0.0.1', done: () => host.close() };
  },
};

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

for (const [name, make] of Object.entries(worlds)) {
  describe(`async API on the ${name} network`, () => {
    test('for await accepts connections; read, write, end, and null at end of stream', async () => {
      const w = make();
      try {
        const server = await listen(w.server, { address: w.serverAddress, port: 0, backlog: 4 });
        const port = server.localAddress.port;
        const serving = (async () => {
          let served = 0;
          for await (const conn of server) {
            for await (const chunk of conn) await conn.write(chunk);
            conn.close();
            if (++served === 2) break;
          }
          server.close();
          return served;
        })();
        for (const text of ['one', 'two'.repeat(30000)]) {
          const c = await connect(w.client, { address: w.serverAddress, port, noDelay: true });
          await c.write(enc(text));
          c.end();
          const parts: Uint8Array[] = [];
          for await (const chunk of c) parts.push(chunk.slice());
          assert.equal(dec(Buffer.concat(parts)), text);
          c.close();
        }
        assert.equal(await serving, 2);
      } finally {
        await w.done();
      }
    });

    test('WinsockError with code and name: a refused connection', async () => {
      const w = make();
      try {
        // The virtual network: a port just closed. The host network: a port that stays refused
        // (a port just closed may be taken by another process at once).
        let port: number;
        if (name === 'virtual') {
          const server = await listen(w.server, { address: w.serverAddress, port: 0 });
          port = server.localAddress.port;
          server.close();
        } else {
          port = await refusedPort();
        }
        await assert.rejects(connect(w.client, { address: w.serverAddress, port }), (e: unknown) => {
          assert.ok(e instanceof WinsockError);
          assert.equal(e.code, 10061);
          assert.equal(e.codeName, 'WSAECONNREFUSED');
          return true;
        });
      } finally {
        await w.done();
      }
    });

    test('AbortSignal cancels a pending accept and a pending read', async () => {
      const w = make();
      try {
        const server = await listen(w.server, { address: w.serverAddress, port: 0 });
        const ac = new AbortController();
        const pending = server.accept(ac.signal);
        ac.abort(new Error('stop accepting'));
        await assert.rejects(pending, /stop accepting/);
        const c = await connect(w.client, { address: w.serverAddress, port: server.localAddress.port });
        const a = await server.accept();
        const ac2 = new AbortController();
        const read = a.read(100, ac2.signal);
        ac2.abort(new Error('stop reading'));
        await assert.rejects(read, /stop reading/);
        await c.write(enc('still works'));
        assert.equal(dec((await a.read())!), 'still works');
        c.close();
        a.close();
        server.close();
      } finally {
        await w.done();
      }
    });

    test('an abort 20 ms after the call rejects a pending accept and a pending read with the signal\'s reason (the same on both networks)', async () => {
      const w = make();
      try {
        const server = await listen(w.server, { address: w.serverAddress, port: 0 });
        const ac = new AbortController();
        const reason = new Error('stop accepting');
        setTimeout(() => ac.abort(reason), 20);
        await assert.rejects(server.accept(ac.signal), (e: unknown) => e === reason);
        const c = await connect(w.client, { address: w.serverAddress, port: server.localAddress.port });
        const a = await server.accept();
        const ac2 = new AbortController();
        setTimeout(() => ac2.abort(), 20); // no reason given: the signal's own AbortError
        await assert.rejects(a.read(100, ac2.signal), (e: unknown) => e === ac2.signal.reason && (e as Error).name === 'AbortError');
        await c.write(enc('still works'));
        assert.equal(dec((await a.read())!), 'still works');
        c.close();
        a.close();
        server.close();
      } finally {
        await w.done();
      }
    });

    test('an aborted connect rejects with the signal\'s reason and leaves no socket behind', async () => {
      const w = make();
      try {
        const server = await listen(w.server, { address: w.serverAddress, port: 0 });
        const port = server.localAddress.port;
        const before = new AbortController();
        before.abort(new Error('never started'));
        await assert.rejects(connect(w.client, { address: w.serverAddress, port, signal: before.signal }), /never started/);
        const ac = new AbortController();
        const pending = connect(w.client, { address: w.serverAddress, port, signal: ac.signal });
        ac.abort(new Error('stop connecting')); // the connect is under way (WSPConnect returned WSAEWOULDBLOCK)
        await assert.rejects(pending, /stop connecting/);
        server.close();
      } finally {
        await w.done();
      }
    });

    test('for await over a listener ends when the listener is closed, whether it is waiting or already closed', async () => {
      const w = make();
      try {
        const server = await listen(w.server, { address: w.serverAddress, port: 0 });
        setTimeout(() => server.close(), 20);
        let n = 0;
        for await (const conn of server) {
          conn.close();
          n++;
        }
        assert.equal(n, 0);
        for await (const conn of server) conn.close(); // already closed: ends at once
        // accept() itself: interrupted by the close, WSAEINTR (a blocking accept closesocket
        // interrupts, on Windows); called on a closed listener, WSAENOTSOCK (WSPAccept's code).
        const other = await listen(w.server, { address: w.serverAddress, port: 0 });
        setTimeout(() => other.close(), 20);
        await assert.rejects(other.accept(), (e: unknown) => e instanceof WinsockError && e.codeName === 'WSAEINTR');
        await assert.rejects(other.accept(), (e: unknown) => e instanceof WinsockError && e.codeName === 'WSAENOTSOCK');
      } finally {
        await w.done();
      }
    });

    test('for await over a connection ends when this side closes it; a pending read() rejects with WSAEINTR', async () => {
      const w = make();
      try {
        const server = await listen(w.server, { address: w.serverAddress, port: 0 });
        const port = server.localAddress.port;
        const c1 = await connect(w.client, { address: w.serverAddress, port });
        const a1 = await server.accept();
        await c1.write(enc('one'));
        const parts: string[] = [];
        for await (const chunk of a1) {
          parts.push(dec(chunk));
          setTimeout(() => a1.close(), 20); // the peer stays open: only this close can end the loop
        }
        assert.deepEqual(parts, ['one']);
        const c2 = await connect(w.client, { address: w.serverAddress, port });
        const a2 = await server.accept();
        setTimeout(() => c2.close(), 20);
        await assert.rejects(c2.read(), (e: unknown) => e instanceof WinsockError && e.codeName === 'WSAEINTR');
        for (const x of [c1, a2, server]) x.close();
      } finally {
        await w.done();
      }
    });

    test('a reset by the peer rejects the next read with WSAECONNRESET', async () => {
      const w = make();
      try {
        const server = await listen(w.server, { address: w.serverAddress, port: 0 });
        const c = await connect(w.client, { address: w.serverAddress, port: server.localAddress.port });
        const a = await server.accept();
        c.reset();
        await assert.rejects(a.read(), (e: unknown) => e instanceof WinsockError && e.codeName === 'WSAECONNRESET');
        a.close();
        server.close();
      } finally {
        await w.done();
      }
    });
  });
}
