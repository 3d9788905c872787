/** The harness itself: a pair connects and carries bytes on both networks. */
import assert from 'node:assert/strict';
import { onNetworks, recv, send, tcpPair } from './harness.js';

onNetworks('harness', (it) => {
  it('tcp_socketpair connects and carries bytes both ways', async (w) => {
    const { client, server } = await tcpPair(w);
    assert.equal(send(w, client, new Uint8Array([1, 2, 3])).sent, 3);
    let got: Uint8Array = new Uint8Array(0);
    await w.settle(() => (w.p.inspect(server) !== undefined && (got = recv(w, server, 8, 0x2 /* MSG_PEEK */).bytes).length === 3));
    assert.deepEqual([...recv(w, server, 8).bytes], [1, 2, 3]);
    assert.equal(got.length, 3);
  });
});
