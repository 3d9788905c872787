/**
 * A tiny emulator, as docs/embedding.md describes: two guest processes on the virtual network,
 * each a guest thread in a worker (examples/embedding-guest.ts) with its own guest RAM, calling a
 * ws2_32 the emulator implements over `winsock-spi/threads`. The guest echo server runs on
 * 10.0.0.1, the guest client on 10.0.0.2; this thread owns the network and serves both
 * (`ProviderServer`). Guest RAM is a SharedArrayBuffer by default (the provider reads and writes
 * it in place; this thread reads the guests' memory directly afterwards), or with
 * `--private-memory` an ArrayBuffer of each worker's own (only the bytes a call names cross).
 *
 *   npm run build:examples && node build/run/examples/embedding.js [--private-memory] [--trace]
 *
 * It prints the guests' socket calls (with `--trace` their successful sends and receives too), then what
 * each guest left in its memory.
 */
import { Worker } from 'node:worker_threads';
import { VirtualNetwork, decodeSockAddr, errorName, type SockAddr } from '../src/index.js';
import { ProviderServer, type ProviderChannel } from '../src/threads/index.js';
import {
  ClientResults, DATA, ECHO, GUEST_IMAGE, PEERS, RAM_SIZE, RESULTS, ServerResults,
  type GuestData, type GuestMessage,
} from './embedding-guest.js';
import { isMain } from './spi-helpers.js';

const SERVER_IP = 0x0a000001; // 10.0.0.1, as the guest writes it into its sockaddr_in
const PORT = 7;
const CLOSED_PORT = 9;

export interface EmbeddingOptions {
  /** Guest RAM kind: one SharedArrayBuffer per guest (default), or each worker's own ArrayBuffer. */
  memory?: 'shared' | 'private';
  /** The client's messages (its .data), echoed one after another. */
  messages?: string[];
  seed?: number;
  /** Each guest call as it returns (`server | bind(…) = 0`). */
  log?: (line: string) => void;
}

/** One guest process as it ended. */
export interface GuestReport {
  /** The guest program's exit code (0: it did all it meant to). */
  code: number;
  /** Its ws2_32 calls, in its own order. */
  trace: string[];
  /** Calls that crossed to the owner thread and bytes of ordinary memory they carried (0 with shared RAM). */
  wire: { calls: number; bytesSent: number };
  /** A call after the thread closed its channel: its return and last error (WSANOTINITIALISED). */
  afterClose: { ret: number; error: number };
  /** The first bytes of its RAM (the results, peers, data and echo areas). */
  ram: Uint8Array;
}

export interface EmbeddingResult {
  server: GuestReport & { connections: number; bytes: number; bindAgainError: number; peer: SockAddr | undefined };
  client: GuestReport & { refusedError: number; badPointerError: number; echoed: number; mismatches: number; sent: Uint8Array; echo: Uint8Array };
  /** Both guests exited 0, the echo matched byte for byte, and the server served every byte sent. */
  ok: boolean;
}

export const DEFAULT_MESSAGES = ['hello from the guest', 'x'.repeat(3000), 'ü∂ß — and 50 000 more bytes follow', '0123456789'.repeat(5000)];

/** Starts one guest thread; resolves with its report when it exits. */
function startGuest(
  channel: ProviderChannel, memory: SharedArrayBuffer | null, program: GuestData['program'], onCall: (m: Extract<GuestMessage, { type: 'call' }>) => void,
): Promise<Omit<GuestReport, 'ram'> & { image: Uint8Array | null }> {
  const data: GuestData = { kind: 'embedding-guest', channel, memory, program };
  const worker = new Worker(new URL('./embedding-guest.js', import.meta.url), { workerData: data, transferList: [channel.port] });
  const trace: string[] = [];
  return new Promise((resolve, reject) => {
    let exit: Extract<GuestMessage, { type: 'exit' }> | undefined;
    worker.on('message', (m: GuestMessage) => {
      if (m.type === 'call') {
        trace.push(m.entry.line);
        onCall(m);
      } else exit = m;
    });
    worker.on('error', reject);
    worker.on('exit', () => (exit === undefined
      ? reject(new Error(`guest ${program.name} ended without an exit report`))
      : resolve({ code: exit.code, trace, wire: exit.wire, afterClose: exit.afterClose, image: exit.image })));
  });
}

const u32 = (ram: Uint8Array, word: number): number => new DataView(ram.buffer, ram.byteOffset, ram.byteLength).getUint32(RESULTS + 4 * word, true);

