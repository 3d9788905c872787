import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatIPv4, formatIPv6 } from '../src/wire/ip.js';
import { ICMP4_MAX_QUOTE, ICMP6_MAX_QUOTE } from '../src/wire/icmp.js';
import {
  type ParsedFrame, type WireDatagram, type WireSegment, type WireStats,
  createWireStats, emitIcmpUnreachableFrame, emitTcpFrame, emitUdpFrame, parseFrame,
} from '../src/wire/packet.js';
import { type TcpOptions, TCP_ACK, TCP_SYN } from '../src/wire/tcp.js';

// ---------- independent helpers (deliberately not using src/wire/checksum.ts) ----------

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16));
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);

/** Reference checksum: total of all words reduced modulo 0xffff, then complemented. */
function refChecksum(...chunks: Uint8Array[]): number {
  const all = chunks.flatMap((c) => [...c]);
  if (all.length % 2 === 1) all.push(0);
  let total = 0;
  for (let i = 0; i < all.length; i += 2) total += all[i]! * 256 + all[i + 1]!;
  return 0xffff - (total === 0 ? 0 : ((total - 1) % 0xffff) + 1);
}

function pseudo(src: Uint8Array, dst: Uint8Array, proto: number, len: number): Uint8Array {
  return src.length === 4 ? cat(src, dst, Uint8Array.of(0, proto), u16(len)) : cat(src, dst, Uint8Array.of(0, 0), u16(len), Uint8Array.of(0, 0, 0, proto));
}

/** Recomputes the IP header checksum and the transport checksum of a frame with the reference sum. */
function refix(frame: Uint8Array): Uint8Array {
  const f = frame.slice();
  let src: Uint8Array, dst: Uint8Array, proto: number, l4: number, end: number;
  if (f[12] === 0x08) {
    const ihl = (f[14]! & 15) * 4;
    if (f.length < 34) return f;
    f[24] = 0; f[25] = 0;
    f.set(u16(refChecksum(f.subarray(14, 14 + ihl))), 24);
    [src, dst, proto, l4, end] = [f.slice(26, 30), f.slice(30, 34), f[23]!, 14 + ihl, Math.min(f.length, 14 + ((f[16]! << 8) | f[17]!))];
  } else {
    if (f.length < 54) return f;
    [src, dst, proto, l4, end] = [f.slice(22, 38), f.slice(38, 54), f[20]!, 54, Math.min(f.length, 54 + ((f[18]! << 8) | f[19]!))];
  }
  const field = ({ 6: 16, 17: 6, 1: 2, 58: 2 } as Record<number, number>)[proto];
  if (field === undefined) return f;
  const at = l4 + field;
  if (at + 2 > f.length || l4 > end) return f;
  if (proto === 17) end = Math.min(end, l4 + ((f[l4 + 4]! << 8) | f[l4 + 5]!));
  f[at] = 0; f[at + 1] = 0;
  const body = f.subarray(l4, end);
  let c = proto === 1 ? refChecksum(body) : refChecksum(pseudo(src, dst, proto, body.length), body);
  if (proto === 17 && c === 0) c = 0xffff;
  f.set(u16(c), at);
  return f;
}

const v4a = Uint8Array.of(10, 0, 0, 1);
const v4b = Uint8Array.of(10, 0, 0, 2);
const v6a = hex('fd00 0000 0000 0000 0000 0000 0000 0001');
const v6b = hex('fd00 0000 0000 0000 0000 0000 0000 0002');
const zero = (b: Uint8Array, at: number) => { const c = b.slice(); c[at] = 0; c[at + 1] = 0; return c; };

// ---------- hand-built fixtures ----------

