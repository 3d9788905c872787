/**
 * Completion routines: how they reach the thread that started the operation. A provider queues
 * them with ws2_32's `WPUQueueApc` upcall, to the thread its WSATHREADID names, and Windows runs
 * them only while that thread waits alertably (SleepEx, WaitForMultipleObjectsEx with bAlertable;
 * Wine's test_WSARecv). A program that calls the provider directly has no ws2_32: it gets the
 * default here, one queue per thread id, run by {@link ApcQueues.alertableWait}.
 */
import { WAIT_IO_COMPLETION, WSA_INFINITE } from './constants.js';
import type { Transport } from './transport.js';
import type { WSATHREADID, WSAOVERLAPPED, WSAOVERLAPPED_COMPLETION_ROUTINE, WSPUPCALLTABLE } from '../spi/types.js';

/** What SleepEx returns when its time ran out (no routine ran). */
export const WAIT_TIMEOUT_ELAPSED = 0;

interface Apc {
  readonly routine: WSAOVERLAPPED_COMPLETION_ROUTINE;
  readonly dwError: number;
  readonly cbTransferred: number;
  readonly lpOverlapped: WSAOVERLAPPED;
  readonly dwFlags: number;
  /** The default queue it sits in (null: handed to WPUQueueApc). */
  readonly thread: unknown;
}

/**
 * The thread a WSATHREADID names, as a key: its ThreadHandle. A plain program may pass null for
 * lpThreadId; its routines go to the queue of `null`, which `alertableWait()` without a thread
 * id runs.
 */
export function threadKey(id: WSATHREADID | null | undefined): unknown {
  return id === null || id === undefined ? null : id.ThreadHandle ?? null;
}

export class ApcQueues {
  private nextContext = 1;
  /** Queued routines by context (WPUQueueApc's dwContext), until they run. */
  private readonly byContext = new Map<number, Apc>();
  /** The default queues: thread key → contexts, in queuing order. */
  private readonly threads = new Map<unknown, number[]>();
  /** Resolvers of {@link alertableWaitAsync} callers, woken when a routine is queued. */
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly upcalls: () => WSPUPCALLTABLE | null,
    private readonly transport: Transport,
    private readonly runCallback: <T>(fn: () => T) => T,
  ) {}

  /**
   * The APC function the provider hands WPUQueueApc (an `LPWSAUSERAPC`): runs the completion
   * routine queued under `dwContext`, once. ws2_32 calls it from the initiating thread's
   * alertable wait.
   */
  readonly runApc = (dwContext: number): void => {
    const apc = this.byContext.get(dwContext);
    if (apc === undefined) return;
    this.byContext.delete(dwContext);
    apc.routine(apc.dwError, apc.cbTransferred, apc.lpOverlapped, apc.dwFlags);
  };

  /**
   * Queues a completion routine for the thread `threadId` names (a copy of the caller's
   * WSATHREADID, taken at the call): through WPUQueueApc when ws2_32 gave one and it accepts, else
   * to the default queue of that thread.
   */
  queue(threadId: WSATHREADID | null, routine: WSAOVERLAPPED_COMPLETION_ROUTINE, dwError: number, cbTransferred: number,
    lpOverlapped: WSAOVERLAPPED, dwFlags: number): void {
    const context = this.nextContext++;
    const upcall = this.upcalls()?.lpWPUQueueApc;
    if (typeof upcall === 'function' && threadId !== null) {
      this.byContext.set(context, { routine, dwError, cbTransferred, lpOverlapped, dwFlags, thread: null });
      let ok = false;
      try {
        // The upcall is ws2_32's (or the caller's) code: calls it makes back into the provider
        // meet WSAEINPROGRESS, as WPUPostMessage's do.
        ok = this.runCallback(() => upcall(threadId, this.runApc, context, { value: 0 })) === 0;
      } catch {
        ok = false;
      }
      if (ok) return;
      // An upcall that refused (or threw) would lose the completion: the default queue keeps it.
      this.byContext.delete(context);
    }
    const thread = threadKey(threadId);
    this.byContext.set(context, { routine, dwError, cbTransferred, lpOverlapped, dwFlags, thread });
    let list = this.threads.get(thread);
    if (list === undefined) {
      list = [];
      this.threads.set(thread, list);
    }
    list.push(context);
    for (const wake of [...this.wakers]) wake();
  }

  /** Routines waiting in the default queue of `thread`. */
  queued(thread: unknown): number {
    return this.threads.get(thread)?.length ?? 0;
  }

  /**
   * Runs every routine queued for `thread` (including those queued by the routines themselves),
   * oldest first. A routine that throws stops the run; the rest stay queued for the next wait.
   */
  private runQueued(thread: unknown): boolean {
    const list = this.threads.get(thread);
    if (list === undefined || list.length === 0) return false;
    while (list.length > 0) {
      const context = list.shift()!;
      if (list.length === 0) this.threads.delete(thread);
      this.runApc(context);
    }
    return true;
  }

  /**
   * SleepEx(timeoutMs, TRUE) for the default queues: runs the routines queued for `thread` and
   * returns WAIT_IO_COMPLETION, or waits until one is queued or `timeoutMs` passes (0: does not
   * wait; null or WSA_INFINITE: no limit). The wait runs the network as blocking calls do: the
   * simulation on the virtual network (virtual time); on the host network the caller's thread
   * runs Node's event loop and cannot wait, so it returns at once (see
   * {@link alertableWaitAsync}). Returns 0 when no routine ran.
   */
  alertableWait(timeoutMs: number | null, thread: unknown): number {
    if (this.runQueued(thread)) return WAIT_IO_COMPLETION;
    if (timeoutMs === 0) return WAIT_TIMEOUT_ELAPSED;
    const forever = timeoutMs === null || timeoutMs === WSA_INFINITE || !(timeoutMs > 0);
    this.transport.block(() => this.queued(thread) > 0, forever ? undefined : timeoutMs);
    return this.runQueued(thread) ? WAIT_IO_COMPLETION : WAIT_TIMEOUT_ELAPSED;
  }

  /**
   * The same wait for a thread that runs an event loop (the host network's): resolves once a
   * routine was queued and run (WAIT_IO_COMPLETION) or after `timeoutMs` of real time (0).
   * On the virtual network it is {@link alertableWait}.
   */
  async alertableWaitAsync(timeoutMs: number | null, thread: unknown): Promise<number> {
    if (!this.cannotBlock()) return this.alertableWait(timeoutMs, thread);
    if (this.runQueued(thread)) return WAIT_IO_COMPLETION;
    if (timeoutMs === 0) return WAIT_TIMEOUT_ELAPSED;
    const forever = timeoutMs === null || timeoutMs === WSA_INFINITE || !(timeoutMs > 0);
    await new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        this.wakers.delete(wake);
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      // Routines queued for other threads do not end this thread's wait.
      const wake = (): void => {
        if (this.queued(thread) > 0) done();
      };
      this.wakers.add(wake);
      if (!forever) timer = setTimeout(done, timeoutMs);
    });
    return this.runQueued(thread) ? WAIT_IO_COMPLETION : WAIT_TIMEOUT_ELAPSED;
  }

  /** True on a network whose blocking waits cannot wait (the host network's owner thread). */
  private cannotBlock(): boolean {
    return this.transport.block(() => false, 0) === 'unsupported';
  }
}
