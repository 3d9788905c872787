/**
 * The protocol catalogue: what this provider offers, as WSAPROTOCOL_INFOW records shaped
 * like the ones Windows' own TCP/IP provider installs.
 */
import {
  AF_INET, AF_INET6, BASE_PROTOCOL, BIGENDIAN, IPPROTO_TCP, IPPROTO_UDP, PFL_MATCHES_PROTOCOL_ZERO,
  SECURITY_PROTOCOL_NONE, SOCK_DGRAM, SOCK_STREAM, XP1_CONNECTIONLESS,
  XP1_GRACEFUL_CLOSE, XP1_GUARANTEED_DELIVERY, XP1_GUARANTEED_ORDER, XP1_IFS_HANDLES,
  XP1_EXPEDITED_DATA, XP1_MESSAGE_ORIENTED, XP1_SUPPORT_BROADCAST, XP1_SUPPORT_MULTIPOINT,
} from '../provider/constants.js';
import type { WSAPROTOCOL_INFOW } from './types.js';

/** This provider's GUID. */
export const PROVIDER_ID = '{5f0c2b7e-6a43-4c1e-9d8a-2b1f7e3c9a10}';

/** Largest UDP payload Windows' provider advertises in dwMessageSize. */
const UDP_MESSAGE_SIZE = 0xffbb;

// What the flags claim, each offered: XP1_EXPEDITED_DATA is added where the network carries urgent
// (MSG_OOB) data: the virtual one. No XP1_CONNECT_DATA / _DISCONNECT_DATA (TCP carries none:
// WSPRecvDisconnect), no XP1_QOS_SUPPORTED (WSPGetQOSByName has no templates), no
// XP1_PARTIAL_MESSAGE (a receive never reports MSG_PARTIAL). Overlapped I/O and WSPDuplicateSocket have no flag:
// every base provider offers them (src/spi/duplicate.ts). XP1_IFS_HANDLES is kept as Windows' TCP/IP
// entries have it (SO_PROTOCOL_INFO reads these records; Wine's tests show the flag there), though
// completions go through WPUCompleteOverlappedRequest (docs/overlapped.md, "Delivery").
// XP1_SUPPORT_MULTIPOINT on UDP, as Windows' entries have it: IP multicast (IP_ADD_MEMBERSHIP and
// kin) is carried by both networks. Neither XP1_MULTIPOINT_CONTROL_PLANE nor _DATA_PLANE: IP
// multicast is non-rooted in both planes (no WSPJoinLeaf), which is what their absence says.
const STREAM_FLAGS = XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER | XP1_GRACEFUL_CLOSE | XP1_IFS_HANDLES;
const DGRAM_FLAGS = XP1_CONNECTIONLESS | XP1_MESSAGE_ORIENTED | XP1_SUPPORT_BROADCAST | XP1_SUPPORT_MULTIPOINT | XP1_IFS_HANDLES;

function entry(id: number, af: number, type: number, protocol: number, name: string, urgentData: boolean): WSAPROTOCOL_INFOW {
  const size = af === AF_INET6 ? 28 : 16;
  const stream = type === SOCK_STREAM;
  return {
    dwServiceFlags1: stream ? STREAM_FLAGS | (urgentData ? XP1_EXPEDITED_DATA : 0) : DGRAM_FLAGS,
    dwServiceFlags2: 0,
    dwServiceFlags3: 0,
    dwServiceFlags4: 0,
    dwProviderFlags: PFL_MATCHES_PROTOCOL_ZERO,
    ProviderId: PROVIDER_ID,
    dwCatalogEntryId: id,
    ProtocolChain: { ChainLen: BASE_PROTOCOL, ChainEntries: [] },
    iVersion: 2,
    iAddressFamily: af,
    iMaxSockAddr: size,
    iMinSockAddr: size,
    iSocketType: type,
    iProtocol: protocol,
    iProtocolMaxOffset: 0,
    iNetworkByteOrder: BIGENDIAN,
    iSecurityScheme: SECURITY_PROTOCOL_NONE,
    dwMessageSize: stream ? 0 : UDP_MESSAGE_SIZE,
    dwProviderReserved: 0,
    szProtocol: name,
  };
}

/**
 * A fresh copy of the catalogue: TCP and UDP over IPv4 and IPv6. `urgentData`: the network
 * carries TCP urgent data (the virtual network does; node:net does not), so the TCP entries
 * claim XP1_EXPEDITED_DATA.
 */
export function protocolCatalog(urgentData = true): WSAPROTOCOL_INFOW[] {
  return [
    entry(1001, AF_INET, SOCK_STREAM, IPPROTO_TCP, 'winsock-spi TCP/IP [TCP/IP]', urgentData),
    entry(1002, AF_INET, SOCK_DGRAM, IPPROTO_UDP, 'winsock-spi TCP/IP [UDP/IP]', urgentData),
    entry(1003, AF_INET6, SOCK_STREAM, IPPROTO_TCP, 'winsock-spi TCP/IPv6 [TCP/IP]', urgentData),
    entry(1004, AF_INET6, SOCK_DGRAM, IPPROTO_UDP, 'winsock-spi TCP/IPv6 [UDP/IP]', urgentData),
  ];
}
