/**
 * Issue 13, item 7: the parsers of src/wire take caller values and must never throw on them.
 * A value that is not a real Uint8Array (a Proxy of one, a look-alike with Uint8Array's
 * prototype, another typed array, a DataView, an array of numbers, null, a string, ...) is
 * dropped with the parser's own "dropped" result, counted where drops are counted by reason;
 * a real Uint8Array whose own properties or prototype lie is read by its true bytes, exactly
 * like a clean copy. Address text parsers reject non-strings and over-long text at once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { internetChecksum, pseudoHeaderSum, pseudoHeaderSumV4, pseudoHeaderSumV6, sum16, sumIsValid, sumParts } from '../src/wire/checksum.js';
import { parseEthernet, parseMac } from '../src/wire/ethernet.js';
import { emitIcmpUnreachable, parseIcmp, parseQuoted } from '../src/wire/icmp.js';
import { ipAddressFromBytes, parseIPv4, parseIPv6, parseIpAddress } from '../src/wire/ip.js';
import { parseIpv4, peekIpv4 } from '../src/wire/ipv4.js';
import { parseIpv6, peekIpv6 } from '../src/wire/ipv6.js';
import {
  type WireDatagram, type WireSegment,
  createWireStats, emitIcmpUnreachableFrame, emitTcpFrame, emitTcpPacket, emitUdpFrame, emitUdpPacket, parseFrame,
} from '../src/wire/packet.js';
import { TCP_ACK, TCP_PSH, emitTcpSegment, encodeTcpOptions, parseTcp, parseTcpOptions } from '../src/wire/tcp.js';
import { emitUdpDatagram, parseUdp } from '../src/wire/udp.js';

// ---------- valid inputs ----------

const v4src = Uint8Array.of(10, 0, 0, 1);
const v4dst = Uint8Array.of(10, 0, 0, 2);
const v6src = parseIPv6('fd00::1')!;
const v6dst = parseIPv6('fd00::2')!;
const tcpOptions = { mss: 1460, windowScale: 7, sackPermitted: true, timestamp: { value: 1, echo: 2 } };
const seg4: WireSegment = {
  version: 4, srcAddress: '10.0.0.1', dstAddress: '10.0.0.2', srcPort: 49152, dstPort: 80, seq: 1000, ack: 2000,
  flags: TCP_ACK | TCP_PSH, window: 4096, payload: Uint8Array.of(1, 2, 3, 4, 5),
};
const seg6: WireSegment = { ...seg4, version: 6, srcAddress: 'fd00::1', dstAddress: 'fd00::2' };
const dgram4: WireDatagram = { version: 4, srcAddress: '10.0.0.1', dstAddress: '10.0.0.2', srcPort: 5353, dstPort: 53, payload: Uint8Array.of(0x68, 0x69) };
const dgram6: WireDatagram = { ...dgram4, version: 6, srcAddress: 'fd00::1', dstAddress: 'fd00::2' };

const frames: readonly Uint8Array[] = [
  emitTcpFrame(seg4, { tcpOptions, identification: 7 }),
  emitTcpFrame(seg6, { tcpOptions }),
  emitUdpFrame(dgram4),
  emitUdpFrame(dgram6),
  emitIcmpUnreachableFrame(dgram4, 'port'),
  emitIcmpUnreachableFrame(seg6, 'host'),
];
const tcp4Frame = frames[0]!;
const ip4Packet = emitTcpPacket(seg4, { tcpOptions });
const ip6Packet = emitUdpPacket(dgram6);
const tcpSegment = emitTcpSegment(seg4, v4src, v4dst, { options: tcpOptions });
const udpDatagram = emitUdpDatagram(dgram6, v6src, v6dst);
const icmp6Message = emitIcmpUnreachable(6, 'port', ip6Packet, v6dst, v6src);
const icmp4Message = emitIcmpUnreachable(4, 'host', ip4Packet, v4dst, v4src);
const optionArea = encodeTcpOptions(tcpOptions);

// ---------- hostile containers ----------

const boom = (): never => { throw new Error('hostile trap'); };
const throwingHandler: ProxyHandler<object> = {
  get: boom, set: boom, has: boom, getPrototypeOf: boom, setPrototypeOf: boom, ownKeys: boom, getOwnPropertyDescriptor: boom,
  defineProperty: boom, deleteProperty: boom, isExtensible: boom, preventExtensions: boom, apply: boom, construct: boom,
};
const hostileGetter = { get: boom, configurable: true };

/** A value that is not a real Uint8Array, built around the bytes `b`. */
interface NotBytes { readonly name: string; readonly make: (b: Uint8Array) => unknown }
/** A real Uint8Array holding `b` whose own properties or prototype lie; `empty` when its bytes are gone. */
interface Lying { readonly name: string; readonly make: (b: Uint8Array) => Uint8Array; readonly empty?: boolean }

