/** The scheduler that owns virtual time. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Scheduler } from '../src/net/scheduler.js';
import { Random } from '../src/net/random.js';
import fc from 'fast-check';

test('events run in time order, FIFO among equal times', () => {
  const s = new Scheduler();
  const out: string[] = [];
  s.schedule(20, (x: string) => out.push(x), 'c');
  s.schedule(10, (x: string) => out.push(x), 'a');
  s.schedule(10, (x: string) => out.push(x), 'b');
  s.schedule(0, (x: string) => out.push(x), 'first');
  s.run();
  assert.deepEqual(out, ['first', 'a', 'b', 'c']);
  assert.equal(s.nowMicros, 20);
});

test('cancelled events do not run and do not keep run() going', () => {
  const s = new Scheduler();
  let ran = false;
  const e = s.schedule(1_000_000, () => { ran = true; }, null);
  e.cancel();
  e.cancel();
  assert.equal(s.pendingForeground, 0);
  s.run();
  assert.equal(ran, false);
  assert.equal(s.nowMicros, 0);
});

test('background events run when time passes them but do not keep run() going', () => {
  const s = new Scheduler();
  let bg = 0;
  s.schedule(500, () => bg++, null, true);
  s.schedule(100, () => {}, null);
  s.run();
  assert.equal(s.nowMicros, 100);
  assert.equal(bg, 0);
  s.advance(1000);
  assert.equal(bg, 1);
  assert.equal(s.nowMicros, 1100);
});

test('runUntil: done, idle, and deadline', () => {
  const s = new Scheduler();
  let x = 0;
  s.schedule(10, () => { x = 1; }, null);
  assert.equal(s.runUntil(() => x === 1), 'done');
  assert.equal(s.runUntil(() => x === 2), 'idle');
  assert.equal(s.runUntil(() => x === 2, s.nowMicros + 50), 'deadline');
  assert.equal(s.nowMicros, 60);
  s.schedule(100, () => { x = 2; }, null);
  assert.equal(s.runUntil(() => x === 2, s.nowMicros + 50), 'deadline');
  assert.equal(x, 0 + 1);
  assert.equal(s.runUntil(() => x === 2, s.nowMicros + 100), 'done');
});

test('events scheduled by events run in the same pass', () => {
  const s = new Scheduler();
  const seen: number[] = [];
  const chain = (n: number): void => {
    seen.push(n);
    if (n < 5) s.schedule(1, chain, n + 1);
  };
  s.schedule(0, chain, 0);
  s.run();
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);
});

test('a large random workload comes out sorted', () => {
  const s = new Scheduler();
  const r = new Random(7);
  const times: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const d = r.uint32() % 10000;
    s.schedule(d, (t: number) => times.push(t), d);
  }
  s.run();
  for (let i = 1; i < times.length; i++) assert.ok(times[i - 1]! <= times[i]!);
});

test('Random: one seed, one stream; different seeds differ', () => {
  const a = new Random(42);
  const b = new Random(42);
  const c = new Random(43);
  const sa = Array.from({ length: 8 }, () => a.uint32());
  assert.deepEqual(sa, Array.from({ length: 8 }, () => b.uint32()));
  assert.notDeepEqual(sa, Array.from({ length: 8 }, () => c.uint32()));
  for (let i = 0; i < 1000; i++) {
    const f = a.next();
    assert.ok(f >= 0 && f < 1);
  }
});

test('a Timer fires once at the time it was last armed; clear() disarms; background timers do not keep run() going', () => {
  const s = new Scheduler();
  const fired: number[] = [];
  const t = s.timer((x: number[]) => x.push(s.nowMicros), fired);
  t.set(100);
  s.advance(50);
  t.set(100); // re-armed later: the old entry wakes at 100 for nothing
  s.run();
  assert.deepEqual(fired, [150]);
  assert.equal(t.armed, false);
  t.set(10);
  t.set(5); // re-armed earlier
  s.run();
  assert.deepEqual(fired, [150, 155]);
  t.set(10);
  t.clear();
  s.run();
  assert.equal(s.nowMicros, 155, 'a cleared timer does not keep run() going');
  t.set(10, true);
  assert.equal(s.pendingForeground, 0);
  s.run();
  assert.deepEqual(fired, [150, 155]);
  s.advance(10);
  assert.deepEqual(fired, [150, 155, 165]);
});

test('property: a Timer behaves exactly as cancelling and scheduling a fresh event each time it is armed', () => {
  type Op = { kind: 'event' | 'set' | 'clear' | 'advance' | 'run'; timer: number; delay: number; background: boolean };
  const op = fc.record({
    kind: fc.constantFrom<Op['kind']>('event', 'set', 'set', 'clear', 'advance', 'run'),
    timer: fc.integer({ min: 0, max: 2 }),
    // Few distinct delays, so events and timers often fall due at the same time (order of ties).
    delay: fc.oneof(fc.constantFrom(0, 10, 20), fc.integer({ min: 0, max: 300 })),
    background: fc.boolean(),
  });
  fc.assert(fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
    const run = (useTimer: boolean): string[] => {
      const s = new Scheduler();
      const log: string[] = [];
      const note = (what: string) => log.push(`${s.nowMicros}:${what}`);
      const timers = [0, 1, 2].map((i) => s.timer(() => note(`t${i}`), null));
      const plain: ({ cancel(): void } | null)[] = [null, null, null];
      ops.forEach((o, n) => {
        switch (o.kind) {
          case 'event': s.schedule(o.delay, () => note(`e${n}`), null, o.background); break;
          case 'set':
            if (useTimer) timers[o.timer]!.set(o.delay, o.background);
            else {
              plain[o.timer]?.cancel();
              const i = o.timer;
              const entry = s.schedule(o.delay, () => { plain[i] = null; note(`t${i}`); }, null, o.background);
              plain[i] = entry;
            }
            break;
          case 'clear':
            if (useTimer) timers[o.timer]!.clear();
            else { plain[o.timer]?.cancel(); plain[o.timer] = null; }
            break;
          case 'advance': s.advance(o.delay); break;
          case 'run': s.run(); break;
        }
        log.push(`fg${s.pendingForeground}`);
      });
      s.run();
      note('end');
      return log;
    };
    assert.deepEqual(run(true), run(false));
  }), { numRuns: 300 });
});
