/**
 * 20,000 connect/accept/close cycles on the virtual network, with nothing left over:
 * descriptors, ports and TCBs all come back (speed is measured by benchmarks, not here).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF_INET, SOCK_STREAM, SOCKET_ERROR, INVALID_SOCKET, VirtualNetwork } from '../src/index.js';

test('20,000 connect/accept/close cycles leave no descriptor, port or connection behind', () => {
  const net = new VirtualNetwork({ timeWaitMs: 1000 });
  const serverHost = net.addHost({ addresses: ['10.0.0.1'] });
  const clientHost = net.addHost({ addresses: ['10.0.0.2'] });
  const server = serverHost.provider;
  const client = clientHost.provider;
  const e = { value: 0 };
  const at = { family: AF_INET, address: '10.0.0.1', port: 80 };
  const ls = server.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 0, e);
  assert.equal(server.WSPBind(ls, at, 16, e), 0);
  assert.equal(server.WSPListen(ls, 200, e), 0);
  for (let i = 0; i < 20_000; i++) {
    const c = client.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 0, e);
    assert.notEqual(c, INVALID_SOCKET);
    if (client.WSPConnect(c, at, 16, null, null, null, null, e) === SOCKET_ERROR) assert.fail(`cycle ${i}: ${e.value}`);
    const a = server.WSPAccept(ls, null, null, null, 0, e);
    if (a === INVALID_SOCKET) assert.fail(`cycle ${i}: accept ${e.value}`);
    client.WSPCloseSocket(c, e);
    server.WSPCloseSocket(a, e);
  }
  net.run();
  net.advance(1000); // TIME_WAIT
  assert.equal(client.core.descriptorsInUse, 0);
  assert.equal(server.core.descriptorsInUse, 1);
  assert.equal(clientHost.net.tcp.connectionCount, 0);
  assert.equal(serverHost.net.tcp.connectionCount, 0);
  assert.equal(server.inspect(ls)!.listen!.stats.accepted, 20_000);
});
