/**
 * `winsock-spi/host`: the provider over the machine's real network. Kept apart from the main
 * entry point, which imports no `node:` module and so also runs in browsers.
 */
export { HostNetwork, type HostNetworkOptions } from './host-network.js';
export { NODE_TO_WSA, wsaFromNodeError } from './errors.js';
export { HostNameSource, hostResolver, wsaFromDnsError } from './resolve.js';
