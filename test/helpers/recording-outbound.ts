/** An outbound for registry tests: accepts every frame at once (READY) and records it; the first is always the welcome. */
import { READY } from '../../servers/common/bounded-channel.ts';
import type { Frame, Outbound } from '../../servers/common/outbound.ts';

export class RecordingOutbound implements Outbound {
  readonly frames: string[] = [];
  send(frame: Frame): Promise<void> {
    this.frames.push(frame.toString());
    return READY;
  }
  close(): void {}
  /** Frames after the welcome. */
  get payloads(): string[] {
    return this.frames.slice(1);
  }
}
