// GetQueuedCompletionStatus (and its Ex and non-standard Async forms), PostQueuedCompletionStatus and CloseHandle on a completion port.
import {
  ERROR_ABANDONED_WAIT_0, ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_NOACCESS, STATUS_SUCCESS, WAIT_IO_COMPLETION, WAIT_TIMEOUT,
} from '../provider/constants.js';
import { probe, probeAll, store } from '../spi/funnel.js';
import { probeValue, storeValue } from '../spi/overlapped-args.js';
import type { LPINT, WSAOVERLAPPED } from '../spi/types.js';
import { CompletionPort, type CompletionPacket, type PortWaiter, type WaitEnd } from './port.js';
import { FALSE, TRUE, failWin32, readDword, readTimeout, win32Call, win32Caught } from './win32-call.js';
import { packetSucceeded, statusToWin32 } from './win32-status.js';

/** `PULONG_PTR lpCompletionKey`: receives the key. */
export interface LPCOMPLETION_KEY {
  value: unknown;
}

/** `LPOVERLAPPED *lpOverlapped`: receives the packet's OVERLAPPED (null after a time-out). */
export interface LPLPOVERLAPPED {
  value: WSAOVERLAPPED | null;
}

/**
 * `OVERLAPPED_ENTRY`, one slot of GetQueuedCompletionStatusEx's array. `Internal` receives the
 * packet's NTSTATUS (Windows fills the slot from the I/O status block), so a failed operation
 * is told apart there, not by the function's result.
 */
export interface OVERLAPPED_ENTRY {
  lpCompletionKey: unknown;
  lpOverlapped: WSAOVERLAPPED | null;
  Internal: number;
  dwNumberOfBytesTransferred: number;
}

const ENTRY_KEYS = ['lpCompletionKey', 'lpOverlapped', 'Internal', 'dwNumberOfBytesTransferred'];

/** A port that is open, or undefined (ERROR_INVALID_HANDLE). */
function openPort(x: unknown): CompletionPort | undefined {
  return CompletionPort.is(x) && !x.closed ? x : undefined;
}

const NEVER = (): boolean => false;

/**
 * Waits on the caller's thread for a packet: runs the network (virtual time on the virtual
 * network) until one is queued, the port is closed, `extra()` holds or `ms` passes. Where the
 * thread cannot wait (the host network's owner thread, a provider callback) it answers at once.
 */
function waitHere(port: CompletionPort, ms: number | null, extra: () => boolean = NEVER): void {
  if (port.size > 0 || ms === 0 || extra()) return;
  if (port.owner.inCallback()) return;
  port.owner.block(() => port.size > 0 || port.closed || extra(), ms === null ? undefined : ms);
}

/** Writes a dequeued packet (or the end of a wait) where GetQueuedCompletionStatus's caller reads it. */
function deliver(end: WaitEnd, lpNumberOfBytes: LPINT, lpCompletionKey: LPCOMPLETION_KEY, lpOverlapped: LPLPOVERLAPPED, lpErrno: unknown): number {
  if (end === 'timeout' || end === 'abandoned') {
    // Windows writes the NULL OVERLAPPED and leaves the count and the key alone (fact 54).
    store(lpOverlapped, 'value', null);
    return failWin32(lpErrno, end === 'timeout' ? WAIT_TIMEOUT : ERROR_ABANDONED_WAIT_0, FALSE);
  }
  storeValue(lpNumberOfBytes, end.bytes);
  storeValue(lpCompletionKey, end.key);
  storeValue(lpOverlapped, end.overlapped);
  // Success leaves the last error alone (fact 56); a failed operation is FALSE with its Win32 code (fact 55).
  return packetSucceeded(end.status) ? TRUE : failWin32(lpErrno, statusToWin32(end.status), FALSE);
}

/**
 * The out-parameter checks GetQueuedCompletionStatus and its Async form share (after the port's):
 * 0, or the code. The port and the time-out are read by the caller (no object per call: a
 * completion loop makes this call once per packet).
 */
