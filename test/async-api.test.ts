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
