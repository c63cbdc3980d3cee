/**
 * The fault-isolation experiment's one fault: `atMs` into the measured phase, the first sender
 * sends the frame that makes a server started with --debug-fault panic — a broadcast for the
 * `registry` site (it fails halfway through), a plain frame for the `connection` site.
 */
import { FAULT_MARK, type FaultSite } from '../../common/fault.ts';
import { nowNs } from '../clock.ts';
import type { ClientPool } from './client-pool.ts';

export interface ScheduledFault {
  cancel(): void;
}

export function scheduleFault(pool: ClientPool, fault: { readonly atMs: number; readonly site: FaultSite }, measureStartNs: number, sent: (atNs: number, client: number) => void): ScheduledFault {
  const delayMs = Math.max(0, (measureStartNs - nowNs()) / 1e6 + fault.atMs);
  const timer = setTimeout(() => {
    const client = pool.roles.senders.find((c) => c.open);
    if (!client) return;
    const text = `${FAULT_MARK} from client ${client.index}`;
    client.ws.send(fault.site === 'registry' ? `/broadcast ${text}` : text);
    sent(nowNs(), client.index);
  }, delayMs);
  return { cancel: () => clearTimeout(timer) };
}
