/**
 * The worker's side of event objects across threads (docs/embedding.md, "Events and waits"). A
 * WSAEvent cannot travel: each one the worker names in WSPEventSelect or WSPEnumNetworkEvents
 * gets an id and the owner keeps a mirror event for it (src/threads/events-server.ts). The
 * mirror's changes come back with the answer to any call of this thread, as the overlapped
 * notices do, and are written into the worker's own event then.
 */
import { WSAEvent } from '../provider/readiness.js';
import { probe } from '../spi/funnel.js';
import type { EventRef, EventState } from './protocol.js';

/** The functions whose argument 1 is an event object. */
export const EVENT_ARG: Readonly<Record<string, number>> = { WSPEventSelect: 1, WSPEnumNetworkEvents: 1 };

export class WorkerEvents {
  private readonly ids = new WeakMap<WSAEvent, number>();
  /** Events the owner mirrors (kept: a selection may signal them as long as the socket lives). */
  private readonly byId = new Map<number, WSAEvent>();
  private nextId = 1;

  /** An event object as it travels (anything else travels as it is, and the provider refuses it). */
  ref(x: unknown): unknown {
    if (!WSAEvent.is(x) || !probe(x, 'signaled')) return x;
    let id = this.ids.get(x);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(x, id);
      this.byId.set(id, x);
    }
    const r: EventRef = { __event: id, signaled: x.signaled === true };
    return r;
  }

  /** The event-object arguments of `fn` replaced by their references. */
  wire(fn: string, args: unknown[]): unknown[] {
    const at = EVENT_ARG[fn];
    if (at === undefined || args[at] === null || args[at] === undefined) return args;
    const out = [...args];
    out[at] = this.ref(args[at]);
    return out;
  }

  /** References of the events of `events` the owner mirrors (null for the others). */
  refsFor(events: readonly WSAEvent[]): (EventRef | null)[] {
    return events.map((e) => (this.ids.has(e) ? this.ref(e) as EventRef : null));
  }

  /** The mirrors' new states, written into this thread's events. */
  apply(states: readonly EventState[] | undefined): void {
    for (const s of states ?? []) {
      const e = this.byId.get(s.id);
      if (e === undefined) continue;
      try {
        if (s.signaled) WSAEvent.prototype.set.call(e);
        else WSAEvent.prototype.reset.call(e);
      } catch {
        // the program broke its own event object
      }
    }
  }
}
