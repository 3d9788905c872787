#!/usr/bin/env node
/**
 * The `wsp` command. `wsp demo` is what `npm start` runs.
 */
import { runDemo } from './demo.js';

const HELP = `wsp: winsock-spi, a Windows Sockets 2 service provider on a virtual network

Usage:
  wsp demo        run the WSPListen demonstration (what npm start runs)
  wsp help        show this text

Examples:
  npx wsp demo
  npm start
`;

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === 'demo') {
    if (rest.length > 0) {
      process.stderr.write(`wsp demo: unexpected argument ${JSON.stringify(rest[0])}\n`);
      return 2;
    }
    runDemo((line) => process.stdout.write(`${line}\n`));
    return 0;
  }
  process.stderr.write(`wsp: unknown command ${JSON.stringify(command)} (try: wsp help)\n`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
