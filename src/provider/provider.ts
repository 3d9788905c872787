/**
 * The provider's operations: the Winsock rules for creating, binding, listening, accepting,
 * connecting and closing, over any {@link Transport}. Results are numbers: a value >= 0 is
 * success, a negative value is the negated WSA error code. The SPI layer turns that into
 * C-style returns with lpErrno, so errors leave through one place.
 */
import {
  AF_INET, AF_INET6, AF_UNSPEC, CF_ACCEPT, CF_DEFER, CF_REJECT, IPPROTO_TCP, IPPROTO_UDP, SOCK_DGRAM, SOCK_RAW,
  SOCK_STREAM, WSAEADDRINUSE, WSAEADDRNOTAVAIL, WSAEAFNOSUPPORT, WSAEALREADY, WSAECONNABORTED,
  WSAECONNREFUSED, WSAECONNRESET, WSAEHOSTUNREACH, WSAEINPROGRESS, WSAEINTR, WSAEINVAL, WSAEISCONN,
  WSAEFAULT, WSAEMFILE, WSAENETDOWN, WSAENOPROTOOPT, WSAENETUNREACH, WSAENOBUFS, WSAENOTCONN, WSAENOTSOCK, WSAEOPNOTSUPP,
  WSAEPROTONOSUPPORT, WSAESOCKTNOSUPPORT, WSAETIMEDOUT, WSAEWOULDBLOCK, WSATRY_AGAIN,
  WSA_FLAG_ACCESS_SYSTEM_SECURITY, WSA_FLAG_NO_HANDLE_INHERIT, WSA_FLAG_OVERLAPPED, FD_ACCEPT, FD_CONNECT,
  WSAENETRESET,
} from './constants.js';
import { abortConnection, datagramReceiver, oobInlineChanged } from './data.js';
import { ListenQueue, type ListenStats, type PendingConnection, type PendingState, type QueueOwner } from './listen-queue.js';
import { applyKeepAliveTiming, findOption, inheritOptions, type OptionValue } from './options.js';
import { PortTable } from './ports.js';
import { evaluate, newSelection, reenable } from './readiness.js';
import { Socket, type Endpoint, type SocketPhase } from './socket.js';
import { addressFor, v4Mapped, type IpVersion, type ListenHandle, type ListenOptions, type StreamConnection, type StreamEvents, type StreamFailReason, type Transport } from './transport.js';

/** Per-host limits. */
export interface ProviderLimits {
  /** Descriptors a host may have open, queued connections included. */
  maxSockets: number;
  /** What SOMAXCONN means, and the ceiling for any backlog. */
  maxBacklog: number;
  /** Bytes of provider memory (sockets, listen slots, later buffers); WSAENOBUFS past it. */
  bufferBudget: number;
  /**
   * A SYN to a full listen queue: 'reset' answers RST, Windows' behaviour (the client gets
   * WSAECONNREFUSED at once); 'drop' ignores it, Linux's (the client retransmits its SYN).
   */
  fullQueue?: 'reset' | 'drop';
}

/** Defaults no ordinary program meets. */
export const DEFAULT_LIMITS: ProviderLimits = {
  maxSockets: 65536,
  maxBacklog: 200,
  bufferBudget: 256 * 1024 * 1024,
};

/** Memory one descriptor charges against the budget (the socket's control block). */
export const SOCKET_COST_BYTES = 512;
/** Memory one listen-queue slot charges (a pre-allocated connection object, as AFD keeps). */
export const BACKLOG_SLOT_COST_BYTES = 256;

/** A condition function's decision as the core sees it: CF_* or a negated error code. */
export type AcceptDecider = (entry: PendingConnection, listener: Socket) => number;

/** Non-standard view of a socket for tests and tools (Winsock has no way to read the backlog). */
export interface SocketInfo {
  readonly handle: number;
  readonly af: number;
  readonly type: number;
  readonly protocol: number;
  readonly phase: Socket['phase'];
  readonly nonBlocking: boolean;
  readonly local: Endpoint | null;
  readonly remote: Endpoint | null;
  readonly listen: null | {
    readonly backlog: number;
    readonly queueLength: number;
    readonly ready: number;
    readonly handshaking: number;
    readonly held: number;
    readonly suspended: boolean;
    readonly stats: Readonly<ListenStats>;
  };
}

/**
 * Backlog rule: the nearest legal value. Non-numbers and NaN → 1; fractions truncate
 * toward zero (what C's conversion to int does); below 1 → 1; at or above the maximum
 * (SOMAXCONN, Infinity) → the maximum.
 */
export function normalizeBacklog(requested: unknown, max: number): number {
  if (typeof requested !== 'number' || Number.isNaN(requested)) return 1;
  if (requested >= max) return max;
  const n = Math.trunc(requested);
  return n < 1 ? 1 : n;
}

/** Maps a network failure to the error Winsock reports for it. */
export function failCode(reason: StreamFailReason): number {
  if (typeof reason === 'number') return reason;
  switch (reason) {
    case 'refused': return WSAECONNREFUSED;
    case 'reset': return WSAECONNRESET;
    case 'timed-out': return WSAETIMEDOUT;
    case 'host-unreachable': return WSAEHOSTUNREACH;
    case 'net-unreachable': return WSAENETUNREACH;
    case 'keepalive': return WSAENETRESET;
  }
}

const VALID_SOCKET_FLAGS = WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT | WSA_FLAG_ACCESS_SYSTEM_SECURITY;