function lookAlike(b: Uint8Array): unknown {
  const o = Object.create(Uint8Array.prototype) as Record<string, unknown>;
  for (const [key, value] of [['length', b.length], ['byteLength', b.length], ['byteOffset', 0], ['buffer', b.slice().buffer], ['subarray', boom]] as const) {
    Object.defineProperty(o, key, { value });
  }
  b.forEach((x, i) => { o[i] = x; });
  return o;
}

const notBytes: readonly NotBytes[] = [
  { name: 'Proxy of a Uint8Array whose every trap throws', make: (b) => new Proxy(b.slice(), throwingHandler) },
  { name: 'Proxy of a Uint8Array that lies about its length', make: (b) => new Proxy(b.slice(), { get: (t, k) => (k === 'length' || k === 'byteLength' ? 1 << 30 : Reflect.get(t, k)) }) },
  { name: 'Proxy of a Uint8Array whose length trap throws', make: (b) => new Proxy(b.slice(), { get: (t, k) => (k === 'length' ? boom() : Reflect.get(t, k)) }) },
  { name: 'transparent Proxy of a Uint8Array', make: (b) => new Proxy(b.slice(), {}) },
  { name: 'revoked Proxy of a Uint8Array', make: (b) => { const r = Proxy.revocable(b.slice(), {}); r.revoke(); return r.proxy; } },
  { name: 'plain object whose prototype is Uint8Array.prototype', make: () => Object.create(Uint8Array.prototype) },
  { name: 'look-alike with Uint8Array.prototype, own length, buffer and bytes', make: lookAlike },
  { name: 'Uint8ClampedArray', make: (b) => Uint8ClampedArray.from(b) },
  { name: 'Int8Array', make: (b) => Int8Array.from(b) },
  { name: 'Uint16Array', make: (b) => new Uint16Array(b.slice(0, b.length & ~1).buffer) },
  { name: 'DataView', make: (b) => new DataView(b.slice().buffer) },
  { name: 'ArrayBuffer', make: (b) => b.slice().buffer },
  { name: 'array of numbers', make: (b) => Array.from(b) },
  { name: 'Proxy of an array of numbers whose traps throw', make: (b) => new Proxy(Array.from(b), throwingHandler) },
  { name: 'plain object with numeric keys and a length', make: (b) => ({ ...Array.from(b), length: b.length }) },
  { name: 'binary string', make: (b) => String.fromCharCode(...b) },
  { name: 'empty string', make: () => '' },
  { name: 'null', make: () => null },
  { name: 'undefined', make: () => undefined },
  { name: 'number 0', make: () => 0 },
  { name: 'number 60', make: () => 60 },
  { name: 'NaN', make: () => Number.NaN },
  { name: 'bigint', make: () => 10n },
  { name: 'boolean', make: () => true },
  { name: 'symbol', make: () => Symbol('bytes') },
  { name: 'function', make: () => () => 0 },
  { name: 'empty object', make: () => ({}) },
];

class SpeciesThrows extends Uint8Array {
  static get [Symbol.species](): never { return boom(); }
}

function own(b: Uint8Array, props: PropertyDescriptorMap): Uint8Array {
  const u = b.slice();
  Object.defineProperties(u, props);
  return u;
}

