/** The receive buffer's ring: against a plain array model under random pushes, reads and peeks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ByteQueue } from '../src/provider/byte-queue.js';

/** Arrays of any length up to `max` (fast-check's default sizes would keep them tiny and never wrap the ring). */
const bytes = (max: number) => fc.tuple(fc.integer({ min: 0, max }), fc.integer({ min: 0, max: 255 }))
  .map(([n, salt]) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + salt) & 0xff));

test('property: a ByteQueue gives back exactly the bytes pushed or adopted, in order, across wrap-arounds and growth', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('push' as const), bytes: bytes(700) }),
    fc.record({ kind: fc.constant('read' as const), sizes: fc.array(fc.integer({ min: 0, max: 600 }), { maxLength: 3, size: 'max' }), peek: fc.boolean() }),
    fc.record({ kind: fc.constant('absorb' as const), bytes: bytes(300), adopt: fc.boolean() }),
    fc.record({ kind: fc.constant('adopt' as const), bytes: bytes(700) }),
    fc.record({ kind: fc.constant('clear' as const) }),
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 60, size: 'max' }), (ops) => {
    const q = new ByteQueue();
    let model: number[] = [];
    for (const o of ops) {
      if (o.kind === 'push') {
        q.push(o.bytes);
        model.push(...o.bytes);
      } else if (o.kind === 'adopt') {
        q.adopt(o.bytes.slice()); // the queue owns it now
        model.push(...o.bytes);
      } else if (o.kind === 'absorb') {
        const other = new ByteQueue();
        if (o.adopt) other.adopt(o.bytes.slice());
        else other.push(o.bytes);
        q.absorb(other);
        assert.equal(other.length, 0);
        model.push(...o.bytes);
      } else if (o.kind === 'clear') {
        q.clear();
        model = [];
      } else {
        const targets = o.sizes.map((n) => new Uint8Array(n));
        const count = q.read(targets, o.peek);
        const expected = model.slice(0, Math.min(model.length, o.sizes.reduce((a, b) => a + b, 0)));
        assert.equal(count, expected.length);
        assert.deepEqual([...targets.flatMap((t) => [...t])].slice(0, count), expected);
        if (!o.peek) model = model.slice(count);
      }
      assert.equal(q.length, model.length);
    }
    const all = new Uint8Array(model.length);
    assert.equal(q.read([all], false), model.length);
    assert.deepEqual([...all], model);
  }), { numRuns: 400 });
});
