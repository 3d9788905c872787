import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatMac, macForAddress, macForHost, parseMac } from '../src/wire/ethernet.js';
import { PCAP_SNAPLEN, pcapFileHeader, pcapRecord } from '../src/wire/pcap.js';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16));

describe('wire/pcap', () => {
  test('file header: little-endian magic a1b2c3d4, v2.4, zone 0, sigfigs 0, snaplen 262144, Ethernet', () => {
    assert.deepEqual(pcapFileHeader(), hex('d4c3b2a1 0200 0400 00000000 00000000 00000400 01000000'));
  });

  test('record: seconds and microseconds from virtual microseconds, lengths, then the frame', () => {
    const frame = Uint8Array.of(1, 2, 3, 4, 5);
    assert.deepEqual(pcapRecord(1_234_567_890, frame), hex('d2040000 52aa0800 05000000 05000000 0102030405'));
    assert.deepEqual(pcapRecord(999_999, frame).subarray(0, 8), hex('00000000 3f420f00'));
  });

  test('record: negative, fractional and non-finite times are clamped, never thrown', () => {
    const frame = Uint8Array.of(9);
    assert.deepEqual(pcapRecord(-5, frame).subarray(0, 8), new Uint8Array(8));
    assert.deepEqual(pcapRecord(Number.NaN, frame).subarray(0, 8), new Uint8Array(8));
    assert.deepEqual(pcapRecord(1_000_000.9, frame).subarray(0, 8), hex('01000000 00000000'));
  });

  test('record: a frame longer than the snaplen is cut, with its original length kept', () => {
    const rec = pcapRecord(0, new Uint8Array(PCAP_SNAPLEN + 10));
    const v = new DataView(rec.buffer);
    assert.equal(v.getUint32(8, true), PCAP_SNAPLEN);
    assert.equal(v.getUint32(12, true), PCAP_SNAPLEN + 10);
    assert.equal(rec.length, 16 + PCAP_SNAPLEN);
  });
});

describe('wire/ethernet MACs', () => {
  test('host MACs are deterministic, locally administered and unicast', () => {
    assert.equal(formatMac(macForHost(0x1234)), '02:00:00:00:12:34');
    assert.equal(formatMac(macForHost(7)), '02:00:00:00:00:07');
    for (const i of [0, 1, 255, 65535]) {
      const mac = macForHost(i);
      assert.equal(mac[0]! & 0x02, 0x02);
      assert.equal(mac[0]! & 0x01, 0);
    }
    assert.equal(formatMac(macForAddress(Uint8Array.of(10, 0, 0, 1))), '02:00:0a:00:00:01');
  });

  test('MAC text round-trips and rejects junk', () => {
    assert.deepEqual(parseMac('02:00:0A:00:00:01'), Uint8Array.of(2, 0, 10, 0, 0, 1));
    assert.deepEqual(parseMac('02-00-0a-00-00-01'), Uint8Array.of(2, 0, 10, 0, 0, 1));
    for (const bad of ['', '02:00:0a:00:00', '02:00:0a:00:00:01:02', 'zz:00:00:00:00:00', '2:0:a:0:0:1']) assert.equal(parseMac(bad), undefined, bad);
  });
});
