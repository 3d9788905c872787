#!/usr/bin/env node
/**
 * The `wsp` command. `wsp demo` is what `npm start` runs; `wsp scenario` runs a scenario file.
 *
 * Whatever happens, the command prints no stack trace (unless WSP_DEBUG=1) and leaves no
 * half-written file: bad input gets one line naming the problem and exit status 2; a failure
 * while writing an output, or anything unexpected, one line and exit status 1. Outputs are
 * written to temporary files next to their targets and renamed into place only once every
 * one of them was written.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { runDemo } from './demo.js';
import { parseScenarioText } from '../scenario/schema.js';
import { runScenario } from '../scenario/run.js';
import { reportHtml, summaryText } from '../scenario/report.js';

const HELP = `wsp: winsock-spi, a Windows Sockets 2 service provider on a virtual network

Usage:
  wsp demo                         run the WSPListen demonstration (what npm start runs)
  wsp scenario <file> [options]    run a scenario file (JSON) on the virtual network
      --report <out.html>          write a self-contained HTML report (charts, events)
      --capture <out.pcap>         write a packet capture Wireshark can read
      --json                       print the results as JSON instead of a table
      --all-errors                 list every problem of an invalid scenario, not only the first
    An option's value may also be given as --report=out.html. Outputs go to temporary files
    renamed into place only when everything succeeded.
  wsp help                         show this text

Exit status: 0 done, 1 an output could not be written or an internal error, 2 bad input
(a usage error, an invalid scenario, an output path in a missing directory, ...).
Environment: WSP_DEBUG=1 prints the stack trace of an internal error instead of one line.

Examples:
  wsp demo
  wsp scenario examples/scenarios/burst-small-backlog.json
  wsp scenario examples/scenarios/backlog-lowered.json --report report.html
  wsp scenario examples/scenarios/descriptor-exhaustion.json --json
`;

/** Bad input (found before the run starts): one line, exit status 2. */
class UsageError extends Error {}
/** An output that could not be written once the run started: one line, exit status 1. */
class OutputError extends Error {}

const debug = (): boolean => {
  const v = process.env.WSP_DEBUG;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
};

/** Error codes as words, for messages about files. */
const CODES: Record<string, string> = {
  ENOENT: 'no such file or directory', EACCES: 'permission denied', EPERM: 'operation not permitted',
  EISDIR: 'is a directory', ENOTDIR: 'not a directory', ENOSPC: 'no space left on device',
  EROFS: 'read-only file system', EDQUOT: 'disk quota exceeded', EEXIST: 'file exists', EIO: 'input/output error',
  ENAMETOOLONG: 'name too long', ELOOP: 'too many symbolic links',
};
function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return CODES[code] === undefined ? code : `${code} (${CODES[code]})`;
  return oneLine(e instanceof Error ? e.message : String(e));
}
const oneLine = (s: string): string => s.replace(/\s*[\r\n]+\s*/g, ' ').trim();

interface ScenarioArgs {
  file: string;
  report?: string;
  capture?: string;
  json: boolean;
  allErrors: boolean;
}

/** Options of `wsp scenario`: those taking a value (a file name) and flags. */
const VALUE_OPTIONS = ['--report', '--capture'] as const;
const FLAGS = ['--json', '--all-errors'] as const;

