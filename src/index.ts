/**
 * winsock-spi: a Windows Sockets 2 service provider (the WSP* functions of ws2spi.h) in
 * TypeScript, over an embedded deterministic virtual network.
 *
 * @packageDocumentation
 */
export * from './provider/constants.js';
export { VirtualNetwork, VirtualHost } from './virtual/virtual-network.js';
export type { VirtualNetworkOptions, HostOptions, PacketRecord } from './virtual/virtual-network.js';
export { ServiceProvider, FROM_PROTOCOL_INFO, WSP_VERSION, PROC_NAMES, OVERLAPPED_PROC_NAMES } from './spi/service-provider.js';
export { ProviderBug } from './spi/funnel.js';
export type { WSPPROC_TABLE } from './spi/service-provider.js';
export { WSAEvent } from './provider/readiness.js';
export type {
  FD_SET, TIMEVAL, WSANETWORKEVENTS, LPINT, WSABUF, ConditionProc, WSPDATA, WSAPROTOCOL_INFOW, WSAPROTOCOLCHAIN, WSPUPCALLTABLE,
  WSAOVERLAPPED, WSAOVERLAPPED_COMPLETION_ROUTINE, WSATHREADID, LPWSAUSERAPC,
} from './spi/types.js';
export type { WSAMSG } from './spi/types.js';
export { protocolCatalog, PROVIDER_ID } from './spi/catalog.js';
export {
  encodeSockAddr, decodeSockAddr, sockAddrSize, SOCKADDR_IN_SIZE, SOCKADDR_IN6_SIZE,
} from './spi/sockaddr.js';
export type { SockAddr, SockAddrArg, SockAddrOut } from './spi/sockaddr.js';
export { normalizeBacklog, DEFAULT_LIMITS } from './provider/provider.js';
export type { ProviderLimits, SocketInfo } from './provider/provider.js';
export type { ListenStats } from './provider/listen-queue.js';
export { flagNames } from './net/segment.js';
export type { Segment } from './net/segment.js';
export { listen, connect, Connection, Listener, WinsockError } from './async/index.js';
export type { ListenOptions, ConnectOptions, ProviderSource } from './async/index.js';
export { Capture, type CaptureSink } from './virtual/capture.js';
export { VirtualDns, dnsKey, DNS_SERVER_IPV4, DNS_SERVER_IPV6, type DnsFailure, type DnsStatus, type DnsStats } from './net/dns.js';
export * from './ns/index.js';
export type { Faults } from './virtual/virtual-network.js';
export type { FaultStats } from './net/faults.js';
export { validateScenario, parseScenarioText, type Scenario, type Validation } from './scenario/schema.js';
export { runScenario, type ScenarioResult, type Outcome, type Sample } from './scenario/run.js';
export { reportHtml, summaryText } from './scenario/report.js';
export {
  CompletionPort, GetQueuedCompletionStatus, GetQueuedCompletionStatusAsync, GetQueuedCompletionStatusEx, PostQueuedCompletionStatus,
  CloseHandle, NoPortNotification, noPortNotification, statusToWin32, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, FILE_SKIP_SET_EVENT_ON_HANDLE,
} from './iocp/index.js';
export type { CompletionPacket, OVERLAPPED_ENTRY, LPCOMPLETION_KEY, LPLPOVERLAPPED } from './iocp/index.js';
export { JL_SENDER_ONLY, JL_RECEIVER_ONLY, JL_BOTH, type QOS, type FLOWSPEC } from './spi/unoffered.js';
export { formatAddressString, parseIPv4String, parseIPv6String, type LPWSTR } from './spi/address-string.js';
export {
  guidBytes, WSAID_ACCEPTEX_BYTES, WSAID_GETACCEPTEXSOCKADDRS_BYTES, WSAID_CONNECTEX_BYTES, WSAID_DISCONNECTEX_BYTES,
  WSAID_TRANSMITFILE_BYTES, WSAID_TRANSMITPACKETS_BYTES, WSAID_WSARECVMSG_BYTES, WSAID_WSASENDMSG_BYTES, WSAID_WSAPOLL_BYTES,
  slotSize, FUNCTION_POINTER_SIZE, type AcceptExFn, type GetAcceptExSockaddrsFn, type ExtensionFunction, type FunctionPointerOut,
  TF_DISCONNECT, TF_REUSE_SOCKET, type ConnectExFn, type DisconnectExFn,
} from './extensions/index.js';
export {
  readControl, WSA_CMSG_ALIGN, WSA_CMSG_LEN, WSA_CMSG_SPACE, WSACMSGHDR_SIZE, type ControlRecord, type WSARecvMsgFn, type WSASendMsgFn,
  TP_ELEMENT_EOP, TP_ELEMENT_FILE, TP_ELEMENT_MEMORY, TF_USE_DEFAULT_WORKER, TF_USE_KERNEL_APC, TF_USE_SYSTEM_THREAD,
  type TRANSMIT_PACKETS_ELEMENT, type TransmitPacketsFn,
} from './extensions/index.js';
