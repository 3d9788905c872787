/**
 * The retransmission time-out of RFC 6298: a smoothed round-trip time and its variation,
 * sampled from segments that were not retransmitted (Karn), doubled on each expiry.
 */

/** Clock granularity G of RFC 6298 §2: the virtual clock counts microseconds. */
const GRANULARITY_US = 1;

export class RtoEstimator {
  private srttUs = 0;
  private rttvarUs = 0;
  private sampled = false;
  private baseUs: number;
  /** Expiries since the last new acknowledgment: each doubles the time-out. */
  backoffs = 0;
  /** The segment being timed (its end), and when it left; null when none is (Karn's rule). */
  timedSeq: number | null = null;
  timedSentUs = 0;

  constructor(
    initialUs: number,
    private readonly minUs: number,
    private readonly maxUs: number,
  ) {
    this.baseUs = initialUs;
  }

  /** The time-out to arm now. */
  get rtoUs(): number {
    return Math.min(this.maxUs, this.baseUs * 2 ** this.backoffs);
  }

  /** A round-trip measurement (RFC 6298 §2.2–2.3). */
  sample(rttUs: number): void {
    if (!this.sampled) {
      this.srttUs = rttUs;
      this.rttvarUs = rttUs / 2;
      this.sampled = true;
    } else {
      this.rttvarUs = 0.75 * this.rttvarUs + 0.25 * Math.abs(this.srttUs - rttUs);
      this.srttUs = 0.875 * this.srttUs + 0.125 * rttUs;
    }
    this.baseUs = Math.min(this.maxUs, Math.max(this.minUs, this.srttUs + Math.max(GRANULARITY_US, 4 * this.rttvarUs)));
  }

  /** The smoothed round-trip time, or undefined before the first sample. */
  get srtt(): number | undefined {
    return this.sampled ? this.srttUs : undefined;
  }
}
