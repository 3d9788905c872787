// A provider-shaped object over ws2_32: the WSP* functions a program written against a provider calls, each made as the matching Winsock call.
/**
 * The examples (examples/http-server.ts) are written against a provider object: they call
 * `p.WSPSocket(...)`, `p.WSPSend(...)` with an lpErrno. {@link providerOverWs2} gives them one whose
 * every function is the Winsock call a C program makes (WSASocketW, WSASend, select...) on a
 * {@link Ws2}: so the program goes through the catalogue, picks the top entry for (af, type,
 * protocol) and reaches the base provider through whatever LSPs are installed, without a line of
 * it changed. The failure code comes back in lpErrno (WSAGetLastError after the call).
 */
import { SOCKET_ERROR, INVALID_SOCKET } from '../provider/constants.js';
import type { ServiceProvider } from '../spi/service-provider.js';
import type { Ws2 } from '../ws2/ws2.js';

/** The WSP* functions {@link providerOverWs2} gives (ws2_32 has a call for each). */
export type Ws2ProviderFunctions = Pick<ServiceProvider,
  'WSPSocket' | 'WSPBind' | 'WSPListen' | 'WSPAccept' | 'WSPConnect' | 'WSPCloseSocket' | 'WSPShutdown' | 'WSPGetSockName'
  | 'WSPGetPeerName' | 'WSPGetSockOpt' | 'WSPSetSockOpt' | 'WSPIoctl' | 'WSPSend' | 'WSPRecv' | 'WSPSendTo' | 'WSPRecvFrom'
  | 'WSPGetOverlappedResult' | 'WSPSelect' | 'WSPEventSelect' | 'WSPEnumNetworkEvents' | 'WSPAsyncSelect' | 'WSPDuplicateSocket'>;

type AnyFn = (...args: never[]) => unknown;

/**
 * The WSP* functions over `ws` (which the caller has WSAStartup'ed). Arguments are as the WSP
 * function takes them; `lpThreadId` is ws2's own (the Ws2 instance is the thread).
 */
export function providerOverWs2(ws: Ws2): Ws2ProviderFunctions {
  /** Runs a Winsock call; on its failure value, lpErrno gets WSAGetLastError. */
  const via = <F extends AnyFn>(failValue: unknown, fn: (...args: Parameters<F>) => unknown): F =>
    ((...args: Parameters<F>) => {
      const r = fn(...args);
      if (r === failValue) {
        const lpErrno = args[args.length - 1] as unknown;
        try {
          if (typeof lpErrno === 'object' && lpErrno !== null) (lpErrno as { value: number }).value = ws.WSAGetLastError();
        } catch {
          // unwritable lpErrno: the failure value says enough
        }
      }
      return r;
    }) as unknown as F;
  type P = ServiceProvider;
  return {
    WSPSocket: via<P['WSPSocket']>(INVALID_SOCKET, (af, type, protocol, info, g, flags) => ws.WSASocketW(af, type, protocol, info, g, flags)),
    WSPBind: via<P['WSPBind']>(SOCKET_ERROR, (s, name, namelen) => ws.bind(s, name, namelen)),
    WSPListen: via<P['WSPListen']>(SOCKET_ERROR, (s, backlog) => ws.listen(s, backlog)),
    WSPAccept: via<P['WSPAccept']>(INVALID_SOCKET, (s, addr, addrlen, cond, data) => ws.WSAAccept(s, addr, addrlen, cond, data)),
    WSPConnect: via<P['WSPConnect']>(SOCKET_ERROR, (s, name, namelen, caller, callee, sqos, gqos) =>
      ws.WSAConnect(s, name, namelen, caller, callee, sqos as null, gqos as null)),
    WSPCloseSocket: via<P['WSPCloseSocket']>(SOCKET_ERROR, (s) => ws.closesocket(s)),
    WSPShutdown: via<P['WSPShutdown']>(SOCKET_ERROR, (s, how) => ws.shutdown(s, how)),
    WSPGetSockName: via<P['WSPGetSockName']>(SOCKET_ERROR, (s, name, namelen) => ws.getsockname(s, name, namelen)),
    WSPGetPeerName: via<P['WSPGetPeerName']>(SOCKET_ERROR, (s, name, namelen) => ws.getpeername(s, name, namelen)),
    WSPGetSockOpt: via<P['WSPGetSockOpt']>(SOCKET_ERROR, (s, level, name, val, len) => ws.getsockopt(s, level, name, val, len)),
    WSPSetSockOpt: via<P['WSPSetSockOpt']>(SOCKET_ERROR, (s, level, name, val, len) => ws.setsockopt(s, level, name, val, len)),
    WSPIoctl: via<P['WSPIoctl']>(SOCKET_ERROR, (s, code, inBuf, inLen, outBuf, outLen, got, ov, routine) =>
      ws.WSAIoctl(s, code, inBuf, inLen, outBuf, outLen, got, ov, routine)),
    WSPSend: via<P['WSPSend']>(SOCKET_ERROR, (s, bufs, n, sent, flags, ov, routine) => ws.WSASend(s, bufs, n, sent, flags, ov, routine)),
    WSPRecv: via<P['WSPRecv']>(SOCKET_ERROR, (s, bufs, n, got, flags, ov, routine) => ws.WSARecv(s, bufs, n, got, flags, ov, routine)),
    WSPSendTo: via<P['WSPSendTo']>(SOCKET_ERROR, (s, bufs, n, sent, flags, to, tolen, ov, routine) =>
      ws.WSASendTo(s, bufs, n, sent, flags, to, tolen, ov, routine)),
    WSPRecvFrom: via<P['WSPRecvFrom']>(SOCKET_ERROR, (s, bufs, n, got, flags, from, fromlen, ov, routine) =>
      ws.WSARecvFrom(s, bufs, n, got, flags, from, fromlen, ov, routine)),
    WSPGetOverlappedResult: via<P['WSPGetOverlappedResult']>(0, (s, ov, cb, wait, flags) => ws.WSAGetOverlappedResult(s, ov, cb, Boolean(wait), flags)),
    WSPSelect: via<P['WSPSelect']>(SOCKET_ERROR, (nfds, r, w, x, tv) => ws.select(nfds, r, w, x, tv)),
    WSPEventSelect: via<P['WSPEventSelect']>(SOCKET_ERROR, (s, ev, events) => ws.WSAEventSelect(s, ev, events)),
    WSPEnumNetworkEvents: via<P['WSPEnumNetworkEvents']>(SOCKET_ERROR, (s, ev, out) => ws.WSAEnumNetworkEvents(s, ev, out)),
    WSPAsyncSelect: via<P['WSPAsyncSelect']>(SOCKET_ERROR, (s, hWnd, msg, events) => ws.WSAAsyncSelect(s, hWnd, msg, events)),
    WSPDuplicateSocket: via<P['WSPDuplicateSocket']>(SOCKET_ERROR, (s, pid, info) => ws.WSADuplicateSocketW(s, pid, info)),
  };
}