export class ProviderCore implements QueueOwner {
  private readonly sockets = new Map<number, Socket>();
  /** Every descriptor of a socket WSPDuplicateSocket gave more than one (src/spi/duplicate.ts). */
  private readonly descriptorSets = new Map<Socket, Set<number>>();
  /** Handles look like Windows ones (multiples of 4) and are not reused soon, so a stale handle reads as WSAENOTSOCK. */
  private nextHandle = 0x100;
  private descriptors = 0;
  private budgetUsed = 0;
  private callbackDepth = 0;
  private readonly tcp4 = new PortTable('0.0.0.0');
  private readonly tcp6 = new PortTable('::');
  private readonly udp4 = new PortTable('0.0.0.0');
  private readonly udp6 = new PortTable('::');
  /**
   * Sockets inside a blocking WSPConnect: its failure is the call's result and is not left in
   * SO_ERROR (Wine's test_select: after a synchronous failure, SO_ERROR reads 0 on Windows).
   */
  readonly blockingConnects = new WeakSet<Socket>();
  /** Listeners sharing one exact address and port, and the network listener they share. */
  private readonly listenGroups = new Map<string, { members: ListenQueue[]; handle: ListenHandle }>();
  /** Observers told when a socket's state changes (readiness, tools). */
  readonly watchers = new Set<(s: Socket) => void>();
  /** @internal Accept sockets of posted AcceptEx calls: WSPConnect on them is WSAEINVAL (src/extensions/accept-ex.ts). */
  readonly acceptTargets = new WeakSet<Socket>();
  /**
   * @internal Sockets AcceptEx connected whose SO_UPDATE_ACCEPT_CONTEXT has not been set yet:
   * until then getsockname and getpeername answer as for an unconnected socket, as on Windows.
   */
  readonly acceptContextPending = new WeakSet<Socket>();
  /**
   * @internal Sockets ConnectEx is connecting, or connected, whose SO_UPDATE_CONNECT_CONTEXT has
   * not been set yet (src/extensions/connect-ex.ts): WSPConnect on them is WSAEINVAL, and while
   * connecting they have no peer yet (Wine's test_connect, test_connecting_socket).
   */
  readonly connectContextPending = new WeakSet<Socket>();

  constructor(readonly transport: Transport, readonly limits: ProviderLimits) {}

  /** @internal QueueOwner: what a full queue does with a SYN. */
  get fullQueue(): 'reset' | 'drop' {
    return this.limits.fullQueue ?? 'reset';
  }

  /** Open descriptors, including those reserved by queued connections. */
  get descriptorsInUse(): number {
    return this.descriptors;
  }

  /** Budget bytes in use. */
  get bytesInUse(): number {
    return this.budgetUsed;
  }

  /** Ports held in all four port tables (TCP/UDP over IPv4/IPv6). */
  get portsHeld(): number {
    return this.tcp4.portsHeld + this.tcp6.portsHeld + this.udp4.portsHeld + this.udp6.portsHeld;
  }

  /** The socket behind a handle, if the handle is live. */
  lookup(s: unknown): Socket | undefined {
    return typeof s === 'number' ? this.sockets.get(s) : undefined;
  }

  /** Live handles in creation order. */
  handles(): number[] {
    return [...this.sockets.keys()];
  }

  nowMs(): number {
    return this.transport.nowMs();
  }

  // ---- callbacks and common checks -------------------------------------------------

  /** Runs a client callback; state-changing calls made inside it fail with WSAEINPROGRESS. */
  runCallback<T>(fn: () => T): T {
    this.callbackDepth++;
    try {
      return fn();
    } finally {
      this.callbackDepth--;
    }
  }

  get inCallback(): boolean {
    return this.callbackDepth > 0;
  }

  /**
   * @internal The checks every call on a socket makes first: descriptor, then (unless the
   * call only reads state) callback in progress, then network down.
   */
  enter(s: unknown, readOnly = false): Socket | number {
    const sock = this.lookup(s);
    if (sock === undefined) return -WSAENOTSOCK;
    if (!readOnly && this.callbackDepth > 0) return -WSAEINPROGRESS;
    if (this.transport.isNetworkDown()) return -WSAENETDOWN;
    return sock;
  }

  /** @internal The same checks for a call not tied to one socket (WSPSelect): 0 or a negated error. */
  enterGlobal(): number {
    if (this.callbackDepth > 0) return -WSAEINPROGRESS;
    if (this.transport.isNetworkDown()) return -WSAENETDOWN;
    return 0;
  }

  private peek(s: unknown): Socket | number {
    return this.enter(s, true);
  }

  /** @internal Budget bytes still free. */
  budgetFree(): number {
    return Math.max(0, this.limits.bufferBudget - this.budgetUsed);
  }

  /** @internal Charges buffered data to the budget (the caller checked {@link budgetFree} where it could refuse). */
  charge(bytes: number): void {
    this.budgetUsed += bytes;
  }

  /** @internal */
  refund(bytes: number): void {
    this.budgetUsed -= bytes;
  }

  // ---- descriptors and memory ---------------------------------------------------------

  private reserve(): number {
    if (this.descriptors >= this.limits.maxSockets) return WSAEMFILE;
    if (this.budgetUsed + SOCKET_COST_BYTES > this.limits.bufferBudget) return WSAENOBUFS;
    this.descriptors++;
    this.budgetUsed += SOCKET_COST_BYTES;
    return 0;
  }

  reserveDescriptor(): boolean {
    return this.reserve() === 0;
  }

  releaseDescriptor(): void {
    this.descriptors--;
    this.budgetUsed -= SOCKET_COST_BYTES;
  }

  queueChanged(listener: Socket): void {
    this.changed(listener);
  }

  /**
   * @internal Told of every change before the network events are evaluated: pending overlapped
   * receives take their data first, and data they take raises no FD_READ (Wine's test_read_events).
   */
  readonly beforeChange = new Set<(s: Socket) => void>();

  /** @internal Something about the socket changed: pending operations, network events, then observers. */
  changed(sock: Socket): void {
    if (this.beforeChange.size !== 0) for (const f of this.beforeChange) f(sock);
    if (sock.notify !== null) evaluate(sock);
    if (this.watchers.size === 0) return;
    for (const w of this.watchers) w(sock);
  }

  private newSocket(af: number, type: number, protocol: number): Socket {
    const handle = this.nextHandle;
    this.nextHandle = this.nextHandle >= 0x3ffffffc ? 0x100 : this.nextHandle + 4;
    const sock = new Socket(handle, af, type, protocol);
    this.sockets.set(handle, sock);
    return sock;
  }

  private ports(sock: Socket): PortTable | undefined {
    if (sock.type === SOCK_STREAM) return sock.version === 4 ? this.tcp4 : this.tcp6;
    if (sock.type === SOCK_DGRAM) return sock.version === 4 ? this.udp4 : this.udp6;
    return undefined;
  }

  /** The IPv4 table of a socket's protocol (a dual-stack IPv6 socket holds ports there too). */
  private ports4(sock: Socket): PortTable | undefined {
    if (sock.type === SOCK_STREAM) return this.tcp4;
    if (sock.type === SOCK_DGRAM) return this.udp4;
    return undefined;
  }

