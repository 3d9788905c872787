/**
 * Windows Sockets 2 constants with their real numeric values (winsock2.h, ws2def.h, ws2spi.h,
 * mswsock.h), and the names and texts of every error code.
 *
 * @packageDocumentation
 */

// ---- return values -------------------------------------------------------------------------

/** What a `WSP*` function returning `int` gives on failure. */
export const SOCKET_ERROR = -1;
/** What `WSPSocket`/`WSPAccept` give on failure: the 32-bit value of `(SOCKET)~0`. */
export const INVALID_SOCKET = 0xffffffff;

// ---- address families, socket types, protocols ----------------------------------------------

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 23;

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_RDM = 4;
export const SOCK_SEQPACKET = 5;

export const IPPROTO_IP = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_RAW = 255;

// ---- socket options ------------------------------------------------------------------------

export const SOL_SOCKET = 0xffff;
export const SO_DEBUG = 0x0001;
export const SO_ACCEPTCONN = 0x0002;
export const SO_REUSEADDR = 0x0004;
export const SO_KEEPALIVE = 0x0008;
export const SO_DONTROUTE = 0x0010;
export const SO_BROADCAST = 0x0020;
export const SO_USELOOPBACK = 0x0040;
export const SO_LINGER = 0x0080;
export const SO_OOBINLINE = 0x0100;
/** `~SO_LINGER` in C. */
export const SO_DONTLINGER = ~SO_LINGER;
/** `~SO_REUSEADDR` in C. */
export const SO_EXCLUSIVEADDRUSE = ~SO_REUSEADDR;
export const SO_SNDBUF = 0x1001;
export const SO_RCVBUF = 0x1002;
export const SO_SNDLOWAT = 0x1003;
export const SO_RCVLOWAT = 0x1004;
export const SO_SNDTIMEO = 0x1005;
export const SO_RCVTIMEO = 0x1006;
export const SO_ERROR = 0x1007;
export const SO_TYPE = 0x1008;
export const SO_GROUP_ID = 0x2001;
export const SO_GROUP_PRIORITY = 0x2002;
export const SO_MAX_MSG_SIZE = 0x2003;
export const SO_PROTOCOL_INFOW = 0x2005;
export const SO_CONDITIONAL_ACCEPT = 0x3002;
export const SO_UPDATE_ACCEPT_CONTEXT = 0x700b;
export const SO_UPDATE_CONNECT_CONTEXT = 0x7010;
export const SO_BSP_STATE = 0x1009;
export const SO_PROTOCOL_INFOA = 0x2004;
/** Reserved for the provider's configuration (opaque). */
export const PVD_CONFIG = 0x3001;
export const SO_PORT_SCALABILITY = 0x3006;
export const SO_REUSE_UNICASTPORT = 0x3007;
export const SO_REUSE_MULTICASTPORT = 0x3008;
/** ws2_32's per-thread open type (mswsock.h): ws2_32 keeps it, a provider never sees it. */
export const SO_OPENTYPE = 0x7008;
export const SO_SYNCHRONOUS_ALERT = 0x10;
export const SO_SYNCHRONOUS_NONALERT = 0x20;
export const SO_MAXDG = 0x7009;
export const SO_MAXPATHDG = 0x700a;
/** Seconds a connection-oriented socket has been connected; 0xffffffff when it is not (mswsock.h). */
export const SO_CONNECT_TIME = 0x700c;

// ---- IPPROTO_TCP options (ws2ipdef.h, mstcpip.h) ----------------------------------------------

export const TCP_NODELAY = 0x0001;
export const TCP_EXPEDITED_1122 = 0x0002;
/** Idle seconds before the first keep-alive probe (TCP_KEEPIDLE is the same option). */
export const TCP_KEEPALIVE = 3;
export const TCP_KEEPIDLE = TCP_KEEPALIVE;
export const TCP_MAXSEG = 4;
export const TCP_MAXRT = 5;
export const TCP_STDURG = 6;
export const TCP_NOURG = 7;
export const TCP_ATMARK = 8;
export const TCP_NOSYNRETRIES = 9;
export const TCP_TIMESTAMPS = 10;
export const TCP_OFFLOAD_PREFERENCE = 11;
export const TCP_CONGESTION_ALGORITHM = 12;
export const TCP_DELAY_FIN_ACK = 13;
export const TCP_MAXRTMS = 14;
export const TCP_FASTOPEN = 15;
/** Unanswered keep-alive probes before the connection is dropped (at most 255). */
export const TCP_KEEPCNT = 16;
/** Seconds between unanswered keep-alive probes. */
export const TCP_KEEPINTVL = 17;
export const TCP_FAIL_CONNECT_ON_ICMP_ERROR = 18;
export const TCP_ICMP_ERROR_INFO = 19;
export const TCP_BSDURGENT = 0x7000;

