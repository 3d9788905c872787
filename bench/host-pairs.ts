/**
 * The host network against node:net over many paired runs: `node build/bench/host-pairs.js
 * [pairs]` (after `npm run build:test`). Each pair runs both sides back to back, in alternating
 * order; the first third of the pairs is warm-up. Prints every run and the median ratios, which
 * are steadier than one `npm run bench` on a machine whose speed drifts.
 */
import * as m from './measure.js';

const pairs = Number(process.argv[2] ?? 12);
const bulkBytes = 512 << 20;
const trips = 30_000;

async function paired(node: () => Promise<number>, host: () => Promise<number>): Promise<{ node: number[]; host: number[] }> {
  const out = { node: [] as number[], host: [] as number[] };
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) {
      out.node.push(await node());
      out.host.push(await host());
    } else {
      out.host.push(await host());
      out.node.push(await node());
    }
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const skip = Math.floor(pairs / 3);

for (const [name, node, host] of [
  ['round trips/s', () => m.nodeRttPerSec(trips), () => m.hostRttPerSec(trips)],
  ['bulk MB/s', () => m.nodeBulkMBps(bulkBytes), () => m.hostBulkMBps(bulkBytes)],
] as const) {
  const r = await paired(node, host);
  console.log(`${name}\n  node:net ${r.node.map(Math.round).join(' ')}\n  host     ${r.host.map(Math.round).join(' ')}`);
  const ratio = median(r.host.slice(skip)) / median(r.node.slice(skip));
  console.log(`  host ÷ node:net, medians of the last ${pairs - skip} pairs: ${(ratio * 100).toFixed(0)} %`);
}
await m.closeHostNetwork();