function parseScenarioArgs(args: string[]): ScenarioArgs | 'help' {
  let file: string | undefined;
  const values = new Map<string, string>();
  const flags = new Set<string>();
  let positionalOnly = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (positionalOnly || a === '-' || !a.startsWith('-')) {
      if (file !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(a)}`);
      file = a;
      continue;
    }
    if (a === '--') {
      positionalOnly = true;
      continue;
    }
    if (a === '--help' || a === '-h') return 'help';
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if ((VALUE_OPTIONS as readonly string[]).includes(name)) {
      let v: string | undefined;
      if (name !== a) v = a.slice(eq + 1);
      else {
        v = args[++i];
        if (v !== undefined && v.startsWith('--')) v = undefined;
      }
      if (v === undefined || v === '') throw new UsageError(`${name} needs a file name`);
      if (values.has(name)) throw new UsageError(`${name} given twice`);
      values.set(name, v);
    } else if ((FLAGS as readonly string[]).includes(name)) {
      if (name !== a) throw new UsageError(`${name} takes no value (got ${JSON.stringify(a)})`);
      if (flags.has(name)) throw new UsageError(`${name} given twice`);
      flags.add(name);
    } else {
      throw new UsageError(`unknown option ${JSON.stringify(name)} (try: wsp help)`);
    }
  }
  if (file === undefined) throw new UsageError('scenario needs a file (try: wsp help)');
  return { file, report: values.get('--report'), capture: values.get('--capture'), json: flags.has('--json'), allErrors: flags.has('--all-errors') };
}

/** An output file: where it goes and the temporary file it is written to first. */
interface Output {
  option: string;
  target: string;
  temp: string;
  fd: number | undefined;
}

/** Checks before anything runs that an output path names a file in an existing directory. */
function checkOutputPath(option: string, path: string, others: { what: string; path: string }[]): void {
  const at = `${option} ${path}`;
  if (path.endsWith('/') || path.endsWith(sep)) throw new UsageError(`${at}: names a directory, not a file`);
  const dir = dirname(resolve(path));
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${at}: the directory ${dirname(path)} does not exist` : `${at}: ${dirname(path)}: ${why(e)}`);
  }
  if (!dirStat.isDirectory()) throw new UsageError(`${at}: ${dirname(path)} is not a directory`);
  let stat;
  try {
    stat = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`${at}: ${why(e)}`);
  }
  if (stat?.isDirectory() === true) throw new UsageError(`${at}: is a directory, not a file`);
  if (stat !== undefined && !stat.isFile()) throw new UsageError(`${at}: exists and is not a regular file`);
  for (const o of others) {
    if (resolve(o.path) === resolve(path)) throw new UsageError(`${at}: would overwrite ${o.what}`);
  }
}

