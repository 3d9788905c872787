/**
 * The AcceptEx act of the demonstration (`npm start`): a listener with a small backlog and posted
 * AcceptEx calls meets a burst of clients. Shows the rule of docs/semantics.md, "AcceptEx and the
 * backlog": a posted call takes the next connection straight from the network (it never waits in
 * the queue), each call still waiting adds one place to the backlog, and a call posted while
 * connections are queued takes the oldest at once. Every line comes from real calls.
 */
import { CloseHandle, GetQueuedCompletionStatus } from '../iocp/index.js';
import { WSAID_ACCEPTEX_BYTES, WSAID_GETACCEPTEXSOCKADDRS_BYTES, slotSize, type AcceptExFn, type GetAcceptExSockaddrsFn } from '../extensions/index.js';
import {
  AF_INET, FIONBIO, INVALID_SOCKET, SIO_GET_EXTENSION_FUNCTION_POINTER, SOCK_STREAM, SOL_SOCKET, SO_ERROR, errorName,
} from '../provider/constants.js';
import { decodeSockAddr, type SockAddr } from '../spi/sockaddr.js';
import type { ServiceProvider } from '../spi/service-provider.js';
import type { WSAOVERLAPPED } from '../spi/types.js';
import type { VirtualNetwork } from '../virtual/virtual-network.js';

/** What became of one client of the burst. */
export interface AcceptExOutcome {
  client: string;
  port: number;
  fate: 'AcceptEx' | 'queued' | 'refused';
}

const BACKLOG = 2;
const POSTED = 2;
const BURST = 7;
const SERVER: SockAddr = { family: AF_INET, address: '10.0.0.2', port: 80 };