// ---- IPPROTO_IP options (ws2ipdef.h) ----------------------------------------------------------

export const IP_OPTIONS = 1;
export const IP_HDRINCL = 2;
export const IP_TOS = 3;
export const IP_TTL = 4;
export const IP_MULTICAST_IF = 9;
export const IP_MULTICAST_TTL = 10;
export const IP_MULTICAST_LOOP = 11;
export const IP_ADD_MEMBERSHIP = 12;
export const IP_DROP_MEMBERSHIP = 13;
export const IP_DONTFRAGMENT = 14;
export const IP_ADD_SOURCE_MEMBERSHIP = 15;
export const IP_DROP_SOURCE_MEMBERSHIP = 16;
export const IP_BLOCK_SOURCE = 17;
export const IP_UNBLOCK_SOURCE = 18;
export const IP_PKTINFO = 19;
export const IP_HOPLIMIT = 21;
export const IP_RECVTTL = 21;
export const IP_RECEIVE_BROADCAST = 22;
export const IP_RECVIF = 24;
export const IP_RECVDSTADDR = 25;
export const IP_IFLIST = 28;
export const IP_ADD_IFLIST = 29;
export const IP_DEL_IFLIST = 30;
export const IP_UNICAST_IF = 31;
export const IP_RTHDR = 32;
export const IP_GET_IFLIST = 33;
export const IP_RECVRTHDR = 38;
export const IP_TCLASS = 39;
export const IP_RECVTCLASS = 40;
export const IP_RECVTOS = 40;
export const IP_ORIGINAL_ARRIVAL_IF = 47;
export const IP_ECN = 50;
export const IP_RECVECN = 50;
export const IP_PKTINFO_EX = 51;
export const IP_WFP_REDIRECT_RECORDS = 60;
export const IP_WFP_REDIRECT_CONTEXT = 70;
export const IP_MTU_DISCOVER = 71;
export const IP_MTU = 73;
export const IP_NRT_INTERFACE = 74;
export const IP_RECVERR = 75;
export const IP_USER_MTU = 76;

/** IP_MTU_DISCOVER / IPV6_MTU_DISCOVER values (PMTUD_STATE). */
export const IP_PMTUDISC_NOT_SET = 0;
export const IP_PMTUDISC_DO = 1;
export const IP_PMTUDISC_DONT = 2;
export const IP_PMTUDISC_PROBE = 3;

// ---- IPPROTO_IPV6 options (ws2ipdef.h) --------------------------------------------------------

export const IPV6_HOPOPTS = 1;
export const IPV6_HDRINCL = 2;
export const IPV6_UNICAST_HOPS = 4;
export const IPV6_MULTICAST_IF = 9;
export const IPV6_MULTICAST_HOPS = 10;
export const IPV6_MULTICAST_LOOP = 11;
export const IPV6_ADD_MEMBERSHIP = 12;
export const IPV6_JOIN_GROUP = 12;
export const IPV6_DROP_MEMBERSHIP = 13;
export const IPV6_LEAVE_GROUP = 13;
export const IPV6_DONTFRAG = 14;
export const IPV6_PKTINFO = 19;
export const IPV6_HOPLIMIT = 21;
export const IPV6_PROTECTION_LEVEL = 23;
export const IPV6_RECVIF = 24;
export const IPV6_RECVDSTADDR = 25;
export const IPV6_CHECKSUM = 26;
export const IPV6_V6ONLY = 27;
export const IPV6_IFLIST = 28;
export const IPV6_ADD_IFLIST = 29;
export const IPV6_DEL_IFLIST = 30;
export const IPV6_UNICAST_IF = 31;
export const IPV6_RTHDR = 32;
export const IPV6_GET_IFLIST = 33;
export const IPV6_RECVRTHDR = 38;
export const IPV6_TCLASS = 39;
export const IPV6_RECVTCLASS = 40;
export const IPV6_ECN = 50;
export const IPV6_RECVECN = 50;
export const IPV6_PKTINFO_EX = 51;
export const IPV6_WFP_REDIRECT_RECORDS = 60;
export const IPV6_WFP_REDIRECT_CONTEXT = 70;
export const IPV6_MTU_DISCOVER = 71;
export const IPV6_MTU = 72;
export const IPV6_NRT_INTERFACE = 74;
export const IPV6_RECVERR = 75;
export const IPV6_USER_MTU = 76;

