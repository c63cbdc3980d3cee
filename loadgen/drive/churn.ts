/**
 * Churn: while the measured traffic runs, `perSecond` times a second a random sender leaves and a
 * new client joins in its place. A leaving client is first taken out of the picks (no new probes
 * to or from it), closed after a grace period that lets its replies arrive, and its replacement
 * connects at once; the roles keep their sizes.
 */
import type { LoadClient } from './connect.ts';
import { replaceSender, type Roles } from './roles.ts';

export interface ChurnReport {
  /** Clients that left (closed by us, 1000). */
  readonly left: number;
  /** Clients that joined in their place. */
  readonly joined: number;
  /** Joins that failed (counted as connect errors too). */
  readonly joinsFailed: number;
}

export interface ChurnOptions {
  readonly perSecond: number;
  readonly roles: Roles;
  readonly random: () => number;
  /** How long a leaving client stays open after it stops being picked. */
  readonly graceMs: number;
  /** Opens a replacement client with a fresh index. */
  readonly connect: (index: number) => Promise<LoadClient | undefined>;
  /** First index for new clients. */
  readonly firstIndex: number;
  readonly onLeft: (client: LoadClient) => void;
  readonly onJoined: (client: LoadClient) => void;
}

export interface Churn {
  /** Stops churning and waits for the joins and leaves under way; every client that ever left is in `retired`. */
  stop(): Promise<ChurnReport>;
  readonly retired: readonly LoadClient[];
}

export function startChurn(o: ChurnOptions): Churn {
  let left = 0;
  let joined = 0;
  let joinsFailed = 0;
  let nextIndex = o.firstIndex;
  const retired: LoadClient[] = [];
  const pending = new Set<Promise<void>>();
  const track = (work: Promise<void>): void => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };

  const churnOne = (): void => {
    const candidates = o.roles.senders;
    let leaving: LoadClient | undefined;
    for (let tries = 0; tries < 16 && !leaving; tries++) {
      const c = candidates[Math.floor(o.random() * candidates.length)];
      if (c && c.open && !c.retiring) leaving = c;
    }
    if (!leaving) return;
    const client = leaving;
    client.retiring = true;
    retired.push(client);
    track(
      new Promise<void>((resolve) => setTimeout(resolve, o.graceMs)).then(() => {
        client.leaving = true;
        if (client.open) {
          client.open = false;
          o.onLeft(client);
          client.ws.close(1000, 'churn');
        }
        left++;
      }),
    );
    track(
      o.connect(nextIndex++).then((fresh) => {
        if (!fresh) {
          joinsFailed++;
          return;
        }
        replaceSender(o.roles, client, fresh);
        joined++;
        o.onJoined(fresh);
      }),
    );
  };

  const timer = setInterval(churnOne, 1000 / o.perSecond);
  return {
    retired,
    async stop(): Promise<ChurnReport> {
      clearInterval(timer);
      while (pending.size > 0) await Promise.all([...pending]);
      return { left, joined, joinsFailed };
    },
  };
}
