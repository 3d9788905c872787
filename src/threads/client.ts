/**
 * The WSP* functions for code in a worker thread: each call is carried to the thread that owns
 * the network and this thread sleeps until it is answered, so a blocking call truly blocks here
 * (as ws2_32 callers expect) while the network goes on elsewhere.
 */
import { receiveMessageOnPort } from 'node:worker_threads';
import { PROC_NAMES, type ServiceProvider, type WSPPROC_TABLE } from '../spi/service-provider.js';
import { ANSWERED, IDLE, copyBack, type ProviderChannel, type ToCaller, type ToOwner } from './protocol.js';

type ProcName = (typeof PROC_NAMES)[number];

/** The functions a thread gets: the WSP* functions of the owner's provider, blocking for real. */
export type ThreadProvider = { [K in ProcName]: ServiceProvider[K] } & {
  /** Fills a proc table with these functions (what WSPStartup does for ws2_32). */
  procTable(): WSPPROC_TABLE;
  /** Tells the owner this thread is done (it no longer waits for it). */
  close(): void;
};

export function threadProvider(channel: ProviderChannel): ThreadProvider {
  const { port } = channel;
  const state = new Int32Array(channel.state);
  const send = (m: ToOwner) => port.postMessage(m);

  /** This thread's call is in progress and the owner is running one of our callbacks in it. */
  let inCallback = false;

  const call = (fn: string, args: unknown[]): number => {
    // WSPCancelBlockingCall from a callback (the blocking-hook case: code running on this thread
    // while its blocking call is in progress). The owner calls back only with a result in hand (a
    // condition function decides an accept that then completes), so the call "completed before the
    // cancellation" and succeeds as if never cancelled; the page lets the cancel return 0. Posting
    // a new call here would break the owner's wait for the callback's answer.
    if (fn === 'WSPCancelBlockingCall' && inCallback) return 0;
    const functions: Function[] = [];
    const wire = args.map((a) => {
      if (typeof a !== 'function') return a;
      functions.push(a);
      return { __function: functions.length - 1 };
    });
    Atomics.store(state, 0, IDLE);
    send({ type: 'call', fn, args: wire });
    for (;;) {
      Atomics.wait(state, 0, IDLE);
      const got = receiveMessageOnPort(port);
      if (got === undefined) continue; // woken before the message was queued
      const m = got.message as ToCaller;
      Atomics.store(state, 0, IDLE);
      if (m.type === 'return') {
        args.forEach((a, i) => copyBack(a, m.args[i]));
        return m.ret;
      }
      // The owner is inside the call and needs one of our callbacks (it waits for the answer).
      let value: unknown;
      inCallback = true;
      try {
        value = functions[m.index]!(...m.args);
      } catch (e) {
        value = { __threw: String(e) };
      } finally {
        inCallback = false;
      }
      send({ type: 'callback-return', value, args: m.args });
      Atomics.store(state, 1, ANSWERED);
      Atomics.notify(state, 1);
    }
  };

  const provider = {} as Record<string, unknown>;
  for (const name of PROC_NAMES) provider[name] = (...args: unknown[]) => call(name, args);
  provider.procTable = () => Object.fromEntries(PROC_NAMES.map((n) => [`lp${n}`, provider[n]]));
  provider.close = () => {
    send({ type: 'close' });
    port.close();
  };
  return provider as ThreadProvider;
}