function gqcsOuts(lpNumberOfBytes: unknown, lpCompletionKey: unknown, lpOverlapped: unknown): number {
  if (!probeValue(lpNumberOfBytes) || !probeValue(lpCompletionKey) || !probeValue(lpOverlapped)) return ERROR_NOACCESS;
  return 0;
}

/**
 * kernel32's GetQueuedCompletionStatus: takes the oldest packet of the port. Returns TRUE (1)
 * with the bytes, the key and the OVERLAPPED written for an operation that succeeded (or a
 * post); FALSE (0) with them written and the operation's Win32 code in `lpErrno` for one that
 * failed (a reset: ERROR_NETNAME_DELETED 64; a local close: ERROR_CONNECTION_ABORTED 1236;
 * CancelIoEx: ERROR_OPERATION_ABORTED 995; a truncated datagram: ERROR_MORE_DATA 234); FALSE with
 * `*lpOverlapped` null and WAIT_TIMEOUT (258) when none came within `dwMilliseconds` (the count
 * and key untouched); FALSE with ERROR_ABANDONED_WAIT_0 (735) when the port was closed during the
 * wait. `dwMilliseconds` INFINITE (0xffffffff) waits for ever.
 *
 * The wait runs the network: on the virtual network the simulation, in virtual time, until a
 * packet is queued or the time passes (a wait for ever ends as a time-out when the simulation has
 * nothing left to run: on Windows the thread would hang). On the host network's owner thread,
 * and inside a provider callback, it cannot wait: it answers as with 0 (use
 * {@link GetQueuedCompletionStatusAsync} there). This is the owner thread's function; worker
 * threads call their thread provider's (`winsock-spi/threads`, docs/overlapped.md "Worker threads").
 *
 * Bad arguments: a closed port or anything else ERROR_INVALID_HANDLE, an unwritable out-parameter
 * ERROR_NOACCESS, a time-out that is no DWORD ERROR_INVALID_PARAMETER; then nothing is dequeued.
 */
export function GetQueuedCompletionStatus(
  CompletionPort: CompletionPort, lpNumberOfBytes: LPINT, lpCompletionKey: LPCOMPLETION_KEY, lpOverlapped: LPLPOVERLAPPED,
  dwMilliseconds: number, lpErrno?: LPINT | null,
): number {
  // win32Call's guard, written out: no closure per call on the path every completion takes.
  try {
    const port = openPort(CompletionPort);
    if (port === undefined) return failWin32(lpErrno, ERROR_INVALID_HANDLE, FALSE);
    const bad = gqcsOuts(lpNumberOfBytes, lpCompletionKey, lpOverlapped);
    if (bad !== 0) return failWin32(lpErrno, bad, FALSE);
    const ms = readTimeout(dwMilliseconds);
    if (ms === undefined) return failWin32(lpErrno, ERROR_INVALID_PARAMETER, FALSE);
    waitHere(port, ms);
    const end: WaitEnd = port.take() ?? (port.closed ? 'abandoned' : 'timeout');
    return deliver(end, lpNumberOfBytes, lpCompletionKey, lpOverlapped, lpErrno);
  } catch (err) {
    return win32Caught(err, lpErrno, FALSE);
  }
}

/**
 * Non-standard: {@link GetQueuedCompletionStatus} for a thread that runs an event loop (the host
 * network's owner thread, which cannot block). The arguments are checked at the call (a bad one
 * resolves at once to FALSE with its code, changing nothing); the out-parameters are written
 * when the wait ends, just before the promise resolves: to TRUE or FALSE as
 * GetQueuedCompletionStatus returns, after a packet came, `dwMilliseconds` of real time passed
 * (WAIT_TIMEOUT) or the port was closed (ERROR_ABANDONED_WAIT_0). Callers waiting together are
 * served last in, first out, as Windows releases a port's threads. On the virtual network it is
 * GetQueuedCompletionStatus.
 */