/** IPV6_PROTECTION_LEVEL values. */
export const PROTECTION_LEVEL_UNRESTRICTED = 10;
export const PROTECTION_LEVEL_EDGERESTRICTED = 20;
export const PROTECTION_LEVEL_RESTRICTED = 30;
/** `((UINT)-1)` in C. */
export const PROTECTION_LEVEL_DEFAULT = 0xffffffff;

/** The backlog value that asks the provider for its maximum reasonable backlog. */
export const SOMAXCONN = 0x7fffffff;
/** `SOMAXCONN_HINT(b)` of winsock2.h: a negative backlog that Windows reads as "b, clamped to 200..65535". */
export function SOMAXCONN_HINT(b: number): number {
  return -b;
}

// ---- ioctls --------------------------------------------------------------------------------

export const FIONBIO = 0x8004667e;
export const FIONREAD = 0x4004667f;
export const SIOCATMARK = 0x40047307;
export const SIO_UDP_CONNRESET = 0x9800000c;

/** The parts ioctl codes are built from (winsock2.h). */
export const IOC_UNIX = 0x00000000;
export const IOC_WS2 = 0x08000000;
export const IOC_PROTOCOL = 0x10000000;
export const IOC_VENDOR = 0x18000000;
export const IOC_VOID = 0x20000000;
export const IOC_OUT = 0x40000000;
export const IOC_IN = 0x80000000;
export const IOC_INOUT = 0xc0000000;

export const FIOASYNC = 0x8004667d;
export const SIO_ASSOCIATE_HANDLE = 0x88000001;
export const SIO_ENABLE_CIRCULAR_QUEUEING = 0x28000002;
export const SIO_FIND_ROUTE = 0x48000003;
export const SIO_FLUSH = 0x28000004;
export const SIO_GET_BROADCAST_ADDRESS = 0x48000005;
export const SIO_GET_EXTENSION_FUNCTION_POINTER = 0xc8000006;
export const SIO_GET_QOS = 0xc8000007;
export const SIO_GET_GROUP_QOS = 0xc8000008;
export const SIO_MULTIPOINT_LOOPBACK = 0x88000009;
export const SIO_MULTICAST_SCOPE = 0x8800000a;
export const SIO_SET_QOS = 0x8800000b;
export const SIO_SET_GROUP_QOS = 0x8800000c;
export const SIO_TRANSLATE_HANDLE = 0xc800000d;
export const SIO_ROUTING_INTERFACE_QUERY = 0xc8000014;
export const SIO_ROUTING_INTERFACE_CHANGE = 0x88000015;
export const SIO_ADDRESS_LIST_QUERY = 0x48000016;
export const SIO_ADDRESS_LIST_CHANGE = 0x28000017;
export const SIO_QUERY_TARGET_PNP_HANDLE = 0x48000018;
export const SIO_ADDRESS_LIST_SORT = 0xc8000019;
export const SIO_BSP_HANDLE = 0x4800001b;
export const SIO_BSP_HANDLE_SELECT = 0x4800001c;
export const SIO_BSP_HANDLE_POLL = 0x4800001d;
export const SIO_BASE_HANDLE = 0x48000022;
export const SIO_RCVALL = 0x98000001;
export const SIO_KEEPALIVE_VALS = 0x98000004;
export const SIO_LOOPBACK_FAST_PATH = 0x98000010;
export const SIO_TCP_INFO = 0xd8000027;
export const SIO_IDEAL_SEND_BACKLOG_CHANGE = 0x2000747a;
export const SIO_IDEAL_SEND_BACKLOG_QUERY = 0x4004747b;
export const SIO_GET_INTERFACE_LIST_EX = 0x4004747e;
export const SIO_GET_INTERFACE_LIST = 0x4004747f;

/** INTERFACE_INFO.iiFlags (ws2ipdef.h). */
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x4;
export const IFF_POINTTOPOINT = 0x8;
export const IFF_MULTICAST = 0x10;

/** Extension-function GUIDs (mswsock.h) as SIO_GET_EXTENSION_FUNCTION_POINTER takes them, in text. */
export const WSAID_ACCEPTEX = '{b5367df1-cbac-11cf-95ca-00805f48a192}';
export const WSAID_GETACCEPTEXSOCKADDRS = '{b5367df2-cbac-11cf-95ca-00805f48a192}';
export const WSAID_TRANSMITFILE = '{b5367df0-cbac-11cf-95ca-00805f48a192}';
export const WSAID_CONNECTEX = '{25a207b9-ddf3-4660-8ee9-76e58c74063e}';
export const WSAID_DISCONNECTEX = '{7fda2e11-8630-436f-a031-f536a6eec157}';
export const WSAID_TRANSMITPACKETS = '{d9689da0-1f90-11d3-9971-00c04f68c876}';
export const WSAID_WSARECVMSG = '{f689d7c8-6f1f-436b-8a53-e54fe351c322}';
export const WSAID_WSASENDMSG = '{a441e712-754f-43ca-84a7-0dee44cf606d}';
export const WSAID_WSAPOLL = '{18c76f85-dc66-4964-972e-23c27238312b}';

