// The consumer side of completion ports (kernel32's functions over this provider's sockets), as the package exports it.
export { CompletionPort, type CompletionPacket } from './port.js';
export {
  GetQueuedCompletionStatus, GetQueuedCompletionStatusAsync, GetQueuedCompletionStatusEx, PostQueuedCompletionStatus, CloseHandle,
  type OVERLAPPED_ENTRY, type LPCOMPLETION_KEY, type LPLPOVERLAPPED,
} from './queued-status.js';
export { NoPortNotification, noPortNotification } from './no-port-event.js';
export { statusToWin32 } from './win32-status.js';
export { FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, FILE_SKIP_SET_EVENT_ON_HANDLE } from './notification-modes.js';
