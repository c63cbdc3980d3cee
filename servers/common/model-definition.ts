/**
 * What a model plugs in: its descriptor (name, one-line description, options: the public half, in
 * common/models.ts) and a factory that builds its registry together with the instruments of its
 * coordination. Each model is one folder, `servers/<model>/`, exporting one definition; the list
 * in servers/models.ts feeds the server CLI and the contract tests.
 */
import type { WebSocket } from 'ws';
import type { ModelDescriptor } from '../../common/models.ts';
import type { ContentionReport } from '../../common/stats-schema.ts';
import type { Outbound } from './outbound.ts';
import type { Registry } from './registry.ts';

/** A model's contention instruments: the one thing about its metrics that differs between models. */
export interface ContentionMetrics {
  /** The window's report (performance.now() of the read). */
  report(nowMs: number): ContentionReport;
  /** Each gauge's current value, by name, cheap enough to poll every second. */
  gauges(): Record<string, number>;
  /** Starts a new window. */
  reset(nowMs: number): void;
  /** Pauses or resumes recording (debug: to cost the instrumentation). */
  setRecording(on: boolean): void;
  close(): void;
}

export interface ModelContext {
  /** The bounded outbound queue every model gives its connections (capacity, policy, metrics). */
  readonly queueFor: (ws: WebSocket) => Outbound;
  /** Set when metrics are on: time one operation in this many. */
  readonly timingSampleEvery: number | undefined;
  /** The model's own options (each one the descriptor lists), already validated. */
  readonly options: Readonly<Record<string, string>>;
}

export interface ModelInstance {
  readonly registry: Registry;
  readonly outboundFor: (ws: WebSocket) => Outbound;
  /** Present when metrics are on and the model has something to contend on. */
  readonly contention?: ContentionMetrics;
}

export interface ModelDefinition extends ModelDescriptor {
  create(context: ModelContext): ModelInstance;
}

export { NO_CONTENTION } from '../../common/stats-schema.ts';
