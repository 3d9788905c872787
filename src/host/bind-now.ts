/**
 * Binding inside the call. Winsock's bind answers at once with the port, and that port must be
 * the caller's from then on; Node binds a TCP listener or a UDP socket on a given address only
 * after looking the address up, in a later tick, even for a literal such as 127.0.0.1. Until
 * that tick the port is free for any other process to take. Both can bind in the call itself:
 *
 * - node:dgram takes a `lookup` option (public API): one that answers a literal at once makes
 *   `bind()` bind, or emit its error, before it returns.
 * - `net.Server.listen` has no such option: it looks the host up with `dns.lookup`, which is
 *   swapped, for the length of the one `listen()` call, for a function that answers a literal
 *   at once (anything else goes to the real one).
 *
 * Neither result is assumed: the caller learns whether the socket is bound ('bound'), whether
 * the system refused ('failed'), or whether this Node binds later after all ('later'), and then
 * falls back to the bind oracle (docs/host-network.md, "Ports").
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { toNodeAddress } from './zone.js';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/** How a bind in the call went. */
export type BindNow = 'bound' | 'failed' | 'later';

/** `dns.lookup` as Node calls it: (host, callback) or (host, options or family, callback). */
function literalLookup(real: (...args: unknown[]) => unknown, answered: () => void) {
  return function lookup(this: unknown, host: unknown, options: unknown, callback?: unknown): unknown {
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback | undefined;
    const family = typeof host === 'string' ? net.isIP(host) : 0;
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all === true;
    if (family === 0 || cb === undefined || all) return real.apply(dns, [host, options, callback].slice(0, callback === undefined ? 2 : 3));
    answered();
    cb(null, host as string, family);
    return {};
  };
}

/**
 * Listens on `host`:`port` (port 0: the system chooses) within this call when it can. On
 * 'failed' the server has no socket and will emit its error in a later tick (the caller keeps
 * an 'error' listener on it); on 'later' it will bind in a later tick.
 */
export function listenNow(server: net.Server, host: string, port: number, backlog: number, ipv6Only = false): BindNow {
  const holder = dns as unknown as { lookup: (...args: unknown[]) => unknown };
  const real = holder.lookup;
  let answered = false;
  holder.lookup = literalLookup(real, () => (answered = true));
  try {
    server.listen({ host: toNodeAddress(host), port, backlog, exclusive: true, ipv6Only });
  } catch {
    return 'failed'; // arguments Node rejects outright (the caller asks the oracle why)
  } finally {
    holder.lookup = real;
  }
  if (!answered) return 'later';
  return server.address() !== null ? 'bound' : 'failed';
}

/**
 * A UDP socket whose lookups of literals (its bind, and the destinations of its sends) answer
 * at once. `ipv6Only`: an IPv6 socket that does not take IPv4 (Node's are dual-stack by default).
 */
export function createDatagramSocket(version: 4 | 6, ipv6Only = false): dgram.Socket {
  const real = dns.lookup as unknown as (...args: unknown[]) => unknown;
  return dgram.createSocket({
    type: version === 6 ? 'udp6' : 'udp4',
    ipv6Only: version === 6 && ipv6Only,
    lookup: literalLookup(real, () => {}) as unknown as typeof dns.lookup,
  });
}

/**
 * Binds a socket of {@link createDatagramSocket} within this call when it can: 'bound', the
 * error the system gave, or 'later' (it will bind in a later tick).
 */
export function bindDatagramNow(socket: dgram.Socket, address: string, port: number): 'bound' | 'later' | NodeJS.ErrnoException {
  let error: NodeJS.ErrnoException | null = null;
  const onError = (e: NodeJS.ErrnoException) => (error = e);
  socket.on('error', onError);
  try {
    socket.bind({ address: toNodeAddress(address), port, exclusive: true });
  } catch (e) {
    error = e as NodeJS.ErrnoException;
  }
  socket.off('error', onError);
  if (error !== null) return error;
  try {
    socket.address();
    return 'bound';
  } catch {
    return 'later';
  }
}
