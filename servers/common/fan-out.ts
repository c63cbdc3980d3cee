/**
 * Sending one frame to many outbounds, as every model's broadcast does: straight into each queue
 * while it has room, waiting (then going on) wherever one is full. Returns READY when nothing had
 * to wait. One function for every model, so that no model's broadcast is cheaper by implementation.
 */
import { READY } from './bounded-channel.ts';
import type { Frame, Outbound } from './outbound.ts';

export function sendToAllBut(rest: Iterator<Outbound>, sender: Outbound | undefined, frame: Frame): Promise<void> {
  for (let next = rest.next(); !next.done; next = rest.next()) {
    if (next.value === sender) continue;
    const sent = next.value.send(frame);
    if (sent !== READY) return sent.then(() => sendToAllBut(rest, sender, frame));
  }
  return READY;
}
