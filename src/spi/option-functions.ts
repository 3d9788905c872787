/**
 * The WSP* functions of socket options and ioctls: WSPSetSockOpt, WSPGetSockOpt and WSPIoctl.
 * Option values are C bytes here; the option table lives in `provider/options.ts`.
 */
import {
  FIONBIO, FIONREAD, SIOCATMARK, SIO_UDP_CONNRESET, SOCKET_ERROR, WSAEFAULT, WSAEINVAL, WSAENOTSOCK, WSAEOPNOTSUPP,
} from '../provider/constants.js';
import { bytesReadable } from '../provider/data.js';
import type { OptionValue } from '../provider/options.js';
import { callerBytes, fail, finish, guard, isRef, normalizeOptName, probe, readInt, store, writeInt } from './funnel.js';
import { IoFunctions } from './io-functions.js';
import type { LPINT, WSAOVERLAPPED, WSAOVERLAPPED_COMPLETION_ROUTINE, WSATHREADID } from './types.js';

/** Common base of {@link ServiceProvider}: options and ioctls (on top of the data path and readiness). */
export abstract class OptionFunctions extends IoFunctions {
  WSPSetSockOpt = (s: number, level: number, optname: number, optval: Uint8Array | null, optlen: number, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      optname = normalizeOptName(optname);
      const shape = this.core.optionShape(s, level, optname);
      if (typeof shape === 'number') return fail(lpErrno, -shape, SOCKET_ERROR);
      const bytes = typeof optlen === 'number' && optlen >= 4 ? callerBytes(optval, 4) : undefined;
      if (bytes === undefined) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      let value: OptionValue;
      if (shape === 'linger') {
        value = { onoff: bytes[0]! | (bytes[1]! << 8), seconds: bytes[2]! | (bytes[3]! << 8) };
      } else {
        value = readInt(bytes, shape === 'dword');
      }
      return finish(this.core.setOption(s, level, optname, value), lpErrno, SOCKET_ERROR, 0);
    });

  WSPGetSockOpt = (s: number, level: number, optname: number, optval: Uint8Array | null, optlen: LPINT, lpErrno: LPINT): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      const got = this.core.getOption(s, level, normalizeOptName(optname));
      if (typeof got === 'number') return fail(lpErrno, -got, SOCKET_ERROR);
      const out = callerBytes(optval, 4);
      if (out === undefined || !isRef(optlen) || typeof optlen.value !== 'number' || optlen.value < 4 || !probe(optlen, 'value')) {
        return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      }
      const v = got.value;
      if (typeof v === 'number') {
        writeInt(out, v);
      } else {
        out[0] = v.onoff & 0xff;
        out[1] = (v.onoff >> 8) & 0xff;
        out[2] = v.seconds & 0xff;
        out[3] = (v.seconds >> 8) & 0xff;
      }
      store(optlen, 'value', 4);
      return 0;
    });

  WSPIoctl = (
    s: number, dwIoControlCode: number, lpvInBuffer: Uint8Array | null, cbInBuffer: number,
    lpvOutBuffer: Uint8Array | null, cbOutBuffer: number, lpcbBytesReturned: LPINT,
    lpOverlapped: WSAOVERLAPPED | null, lpCompletionRoutine: WSAOVERLAPPED_COMPLETION_ROUTINE | null, lpThreadId: WSATHREADID | null, lpErrno: LPINT,
  ): number =>
    guard(lpErrno, SOCKET_ERROR, () => {
      void lpThreadId;
      if (this.core.lookup(s) === undefined) return fail(lpErrno, WSAENOTSOCK, SOCKET_ERROR);
      if ((lpOverlapped !== null && lpOverlapped !== undefined) || (lpCompletionRoutine !== null && lpCompletionRoutine !== undefined)) {
        return fail(lpErrno, WSAEOPNOTSUPP, SOCKET_ERROR); // overlapped I/O arrives with a later issue
      }
      const code = typeof dwIoControlCode === 'number' ? dwIoControlCode >>> 0 : -1;
      // lpcbBytesReturned is optional here, but one that is given must take the count.
      const counted = lpcbBytesReturned !== null && lpcbBytesReturned !== undefined;
      if (counted && !probe(lpcbBytesReturned, 'value')) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
      const input = () => (typeof cbInBuffer === 'number' && cbInBuffer >= 4 ? callerBytes(lpvInBuffer, 4) : undefined);
      if (code === FIONBIO || code === SIO_UDP_CONNRESET) {
        const inBytes = input();
        if (inBytes === undefined) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
        const on = readInt(inBytes, true) !== 0;
        const r = code === FIONBIO ? this.core.setNonBlocking(s, on) : this.core.setUdpConnReset(s, on);
        if (r < 0) return fail(lpErrno, -r, SOCKET_ERROR);
        if (counted) store(lpcbBytesReturned, 'value', 0);
        return 0;
      }
      if (code === FIONREAD || code === SIOCATMARK) {
        const out = typeof cbOutBuffer === 'number' && cbOutBuffer >= 4 ? callerBytes(lpvOutBuffer, 4) : undefined;
        if (out === undefined) return fail(lpErrno, WSAEFAULT, SOCKET_ERROR);
        // No urgent data is ever pending here, so every socket is "at the mark" (TRUE).
        const r = code === FIONREAD ? bytesReadable(this.core, s) : 1;
        if (r < 0) return fail(lpErrno, -r, SOCKET_ERROR);
        writeInt(out, r);
        if (counted) store(lpcbBytesReturned, 'value', 4);
        return 0;
      }
      return fail(lpErrno, WSAEINVAL, SOCKET_ERROR);
    });
}
