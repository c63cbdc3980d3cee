/**
 * A cap on admin requests waiting for the registry. GET /clients/count and POST /broadcast go
 * through the model's coordination (the actor's mailbox, the mutex's lock); while it is stalled
 * they wait, and without a cap every request made meanwhile would be held in memory. At the cap,
 * a request is refused at once (503) and counted. WebSocket senders need no such cap: each
 * connection has at most one frame in flight and its socket is paused meanwhile.
 */
export const DEFAULT_ADMIN_MAX_WAITING = 100;

export class WaitingCap {
  private inFlight = 0;
  /** Requests refused at the cap, per route, since the server started. */
  readonly refused = new Map<string, number>();

  constructor(readonly cap: number) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`the admin waiting cap must be an integer >= 1, got ${cap}`);
  }

  /** Requests now waiting for the registry. */
  get waiting(): number {
    return this.inFlight;
  }

  get refusedTotal(): number {
    let total = 0;
    for (const n of this.refused.values()) total += n;
    return total;
  }

  /** Runs `work` within the cap, or returns undefined (and counts a refusal) when the cap is full. */
  async run<T>(route: string, work: () => Promise<T>): Promise<{ value: T } | undefined> {
    if (this.inFlight >= this.cap) {
      this.refused.set(route, (this.refused.get(route) ?? 0) + 1);
      return undefined;
    }
    this.inFlight++;
    try {
      return { value: await work() };
    } finally {
      this.inFlight--;
    }
  }
}