  /** The table of the same protocol and the other IP version. */
  private sibling(table: PortTable): PortTable | undefined {
    if (table === this.tcp4) return this.tcp6;
    if (table === this.tcp6) return this.tcp4;
    if (table === this.udp4) return this.udp6;
    if (table === this.udp6) return this.udp4;
    return undefined;
  }

  /**
   * Where a bind of `address` puts a socket: its own family's table, or for an IPv6 socket the
   * IPv4 table for a v4-mapped address, and beside its own the IPv4 wildcard (weakly) for a
   * dual-stack wildcard (IPV6_V6ONLY off).
   */
  private placements(sock: Socket, address: string): Placement[] {
    const own = this.ports(sock);
    if (own === undefined) return [];
    if (sock.version === 6) {
      const v4 = v4Mapped(address);
      if (v4 !== undefined) return [{ table: this.ports4(sock)!, address: v4, weak: false }];
      if (address === '::' && isDualStack(sock)) {
        return [{ table: own, address, weak: false }, { table: this.ports4(sock)!, address: '0.0.0.0', weak: true }];
      }
    }
    return [{ table: own, address, weak: false }];
  }

  // ---- WSPSocket ----------------------------------------------------------------------

  /**
   * WSPSocket's choice of protocol, as Windows resolves an af/type/protocol triple against its
   * catalogue (Wine's test_WSASocket table): AF_UNSPEC with protocol 0 is WSAEINVAL; then an
   * unknown type is WSAESOCKTNOSUPPORT, an unknown family WSAEAFNOSUPPORT, a protocol the type
   * does not carry WSAEPROTONOSUPPORT (never WSAEPROTOTYPE). Type 0 takes the type from the
   * protocol (0 and TCP: stream, UDP: datagram); AF_UNSPEC takes AF_INET. `fromInfo`: the triple
   * came through a WSAPROTOCOL_INFO, whose family is checked first.
   */
  socket(af: unknown, type: unknown, protocol: unknown, group: unknown, flags: unknown, fromInfo = false): number {
    if (this.callbackDepth > 0) return -WSAEINPROGRESS;
    if (this.transport.isNetworkDown()) return -WSAENETDOWN;
    const resolved = resolveTriple(af, type, protocol, fromInfo);
    if (typeof resolved === 'number') return -resolved;
    if (group !== 0 && group !== undefined && group !== null) return -WSAEINVAL;
    const f = flags === undefined || flags === null ? 0 : flags;
    if (typeof f !== 'number' || !Number.isInteger(f) || (f & ~VALID_SOCKET_FLAGS) !== 0) return -WSAEINVAL;
    const err = this.reserve();
    if (err !== 0) return -err;
    return this.newSocket(resolved.af, resolved.type, resolved.protocol).handle;
  }

  /**
   * @internal Another descriptor for a live socket (a redeemed WSPDuplicateSocket): a new handle
   * sharing its state, or a negated error (WSAEMFILE, WSAENOBUFS, WSAEINPROGRESS).
   */
  addDescriptor(sock: Socket): number {
    if (this.callbackDepth > 0) return -WSAEINPROGRESS;
    if (this.sockets.get(sock.handle) !== sock) return -WSAEINVAL;
    const err = this.reserve();
    if (err !== 0) return -err;
    const handle = this.nextHandle;
    this.nextHandle = this.nextHandle >= 0x3ffffffc ? 0x100 : this.nextHandle + 4;
    this.sockets.set(handle, sock);
    let set = this.descriptorSets.get(sock);
    if (set === undefined) this.descriptorSets.set(sock, (set = new Set([sock.handle])));
    set.add(handle);
    return handle;
  }

  /** Closes one descriptor of a socket that has others: the socket lives on (true), else false. */
  private dropDescriptor(sock: Socket, s: number): boolean {
    const set = this.descriptorSets.get(sock);
    if (set === undefined || set.size <= 1) return false;
    set.delete(s);
    this.sockets.delete(s);
    this.releaseDescriptor();
    if (sock.handle === s) sock.handle = set.values().next().value!;
    if (set.size === 1) this.descriptorSets.delete(sock);
    return true;
  }

  // ---- WSPBind ------------------------------------------------------------------------

  bind(s: unknown, name: Endpoint): number {
    const sock = this.enter(s);
    if (typeof sock === 'number') return sock;
    if (name.family !== sock.af) return -WSAEFAULT;
    if (sock.local !== null) return -WSAEINVAL;
    if (!this.isOwnAddress(sock, name.address)) return -WSAEADDRNOTAVAIL;
    const code = this.bindTo(sock, name.address, name.port, undefined);
    if (code !== 0) return -code;
    this.changed(sock);
    return 0;
  }

  /**
   * Whether a socket may bind this address: the wildcard, or one of the host's. An IPv6 socket
   * reaches IPv4 addresses (v4-mapped, ::ffff:a.b.c.d) only with IPV6_V6ONLY off.
   */
  private isOwnAddress(sock: Socket, address: string): boolean {
    if (isWildcard(address)) return true;
    const v4 = sock.version === 6 ? v4Mapped(address) : undefined;
    if (v4 === undefined) return this.transport.hasLocalAddress(sock.version, address);
    return isDualStack(sock) && (v4 === '0.0.0.0' || this.transport.hasLocalAddress(4, v4));
  }

