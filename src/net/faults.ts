/**
 * What can go wrong between two hosts: latency, jitter, loss, duplication, reordering,
 * corruption and a bandwidth limit, drawn from the network's seeded random source so one seed
 * gives one run. Rules apply network-wide, per host, and per link (each later one overrides).
 */

/** Fault rules; every field is optional (absent: inherited). Times are microseconds. */
export interface LinkRules {
  latencyUs?: number;
  /** Extra delay drawn uniformly from [0, jitterUs). */
  jitterUs?: number;
  /** Probability that a packet is lost. */
  lossRate?: number;
  /** Probability that a packet arrives twice. */
  duplicateRate?: number;
  /** Probability that a packet is held back behind later ones (an extra delay of 2 latencies). */
  reorderRate?: number;
  /** Probability that a packet is damaged on the way: the receiver drops it (bad checksum). */
  corruptRate?: number;
  /** Bits per second a link carries; packets queue behind each other (0 or absent: unlimited). */
  bandwidthBps?: number;
}

/** Counters of what the network did with packets between hosts. */
export interface FaultStats {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  partitioned: number;
  held: number;
}

export function emptyStats(): FaultStats {
  return { sent: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, corrupted: 0, partitioned: 0, held: 0 };
}

/** Checks rule values: rates in [0, 1], times and bandwidth >= 0. Throws RangeError (a caller's bug). */
export function checkRules(rules: LinkRules): LinkRules {
  for (const [k, v] of Object.entries(rules)) {
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${k} must be a number >= 0, got ${String(v)}`);
    if (k.endsWith('Rate') && v > 1) throw new RangeError(`${k} must be between 0 and 1, got ${v}`);
  }
  return { ...rules };
}

export function merge(...layers: (LinkRules | undefined)[]): Required<LinkRules> {
  const out: Required<LinkRules> = {
    latencyUs: 0, jitterUs: 0, lossRate: 0, duplicateRate: 0, reorderRate: 0, corruptRate: 0, bandwidthBps: 0,
  };
  for (const l of layers) {
    if (l === undefined) continue;
    for (const [k, v] of Object.entries(l)) if (v !== undefined) (out as Record<string, number>)[k] = v;
  }
  return out;
}
