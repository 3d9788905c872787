/**
 * The provider over the real network of the machine: the same WSP* functions and semantics as
 * on the virtual network, with node:net and node:dgram carrying the bytes.
 */
import { DEFAULT_LIMITS, ProviderCore, type ProviderLimits } from '../provider/provider.js';
import { ServiceProvider } from '../spi/service-provider.js';
import { HostTransport } from './transport.js';

export interface HostNetworkOptions {
  /** Descriptor limit of this provider (WSAEMFILE past it). */
  maxSockets?: number;
  /** Largest backlog WSPListen grants (SOMAXCONN). */
  maxBacklog?: number;
  /** Bytes of buffers the provider may hold (WSAENOBUFS past it). */
  bufferBudget?: number;
}

export class HostNetwork {
  /** The WSP* functions over the operating system's sockets. */
  readonly provider: ServiceProvider;
  private readonly transport = new HostTransport();

  constructor(options: HostNetworkOptions = {}) {
    const limits: ProviderLimits = {
      maxSockets: options.maxSockets ?? DEFAULT_LIMITS.maxSockets,
      maxBacklog: options.maxBacklog ?? DEFAULT_LIMITS.maxBacklog,
      bufferBudget: options.bufferBudget ?? DEFAULT_LIMITS.bufferBudget,
    };
    this.provider = new ServiceProvider(new ProviderCore(this.transport, limits), 'winsock-spi over the host network (node:net)');
    // The transport holds a bound socket's port until the socket listens, connects or closes:
    // it learns which socket kept a port, and when one closes, from the provider's changes.
    const transport = this.transport;
    this.provider.core.watchers.add((sock) => transport.socketChanged(sock));
  }

  /** Milliseconds since the network was created (the clock blocking time-outs use). */
  now(): number {
    return this.transport.nowMs();
  }

  /**
   * Lets Node's event loop run until `done()` holds or `timeoutMs` passes: how code on this
   * thread waits for the network (a blocking call cannot). Resolves to whether `done()` held.
   */
  async until(done: () => boolean, timeoutMs = 5000): Promise<boolean> {
    const deadline = this.transport.nowMs() + timeoutMs;
    while (!done()) {
      if (this.transport.nowMs() >= deadline) return false;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return true;
  }

  /** Closes every socket of the provider and every operating-system socket it opened. */
  async close(): Promise<void> {
    this.provider.core.closeAll();
    this.transport.shutdown();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
