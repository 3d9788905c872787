// The `winsock-spi/lsp` entry: the two sample layered providers (tracing, chaos), their shared layer, and a provider-shaped object over ws2_32.
/**
 * Layered service providers for the catalogue of `winsock-spi/ws2`: install one with
 * `catalog.installLayered(lsp, { ProviderId: lsp.ProviderId, name, over })`, and every program that
 * goes through ws2_32 meets it. See docs/lsp.md.
 *
 * @packageDocumentation
 */
export { LayeredProvider, type LayerCall, type LayerHook, type LayerControl } from './layer.js';
export { TracingLsp, TraceHook, traceLine, describeArg, type TraceRecord, type TracingOptions, type Sink } from './tracing.js';
export { ChaosLsp, ChaosHook, seededRandom, type ChaosRule, type ChaosAction, type ChaosEvent, type ChaosOptions } from './chaos.js';
export { providerOverWs2, type Ws2ProviderFunctions } from './ws2-provider.js';