  /** Binds in the port table; `usable` vetoes ephemeral ports (connect's tuple check). */
  private bindTo(sock: Socket, address: string, port: number, usable: ((p: number) => boolean) | undefined): number {
    const places = this.placements(sock, address);
    if (places.length === 0) {
      sock.local = { family: sock.af, address, port: 0 };
      sock.boundAddress = address;
      sock.phase = 'bound';
      return 0;
    }
    const check = (p: number): number => {
      for (const place of places) {
        const verdict = place.table.check(p, {
          address: place.address,
          wildcard: isWildcard(place.address),
          reuseAddr: sock.reuseAddr,
          exclusiveAddrUse: sock.exclusiveAddrUse,
          weak: place.weak,
        });
        if (verdict !== 0) return verdict;
      }
      return 0;
    };
    let chosen = port;
    const reserve = this.transport.reservePort;
    if (chosen === 0 && reserve !== undefined) {
      // The operating system picks; a port only this provider still holds may come back: ask again.
      for (let tries = 0; ; tries++) {
        const r = reserve.call(this.transport, sock.version, sock.type === SOCK_STREAM, address, 0, sock.version === 6 && sock.v6Only);
        if (r < 0) return -r;
        if (check(r) === 0) {
          chosen = r;
          break;
        }
        if (tries === 8) return WSAENOBUFS;
      }
    } else if (chosen === 0) {
      // One pool of ephemeral ports for both IP versions, as Windows has: a port the other
      // version holds is not handed out (a client and a server of one host never share one).
      const sibling = this.sibling(places[0]!.table);
      chosen = places[0]!.table.allocate((p) => check(p) === 0 && !(sibling?.isHeld(p) ?? false) && (usable === undefined || usable(p)));
      if (chosen === 0) return WSAENOBUFS;
    } else {
      const verdict = check(chosen);
      if (verdict !== 0) return verdict;
      const r = reserve?.call(this.transport, sock.version, sock.type === SOCK_STREAM, address, chosen, sock.version === 6 && sock.v6Only) ?? chosen;
      if (r < 0) return -r;
    }
    sock.boundAddress = address; // first: a table stores a plain hold of the bound address as the socket itself
    for (const place of places) place.table.add(chosen, sock, place.address, place.weak);
    sock.local = { family: sock.af, address, port: chosen };
    sock.phase = 'bound';
    if (sock.type === SOCK_DGRAM) {
      const dual = sock.version === 6 && address === '::' && isDualStack(sock) ? { dualStack: true } : undefined;
      sock.endpoint = this.transport.bindDatagram(sock.version, address, chosen, datagramReceiver(this, sock), dual);
    }
    return 0;
  }

  /** @internal The implicit bind of a send or connect on an unbound socket: wildcard address, ephemeral port. Returns 0 or a code. */
  autoBind(sock: Socket): number {
    return this.bindTo(sock, sock.version === 4 ? '0.0.0.0' : '::', 0, undefined);
  }

  /**
   * @internal The network connected from another port than the one bound (the host network
   * takes a fresh ephemeral port when the system refuses the first): the port tables follow.
   */
  movePort(sock: Socket, port: number): void {
    if (sock.local === null || sock.local.port === port) return;
    const places = this.placements(sock, sock.boundAddress);
    for (const place of places) place.table.remove(sock.local.port, sock);
    for (const place of places) place.table.add(port, sock, place.address, place.weak);
  }

  private unbind(sock: Socket): void {
    if (sock.local === null) return;
    this.ports(sock)?.remove(sock.local.port, sock);
    if (sock.version === 6) this.ports4(sock)?.remove(sock.local.port, sock);
    sock.endpoint?.close();
    sock.endpoint = null;
  }

  // ---- WSPListen ----------------------------------------------------------------------

  listen(s: unknown, backlog: unknown): number {
    const sock = this.enter(s);
    if (typeof sock === 'number') return sock;
    if (sock.type !== SOCK_STREAM) return -WSAEOPNOTSUPP;
    if (sock.phase === 'connected') return -WSAEISCONN;
    if (sock.phase === 'connecting') return -WSAEINVAL;
    if (sock.local === null) return -WSAEINVAL;
    const wanted = normalizeBacklog(backlog, this.limits.maxBacklog);
    const queue = sock.queue;
    if (queue !== null) {
      const slots = this.affordableSlots(wanted, queue.backlog);
      if (slots < 1) return -WSAENOBUFS;
      this.budgetUsed += (slots - queue.backlog) * BACKLOG_SLOT_COST_BYTES;
      queue.setBacklog(slots);
      this.resume(queue);
      return 0;
    }
    // No address check here: WSPBind decided who may share the address, and every socket it let
    // in may listen (Wine's test_reuseaddr: two SO_REUSEADDR sockets on one address both listen).
    const slots = this.affordableSlots(wanted, 0);
    if (slots < 1) return -WSAENOBUFS;
    this.budgetUsed += slots * BACKLOG_SLOT_COST_BYTES;
    const q = new ListenQueue(this, sock, slots);
    sock.queue = q;
    sock.phase = 'listening';
    q.handle = this.joinListenGroup(sock, q);
    this.changed(sock);
    return 0;
  }

  /**
   * Listeners on one exact address and port (SO_REUSEADDR lets several bind it) share one
   * network listener: connection requests go to the one that listened first; when it closes,
   * the next one takes them (Wine's test_reuseaddr: "the connection is delivered to the first
   * socket", then to the second once the first is closed).
   */
  private joinListenGroup(sock: Socket, queue: ListenQueue): ListenHandle {
    const port = sock.local!.port;
    const key = `${sock.version}/${sock.boundAddress}/${port}`;
    let group = this.listenGroups.get(key);
    if (group === undefined) {
      const members: ListenQueue[] = [];
      const handle = this.transport.listenStream(sock.boundAddress, port, {
        onSyn: (conn) => (members.length > 0 ? members[0]!.onSyn(conn) : 'refuse'),
      }, this.listenOptions(sock));
      group = { members, handle };
      this.listenGroups.set(key, group);
    }
    group.members.push(queue);
    const g = group;
    return {
      close: () => {
        const i = g.members.indexOf(queue);
        if (i >= 0) g.members.splice(i, 1);
        if (g.members.length === 0 && this.listenGroups.get(key) === g) {
          this.listenGroups.delete(key);
          g.handle.close();
        }
      },
    };
  }

  /** What the network needs to know about a listener beyond its address (dual stack). */
  private listenOptions(sock: Socket): ListenOptions | undefined {
    return sock.version === 6 && sock.boundAddress === '::' && isDualStack(sock) ? { dualStack: true } : undefined;
  }

  /** How many of `wanted` slots the budget allows, given `held` already charged. */
  private affordableSlots(wanted: number, held: number): number {
    const free = this.limits.bufferBudget - this.budgetUsed + held * BACKLOG_SLOT_COST_BYTES;
    return Math.min(wanted, Math.floor(free / BACKLOG_SLOT_COST_BYTES));
  }

  /** Resumes a listener suspended for lack of descriptors, if one is free now. */
  private resume(queue: ListenQueue): void {
    if (!queue.suspended) return;
    if (this.descriptors < this.limits.maxSockets && this.budgetUsed + SOCKET_COST_BYTES <= this.limits.bufferBudget) {
      queue.suspended = false;
    }
  }

  // ---- WSPAccept ----------------------------------------------------------------------

