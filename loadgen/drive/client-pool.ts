/**
 * The load generator's clients for one run: connected with bounded concurrency, given their roles,
 * churned while the measured traffic runs, and closed at the end. It keeps the count of clients
 * open, which a broadcast's expected deliveries come from; what happens on the wire is reported
 * through the hooks (the recorder's business).
 */
import type { LoadPlan } from '../plan.ts';
import { startChurn, type Churn, type ChurnReport } from './churn.ts';
import { closeClients, connectClient, connectClients, urlFor, type ConnectHooks, type LoadClient } from './connect.ts';
import { assignRoles, type Roles } from './roles.ts';
import { clientBitset, setBit } from '../record/ledger.ts';

const CLOSE_TIMEOUT_MS = 15_000;
/** How long a client leaving by churn stays open after its last probe, so its replies can arrive. */
const CHURN_GRACE_MS = 1000;

type PoolPlan = Pick<LoadPlan, 'url' | 'urls' | 'clients' | 'connectConcurrency' | 'connectTimeoutMs' | 'connectPerSecond' | 'behaviours' | 'compression'>;

export class ClientPool {
  /** Clients open now. */
  open = 0;
  private churn: Churn | undefined;
  private churnReport: ChurnReport | undefined;
  private readonly joinedByChurn: LoadClient[] = [];
  /** The highest client index so far (churn gives joining clients new ones). */
  private highestIndex: number;

  private constructor(
    private readonly plan: PoolPlan,
    private readonly hooks: ConnectHooks,
    readonly clients: readonly LoadClient[],
    readonly roles: Roles,
  ) {
    this.open = clients.filter((c) => c.open).length; // some may have been closed by the server already
    this.highestIndex = Math.max(-1, ...clients.map((c) => c.index));
  }

  /** Opens the plan's clients; `hooks.onLost` is wrapped so that the open count follows. */
  static async connect(plan: PoolPlan, hooks: ConnectHooks, signal?: AbortSignal): Promise<ClientPool> {
    let pool: ClientPool | undefined;
    const counted: ConnectHooks = {
      ...hooks,
      onLost: (client, cause) => {
        if (pool) pool.open--;
        hooks.onLost(client, cause);
      },
    };
    const options = { url: plan.url, ...(plan.urls && { urls: plan.urls }), count: plan.clients, concurrency: plan.connectConcurrency, timeoutMs: plan.connectTimeoutMs, ...(plan.connectPerSecond !== undefined && { perSecond: plan.connectPerSecond }), ...(signal && { signal }), ...(plan.compression && { compression: plan.compression }) };
    const clients = await connectClients(options, counted);
    pool = new ClientPool(plan, counted, clients, assignRoles(clients, plan.behaviours ?? {}));
    return pool;
  }

  /** Every open client but `sender`, as a bitset of client indexes (a broadcast's expected receivers), and how many. */
  openClientsExcept(sender: LoadClient): { readonly bits: Uint8Array; readonly count: number } {
    const bits = clientBitset(this.highestIndex + 1);
    let count = 0;
    for (const list of [this.clients, this.joinedByChurn]) {
      for (const client of list) {
        if (!client.open || client === sender) continue;
        setBit(bits, client.index);
        count++;
      }
    }
    return { bits, count };
  }

  /** The clients the scenario stops reading, by index (none when it keeps them reading). */
  get stoppedReaderIndexes(): number[] {
    return this.plan.behaviours?.keepReading ? [] : this.roles.stopped.map((c) => c.index);
  }

  get roleCounts(): { publisher: number; stoppedReaders: number; senders: number } {
    return { publisher: this.roles.publisher ? 1 : 0, stoppedReaders: this.roles.stopped.length, senders: this.roles.senders.length };
  }

  /** The clients that stop reading do so now (unless the scenario keeps them reading). */
  pauseStoppedReaders(): void {
    if (this.plan.behaviours?.keepReading) return;
    for (const c of this.roles.stopped) c.ws.pause();
  }

  resumeStoppedReaders(): void {
    for (const c of this.roles.stopped) if (c.ws.isPaused) c.ws.resume();
  }

  get hasStoppedReaders(): boolean {
    return this.roles.stopped.length > 0;
  }

  startChurn(random: () => number): void {
    const perSecond = this.plan.behaviours?.churnPerSecond;
    if (perSecond === undefined || this.churn) return;
    this.churn = startChurn({
      perSecond,
      roles: this.roles,
      random,
      graceMs: CHURN_GRACE_MS,
      firstIndex: this.plan.clients,
      connect: (index) => connectClient(index, { url: urlFor(this.plan, index), timeoutMs: this.plan.connectTimeoutMs, ...(this.plan.compression && { compression: this.plan.compression }) }, this.hooks),
      onLeft: () => void this.open--,
      onJoined: (client) => {
        this.open++;
        this.highestIndex = Math.max(this.highestIndex, client.index);
        this.joinedByChurn.push(client);
      },
    });
  }

  /** Stops churning (safe to call again) and says what churn did, if it ran. */
  async stopChurn(): Promise<ChurnReport | undefined> {
    if (this.churn && !this.churnReport) this.churnReport = await this.churn.stop();
    return this.churnReport;
  }

  /** Closes every client ever opened; returns how many closes had to be forced. */
  closeAll(timeoutMs = CLOSE_TIMEOUT_MS): Promise<number> {
    const everyone = new Set([...this.clients, ...this.joinedByChurn, ...(this.churn?.retired ?? [])]);
    return closeClients([...everyone], timeoutMs);
  }
}
