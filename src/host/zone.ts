/**
 * Link-local IPv6 addresses between the provider and Node: the provider spells the interface as
 * Windows numbers it (sin6_scope_id, kept in the text as `fe80::1%4`); Node and the system take
 * the interface's name (`fe80::1%eth0`) and report it that way.
 */
import os from 'node:os';

/** `fe80::1%4` → `fe80::1%eth0` (the interface whose IPv6 scope id is 4); other addresses unchanged. */
export function toNodeAddress(address: string): string {
  const at = address.indexOf('%');
  if (at < 0) return address;
  const zone = address.slice(at + 1);
  if (!/^\d+$/.test(zone)) return address;
  for (const [name, list] of Object.entries(os.networkInterfaces())) {
    if ((list ?? []).some((a) => a.family === 'IPv6' && a.scopeid === Number(zone))) return `${address.slice(0, at)}%${name}`;
  }
  return address;
}

/** `fe80::1%eth0` → `fe80::1%4`; other addresses unchanged. */
export function fromNodeAddress(address: string): string {
  const at = address.indexOf('%');
  if (at < 0) return address;
  const zone = address.slice(at + 1);
  const entry = (os.networkInterfaces()[zone] ?? []).find((a) => a.family === 'IPv6' && a.scopeid !== undefined);
  return entry === undefined ? address : `${address.slice(0, at)}%${entry.scopeid}`;
}

/** Whether the machine has `address` (with its `%scope`, for a link-local one). */
export function isMachineAddress(address: string): boolean {
  const at = address.indexOf('%');
  const base = (at < 0 ? address : address.slice(0, at)).toLowerCase();
  const scope = at < 0 ? undefined : Number(address.slice(at + 1));
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.address.toLowerCase() !== base) continue;
      // A link-local address exists only with its interface's scope id.
      if (a.family === 'IPv6' && base.startsWith('fe80') ? a.scopeid === scope : scope === undefined) return true;
    }
  }
  return false;
}
