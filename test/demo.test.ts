/** The main job: `npm start` (wsp demo) tells the WSPListen story from real calls. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { runDemo } from '../src/cli/demo.js';
import type { AcceptExOutcome } from '../src/cli/demo-acceptex.js';

test('the demonstration shows queued, refused, accepted and reset clients, and descriptor exhaustion', () => {
  const lines: string[] = [];
  const outcomes = runDemo((l) => lines.push(l));
  const text = lines.join('\n');
  const fates = Object.fromEntries(outcomes.map((o) => [o.client, o.fate]));
  // Burst of six against backlog 3: three queued, three refused; the third is reset later by the lower backlog.
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((i) => fates[`client${i}`]), ['accepted', 'accepted', 'reset', 'refused', 'refused', 'refused']);
  // Descriptors, not the backlog, refuse client11..13; client14 gets in after WSPAccept re-arms the queue.
  assert.deepEqual([9, 10, 11, 12, 13, 14].map((i) => fates[`client${i}`]), ['accepted', 'accepted', 'refused', 'refused', 'refused', 'accepted']);
  assert.match(text, /refused for lack of descriptors so far: 3/);
  assert.match(text, /WSAECONNREFUSED/);
  assert.match(text, /connection reset: WSAECONNRESET/);
  assert.match(text, /listening suspended: true/);
  assert.match(text, /listening suspended: false/);
  assert.ok(outcomes.some((o) => o.fate === 'reset'));
  assert.match(text, /^\[\s+\d+\.\d{3} ms\]/m, 'lines carry virtual timestamps');
});

test('act 8, AcceptEx and the backlog: posted calls take the first of a burst before the backlog, the backlog holds the next, the rest are refused', () => {
  const lines: string[] = [];
  const acceptEx: AcceptExOutcome[] = [];
  runDemo((l) => lines.push(l), acceptEx);
  const text = lines.join('\n');
  // Backlog 2, two AcceptEx posted, a burst of seven (docs/semantics.md, "AcceptEx and the backlog").
  assert.deepEqual(acceptEx.map((o) => o.fate), ['AcceptEx', 'AcceptEx', 'AcceptEx', 'queued', 'refused', 'refused', 'refused']);
  assert.match(text, /AcceptEx\(accept socket 0x[0-9a-f]+\) -> FALSE, WSA_IO_PENDING/);
  assert.match(text, /the AcceptEx into 0x[0-9a-f]+ took burst1\n.*the AcceptEx into 0x[0-9a-f]+ took burst2\n/);
  // A call posted while connections are queued takes the oldest at once (rule 1): burst3, not burst4.
  assert.match(text, /takes the oldest of them at once:\n.*AcceptEx\(accept socket.*\n.*took burst3\n.*WSPAccept -> socket 0x[0-9a-f]+, burst4/);
  assert.match(text, /burst5 +connect failed: WSAECONNREFUSED/);
  assert.match(text, /AcceptEx act: 3 taken by AcceptEx, 1 queued and accepted by WSPAccept, 3 refused\./);
});

test('the demonstration is deterministic', () => {
  const a: string[] = [];
  const b: string[] = [];
  runDemo((l) => a.push(l));
  runDemo((l) => b.push(l));
  assert.deepEqual(a, b);
});

test('wsp: help, demo, and an unknown command (exit 2)', () => {
  const cli = resolve(import.meta.dirname, '..', '..', 'dist', 'cli', 'wsp.js');
  assert.match(execFileSync(process.execPath, [cli, 'help'], { encoding: 'utf8' }), /wsp demo/);
  assert.match(execFileSync(process.execPath, [cli, 'demo'], { encoding: 'utf8' }), /Summary/);
  assert.throws(() => execFileSync(process.execPath, [cli, 'bogus'], { stdio: 'pipe' }), (e: { status: number }) => e.status === 2);
});
