/** TCP's connection table: against a map by the full 4-tuple, and at scale with one port on many hosts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TupleTable, type Tupled } from '../src/net/tuple-table.js';

const keyOf = (c: Tupled) => `${c.localAddress}|${c.localPort}|${c.remoteAddress}|${c.remotePort}`;

test('property: the table finds, adds and removes exactly what a map by the full 4-tuple does', () => {
  // Few addresses and ports, and ports 16384 apart, so tuples share slots, lists and maps.
  const tuple = fc.record({
    localAddress: fc.constantFrom('10.0.0.1', '127.0.0.1'),
    localPort: fc.constantFrom(80, 81),
    remoteAddress: fc.integer({ min: 1, max: 14 }).map((i) => `10.0.1.${i}`),
    remotePort: fc.constantFrom(49152, 49152 + 16384, 1000),
  });
  const op = fc.record({ add: fc.boolean(), t: tuple });
  fc.assert(fc.property(fc.array(op, { maxLength: 200, size: 'max' }), (ops) => {
    const table = new TupleTable<Tupled>();
    const model = new Map<string, Tupled>();
    for (const { add, t } of ops) {
      const k = keyOf(t);
      const held = model.get(k);
      if (add && held === undefined) {
        const conn = { ...t };
        table.add(conn);
        model.set(k, conn);
      } else if (!add && held !== undefined) {
        table.delete({ ...t }); // another object with the same tuple: not removed
        assert.equal(table.get(t.localAddress, t.localPort, t.remoteAddress, t.remotePort), held);
        table.delete(held);
        model.delete(k);
      }
      assert.equal(table.size, model.size);
      assert.equal(table.get(t.localAddress, t.localPort, t.remoteAddress, t.remotePort), model.get(k));
    }
    assert.deepEqual(table.all().map(keyOf).sort(), [...model.keys()].sort());
    for (const c of model.values()) assert.equal(table.get(c.localAddress, c.localPort, c.remoteAddress, c.remotePort), c);
  }), { numRuns: 300 });
});

test('10,000 client hosts on the same ephemeral port: every lookup is found through a map by remote address', () => {
  const table = new TupleTable<Tupled>();
  const conns: Tupled[] = [];
  for (let i = 0; i < 10_000; i++) {
    const c = { localAddress: '10.0.0.1', localPort: 80, remoteAddress: `10.${(i >> 8) & 255}.${i & 255}.1`, remotePort: 49152 };
    conns.push(c);
    table.add(c);
  }
  for (const c of conns) assert.equal(table.get(c.localAddress, c.localPort, c.remoteAddress, c.remotePort), c);
  // They all share one port slot: it must have become a map by remote address, not a list.
  const slot = (table as unknown as { byPorts: Map<number, unknown> }).byPorts.values().next().value;
  assert.ok(slot instanceof Map, 'the shared slot became a map by remote address');
  assert.equal((slot as Map<string, unknown>).size, 10_000);
  for (const c of conns) table.delete(c);
  assert.equal(table.size, 0);
});
