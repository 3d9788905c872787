// The `winsock-spi/ws2` entry: the catalogue, ws2_32 over it, and the upcall table it gives providers.
/**
 * ws2_32's side of the SPI: install providers in a {@link Catalog}, then call Winsock through a
 * {@link Ws2} (WSAStartup, socket, connect, send...). See docs/ws2.md.
 *
 * @packageDocumentation
 */
export { Catalog, WSAPROTOCOL_INFOW_SIZE, type WSPProvider, type BaseProvider, type LayeredInstall } from './catalog.js';
export { Ws2, negotiateVersion, WSA_WAIT_IO_COMPLETION, WSA_MAXIMUM_WAIT_EVENTS, WS2_HIGH_VERSION, type WSADATA, type Ws2Options } from './ws2.js';
export { makeUpcalls, type UpcallHost } from './upcalls.js';
export { HandleTable, type Slot } from './handles.js';
export {
  wsaPoll, POLLRDNORM, POLLRDBAND, POLLIN, POLLPRI, POLLWRNORM, POLLOUT, POLLWRBAND, POLLERR, POLLHUP, POLLNVAL, type WSAPOLLFD,
} from './poll.js';