const syn4Seg: WireSegment = {
  version: 4, srcAddress: '10.0.0.1', dstAddress: '10.0.0.2', srcPort: 49152, dstPort: 80, seq: 0x12345678, ack: 0, flags: TCP_SYN, window: 64240, payload: null,
};
const syn4Ip = hex('4500 002c 0000 4000 4006 26ca 0a000001 0a000002');
const syn4Tcp = hex('c000 0050 12345678 00000000 6002 faf0 6036 0000 020405b4');
const syn4 = cat(hex('02000a000002 02000a000001 0800'), syn4Ip, syn4Tcp);

const synAck6Seg: WireSegment = {
  version: 6, srcAddress: 'fd00::1', dstAddress: 'fd00::2', srcPort: 80, dstPort: 49152, seq: 100, ack: 0x12345679, flags: TCP_SYN | TCP_ACK, window: 65535, payload: null,
};
const synAck6Tcp = hex('0050 c000 00000064 12345679 7012 ffff 60b6 0000 020405a0 01030307');
const synAck6 = cat(hex('020000000002 020000000001 86dd'), hex('60000000 001c 06 40'), v6a, v6b, synAck6Tcp);

const udp4Dgram: WireDatagram = { version: 4, srcAddress: '10.0.0.1', dstAddress: '10.0.0.2', srcPort: 54321, dstPort: 53, payload: Uint8Array.of(0x68, 0x69, 0x21) };
const udp4Ip = hex('4500 001f 0007 4000 4011 26c5 0a000001 0a000002');
const udp4Udp = hex('d431 0035 000b 8e05 686921');
const udp4 = cat(hex('02000a000002 02000a000001 0800'), udp4Ip, udp4Udp);

const udp6Dgram: WireDatagram = { ...udp4Dgram, version: 6, srcAddress: 'fd00::1', dstAddress: 'fd00::2' };
const udp6Ip = cat(hex('60000000 000b 11 40'), v6a, v6b);
const udp6Udp = hex('d431 0035 000b a803 686921');
const udp6 = cat(hex('020000000002 020000000001 86dd'), udp6Ip, udp6Udp);

const icmp4Ip = hex('4500 003b 0009 4000 4001 26b7 0a000002 0a000001');
const icmp4Msg = cat(hex('03 03 111c 00000000'), udp4Ip, udp4Udp);
const icmp4 = cat(hex('02000a000001 02000a000002 0800'), icmp4Ip, icmp4Msg);

const icmp6Msg = cat(hex('01 04 9352 00000000'), udp6Ip, udp6Udp);
const icmp6 = cat(hex('020000000001 020000000002 86dd'), hex('60000000 003b 3a 40'), v6b, v6a, icmp6Msg);

const fixtures: Record<string, Uint8Array> = { syn4, synAck6, udp4, udp6, icmp4, icmp6 };

function dropped(frame: Uint8Array, reason: string): void {
  const stats = createWireStats();
  assert.equal(parseFrame(frame, stats), undefined, `expected a drop for ${reason}`);
  assert.deepEqual(stats, { parsed: 0, malformed: { [reason]: 1 } });
}

function accepted(frame: Uint8Array): ParsedFrame {
  const stats: WireStats = createWireStats();
  const p = parseFrame(frame, stats);
  assert.ok(p !== undefined, `dropped: ${JSON.stringify(stats.malformed)}`);
  assert.deepEqual(stats, { parsed: 1, malformed: {} });
  return p;
}

