/**
 * `npm run bench`: node:net on 127.0.0.1, the virtual network and the host network doing the
 * same work in the same process, as a table; `-- --json` adds one JSON object as the last line.
 * `-- --quick` runs tiny sizes (what the smoke test does). The overlapped rows (IOCP echo) are in iocp.ts.
 */
import * as iocp from './iocp.js';
import * as m from './measure.js';
import * as threads from './threads.js';

export interface BenchResult {
  node: { connPerSec: number; rttPerSec: number; bulkMBps: number };
  virtual: {
    connPerSec: number; rttPerSec: number; bulkMBps: number;
    /** Bulk between two hosts over links of MTU 1500 (not in the shape; node:net has no such case on loopback). */
    lanBulkMBps: number;
    bytesPerIdleConn: number; setupScale100kOver1k: number;
    /** examples/iocp-echo.ts (completion port, AcceptEx, zero-byte receives, overlapped sends): 1-byte echoes. */
    iocpRttPerSec: number;
    /** The same server echoing 64 KiB sends: MB/s of echo received (each byte crosses twice). */
    iocpBulkMBps: number };
  /** The SPI on the host network, driven as a Windows program drives it (WSPAsyncSelect). */
  host: {
    rttPerSec: number; bulkMBps: number;
    /** The same through the async API (promises over the SPI; not in the shape). */
    asyncRttPerSec: number; asyncBulkMBps: number;
    /** examples/iocp-echo.ts on the host network (its completion loops), client by node:net as in node:net's row. */
    iocpRttPerSec: number;
    /** Its bulk echo: MB/s of echo received (each byte crosses twice; node:net's bulk row is one way). */
    iocpBulkMBps: number;
  };
  /** winsock-spi/threads on the virtual network: blocking calls from worker threads. */
  threads: {
    /** One-byte blocking round trips between two workers (WSPSend/WSPRecv). */
    rttPerSec: number;
    /** Microseconds per blocking call from one worker (WSPGetSockName). */
    callUs: number;
  };
}

export interface BenchSizes {
  cycles: number;
  trips: number;
  bulkBytes: number;
  scaleSmall: number;
  scaleLarge: number;
  scaleMeasured: number;
  /** How long each measurement runs untimed first (at least once). */
  warmUpMs: number;
}

export const FULL: BenchSizes = { cycles: 20_000, trips: 50_000, bulkBytes: 512 << 20, scaleSmall: 1_000, scaleLarge: 100_000, scaleMeasured: 2_000, warmUpMs: 1500 };
export const QUICK: BenchSizes = { cycles: 50, trips: 100, bulkBytes: 1 << 20, scaleSmall: 20, scaleLarge: 200, scaleMeasured: 20, warmUpMs: 0 };

type Measure = readonly [(size: number) => number | Promise<number>, number];

/**
 * Runs each measurement untimed for `warmUpMs` (at least once), so every side runs fully compiled code
 * (the host network's bulk figure was still climbing after one warm-up run: 76 % of node:net
 * in its second run, 102 % in its fifth); then rounds (five unless said otherwise) taking each in
 * turn, and reports each one's median. Taking turns puts figures that are compared side by side in time: on a shared
 * machine the speed drifts (a stolen CPU, a late compiler thread) and single runs move by up to
 * 40 %. No forced garbage collection between runs: a full collection in V8 throws compiled code
 * away, and the runs after it would measure the interpreter.
 */
async function sideBySide(measures: readonly Measure[], warmUpMs: number, rounds = 5): Promise<number[]> {
  for (const [measure, size] of measures) {
    const until = performance.now() + warmUpMs;
    do await measure(size); while (performance.now() < until);
  }
  const runs = measures.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    // Every other round in reverse order: a run right after another kind of run is slower
    // (the kernel and the heap still hold what the other left), and no side should always pay.
    for (let k = 0; k < measures.length; k++) {
      const i = round % 2 === 0 ? k : measures.length - 1 - k;
      const [measure, size] = measures[i]!;
      runs[i]!.push(await measure(size));
    }
  }
  return runs.map((r) => r.sort((x, y) => x - y)[rounds >> 1]!);
}

