/** The benchmark keeps working: a tiny run produces every field (no timing is asserted). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QUICK, bench, table } from '../bench/run.js';

// A time limit turns a hang (a real network that never answers) into a failure, not a stuck CI run.
test('npm run bench, tiny sizes: every figure of the JSON is there, rates and ratios positive', { timeout: 120_000 }, async () => {
  const r = await bench(QUICK);
  const fields = {
    node: ['connPerSec', 'rttPerSec', 'bulkMBps'],
    virtual: ['connPerSec', 'rttPerSec', 'bulkMBps', 'lanBulkMBps', 'bytesPerIdleConn', 'setupScale100kOver1k', 'iocpRttPerSec', 'iocpBulkMBps'],
    host: ['rttPerSec', 'bulkMBps', 'asyncRttPerSec', 'asyncBulkMBps', 'iocpRttPerSec', 'iocpBulkMBps'],
    threads: ['rttPerSec', 'callUs'],
  } as const;
  for (const [group, names] of Object.entries(fields)) {
    for (const name of names) {
      const v = (r as unknown as Record<string, Record<string, number>>)[group]![name];
      assert.ok(typeof v === 'number' && Number.isFinite(v), `${group}.${name} = ${v}`);
      // A heap delta over a few connections without --expose-gc is noise; rates and ratios are not.
      if (name !== 'bytesPerIdleConn') assert.ok(v > 0, `${group}.${name} = ${v}`);
    }
  }
  assert.match(table(r), /connection cycles\/s/);
});
