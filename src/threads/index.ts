/**
 * `winsock-spi/threads`: Windows-style blocking calls from worker threads. The thread that owns
 * a network serves a provider ({@link ProviderServer}); a worker gets the same WSP* functions
 * ({@link threadProvider}) and its blocking calls block that worker only. Overlapped calls,
 * completion ports, alertable waits and the extension functions (AcceptEx, ConnectEx, …) cross
 * too (docs/overlapped.md, "Worker threads").
 */
export { ProviderServer } from './server.js';
export { threadProvider, type ThreadProvider, type WireStats } from './client.js';
export type { ProviderChannel, PortRef } from './protocol.js';
export type { ProviderServerOptions } from './server.js';