// ---- send/recv flags, shutdown -------------------------------------------------------------

export const MSG_OOB = 0x1;
export const MSG_PEEK = 0x2;
export const MSG_DONTROUTE = 0x4;
export const MSG_WAITALL = 0x8;
export const MSG_PUSH_IMMEDIATE = 0x20;
export const MSG_TRUNC = 0x0100;
export const MSG_CTRUNC = 0x0200;
export const MSG_BCAST = 0x0400;
export const MSG_MCAST = 0x0800;
export const MSG_PARTIAL = 0x8000;

export const SD_RECEIVE = 0;
export const SD_SEND = 1;
export const SD_BOTH = 2;

// ---- network events ------------------------------------------------------------------------

export const FD_READ = 0x01;
export const FD_WRITE = 0x02;
export const FD_OOB = 0x04;
export const FD_ACCEPT = 0x08;
export const FD_CONNECT = 0x10;
export const FD_CLOSE = 0x20;
export const FD_QOS = 0x40;
export const FD_GROUP_QOS = 0x80;
export const FD_ROUTING_INTERFACE_CHANGE = 0x100;
export const FD_ADDRESS_LIST_CHANGE = 0x200;
export const FD_MAX_EVENTS = 10;
export const FD_ALL_EVENTS = (1 << FD_MAX_EVENTS) - 1;
export const FD_SETSIZE = 64;

// ---- conditional accept ----------------------------------------------------------------------

export const CF_ACCEPT = 0x0000;
export const CF_REJECT = 0x0001;
export const CF_DEFER = 0x0002;

// ---- WSPSocket flags -----------------------------------------------------------------------

export const WSA_FLAG_OVERLAPPED = 0x01;
export const WSA_FLAG_MULTIPOINT_C_ROOT = 0x02;
export const WSA_FLAG_MULTIPOINT_C_LEAF = 0x04;
export const WSA_FLAG_MULTIPOINT_D_ROOT = 0x08;
export const WSA_FLAG_MULTIPOINT_D_LEAF = 0x10;
export const WSA_FLAG_ACCESS_SYSTEM_SECURITY = 0x40;
export const WSA_FLAG_NO_HANDLE_INHERIT = 0x80;
export const WSA_FLAG_REGISTERED_IO = 0x100;

// ---- WSAPROTOCOL_INFOW fields --------------------------------------------------------------

export const XP1_CONNECTIONLESS = 0x00000001;
export const XP1_GUARANTEED_DELIVERY = 0x00000002;
export const XP1_GUARANTEED_ORDER = 0x00000004;
export const XP1_MESSAGE_ORIENTED = 0x00000008;
export const XP1_PSEUDO_STREAM = 0x00000010;
export const XP1_GRACEFUL_CLOSE = 0x00000020;
export const XP1_EXPEDITED_DATA = 0x00000040;
export const XP1_CONNECT_DATA = 0x00000080;
export const XP1_DISCONNECT_DATA = 0x00000100;
export const XP1_SUPPORT_BROADCAST = 0x00000200;
export const XP1_SUPPORT_MULTIPOINT = 0x00000400;
export const XP1_MULTIPOINT_CONTROL_PLANE = 0x00000800;
export const XP1_MULTIPOINT_DATA_PLANE = 0x00001000;
export const XP1_QOS_SUPPORTED = 0x00002000;
export const XP1_INTERRUPT = 0x00004000;
export const XP1_UNI_SEND = 0x00008000;
export const XP1_UNI_RECV = 0x00010000;
export const XP1_IFS_HANDLES = 0x00020000;
export const XP1_PARTIAL_MESSAGE = 0x00040000;
export const XP1_SAN_SUPPORT_SDP = 0x00080000;

export const PFL_MULTIPLE_PROTO_ENTRIES = 0x00000001;
export const PFL_RECOMMENDED_PROTO_ENTRY = 0x00000002;
export const PFL_HIDDEN = 0x00000004;
export const PFL_MATCHES_PROTOCOL_ZERO = 0x00000008;
export const PFL_NETWORKDIRECT_PROVIDER = 0x00000010;

