/** A stub resolver on a virtual host: DNS queries over a UDP socket of the host's own provider to the network's DNS server, with retransmission and a time-out. */
import type { VirtualDns } from '../net/dns.js';
import type { Scheduler } from '../net/scheduler.js';
import * as W from '../provider/constants.js';
import { WSAEvent } from '../provider/readiness.js';
import type { ServiceProvider } from '../spi/service-provider.js';
import {
  DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_PTR, RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_REFUSED, RCODE_SERVFAIL,
  decodeDnsName, encodeDnsMessage, parseDnsMessage, reverseName,
} from '../wire/dns.js';
import { formatIPv4, formatIPv6, parseIpAddress } from '../wire/ip.js';
import type { DnsStatus } from '../net/dns.js';

/** The outcome of one question. */
export interface QuestionResult {
  readonly status: DnsStatus;
  /** The owner name of the answers (the name as the zone holds it). */
  readonly name: string;
  /** Addresses (A / AAAA) or names (PTR), as text. */
  readonly values: string[];
}

interface Outstanding {
  readonly payload: Uint8Array;
  readonly type: number;
  readonly deadlineUs: number;
  waitUs: number;
  timer: { cancel(): void } | null;
  readonly done: (r: QuestionResult) => void;
}

/** First retransmission after 1 s, then doubling, within the resolver's time-out (Windows' DNS client retries on a similar schedule). */
const FIRST_RETRY_US = 1_000_000;

/**
 * One host's stub resolver. The socket is an ordinary UDP socket of the host's provider (it
 * takes a port from the provider's port table, as Windows' DNS client does), opened at the first
 * query and kept. Query ids count up from 1 (deterministic); answers with an unknown id, from
 * another address, or malformed are dropped and counted in {@link dropped}.
 */
export class DnsStubClient {
  private socket = W.INVALID_SOCKET;
  private readonly event = new WSAEvent();
  private readonly outstanding = new Map<number, Outstanding>();
  private nextId = 1;
  private draining = false;
  /** Datagrams dropped: malformed, unexpected or late. */
  dropped = 0;

  constructor(
    private readonly provider: ServiceProvider,
    private readonly scheduler: Scheduler,
    private readonly dns: VirtualDns,
    private readonly version: 4 | 6,
  ) {
    this.event.onSet = () => {
      // Not from inside the provider's delivery: drain on a fresh event at the same time.
      if (!this.draining) {
        this.draining = true;
        this.scheduler.schedule(0, () => this.drain(), undefined);
      }
    };
  }

  private open(): boolean {
    if (this.socket !== W.INVALID_SOCKET) return true;
    const err = { value: 0 };
    const af = this.version === 4 ? W.AF_INET : W.AF_INET6;
    const s = this.provider.WSPSocket(af, W.SOCK_DGRAM, W.IPPROTO_UDP, null, 0, 0, err);
    if (s === W.INVALID_SOCKET) return false;
    // WSPEventSelect makes the socket non-blocking; FD_READ signals the event.
    if (this.provider.WSPEventSelect(s, this.event, W.FD_READ, err) !== 0) {
      this.provider.WSPCloseSocket(s, err);
      return false;
    }
    this.socket = s;
    return true;
  }

  private close(): void {
    if (this.socket === W.INVALID_SOCKET) return;
    this.provider.WSPCloseSocket(this.socket, { value: 0 });
    this.socket = W.INVALID_SOCKET;
  }

