/** A SYN to a full listen queue: Windows answers RST; the 'drop' host option behaves like Linux. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualNetwork } from '../src/index.js';
import { accept, listener, soError, startConnect, v4 } from './helpers.js';

const SERVER = v4('10.0.0.1', 80);

function scenario(fullQueue?: 'reset' | 'drop') {
  const net = new VirtualNetwork();
  const server = net.addHost({ addresses: ['10.0.0.1'], fullQueue }).provider;
  const client = net.addHost({ addresses: ['10.0.0.2'] }).provider;
  const l = listener(server, SERVER, 1);
  const first = startConnect(client, SERVER);
  net.advance(1);
  const second = startConnect(client, SERVER);
  net.advance(1);
  return { net, server, client, l, first, second };
}

test("Windows (default): the SYN to a full queue gets RST, the connect fails at once with WSAECONNREFUSED", () => {
  const { client, second } = scenario();
  assert.equal(client.inspect(second)?.phase, 'bound');
  assert.equal(soError(client, second), 10061);
});

test("fullQueue 'drop' (Linux): the SYN is ignored; the client's retransmitted SYN gets in once there is room", () => {
  const { net, server, client, l, second } = scenario('drop');
  assert.equal(client.inspect(second)?.phase, 'connecting', 'no answer yet');
  assert.ok(accept(server, l).ret > 0, 'room in the queue now');
  net.run();
  assert.equal(client.inspect(second)?.phase, 'connected');
  assert.ok(net.now() >= 3000, `after the first SYN retransmission (3 s): ${net.now()} ms`);
  assert.equal(server.inspect(l)?.listen?.stats.refusedFull, 1);
});

test("fullQueue 'drop' with the queue still full: the connect times out (WSAETIMEDOUT) after the SYN retries", () => {
  const { net, client, second } = scenario('drop');
  net.run();
  assert.equal(client.inspect(second)?.phase, 'bound');
  assert.equal(soError(client, second), 10060);
});