function scenarioCommand(args: string[]): number {
  const parsedArgs = parseScenarioArgs(args);
  if (parsedArgs === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const { file, report, capture, json, allErrors } = parsedArgs;

  // Output paths first: a typo in a directory name should not cost a whole run.
  const seen: { what: string; path: string }[] = [{ what: 'the scenario file', path: file }];
  if (report !== undefined) {
    checkOutputPath('--report', report, seen);
    seen.push({ what: 'the --report file', path: report });
  }
  if (capture !== undefined) checkOutputPath('--capture', capture, seen);

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? why(e)}`);
  }
  const parsed = parseScenarioText(text);
  if (!parsed.ok) {
    const errors = parsed.errors.map(oneLine);
    if (allErrors) throw new UsageError(errors.map((e) => `${file}: ${e}`).join('\nwsp: '));
    const more = errors.length - 1;
    throw new UsageError(`${file}: ${errors[0]}${more > 0 ? ` (and ${more} more; --all-errors lists them all)` : ''}`);
  }

  // Outputs go to temporary files first (created now, so an unwritable place shows before the
  // run), renamed into place only once everything succeeded: the report first, then the capture.
  const outputs: Output[] = [];
  const open = (option: string, target: string): Output => {
    const temp = `${target}.partial-${process.pid}`;
    const o: Output = { option, target, temp, fd: undefined };
    try {
      o.fd = openSync(temp, 'wx');
    } catch (e) {
      // Before the run: a path problem like the ones checkOutputPath finds.
      throw new UsageError(`${option} ${target}: cannot write: ${why(e)}`);
    }
    outputs.push(o);
    return o;
  };
  const write = (o: Output, data: string | Uint8Array): void => {
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let at = 0; at < bytes.length;) at += writeSync(o.fd!, bytes, at, bytes.length - at);
    } catch (e) {
      throw new OutputError(`${o.option} ${o.target}: cannot write: ${why(e)}`);
    }
  };
  const close = (o: Output): void => {
    if (o.fd === undefined) return;
    const fd = o.fd;
    o.fd = undefined;
    try {
      closeSync(fd);
    } catch (e) {
      throw new OutputError(`${o.option} ${o.target}: cannot write: ${why(e)}`);
    }
  };
  const tty = process.stderr.isTTY === true && !json;
  /** Outputs renamed into place, each with a hard link to the file it replaced (if any). */
  const renamed: { target: string; previous: string | undefined }[] = [];
  let done = false;
  try {
    const reportOut = report === undefined ? undefined : open('--report', report);
    const captureOut = capture === undefined ? undefined : open('--capture', capture);
    const result = runScenario(parsed.scenario, {
      progress: tty ? (d) => process.stderr.write(`\r  running: ${Math.round(d * 100)} % of ${parsed.scenario.durationMs} ms`) : undefined,
      capture: captureOut === undefined ? undefined : { write: (b) => write(captureOut, b), end: () => close(captureOut) },
    });
    if (tty) process.stderr.write('\r\x1b[K');
    const stdout = json ? `${JSON.stringify(result)}\n` : summaryText(result);
    if (reportOut !== undefined) write(reportOut, reportHtml(result));
    for (const o of outputs) close(o);
    const order = [reportOut, captureOut].filter((o): o is Output => o !== undefined);
    for (const o of order) {
      // Keep the file this one replaces, to put it back if a later output fails.
      let previous: string | undefined = `${o.target}.previous-${process.pid}`;
      try {
        linkSync(o.target, previous);
      } catch {
        previous = undefined; // none (or no hard links here): nothing to put back
      }
      try {
        renameSync(o.temp, o.target);
      } catch (e) {
        if (previous !== undefined) rmSync(previous, { force: true });
        throw new OutputError(`${o.option} ${o.target}: cannot write: ${why(e)}`);
      }
      renamed.push({ target: o.target, previous });
    }
    process.stdout.write(stdout);
    done = true;
    return 0;
  } finally {
    if (tty) process.stderr.write('\r\x1b[K');
    for (const o of outputs) {
      if (o.fd !== undefined) {
        try {
          closeSync(o.fd);
        } catch {
          // Already failing; the temporary file goes below.
        }
      }
      rmSync(o.temp, { force: true });
    }
    // A later output (or stdout) failed: the ones already renamed into place go too, and the
    // files they replaced come back.
    for (const { target, previous } of renamed) {
      if (done) {
        if (previous !== undefined) rmSync(previous, { force: true });
      } else if (previous !== undefined) {
        try {
          renameSync(previous, target);
        } catch {
          rmSync(previous, { force: true });
        }
      } else {
        rmSync(target, { force: true });
      }
    }
  }
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(HELP);
      return 0;
    }
    if (command === 'demo') {
      if (rest.length > 0) {
        const a = rest[0]!;
        throw new UsageError(a.startsWith('-') ? `demo: unknown option ${JSON.stringify(a)} (try: wsp help)` : `demo: unexpected argument ${JSON.stringify(a)}`);
      }
      runDemo((line) => process.stdout.write(`${line}\n`));
      return 0;
    }
    if (command === 'scenario') return scenarioCommand(rest);
    if (command.startsWith('-')) throw new UsageError(`unknown option ${JSON.stringify(command)} (try: wsp help)`);
    throw new UsageError(`unknown command ${JSON.stringify(command)} (try: wsp help)`);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`wsp: ${e.message}\n`);
      return 2;
    }
    if (e instanceof OutputError) {
      process.stderr.write(`wsp: ${e.message}\n`);
      return 1;
    }
    return internalError(e);
  }
}

/** Anything unexpected: one line (the stack trace only with WSP_DEBUG=1), exit status 1. */
function internalError(e: unknown): number {
  if (debug()) {
    process.stderr.write(`wsp: ${e instanceof Error && e.stack !== undefined ? e.stack : String(e)}\n`);
  } else {
    const message = e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
    process.stderr.write(`wsp: internal error: ${oneLine(message) || 'unknown'} (WSP_DEBUG=1 shows the stack trace)\n`);
  }
  return 1;
}

// A reader that stops early (`wsp demo | head -3`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  process.exit(internalError(e));
});
// Whatever escapes main (an asynchronous failure): one line too.
process.on('uncaughtException', (e) => {
  process.exitCode = internalError(e);
});

process.exitCode = main(process.argv.slice(2));
