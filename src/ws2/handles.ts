// ws2_32's socket table: which catalogue entry (and so which provider) each SOCKET belongs to, and the provider's own handle behind it.
/**
 * Two kinds of handle live here, as in ws2_32. An IFS provider's handles (XP1_IFS_HANDLES, this
 * package's base providers) are used as the program's SOCKETs as they are; when two providers in
 * one catalogue hand out the same number (every ServiceProvider counts from 0x100), the later one
 * gets a number of ws2's own and the table translates. A non-IFS provider (a layered provider)
 * asks for its handles with WPUCreateSocketHandle and keeps a context with each
 * (WPUQuerySocketHandleContext). ws2's own numbers start at 0x40000000, above every provider
 * handle (providers wrap below it), so the two kinds never meet.
 */

/** One SOCKET: the catalogue entry that made it and the handle its provider knows it by. */
export interface Slot {
  readonly entryId: number;
  readonly providerHandle: number;
  /** Made by WPUCreateSocketHandle (the provider's own handle is then this one). */
  readonly wpu: boolean;
  /** WPUCreateSocketHandle's dwContext. */
  readonly context: number;
}

const OWN_FIRST = 0x40000000;
const OWN_LAST = 0x7ffffffc;

/** One number for (catalogue entry, handle): entry ids are small, handles 32-bit. */
const key = (entryId: number, handle: number): number => entryId * 0x1_0000_0000 + (handle >>> 0);

/** The socket table of one ws2 instance. */
export class HandleTable {
  private readonly slots = new Map<number, Slot>();
  /** The reverse look-ups of upcalls, so that none costs more as sockets grow: an IFS slot by (entry, provider handle)… */
  private readonly byProvider = new Map<number, number>();
  /** …and a WPU slot by (entry, context). */
  private readonly byContext = new Map<number, number>();
  private next = OWN_FIRST;

  private put(h: number, slot: Slot): void {
    this.slots.set(h, slot);
    if (slot.wpu) this.byContext.set(key(slot.entryId, slot.context), h);
    else this.byProvider.set(key(slot.entryId, slot.providerHandle), h);
  }

  get(s: unknown): Slot | undefined {
    return typeof s === 'number' ? this.slots.get(s) : undefined;
  }

  /** A handle of ws2's own (WPUCreateSocketHandle; a colliding IFS handle). */
  private own(): number {
    while (this.slots.has(this.next)) this.next = this.next >= OWN_LAST ? OWN_FIRST : this.next + 4;
    const h = this.next;
    this.next = this.next >= OWN_LAST ? OWN_FIRST : this.next + 4;
    return h;
  }

  /** WPUCreateSocketHandle's table entry. */
  createWpu(entryId: number, context: number): number {
    const h = this.own();
    this.put(h, { entryId, providerHandle: h, wpu: true, context });
    return h;
  }

  /**
   * The SOCKET for a handle entry `entryId`'s provider returned from WSPSocket / WSPAccept: the
   * WPUCreateSocketHandle handle it is, or the IFS handle itself when free, or a number of ws2's own.
   */
  adopt(entryId: number, providerHandle: number): number {
    const known = this.slots.get(providerHandle);
    if (known?.wpu) return providerHandle;
    const h = known === undefined ? providerHandle : this.own();
    this.put(h, { entryId, providerHandle, wpu: false, context: 0 });
    return h;
  }

  delete(s: number): boolean {
    const slot = this.slots.get(s);
    if (slot === undefined) return false;
    this.slots.delete(s);
    const index = slot.wpu ? this.byContext : this.byProvider;
    const k = key(slot.entryId, slot.wpu ? slot.context : slot.providerHandle);
    if (index.get(k) === s) index.delete(k);
    return true;
  }

  /**
   * The SOCKET a provider of entry `entryId` means by `providerHandle` in an upcall (WPUPostMessage's
   * wParam): a handle of that entry whose provider handle it is, or the top WPU handle over it
   * (through each layer's context). Undefined: unknown.
   */
  reverse(entryId: number, providerHandle: number): number | undefined {
    const ifs = this.byProvider.get(key(entryId, providerHandle));
    if (ifs !== undefined) return ifs;
    // A WPU handle whose context is the handle (a layer that keeps the handle below as its
    // context), followed up through every layer to the top one, which the program holds.
    let found: number | undefined;
    for (let cur = providerHandle, depth = 0; depth < 8; depth++) {
      const up = this.byContext.get(key(entryId, cur));
      if (up === undefined || up === cur) break;
      found = up;
      cur = up;
    }
    return found ?? (this.slots.get(providerHandle)?.entryId === entryId ? providerHandle : undefined);
  }

  /** Every handle (WSACleanup forgets them all). */
  clear(): void {
    this.slots.clear();
    this.byProvider.clear();
    this.byContext.clear();
  }
}
