import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as W from '../src/index.js';

describe('constants carry their real values', () => {
  test('the values the issue names', () => {
    assert.equal(W.WSAEINVAL, 10022);
    assert.equal(W.WSAECONNREFUSED, 10061);
    assert.equal(W.WSATRY_AGAIN, 11002);
    assert.equal(W.SOMAXCONN, 0x7fffffff);
    assert.equal(W.FIONBIO, 0x8004667e);
    assert.equal(W.AF_INET6, 23);
    assert.equal(W.SOL_SOCKET, 0xffff);
    assert.deepEqual([W.CF_ACCEPT, W.CF_REJECT, W.CF_DEFER], [0, 1, 2]);
    assert.equal(W.SOCKET_ERROR, -1);
    assert.equal(W.INVALID_SOCKET, 0xffffffff);
  });

  test('C expressions: SO_EXCLUSIVEADDRUSE is ~SO_REUSEADDR, SO_DONTLINGER is ~SO_LINGER', () => {
    assert.equal(W.SO_EXCLUSIVEADDRUSE, -5);
    assert.equal(W.SO_DONTLINGER, -129);
    assert.equal(W.SOMAXCONN_HINT(5), -5);
    assert.equal(W.FD_ALL_EVENTS, 0x3ff);
  });

  test('every exported WSAE*/WSA* code has a name equal to its export name and a text', () => {
    const codes = Object.entries(W).filter(([k, v]) => /^WSA[E_]|^WSA[A-Z]/.test(k) && typeof v === 'number' && !/^WSA(_FLAG|_WAIT|_INFINITE|DESCRIPTION_LEN|SYS_STATUS_LEN|PROTOCOL_LEN|_VERSION)/.test(k));
    assert.ok(codes.length > 60);
    for (const [name, code] of codes) {
      assert.equal(W.errorName(code as number), name);
      assert.ok((W.errorText(code as number) ?? '').length > 5, name);
    }
    assert.equal(W.allErrorCodes().length, codes.length);
  });
});