  /**
   * Takes the oldest connection. `decide` (the condition function) may accept, reject or
   * defer it. Returns the new handle or a negated error.
   */
  accept(s: unknown, decide: AcceptDecider | null): number {
    const sock = this.enter(s);
    if (typeof sock === 'number') return sock;
    const r = this.acceptFrom(sock, decide);
    // WSPAccept re-enables FD_ACCEPT even when it fails, except with WSATRY_AGAIN (CF_DEFER).
    if (r !== -WSATRY_AGAIN) reenable(sock, FD_ACCEPT);
    return r;
  }

  private acceptFrom(sock: Socket, decide: AcceptDecider | null): number {
    if (sock.type !== SOCK_STREAM) return -WSAEOPNOTSUPP;
    const queue = sock.queue;
    if (queue === null || sock.phase !== 'listening') return -WSAEINVAL;
    this.resume(queue);
    let entry = queue.first();
    if (entry === undefined) {
      if (sock.nonBlocking) return -WSAEWOULDBLOCK;
      const outcome = this.transport.block(() => sock.phase !== 'listening' || queue.first() !== undefined);
      if (sock.phase !== 'listening') return -WSAEINTR;
      if (outcome === 'unsupported') return -WSAEWOULDBLOCK;
      entry = queue.first();
      if (entry === undefined) return -WSAEINTR;
    }
    if (entry.state === 'reset') {
      queue.discard(entry);
      return -WSAECONNRESET;
    }
    if (decide !== null) {
      const verdict = this.runCallback(() => decide(entry!, sock));
      // The callback is the caller's code: it cannot call us, but it can crash the host or take
      // its network down, which closes the listener and resets what it held.
      const lost = this.stillQueued(sock, queue, entry);
      if (lost !== 0) return -lost;
      if (verdict < 0) return verdict;
      if (verdict === CF_REJECT) {
        queue.reject(entry);
        return -WSAECONNREFUSED;
      }
      if (verdict === CF_DEFER) return -WSATRY_AGAIN;
      if (verdict !== CF_ACCEPT) return -WSAEINVAL;
    }
    if (entry.state === 'held') {
      const code = this.completeHeld(sock, entry);
      if (code !== 0) return -code;
      const lost = this.stillQueued(sock, queue, entry); // the network ran while we waited
      if (lost !== 0) return -lost;
    }
    const child = this.newSocket(sock.af, sock.type, sock.protocol);
    inheritOptions(sock, child);
    return this.acceptInto(sock, queue, entry, child, true);
  }

  /**
   * Makes `child` the socket of a queued connection and takes the entry off the queue: WSPAccept
   * passes a new socket (which inherits the listener's options and selection), AcceptEx the
   * caller's fresh accept socket (`inherit` false: it keeps its own options; the entry's
   * reserved descriptor is released, as the accept socket already holds one). Returns the
   * socket's handle or a negated error.
   */
  acceptInto(sock: Socket, queue: ListenQueue, entry: PendingConnection, child: Socket, inherit: boolean): number {
    const conn = entry.conn;
    // A dual-stack IPv6 listener shows its IPv4 connections v4-mapped (::ffff:a.b.c.d).
    child.local = { family: sock.af, address: addressFor(sock.af, conn.localAddress), port: conn.localPort };
    child.boundAddress = child.local.address;
    child.remote = { family: sock.af, address: addressFor(sock.af, conn.remoteAddress), port: conn.remotePort };
    child.phase = 'connected';
    child.connectedAtMs = Math.floor(this.nowMs()); // SO_CONNECT_TIME (whole ms)
    child.conn = conn;
    oobInlineChanged(child); // the connection learns the inherited SO_OOBINLINE
    child.inbox.absorb(entry.received);
    this.charge(child.inbox.length);
    child.peerClosed = entry.peerClosed;
    child.writeArmed = true;
    conn.events = this.eventsFor(child);
    conn.noDelay = child.noDelay;
    applyKeepAliveTiming(child);
    conn.keepAlive = child.keepAlive;
    conn.setReceiveBuffer(child.receiveBuffer);
    for (const place of this.placements(child, child.boundAddress)) place.table.add(conn.localPort, child, place.address, place.weak);
    // An accepted socket has the listener's WSPEventSelect/WSPAsyncSelect association.
    const n = sock.notify;
    if (inherit && n !== null && n.selected !== 0) {
      child.notify = newSelection(n.selected, n.event, n.message);
    }
    // Taken off the queue only now: the notifications below run callers' upcalls, and if one of
    // them crashes the host, the child is already a socket that the crash closes like any other.
    queue.take(entry);
    if (!inherit) this.releaseDescriptor();
    this.changed(child);
    if (this.sockets.get(child.handle) !== child) return this.transport.isNetworkDown() ? -WSAENETDOWN : -WSAECONNRESET;
    return child.handle;
  }

  /** 0 while `entry` is still in the listener's queue and can be taken; otherwise why it cannot. */
  private stillQueued(listener: Socket, queue: ListenQueue, entry: PendingConnection): number {
    if (this.transport.isNetworkDown()) return WSAENETDOWN;
    if (listener.phase !== 'listening' || listener.queue !== queue) return WSAEINTR;
    if (!queue.entries.has(entry.conn)) return WSAECONNRESET;
    if (entry.state === 'reset') {
      queue.discard(entry);
      return WSAECONNRESET;
    }
    return 0;
  }

  /** Sends the SYN-ACK a conditional accept held, and waits for the handshake. */
  private completeHeld(listener: Socket, entry: PendingConnection): number {
    entry.state = 'handshake';
    entry.conn.acceptSyn();
    const outcome = this.transport.block(() => entry.state !== 'handshake');
    const state = entry.state as PendingState; // changed by events while blocked
    if (state === 'ready') return 0;
    if (state === 'reset') {
      listener.queue!.discard(entry);
      return WSAECONNRESET;
    }
    if (outcome === 'unsupported') return WSAEWOULDBLOCK;
    // withdrawn while we waited: the queue already dropped it
    return WSAECONNRESET;
  }

  // ---- WSPConnect ---------------------------------------------------------------------

