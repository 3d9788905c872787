/** SIO_GET_EXTENSION_FUNCTION_POINTER: the functions a provider hands out, by GUID. */
import { WSAEFAULT, WSAEINVAL } from '../provider/constants.js';
import { callerBytes } from '../spi/funnel.js';
import { getAcceptExSockaddrs, makeAcceptEx, type AcceptExFn, type ExtensionHost, type GetAcceptExSockaddrsFn } from './accept-ex.js';
import { makeConnectEx, type ConnectExFn } from './connect-ex.js';
import { makeDisconnectEx, type DisconnectExFn } from './disconnect-ex.js';
import { makeWSARecvMsg, makeWSASendMsg, type WSARecvMsgFn, type WSASendMsgFn } from './msg.js';
import { makeTransmitPackets, type TransmitPacketsFn } from './transmit-packets.js';
import { WSAID_TRANSMITPACKETS_BYTES, WSAID_WSARECVMSG_BYTES, WSAID_WSASENDMSG_BYTES } from './guids.js';
import { sameGuid, WSAID_ACCEPTEX_BYTES, WSAID_CONNECTEX_BYTES, WSAID_DISCONNECTEX_BYTES, WSAID_GETACCEPTEXSOCKADDRS_BYTES } from './guids.js';

/**
 * sizeof(void *) as this provider lays C structures out (32-bit pointers, as SOCKET is 32 bits
 * here): what lpcbBytesReturned reports and the least cbOutBuffer may be.
 */
export const FUNCTION_POINTER_SIZE = 4;

/** An extension function as the ioctl hands it out. */
export type ExtensionFunction = AcceptExFn | GetAcceptExSockaddrsFn | ConnectExFn | DisconnectExFn
  | WSARecvMsgFn | WSASendMsgFn | TransmitPacketsFn;

/** The pointer's place: `lpvOutBuffer` is `{ value }`, and the function is written to `value`. */
export interface FunctionPointerOut {
  value: ExtensionFunction | null;
}

const MADE = new WeakMap<ExtensionHost, Map<Uint8Array, ExtensionFunction>>();

/** The functions of one provider, made once: the same GUID gives the same function each time, as in C. */
function functionsOf(host: ExtensionHost): Map<Uint8Array, ExtensionFunction> {
  let m = MADE.get(host);
  if (m === undefined) {
    m = new Map<Uint8Array, ExtensionFunction>([
      [WSAID_ACCEPTEX_BYTES, makeAcceptEx(host)],
      [WSAID_GETACCEPTEXSOCKADDRS_BYTES, getAcceptExSockaddrs],
      [WSAID_CONNECTEX_BYTES, makeConnectEx(host)],
      [WSAID_DISCONNECTEX_BYTES, makeDisconnectEx(host)],
      [WSAID_WSARECVMSG_BYTES, makeWSARecvMsg(host)],
      [WSAID_WSASENDMSG_BYTES, makeWSASendMsg(host)],
      [WSAID_TRANSMITPACKETS_BYTES, makeTransmitPackets(host)],
    ]);
    MADE.set(host, m);
  }
  return m;
}

/**
 * The function a 16-byte GUID in the caller's input names, or a Winsock code: WSAEFAULT for an
 * input shorter than a GUID, WSAEINVAL for a GUID this provider does not offer (Wine's
 * test_get_extension_func: a bogus GUID is WSAEINVAL, the count untouched).
 */
export function lookupExtension(host: ExtensionHost, inBuf: unknown, inLen: number): ExtensionFunction | number {
  const guid = inLen >= 16 ? callerBytes(inBuf, 16) : undefined;
  if (guid === undefined) return WSAEFAULT;
  for (const [id, fn] of functionsOf(host)) if (sameGuid(guid, id)) return fn;
  return WSAEINVAL;
}