describe('wire/packet fixtures', () => {
  test('IPv4 TCP SYN with MSS: emitted bytes equal a hand-built frame whose checksums match an independent sum', () => {
    assert.equal(refChecksum(zero(syn4Ip, 10)), 0x26ca);
    assert.equal(refChecksum(pseudo(v4a, v4b, 6, syn4Tcp.length), zero(syn4Tcp, 16)), 0x6036);
    assert.deepEqual(emitTcpFrame(syn4Seg, { tcpOptions: { mss: 1460 } }), syn4);
    const p = accepted(syn4);
    assert.ok(p.kind === 'tcp');
    assert.deepEqual(p.segment, syn4Seg);
    assert.deepEqual(p.options, { mss: 1460 });
    assert.deepEqual(p.ip, { version: 4, srcAddress: '10.0.0.1', dstAddress: '10.0.0.2', protocol: 6, ttl: 64, identification: 0 });
    assert.equal(p.srcMac, '02:00:0a:00:00:01');
  });

  test('IPv6 TCP SYN-ACK with MSS and window scale matches a hand-built frame', () => {
    assert.equal(refChecksum(pseudo(v6a, v6b, 6, synAck6Tcp.length), zero(synAck6Tcp, 16)), 0x60b6);
    assert.deepEqual(emitTcpFrame(synAck6Seg, { tcpOptions: { mss: 1440, windowScale: 7 } }), synAck6);
    const p = accepted(synAck6);
    assert.ok(p.kind === 'tcp');
    assert.deepEqual(p.segment, synAck6Seg);
    assert.deepEqual(p.options, { mss: 1440, windowScale: 7 });
    assert.equal(p.ip.ttl, 64);
  });

  test('UDP over IPv4 and IPv6 matches hand-built frames', () => {
    assert.equal(refChecksum(zero(udp4Ip, 10)), 0x26c5);
    assert.equal(refChecksum(pseudo(v4a, v4b, 17, 11), zero(udp4Udp, 6)), 0x8e05);
    assert.equal(refChecksum(pseudo(v6a, v6b, 17, 11), zero(udp6Udp, 6)), 0xa803);
    assert.deepEqual(emitUdpFrame(udp4Dgram, { identification: 7 }), udp4);
    assert.deepEqual(emitUdpFrame(udp6Dgram), udp6);
    for (const [frame, d] of [[udp4, udp4Dgram], [udp6, udp6Dgram]] as const) {
      const p = accepted(frame);
      assert.ok(p.kind === 'udp');
      assert.deepEqual(p.datagram, d);
    }
  });

  test('ICMP port unreachable over IPv4 quotes the datagram and matches a hand-built frame', () => {
    assert.equal(refChecksum(zero(icmp4Ip, 10)), 0x26b7);
    assert.equal(refChecksum(zero(icmp4Msg, 2)), 0x111c);
    assert.deepEqual(emitIcmpUnreachableFrame(udp4Dgram, 'port', { identification: 9, originalIdentification: 7 }), icmp4);
    const p = accepted(icmp4);
    assert.ok(p.kind === 'icmp');
    assert.deepEqual([p.icmp.type, p.icmp.code], [3, 3]);
    assert.deepEqual(p.icmp.original, { version: 4, srcAddress: '10.0.0.1', dstAddress: '10.0.0.2', protocol: 17, srcPort: 54321, dstPort: 53 });
  });

  test('ICMPv6 port unreachable uses the pseudo-header and matches a hand-built frame', () => {
    assert.equal(refChecksum(pseudo(v6b, v6a, 58, icmp6Msg.length), zero(icmp6Msg, 2)), 0x9352);
    assert.deepEqual(emitIcmpUnreachableFrame(udp6Dgram, 'port'), icmp6);
    const p = accepted(icmp6);
    assert.ok(p.kind === 'icmp');
    assert.deepEqual([p.icmp.type, p.icmp.code], [1, 4]);
    assert.deepEqual(p.icmp.original, { version: 6, srcAddress: 'fd00::1', dstAddress: 'fd00::2', protocol: 17, srcPort: 54321, dstPort: 53 });
  });

  test('host unreachable codes (1 for IPv4, 3 for IPv6) and a quoted TCP segment yields its sequence number', () => {
    for (const [seg, code] of [[syn4Seg, 1], [synAck6Seg, 3]] as const) {
      const p = accepted(emitIcmpUnreachableFrame(seg, 'host', { srcAddress: seg.version === 4 ? '10.9.9.9' : 'fd00::99' }));
      assert.ok(p.kind === 'icmp');
      assert.equal(p.icmp.code, code);
      assert.equal(p.ip.srcAddress, seg.version === 4 ? '10.9.9.9' : 'fd00::99');
      assert.deepEqual(p.icmp.original, { version: seg.version, srcAddress: seg.srcAddress, dstAddress: seg.dstAddress, protocol: 6, srcPort: seg.srcPort, dstPort: seg.dstPort, seq: seg.seq });
    }
  });

  test('ICMP quotes are capped: 576-byte IPv4 datagrams and 1280-byte IPv6 packets', () => {
    const big = new Uint8Array(3000).fill(0xab);
    const f4 = emitIcmpUnreachableFrame({ ...udp4Dgram, payload: big }, 'port');
    assert.equal(f4.length, 14 + 576);
    assert.equal(f4.length - 14 - 20 - 8, ICMP4_MAX_QUOTE);
    const f6 = emitIcmpUnreachableFrame({ ...udp6Dgram, payload: big }, 'port');
    assert.equal(f6.length, 14 + 1280);
    assert.equal(f6.length - 14 - 40 - 8, ICMP6_MAX_QUOTE);
    for (const f of [f4, f6]) {
      const p = accepted(f);
      assert.ok(p.kind === 'icmp' && p.icmp.original?.dstPort === 53);
    }
  });

  test('Ethernet padding after the IP packet is ignored', () => {
    const padded = cat(udp4, new Uint8Array(60 - udp4.length));
    const p = accepted(padded);
    assert.ok(p.kind === 'udp');
    assert.deepEqual(p.datagram, udp4Dgram);
  });

  test('IPv4 options are skipped', () => {
    const withOptions = cat(udp4.subarray(0, 14), hex('4600 0023'), udp4.subarray(18, 34), hex('01010100'), udp4.subarray(34));
    const p = accepted(refix(withOptions));
    assert.ok(p.kind === 'udp');
    assert.deepEqual(p.datagram, udp4Dgram);
  });

  test('unknown TCP options are skipped by length and End of Option List ends the scan', () => {
    const base = syn4.subarray(0, 54);
    const withUnknown = cat(base.subarray(0, 14), hex('4500 0030'), base.subarray(18, 46), hex('70'), base.subarray(47), hex('1e04aabb 020405b4'));
    const p = accepted(refix(withUnknown));
    assert.ok(p.kind === 'tcp');
    assert.deepEqual(p.options, { mss: 1460 });
    const withEnd = cat(base.subarray(0, 14), hex('4500 0030'), base.subarray(18, 46), hex('70'), base.subarray(47), hex('020405b4 00ff0000'));
    const q = accepted(refix(withEnd));
    assert.ok(q.kind === 'tcp');
    assert.deepEqual(q.options, { mss: 1460 });
  });

  test('UDP bytes past the UDP length are ignored; a zero checksum is accepted over IPv4 only', () => {
    const short = udp4.slice();
    short[34 + 5] = 9;
    const p = accepted(refix(short));
    assert.ok(p.kind === 'udp');
    assert.deepEqual(p.datagram.payload, Uint8Array.of(0x68));
    const noSum4 = udp4.slice();
    noSum4.set([0, 0], 34 + 6);
    assert.ok(accepted(noSum4).kind === 'udp');
    const noSum6 = udp6.slice();
    noSum6.set([0, 0], 54 + 6);
    dropped(noSum6, 'udp-checksum-missing');
  });
});

