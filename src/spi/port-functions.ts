/**
 * The completion-port functions of a provider: kernel32's CreateIoCompletionPort and
 * SetFileCompletionNotificationModes over this provider's sockets, and the non-standard
 * CancelIoEx for emulators. The port object and the consumer side are in src/iocp/.
 */
import { WAIT_IO_COMPLETION } from '../provider/constants.js';
import { OverlappedEngine } from '../provider/overlapped.js';
import { AcceptExEngine } from '../extensions/accept-engine.js';
import { ConnectExEngine } from '../extensions/connect-ex.js';
import { cancelIoEx, createIoCompletionPort, type SocketScope } from '../iocp/create.js';
import { setFileCompletionNotificationModes } from '../iocp/notification-modes.js';
import type { CompletionPort, PortOwner } from '../iocp/port.js';
import { AddressChangeWaits } from './address-change-waits.js';
import { given } from './overlapped-args.js';
import { OverlappedFunctions } from './overlapped-functions.js';
import type { LPINT, WSAOVERLAPPED } from './types.js';

const NEVER = (): boolean => false;

/** Common base of {@link ServiceProvider}: completion ports (on top of the overlapped path). */
export abstract class PortFunctions extends OverlappedFunctions {
  /** The owner thread of the completion ports this provider makes: its network, its default completion-routine queue. */
  private portOwner: PortOwner | null = null;

  private get scope(): SocketScope {
    const owner = this.portOwner ??= {
      block: (done, ms) => this.core.transport.block(done, ms),
      inCallback: () => this.core.inCallback,
      cannotBlock: () => this.core.transport.block(NEVER, 0) === 'unsupported',
      apcsQueued: () => this.apcs.queued(null),
      runApcs: () => this.apcs.alertableWait(0, null) === WAIT_IO_COMPLETION,
    };
    return {
      owner,
      lookup: (s) => this.core.lookup(s),
      // Transfers, then overlapped ioctls parked on the address list (SIO_ADDRESS_LIST_CHANGE).
      cancel: (sock, ov) => (OverlappedEngine.existing(this.core)?.cancel(sock, ov) ?? 0) + (AddressChangeWaits.existing(this.core)?.cancel(sock, ov) ?? 0),
    };
  }

  /**
   * kernel32's CreateIoCompletionPort, over this provider's sockets (socket handles are this
   * provider's numbers, so the function is a method of the provider, "the process").
   * `CreateIoCompletionPort(INVALID_HANDLE_VALUE, null, 0, 0, lpErrno)` makes a port;
   * `CreateIoCompletionPort(s, port, key, 0, lpErrno)` associates socket `s` with it under `key`
   * (any value; handed back in every packet) and returns the port; `(s, null, key, 0)` makes one
   * and associates. Returns null on failure with the Win32 code in `lpErrno` (a trailing `{ value }`
   * out-parameter: the C function reports through GetLastError): ERROR_INVALID_HANDLE (no such
   * socket, a port that is not open), ERROR_INVALID_PARAMETER (INVALID_HANDLE_VALUE with a port, a
   * socket already associated, a thread count that is no DWORD). A port belongs to this
   * provider's thread (its waits run this provider's network); worker threads are issue 16.
   * Completions then queue packets to it (docs/overlapped.md, "Completion ports"); a completion
   * routine on an associated socket is WSAEINVAL.
   */
  CreateIoCompletionPort = (
    FileHandle: number, ExistingCompletionPort: CompletionPort | null, CompletionKey: unknown, NumberOfConcurrentThreads: number,
    lpErrno?: LPINT | null,
  ): CompletionPort | null => createIoCompletionPort(this.scope, FileHandle, ExistingCompletionPort, CompletionKey, NumberOfConcurrentThreads, lpErrno);

  /**
   * Non-standard, for emulators: kernel32's CancelIoEx on socket `s`. Its pending overlapped
   * operations (all with `lpOverlapped` null, else the ones started with that WSAOVERLAPPED)
   * complete at once with STATUS_CANCELLED (ERROR_OPERATION_ABORTED 995 from
   * GetQueuedCompletionStatus, WSA_OPERATION_ABORTED from WSPGetOverlappedResult and completion
   * routines), indicated as any completion. Returns TRUE (1), or FALSE (0) with ERROR_NOT_FOUND
   * (1168; nothing pending matched) or ERROR_INVALID_HANDLE in `lpErrno`.
   */
  CancelIoEx = (s: number, lpOverlapped: WSAOVERLAPPED | null, lpErrno?: LPINT | null): number => {
    // AcceptEx calls issued on `s` (a listener) and a ConnectEx still connecting are its I/O too;
    // cancelled first, they count.
    const sock = this.core.lookup(s);
    const ov = given(lpOverlapped) ? lpOverlapped : null;
    const accepts = sock === undefined ? 0
      : (AcceptExEngine.existing(this.core)?.cancel(sock, ov) ?? 0) + (ConnectExEngine.existing(this.core)?.cancel(sock, ov) ?? 0);
    if (accepts === 0) return cancelIoEx(this.scope, s, lpOverlapped, lpErrno);
    cancelIoEx(this.scope, s, lpOverlapped, { value: 0 });
    return 1;
  };

  /**
   * kernel32's SetFileCompletionNotificationModes on socket `FileHandle`, as libuv and .NET call
   * it. `FILE_SKIP_COMPLETION_PORT_ON_SUCCESS` (1): an overlapped call on the socket that returns
   * 0 (success at once) queues no packet to its completion port, the caller handling the result
   * inline; a call that pends (WSA_IO_PENDING) still queues one, and so does one that fails
   * after pending (Wine's test_connect_completion_port, fact 59). The WSAOVERLAPPED is still
   * written and its hEvent still signaled. `FILE_SKIP_SET_EVENT_ON_HANDLE` (2) is accepted and
   * kept: it spares the handle itself being signaled, and these handles are no event. Modes add
   * up and cannot be removed. Returns TRUE (1), or FALSE (0) with the Win32 code in `lpErrno`:
   * ERROR_INVALID_HANDLE (no such socket), ERROR_INVALID_PARAMETER (a flag that is no mode).
   * With ws2_32's WPUCompleteOverlappedRequest in the upcall table, completions go to ws2_32,
   * which owns the handle, its port and its modes; this method governs the provider's own ports.
   */
  SetFileCompletionNotificationModes = (FileHandle: number, Flags: number, lpErrno?: LPINT | null): number =>
    setFileCompletionNotificationModes((s) => this.core.lookup(s), FileHandle, Flags, lpErrno);
}
