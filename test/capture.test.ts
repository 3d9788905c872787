/**
 * Packet captures Wireshark can read: tshark dissects every frame of a lossy run with no
 * malformed frame and no bad checksum, follows the TCP stream (retransmissions recognised), and
 * one seed gives the same capture byte for byte. Without tshark its test is skipped (test/peers.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  AF_INET, AF_INET6, IPPROTO_UDP, SOCK_DGRAM, VirtualNetwork, connect, listen,
} from '../src/index.js';
import { needs } from './peers.js';

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 9)) & 0xff);

/** A lossy 1 MiB transfer over IPv4, a small one over IPv6, and a datagram nobody receives. */
async function scenario(seed: number): Promise<{ bytes: Uint8Array; frames: number; intact: boolean }> {
  const net = new VirtualNetwork({ seed, lossRate: 0.05, jitterMs: 0.02 });
  const a = net.addHost({ addresses: ['10.0.0.1', 'fd00::1'] });
  const b = net.addHost({ addresses: ['10.0.0.2', 'fd00::2'] });
  const chunks: Uint8Array[] = [];
  const cap = net.capture({ write: (x) => chunks.push(x.slice()) });
  let intact = true;
  for (const [address, size] of [['10.0.0.1', 1 << 20], ['fd00::1', 20_000]] as const) {
    const server = await listen(a, { address, port: 5001 });
    const data = pattern(size);
    const parts: Uint8Array[] = [];
    const serving = (async () => {
      const c = await server.accept();
      for await (const chunk of c) parts.push(chunk.slice());
      c.close();
    })();
    const c = await connect(b, { address, port: 5001 });
    await c.write(data);
    c.end();
    await serving;
    c.close();
    server.close();
    intact &&= Buffer.compare(Buffer.concat(parts), data) === 0;
  }
  const p = b.provider;
  for (const af of [AF_INET, AF_INET6]) {
    const u = p.WSPSocket(af, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, { value: 0 });
    const to = af === AF_INET ? { family: af, address: '10.0.0.1', port: 9 } : { family: af, address: 'fd00::1', port: 9 };
    p.WSPSendTo(u, [{ len: 3, buf: Uint8Array.of(1, 2, 3) }], 1, { value: 0 }, 0, to, af === AF_INET ? 16 : 28, null, null, null, { value: 0 });
  }
  net.run();
  net.advance(300_000); // every TIME_WAIT over
  cap.close();
  return { bytes: Buffer.concat(chunks), frames: cap.frames, intact };
}

function tshark(file: string, ...args: string[]): string {
  try {
    return execFileSync('tshark', [
      '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-r', file, ...args,
    ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });
  } catch (err) {
    throw new Error(`tshark failed (is it installed? .ci/run installs Debian's tshark): ${String(err)}`);
  }
}
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('packet capture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winsock-spi-capture-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('one seed, one capture: two runs are identical byte for byte; another seed differs', async () => {
    const [x, y, z] = [await scenario(4), await scenario(4), await scenario(5)];
    assert.ok(x.intact && y.intact && z.intact);
    assert.equal(Buffer.compare(x.bytes, y.bytes), 0);
    assert.notEqual(Buffer.compare(x.bytes, z.bytes), 0);
  });

  test('tshark dissects every frame: no malformed frame, no bad checksum, retransmissions recognised', needs('tshark'), async () => {
    const run = await scenario(4);
    assert.ok(run.intact);
    const file = join(dir, 'lossy.pcap');
    writeFileSync(file, run.bytes);
    assert.equal(readFileSync(file).length, run.bytes.length);
    assert.equal(lines(tshark(file, '-T', 'fields', '-e', 'frame.number')).length, run.frames, 'every frame read');
    assert.deepEqual(lines(tshark(file, '-Y', '_ws.malformed || _ws.expert.severity == error')), [], 'no malformed frame');
    const statuses = lines(tshark(file, '-T', 'fields', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'udp.checksum.status'));
    assert.ok(statuses.every((l) => !/(^|[\t,])0([\t,]|$)/.test(l)), 'no checksum reported bad (status 0)');
    const protocols = new Set(lines(tshark(file, '-T', 'fields', '-e', 'frame.protocols')));
    for (const p of protocols) assert.match(p, /^eth:ethertype:(ip:(tcp|udp|icmp:ip:udp)|ipv6:(tcp|udp|icmpv6:ipv6:udp))(:data)?$/);
    for (const want of ['ip:tcp', 'ipv6:tcp', 'ip:icmp', 'ipv6:icmpv6']) {
      assert.ok([...protocols].some((p) => p.includes(want)), `a ${want} frame`);
    }
    const retransmitted = lines(tshark(file, '-Y', 'tcp.analysis.retransmission || tcp.analysis.fast_retransmission'));
    assert.ok(retransmitted.length > 10, `retransmissions recognised: ${retransmitted.length}`);
    const streams = new Set(lines(tshark(file, '-T', 'fields', '-e', 'tcp.stream')));
    assert.equal(streams.size, 2, 'two TCP conversations followed');
  });
});