const lying: readonly Lying[] = [
  { name: 'Uint8Array with an own length getter that throws', make: (b) => own(b, { length: hostileGetter }) },
  { name: 'Uint8Array with an own length far past its end', make: (b) => own(b, { length: { value: 1 << 30 } }) },
  { name: 'Uint8Array with an own length of 0', make: (b) => own(b, { length: { value: 0 } }) },
  { name: 'Uint8Array with own subarray and slice that throw', make: (b) => own(b, { subarray: { value: boom }, slice: { value: boom } }) },
  { name: 'Uint8Array with an own constructor whose species throws', make: (b) => own(b, { constructor: { value: { [Symbol.species]: boom } } }) },
  { name: 'Uint8Array with an own constructor getter that throws', make: (b) => own(b, { constructor: hostileGetter }) },
  { name: 'Uint8Array with an own buffer and byteOffset that lie', make: (b) => own(b, { buffer: { value: new ArrayBuffer(1) }, byteOffset: { value: 1 << 20 } }) },
  { name: 'Uint8Array with own buffer, byteOffset and byteLength getters that throw', make: (b) => own(b, { buffer: hostileGetter, byteOffset: hostileGetter, byteLength: hostileGetter }) },
  { name: 'Uint8Array with a null prototype', make: (b) => Object.setPrototypeOf(b.slice(), null) as Uint8Array },
  { name: 'Uint8Array whose prototype is a Proxy whose traps throw', make: (b) => Object.setPrototypeOf(b.slice(), new Proxy({}, throwingHandler)) as Uint8Array },
  { name: 'subclass of Uint8Array whose species throws', make: (b) => { const u = new SpeciesThrows(b.length); u.set(b); return u; } },
  { name: 'Node Buffer', make: (b) => Buffer.from(b) },
  { name: 'Uint8Array at an odd offset into a larger buffer', make: (b) => { const big = new Uint8Array(b.length + 9); big.set(b, 5); return big.subarray(5, 5 + b.length); } },
  { name: 'Uint8Array over a SharedArrayBuffer', make: (b) => { const u = new Uint8Array(new SharedArrayBuffer(b.length)); u.set(b); return u; } },
  { name: 'Uint8Array whose buffer was detached', empty: true, make: (b) => { const u = b.slice(); structuredClone(u.buffer, { transfer: [u.buffer] }); return u; } },
];

// ---------- the parsers, with their "dropped" results ----------

type Drop = { readonly kind: 'reason' } | { readonly kind: 'undefined' } | { readonly kind: 'NaN' };
const REASON: Drop = { kind: 'reason' };
const UNDEFINED: Drop = { kind: 'undefined' };
const NAN: Drop = { kind: 'NaN' };

/** One byte argument of one parser: how to call it with that argument replaced, and what a drop returns. */
interface ByteParser {
  readonly name: string;
  readonly valid: Uint8Array;
  readonly call: (x: unknown) => unknown;
  readonly drop: Drop;
}

