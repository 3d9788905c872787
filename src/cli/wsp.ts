#!/usr/bin/env node
/**
 * The `wsp` command. `wsp demo` is what `npm start` runs; `wsp scenario` runs a scenario file.
 * Bad input gets one line naming the problem and exit status 2, and no file is half-written.
 */
import { readFileSync, renameSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
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
  wsp help                         show this text

Examples:
  wsp demo
  wsp scenario examples/scenarios/burst-small-backlog.json
  wsp scenario examples/scenarios/backlog-lowered.json --report report.html
  wsp scenario examples/scenarios/descriptor-exhaustion.json --json
`;

class UsageError extends Error {}

function scenarioCommand(args: string[]): number {
  let file: string | undefined;
  let report: string | undefined;
  let capture: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--report' || a === '--capture') {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a file name`);
      if (a === '--report') report = v;
      else capture = v;
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${JSON.stringify(a)} (try: wsp help)`);
    else if (file === undefined) file = a;
    else throw new UsageError(`unexpected argument ${JSON.stringify(a)}`);
  }
  if (file === undefined) throw new UsageError('scenario needs a file (try: wsp help)');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const parsed = parseScenarioText(text);
  if (!parsed.ok) throw new UsageError(`${file}: ${parsed.errors[0]}${parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more)` : ''}`);

  // Outputs go to temporary files first, renamed into place only once everything succeeded.
  const temps: [string, string][] = [];
  const temp = (target: string) => {
    const t = `${target}.partial-${process.pid}`;
    temps.push([t, target]);
    return t;
  };
  try {
    let captureFd: number | undefined;
    const captureTemp = capture === undefined ? undefined : temp(capture);
    if (captureTemp !== undefined) captureFd = openSync(captureTemp, 'w');
    const tty = process.stderr.isTTY === true && !json;
    const result = runScenario(parsed.scenario, {
      progress: tty ? (d) => process.stderr.write(`\r  running: ${Math.round(d * 100)} % of ${parsed.scenario.durationMs} ms`) : undefined,
      capture: captureFd === undefined ? undefined : { write: (b) => writeSync(captureFd!, b), end: () => closeSync(captureFd!) },
    });
    if (tty) process.stderr.write('\r\x1b[K');
    if (report !== undefined) writeFileSync(temp(report), reportHtml(result));
    for (const [t, target] of temps) renameSync(t, target);
    process.stdout.write(json ? `${JSON.stringify(result)}\n` : summaryText(result));
    return 0;
  } finally {
    for (const [t] of temps) rmSync(t, { force: true });
  }
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    if (command === 'demo') {
      if (rest.length > 0) throw new UsageError(`demo: unexpected argument ${JSON.stringify(rest[0])}`);
      runDemo((line) => process.stdout.write(`${line}\n`));
      return 0;
    }
    if (command === 'scenario') return scenarioCommand(rest);
    throw new UsageError(`unknown command ${JSON.stringify(command)} (try: wsp help)`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`wsp: ${e.message}\n`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