export function GetQueuedCompletionStatusAsync(
  CompletionPort: CompletionPort, lpNumberOfBytes: LPINT, lpCompletionKey: LPCOMPLETION_KEY, lpOverlapped: LPLPOVERLAPPED,
  dwMilliseconds: number, lpErrno?: LPINT | null,
): Promise<number> {
  let now: number;
  try {
    const port = openPort(CompletionPort);
    const ms = readTimeout(dwMilliseconds);
    if (port === undefined || ms === undefined || port.size > 0 || ms === 0 || !port.owner.cannotBlock()) {
      // Answered at once (a packet is there, no wait asked, a thread that can wait, or a bad
      // argument): GetQueuedCompletionStatus checks and answers.
      now = GetQueuedCompletionStatus(CompletionPort, lpNumberOfBytes, lpCompletionKey, lpOverlapped, dwMilliseconds, lpErrno);
    } else {
      const bad = gqcsOuts(lpNumberOfBytes, lpCompletionKey, lpOverlapped);
      if (bad !== 0) {
        now = failWin32(lpErrno, bad, FALSE);
      } else {
        // The packet is written out when it is handed over, and the promise resolves with the
        // result: the caller's `await` resumes one microtask later (not three, as a `.then` on a
        // promise of the packet would make it).
        return new Promise<number>((resolve) => {
          port.addWaiter(new AsyncWait(resolve, lpNumberOfBytes, lpCompletionKey, lpOverlapped, lpErrno, port, ms));
        });
      }
    }
  } catch (err) {
    now = win32Caught(err, lpErrno, FALSE);
  }
  return Promise.resolve(now);
}

/** One caller of {@link GetQueuedCompletionStatusAsync} waiting on a port: its out-parameters, its time-out. */
class AsyncWait implements PortWaiter {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly resolve: (r: number) => void,
    private readonly lpNumberOfBytes: LPINT, private readonly lpCompletionKey: LPCOMPLETION_KEY,
    private readonly lpOverlapped: LPLPOVERLAPPED, private readonly lpErrno: LPINT | null | undefined,
    port: CompletionPort, ms: number | null,
  ) {
    if (ms !== null) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (port.unwait(this)) this.end('timeout');
      }, ms);
    }
  }

  /** The wait ends: a packet handed over, the time-out, or the port closed. */
  end(e: WaitEnd): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    let r: number;
    try {
      r = deliver(e, this.lpNumberOfBytes, this.lpCompletionKey, this.lpOverlapped, this.lpErrno);
    } catch (err) {
      r = win32Caught(err, this.lpErrno, FALSE);
    }
    this.resolve(r);
  }
}

/**
 * kernel32's GetQueuedCompletionStatusEx: takes up to `ulCount` packets at once into
 * `lpEntries` (an array of at least `ulCount` OVERLAPPED_ENTRY objects, written in place) and
 * their number into `*ulNumEntriesRemoved`. Returns TRUE when it took any (a failed operation is
 * an entry whose `Internal` is a failure status: the function still succeeds); FALSE with
 * WAIT_TIMEOUT when none came in time; with `fAlertable`, FALSE with WAIT_IO_COMPLETION (192)
 * when completion routines queued for the owner thread ran instead (packets first: they are
 * taken when there are any). It waits as {@link GetQueuedCompletionStatus} does. Bad arguments:
 * ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER (`ulCount` 0 or no DWORD, a time-out that is no
 * DWORD), ERROR_NOACCESS (an array shorter than `ulCount`, an entry or `ulNumEntriesRemoved` that
 * cannot be written).
 */