const as = (x: unknown) => x as Uint8Array;
const byteParsers: readonly ByteParser[] = [
  { name: 'parseEthernet(bytes)', valid: tcp4Frame, call: (x) => parseEthernet(as(x)), drop: REASON },
  { name: 'parseIpv4(bytes)', valid: ip4Packet, call: (x) => parseIpv4(as(x)), drop: REASON },
  { name: 'peekIpv4(bytes)', valid: ip4Packet, call: (x) => peekIpv4(as(x)), drop: UNDEFINED },
  { name: 'parseIpv6(bytes)', valid: ip6Packet, call: (x) => parseIpv6(as(x)), drop: REASON },
  { name: 'peekIpv6(bytes)', valid: ip6Packet, call: (x) => peekIpv6(as(x)), drop: UNDEFINED },
  { name: 'parseTcp(bytes, src, dst)', valid: tcpSegment, call: (x) => parseTcp(as(x), v4src, v4dst), drop: REASON },
  { name: 'parseTcp(segment, src, dst) with src hostile', valid: v4src, call: (x) => parseTcp(tcpSegment, as(x), v4dst), drop: REASON },
  { name: 'parseTcp(segment, src, dst) with dst hostile', valid: v4dst, call: (x) => parseTcp(tcpSegment, v4src, as(x)), drop: REASON },
  { name: 'parseTcpOptions(area)', valid: optionArea, call: (x) => parseTcpOptions(as(x)), drop: UNDEFINED },
  { name: 'parseUdp(bytes, src, dst)', valid: udpDatagram, call: (x) => parseUdp(as(x), v6src, v6dst), drop: REASON },
  { name: 'parseUdp(datagram, src, dst) with src hostile', valid: v6src, call: (x) => parseUdp(udpDatagram, as(x), v6dst), drop: REASON },
  { name: 'parseUdp(datagram, src, dst) with dst hostile', valid: v6dst, call: (x) => parseUdp(udpDatagram, v6src, as(x)), drop: REASON },
  { name: 'parseIcmp(bytes, 4, src, dst)', valid: icmp4Message, call: (x) => parseIcmp(as(x), 4, v4dst, v4src), drop: REASON },
  { name: 'parseIcmp(bytes, 6, src, dst)', valid: icmp6Message, call: (x) => parseIcmp(as(x), 6, v6dst, v6src), drop: REASON },
  { name: 'parseIcmp(message, 6, src, dst) with src hostile', valid: v6dst, call: (x) => parseIcmp(icmp6Message, 6, as(x), v6src), drop: REASON },
  { name: 'parseIcmp(message, 6, src, dst) with dst hostile', valid: v6src, call: (x) => parseIcmp(icmp6Message, 6, v6dst, as(x)), drop: REASON },
  { name: 'parseQuoted(bytes)', valid: ip4Packet, call: (x) => parseQuoted(as(x)), drop: UNDEFINED },
  { name: 'ipAddressFromBytes(4 bytes)', valid: v4src, call: (x) => ipAddressFromBytes(as(x)), drop: UNDEFINED },
  { name: 'ipAddressFromBytes(16 bytes)', valid: v6src, call: (x) => ipAddressFromBytes(as(x)), drop: UNDEFINED },
  { name: 'sum16(data)', valid: tcp4Frame.subarray(1), call: (x) => sum16(as(x)), drop: NAN },
  { name: 'sum16(data, initial)', valid: ip4Packet, call: (x) => sum16(as(x), 0x1234), drop: NAN },
  { name: 'sumParts([odd, part, odd])', valid: ip4Packet, call: (x) => sumParts([Uint8Array.of(1), as(x), Uint8Array.of(3)]), drop: NAN },
  { name: 'internetChecksum([part])', valid: ip4Packet, call: (x) => internetChecksum([as(x)]), drop: NAN },
  { name: 'pseudoHeaderSumV4(src, dst) with src hostile', valid: v4src, call: (x) => pseudoHeaderSumV4(as(x), v4dst, 6, 40), drop: NAN },
  { name: 'pseudoHeaderSumV4(src, dst) with dst hostile', valid: v4dst, call: (x) => pseudoHeaderSumV4(v4src, as(x), 6, 40), drop: NAN },
  { name: 'pseudoHeaderSumV6(src, dst) with src hostile', valid: v6src, call: (x) => pseudoHeaderSumV6(as(x), v6dst, 17, 40), drop: NAN },
  { name: 'pseudoHeaderSumV6(src, dst) with dst hostile', valid: v6dst, call: (x) => pseudoHeaderSumV6(v6src, as(x), 17, 40), drop: NAN },
  { name: 'pseudoHeaderSum(src, dst) with src hostile', valid: v6src, call: (x) => pseudoHeaderSum(as(x), v6dst, 17, 40), drop: NAN },
  { name: 'pseudoHeaderSum(src, dst) with dst hostile', valid: v4dst, call: (x) => pseudoHeaderSum(v4src, as(x), 6, 40), drop: NAN },
];

function assertDropped(drop: Drop, result: unknown, message: string): void {
  if (drop.kind === 'reason') assert.equal(result, 'not-bytes', message);
  else if (drop.kind === 'undefined') assert.equal(result, undefined, message);
  else {
    assert.ok(Number.isNaN(result), `${message}: expected NaN, got ${String(result)}`);
    assert.equal(sumIsValid(result as number), false, `${message}: a NaN sum must never be valid`);
  }
}

/** Runs `fn`, turning a throw into a failure that names the case. */
function noThrow<T>(fn: () => T, message: string): T {
  try {
    return fn();
  } catch (e) {
    assert.fail(`${message}: threw ${e instanceof Error ? e.message : String(e)}`);
  }
}

const seededRuns = { seed: 0x13_07, numRuns: 300 } as const;

// ---------- rules ----------

describe('rule: parseFrame never throws on a value that is not a real Uint8Array; it drops it and counts not-bytes', () => {
  for (const kind of notBytes) {
    test(`parseFrame drops a ${kind.name} as not-bytes, counted once`, () => {
      for (const frame of frames) {
        const stats = createWireStats();
        const result = noThrow(() => parseFrame(as(kind.make(frame)), stats), kind.name);
        assert.equal(result, undefined);
        assert.deepEqual(stats, { parsed: 0, malformed: { 'not-bytes': 1 } });
      }
      // Without stats, too.
      assert.equal(noThrow(() => parseFrame(as(kind.make(tcp4Frame))), kind.name), undefined);
    });
  }
});

