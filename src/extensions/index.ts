/** The extension functions (mswsock.h) handed out by SIO_GET_EXTENSION_FUNCTION_POINTER. */
export {
  guidBytes, WSAID_ACCEPTEX_BYTES, WSAID_GETACCEPTEXSOCKADDRS_BYTES, WSAID_CONNECTEX_BYTES, WSAID_DISCONNECTEX_BYTES,
  WSAID_TRANSMITFILE_BYTES, WSAID_TRANSMITPACKETS_BYTES, WSAID_WSARECVMSG_BYTES, WSAID_WSASENDMSG_BYTES, WSAID_WSAPOLL_BYTES,
} from './guids.js';
export { slotSize, type AcceptExFn, type GetAcceptExSockaddrsFn } from './accept-ex.js';
export { FUNCTION_POINTER_SIZE, type ExtensionFunction, type FunctionPointerOut } from './function-pointers.js';
