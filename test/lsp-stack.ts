/** The LSP tests' set-up: a catalogue with a base provider, the chaos and tracing LSPs in one chain over it, and a started Ws2. */
import assert from 'node:assert/strict';
import { Catalog, Ws2, type BaseProvider } from '../src/ws2/index.js';
import { ChaosLsp, TracingLsp, type ChaosRule, type TraceRecord } from '../src/lsp/index.js';

export interface Stack {
  ws: Ws2;
  catalog: Catalog;
  chaos: ChaosLsp;
  text: string[];
  json: string[];
  records: TraceRecord[];
}

/**
 * A catalogue with `p` as base and both LSPs in one chain over it (`top`: which one the
 * program calls first; each layer sees its caller's handles, so the top one sees the program's); a started Ws2.
 */
export function stack(p: BaseProvider, rules: ChaosRule[] = [], seed = 1, top: 'tracing' | 'chaos' = 'tracing'): Stack {
  const catalog = new Catalog();
  const bases = catalog.installBase(p);
  const chaos = new ChaosLsp(catalog, { rules, seed });
  const text: string[] = [];
  const json: string[] = [];
  const records: TraceRecord[] = [];
  const tracing = new TracingLsp(catalog, { text, json, records });
  const [first, second] = top === 'tracing' ? [chaos, tracing] : [tracing, chaos];
  const lower = catalog.installLayered(first, { ProviderId: first.ProviderId, name: 'first', over: bases.map((b) => b.dwCatalogEntryId) });
  catalog.installLayered(second, { ProviderId: second.ProviderId, name: 'second', over: lower.chains.map((c) => c.dwCatalogEntryId) });
  const ws = new Ws2(catalog);
  assert.equal(ws.WSAStartup(0x0202, {}), 0);
  return { ws, catalog, chaos, text, json, records };
}

