/**
 * The scheduler owns virtual time. Nothing in the virtual network reads a clock:
 * every delay is an event on this queue, ordered by (time, insertion order), so a run
 * is a pure function of its inputs and seed.
 *
 * Time is kept in integer microseconds so that sums of latencies never drift.
 */

/** A scheduled callback; keep it to cancel the event. */
export interface ScheduledEvent {
  readonly time: number;
  cancel(): void;
}

/** How a {@link Scheduler.runUntil} call ended. */
export type RunOutcome = 'done' | 'idle' | 'deadline';

class Entry<T> implements ScheduledEvent {
  cancelled = false;
  constructor(
    public time: number,
    public seq: number,
    readonly fn: (arg: T) => void,
    readonly arg: T,
    readonly background: boolean,
    private readonly owner: Scheduler,
  ) {}
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.owner.forget(this);
  }
}

/**
 * A binary min-heap of events. Background events (timers such as TIME_WAIT expiry) run
 * when time passes them, but do not by themselves keep {@link Scheduler.run} going:
 * a simulation with only background work left is idle.
 */
export class Scheduler {
  private nowUs = 0;
  private seq = 0;
  private heap: Entry<any>[] = [];
  private foreground = 0;
  private live = 0;
  /** Cancelled entries still in the heap (they leave when they reach the top, or in a compaction). */
  private dead = 0;

  /** Current virtual time in microseconds. */
  get nowMicros(): number {
    return this.nowUs;
  }

  /** Events that keep the simulation busy (not cancelled, not background). */
  get pendingForeground(): number {
    return this.foreground;
  }

  /** A re-armable timer for `fn(arg)`: see {@link Timer}. */
  timer<T>(fn: (arg: T) => void, arg: T): Timer<T> {
    return new Timer(this, fn, arg);
  }

  /** @internal Next insertion number (ties in time run in insertion order). */
  nextSeq(): number {
    return this.seq++;
  }

  /** @internal Counts a timer armed (+1) or disarmed (-1) in the foreground. */
  countForeground(delta: number): void {
    this.foreground += delta;
  }

  /** @internal Puts a timer's wake-up entry on the heap (background: the timer counts itself). */
  wake<T>(entry: Entry<T> | null, time: number, seq: number, fn: (arg: T) => void, arg: T): Entry<T> {
    if (entry === null) entry = new Entry(time, seq, fn, arg, true, this);
    else {
      entry.time = time;
      entry.seq = seq;
      entry.cancelled = false;
    }
    this.live++;
    this.push(entry);
    return entry;
  }

  /** Schedules `fn(arg)` after `delayUs` microseconds (rounded down to whole microseconds, at least 0). */
  schedule<T>(delayUs: number, fn: (arg: T) => void, arg: T, background = false): ScheduledEvent {
    const delay = delayUs > 0 ? Math.floor(delayUs) : 0;
    const entry = new Entry(this.nowUs + delay, this.seq++, fn, arg, background, this);
    if (!background) this.foreground++;
    this.live++;
    this.push(entry);
    return entry;
  }

  /** @internal Called by a cancelled entry: it stays in the heap but no longer counts. */
  forget(entry: Entry<any>): void {
    if (!entry.background) this.foreground--;
    this.live--;
    // Timers re-armed on every ACK leave many cancelled entries far in the future: once they
    // outnumber the live ones, rebuild the heap so its depth follows what is really pending.
    if (++this.dead > 64 && this.dead * 2 > this.heap.length) this.compact();
  }