  connect(s: unknown, name: Endpoint): number {
    const sock = this.enter(s);
    if (typeof sock === 'number') return sock;
    if (name.family !== sock.af) return -WSAEFAULT;
    // A socket an AcceptEx is accepting into cannot connect (Wine's test_AcceptEx).
    if (sock.phase === 'listening' || this.acceptTargets.has(sock) || this.connectContextPending.has(sock)) return -WSAEINVAL;
    if (sock.type === SOCK_STREAM) {
      if (sock.phase === 'connecting') return -WSAEALREADY;
      if (sock.phase === 'connected') return -WSAEISCONN;
    }
    // A datagram socket may name port 0 (Wine's test_connect_events: connect to 127.0.0.1:0 succeeds).
    if (isWildcard(name.address) || (name.port === 0 && sock.type === SOCK_STREAM)) return -WSAEADDRNOTAVAIL;
    if (sock.type !== SOCK_STREAM) return this.connectDatagram(sock, name);

    const route = this.route(sock, name.address);
    if (typeof route === 'number') return -route;
    const { version, source, remote } = route;
    if (sock.local === null) {
      const wild = sock.version === 4 ? '0.0.0.0' : '::';
      const code = this.bindTo(sock, wild, 0, (p) => !this.transport.streamTupleInUse(source, p, remote, name.port));
      if (code !== 0) return -code;
    } else if (this.transport.streamTupleInUse(source, sock.local.port, remote, name.port)) {
      return -WSAEADDRINUSE;
    }
    const port = sock.local!.port;
    sock.local = { family: sock.af, address: addressFor(sock.af, source), port };
    sock.remote = { family: sock.af, address: name.address, port: name.port };
    // SO_ERROR keeps the last failure until a connection succeeds (Wine's test_select: "calling
    // connect() doesn't reset the socket error, but a successful connection does").
    sock.connectResult = null;
    sock.phase = 'connecting';
    const conn = this.transport.connectStream(version, source, port, remote, name.port, this.eventsFor(sock), sock.receiveBuffer);
    conn.noDelay = sock.noDelay;
    sock.conn = conn;
    applyKeepAliveTiming(sock);
    conn.keepAlive = sock.keepAlive;
    oobInlineChanged(sock);
    reenable(sock, FD_CONNECT);
    this.changed(sock);
    if (sock.nonBlocking) return -WSAEWOULDBLOCK;
    this.blockingConnects.add(sock);
    const outcome = this.transport.block(() => sock.phase !== 'connecting');
    this.blockingConnects.delete(sock);
    const phase = sock.phase as SocketPhase; // changed by events while blocked
    if (phase === 'connected') return 0;
    if (phase === 'connecting') {
      if (outcome === 'unsupported') return -WSAEWOULDBLOCK;
      this.abandonConnect(sock);
      return -WSAEINTR;
    }
    if (phase === 'closed') return -WSAEINTR;
    return -(sock.connectResult || WSAECONNREFUSED);
  }

  /**
   * Where a stream connection to `address` leaves from: the IP version on the wire, the source
   * address (the bound one, or the route's) and the destination, in that version's text. A
   * dual-stack IPv6 socket reaches a v4-mapped destination over IPv4; a v6-only one has no route
   * to it (WSAENETUNREACH), nor has a socket bound to an address of the other version.
   */
  /** @internal Also the route of a datagram (provider/data.ts). */
  route(sock: Socket, address: string): { version: IpVersion; source: string; remote: string } | number {
    const mapped = sock.version === 6 ? v4Mapped(address) : undefined;
    if (mapped === '0.0.0.0') return WSAEADDRNOTAVAIL;
    if (mapped !== undefined && !isDualStack(sock)) return WSAENETUNREACH;
    const version: IpVersion = mapped !== undefined ? 4 : sock.version;
    const remote = mapped ?? address;
    let bound = sock.local !== null && !isWildcard(sock.local.address) ? sock.local.address : undefined;
    if (bound !== undefined && sock.version === 6) {
      const boundV4 = v4Mapped(bound);
      if ((boundV4 !== undefined) !== (version === 4)) return WSAENETUNREACH;
      if (boundV4 !== undefined) bound = boundV4 === '0.0.0.0' ? undefined : boundV4;
    }
    const source = bound ?? this.transport.sourceAddress(version, remote);
    if (source === undefined) return WSAENETUNREACH;
    return { version, source, remote };
  }

  /**
   * WSPConnect to an AF_UNSPEC address: a datagram socket forgets its peer and hears everyone
   * again (Wine's test_connect_udp); a stream socket cannot (WSAEAFNOSUPPORT).
   */
  dissolve(s: unknown): number {
    const sock = this.enter(s);
    if (typeof sock === 'number') return sock;
    if (sock.type === SOCK_STREAM) return -WSAEAFNOSUPPORT;
    sock.remote = null;
    if (sock.phase === 'connected') sock.phase = 'bound';
    this.changed(sock);
    return 0;
  }

  private connectDatagram(sock: Socket, name: Endpoint): number {
    // Like Windows, a datagram connect picks the route (and so the local address) now: no
    // route is WSAENETUNREACH here, where WSPConnect documents it, not on a later WSPSend.
    const route = this.route(sock, name.address);
    if (typeof route === 'number') return -route;
    const source = addressFor(sock.af, route.source);
    if (sock.local === null) {
      const code = this.bindTo(sock, sock.version === 4 ? '0.0.0.0' : '::', 0, undefined);
      if (code !== 0) return -code;
    }
    sock.local = { family: sock.af, address: source, port: sock.local!.port };
    sock.remote = { family: sock.af, address: name.address, port: name.port };
    sock.phase = 'connected';
    this.changed(sock);
    return 0;
  }

  private abandonConnect(sock: Socket): void {
    const conn = sock.conn;
    sock.conn = null;
    sock.remote = null;
    sock.phase = 'bound';
    if (conn !== null) {
      conn.events = null;
      conn.abort();
    }
  }

  /** The event sink of a socket's connection. */
  private eventsFor(sock: Socket): StreamEvents {
    return new SocketEvents(this, sock);
  }

  // ---- WSPCloseSocket -----------------------------------------------------------------

  close(s: unknown): number {
    const sock = this.lookup(s);
    if (sock === undefined) return -WSAENOTSOCK;
    if (this.callbackDepth > 0) return -WSAEINPROGRESS;
    if (this.dropDescriptor(sock, s as number)) return 0;
    const code = this.linger(sock);
    if (code !== 0) return -code;
    this.destroy(sock);
    return 0;
  }

