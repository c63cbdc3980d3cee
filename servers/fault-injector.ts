/**
 * Debug only (`--debug --debug-fault <site>`): turns a client frame that carries FAULT_MARK into
 * a panic where `site` says. One mechanism for every model, so that no model fails differently by
 * implementation: for `registry`, the marked frame's outbound sends are counted across all
 * clients and the one halfway through the broadcast throws, in whatever task is sending — the
 * actor's loop, the mutex holder, the baseline's sender; for `connection`, the connection's own
 * task throws on the frame before handing it to the registry.
 */
import { FAULT_MARK, type FaultSite } from '../common/fault.ts';
import type { Frame, Outbound } from './common/outbound.ts';
import { InjectedPanic } from './common/panic.ts';

const MARK = Buffer.from(FAULT_MARK);

function carriesMark(frame: Frame | Buffer): boolean {
  return typeof frame === 'string' ? frame.startsWith(FAULT_MARK) : frame.length >= MARK.length && frame.compare(MARK, 0, MARK.length, 0, MARK.length) === 0;
}

export class FaultInjector {
  /** Faults injected so far. */
  injected = 0;
  private sendsOfMarked = 0;

  constructor(
    readonly site: FaultSite,
    /** Clients connected now (a broadcast reaches all but one). */
    private readonly clients: () => number,
  ) {}

  /** The outbound a model gets, which panics halfway through a marked broadcast (site `registry`). */
  wrap(outbound: Outbound): Outbound {
    if (this.site !== 'registry') return outbound;
    return {
      send: (frame) => {
        if (carriesMark(frame)) this.maybePanic();
        return outbound.send(frame);
      },
      close: () => outbound.close(),
    };
  }

  /** Called by a connection with each frame's payload (site `connection`). */
  checkFrame(payload: Buffer): void {
    if (this.site === 'connection' && carriesMark(payload)) {
      this.injected++;
      throw new InjectedPanic('connection');
    }
  }

  private maybePanic(): void {
    this.sendsOfMarked++;
    const half = Math.max(1, Math.floor((this.clients() - 1) / 2));
    if (this.sendsOfMarked !== half + 1) return;
    this.injected++;
    throw new InjectedPanic('registry');
  }
}
