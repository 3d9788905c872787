/** One call of a worker thread in progress on the owner's side (src/threads/server.ts). */
import type { MessagePort } from 'node:worker_threads';
import type { Socket } from '../provider/socket.js';
import type { ServiceProvider } from '../spi/service-provider.js';

/** The owner's end of one worker's channel. */
export interface ChannelLike {
  readonly port: MessagePort;
  readonly state: Int32Array;
  readonly provider: ServiceProvider;
  /** A number naming the channel within its server (the key of its mirrors' thread ids). */
  readonly serial: number;
  /** The worker's threadId, once its hello came. */
  threadId: number | undefined;
  job: Job | null;
  /** The sockets this worker made (WSPSocket, WSPAccept, WSPJoinLeaf) and has not closed: released when it ends. */
  readonly sockets: Map<number, Socket>;
}

/** One call in progress. `attempt` returns the result once it has one, else undefined (wait). */
export interface Job {
  readonly channel: ChannelLike;
  /** The function called (set when the call came in). */
  fn?: string;
  readonly args: unknown[];
  readonly deadline: number;
  /** A blocking WSP* call another thread may cancel (WSPCancelBlockingCall's WSAEINTR). */
  readonly cancellable?: boolean;
  attempt(): unknown;
  /** The deadline passed: the result to give. */
  expire(): unknown;
  /** Nothing in the (virtual) network can ever end the wait: the result to give (default: WSAEINTR). */
  stalled?(): unknown;
  /**
   * The call is interrupted (stall, cancellation, the server closing): its answer when it has
   * made progress that must not be lost (a blocking send's bytes already queued), else undefined (WSAEINTR).
   */
  partial?(): unknown;
  /** What the call returns when it fails (INVALID_SOCKET for WSPAccept; default SOCKET_ERROR). */
  readonly failValue?: number;
  /** Handed back with the result (ToCaller's `result`). */
  result?: unknown;
  /** The caller went away: undo what the wait registered (a port's waiter). */
  dispose?(): void;
  /** Argument positions not to copy back into the caller's objects (an overlapped call's later outputs). */
  readonly keep?: readonly number[];
}