  /**
   * SO_LINGER with a non-zero time: a blocking close waits (up to that time) for the queued data
   * to be acknowledged, then resets if it was not; a non-blocking one cannot wait: WSAEWOULDBLOCK.
   */
  private linger(sock: Socket): number {
    const conn = sock.conn;
    if (sock.linger.onoff === 0 || sock.linger.seconds === 0 || conn === null || conn.bufferedBytes === 0 || sock.inbox.length > 0) return 0;
    if (sock.nonBlocking) return WSAEWOULDBLOCK;
    const outcome = this.transport.block(() => sock.conn !== conn || conn.bufferedBytes === 0, sock.linger.seconds * 1000);
    if (outcome !== 'done' && sock.conn === conn) abortConnection(this, sock);
    return 0;
  }

  private destroy(sock: Socket): void {
    // Once only: an upcall run by this teardown may crash the host, which closes everything again.
    if (!this.sockets.delete(sock.handle)) return;
    const others = this.descriptorSets.get(sock);
    if (others !== undefined) {
      // WSPCleanup of a duplicated socket: its other descriptors go with it.
      this.descriptorSets.delete(sock);
      for (const h of others) if (h !== sock.handle && this.sockets.delete(h)) this.releaseDescriptor();
    }
    const phase = sock.phase;
    sock.phase = 'closed';
    sock.notify = null;
    const queue = sock.queue;
    if (queue !== null) {
      queue.close();
      this.budgetUsed -= queue.backlog * BACKLOG_SLOT_COST_BYTES;
      sock.queue = null;
    }
    const conn = sock.conn;
    if (conn !== null) {
      sock.conn = null;
      conn.events = null;
      // Closing with unread data, or with a zero linger, resets the connection (RFC 2525 §2.17; Windows does).
      const abortive = (sock.linger.onoff !== 0 && sock.linger.seconds === 0) || sock.inbox.length > 0 || phase === 'connecting';
      if (abortive) conn.abort();
      else {
        conn.detach();
        conn.close();
      }
    }
    this.refund(sock.inbox.length + sock.sendCharged + sock.datagramBytes);
    sock.inbox.clear();
    sock.sendCharged = 0;
    sock.datagramBytes = 0;
    this.unbind(sock);
    this.releaseDescriptor();
    this.changed(sock);
  }

  /** Closes every socket (WSPCleanup). */
  closeAll(): void {
    for (const sock of [...this.sockets.values()]) this.destroy(sock);
  }

  // ---- names and options -------------------------------------------------------------

  sockName(s: unknown): Endpoint | number {
    const sock = this.peek(s);
    if (typeof sock === 'number') return sock;
    if (sock.local === null || this.acceptContextPending.has(sock)) return -WSAEINVAL;
    return sock.local;
  }

  peerName(s: unknown): Endpoint | number {
    const sock = this.peek(s);
    if (typeof sock === 'number') return sock;
    // A connect in progress already has its peer (Wine's test_connecting_socket: getpeername succeeds).
    if ((sock.phase !== 'connected' && sock.phase !== 'connecting') || sock.remote === null || this.acceptContextPending.has(sock)) return -WSAENOTCONN;
    // …but a ConnectEx in progress has none (Wine's test_connecting_socket).
    if (sock.phase === 'connecting' && this.connectContextPending.has(sock)) return -WSAENOTCONN;
    return sock.remote;
  }

  /**
   * @internal DisconnectEx(TF_REUSE_SOCKET) completed (src/extensions/disconnect-ex.ts): the
   * socket lets go of its connection (the network finishes the graceful close, TIME_WAIT
   * included, without it) and of its address, and is a fresh unbound socket again: same handle,
   * same options, ready for AcceptEx or for bind and ConnectEx.
   */
  recycle(sock: Socket): void {
    const conn = sock.conn;
    sock.conn = null;
    if (conn !== null) {
      conn.events = null;
      conn.detach();
    }
    this.refund(sock.inbox.length + sock.sendCharged);
    sock.inbox.clear();
    sock.sendCharged = 0;
    this.unbind(sock);
    sock.local = null;
    sock.remote = null;
    sock.boundAddress = '';
    sock.phase = 'open';
    sock.peerClosed = false;
    sock.sendShutdown = false;
    sock.receiveShutdown = false;
    sock.writeArmed = false;
    sock.connectResult = null;
    sock.resetCode = 0;
    sock.soError = 0;
    sock.connectedAtMs = -1;
    this.acceptContextPending.delete(sock);
    this.connectContextPending.delete(sock);
    this.changed(sock);
  }

  /** Reads an option: its shape and value, or a negated error. */
  getOption(s: unknown, level: unknown, name: unknown): { shape: string; value: OptionValue } | number {
    const sock = this.peek(s);
    if (typeof sock === 'number') return sock;
    if (typeof level !== 'number' || typeof name !== 'number') return -WSAEINVAL;
    const def = findOption(sock, level, name);
    if (typeof def === 'number') return -def;
    return { shape: def.shape, value: def.get(sock) };
  }

  /** The shape of an option (to decode the caller's bytes), or a negated error. */
  optionShape(s: unknown, level: unknown, name: unknown): string | number {
    const sock = this.lookup(s);
    if (sock === undefined) return -WSAENOTSOCK;
    if (typeof level !== 'number' || typeof name !== 'number') return -WSAEINVAL;
    const def = findOption(sock, level, name);
    return typeof def === 'number' ? -def : def.shape;
  }

  setOption(s: unknown, level: number, name: number, value: OptionValue): number {
    const sock = this.enter(s);
    if (typeof sock === 'number') return sock;
    const def = findOption(sock, level, name);
    if (typeof def === 'number') return -def;
    if (def.set === undefined) return -WSAENOPROTOOPT;
    const code = def.set(sock, value, this.transport);
    if (code !== 0) return -code;
    this.changed(sock);
    return 0;
  }

  /** FIONBIO. */
  setNonBlocking(s: unknown, on: boolean): number {
    const sock = this.enter(s);
    if (typeof sock === 'number') return sock;
    // WSPEventSelect/WSPAsyncSelect made it non-blocking; it stays so while they are active.
    if (!on && sock.notify !== null && sock.notify.selected !== 0) return -WSAEINVAL;
    sock.nonBlocking = on;
    return 0;
  }