  private compact(): void {
    const heap = this.heap.filter((e) => !e.cancelled);
    this.heap = heap;
    this.dead = 0;
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** Runs events until no foreground event remains. Returns the number of events run. */
  run(maxEvents = Number.POSITIVE_INFINITY): number {
    let ran = 0;
    while (this.foreground > 0 && ran < maxEvents) {
      if (this.step()) ran++;
    }
    return ran;
  }

  /**
   * Runs events until `done()` holds, the simulation is idle (no foreground event left),
   * or virtual time would pass `deadlineUs` (then time is set to the deadline).
   */
  runUntil(done: () => boolean, deadlineUs = Number.POSITIVE_INFINITY): RunOutcome {
    for (;;) {
      if (done()) return 'done';
      const next = this.peek();
      const bounded = deadlineUs !== Number.POSITIVE_INFINITY;
      if (next === undefined || (!bounded && this.foreground === 0)) {
        if (!bounded) return 'idle';
        this.nowUs = Math.max(this.nowUs, Math.floor(deadlineUs));
        return done() ? 'done' : 'deadline';
      }
      if (next.time > deadlineUs) {
        this.nowUs = Math.max(this.nowUs, Math.floor(deadlineUs));
        return done() ? 'done' : 'deadline';
      }
      this.step();
    }
  }

  /** Runs every event due within the next `us` microseconds, then moves time to exactly now + us. */
  advance(us: number): void {
    const target = this.nowUs + Math.max(0, Math.floor(us));
    for (;;) {
      const next = this.peek();
      if (next === undefined || next.time > target) break;
      this.step();
    }
    this.nowUs = target;
  }

  /** Pops and runs one event; false if it was a cancelled one. */
  private step(): boolean {
    const entry = this.pop();
    if (entry.cancelled) {
      this.dead--;
      return false;
    }
    entry.cancelled = true; // a late cancel() of a run event must not count twice
    if (!entry.background) this.foreground--;
    this.live--;
    if (entry.time > this.nowUs) this.nowUs = entry.time;
    entry.fn(entry.arg);
    return true;
  }

  /** Earliest live event, discarding cancelled ones at the top. */
  private peek(): Entry<any> | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) {
      this.pop();
      this.dead--;
    }
    return this.heap[0];
  }

  private push(entry: Entry<any>): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): Entry<any> {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[start]!;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(heap[r]!, heap[l]!) ? r : l;
      if (!before(heap[child]!, item)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = item;
  }
}

function before(a: Entry<any>, b: Entry<any>): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/**
 * A timer that is armed, re-armed and disarmed far more often than it fires (retransmission,
 * delayed ACK). It keeps at most one entry on the heap: disarming leaves the entry to wake up
 * for nothing, and re-arming for a later time leaves it to wake up early and go back on the heap
 * at the armed time. Its callback runs exactly when a freshly scheduled event would, in the same
 * order among events of the same time (the insertion number is taken when it is armed).
 */
export class Timer<T> {
  /** When the callback is due (-1: disarmed), its insertion number, and whether it keeps the simulation busy. */
  private dueUs = -1;
  private dueSeq = 0;
  private foreground = false;
  /** The entry on the heap, if any (its time is never later than dueUs while armed). */
  private entry: Entry<any> | null = null;
  private queued = false;

  constructor(private readonly scheduler: Scheduler, private readonly fn: (arg: T) => void, private readonly arg: T) {}

  get armed(): boolean {
    return this.dueUs >= 0;
  }

  /** Arms (or re-arms) the timer `delayUs` from now; background timers do not keep {@link Scheduler.run} going. */
  set(delayUs: number, background = false): void {
    const sch = this.scheduler;
    this.disarm();
    this.dueUs = sch.nowMicros + (delayUs > 0 ? Math.floor(delayUs) : 0);
    this.dueSeq = sch.nextSeq();
    this.foreground = !background;
    if (this.foreground) sch.countForeground(1);
    const e = this.entry;
    if (this.queued && e !== null && e.time <= this.dueUs) return; // it wakes early and moves on
    if (this.queued) e!.cancel();
    this.entry = sch.wake(this.queued ? null : e, this.dueUs, this.dueSeq, timerWoke, this);
    this.queued = true;
  }

  /** Disarms the timer; its heap entry, if any, wakes up later for nothing (cheap to re-arm). */
  clear(): void {
    this.disarm();
  }

  /** Disarms the timer and takes its entry off the heap: for a timer that will not be armed again. */
  dispose(): void {
    this.disarm();
    if (this.queued) this.entry!.cancel();
    this.queued = false;
    this.entry = null;
  }

  private disarm(): void {
    if (this.dueUs < 0) return;
    if (this.foreground) this.scheduler.countForeground(-1);
    this.dueUs = -1;
  }

  /** @internal The heap entry came up. */
  woke(): void {
    this.queued = false;
    if (this.dueUs < 0) return;
    const sch = this.scheduler;
    const e = this.entry!;
    if (e.time !== this.dueUs || e.seq !== this.dueSeq) { // woke early (before the armed time, or before its turn in a tie)
      this.entry = sch.wake(e, this.dueUs, this.dueSeq, timerWoke, this);
      this.queued = true;
      return;
    }
    this.disarm();
    this.fn(this.arg);
  }
}

function timerWoke(timer: Timer<any>): void {
  timer.woke();
}
