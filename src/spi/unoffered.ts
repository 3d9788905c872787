/**
 * What Windows' TCP/IP provider does not offer, answered as it answers: WSPJoinLeaf (no
 * multipoint sockets) and WSPGetQOSByName (no QOS templates). See docs/decisions.md,
 * "Multipoint, QOS and blocking-call cancellation".
 */
import { INVALID_SOCKET, WSAEFAULT, WSAEINVAL, WSAENOTSOCK, WSAEOPNOTSUPP } from '../provider/constants.js';
import type { ProviderCore } from '../provider/provider.js';
import { callerBytes, fail } from './funnel.js';
import type { WSABUF } from './types.js';

/** FLOWSPEC (qos.h): one direction's flow specification. */
export interface FLOWSPEC {
  TokenRate: number;
  TokenBucketSize: number;
  PeakBandwidth: number;
  Latency: number;
  DelayVariation: number;
  ServiceType: number;
  MaxSduSize: number;
  MinimumPolicedSize: number;
}

/** QOS (winsock2.h): what WSPGetQOSByName fills and WSPJoinLeaf's lpSQOS / lpGQOS point to. */
export interface QOS {
  SendingFlowspec: FLOWSPEC;
  ReceivingFlowspec: FLOWSPEC;
  ProviderSpecific: WSABUF;
}

/** WSPJoinLeaf's dwFlags. */
export const JL_SENDER_ONLY = 0x01;
export const JL_RECEIVER_ONLY = 0x02;
export const JL_BOTH = 0x04;

/**
 * WSPJoinLeaf: only a socket made with WSA_FLAG_MULTIPOINT_* flags can join, and WSPSocket makes
 * none (IP multicast is offered through IP_ADD_MEMBERSHIP and kin, non-rooted in both planes, which
 * is what the catalogue's XP1_SUPPORT_MULTIPOINT without XP1_MULTIPOINT_CONTROL_PLANE /
 * _DATA_PLANE says). So every live socket gets WSAEOPNOTSUPP, a handle that is none WSAENOTSOCK.
 */
export function joinLeaf(core: ProviderCore, s: unknown, lpErrno: unknown): number {
  if (core.lookup(s) === undefined) return fail(lpErrno, WSAENOTSOCK, INVALID_SOCKET);
  return fail(lpErrno, WSAEOPNOTSUPP, INVALID_SOCKET);
}

/**
 * WSPGetQOSByName: the provider has no QOS templates (XP1_QOS_SUPPORTED is not claimed), so no
 * name names one: FALSE with WSAEINVAL ("the specified QOS template name is invalid"), after the
 * page's WSAENOTSOCK and WSAEFAULT (lpQOSName not a readable WSABUF). Returns FALSE (0); it never
 * returns TRUE.
 */
export function getQOSByName(core: ProviderCore, s: unknown, lpQOSName: unknown, lpErrno: unknown): number {
  if (core.lookup(s) === undefined) return fail(lpErrno, WSAENOTSOCK, 0);
  if (typeof lpQOSName !== 'object' || lpQOSName === null) return fail(lpErrno, WSAEFAULT, 0);
  const { len, buf } = lpQOSName as { len?: unknown; buf?: unknown };
  if (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || callerBytes(buf, len) === undefined) return fail(lpErrno, WSAEFAULT, 0);
  return fail(lpErrno, WSAEINVAL, 0);
}
