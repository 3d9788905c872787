/**
 * A snapshot of everything a failed WSP* call must leave alone (issue 13: "a failing call changes
 * nothing"): descriptors in use, budget bytes, ports, live handles, every socket's inspect(),
 * queue lengths, bytes readable (FIONREAD and the buffers behind it), SO_ERROR, the recorded
 * network events and the TCP connections of the host. Internal fields are read defensively
 * (`?.`), so a renamed field reads as `undefined` on both sides of a comparison instead of
 * breaking the build.
 */
import assert from 'node:assert/strict';
import {
  FIONREAD, SOL_SOCKET, SO_ERROR, type ServiceProvider, type VirtualHost,
} from '../src/index.js';

/** Loose view of an internal object. */
type Loose = Record<string, any>;

/** What a socket looks like from outside, and the buffers behind FIONREAD. */
export interface SocketSnapshot {
  readonly handle: number;
  /** provider.inspect(s) (JSON, so it compares by value). */
  readonly info: string;
  /** WSPIoctl(FIONREAD): its return and the count it wrote. */
  readonly fionread: readonly [number, number];
  /** WSPGetSockOpt(SO_ERROR): its return and the value it wrote. */
  readonly soError: readonly [number, number];
  /** Internal buffers and flags: stream bytes, datagrams, send queue, reset/closed flags, options. */
  readonly internals: string;
  /** The WSPEventSelect/WSPAsyncSelect record (selected, recorded, per-event errors), or null. */
  readonly events: { selected: number; recorded: number; errors: readonly number[]; signaled: boolean } | null;
}

export interface ProviderSnapshot {
  readonly descriptorsInUse: number;
  readonly bytesInUse: number;
  readonly portsHeld: number;
  /** TCP connections of the host (TIME_WAIT included), when a host is given. */
  readonly tcbs: number | undefined;
  readonly sockets: readonly SocketSnapshot[];
}

function intOut(fn: (buf: Uint8Array) => number): [number, number] {
  const buf = new Uint8Array(4);
  const ret = fn(buf);
  return [ret, new DataView(buf.buffer).getInt32(0, true)];
}

function socketSnapshot(p: ServiceProvider, s: number): SocketSnapshot {
  const sock = p.core.lookup(s) as unknown as Loose | undefined;
  const fionread = intOut((buf) => p.WSPIoctl(s, FIONREAD, null, 0, buf, 4, { value: 0 }, null, null, null, { value: 0 }));
  const soError = intOut((buf) => p.WSPGetSockOpt(s, SOL_SOCKET, SO_ERROR, buf, { value: 4 }, { value: 0 }));
  const conn = sock?.conn as Loose | null | undefined;
  const internals = {
    inbox: sock?.inbox?.length,
    datagrams: (sock?.datagrams?.length ?? 0) - (sock?.datagramHead ?? 0),
    datagramBytes: sock?.datagramBytes,
    pendingUnreachable: sock?.pendingUnreachable,
    reportUnreachable: sock?.reportUnreachable,
    reset: sock?.reset,
    peerClosed: sock?.peerClosed,
    sendShutdown: sock?.sendShutdown,
    receiveShutdown: sock?.receiveShutdown,
    sendCharged: sock?.sendCharged,
    connected: conn !== null && conn !== undefined,
    buffered: conn?.bufferedBytes,
    connectResult: sock?.connectResult,
    options: sock?.options,
    nonBlocking: sock?.nonBlocking,
    queue: sock?.queue === null || sock?.queue === undefined
      ? null
      : [...(sock.queue.entries as Map<unknown, Loose>).values()].map((entry) => `${entry.state}:${entry.received?.length}`),
  };
  const n = sock?.notify as Loose | null | undefined;
  return {
    handle: s,
    info: JSON.stringify(p.inspect(s) ?? null),
    fionread,
    soError,
    internals: JSON.stringify(internals),
    events: n === null || n === undefined
      ? null
      : { selected: n.selected, recorded: n.recorded, errors: [...(n.errors ?? [])], signaled: n.event?.signaled === true },
  };
}

