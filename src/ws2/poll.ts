// WSAPoll: readiness of an array of WSAPOLLFD, built from the providers' WSPSelect, FIONREAD and SO_ACCEPTCONN.
/**
 * The rules are Wine's test_WSAPoll (dlls/ws2_32/tests/sock.c; todo_wine lines give Windows'
 * value). Every revents is rewritten (0 when nothing is reported). Sockets before the first valid
 * one, and unknown sockets after it, report POLLNVAL and are not counted; with no valid socket at
 * all the call fails with WSAENOTSOCK. From the first valid socket on, an `events` with a bit other
 * than POLLRDNORM, POLLRDBAND and POLLWRNORM is WSAEINVAL. POLLHUP and POLLERR are reported
 * whether asked or not.
 */
import {
  FIONREAD, SO_ACCEPTCONN, SOCK_STREAM, SO_TYPE, SOCKET_ERROR, SOL_SOCKET, WSAEFAULT, WSAEINVAL, WSAENOTSOCK,
} from '../provider/constants.js';
import type { WSPPROC_TABLE } from '../spi/service-provider.js';
import type { LPINT } from '../spi/types.js';

export const POLLRDNORM = 0x0100;
export const POLLRDBAND = 0x0200;
export const POLLIN = POLLRDNORM | POLLRDBAND;
export const POLLPRI = 0x0400;
export const POLLWRNORM = 0x0010;
export const POLLOUT = POLLWRNORM;
export const POLLWRBAND = 0x0020;
export const POLLERR = 0x0001;
export const POLLHUP = 0x0002;
export const POLLNVAL = 0x0004;

/** `WSAPOLLFD`: `revents` is written. */
export interface WSAPOLLFD {
  fd: number;
  events: number;
  revents: number;
}

const ASKABLE = POLLRDNORM | POLLRDBAND | POLLWRNORM;

type Procs = Required<WSPPROC_TABLE>;

/** What WSAPoll needs of ws2: a socket's provider and its handle there (undefined: not a socket). */
export type PollLookup = (s: unknown) => { procs: Procs; ph: number; shut: Shut } | undefined;

/** Which sides of a socket the program shut down through this ws2. */
export interface Shut {
  receive: boolean;
  send: boolean;
}

/**
 * The body of WSAPoll: the count of entries with something to report, or a negated error code.
 * `timeout` in ms, negative: for ever. The wait is the first valid socket's provider's WSPSelect
 * (sockets of other providers are looked at before and after it, not waited on); when it wakes
 * for a condition no entry asked for, WSAPoll returns 0 early rather than spin.
 */
export function wsaPoll(lookup: PollLookup, fdArray: WSAPOLLFD[] | null, fds: number, timeout: number): number {
  if (typeof fds !== 'number' || !Number.isInteger(fds) || fds <= 0) return -WSAEINVAL;
  if (!Array.isArray(fdArray) || fdArray.length < fds) return -WSAEFAULT;
  const list = fdArray.slice(0, fds);
  if (!list.every((p) => typeof p === 'object' && p !== null && typeof p.events === 'number')) return -WSAEFAULT;
  const found = list.map((p) => lookup(p.fd));
  const first = found.findIndex((f) => f !== undefined);
  if (first < 0) {
    for (const p of list) p.revents = POLLNVAL;
    return -WSAENOTSOCK;
  }
  if (list.slice(first).some((p) => (p.events & ~ASKABLE) !== 0)) {
    list.forEach((p, i) => { p.revents = i < first ? POLLNVAL : 0; });
    return -WSAEINVAL;
  }
  const scan = (): number => {
    let n = 0;
    list.forEach((p, i) => {
      const f = found[i];
      if (f === undefined) { p.revents = POLLNVAL; return; }
      p.revents = readiness(f.procs, f.ph, f.shut) & (p.events | POLLHUP | POLLERR);
      if (p.revents !== 0) n++;
    });
    return n;
  };
  const n = scan();
  if (n > 0 || timeout === 0) return n;
  // Wait in the first socket's provider: its sockets in all three sets, the time-out as select's.
  const { procs } = found[first]!;
  const mine = found.filter((f): f is NonNullable<typeof f> => f !== undefined && f.procs.lpWSPSelect === procs.lpWSPSelect).map((f) => f.ph);
  const tv = timeout < 0 ? null : { tv_sec: Math.floor(timeout / 1000), tv_usec: (timeout % 1000) * 1000 };
  const e = { value: 0 };
  const r = procs.lpWSPSelect(0, { fd_count: mine.length, fd_array: [...mine] }, { fd_count: mine.length, fd_array: [...mine] },
    { fd_count: mine.length, fd_array: [...mine] }, tv, e);
  if (r === SOCKET_ERROR) return -e.value;
  return scan();
}

/**
 * One socket's POLL* bits now. `shut`: the sides the program shut down. A shut receive side,
 * which select reports as readable, is not POLLRDNORM or POLLHUP for WSAPoll; a shut send side,
 * which select no longer reports writable, stays POLLWRNORM (test_WSAPoll: POLLWRNORM, both).
 */
function readiness(p: Procs, ph: number, shut: Shut): number {
  const r = { fd_count: 1, fd_array: [ph] };
  const w = { fd_count: 1, fd_array: [ph] };
  const x = { fd_count: 1, fd_array: [ph] };
  const e: LPINT = { value: 0 };
  if (p.lpWSPSelect(0, r, w, x, { tv_sec: 0, tv_usec: 0 }, e) === SOCKET_ERROR) return POLLNVAL;
  let bits = 0;
  const connected = p.lpWSPGetPeerName(ph, { family: 0, address: '', port: 0 }, { value: 28 }, { value: 0 }) === 0;
  if (w.fd_count > 0 || (shut.send && connected)) bits |= POLLWRNORM;
  if (x.fd_count > 0) bits |= connected ? POLLRDBAND : POLLHUP | POLLERR | POLLWRNORM;
  if (r.fd_count > 0 && !shut.receive) {
    if (intOpt(p, ph, SO_TYPE) !== SOCK_STREAM || intOpt(p, ph, SO_ACCEPTCONN) === 1) bits |= POLLRDNORM;
    else {
      const out = new Uint8Array(4);
      const got = { value: 0 };
      const ok = p.lpWSPIoctl(ph, FIONREAD, null, 0, out, 4, got, null, null, null, { value: 0 }) === 0;
      const bytes = ok ? new DataView(out.buffer).getUint32(0, true) : 0;
      // Readable with nothing to read: the peer closed (FIN or reset).
      bits |= bytes > 0 ? POLLRDNORM : POLLHUP;
    }
  }
  return bits;
}

function intOpt(p: Procs, ph: number, opt: number): number {
  const buf = new Uint8Array(4);
  const len = { value: 4 };
  if (p.lpWSPGetSockOpt(ph, SOL_SOCKET, opt, buf, len, { value: 0 }) !== 0) return -1;
  return len.value >= 4 ? new DataView(buf.buffer).getInt32(0, true) : buf[0]!;
}
