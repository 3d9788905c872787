import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { AF_INET, AF_INET6, decodeSockAddr, encodeSockAddr, sockAddrSize } from '../src/index.js';
import { readSockAddrArg, writeSockAddrArg } from '../src/spi/sockaddr.js';

describe('sockaddr bytes', () => {
  test('sockaddr_in: 16 bytes, family little-endian, port big-endian, 8 zero bytes', () => {
    const b = encodeSockAddr({ family: AF_INET, address: '192.168.1.2', port: 0x1234 });
    assert.deepEqual([...b], [2, 0, 0x12, 0x34, 192, 168, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  test('sockaddr_in6: 28 bytes with flowinfo (network order) and scope id (host order)', () => {
    const b = encodeSockAddr({ family: AF_INET6, address: 'fd00::1', port: 80, flowinfo: 0x01020304, scopeId: 7 });
    assert.equal(b.length, 28);
    assert.deepEqual([...b.subarray(0, 10)], [23, 0, 0, 80, 1, 2, 3, 4, 0xfd, 0]);
    assert.deepEqual([...b.subarray(24)], [7, 0, 0, 0]);
    assert.deepEqual(decodeSockAddr(b), { family: AF_INET6, address: 'fd00::1', port: 80, flowinfo: 0x01020304, scopeId: 7 });
  });

  test('encode rejects what is not a sockaddr with TypeError; decode returns undefined', () => {
    assert.throws(() => encodeSockAddr({ family: AF_INET, address: '::1', port: 1 }), TypeError);
    assert.throws(() => encodeSockAddr({ family: AF_INET, address: '1.2.3.4', port: 65536 }), TypeError);
    assert.throws(() => encodeSockAddr({ family: 99, address: '1.2.3.4', port: 1 }), TypeError);
    assert.equal(decodeSockAddr(new Uint8Array([2, 0, 0, 80])), undefined);
    assert.equal(decodeSockAddr(new Uint8Array(16)), undefined, 'family 0');
    assert.equal(decodeSockAddr(encodeSockAddr({ family: AF_INET, address: '1.2.3.4', port: 1 }), 15), undefined);
    assert.equal(sockAddrSize(AF_INET), 16);
    assert.equal(sockAddrSize(AF_INET6), 28);
    assert.equal(sockAddrSize(0), 0);
  });

  test('reading a name argument: namelen honoured as in C, unknown family told apart', () => {
    const b = encodeSockAddr({ family: AF_INET, address: '10.0.0.1', port: 80 });
    assert.deepEqual(readSockAddrArg(b, 16), { ok: true, endpoint: { family: AF_INET, address: '10.0.0.1', port: 80 } });
    assert.deepEqual(readSockAddrArg(b, 15), { ok: false, reason: 'fault' });
    assert.deepEqual(readSockAddrArg(b, 17), { ok: false, reason: 'fault' }, 'namelen beyond the buffer');
    assert.deepEqual(readSockAddrArg({ family: 17, address: 'x', port: 1 }, 16), { ok: false, reason: 'family' });
    assert.deepEqual(readSockAddrArg({ family: AF_INET6, address: 'FD00::0:1', port: 1 }, 28),
      { ok: true, endpoint: { family: AF_INET6, address: 'fd00::1', port: 1 } });
    for (const bad of [null, undefined, 'x', 5, [], { family: AF_INET, address: '10.0.0.1', port: -1 }]) {
      assert.deepEqual(readSockAddrArg(bad, 16), { ok: false, reason: 'fault' });
    }
  });

  test('writing an output name: too small a namelen writes nothing; success sets namelen', () => {
    const ep = { family: AF_INET6, address: '::1', port: 9 };
    const out = new Uint8Array(28).fill(0xee);
    assert.equal(writeSockAddrArg(ep, out, { value: 27 }), false);
    assert.ok(out.every((x) => x === 0xee));
    const len = { value: 64 };
    assert.equal(writeSockAddrArg(ep, out, len), true);
    assert.equal(len.value, 28);
    assert.deepEqual(decodeSockAddr(out), { ...ep, flowinfo: 0, scopeId: 0 });
    const obj = { family: 0, address: '', port: 0 };
    assert.equal(writeSockAddrArg({ family: AF_INET, address: '1.2.3.4', port: 5 }, obj, { value: 16 }), true);
    assert.deepEqual(obj, { family: AF_INET, address: '1.2.3.4', port: 5 });
    assert.equal(writeSockAddrArg(ep, obj, null), false);
  });

  test('property: encode and decode are inverse for every port and address', () => {
    fc.assert(fc.property(fc.boolean(), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 65535 }), (v6, ip, port) => {
      const address = v6 ? [...Array(8)].map((_, i) => ((ip[2 * i]! << 8) | ip[2 * i + 1]!).toString(16)).join(':') : [...ip.subarray(0, 4)].join('.');
      const family = v6 ? AF_INET6 : AF_INET;
      const bytes = encodeSockAddr({ family, address, port });
      const back = decodeSockAddr(bytes)!;
      assert.deepEqual(encodeSockAddr(back), bytes);
      assert.equal(back.port, port);
    }));
  });
});

test('sin6_scope_id: a link-local address keeps its interface through the provider (fe80::1%4), other addresses ignore it', () => {
  const linkLocal = encodeSockAddr({ family: AF_INET6, address: 'fe80::1', port: 80, scopeId: 4 });
  const read = readSockAddrArg(linkLocal, 28);
  assert.ok(read.ok);
  assert.equal(read.endpoint.address, 'fe80::1%4');
  const asObject = readSockAddrArg({ family: AF_INET6, address: 'fe80::1', port: 80, scopeId: 4 }, 28);
  assert.ok(asObject.ok);
  assert.equal(asObject.endpoint.address, 'fe80::1%4');
  const global = readSockAddrArg({ family: AF_INET6, address: 'fd00::1', port: 80, scopeId: 4 }, 28);
  assert.ok(global.ok);
  assert.equal(global.endpoint.address, 'fd00::1');
  const out = { family: 0, address: '', port: 0, flowinfo: 9, scopeId: 9 };
  assert.ok(writeSockAddrArg({ family: AF_INET6, address: 'fe80::1%4', port: 80 }, out, { value: 28 }));
  assert.deepEqual(out, { family: AF_INET6, address: 'fe80::1', port: 80, flowinfo: 0, scopeId: 4 });
  const bytes = new Uint8Array(28);
  assert.ok(writeSockAddrArg({ family: AF_INET6, address: 'fe80::1%4', port: 80 }, bytes, { value: 28 }));
  assert.deepEqual(decodeSockAddr(bytes), { family: AF_INET6, address: 'fe80::1', port: 80, flowinfo: 0, scopeId: 4 });
});