  private send(payload: Uint8Array): boolean {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!this.open()) return false;
      const err = { value: 0 };
      const to = { family: this.version === 4 ? W.AF_INET : W.AF_INET6, address: this.dns.serverAddress(this.version), port: 53 };
      const r = this.provider.WSPSendTo(this.socket, [{ len: payload.length, buf: payload }], 1, { value: 0 }, 0, to, this.version === 4 ? 16 : 28, null, null, null, err);
      if (r === 0) return true;
      // The socket may be gone (the host crashed and restarted): open a new one once.
      this.close();
    }
    return false;
  }

  /**
   * Asks one question (`A`, `AAAA` or `PTR` of an address text); `done` is called once, later, in
   * virtual time. Returns a canceller.
   */
  ask(name: string, type: number, done: (r: QuestionResult) => void): { cancel(): void } {
    let qname = name;
    if (type === DNS_TYPE_PTR) {
      const a = parseIpAddress(name);
      qname = a === undefined ? name : reverseName(a.bytes);
    }
    const id = this.nextId;
    this.nextId = this.nextId === 0xffff ? 1 : this.nextId + 1;
    const payload = encodeDnsMessage({ id, response: false, rcode: 0, question: { name: qname, type }, answers: [] });
    const finish = (r: QuestionResult) => this.scheduler.schedule(0, () => done(r), undefined);
    if (payload === undefined) {
      // Not a name DNS can carry: nobody has it.
      finish({ status: 'NXDOMAIN', name, values: [] });
      return { cancel: () => {} };
    }
    const timeoutUs = Math.round(this.dns.timeoutMs * 1000);
    const q: Outstanding = { payload, type, deadlineUs: this.scheduler.nowMicros + timeoutUs, waitUs: FIRST_RETRY_US, timer: null, done };
    this.outstanding.set(id, q);
    if (!this.send(payload)) {
      this.outstanding.delete(id);
      finish({ status: 'SERVFAIL', name, values: [] });
      return { cancel: () => {} };
    }
    this.arm(id, q);
    return {
      cancel: () => {
        q.timer?.cancel();
        this.outstanding.delete(id);
      },
    };
  }

  /** The next retransmission, or the time-out at the deadline. */
  private arm(id: number, q: Outstanding): void {
    const now = this.scheduler.nowMicros;
    const wait = Math.min(q.waitUs, q.deadlineUs - now);
    q.timer = this.scheduler.schedule(wait, () => {
      if (this.outstanding.get(id) !== q) return;
      if (this.scheduler.nowMicros >= q.deadlineUs) {
        this.outstanding.delete(id);
        q.done({ status: 'timeout', name: '', values: [] });
        return;
      }
      q.waitUs *= 2;
      this.send(q.payload);
      this.arm(id, q);
    }, undefined);
  }

  private drain(): void {
    this.draining = false;
    this.event.reset();
    if (this.socket === W.INVALID_SOCKET) return;
    const server = this.dns.serverAddress(this.version);
    for (;;) {
      const buf = new Uint8Array(512);
      const from: { family?: number; address?: string; port?: number } = {};
      const err = { value: 0 };
      const got = { value: 0 };
      const r = this.provider.WSPRecvFrom(this.socket, [{ len: buf.length, buf }], 1, got, { value: 0 }, from, { value: 28 }, null, null, null, err);
      if (r !== 0) {
        // WSAEWOULDBLOCK: drained. WSAEMSGSIZE (an oversized datagram) is dropped like any junk.
        if (err.value === W.WSAEWOULDBLOCK) return;
        this.dropped++;
        if (err.value !== W.WSAEMSGSIZE) return;
        continue;
      }
      const m = parseDnsMessage(buf.subarray(0, got.value));
      const q = m === undefined ? undefined : this.outstanding.get(m.id);
      if (m === undefined || !m.response || q === undefined || from.address !== server || from.port !== 53 || m.question?.type !== q.type) {
        this.dropped++;
        continue;
      }
      this.outstanding.delete(m.id);
      q.timer?.cancel();
      q.done(this.result(m.rcode, m.question?.name ?? '', q.type, m.answers));
    }
  }

  private result(rcode: number, qname: string, type: number, answers: readonly { name: string; type: number; data: Uint8Array }[]): QuestionResult {
    const status: DnsStatus = rcode === RCODE_NOERROR ? 'NOERROR' : rcode === RCODE_NXDOMAIN ? 'NXDOMAIN' : rcode === RCODE_REFUSED ? 'REFUSED'
      : rcode === RCODE_SERVFAIL ? 'SERVFAIL' : 'SERVFAIL';
    const mine = answers.filter((a) => a.type === type);
    const values = mine.map((a) => (type === DNS_TYPE_A ? formatIPv4(a.data) : type === DNS_TYPE_AAAA ? formatIPv6(a.data) : decodeDnsName(a.data) ?? ''));
    return { status, name: mine[0]?.name ?? qname, values };
  }
}

export { DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_PTR };
