/**
 * The programs some tests talk to (chromium, tshark, curl, nc, python3), found on PATH.
 *
 * Outside CI a test whose program is missing is skipped with a line that says how to install it
 * (`needs tshark: apt-get install tshark`). When the environment variable CI is set (and not
 * "false" or "0"), as .ci/run sets it after installing them all, a missing program is a failure:
 * the test runs and a test named after the program fails with the same line.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { test, type TestOptions } from 'node:test';

/** Each program the tests run, and the Debian/Ubuntu package that provides it. */
export const PEERS = {
  chromium: 'chromium',
  tshark: 'tshark',
  curl: 'curl',
  nc: 'netcat-openbsd',
  python3: 'python3',
} as const;

export type Peer = keyof typeof PEERS;

/** True when CI is set to anything but "", "0" or "false". */
export function inCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && !/^(0|false)$/i.test(v);
}

/** The executable `name` on `path` (a PATH value), or undefined. */
export function which(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The line a skip (or, in CI, a failure) shows for missing programs. */
export function needsMessage(missing: readonly Peer[]): string {
  const names = missing.join(', ');
  return `needs ${names}: apt-get install ${[...new Set(missing.map((p) => PEERS[p]))].join(' ')}`;
}

/** What to do about `peers`: nothing (all there), skip with a message, or fail (CI). */
export function peerStatus(peers: readonly Peer[], env: NodeJS.ProcessEnv = process.env): { missing: Peer[]; skip?: string; fail?: string } {
  const missing = peers.filter((p) => which(p, env.PATH ?? '') === undefined);
  if (missing.length === 0) return { missing };
  const message = needsMessage(missing);
  return inCI(env) ? { missing, fail: `${message} (CI is set, so a missing program is a failure: .ci/run installs them all)` } : { missing, skip: message };
}

/** Programs already reported missing by a failing test in this file. */
const reported = new Set<Peer>();

/**
 * Options for `test(name, needs('tshark'), fn)` or `describe(...)`: `{ skip: 'needs tshark:
 * apt-get install tshark' }` when a program is missing outside CI, `{}` otherwise. In CI a
 * missing program adds one failing test that names it, and the tests that need it run (and fail).
 * Call it at the top level of a test file or inside a describe callback, not inside a test.
 */
export function needs(...peers: Peer[]): TestOptions {
  const status = peerStatus(peers);
  if (status.skip !== undefined) return { skip: status.skip };
  if (status.fail !== undefined) {
    const fresh = status.missing.filter((p) => !reported.has(p));
    for (const p of fresh) reported.add(p);
    if (fresh.length > 0) {
      const message = status.fail;
      test(`${fresh.join(', ')} installed`, () => {
        throw new Error(message);
      });
    }
  }
  return {};
}
