import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** True for an IP address in 127.0.0.0/8, ::1 or an IPv4-mapped 127.x address; false for anything else. */
export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return LOOPBACK.check(address, 'ipv4');
  if (family !== 6) return false;
  const v4 = MAPPED_V4.exec(address)?.[1];
  return v4 !== undefined ? LOOPBACK.check(v4, 'ipv4') : LOOPBACK.check(address, 'ipv6');
}

/**
 * True when a bind host can only mean loopback addresses: an IP literal is judged as written, a
 * name by every address it resolves to (a name that does not resolve is not loopback). A name that
 * merely looks local (`127.example.invalid`) is judged by what it resolves to, not by its text.
 */
export async function bindsLoopbackOnly(host: string): Promise<boolean> {
  if (isIP(host) !== 0) return isLoopbackAddress(host);
  try {
    const all = await lookup(host, { all: true, verbatim: true });
    return all.length > 0 && all.every((a) => isLoopbackAddress(a.address));
  } catch {
    return false;
  }
}
