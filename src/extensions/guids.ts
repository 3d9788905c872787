/** The extension functions' GUIDs (mswsock.h) as the 16 bytes a C GUID is in memory. */
import {
  WSAID_ACCEPTEX, WSAID_CONNECTEX, WSAID_DISCONNECTEX, WSAID_GETACCEPTEXSOCKADDRS, WSAID_TRANSMITFILE, WSAID_TRANSMITPACKETS,
  WSAID_WSAPOLL, WSAID_WSARECVMSG, WSAID_WSASENDMSG,
} from '../provider/constants.js';

/**
 * A GUID in text (`{b5367df1-cbac-11cf-95ca-00805f48a192}`) as C lays it out: Data1 (32 bits),
 * Data2 and Data3 (16 bits each) little-endian, as on x86, then Data4's eight bytes in order.
 * What SIO_GET_EXTENSION_FUNCTION_POINTER reads from lpvInBuffer.
 */
export function guidBytes(text: string): Uint8Array {
  const hex = text.replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a GUID: ${text}`);
  const b = (i: number, n: number) => Array.from({ length: n }, (_, k) => parseInt(hex.slice(i + 2 * k, i + 2 * k + 2), 16));
  return new Uint8Array([...b(0, 4).reverse(), ...b(8, 2).reverse(), ...b(12, 2).reverse(), ...b(16, 8)]);
}

/** True when the first 16 bytes of `a` are the GUID `b`. */
export function sameGuid(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

// The text constants (WSAID_ACCEPTEX, …) stay exported as they were; these are their bytes.
export const WSAID_ACCEPTEX_BYTES = guidBytes(WSAID_ACCEPTEX);
export const WSAID_GETACCEPTEXSOCKADDRS_BYTES = guidBytes(WSAID_GETACCEPTEXSOCKADDRS);
export const WSAID_CONNECTEX_BYTES = guidBytes(WSAID_CONNECTEX);
export const WSAID_DISCONNECTEX_BYTES = guidBytes(WSAID_DISCONNECTEX);
export const WSAID_TRANSMITFILE_BYTES = guidBytes(WSAID_TRANSMITFILE);
export const WSAID_TRANSMITPACKETS_BYTES = guidBytes(WSAID_TRANSMITPACKETS);
export const WSAID_WSARECVMSG_BYTES = guidBytes(WSAID_WSARECVMSG);
export const WSAID_WSASENDMSG_BYTES = guidBytes(WSAID_WSASENDMSG);
export const WSAID_WSAPOLL_BYTES = guidBytes(WSAID_WSAPOLL);
