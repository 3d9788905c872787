/**
 * Classic libpcap capture files: a 24-byte file header, then one record header plus frame per
 * packet. Written little-endian (magic 0xa1b2c3d4 stored as d4 c3 b2 a1), version 2.4,
 * microsecond timestamps, link type Ethernet. Pure: the time is the caller's virtual time.
 */

export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const PCAP_SNAPLEN = 262144;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_FILE_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;

/** The 24-byte file header (thiszone 0, sigfigs 0, snaplen {@link PCAP_SNAPLEN}, Ethernet). */
export function pcapFileHeader(): Uint8Array {
  const out = new Uint8Array(PCAP_FILE_HEADER_LENGTH);
  const v = new DataView(out.buffer);
  v.setUint32(0, PCAP_MAGIC_MICROSECONDS, true);
  v.setUint16(4, PCAP_VERSION_MAJOR, true);
  v.setUint16(6, PCAP_VERSION_MINOR, true);
  v.setInt32(8, 0, true);
  v.setUint32(12, 0, true);
  v.setUint32(16, PCAP_SNAPLEN, true);
  v.setUint32(20, LINKTYPE_ETHERNET, true);
  return out;
}

/**
 * One record: ts_sec and ts_usec from `timeMicros` (virtual microseconds since the epoch the
 * caller chooses; negative or non-finite times are written as 0, fractions are dropped),
 * the captured length (at most {@link PCAP_SNAPLEN}), the original length, then the frame
 * bytes as captured.
 */
export function pcapRecord(timeMicros: number, frame: Uint8Array): Uint8Array {
  const t = Number.isFinite(timeMicros) && timeMicros > 0 ? Math.floor(timeMicros) : 0;
  const seconds = Math.floor(t / 1_000_000);
  const micros = t - seconds * 1_000_000;
  const captured = Math.min(frame.length, PCAP_SNAPLEN);
  const out = new Uint8Array(PCAP_RECORD_HEADER_LENGTH + captured);
  const v = new DataView(out.buffer);
  v.setUint32(0, seconds >>> 0, true);
  v.setUint32(4, micros, true);
  v.setUint32(8, captured, true);
  v.setUint32(12, frame.length, true);
  out.set(frame.subarray(0, captured), PCAP_RECORD_HEADER_LENGTH);
  return out;
}