export const LAYERED_PROTOCOL = 0;
export const BASE_PROTOCOL = 1;
export const BIGENDIAN = 0x0000;
export const LITTLEENDIAN = 0x0001;
export const SECURITY_PROTOCOL_NONE = 0x0000;
export const MAX_PROTOCOL_CHAIN = 7;
export const WSAPROTOCOL_LEN = 255;
export const WSADESCRIPTION_LEN = 256;
export const WSASYS_STATUS_LEN = 128;

// ---- waiting on event objects (ws2_32's WSAWaitForMultipleEvents) ----------------------------

export const WSA_WAIT_EVENT_0 = 0;
export const WSA_WAIT_TIMEOUT = 0x102;
export const WSA_WAIT_FAILED = 0xffffffff;
export const WSA_INFINITE = 0xffffffff;

// ---- overlapped I/O: NTSTATUS values a WSAOVERLAPPED's Internal holds (ntstatus.h) -------------

/** The operation completed (Internal after a successful completion). */
export const STATUS_SUCCESS = 0x00000000;
/** The operation is still in progress (Internal while it pends). */
export const STATUS_PENDING = 0x00000103;
/** A datagram was truncated: a warning, so the bytes delivered still count (WSAEMSGSIZE). */
export const STATUS_BUFFER_OVERFLOW = 0x80000005;
export const STATUS_NOT_IMPLEMENTED = 0xc0000002;
export const STATUS_INVALID_HANDLE = 0xc0000008;
export const STATUS_ACCESS_VIOLATION = 0xc0000005;
export const STATUS_NO_MEMORY = 0xc0000017;
export const STATUS_BUFFER_TOO_SMALL = 0xc0000023;
export const STATUS_DEVICE_NOT_READY = 0xc00000a3;
export const STATUS_PIPE_DISCONNECTED = 0xc00000b0;
export const STATUS_IO_TIMEOUT = 0xc00000b5;
export const STATUS_NOT_SUPPORTED = 0xc00000bb;
export const STATUS_CANCELLED = 0xc0000120;
export const STATUS_LOCAL_DISCONNECT = 0xc000013b;
export const STATUS_REMOTE_DISCONNECT = 0xc000013c;
export const STATUS_INVALID_CONNECTION = 0xc0000140;
export const STATUS_INVALID_BUFFER_SIZE = 0xc0000206;
export const STATUS_CONNECTION_DISCONNECTED = 0xc000020c;
export const STATUS_CONNECTION_RESET = 0xc000020d;
export const STATUS_CONNECTION_REFUSED = 0xc0000236;
export const STATUS_GRACEFUL_DISCONNECT = 0xc0000237;
export const STATUS_NETWORK_UNREACHABLE = 0xc000023c;
export const STATUS_HOST_UNREACHABLE = 0xc000023d;
export const STATUS_PORT_UNREACHABLE = 0xc000023f;
export const STATUS_REQUEST_ABORTED = 0xc0000240;
export const STATUS_CONNECTION_ABORTED = 0xc0000241;

/** What an alertable wait (SleepEx, WaitForSingleObjectEx) returns when it ran completion routines. */
export const WAIT_IO_COMPLETION = 0xc0;

// ---- completion ports: kernel32's handles and Win32 codes (winbase.h, winerror.h) -----------
// GetQueuedCompletionStatus and its kin report Win32 codes, not Winsock ones: the NTSTATUS of a
// completion goes through RtlNtStatusToDosError (Wine's sock.c tests, docs/overlapped.md).

/** `(HANDLE)-1`: CreateIoCompletionPort's FileHandle when it only creates a port. */
export const INVALID_HANDLE_VALUE = -1;
export const ERROR_SUCCESS = 0;
export const ERROR_INVALID_FUNCTION = 1;
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_INVALID_HANDLE = 6;
export const ERROR_NOT_ENOUGH_MEMORY = 8;
export const ERROR_NOT_READY = 21;
export const ERROR_NOT_SUPPORTED = 50;
export const ERROR_UNEXP_NET_ERR = 59;
/** A completion failed with STATUS_CONNECTION_RESET (the peer's reset). */
export const ERROR_NETNAME_DELETED = 64;
export const ERROR_INVALID_PARAMETER = 87;
export const ERROR_SEM_TIMEOUT = 121;
export const ERROR_INSUFFICIENT_BUFFER = 122;
export const ERROR_PIPE_NOT_CONNECTED = 233;
/** A completion ended with STATUS_BUFFER_OVERFLOW (a truncated datagram). */
export const ERROR_MORE_DATA = 234;
/** GetQueuedCompletionStatus found no packet in time (the same value as WSA_WAIT_TIMEOUT). */
export const WAIT_TIMEOUT = 258;
export const ERROR_MR_MID_NOT_FOUND = 317;
/** The completion port was closed while the caller waited on it. */
export const ERROR_ABANDONED_WAIT_0 = 735;
/** A completion failed with STATUS_CANCELLED (CancelIoEx); equals WSA_OPERATION_ABORTED. */
export const ERROR_OPERATION_ABORTED = 995;
export const ERROR_NOACCESS = 998;
/** CancelIoEx found no operation to cancel. */
export const ERROR_NOT_FOUND = 1168;
export const ERROR_CONNECTION_REFUSED = 1225;
export const ERROR_GRACEFUL_DISCONNECT = 1226;
export const ERROR_CONNECTION_INVALID = 1229;
export const ERROR_NETWORK_UNREACHABLE = 1231;
export const ERROR_HOST_UNREACHABLE = 1232;
export const ERROR_PORT_UNREACHABLE = 1234;
export const ERROR_REQUEST_ABORTED = 1235;
/** A completion failed with STATUS_CONNECTION_ABORTED (the socket closed locally). */
export const ERROR_CONNECTION_ABORTED = 1236;
export const ERROR_NO_SYSTEM_RESOURCES = 1450;