  /** SIO_UDP_CONNRESET: whether an ICMP port-unreachable shows as WSAECONNRESET on the next receive. */
  setUdpConnReset(s: unknown, on: boolean): number {
    const sock = this.enter(s);
    if (typeof sock === 'number') return sock;
    if (sock.type !== SOCK_DGRAM) return -WSAEINVAL;
    sock.reportUnreachable = on;
    if (!on) sock.pendingUnreachable = false;
    return 0;
  }

  /** Non-standard: a snapshot of a socket, including its listen queue. */
  inspect(s: unknown): SocketInfo | undefined {
    const sock = this.lookup(s);
    if (sock === undefined) return undefined;
    const q = sock.queue;
    let listen: SocketInfo['listen'] = null;
    if (q !== null) {
      const c = q.counts();
      listen = {
        backlog: q.backlog,
        queueLength: q.entries.size,
        ready: c.ready + c.reset,
        handshaking: c.handshake,
        held: c.held,
        suspended: q.suspended,
        stats: { ...q.stats },
      };
    }
    return {
      handle: sock.handle, af: sock.af, type: sock.type, protocol: sock.protocol, phase: sock.phase,
      nonBlocking: sock.nonBlocking, local: sock.local, remote: sock.remote, listen,
    };
  }
}

/** Receives a connection's events for its socket. */
class SocketEvents implements StreamEvents {
  constructor(private readonly core: ProviderCore, private readonly sock: Socket) {}

  established(conn: StreamConnection): void {
    const sock = this.sock;
    if (sock.conn !== conn) return;
    sock.phase = 'connected';
    sock.connectedAtMs = Math.floor(this.core.nowMs()); // SO_CONNECT_TIME, whole ms: a small integer, no heap number per socket
    sock.soError = 0; // a successful connection clears the last connect failure
    // The network may have chosen the source address (the host network's routing), or another port.
    this.core.movePort(sock, conn.localPort);
    sock.local = { family: sock.af, address: addressFor(sock.af, conn.localAddress), port: conn.localPort };
    sock.connectResult = 0;
    sock.writeArmed = true;
    this.core.changed(sock);
  }

  failed(conn: StreamConnection, reason: StreamFailReason): void {
    const sock = this.sock;
    if (sock.conn !== conn) return;
    sock.conn = null;
    if (sock.phase === 'connecting') {
      // The socket stays bound and may connect again.
      sock.phase = 'bound';
      sock.remote = null;
      sock.connectResult = failCode(reason);
      if (!this.core.blockingConnects.has(sock)) sock.soError = sock.connectResult;
    } else {
      this.core.refund(sock.inbox.length + sock.sendCharged);
      sock.inbox.clear();
      sock.sendCharged = 0;
      // SO_ERROR stays as it was: Windows reports a reset through the calls, and getsockopt
      // reads 0 afterwards (Wine's test_tcp_reset).
      sock.resetCode = reason === 'timed-out' ? WSAECONNABORTED : failCode(reason);
    }
    this.core.changed(sock);
  }

  remoteClosed(): void {
    this.sock.peerClosed = true;
    this.core.changed(this.sock);
  }

  data(_conn: StreamConnection, bytes: Uint8Array, owned = false): void {
    const sock = this.sock;
    if (sock.receiveShutdown) {
      abortConnection(this.core, sock); // data nobody may read: Windows resets
      return;
    }
    this.core.charge(bytes.length);
    if (owned) sock.inbox.adopt(bytes);
    else sock.inbox.push(bytes);
    this.core.changed(sock);
  }

  acked(conn: StreamConnection): void {
    const sock = this.sock;
    const buffered = conn.bufferedBytes;
    this.core.refund(sock.sendCharged - buffered);
    sock.sendCharged = buffered;
    this.core.changed(sock);
  }

  closed(conn: StreamConnection): void {
    if (this.sock.conn === conn) this.sock.conn = null;
  }
}

/**
 * af/type/protocol → the socket WSPSocket makes, or the error code (see ProviderCore.socket).
 * Any protocol 0-255 on SOCK_RAW (type 0 with a protocol other than TCP and UDP is raw too).
 */
export function resolveTriple(
  af: unknown, type: unknown, protocol: unknown, fromInfo = false,
): { af: number; type: number; protocol: number } | number {
  const int = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) ? v : NaN);
  const family = int(af);
  const t = int(type);
  const p = int(protocol);
  const knownFamily = family === AF_INET || family === AF_INET6;
  if (fromInfo && !knownFamily) return WSAEAFNOSUPPORT;
  if (family === AF_UNSPEC && p === 0) return WSAEINVAL;
  if (t !== 0 && t !== SOCK_STREAM && t !== SOCK_DGRAM && t !== SOCK_RAW) return WSAESOCKTNOSUPPORT;
  if (!knownFamily && family !== AF_UNSPEC) return WSAEAFNOSUPPORT;
  let sockType = t;
  let proto = p;
  if (t === SOCK_STREAM) {
    if (p !== 0 && p !== IPPROTO_TCP) return WSAEPROTONOSUPPORT;
    proto = IPPROTO_TCP;
  } else if (t === SOCK_DGRAM) {
    if (p !== 0 && p !== IPPROTO_UDP) return WSAEPROTONOSUPPORT;
    proto = IPPROTO_UDP;
  } else if (t === SOCK_RAW) {
    if (!(p >= 0 && p <= 255)) return WSAEPROTONOSUPPORT;
  } else if (p === 0 || p === IPPROTO_TCP) {
    sockType = SOCK_STREAM;
    proto = IPPROTO_TCP;
  } else if (p === IPPROTO_UDP) {
    sockType = SOCK_DGRAM;
  } else if (p > 0 && p <= 255) {
    sockType = SOCK_RAW;
  } else {
    return WSAEPROTONOSUPPORT;
  }
  return { af: knownFamily ? family : AF_INET, type: sockType, protocol: proto };
}

/** One table a bind writes to. */
interface Placement {
  readonly table: PortTable;
  readonly address: string;
  readonly weak: boolean;
}

/**
 * An IPv6 socket with IPV6_V6ONLY off (dual stack); Windows' default is on (Wine's test_ipv6only).
 */
export function isDualStack(sock: Socket): boolean {
  return sock.version === 6 && !sock.v6Only;
}

/** True for 0.0.0.0 and ::. */
export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** The version an address family's addresses have. */
export function versionOf(af: number): IpVersion {
  return af === AF_INET6 ? 6 : 4;
}
