/**
 * Segment sizes: between hosts a TCP segment carries at most the link MTU less 40 bytes (1460 at
 * the default 1500); on loopback, as on Windows, up to 65495. Captures announce the same MSS in SYNs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VirtualNetwork, connect, listen } from '../src/index.js';
import { parseFrame } from '../src/wire/packet.js';

/** Sends `size` bytes from host b to `address` (on host a) and returns every data payload length seen. */
async function payloadSizes(net: VirtualNetwork, address: string, size: number, fromSameHost = false): Promise<number[]> {
  const a = net.addHost({ addresses: ['10.0.0.1', 'fd00::1'] });
  const b = fromSameHost ? a : net.addHost({ addresses: ['10.0.0.2', 'fd00::2'] });
  const sizes: number[] = [];
  net.net.taps.add((seg) => {
    if (seg.payload !== null && seg.payload.length > 0) sizes.push(seg.payload.length);
  });
  const server = await listen(a, { address, port: 7 });
  let received = 0;
  const serving = (async () => {
    const c = await server.accept();
    for await (const chunk of c) received += chunk.length;
    c.close();
  })();
  const c = await connect(b, { address, port: 7 });
  await c.write(new Uint8Array(size).fill(1));
  c.end();
  await serving;
  c.close();
  server.close();
  assert.equal(received, size);
  return sizes;
}

describe('maximum segment size', () => {
  test('between hosts a segment carries at most MTU − 40 = 1460 bytes (IPv4 and IPv6)', async () => {
    for (const address of ['10.0.0.1', 'fd00::1']) {
      const sizes = await payloadSizes(new VirtualNetwork(), address, 100_000);
      assert.equal(Math.max(...sizes), 1460);
    }
  });

  test('the mtu option sets the segment size between hosts', async () => {
    const sizes = await payloadSizes(new VirtualNetwork({ mtu: 9000 }), '10.0.0.1', 100_000);
    assert.equal(Math.max(...sizes), 8960);
  });

  test('loopback and a host\'s own address carry segments of up to 65495 bytes, as on Windows', async () => {
    for (const address of ['127.0.0.1', '::1', '10.0.0.1']) {
      const sizes = await payloadSizes(new VirtualNetwork(), address, 200_000, true);
      assert.equal(Math.max(...sizes), 65495, address);
    }
  });

  test('an mtu outside 576..65535, or not an integer, is a RangeError', () => {
    for (const mtu of [575, 65536, 1500.5, Number.NaN]) assert.throws(() => new VirtualNetwork({ mtu }), RangeError);
  });

  test('captured SYNs announce the MSS of their path', async () => {
    const net = new VirtualNetwork();
    const records: Uint8Array[] = [];
    const cap = net.capture({ write: (x) => records.push(x.slice()) });
    await payloadSizes(net, '10.0.0.1', 10); // hosts 10.0.0.1 and 10.0.0.2
    const loop = net.hosts[0]!;
    const server = await listen(loop, { address: '127.0.0.1', port: 8 });
    const c = await connect(loop, { address: '127.0.0.1', port: 8 });
    (await server.accept()).close();
    c.close();
    server.close();
    net.run();
    cap.close();
    const synMss = records.slice(1).map((r) => parseFrame(r.subarray(16))).flatMap((f) =>
      f?.kind === 'tcp' && (f.segment.flags & 0x02) !== 0 ? [`${f.segment.dstAddress}:${f.options.mss}`] : []);
    assert.deepEqual(synMss.sort(), ['10.0.0.1:1460', '10.0.0.2:1460', '127.0.0.1:65495', '127.0.0.1:65495']);
  });
});
