/**
 * Overlapped SIO_ADDRESS_LIST_CHANGE calls, pending until the address list changes or the
 * socket goes. The address lists of these networks never change (a virtual host keeps the
 * addresses it was made with; the host network's are not watched), so a call ends only when its
 * socket is closed (STATUS_CANCELLED: Wine's test_sioAddressListChange sees
 * ERROR_OPERATION_ABORTED through the port, fact 42) or CancelIoEx names it.
 */
import { STATUS_CANCELLED } from '../provider/constants.js';
import type { Completion } from '../provider/overlapped.js';
import type { ProviderCore } from '../provider/provider.js';
import type { Socket } from '../provider/socket.js';

interface Wait {
  readonly overlapped: object;
  readonly finish: (c: Completion) => void;
}

const WAITS = new WeakMap<ProviderCore, AddressChangeWaits>();

const CANCELLED: Completion = { status: STATUS_CANCELLED, count: 0, flags: 0, from: null };

export class AddressChangeWaits {
  private readonly pending = new Map<Socket, Wait[]>();

  /** The waits of a provider core, made (and hooked in) at its first overlapped SIO_ADDRESS_LIST_CHANGE. */
  static of(core: ProviderCore): AddressChangeWaits {
    let waits = WAITS.get(core);
    if (waits === undefined) {
      waits = new AddressChangeWaits(core);
      WAITS.set(core, waits);
    }
    return waits;
  }

  /** The waits if any call made them: CancelIoEx makes none. */
  static existing(core: ProviderCore): AddressChangeWaits | undefined {
    return WAITS.get(core);
  }

  private constructor(core: ProviderCore) {
    core.beforeChange.add((sock) => {
      if (this.pending.size !== 0 && sock.phase === 'closed' && this.pending.has(sock)) this.end(sock, null);
    });
  }

  /** Parks a call until the socket closes or it is cancelled; `finish` runs once then. */
  add(sock: Socket, overlapped: object, finish: (c: Completion) => void): void {
    let list = this.pending.get(sock);
    if (list === undefined) {
      list = [];
      this.pending.set(sock, list);
    }
    list.push({ overlapped, finish });
  }

  /** CancelIoEx: ends the socket's waits (all, or those of one OVERLAPPED) with STATUS_CANCELLED; returns how many. */
  cancel(sock: Socket, overlapped: object | null): number {
    return this.end(sock, overlapped);
  }

  private end(sock: Socket, overlapped: object | null): number {
    const list = this.pending.get(sock);
    if (list === undefined) return 0;
    const hit = overlapped === null ? list.splice(0) : list.filter((w) => w.overlapped === overlapped);
    if (overlapped !== null) for (const w of hit) list.splice(list.indexOf(w), 1);
    if (list.length === 0) this.pending.delete(sock);
    for (const w of hit) w.finish(CANCELLED);
    return hit.length;
  }
}