export async function bench(sizes: BenchSizes, progress: (what: string) => void = () => {}): Promise<BenchResult> {
  // The host network is slower per operation than the virtual one: fewer round trips keep the
  // run short; the full bulk size, because shorter transfers on loopback vary far more.
  const hostTrips = Math.min(sizes.trips, 30_000);
  const hostBytes = sizes.bulkBytes;
  // The virtual network first, in a process nothing else has run in yet: node:net's sockets
  // leave garbage and timers behind that slowed the simulation's figures by up to a third.
  progress('virtual network');
  const [vConn] = await sideBySide([[m.virtualConnPerSec, sizes.cycles]], sizes.warmUpMs);
  const [vRtt] = await sideBySide([[m.virtualRttPerSec, sizes.trips]], sizes.warmUpMs);
  const [vBulk, vLanBulk] = await sideBySide([[m.virtualBulkMBps, sizes.bulkBytes], [(size) => m.virtualBulkMBps(size, true), sizes.bulkBytes]], sizes.warmUpMs);
  progress('virtual network, overlapped I/O and a completion port');
  const [vIocpRtt, vIocpBulk] = await sideBySide([[iocp.virtualIocpRttPerSec, sizes.trips], [iocp.virtualIocpBulkMBps, sizes.bulkBytes]], sizes.warmUpMs);
  // node:net and the host network take turns: their ratios are the close ones.
  progress('node:net and the host network');
  const [nodeConn] = await sideBySide([[m.nodeConnPerSec, Math.min(sizes.cycles, 10_000)]], sizes.warmUpMs);
  // Nine rounds for the host network against node:net: loopback bulk transfers vary by a third
  // from one run to the next, and these two figures are within a few per cent of each other.
  const [nodeRtt, hRtt, hIocpRtt] = await sideBySide(
    [[m.nodeRttPerSec, sizes.trips], [m.hostRttPerSec, hostTrips], [iocp.hostIocpRttPerSec, hostTrips]], sizes.warmUpMs, 9);
  const [nodeBulk, hBulk] = await sideBySide([[m.nodeBulkMBps, sizes.bulkBytes], [m.hostBulkMBps, hostBytes]], sizes.warmUpMs, 9);
  progress('the async API on the host network');
  const [hAsyncRtt, hAsyncBulk] = await sideBySide([[m.hostAsyncRttPerSec, hostTrips], [m.hostAsyncBulkMBps, hostBytes]], sizes.warmUpMs, 3);
  progress('overlapped I/O on the host network (bulk echo)');
  const [hIocpBulk] = await sideBySide([[iocp.hostIocpBulkMBps, hostBytes]], sizes.warmUpMs, 3);
  await m.closeHostNetwork();
  progress('virtual network at scale');
  const small = m.virtualScale(sizes.scaleSmall, sizes.scaleMeasured);
  const large = m.virtualScale(sizes.scaleLarge, sizes.scaleMeasured);
  progress('worker threads');
  const threadRows = await threads.threadsRows(sizes.trips);
  return {
    node: { connPerSec: nodeConn, rttPerSec: nodeRtt, bulkMBps: nodeBulk },
    virtual: {
      connPerSec: vConn, rttPerSec: vRtt, bulkMBps: vBulk, lanBulkMBps: vLanBulk,
      bytesPerIdleConn: large.bytesPerIdleConn, setupScale100kOver1k: large.usPerSetup / small.usPerSetup,
      iocpRttPerSec: vIocpRtt, iocpBulkMBps: vIocpBulk,
    },
    host: {
      rttPerSec: hRtt, bulkMBps: hBulk, asyncRttPerSec: hAsyncRtt, asyncBulkMBps: hAsyncBulk,
      iocpRttPerSec: hIocpRtt, iocpBulkMBps: hIocpBulk,
    },
    threads: threadRows,
  };
}

const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2));

