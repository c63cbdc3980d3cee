/**
 * Whether a host name or address stays on this machine: 127.0.0.0/8, ::1 (also as an IPv4-mapped
 * address) and `localhost`. The server guards its state-changing admin routes when bound anywhere else.
 */
import net from 'node:net';

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}
