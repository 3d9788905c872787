/** The extension functions (mswsock.h) handed out by SIO_GET_EXTENSION_FUNCTION_POINTER. */
export {
  guidBytes, WSAID_ACCEPTEX_BYTES, WSAID_GETACCEPTEXSOCKADDRS_BYTES, WSAID_CONNECTEX_BYTES, WSAID_DISCONNECTEX_BYTES,
  WSAID_TRANSMITFILE_BYTES, WSAID_TRANSMITPACKETS_BYTES, WSAID_WSARECVMSG_BYTES, WSAID_WSASENDMSG_BYTES, WSAID_WSAPOLL_BYTES,
} from './guids.js';
export { slotSize, type AcceptExFn, type GetAcceptExSockaddrsFn } from './accept-ex.js';
export { type ConnectExFn } from './connect-ex.js';
export { TF_DISCONNECT, TF_REUSE_SOCKET, type DisconnectExFn } from './disconnect-ex.js';
export { FUNCTION_POINTER_SIZE, type ExtensionFunction, type FunctionPointerOut } from './function-pointers.js';
export {
  readControl, WSA_CMSG_ALIGN, WSA_CMSG_LEN, WSA_CMSG_SPACE, WSACMSGHDR_SIZE, type ControlRecord, type WSARecvMsgFn, type WSASendMsgFn,
} from './msg.js';
export {
  TP_ELEMENT_EOP, TP_ELEMENT_FILE, TP_ELEMENT_MEMORY, TF_USE_DEFAULT_WORKER, TF_USE_KERNEL_APC, TF_USE_SYSTEM_THREAD,
  type TRANSMIT_PACKETS_ELEMENT, type TransmitPacketsFn,
} from './transmit-packets.js';