export function table(r: BenchResult): string {
  const rows: [string, number, number, string][] = [
    ['connection cycles/s', r.node.connPerSec, r.virtual.connPerSec, '≥ 200,000 and 10×'],
    ['round trips/s (1 byte, TCP_NODELAY)', r.node.rttPerSec, r.virtual.rttPerSec, '≥ 500,000 and 7×'],
    ['bulk MB/s (64 KiB sends)', r.node.bulkMBps, r.virtual.bulkMBps, '≥ 4,000 and 1.5×'],
  ];
  const lan = `| bulk MB/s between two hosts, MTU 1500 | | ${fmt(r.virtual.lanBulkMBps)} | | (no goal) |`;
  const out = ['| measure | node:net | virtual | virtual ÷ node | goal |', '|---|---:|---:|---:|---|'];
  for (const [name, n, v, goal] of rows) out.push(`| ${name} | ${fmt(n)} | ${fmt(v)} | ${(v / n).toFixed(1)}× | ${goal} |`);
  out.push(lan);
  out.push(`| round trips/s, IOCP echo (overlapped, completion port) | ${fmt(r.node.rttPerSec)} | ${fmt(r.virtual.iocpRttPerSec)} | ${(r.virtual.iocpRttPerSec / r.node.rttPerSec).toFixed(1)}× | 10× |`);
  out.push(`| bulk echo MB/s, IOCP echo (64 KiB sends, both ways) | | ${fmt(r.virtual.iocpBulkMBps)} | | (no goal) |`);
  out.push('', '| virtual network at scale | value | goal |', '|---|---:|---|');
  out.push(`| heap bytes per idle connection | ${fmt(r.virtual.bytesPerIdleConn)} | ≤ 2,048 |`);
  out.push(`| set-up time with 100k open ÷ with 1k open | ${r.virtual.setupScale100kOver1k.toFixed(2)} | ≤ 1.5 |`);
  const pct = (x: number, base: number) => `${(x / base * 100).toFixed(0)} %`;
  out.push('', '| host network (SPI over node:net) | host | node:net | host ÷ node | goal |', '|---|---:|---:|---:|---|');
  out.push(`| round trips/s (WSPAsyncSelect) | ${fmt(r.host.rttPerSec)} | ${fmt(r.node.rttPerSec)} | ${pct(r.host.rttPerSec, r.node.rttPerSec)} | ≥ 80 % |`);
  out.push(`| bulk MB/s (WSPAsyncSelect) | ${fmt(r.host.bulkMBps)} | ${fmt(r.node.bulkMBps)} | ${pct(r.host.bulkMBps, r.node.bulkMBps)} | ≥ 90 % |`);
  out.push(`| round trips/s (async API) | ${fmt(r.host.asyncRttPerSec)} | ${fmt(r.node.rttPerSec)} | ${pct(r.host.asyncRttPerSec, r.node.rttPerSec)} | (no goal) |`);
  out.push(`| bulk MB/s (async API) | ${fmt(r.host.asyncBulkMBps)} | ${fmt(r.node.bulkMBps)} | ${pct(r.host.asyncBulkMBps, r.node.bulkMBps)} | (no goal) |`);
  out.push(`| round trips/s (IOCP echo) | ${fmt(r.host.iocpRttPerSec)} | ${fmt(r.node.rttPerSec)} | ${pct(r.host.iocpRttPerSec, r.node.rttPerSec)} | ≥ 90 % |`);
  out.push(`| bulk echo MB/s (IOCP echo, both ways) | ${fmt(r.host.iocpBulkMBps)} | | | (no goal) |`);
  out.push('', '| worker threads (winsock-spi/threads, virtual network) | measured | goal |', '|---|---:|---|');
  out.push(`| blocking round trips/s between two workers | ${fmt(r.threads.rttPerSec)} | ≥ 100,000 |`);
  out.push(`| µs per blocking call from a worker | ${fmt(r.threads.callUs)} | ≤ 10 |`);
  return out.join('\n');
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').slice(-2).join('/'));
if (isMain) {
  const quick = process.argv.includes('--quick');
  const result = await bench(quick ? QUICK : FULL, (what) => process.stderr.write(`… ${what}\n`));
  console.log(table(result));
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
}