// ---- network event bit indices (iErrorCode of WSANETWORKEVENTS) ------------------------------

export const FD_READ_BIT = 0;
export const FD_WRITE_BIT = 1;
export const FD_OOB_BIT = 2;
export const FD_ACCEPT_BIT = 3;
export const FD_CONNECT_BIT = 4;
export const FD_CLOSE_BIT = 5;
export const FD_QOS_BIT = 6;
export const FD_GROUP_QOS_BIT = 7;
export const FD_ROUTING_INTERFACE_CHANGE_BIT = 8;
export const FD_ADDRESS_LIST_CHANGE_BIT = 9;

// ---- error codes ---------------------------------------------------------------------------

export const WSA_INVALID_HANDLE = 6;
export const WSA_NOT_ENOUGH_MEMORY = 8;
export const WSA_INVALID_PARAMETER = 87;
export const WSA_OPERATION_ABORTED = 995;
export const WSA_IO_INCOMPLETE = 996;
export const WSA_IO_PENDING = 997;
export const WSAEINTR = 10004;
export const WSAEBADF = 10009;
export const WSAEACCES = 10013;
export const WSAEFAULT = 10014;
export const WSAEINVAL = 10022;
export const WSAEMFILE = 10024;
export const WSAEWOULDBLOCK = 10035;
export const WSAEINPROGRESS = 10036;
export const WSAEALREADY = 10037;
export const WSAENOTSOCK = 10038;
export const WSAEDESTADDRREQ = 10039;
export const WSAEMSGSIZE = 10040;
export const WSAEPROTOTYPE = 10041;
export const WSAENOPROTOOPT = 10042;
export const WSAEPROTONOSUPPORT = 10043;
export const WSAESOCKTNOSUPPORT = 10044;
export const WSAEOPNOTSUPP = 10045;
export const WSAEPFNOSUPPORT = 10046;
export const WSAEAFNOSUPPORT = 10047;
export const WSAEADDRINUSE = 10048;
export const WSAEADDRNOTAVAIL = 10049;
export const WSAENETDOWN = 10050;
export const WSAENETUNREACH = 10051;
export const WSAENETRESET = 10052;
export const WSAECONNABORTED = 10053;
export const WSAECONNRESET = 10054;
export const WSAENOBUFS = 10055;
export const WSAEISCONN = 10056;
export const WSAENOTCONN = 10057;
export const WSAESHUTDOWN = 10058;
export const WSAETOOMANYREFS = 10059;
export const WSAETIMEDOUT = 10060;
export const WSAECONNREFUSED = 10061;
export const WSAELOOP = 10062;
export const WSAENAMETOOLONG = 10063;
export const WSAEHOSTDOWN = 10064;
export const WSAEHOSTUNREACH = 10065;
export const WSAENOTEMPTY = 10066;
export const WSAEPROCLIM = 10067;
export const WSAEUSERS = 10068;
export const WSAEDQUOT = 10069;
export const WSAESTALE = 10070;
export const WSAEREMOTE = 10071;
export const WSASYSNOTREADY = 10091;
export const WSAVERNOTSUPPORTED = 10092;
export const WSANOTINITIALISED = 10093;
export const WSAEDISCON = 10101;
export const WSAENOMORE = 10102;
export const WSAECANCELLED = 10103;
export const WSAEINVALIDPROCTABLE = 10104;
export const WSAEINVALIDPROVIDER = 10105;
export const WSAEPROVIDERFAILEDINIT = 10106;
export const WSASYSCALLFAILURE = 10107;
export const WSASERVICE_NOT_FOUND = 10108;
export const WSATYPE_NOT_FOUND = 10109;
export const WSA_E_NO_MORE = 10110;
export const WSA_E_CANCELLED = 10111;
export const WSAEREFUSED = 10112;
export const WSAHOST_NOT_FOUND = 11001;
export const WSATRY_AGAIN = 11002;
export const WSANO_RECOVERY = 11003;
export const WSANO_DATA = 11004;