/** Runs the guest echo server and the guest client on a fresh virtual network. */
export async function runEmbedding(opts: EmbeddingOptions = {}): Promise<EmbeddingResult> {
  const messages = opts.messages ?? DEFAULT_MESSAGES;
  const log = opts.log ?? (() => {});
  const net = new VirtualNetwork({ seed: opts.seed ?? 1 });
  const serverHost = net.addHost({ name: 'guest-server', addresses: ['10.0.0.1'] });
  const clientHost = net.addHost({ name: 'guest-client', addresses: ['10.0.0.2'] });
  // One owner serves every guest thread, whichever host (guest machine) its channel names.
  const owner = new ProviderServer(serverHost.provider);
  const shared = (opts.memory ?? 'shared') === 'shared';
  const serverRam = shared ? new SharedArrayBuffer(RAM_SIZE) : null;
  const clientRam = shared ? new SharedArrayBuffer(RAM_SIZE) : null;

  let listening!: () => void;
  const ready = new Promise<void>((r) => (listening = r));
  try {
    const server = startGuest(owner.open(serverHost.provider), serverRam, { name: 'server', port: PORT, clients: 1 }, (m) => {
      log(`server | ${m.entry.line}`);
      // The launcher starts the client once the server listens (a real test harness waits for the same).
      if (m.entry.name === 'listen' && m.entry.ret === 0) listening();
    });
    await Promise.race([ready, server]);
    const client = startGuest(
      owner.open(clientHost.provider), clientRam, { name: 'client', server: SERVER_IP, port: PORT, closedPort: CLOSED_PORT, messages },
      (m) => log(`client | ${m.entry.line}`),
    );
    const [s, c] = await Promise.all([server, client]);
    // Shared guest RAM is read here directly; private RAM came back as a copy with the exit report.
    const sRam = serverRam !== null ? new Uint8Array(serverRam, 0, GUEST_IMAGE) : s.image!;
    const cRam = clientRam !== null ? new Uint8Array(clientRam, 0, GUEST_IMAGE) : c.image!;
    const sentLength = messages.reduce((n, m) => n + Buffer.byteLength(m), 0);
    const sent = cRam.subarray(DATA, DATA + sentLength);
    const echo = cRam.subarray(ECHO, ECHO + sentLength);
    const result: EmbeddingResult = {
      server: {
        code: s.code, trace: s.trace, wire: s.wire, afterClose: s.afterClose, ram: sRam,
        connections: u32(sRam, ServerResults.connections), bytes: u32(sRam, ServerResults.bytes),
        bindAgainError: u32(sRam, ServerResults.bindAgainError), peer: decodeSockAddr(sRam.subarray(PEERS, PEERS + 16)),
      },
      client: {
        code: c.code, trace: c.trace, wire: c.wire, afterClose: c.afterClose, ram: cRam, sent, echo,
        refusedError: u32(cRam, ClientResults.refusedError), badPointerError: u32(cRam, ClientResults.badPointerError),
        echoed: u32(cRam, ClientResults.echoed), mismatches: u32(cRam, ClientResults.mismatches),
      },
      ok: false,
    };
    result.ok = s.code === 0 && c.code === 0 && Buffer.compare(sent, echo) === 0 && result.client.echoed === sentLength
      && result.client.mismatches === 0 && result.server.bytes === sentLength;
    return result;
  } finally {
    owner.close();
  }
}

const codeName = (code: number): string => (code === 0 ? '0' : errorName(code) ?? String(code));

/** The transcript a run prints. */
export function summary(r: EmbeddingResult, memory: 'shared' | 'private'): string[] {
  const peer = r.server.peer === undefined ? '?' : `${r.server.peer.address}:${r.server.peer.port}`;
  return [
    `server exit ${r.server.code}: ${r.server.connections} connection(s) from ${peer}, ${r.server.bytes} bytes echoed; ` +
      `a second bind to port ${PORT}: ${codeName(r.server.bindAgainError)}`,
    `client exit ${r.client.code}: connect to port ${CLOSED_PORT}: ${codeName(r.client.refusedError)}; ` +
      `send from past the end of guest RAM: ${codeName(r.client.badPointerError)}; ` +
      `${r.client.echoed} bytes echoed, ${r.client.mismatches} differing`,
    `guest RAM ${memory}: ${r.server.wire.calls + r.client.wire.calls} calls crossed, ` +
      `${r.server.wire.bytesSent + r.client.wire.bytesSent} bytes of guest memory copied onto the channel`,
    `after its channel closed a guest's socket() returns ${r.client.afterClose.ret} with ${codeName(r.client.afterClose.error)}`,
    r.ok ? 'all ok' : 'FAILED',
  ];
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const unknown = args.find((a) => a !== '--private-memory' && a !== '--trace');
  if (unknown !== undefined) {
    console.error(`unknown option ${unknown}; usage: embedding.js [--private-memory] [--trace]`);
    process.exit(2);
  }
  const memory = args.includes('--private-memory') ? 'private' : 'shared';
  const all = args.includes('--trace');
  const r = await runEmbedding({ memory, log: (l) => (all || !/\| (send|recv)\(.*\) = \d+$/.test(l) ? console.log(l) : undefined) });
  for (const line of summary(r, memory)) console.log(line);
  process.exitCode = r.ok ? 0 : 1;
}
