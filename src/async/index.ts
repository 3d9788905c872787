/** The idiomatic async API: the same on the virtual and the host network. */
export { listen, connect, Connection, Listener, type ListenOptions, type ConnectOptions, type ProviderSource } from './sockets.js';
export { WinsockError } from './winsock-error.js';