describe('wire/packet drops', () => {
  test('every proper prefix of every fixture is dropped and counted, never thrown', () => {
    for (const [name, frame] of Object.entries(fixtures)) {
      const stats = createWireStats();
      for (let n = 0; n < frame.length; n++) assert.equal(parseFrame(frame.subarray(0, n), stats), undefined, `${name}[0..${n})`);
      const counted = Object.values(stats.malformed).reduce((a, b) => a + b, 0);
      assert.equal(counted, frame.length, name);
      assert.equal(stats.parsed, 0);
    }
  });

  test('impossible IPv4 lengths: IHL < 5, total length past the buffer or inside the header', () => {
    const set = (at: number, bytes: number[]) => { const f = syn4.slice(); f.set(bytes, at); return refix(f); };
    dropped(set(14, [0x44]), 'ipv4-header-length');
    dropped(set(14, [0x4f]), 'ipv4-header-length');
    dropped(set(16, [0x00, 0x2d]), 'ipv4-total-length');
    dropped(set(16, [0x00, 0x13]), 'ipv4-total-length');
    dropped(set(14, [0x65]), 'ipv4-version');
  });

  test('IPv4 fragments (MF set or a non-zero offset) are dropped as unsupported', () => {
    const set = (bytes: number[]) => { const f = syn4.slice(); f.set(bytes, 20); return refix(f); };
    dropped(set([0x20, 0x00]), 'ipv4-fragment');
    dropped(set([0x00, 0x10]), 'ipv4-fragment');
  });

  test('impossible IPv6 payload length and extension headers are dropped', () => {
    const f = synAck6.slice();
    f.set([0x00, 0x1d], 18);
    dropped(f, 'ipv6-payload-length');
    for (const nh of [0, 43, 44, 60]) {
      const g = synAck6.slice();
      g[20] = nh;
      dropped(g, 'ipv6-extension-header');
    }
  });

  test('impossible TCP data offsets (below 5, past the segment) are dropped', () => {
    for (const doff of [0x00, 0x40, 0x70, 0xf0]) {
      const f = syn4.slice();
      f[34 + 12] = doff;
      dropped(refix(f), 'tcp-data-offset');
    }
  });

  test('TCP option lengths 0 or 1, past the header, missing, or wrong for the kind are dropped', () => {
    for (const options of ['02000000', '02010000', '1e050000', '01010102', '02030000', '03020000', '080a0000', '05060000']) {
      const f = syn4.slice();
      f.set(hex(options), 54);
      dropped(refix(f), 'tcp-option-length');
    }
  });

  test('UDP length above the bytes present or below 8 is dropped', () => {
    for (const len of [12, 7, 0]) {
      const f = udp4.slice();
      f.set(u16(len), 34 + 4);
      dropped(refix(f), 'udp-length');
    }
  });

  test('corrupted checksums at every layer are dropped and counted', () => {
    const flip = (frame: Uint8Array, at: number) => { const f = frame.slice(); f[at]! ^= 0x01; return f; };
    dropped(flip(syn4, 24), 'ipv4-checksum');
    dropped(flip(syn4, 50), 'tcp-checksum');
    dropped(flip(synAck6, 70), 'tcp-checksum');
    dropped(flip(udp4, 40), 'udp-checksum');
    dropped(flip(udp6, 62), 'udp-checksum');
    dropped(flip(icmp4, 36), 'icmp-checksum');
    dropped(flip(icmp6, 56), 'icmp-checksum');
  });

  test('a single flipped bit in any checksummed byte is never accepted', () => {
    // IPv6 has no header checksum: traffic class, flow label and hop limit are not covered.
    const uncovered = (v6: boolean, byte: number, bit: number) => v6 && ((byte === 14 && bit < 4) || (byte >= 15 && byte <= 17) || byte === 21);
    for (const [name, frame] of Object.entries(fixtures)) {
      const v6 = frame[12] === 0x86;
      for (let byte = 14; byte < frame.length; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          if (uncovered(v6, byte, bit)) continue;
          const f = frame.slice();
          f[byte]! ^= 1 << bit;
          assert.equal(parseFrame(f), undefined, `${name} byte ${byte} bit ${bit}`);
        }
      }
    }
  });

  test('link types other than IPv4/IPv6, short frames, and unsupported protocols are dropped', () => {
    dropped(new Uint8Array(13), 'ethernet-truncated');
    const arp = udp4.slice();
    arp.set([0x08, 0x06], 12);
    dropped(arp, 'ethernet-type');
    const g = udp4.slice(); g[23] = 2; g[24] = 0; g[25] = 0; g.set(u16(refChecksum(g.subarray(14, 34))), 24);
    dropped(g, 'ip-protocol');
    const icmp6Over4 = udp4.slice(); icmp6Over4[23] = 58; icmp6Over4[24] = 0; icmp6Over4[25] = 0;
    icmp6Over4.set(u16(refChecksum(icmp6Over4.subarray(14, 34))), 24);
    dropped(icmp6Over4, 'ip-protocol');
    const v6in4 = cat(udp6.subarray(0, 12), hex('0800'), udp6.subarray(14));
    dropped(v6in4, 'ipv4-version');
  });

  test('parseFrame without stats still drops quietly; non-byte input is dropped, not thrown', () => {
    assert.equal(parseFrame(new Uint8Array(0)), undefined);
    const stats = createWireStats();
    assert.equal(parseFrame('nope' as unknown as Uint8Array, stats), undefined);
    assert.deepEqual(stats.malformed, { 'not-bytes': 1 });
  });
});

