/**
 * The owner's side of worker threads' event objects (src/threads/events-client.ts): a mirror
 * WSAEvent per worker event id, handed to the provider in its place. A mirror's change (the
 * provider signaled it, WSPEnumNetworkEvents reset it) goes to the worker with its next answer.
 */
import { WSAEvent } from '../provider/readiness.js';
import type { ChannelLike } from './job.js';
import { isEventRef, type EventRef, type EventState } from './protocol.js';
import { EVENT_ARG } from './events-client.js';

/** One worker event's mirror and the state the worker was last told (or told us). */
interface EventMirror {
  readonly event: WSAEvent;
  known: boolean;
}

export class ThreadEvents {
  private readonly channels = new WeakMap<ChannelLike, Map<number, EventMirror>>();

  private of(channel: ChannelLike): Map<number, EventMirror> {
    let m = this.channels.get(channel);
    if (m === undefined) this.channels.set(channel, (m = new Map()));
    return m;
  }

  /**
   * The mirror of a worker's event, made on first sight. The worker's own state is taken (it may
   * have called WSASetEvent / WSAResetEvent) unless the mirror changed since the worker was last
   * told: then the owner's state is the news, and the worker learns it with this answer.
   */
  mirror(channel: ChannelLike, ref: EventRef): WSAEvent {
    const map = this.of(channel);
    let m = map.get(ref.__event);
    if (m === undefined) map.set(ref.__event, (m = { event: new WSAEvent(), known: false }));
    if (m.event.signaled === m.known) {
      const want = ref.signaled === true;
      if (want) m.event.set();
      else m.event.reset();
      m.known = want;
    }
    return m.event;
  }

  /** A call's arguments with the worker's event references replaced by their mirrors. */
  resolve(channel: ChannelLike, fn: string, args: unknown[]): unknown[] {
    const at = EVENT_ARG[fn];
    if (at === undefined || !isEventRef(args[at])) return args;
    const out = [...args];
    out[at] = this.mirror(channel, args[at] as EventRef);
    return out;
  }

  /** Takes the worker's states of the events it waits for (references; null: not mirrored). */
  sync(channel: ChannelLike, refs: unknown): number[] {
    if (!Array.isArray(refs)) return [];
    const ids: number[] = [];
    for (const r of refs) {
      if (!isEventRef(r)) continue;
      this.mirror(channel, r);
      ids.push(r.__event);
    }
    return ids;
  }

  /** One of these mirrors changed since the worker was told: a wait of its has news. */
  changed(channel: ChannelLike, ids: readonly number[]): boolean {
    const map = this.channels.get(channel);
    if (map === undefined) return false;
    return ids.some((id) => {
      const m = map.get(id);
      return m !== undefined && m.event.signaled !== m.known;
    });
  }

  /** The mirrors' changes to tell the worker now (they are then what it knows). */
  drain(channel: ChannelLike): { events?: EventState[] } {
    const map = this.channels.get(channel);
    if (map === undefined) return {};
    const out: EventState[] = [];
    for (const [id, m] of map) {
      if (m.event.signaled === m.known) continue;
      m.known = m.event.signaled;
      out.push({ id, signaled: m.known });
    }
    return out.length === 0 ? {} : { events: out };
  }
}
