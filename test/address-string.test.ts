/**
 * WSPAddressToString and WSPStringToAddress, ported from Wine's dlls/ws2_32/tests/protocol.c
 * (test_WSAAddressToString, test_WSAStringToAddress: every row of their tables, Windows' answers).
 * Wine's C rows give IPv4 addresses as host-order ULONGs and IPv6 addresses as little-endian
 * USHORT words; here they are written as the text the provider prints.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, AF_INET6, AF_UNSPEC, SOCKET_ERROR, WSAEFAULT, WSAEINVAL, decodeSockAddr, encodeSockAddr, errorName,
} from '../src/index.js';
import { pair } from './helpers.js';

const { server: p } = pair();
const [TCP4, , TCP6] = p.protocols();

function toString(addr: Parameters<typeof p.WSPAddressToString>[0], size: number, len: number) {
  const out = { value: '' };
  const length = { value: len };
  const err = { value: 0 };
  const ret = p.WSPAddressToString(addr, size, TCP4!, out, length, err);
  return { ret, err: err.value, text: out.value, len: length.value };
}

function toAddress(text: string, family: number, len: number) {
  const addr = { family: 0xab, address: 'untouched', port: 0xabab, flowinfo: 0xab, scopeId: 0xab };
  const length = { value: len };
  const err = { value: 0 };
  const ret = p.WSPStringToAddress(text, family, family === AF_INET6 ? TCP6! : TCP4!, addr, length, err);
  return { ret, err: err.value, addr, len: length.value };
}

const ipv4 = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');

describe('test_WSAAddressToString', () => {
  test('a buffer too small (length 0), with or without a buffer: WSAEFAULT and the length needed, 8 for "0.0.0.0"', () => {
    const any = { family: AF_INET, address: '0.0.0.0', port: 0 };
    const r = toString(any, 16, 0);
    assert.deepEqual([r.ret, errorName(r.err), r.len, r.text], [SOCKET_ERROR, 'WSAEFAULT', 8, '']);
    const length = { value: 0 };
    const err = { value: 0 };
    assert.equal(p.WSPAddressToString(any, 16, TCP4!, null, length, err), SOCKET_ERROR);
    assert.deepEqual([err.value, length.value], [WSAEFAULT, 8]);
    const good = toString(any, 16, 64);
    assert.deepEqual([good.ret, good.text, good.len], [0, '0.0.0.0', 8]);
  });

  const v4rows: [number, number, string][] = [
    [0, 0, '0.0.0.0'], [0xffffffff, 0, '255.255.255.255'], [0, 0xffff, '0.0.0.0:65535'], [0xffffffff, 0xffff, '255.255.255.255:65535'],
  ];
  for (const [address, port, output] of v4rows) {
    test(`IPv4 ${output}: objects and bytes, length = characters + NUL`, () => {
      const obj = { family: AF_INET, address: ipv4(address), port };
      for (const addr of [obj, encodeSockAddr(obj)]) {
        const r = toString(addr, 16, 64);
        assert.deepEqual([r.ret, r.text, r.len], [0, output, output.length + 1]);
      }
    });
  }

  // Wine's words are little-endian USHORTs of the address bytes: { 0xab20, …, 0x120 } is 20ab::2001.
  const v6rows: [string, number, number, string][] = [
    ['::1', 0, 0, '::1'], ['20ab::1', 0, 0, '20ab::1'], ['20ab::2001', 0, 33274, '[20ab::2001]:33274'],
    ['20ab::2001', 0x1234, 33274, '[20ab::2001%4660]:33274'], ['20ab::2001', 0x1234, 0, '20ab::2001%4660'],
  ];
  for (const [address, scopeId, port, output] of v6rows) {
    test(`IPv6 ${output}: the scope id printed when not 0, brackets only with a port`, () => {
      const obj = { family: AF_INET6, address, port, flowinfo: 0, scopeId };
      for (const addr of [obj, encodeSockAddr(obj)]) {
        const r = toString(addr, 28, 64);
        assert.deepEqual([r.ret, r.text, r.len], [0, output, output.length + 1]);
      }
    });
  }

  test('the provider\'s own link-local text (fe80::1%4) prints with its scope', () => {
    assert.equal(toString({ family: AF_INET6, address: 'fe80::1%4', port: 80 }, 28, 64).text, '[fe80::1%4]:80');
  });

  test('WSAEINVAL: a length short of the family\'s sockaddr, an unknown family, no or a foreign lpProtocolInfo', () => {
    const a = { family: AF_INET, address: '10.0.0.1', port: 1 };
    assert.equal(errorName(toString(a, 15, 64).err), 'WSAEINVAL');
    assert.equal(errorName(toString({ family: 99, address: '', port: 0 }, 16, 64).err), 'WSAEINVAL');
    for (const info of [null, { ...TCP4!, dwCatalogEntryId: 1 }]) {
      const err = { value: 0 };
      assert.equal(p.WSPAddressToString(a, 16, info as never, { value: '' }, { value: 64 }, err), SOCKET_ERROR);
      assert.equal(err.value, WSAEINVAL);
    }
  });
});

describe('test_WSAStringToAddress', () => {
  test('length 0: WSAEFAULT before the text is read, and the length needed (16)', () => {
    const r = toAddress('', AF_INET, 0);
    assert.deepEqual([r.ret, errorName(r.err), r.len], [SOCKET_ERROR, 'WSAEFAULT', 16]);
  });

  // [input, address (host order), port, error]
  const v4rows: [string, number, number, number][] = [
    ['', 0, 0, WSAEINVAL], [' ', 0, 0, WSAEINVAL], ['1.1.1.1', 0x01010101, 0, 0], ['0.0.0.0', 0, 0, 0],
    ['127.127.127.127', 0x7f7f7f7f, 0, 0], ['127.127.127.127:', 0, 0, WSAEINVAL], ['127.127.127.127:0', 0, 0, WSAEINVAL],
    ['127.127.127.127:123', 0x7f7f7f7f, 123, 0], ['127.127.127.127:65535', 0x7f7f7f7f, 65535, 0],
    ['127.127.127.127:65537', 0, 0, WSAEINVAL], ['127.127.127.127::1', 0, 0, WSAEINVAL],
    ['127.127.127.127:0xAbCd', 0x7f7f7f7f, 43981, 0], ['127.127.127.127:0XaBcD', 0x7f7f7f7f, 43981, 0],
    ['127.127.127.127:0x', 0, 0, WSAEINVAL], ['127.127.127.127:0x10000', 0, 0, WSAEINVAL],
    ['127.127.127.127:010', 0x7f7f7f7f, 8, 0], ['127.127.127.127:007', 0x7f7f7f7f, 7, 0],
    ['127.127.127.127:08', 0, 0, WSAEINVAL], ['127.127.127.127:008', 0, 0, WSAEINVAL], ['127.127.127.127:0a', 0, 0, WSAEINVAL],
    ['127.127.127.127:0o10', 0, 0, WSAEINVAL], ['127.127.127.127:0b10', 0, 0, WSAEINVAL],
    ['255.255.255.255', 0xffffffff, 0, 0], ['255.255.255.255:123', 0xffffffff, 123, 0], ['255.255.255.255:65535', 0xffffffff, 65535, 0],
    ['255.255.255.256', 0, 0, WSAEINVAL], ['a', 0, 0, WSAEINVAL], ['1.1.1.0xaA', 0x010101aa, 0, 0], ['1.1.1.0XaA', 0x010101aa, 0, 0],
    ['1.1.1.0x', 0, 0, WSAEINVAL], ['1.1.1.0xff', 0x010101ff, 0, 0], ['1.1.1.0x100', 0, 0, WSAEINVAL], ['1.1.1.010', 0x01010108, 0, 0],
    ['1.1.1.00', 0x01010100, 0, 0], ['1.1.1.007', 0x01010107, 0, 0], ['1.1.1.08', 0, 0, WSAEINVAL], ['1.1.1.008', 0, 0, WSAEINVAL],
    ['1.1.1.0a', 0, 0, WSAEINVAL], ['1.1.1.0o10', 0, 0, WSAEINVAL], ['1.1.1.0b10', 0, 0, WSAEINVAL], ['1.1.1.-2', 0, 0, WSAEINVAL],
    ['1', 0x00000001, 0, 0], ['-1', 0, 0, WSAEINVAL], ['1:1', 0x00000001, 1, 0], ['1.2', 0x01000002, 0, 0], ['1.2:1', 0x01000002, 1, 0],
    ['1000.2000', 0, 0, WSAEINVAL], ['1.2.', 0, 0, WSAEINVAL], ['1..2', 0, 0, WSAEINVAL], ['1...2', 0, 0, WSAEINVAL],
    ['1.2.3', 0x01020003, 0, 0], ['1.2.3.', 0, 0, WSAEINVAL], ['1.2.3:1', 0x01020003, 1, 0], ['203569230', 0x0c22384e, 0, 0],
    ['203569230:123', 0x0c22384e, 123, 0], ['2001::1', 0, 0, WSAEINVAL], ['1.223756', 0x01036a0c, 0, 0], ['3.4.756', 0x030402f4, 0, 0],
    ['756.3.4', 0, 0, WSAEINVAL], ['3.756.4', 0, 0, WSAEINVAL], ['3.4.756.1', 0, 0, WSAEINVAL], ['3.4.65536', 0, 0, WSAEINVAL],
    ['3.4.5.6.7', 0, 0, WSAEINVAL], ['3.4.5.+6', 0, 0, WSAEINVAL], [' 3.4.5.6', 0, 0, WSAEINVAL], ['\t3.4.5.6', 0, 0, WSAEINVAL],
    ['3.4.5.6 ', 0, 0, WSAEINVAL], ['3.4.5.6:7 ', 0, 0, WSAEINVAL], ['3.4.5.6: 7', 0, 0, WSAEINVAL], ['3. 4.5.6', 0, 0, WSAEINVAL],
    ['.', 0, 0, WSAEINVAL], ['[0.1.2.3]', 0, 0, WSAEINVAL], ['0x00010203', 0x00010203, 0, 0], ['0X00010203', 0x00010203, 0, 0],
    ['0x00010203:10', 0x00010203, 10, 0], ['0x1234', 0x00001234, 0, 0], ['0x123456789', 0x23456789, 0, 0],
    ['0x00010Q03', 0, 0, WSAEINVAL], ['x00010203', 0, 0, WSAEINVAL], ['1234BEEF', 0, 0, WSAEINVAL], ['017700000001', 0x7f000001, 0, 0],
    ['0777', 0x000001ff, 0, 0], ['0777:10', 0x000001ff, 10, 0], ['::1', 0, 0, WSAEINVAL], [':1', 0, 0, WSAEINVAL],
  ];
  test(`ipv4_tests: all ${v4rows.length} rows (length 26 in; 16 out on success, unchanged on failure)`, () => {
    const problems: string[] = [];
    for (const [input, address, port, error] of v4rows) {
      const r = toAddress(input, AF_INET, 26);
      const got = error === 0 ? [r.ret, r.addr.family, r.addr.address, r.addr.port, r.len] : [r.ret, errorName(r.err), r.len];
      const want = error === 0 ? [0, AF_INET, ipv4(address), port, 16] : [SOCKET_ERROR, errorName(error), 26];
      if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${JSON.stringify(input)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }
    assert.deepEqual(problems, []);
  });

  // [input, address, port, error]; "::1:2:3:4:5:6:7" is accepted by current Windows (Wine marks the refusal broken).
  const v6rows: [string, string, number, number][] = [
    ['::1', '::1', 0, 0], ['[::1]', '::1', 0, 0], ['[::1]:65535', '::1', 65535, 0], ['2001::1', '2001::1', 0, 0],
    ['::1]:65535', '', 0, WSAEINVAL], ['001::1', '1::1', 0, 0], ['::1:2:3:4:5:6:7', '0:1:2:3:4:5:6:7', 0, 0],
    ['1.2.3.4', '', 0, WSAEINVAL], ['1:2:3:', '', 0, WSAEINVAL], ['', '', 0, WSAEINVAL],
  ];
  test(`ipv6_tests: all ${v6rows.length} rows (scope id and flowinfo 0; length 38 in, 28 out)`, () => {
    const problems: string[] = [];
    for (const [input, address, port, error] of v6rows) {
      const r = toAddress(input, AF_INET6, 38);
      const got = error === 0 ? [r.ret, r.addr.family, r.addr.address, r.addr.port, r.addr.scopeId, r.addr.flowinfo, r.len] : [r.ret, errorName(r.err), r.len];
      const want = error === 0 ? [0, AF_INET6, address, port, 0, 0, 28] : [SOCKET_ERROR, errorName(error), 38];
      if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${JSON.stringify(input)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }
    assert.deepEqual(problems, []);
  });

  test('a scope id, bracketed or not, and bytes out', () => {
    const r = toAddress('[fe80::1%4]:8080', AF_INET6, 28);
    assert.deepEqual([r.ret, r.addr.address, r.addr.port, r.addr.scopeId], [0, 'fe80::1', 8080, 4]);
    assert.equal(toAddress('fe80::1%4', AF_INET6, 28).addr.scopeId, 4);
    const bytes = new Uint8Array(28);
    const err = { value: 0 };
    assert.equal(p.WSPStringToAddress('[fe80::1%4]:8080', AF_INET6, TCP6!, bytes, { value: 28 }, err), 0);
    assert.deepEqual(decodeSockAddr(bytes), { family: AF_INET6, address: 'fe80::1', port: 8080, flowinfo: 0, scopeId: 4 });
  });

  test('AF_UNSPEC takes the protocol entry\'s family; another family is WSAEINVAL; a failure writes nothing to lpAddress', () => {
    const err = { value: 0 };
    const out = { family: 0, address: '', port: 0 };
    assert.equal(p.WSPStringToAddress('10.0.0.1:80', AF_UNSPEC, TCP4!, out, { value: 16 }, err), 0);
    assert.deepEqual(out, { family: AF_INET, address: '10.0.0.1', port: 80 });
    const r = toAddress('10.0.0.1', 99, 28);
    assert.equal(r.err, WSAEINVAL);
    assert.deepEqual(r.addr, { family: 0xab, address: 'untouched', port: 0xabab, flowinfo: 0xab, scopeId: 0xab });
  });

  test('round trip: what WSPAddressToString prints, WSPStringToAddress reads back', () => {
    for (const text of ['10.0.0.1', '10.0.0.1:80', '::1', '[fe80::1%4]:8080', '20ab::2001%4660']) {
      const family = text.includes(':') && !/^\d+\.\d+\.\d+\.\d+:/.test(text) ? AF_INET6 : AF_INET;
      const r = toAddress(text, family, 28);
      assert.equal(r.ret, 0, text);
      assert.equal(toString(r.addr, 28, 64).text, text);
    }
  });
});
