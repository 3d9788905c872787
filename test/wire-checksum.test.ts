import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  checksumFromSum, foldSum, internetChecksum, pseudoHeaderSum, pseudoHeaderSumV4, pseudoHeaderSumV6, sum16, sumIsValid, sumParts,
} from '../src/wire/checksum.js';

/** Reference: plain sum of big-endian words, reduced modulo 0xffff (ones'-complement arithmetic). */
function referenceChecksum(bytes: readonly number[]): number {
  const all = [...bytes];
  if (all.length % 2 === 1) all.push(0);
  let total = 0;
  for (let i = 0; i < all.length; i += 2) total += all[i]! * 256 + all[i + 1]!;
  const folded = total === 0 ? 0 : ((total - 1) % 0xffff) + 1;
  return 0xffff - folded;
}

describe('wire/checksum', () => {
  test('RFC 1071 §3 worked example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2', () => {
    const data = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    assert.equal(sum16(data), 0xddf2);
    assert.equal(internetChecksum([data]), 0x220d);
  });

  test('folding adds carries back in, however large the accumulator', () => {
    assert.equal(foldSum(0x1_0000), 0x0001);
    assert.equal(foldSum(0x2_fffe), 0x0001);
    assert.equal(foldSum(2 ** 40 + 5), foldSum((2 ** 40) % 0xffff + 5));
    assert.equal(checksumFromSum(0xffff), 0);
  });

  test('an odd final byte is padded with a zero byte', () => {
    assert.equal(sum16(Uint8Array.of(0x12, 0x34, 0x56)), 0x1234 + 0x5600);
  });

  test('summing in parts of any lengths equals summing the concatenation (property)', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 9 }), { maxLength: 8 }), (parts) => {
      const whole = Uint8Array.from(parts.flatMap((p) => [...p]));
      assert.equal(sumParts(parts), sum16(whole));
      assert.equal(internetChecksum(parts), referenceChecksum([...whole]));
    }));
  });

  test('data followed by its own checksum verifies; any single bit flip does not (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 2, maxLength: 64 }).filter((b) => b.length % 2 === 0), fc.nat(), (data, bit) => {
      const c = internetChecksum([data]);
      const whole = Uint8Array.from([...data, c >> 8, c & 0xff]);
      assert.ok(sumIsValid(sum16(whole)));
      const i = bit % (whole.length * 8);
      whole[i >> 3]! ^= 1 << (i & 7);
      assert.ok(!sumIsValid(sum16(whole)));
    }));
  });

  test('pseudo-header sums equal the sums of the pseudo-headers written out as bytes', () => {
    const s4 = Uint8Array.of(10, 0, 0, 1);
    const d4 = Uint8Array.of(192, 168, 7, 200);
    assert.equal(pseudoHeaderSumV4(s4, d4, 6, 1234), sum16(Uint8Array.of(...s4, ...d4, 0, 6, 1234 >> 8, 1234 & 0xff)));
    const s6 = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    const d6 = Uint8Array.from({ length: 16 }, (_, i) => 255 - i);
    const len = 70000;
    const bytes6 = Uint8Array.of(...s6, ...d6, 0, len >> 16, (len >> 8) & 0xff, len & 0xff, 0, 0, 0, 17);
    assert.equal(pseudoHeaderSumV6(s6, d6, 17, len), sum16(bytes6));
    assert.equal(pseudoHeaderSum(s6, d6, 17, len), sum16(bytes6));
    assert.equal(pseudoHeaderSum(s4, d4, 6, 1234), pseudoHeaderSumV4(s4, d4, 6, 1234));
  });
});