export function GetQueuedCompletionStatusEx(
  CompletionPort: CompletionPort, lpEntries: OVERLAPPED_ENTRY[], ulCount: number, ulNumEntriesRemoved: LPINT, dwMilliseconds: number,
  fAlertable: boolean | number, lpErrno?: LPINT | null,
): number {
  return win32Call(lpErrno, FALSE, () => {
    const port = openPort(CompletionPort);
    if (port === undefined) return failWin32(lpErrno, ERROR_INVALID_HANDLE, FALSE);
    const count = readDword(ulCount);
    const ms = readTimeout(dwMilliseconds);
    if (count === undefined || count === 0 || ms === undefined) return failWin32(lpErrno, ERROR_INVALID_PARAMETER, FALSE);
    if (!Array.isArray(lpEntries) || lpEntries.length < count || !probe(ulNumEntriesRemoved, 'value')) return failWin32(lpErrno, ERROR_NOACCESS, FALSE);
    const entries: unknown[] = [];
    for (let i = 0; i < count; i++) {
      const e: unknown = lpEntries[i];
      if (typeof e !== 'object' || e === null || !probeAll(e, ENTRY_KEYS)) return failWin32(lpErrno, ERROR_NOACCESS, FALSE);
      entries.push(e);
    }
    const alertable = Boolean(fAlertable);
    const apcs = (): boolean => alertable && port.owner.apcsQueued() > 0;
    waitHere(port, ms, apcs);
    const taken: CompletionPacket[] = [];
    while (taken.length < count) {
      const p = port.take();
      if (p === undefined) break;
      taken.push(p);
    }
    if (taken.length === 0) {
      if (port.closed) return failWin32(lpErrno, ERROR_ABANDONED_WAIT_0, FALSE);
      if (alertable && port.owner.runApcs()) return failWin32(lpErrno, WAIT_IO_COMPLETION, FALSE);
      return failWin32(lpErrno, WAIT_TIMEOUT, FALSE);
    }
    taken.forEach((p, i) => {
      const e = entries[i];
      store(e, 'lpCompletionKey', p.key);
      store(e, 'lpOverlapped', p.overlapped);
      store(e, 'Internal', p.status);
      store(e, 'dwNumberOfBytesTransferred', p.bytes);
    });
    store(ulNumEntriesRemoved, 'value', taken.length);
    return TRUE;
  });
}

/**
 * kernel32's PostQueuedCompletionStatus: queues a packet of the caller's own (status
 * STATUS_SUCCESS, so GetQueuedCompletionStatus returns TRUE for it). `lpOverlapped` and the key
 * are handed back as they are (a program often posts a null OVERLAPPED to tell a worker to stop).
 * Returns TRUE, or FALSE with ERROR_INVALID_HANDLE (no open port) or ERROR_INVALID_PARAMETER (a
 * count that is no DWORD).
 */
export function PostQueuedCompletionStatus(
  CompletionPort: CompletionPort, dwNumberOfBytesTransferred: number, dwCompletionKey: unknown, lpOverlapped: WSAOVERLAPPED | null,
  lpErrno?: LPINT | null,
): number {
  return win32Call(lpErrno, FALSE, () => {
    const port = openPort(CompletionPort);
    if (port === undefined) return failWin32(lpErrno, ERROR_INVALID_HANDLE, FALSE);
    const bytes = readDword(dwNumberOfBytesTransferred);
    if (bytes === undefined) return failWin32(lpErrno, ERROR_INVALID_PARAMETER, FALSE);
    port.post({ key: dwCompletionKey, bytes, overlapped: lpOverlapped ?? null, status: STATUS_SUCCESS });
    return TRUE;
  });
}

/**
 * kernel32's CloseHandle, for completion ports: closes the port, drops its packets, and ends
 * every wait on it with ERROR_ABANDONED_WAIT_0 (a wait that was running the network sees it at
 * its next step). Sockets associated with it stay associated (a completion routine is still
 * refused on them) and their completions go nowhere. Returns TRUE, or FALSE with
 * ERROR_INVALID_HANDLE for anything that is no open port (sockets are closed with
 * WSPCloseSocket here).
 */
export function CloseHandle(hObject: CompletionPort, lpErrno?: LPINT | null): number {
  return win32Call(lpErrno, FALSE, () => {
    const port = openPort(hObject);
    if (port === undefined) return failWin32(lpErrno, ERROR_INVALID_HANDLE, FALSE);
    port.close();
    return TRUE;
  });
}
