// The JavaScript spelling of `hEvent | 1`: an OVERLAPPED's event marked "do not queue this completion to the socket's port".
import { WSAEvent } from '../provider/readiness.js';

const MADE = new WeakSet<object>();

/**
 * On Windows a program sets the low bit of `OVERLAPPED.hEvent` to keep an operation's completion
 * off the completion port of its handle; the event (the handle without the bit) is still
 * signaled (Wine's test_connect_completion_port and test_shutdown_completion_port, fact 61).
 * A JavaScript object has no low bit, so the mark is this object, made by
 * {@link noPortNotification}: put `noPortNotification(event)` in `hEvent` (or
 * `noPortNotification(null)`, C's `(HANDLE)1`). It is a {@link WSAEvent} whose state is the
 * wrapped event's (reading or setting `signaled` reads or sets that event), so `hEvent` keeps
 * its type; the provider signals the wrapped event itself.
 */
export class NoPortNotification extends WSAEvent {
  /** The event the completion signals (null: none). */
  readonly event: WSAEvent | null;

  private constructor(event: WSAEvent | null) {
    super();
    this.event = event;
    // A view of the wrapped event, so code that reads ov.hEvent.signaled sees the real state.
    Object.defineProperty(this, 'signaled', {
      get: (): boolean => event?.signaled ?? false,
      set: (on: boolean): void => {
        if (event === null) return;
        if (on) WSAEvent.prototype.set.call(event);
        else WSAEvent.prototype.reset.call(event);
      },
    });
    Object.freeze(this);
  }

  /** Brand check: made by {@link noPortNotification}, whatever the object's prototype claims. */
  static override is(x: unknown): x is NoPortNotification {
    return typeof x === 'object' && x !== null && MADE.has(x);
  }

  /** @internal */
  static make(event: WSAEvent | null): NoPortNotification {
    const mark = new NoPortNotification(event);
    MADE.add(mark);
    return mark;
  }
}

/**
 * `hEvent | 1`: the value to put in `WSAOVERLAPPED.hEvent` so that the operation's completion is
 * not queued to the completion port the socket is associated with, while `event` (if any) is
 * still signaled (and reset when the call pends). Returns undefined for anything that is not a
 * {@link WSAEvent} or null.
 */
export function noPortNotification(event: WSAEvent | null): NoPortNotification | undefined {
  if (event !== null && (!WSAEvent.is(event) || NoPortNotification.is(event))) return undefined;
  return NoPortNotification.make(event);
}