/** Name and short explanation of every code, in this project's own words. */
const ERRORS: ReadonlyArray<readonly [number, string, string]> = [
  [WSA_INVALID_HANDLE, 'WSA_INVALID_HANDLE', 'The event object handle is not valid.'],
  [WSA_NOT_ENOUGH_MEMORY, 'WSA_NOT_ENOUGH_MEMORY', 'There is not enough memory for the operation.'],
  [WSA_INVALID_PARAMETER, 'WSA_INVALID_PARAMETER', 'A parameter of the call is not valid.'],
  [WSA_OPERATION_ABORTED, 'WSA_OPERATION_ABORTED', 'The overlapped operation was cancelled (the socket was closed).'],
  [WSA_IO_INCOMPLETE, 'WSA_IO_INCOMPLETE', 'The overlapped operation has not completed yet.'],
  [WSA_IO_PENDING, 'WSA_IO_PENDING', 'The overlapped operation will complete later.'],
  [WSAEINTR, 'WSAEINTR', 'A blocking call was interrupted or cancelled.'],
  [WSAEBADF, 'WSAEBADF', 'The file handle is not valid.'],
  [WSAEACCES, 'WSAEACCES', 'Permission denied: the access is forbidden by the socket\'s or another socket\'s settings.'],
  [WSAEFAULT, 'WSAEFAULT', 'A pointer or length argument is not valid (too small, or not a usable buffer).'],
  [WSAEINVAL, 'WSAEINVAL', 'An argument is not valid, or the socket is in the wrong state for the call.'],
  [WSAEMFILE, 'WSAEMFILE', 'No more socket descriptors are available.'],
  [WSAEWOULDBLOCK, 'WSAEWOULDBLOCK', 'The non-blocking operation cannot complete at once; try again later.'],
  [WSAEINPROGRESS, 'WSAEINPROGRESS', 'A blocking operation or callback is in progress.'],
  [WSAEALREADY, 'WSAEALREADY', 'A non-blocking operation is already in progress on this socket.'],
  [WSAENOTSOCK, 'WSAENOTSOCK', 'The descriptor is not a socket.'],
  [WSAEDESTADDRREQ, 'WSAEDESTADDRREQ', 'A destination address is required.'],
  [WSAEMSGSIZE, 'WSAEMSGSIZE', 'The message is larger than the buffer or the protocol allows.'],
  [WSAEPROTOTYPE, 'WSAEPROTOTYPE', 'The protocol is the wrong type for this socket.'],
  [WSAENOPROTOOPT, 'WSAENOPROTOOPT', 'The option is unknown or not supported for this socket.'],
  [WSAEPROTONOSUPPORT, 'WSAEPROTONOSUPPORT', 'The protocol is not supported.'],
  [WSAESOCKTNOSUPPORT, 'WSAESOCKTNOSUPPORT', 'The socket type is not supported in this address family.'],
  [WSAEOPNOTSUPP, 'WSAEOPNOTSUPP', 'The operation is not supported for this kind of socket.'],
  [WSAEPFNOSUPPORT, 'WSAEPFNOSUPPORT', 'The protocol family is not supported.'],
  [WSAEAFNOSUPPORT, 'WSAEAFNOSUPPORT', 'The address family is not supported.'],
  [WSAEADDRINUSE, 'WSAEADDRINUSE', 'The address (address and port) is already in use.'],
  [WSAEADDRNOTAVAIL, 'WSAEADDRNOTAVAIL', 'The address is not valid in this context (not one of this host\'s, or not reachable as given).'],
  [WSAENETDOWN, 'WSAENETDOWN', 'The network subsystem has failed.'],
  [WSAENETUNREACH, 'WSAENETUNREACH', 'The network cannot be reached from this host.'],
  [WSAENETRESET, 'WSAENETRESET', 'The connection broke because keep-alive found a failure.'],
  [WSAECONNABORTED, 'WSAECONNABORTED', 'The connection was aborted by this host.'],
  [WSAECONNRESET, 'WSAECONNRESET', 'The connection was reset by the peer.'],
  [WSAENOBUFS, 'WSAENOBUFS', 'No buffer space is available.'],
  [WSAEISCONN, 'WSAEISCONN', 'The socket is already connected.'],
  [WSAENOTCONN, 'WSAENOTCONN', 'The socket is not connected.'],
  [WSAESHUTDOWN, 'WSAESHUTDOWN', 'The socket has been shut down in that direction.'],
  [WSAETOOMANYREFS, 'WSAETOOMANYREFS', 'Too many references to a kernel object.'],
  [WSAETIMEDOUT, 'WSAETIMEDOUT', 'The connection attempt or connection timed out.'],
  [WSAECONNREFUSED, 'WSAECONNREFUSED', 'The connection was refused by the target host.'],
  [WSAELOOP, 'WSAELOOP', 'A name cannot be translated.'],
  [WSAENAMETOOLONG, 'WSAENAMETOOLONG', 'A name is too long.'],
  [WSAEHOSTDOWN, 'WSAEHOSTDOWN', 'The destination host is down.'],
  [WSAEHOSTUNREACH, 'WSAEHOSTUNREACH', 'There is no route to the host.'],
  [WSAENOTEMPTY, 'WSAENOTEMPTY', 'The directory is not empty.'],
  [WSAEPROCLIM, 'WSAEPROCLIM', 'Too many processes use Windows Sockets.'],
  [WSAEUSERS, 'WSAEUSERS', 'The user quota is exhausted.'],
  [WSAEDQUOT, 'WSAEDQUOT', 'The disk quota is exhausted.'],
  [WSAESTALE, 'WSAESTALE', 'The file handle reference is stale.'],
  [WSAEREMOTE, 'WSAEREMOTE', 'The item is remote and not available locally.'],
  [WSASYSNOTREADY, 'WSASYSNOTREADY', 'The network subsystem is not ready.'],
  [WSAVERNOTSUPPORTED, 'WSAVERNOTSUPPORTED', 'The requested Windows Sockets version is not supported.'],
  [WSANOTINITIALISED, 'WSANOTINITIALISED', 'WSPStartup has not been called successfully.'],
  [WSAEDISCON, 'WSAEDISCON', 'The peer is shutting down gracefully.'],
  [WSAENOMORE, 'WSAENOMORE', 'No more results.'],
  [WSAECANCELLED, 'WSAECANCELLED', 'The call was cancelled.'],
  [WSAEINVALIDPROCTABLE, 'WSAEINVALIDPROCTABLE', 'The procedure table is not valid.'],
  [WSAEINVALIDPROVIDER, 'WSAEINVALIDPROVIDER', 'The service provider is not valid.'],
  [WSAEPROVIDERFAILEDINIT, 'WSAEPROVIDERFAILEDINIT', 'The service provider failed to initialise.'],
  [WSASYSCALLFAILURE, 'WSASYSCALLFAILURE', 'A system call that should never fail failed.'],
  [WSASERVICE_NOT_FOUND, 'WSASERVICE_NOT_FOUND', 'No such service is known.'],
  [WSATYPE_NOT_FOUND, 'WSATYPE_NOT_FOUND', 'The class type was not found.'],
  [WSA_E_NO_MORE, 'WSA_E_NO_MORE', 'No more results.'],
  [WSA_E_CANCELLED, 'WSA_E_CANCELLED', 'The lookup was cancelled.'],
  [WSAEREFUSED, 'WSAEREFUSED', 'A database query was refused.'],
  [WSAHOST_NOT_FOUND, 'WSAHOST_NOT_FOUND', 'No such host is known.'],
  [WSATRY_AGAIN, 'WSATRY_AGAIN', 'A temporary condition; try again later.'],
  [WSANO_RECOVERY, 'WSANO_RECOVERY', 'A non-recoverable error occurred.'],
  [WSANO_DATA, 'WSANO_DATA', 'The name is valid but has no data of the requested type.'],
];

const BY_CODE = new Map(ERRORS.map(([code, name, text]) => [code, { name, text }]));
// 0 is no error code, but a program that prints whatever lpErrno holds meets it (NO_ERROR in winerror.h).
BY_CODE.set(0, { name: 'NO_ERROR', text: 'The operation completed successfully.' });

/** The symbolic name of a Winsock error code (`10061` → `'WSAECONNREFUSED'`, `0` → `'NO_ERROR'`), or undefined. */
export function errorName(code: number): string | undefined {
  return BY_CODE.get(code)?.name;
}

/** A one-sentence explanation of a Winsock error code, or undefined for an unknown code. */
export function errorText(code: number): string | undefined {
  return BY_CODE.get(code)?.text;
}

/** Every error code this module knows, ascending. */
export function allErrorCodes(): number[] {
  return ERRORS.map(([code]) => code);
}