describe('rule: parseFrame reads a real Uint8Array by its true bytes, whatever its own properties or prototype say', () => {
  for (const kind of lying) {
    test(`parseFrame on a ${kind.name} gives what a clean copy gives, counted the same`, () => {
      for (const frame of frames) {
        const clean = kind.empty === true ? new Uint8Array(0) : frame.slice();
        const expectedStats = createWireStats();
        const expected = parseFrame(clean, expectedStats);
        const stats = createWireStats();
        const result = noThrow(() => parseFrame(kind.make(frame), stats), kind.name);
        assert.deepEqual(result, expected);
        assert.deepEqual(stats, expectedStats);
        if (kind.empty !== true) assert.equal(stats.parsed, 1, 'a valid frame stays accepted');
      }
    });
  }
});

describe('rule: every exported byte parser in src/wire drops a value that is not a real Uint8Array instead of throwing', () => {
  for (const parser of byteParsers) {
    test(`${parser.name} returns its dropped result (${parser.drop.kind === 'reason' ? "'not-bytes'" : parser.drop.kind}) for every non-byte value`, () => {
      for (const kind of notBytes) {
        const result = noThrow(() => parser.call(kind.make(parser.valid)), `${parser.name} on a ${kind.name}`);
        assertDropped(parser.drop, result, `${parser.name} on a ${kind.name}`);
      }
    });
  }
});

describe('rule: every exported byte parser in src/wire reads a real Uint8Array by its true bytes, never through its own properties', () => {
  for (const parser of byteParsers) {
    test(`${parser.name} on a lying real Uint8Array gives what a clean copy gives`, () => {
      const accepted = parser.call(parser.valid.slice());
      assert.ok(accepted !== undefined && typeof accepted !== 'string' && !Number.isNaN(accepted), `${parser.name} accepts the valid input`);
      for (const kind of lying) {
        const clean = kind.empty === true ? new Uint8Array(0) : parser.valid.slice();
        const result = noThrow(() => parser.call(kind.make(parser.valid)), `${parser.name} on a ${kind.name}`);
        assert.deepEqual(result, parser.call(clean), `${parser.name} on a ${kind.name}`);
      }
    });
  }

  test('views returned by the parsers are plain Uint8Arrays over the caller\'s memory, not built by its constructor', () => {
    const u = new SpeciesThrows(tcp4Frame.length);
    u.set(tcp4Frame);
    const eth = parseEthernet(u);
    assert.ok(typeof eth !== 'string');
    assert.equal(Object.getPrototypeOf(eth.payload), Uint8Array.prototype);
    assert.equal(eth.payload.buffer, u.buffer);
    const ip = parseIpv4(eth.payload);
    assert.ok(typeof ip !== 'string');
    assert.equal(Object.getPrototypeOf(ip.src), Uint8Array.prototype);
  });
});

describe('rule: sumParts and internetChecksum drop a parts list that is not an array of real Uint8Arrays', () => {
  const parts = [ip4Packet, Uint8Array.of(1)];
  const containers: readonly (readonly [string, unknown])[] = [
    ...notBytes.map((k) => [k.name, k.make(ip4Packet)] as const),
    ['Proxy of an array of Uint8Arrays whose traps throw', new Proxy(parts.slice(), throwingHandler)],
    ['Proxy of an array that lies about its length', new Proxy(parts.slice(), { get: (t, k) => (k === 'length' ? 1 << 30 : Reflect.get(t, k)) })],
    ['revoked Proxy of an array', (() => { const r = Proxy.revocable(parts.slice(), {}); r.revoke(); return r.proxy; })()],
    ['array with an element getter that throws', Object.defineProperty(parts.slice(), 0, hostileGetter)],
    ['array holding an Int8Array', [Int8Array.of(1, 2)]],
    ['array holding an array of numbers', [[1, 2, 3]]],
    ['sparse array', new Array(3)],
  ];
  for (const [name, container] of containers) {
    test(`sumParts and internetChecksum give NaN for a ${name}`, () => {
      assertDropped(NAN, noThrow(() => sumParts(container as Uint8Array[]), name), `sumParts(${name})`);
      assertDropped(NAN, noThrow(() => internetChecksum(container as Uint8Array[]), name), `internetChecksum(${name})`);
    });
  }

  test('a transparent Proxy of a real array of real Uint8Arrays is summed like the array', () => {
    assert.equal(sumParts(new Proxy(parts.slice(), {})), sumParts(parts));
  });

  test('a non-number initial sum is dropped as NaN, not thrown', () => {
    for (const initial of [10n, 'x', null, {}, Symbol('s')]) {
      assertDropped(NAN, noThrow(() => sum16(ip4Packet, initial as number), String(typeof initial)), 'sum16 initial');
      assertDropped(NAN, noThrow(() => sumParts([ip4Packet], initial as number), String(typeof initial)), 'sumParts initial');
    }
  });
});

