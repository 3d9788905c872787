import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  formatIPv6, ipAddressFromBytes, isLoopback, isUnspecified, parseIPv4, parseIPv6, parseIpAddress,
} from '../src/wire/ip.js';

describe('wire/ip', () => {
  test('IPv4 text: four decimal octets, nothing else', () => {
    assert.deepEqual([...parseIPv4('10.0.0.1')!], [10, 0, 0, 1]);
    assert.deepEqual([...parseIPv4('255.255.255.255')!], [255, 255, 255, 255]);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.-4', ' 1.2.3.4', '1..2.3', 'a.b.c.d', '1.2.3.4 ']) {
      assert.equal(parseIPv4(bad), undefined, bad);
    }
  });

  test('IPv6 text: compression, embedded IPv4, and rejects', () => {
    assert.equal(parseIpAddress('FD00:0:0:0:0:0:0:1')!.text, 'fd00::1');
    assert.equal(parseIpAddress('::')!.text, '::');
    assert.equal(parseIpAddress('::1')!.text, '::1');
    assert.equal(parseIpAddress('::ffff:10.0.0.1')!.text, '::ffff:10.0.0.1');
    assert.equal(parseIpAddress('64:ff9b::192.0.2.33')!.text, '64:ff9b::c000:221');
    for (const bad of [':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::', '::1.2.3.4:5', '1:2:3:4:5:6:7::8', 'fe80::1%1']) {
      assert.equal(parseIPv6(bad), undefined, bad);
    }
  });

  test('RFC 5952: lower case, the longest zero run compressed (the first on a tie), no lone zero group compressed', () => {
    assert.equal(parseIpAddress('2001:db8:0:0:1:0:0:1')!.text, '2001:db8::1:0:0:1');
    assert.equal(parseIpAddress('2001:db8:0:1:1:1:1:1')!.text, '2001:db8:0:1:1:1:1:1');
    assert.equal(parseIpAddress('2001:0:0:1:0:0:0:1')!.text, '2001:0:0:1::1');
    assert.equal(parseIpAddress('1:0:0:0:0:0:0:0')!.text, '1::');
  });

  test('classification', () => {
    assert.ok(isUnspecified(parseIpAddress('0.0.0.0')!));
    assert.ok(isUnspecified(parseIpAddress('::')!));
    assert.ok(isLoopback(parseIpAddress('127.9.9.9')!));
    assert.ok(isLoopback(parseIpAddress('::1')!));
    assert.ok(!isLoopback(parseIpAddress('::2')!));
    assert.equal(ipAddressFromBytes(new Uint8Array(5)), undefined);
  });

  test('property: text → bytes → text is a fixed point, and never throws on any string', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      const text = formatIPv6(bytes);
      assert.deepEqual(parseIPv6(text), bytes);
    }));
    fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
      assert.deepEqual(parseIpAddress(ipAddressFromBytes(bytes)!.text)!.bytes, bytes);
    }));
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdef:.%'.split('')) }), (s) => {
      const a = parseIpAddress(s);
      if (a !== undefined) assert.equal(parseIpAddress(a.text)!.text, a.text);
    }));
  });
});
