/** src/wire/dns.ts: DNS messages emitted and parsed back; hostile bytes give undefined, never an exception. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_PTR, RCODE_NXDOMAIN, decodeDnsName, encodeDnsMessage, encodeDnsName, parseDnsMessage, reverseName,
} from '../src/wire/dns.js';

test('a query and an answer round-trip through emit and parse', () => {
  const q = encodeDnsMessage({ id: 0x1234, response: false, rcode: 0, question: { name: 'www.example.test', type: DNS_TYPE_AAAA }, answers: [] })!;
  assert.deepEqual(parseDnsMessage(q), { id: 0x1234, response: false, rcode: 0, question: { name: 'www.example.test', type: DNS_TYPE_AAAA }, answers: [] });
  const a = encodeDnsMessage({
    id: 7, response: true, rcode: 0, question: { name: 'host', type: DNS_TYPE_A },
    answers: [{ name: 'Host', type: DNS_TYPE_A, ttl: 60, data: Uint8Array.from([10, 0, 0, 2]) }],
  })!;
  const m = parseDnsMessage(a)!;
  assert.equal(m.response, true);
  assert.deepEqual(m.answers.map((r) => [r.name, r.type, r.ttl, [...r.data]]), [['Host', DNS_TYPE_A, 60, [10, 0, 0, 2]]]);
  const nx = parseDnsMessage(encodeDnsMessage({ id: 8, response: true, rcode: RCODE_NXDOMAIN, question: { name: 'x', type: DNS_TYPE_A }, answers: [] })!)!;
  assert.equal(nx.rcode, RCODE_NXDOMAIN);
});

test('PTR names: reverseName, and a compressed PTR target is expanded', () => {
  assert.equal(reverseName(Uint8Array.from([10, 0, 0, 2])), '2.0.0.10.in-addr.arpa');
  assert.equal(reverseName(new Uint8Array(16).fill(0).map((_, i) => (i === 15 ? 1 : 0))).split('.').length, 34);
  // Header, question "a.b" PTR, one answer whose name and RDATA point back at the question name.
  const bytes = Uint8Array.from([0, 1, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 97, 1, 98, 0, 0, 12, 0, 1, 0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12]);
  const m = parseDnsMessage(bytes)!;
  assert.equal(m.answers[0]!.type, DNS_TYPE_PTR);
  assert.equal(decodeDnsName(m.answers[0]!.data), 'a.b');
  assert.deepEqual([...encodeDnsName('a.b')!], [1, 97, 1, 98, 0]);
});

test('malformed messages give undefined: truncation, forward or looping pointers, bad lengths, two questions', () => {
  const q = encodeDnsMessage({ id: 1, response: false, rcode: 0, question: { name: 'abc.test', type: DNS_TYPE_A }, answers: [] })!;
  for (let n = 0; n < q.length; n++) assert.equal(parseDnsMessage(q.subarray(0, n)), undefined, `truncated to ${n}`);
  const loop = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
  assert.equal(parseDnsMessage(loop), undefined);
  const twoQuestions = q.slice();
  twoQuestions[5] = 2;
  assert.equal(parseDnsMessage(twoQuestions), undefined);
  assert.equal(parseDnsMessage(null as unknown as Uint8Array), undefined);
  assert.equal(encodeDnsMessage({ id: 1, response: false, rcode: 0, question: { name: 'a'.repeat(64), type: 1 }, answers: [] }), undefined);
});

test('any bytes: parse never throws', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
    const m = parseDnsMessage(bytes);
    return m === undefined || typeof m.id === 'number';
  }), { seed: 17, numRuns: 3000 });
});