// ---------- properties ----------

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const port = fc.integer({ min: 0, max: 0xffff });
const addressPair: fc.Arbitrary<readonly [4 | 6, string, string]> = fc.oneof(
  fc.tuple(fc.constant(4 as const), fc.uint8Array({ minLength: 4, maxLength: 4 }).map(formatIPv4), fc.uint8Array({ minLength: 4, maxLength: 4 }).map(formatIPv4)),
  fc.tuple(fc.constant(6 as const), fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIPv6), fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIPv6)),
);
const tcpOptions: fc.Arbitrary<TcpOptions> = fc.record({
  mss: port,
  windowScale: fc.integer({ min: 0, max: 14 }),
  sackPermitted: fc.constant(true),
  sack: fc.array(fc.record({ left: u32, right: u32 }, { noNullPrototype: true }), { minLength: 1, maxLength: 2 }),
  timestamp: fc.record({ value: u32, echo: u32 }, { noNullPrototype: true }),
}, { requiredKeys: [], noNullPrototype: true });

const segment: fc.Arbitrary<WireSegment> = fc.record({
  addrs: addressPair, srcPort: port, dstPort: port, seq: u32, ack: u32,
  flags: fc.integer({ min: 0, max: 0xff }), window: port,
  payload: fc.option(fc.uint8Array({ minLength: 1, maxLength: 2000 }), { nil: null }),
}).map(({ addrs: [version, srcAddress, dstAddress], ...rest }) => ({ version, srcAddress, dstAddress, ...rest }));