const textParsers: readonly (readonly [string, (x: string) => unknown, string])[] = [
  ['parseIPv4', parseIPv4, '255.255.255.255'],
  ['parseIPv6', parseIPv6, 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255'],
  ['parseIpAddress', parseIpAddress, 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255'],
  ['parseMac', parseMac, '02:00:0a:00:00:01'],
];

describe('rule: address text parsers take only strings', () => {
  for (const [name, parse, valid] of textParsers) {
    test(`${name} returns undefined for every non-string value`, () => {
      assert.notEqual(parse(valid), undefined, `${name} accepts ${valid}`);
      const values: unknown[] = [
        ...notBytes.filter((k) => !k.name.includes('string')).map((k) => k.make(tcp4Frame)),
        ...lying.map((k) => k.make(tcp4Frame)),
        new String(valid), [valid], { toString: () => valid }, new Proxy({}, throwingHandler),
      ];
      for (const x of values) assert.equal(noThrow(() => parse(x as string), name), undefined);
    });
  }
});

describe('rule: address text parsers reject over-long text at once, before splitting or matching', () => {
  test('the longest valid texts are accepted and one character more is not', () => {
    assert.notEqual(parseIPv4('255.255.255.255'), undefined);
    assert.equal(parseIPv4('255.255.255.255 '), undefined);
    assert.notEqual(parseIPv6('ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255'), undefined);
    assert.equal(parseIPv6('ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555'), undefined);
    assert.equal(parseIpAddress('0ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255'), undefined);
    assert.notEqual(parseMac('02-00-0a-00-00-01'), undefined);
    assert.equal(parseMac('02-00-0a-00-00-01-'), undefined);
  });

  // No timing is asserted (timed tests are noise on a shared machine): the length is checked
  // before any split or regex, so each of these calls returns without reading the text; a
  // parser that scanned first would make this test take seconds instead of milliseconds.
  test('50 MB address strings are rejected by their length', () => {
    const mb50 = 50 * 1024 * 1024;
    const huge: readonly (readonly [string, (x: string) => unknown, string])[] = [
      ['parseIPv4', parseIPv4, `1.1.1.${'1'.repeat(mb50)}`],
      ['parseIPv6', parseIPv6, `${'f'.repeat(mb50)}::1`],
      ['parseIpAddress (dotted)', parseIpAddress, `1.1.1.${'1'.repeat(mb50)}`],
      ['parseIpAddress (colons)', parseIpAddress, `1.1.1.${'1'.repeat(mb50)}:`],
      ['parseMac', parseMac, `02:00:0a:00:00:01${'0'.repeat(mb50)}`],
    ];
    for (const [name, parse, text] of huge) {
      assert.ok(text.length > mb50);
      for (let i = 0; i < 20; i++) assert.equal(parse(text), undefined, name);
    }
  });
});

// ---------- property ----------

/** A byte container for the property: a clean copy, a lying real Uint8Array, or a non-byte value. */
type Wrap = { readonly kind: 'clean' } | { readonly kind: 'lying'; readonly which: Lying } | { readonly kind: 'not-bytes'; readonly which: NotBytes };
const wrap: fc.Arbitrary<Wrap> = fc.oneof(
  fc.constant<Wrap>({ kind: 'clean' }),
  fc.constantFrom(...lying).map((which): Wrap => ({ kind: 'lying', which })),
  fc.constantFrom(...notBytes).map((which): Wrap => ({ kind: 'not-bytes', which })),
);
const wrapped = (w: Wrap, b: Uint8Array): unknown => (w.kind === 'clean' ? b.slice() : w.which.make(b));
const cleanOf = (w: Wrap, b: Uint8Array): Uint8Array => (w.kind === 'lying' && w.which.empty === true ? new Uint8Array(0) : b.slice());

/** Every exported byte parser over the layers of a (possibly mutated) frame. */
function layerCalls(f: Uint8Array): readonly (readonly [string, (x: unknown) => unknown, Drop, Uint8Array])[] {
  const ip = f.subarray(Math.min(14, f.length));
  const v4 = f[12] === 0x08;
  const l4 = ip.subarray(Math.min(v4 ? (ip[0]! & 15) * 4 : 40, ip.length));
  const src = v4 ? ip.subarray(12, 16) : ip.subarray(8, 24);
  const dst = v4 ? ip.subarray(16, 20) : ip.subarray(24, 40);
  const version = v4 ? 4 : 6;
  return [
    ['parseEthernet', (x) => parseEthernet(as(x)), REASON, f],
    ['parseIpv4', (x) => parseIpv4(as(x)), REASON, ip],
    ['peekIpv4', (x) => peekIpv4(as(x)), UNDEFINED, ip],
    ['parseIpv6', (x) => parseIpv6(as(x)), REASON, ip],
    ['peekIpv6', (x) => peekIpv6(as(x)), UNDEFINED, ip],
    ['parseQuoted', (x) => parseQuoted(as(x)), UNDEFINED, ip],
    ['parseTcp', (x) => parseTcp(as(x), src, dst), REASON, l4],
    ['parseTcp src', (x) => parseTcp(l4, as(x), dst), REASON, src],
    ['parseTcpOptions', (x) => parseTcpOptions(as(x)), UNDEFINED, l4.subarray(20)],
    ['parseUdp', (x) => parseUdp(as(x), src, dst), REASON, l4],
    ['parseUdp dst', (x) => parseUdp(l4, src, as(x)), REASON, dst],
    ['parseIcmp', (x) => parseIcmp(as(x), version, src, dst), REASON, l4],
    ['parseIcmp src', (x) => parseIcmp(l4, 6, as(x), dst), REASON, src],
    ['sum16', (x) => sum16(as(x)), NAN, f],
    ['sumParts', (x) => sumParts([ip.subarray(0, 1), as(x)]), NAN, l4],
    ['pseudoHeaderSum', (x) => pseudoHeaderSum(as(x), dst, 6, l4.length), NAN, src],
    ['ipAddressFromBytes', (x) => ipAddressFromBytes(as(x)), UNDEFINED, src],
  ];
}

describe('rule: random mutations of valid frames in hostile containers never throw (property, fixed seed)', () => {
  test('parseFrame: mutated frames in any container never throw; non-bytes are counted not-bytes, lying real arrays as their bytes', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: frames.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.integer({ min: 0, max: 8 }),
      wrap,
      (which, edits, cut, w) => {
        const base = frames[which]!;
        const f = base.slice(0, base.length - cut);
        for (const [at, value] of edits) f[at % f.length] = value;
        const expectedStats = createWireStats();
        const expected = parseFrame(cleanOf(w, f), expectedStats);
        const stats = createWireStats();
        const result = parseFrame(as(wrapped(w, f)), stats);
        if (w.kind === 'not-bytes') {
          assert.equal(result, undefined);
          assert.deepEqual(stats, { parsed: 0, malformed: { 'not-bytes': 1 } });
        } else {
          assert.deepEqual(result, expected);
          assert.deepEqual(stats, expectedStats);
        }
      },
    ), seededRuns);
  });

  test('every layer parser: mutated layers in any container never throw; non-bytes are dropped, lying real arrays read as their bytes', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: frames.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      wrap,
      (which, edits, w) => {
        const f = frames[which]!.slice();
        for (const [at, value] of edits) f[at % f.length] = value;
        for (const [name, call, drop, bytes] of layerCalls(f)) {
          const result = call(wrapped(w, bytes));
          if (w.kind === 'not-bytes') assertDropped(drop, result, name);
          else assert.deepEqual(result, call(cleanOf(w, bytes)), name);
        }
      },
    ), seededRuns);
  });
});
