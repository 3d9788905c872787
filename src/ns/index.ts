/** Name resolution: the virtual network's DNS seen from a host, namespace providers (NSPStartup, NSPLookupService*), and the resolver functions. */
export * from './types.js';
export { NameResolver, type ResolverOptions } from './resolver.js';
export { NamespaceProvider, querySetSize, type NspOptions } from './nsp.js';
export { VirtualNameSource, virtualResolver, type VirtualHostLike } from './virtual-source.js';
export { DnsStubClient, type QuestionResult } from './dns-client.js';
export { wsaFromDnsStatus, type NameSource, type LookupResult, type ReverseResult, type Pending } from './source.js';
export { planGetAddrInfo, checkHints, resolveService, numericHost } from './addrinfo.js';
export { portOfService, serviceOfPort } from './services.js';
export { WSALookupService, type LookupServiceProviders } from './lookup-service.js';