const datagram: fc.Arbitrary<WireDatagram> = fc.record({ addrs: addressPair, srcPort: port, dstPort: port, payload: fc.uint8Array({ maxLength: 2000 }) })
  .map(({ addrs: [version, srcAddress, dstAddress], ...rest }) => ({ version, srcAddress, dstAddress, ...rest }));

describe('wire/packet properties', () => {
  test('random segments with random options, identification and TTL round-trip exactly', () => {
    fc.assert(fc.property(segment, tcpOptions, fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 255 }), port, (seg, options, identification, ttl, urgentPointer) => {
      const p = accepted(emitTcpFrame(seg, { tcpOptions: options, identification, ttl, urgentPointer }));
      assert.ok(p.kind === 'tcp');
      assert.deepEqual(p.segment, seg);
      assert.deepEqual(p.options, options);
      assert.equal(p.urgentPointer, urgentPointer);
      assert.deepEqual(p.ip, { version: seg.version, srcAddress: seg.srcAddress, dstAddress: seg.dstAddress, protocol: 6, ttl, identification: seg.version === 4 ? identification : 0 });
    }), { numRuns: 300 });
  });

  test('SACK blocks that do not fit the 40 option bytes are left out, the first ones kept', () => {
    fc.assert(fc.property(segment, fc.array(fc.record({ left: u32, right: u32 }, { noNullPrototype: true }), { minLength: 1, maxLength: 6 }), fc.boolean(), (seg, sack, withTs) => {
      const options: TcpOptions = withTs ? { sack, timestamp: { value: 1, echo: 2 } } : { sack };
      const p = accepted(emitTcpFrame(seg, { tcpOptions: options }));
      assert.ok(p.kind === 'tcp');
      assert.deepEqual(p.options.sack, sack.slice(0, withTs ? 3 : 4));
    }), { numRuns: 100 });
  });

  test('random datagrams round-trip exactly over both versions', () => {
    fc.assert(fc.property(datagram, (d) => {
      const p = accepted(emitUdpFrame(d));
      assert.ok(p.kind === 'udp');
      assert.deepEqual(p.datagram, d);
    }), { numRuns: 300 });
  });

  test('ICMP unreachable about random segments and datagrams names their addresses and ports', () => {
    fc.assert(fc.property(fc.oneof(segment, datagram), fc.constantFrom('host' as const, 'port' as const), (original, kind) => {
      const p = accepted(emitIcmpUnreachableFrame(original, kind));
      assert.ok(p.kind === 'icmp');
      assert.equal(p.ip.srcAddress, original.dstAddress);
      assert.equal(p.ip.dstAddress, original.srcAddress);
      assert.equal(p.icmp.original?.srcPort, original.srcPort);
      assert.equal(p.icmp.original?.dstPort, original.dstPort);
      assert.equal(p.icmp.original?.srcAddress, original.srcAddress);
    }), { numRuns: 200 });
  });

  test('random byte strings never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      parseFrame(bytes, createWireStats());
    }), { numRuns: 2000 });
  });

  test('random bytes behind valid Ethernet headers never throw, and are counted exactly once', () => {
    fc.assert(fc.property(fc.constantFrom(0x0800, 0x86dd), fc.uint8Array({ maxLength: 200 }), (type, body) => {
      const stats = createWireStats();
      const p = parseFrame(cat(new Uint8Array(12), u16(type), body), stats);
      const drops = Object.values(stats.malformed).reduce((a, b) => a + b, 0);
      assert.equal(stats.parsed + drops, 1);
      assert.equal(p === undefined, drops === 1);
    }), { numRuns: 2000 });
  });

  test('random TCP option bytes under valid checksums never throw', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 }), fc.uint8Array({ maxLength: 40 }), fc.boolean(), (words, junk, v6) => {
      const area = new Uint8Array(words * 4);
      area.set(junk.subarray(0, area.length));
      const base = v6 ? synAck6 : syn4;
      const l4 = v6 ? 54 : 34;
      const tcp = cat(base.subarray(l4, l4 + 20), area);
      tcp[12] = (5 + words) << 4;
      const ip = v6 ? cat(base.subarray(14, 18), u16(tcp.length), base.subarray(20, 54)) : cat(hex('4500'), u16(20 + tcp.length), base.subarray(18, 34));
      const frame = refix(cat(base.subarray(0, 14), ip, tcp));
      const stats = createWireStats();
      const p = parseFrame(frame, stats);
      if (p === undefined) assert.deepEqual(stats.malformed, { 'tcp-option-length': 1 });
    }), { numRuns: 2000 });
  });

  test('random mutations of valid frames never throw', () => {
    const frames = Object.values(fixtures);
    fc.assert(fc.property(fc.integer({ min: 0, max: frames.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.boolean(), (which, edits, fix) => {
      const f = frames[which]!.slice();
      for (const [at, value] of edits) f[at % f.length] = value;
      parseFrame(fix ? refix(f) : f, createWireStats());
    }), { numRuns: 2000 });
  });
});