/** Everything a failed call on `p` must not change. Pass the host to include its TCP connections. */
export function snapshot(p: ServiceProvider, host?: VirtualHost): ProviderSnapshot {
  return {
    descriptorsInUse: p.core.descriptorsInUse,
    bytesInUse: p.core.bytesInUse,
    portsHeld: p.core.portsHeld,
    tcbs: host?.net.tcp.connectionCount,
    sockets: p.core.handles().map((s) => socketSnapshot(p, s)),
  };
}

/** Snapshots of several hosts (a failed call must not change a peer either). */
export function snapshotHosts(hosts: readonly VirtualHost[]): ProviderSnapshot[] {
  return hosts.map((h) => snapshot(h.provider, h));
}

/**
 * The re-enabling rule of WSPEventSelect: a call to an event's re-enabling function, "even one
 * that fails", lets the event be recorded again. `allow` names, per handle, the FD_* bits a
 * failed call may so record again (its own event on its own socket); nothing else may differ.
 */
export type Reenabled = ReadonlyMap<number, number>;

function withoutReenabled(s: ProviderSnapshot, before: ProviderSnapshot | undefined, allow: Reenabled | undefined): ProviderSnapshot {
  if (allow === undefined || allow.size === 0 || before === undefined) return s;
  return {
    ...s,
    sockets: s.sockets.map((sock) => {
      const bits = allow.get(sock.handle);
      const was = before.sockets.find((b) => b.handle === sock.handle)?.events;
      if (bits === undefined || sock.events === null || was === null || was === undefined) return sock;
      // Bits re-recorded: take the earlier value of those bits, their error codes and the signal.
      const recorded = (sock.events.recorded & ~bits) | (was.recorded & bits);
      const errors = sock.events.errors.map((e, i) => ((bits & (1 << i)) !== 0 ? was.errors[i]! : e));
      const signaled = (sock.events.recorded & ~was.recorded & bits) !== 0 ? was.signaled : sock.events.signaled;
      return { ...sock, events: { ...sock.events, recorded, errors, signaled } };
    }),
  };
}

/**
 * Asserts that nothing in `after` differs from `before` (except re-enabled events in `allow`, on
 * host `allowHost` only when it is given).
 */
export function assertUnchanged(
  before: ProviderSnapshot | readonly ProviderSnapshot[], after: ProviderSnapshot | readonly ProviderSnapshot[], message: string,
  allow?: Reenabled, allowHost?: number,
): void {
  const b = Array.isArray(before) ? (before as ProviderSnapshot[]) : [before as ProviderSnapshot];
  const a = Array.isArray(after) ? (after as ProviderSnapshot[]) : [after as ProviderSnapshot];
  assert.equal(a.length, b.length, message);
  for (let i = 0; i < a.length; i++) {
    const applies = allowHost === undefined || allowHost === i;
    assert.deepEqual(withoutReenabled(a[i]!, b[i], applies ? allow : undefined), b[i], `${message} (host ${i})`);
  }
}

/**
 * Descriptor accounting: every live handle and every queued connection holds one descriptor,
 * and the count is never negative.
 */
export function checkAccounting(p: ServiceProvider, message = 'descriptor accounting'): void {
  const inUse = p.core.descriptorsInUse;
  assert.ok(inUse >= 0, `${message}: descriptorsInUse is ${inUse}`);
  let queued = 0;
  // Per socket, not per descriptor: a duplicated listener (WSPDuplicateSocket) has two handles and one queue.
  for (const s of new Set(p.core.handles().map((h) => p.inspect(h)?.handle ?? h))) queued += p.inspect(s)?.listen?.queueLength ?? 0;
  assert.equal(inUse, p.core.handles().length + queued, `${message}: descriptorsInUse = live handles + queued connections`);
}

/** A handle a WSP call returned is a live socket of that provider (never a destroyed one). */
export function assertLive(p: ServiceProvider, handle: number, message: string): void {
  const info = p.inspect(handle);
  assert.ok(info !== undefined && info.phase !== 'closed', `${message}: handle ${handle} is not a live socket`);
}