/** Runs the act on `net` (hosts 10.0.0.2 and 10.0.0.31…), writing through `say`. */
export function runAcceptExAct(net: VirtualNetwork, say: (who: string, text: string) => void): AcceptExOutcome[] {
  const p = net.addHost({ name: 'server2', addresses: [SERVER.address] }).provider;
  const e = { value: 0 };
  const hex = (s: number) => `0x${s.toString(16)}`;
  const fn = <T>(s: number, guid: Uint8Array): T => {
    const out = { value: null as unknown };
    p.WSPIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, guid, 16, out as never, 4, { value: 0 }, null, null, null, e);
    return out.value as T;
  };

  const ls = p.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 0, e);
  p.WSPBind(ls, SERVER, 16, e);
  p.WSPListen(ls, BACKLOG, e);
  say('server2', `WSPListen(backlog ${BACKLOG}) on ${SERVER.address}:${SERVER.port} -> 0`);
  const port = p.CreateIoCompletionPort(ls, null, 'listener', 0, e)!;
  say('server2', 'CreateIoCompletionPort(listener) -> a completion port');
  const acceptEx = fn<AcceptExFn>(ls, WSAID_ACCEPTEX_BYTES);
  const sockaddrs = fn<GetAcceptExSockaddrsFn>(ls, WSAID_GETACCEPTEXSOCKADDRS_BYTES);
  const slot = slotSize(AF_INET);

  const posted = new Map<WSAOVERLAPPED, { socket: number; buf: Uint8Array }>();
  const post = (): void => {
    const a = p.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 0, e);
    const ov: WSAOVERLAPPED = { Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: null };
    const buf = new Uint8Array(2 * slot);
    posted.set(ov, { socket: a, buf });
    const r = acceptEx(ls, a, buf, 0, slot, slot, { value: 0 }, ov, e);
    say('server2', `AcceptEx(accept socket ${hex(a)}) -> ${r === 0 ? 'FALSE' : 'TRUE'}, ${errorName(e.value) ?? e.value}`);
  };
  const peerOf = (buf: Uint8Array): SockAddr | undefined => {
    const remote = { value: null as Uint8Array | null };
    sockaddrs(buf, 0, slot, slot, null, null, remote, { value: 0 });
    return remote.value === null ? undefined : decodeSockAddr(remote.value);
  };

  for (let i = 0; i < POSTED; i++) post();
  const q = () => p.inspect(ls)!.listen!;

  const clients: { name: string; p: ServiceProvider; s: number; address: string; port: number; fate: AcceptExOutcome['fate'] | null }[] = [];
  for (let i = 1; i <= BURST; i++) {
    const name = `burst${i}`;
    const address = `10.0.0.${30 + i}`;
    const cp = net.addHost({ name, addresses: [address] }).provider;
    const s = cp.WSPSocket(AF_INET, SOCK_STREAM, 0, null, 0, 0, e);
    cp.WSPIoctl(s, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e);
    cp.WSPConnect(s, SERVER, 16, null, null, null, null, e);
    const me = { family: 0, address: '', port: 0 };
    cp.WSPGetSockName(s, me, { value: 16 }, { value: 0 });
    clients.push({ name, p: cp, s, address, port: me.port, fate: null });
  }
  say('clients', `${BURST} clients (burst1..burst${BURST}) call WSPConnect at once`);
  net.run();

  const byPeer = (addr: SockAddr | undefined) => clients.find((c) => addr !== undefined && c.address === addr.address && c.port === addr.port);
  const takeCompletions = (): void => {
    const bytes = { value: 0 };
    const key = { value: null as unknown };
    const got = { value: null as WSAOVERLAPPED | null };
    while (GetQueuedCompletionStatus(port, bytes, key, got, 0, e) !== 0 || got.value !== null) {
      const req = posted.get(got.value!)!;
      posted.delete(got.value!);
      const who = byPeer(peerOf(req.buf));
      if (who !== undefined) who.fate = 'AcceptEx';
      say('server2', `GetQueuedCompletionStatus -> TRUE, key '${String(key.value)}': the AcceptEx into ${hex(req.socket)} took ${who?.name ?? '?'}`);
    }
  };
  takeCompletions();
  for (const c of clients) {
    if (c.fate !== null) continue;
    const v = new Uint8Array(4);
    c.p.WSPGetSockOpt(c.s, SOL_SOCKET, SO_ERROR, v, { value: 4 }, e);
    if (v[0] !== 0 || v[1] !== 0) {
      c.fate = 'refused';
      say(c.name, `connect failed: ${errorName(new DataView(v.buffer).getInt32(0, true))}`);
    }
  }
  say('server2', `queue: ${q().queueLength} of backlog ${q().backlog}; refused because full: ${q().stats.refusedFull}`);
  say('server2', `the ${POSTED} posted calls took the first connections straight from the network, before the backlog:`);
  say('server2', `those never waited in the queue, so its ${BACKLOG} places still held the next ${BACKLOG}; ${POSTED} + ${BACKLOG} got in, the rest were refused`);

  say('server2', 'a call posted while connections wait in the queue takes the oldest of them at once:');
  post();
  takeCompletions();
  p.WSPIoctl(ls, FIONBIO, new Uint8Array([1, 0, 0, 0]), 4, null, 0, { value: 0 }, null, null, null, e);
  for (;;) {
    const addr = { family: 0, address: '', port: 0 };
    const a = p.WSPAccept(ls, addr, { value: 16 }, null, 0, e);
    if (a === INVALID_SOCKET) {
      say('server2', `WSPAccept -> INVALID_SOCKET, ${errorName(e.value)} (the queue is empty)`);
      break;
    }
    const who = byPeer(addr);
    if (who !== undefined) who.fate = 'queued';
    say('server2', `WSPAccept -> socket ${hex(a)}, ${who?.name ?? '?'} (it had waited in the queue)`);
  }
  CloseHandle(port);
  const outcomes = clients.map((c) => ({ client: c.name, port: c.port, fate: c.fate ?? 'queued' }));
  say('server2', `fates: ${outcomes.map((o) => `${o.client} ${o.fate}`).join(', ')}`);
  return outcomes satisfies AcceptExOutcome[];
}
