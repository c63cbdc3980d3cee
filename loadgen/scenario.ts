/**
 * Scenarios are data: one JSON file per scenario in `scenarios/`, validated here. A file states
 * what traffic to replay and what it is for; CLI options override its numbers for one run.
 * Unknown keys, wrong types and impossible values are rejected with the file, the field and what
 * is allowed, in one line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FAULT_SITES } from '../common/fault.ts';
import { MAX_PROBE_BYTES, PAYLOAD_KINDS } from '../common/protocol.ts';
import { compressionSchema } from '../common/compression.ts';
import { networkFaultsSchema } from '../common/network-faults.ts';
import { UsageError } from '../common/usage.ts';

/** The metrics a scenario may name as its primary one (compare's metric keys). */
export const PRIMARY_METRICS = ['p50', 'p99', 'throughput', 'fanoutP99', 'servedAfterFault', 'secondsDisrupted', 'ghosts'] as const;
export type PrimaryMetric = (typeof PRIMARY_METRICS)[number];

export const SCENARIO_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));

const weight = z.number().min(0).max(1_000_000);
const slug = z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and dashes');
const probeBytes = z.number().int().min(0).max(MAX_PROBE_BYTES);

/** One stretch of the measured traffic at one open-loop rate (total, or per client). */
const phaseSchema = z
  .object({
    name: slug,
    durationSeconds: z.number().positive().max(86_400),
    /** Messages per second across all clients. */
    rate: z.number().min(0).max(10_000_000).optional(),
    /** Messages per second per sending client (multiplied by the clients that send). */
    ratePerClient: z.number().min(0).max(100_000).optional(),
  })
  .strict()
  .refine((p) => (p.rate === undefined) !== (p.ratePerClient === undefined), 'give exactly one of rate (total msgs/s) or ratePerClient');

export const scenarioSchema = z
  .object({
    name: slug,
    /** One line: what the scenario does (shown by --list-scenarios). */
    description: z.string().min(1).max(200),
    /** What it provokes in the servers. */
    probes: z.string().min(1),
    /** The claim of the design note it tests. */
    claim: z.string().min(1),
    /** The metric a comparison's verdict stands on (others are exploratory); p99 unless named. */
    primaryMetric: z.enum(PRIMARY_METRICS).default('p99'),
    /** Connections to open (overridable with --clients). */
    clients: z.number().int().min(1).max(1_000_000),
    /** How the connections open: handshakes in flight at once, and optionally a pace. */
    ramp: z
      .object({
        handshakesInFlight: z.number().int().min(1).max(10_000).default(200),
        /** Handshakes started per second at most. */
        perSecond: z.number().positive().max(1_000_000).optional(),
        /** Spread the handshakes over this many seconds (perSecond = clients / durationSeconds). */
        durationSeconds: z.number().positive().max(3600).optional(),
      })
      .strict()
      .refine((r) => r.perSecond === undefined || r.durationSeconds === undefined, 'give perSecond or durationSeconds, not both')
      .default({ handshakesInFlight: 200 }),
    /** Traffic before the measured phases (sent at the first phase's rate, not counted). */
    warmupSeconds: z.number().min(0).max(3600).default(0),
    /** The measured traffic, back to back (at least one). */
    phases: z.array(phaseSchema).min(1).max(100),
    /** Relative weights of the message kinds; at least one must be > 0. */
    mix: z
      .object({ echo: weight.default(0), broadcast: weight.default(0), sendTo: weight.default(0) })
      .strict()
      .refine((mix) => mix.echo + mix.broadcast + mix.sendTo > 0, 'at least one weight must be > 0'),
    /** Probe payload size in bytes: a fixed size, or uniform between min and max. */
    messageBytes: z
      .union([probeBytes, z.object({ min: probeBytes, max: probeBytes }).strict().refine((b) => b.min <= b.max, 'min must be <= max')], {
        error: `a whole number of bytes from 0 to ${MAX_PROBE_BYTES}, or {"min": n, "max": n}`,
      })
      .default(64),
    /** What some clients do besides the mix. */
    behaviours: z
      .object({
        /** This many clients stop reading when the measured phases begin (and send nothing). */
        stopReading: z.object({ clients: z.number().int().min(1) }).strict().optional(),
        /**
         * One more client streams big frames on its own schedule: a broadcast to everyone, or a
         * send-to each client that stopped reading (the way to fill their queues at 10,000 clients).
         */
        publisher: z
          .object({
            kind: z.enum(['broadcast', 'send-to-stopped']),
            everyMs: z.number().min(1).max(3_600_000),
            bytes: probeBytes,
          })
          .strict()
          .optional(),
        /** Clients leave and new ones join, this many per second, during the measured phases. */
        churn: z.object({ perSecond: z.number().positive().max(10_000) }).strict().optional(),
        /**
         * The fault-isolation experiment: `atSecond` into the measured phase, one client sends a
         * frame that makes a server started with --debug-fault panic at `site` (common/fault.ts).
         */
        fault: z
          .object({
            atSecond: z.number().min(0),
            site: z.enum(FAULT_SITES).default('registry'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    /** Clients connect through fault proxies: delay, jitter, stalls, a bandwidth cap, resets ({} for a control run through the proxy). */
    network: networkFaultsSchema.optional(),
    /** permessage-deflate on both sides: the clients ask for it, a server the run starts offers it (absent: off). */
    compression: compressionSchema.optional(),
    /** What fills each probe past its header: one repeated byte (compresses to nothing), text-like words, or random characters. */
    payload: z.enum(PAYLOAD_KINDS).default('repeated'),
    /** Settings of a server the run starts (ignored with --target, whose server is already set up). */
    server: z
      .object({
        /** Ping every client this often; one that missed the previous pong is terminated (off when absent). */
        heartbeatMs: z.number().int().min(10).max(3_600_000).optional(),
      })
      .strict()
      .default({}),
    /** HTTP traffic on the server's admin routes (autocannon) during the measured phases. */
    http: z
      .object({
        /** Each request runs its own autocannon load: requests per second over its connections. */
        requests: z
          .array(
            z
              .object({
                method: z.enum(['GET', 'POST']),
                path: z.enum(['/clients/count', '/broadcast']),
                /** Requests per second (autocannon's overallRate: 1 or more). */
                rate: z.number().min(1).max(1_000_000),
                connections: z.number().int().min(1).max(1000).default(1),
              })
              .strict()
              .refine((r) => (r.path === '/broadcast') === (r.method === 'POST'), 'use GET /clients/count or POST /broadcast'),
          )
          .min(1)
          .max(10),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const total = s.phases.reduce((sum, p) => sum + p.durationSeconds, 0);
    if (s.behaviours.fault && s.behaviours.fault.atSecond >= total) {
      ctx.addIssue({ code: 'custom', path: ['behaviours', 'fault', 'atSecond'], message: `must be within the measured phases (less than ${total} s)` });
    }
    const stopped = s.behaviours.stopReading?.clients ?? 0;
    if (stopped >= s.clients) ctx.addIssue({ code: 'custom', path: ['behaviours', 'stopReading', 'clients'], message: `must be fewer than clients (${s.clients})` });
    if (s.behaviours.publisher?.kind === 'send-to-stopped' && stopped === 0) {
      ctx.addIssue({ code: 'custom', path: ['behaviours', 'publisher', 'kind'], message: "'send-to-stopped' needs behaviours.stopReading" });
    }
    const httpBroadcast = s.http?.requests.some((r) => r.path === '/broadcast') === true;
    if (s.behaviours.churn && (s.mix.broadcast > 0 || s.behaviours.publisher?.kind === 'broadcast' || httpBroadcast)) {
      ctx.addIssue({ code: 'custom', path: ['behaviours', 'churn'], message: 'cannot be combined with broadcast traffic (mix, publisher or POST /broadcast): a broadcast racing a leaving client has no exact delivery count' });
    }
    if (stopped > 0 && httpBroadcast) {
      ctx.addIssue({ code: 'custom', path: ['http', 'requests'], message: 'POST /broadcast cannot be combined with behaviours.stopReading: the policy would drop frames that are not probes, and the balance could not tell them apart' });
    }
    s.phases.forEach((p, i) => {
      if (s.phases.findIndex((q) => q.name === p.name) !== i) ctx.addIssue({ code: 'custom', path: ['phases', i, 'name'], message: `'${p.name}' is used twice; phase names must be unique` });
    });
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type TrafficMix = Scenario['mix'];
export type ScenarioPhase = Scenario['phases'][number];

/** Validates a parsed scenario; the error names the file, the field and what is allowed. */
export function parseScenario(data: unknown, source: string): Scenario {
  const parsed = scenarioSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  // Every problem, not the first: a file with three mistakes is fixed in one go.
  const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
  const listed = problems.length === 1 ? problems[0]! : `${problems.length} problems: ${problems.join('; ')}`;
  throw new UsageError('ERR_BAD_SCENARIO', `${source}: ${listed}`, problems.map((p) => `${source}: ${p}`));
}

export function loadScenarioFile(file: string): Scenario {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? `not valid JSON (${error.message})` : 'cannot be read';
    throw new UsageError('ERR_BAD_SCENARIO', `${file}: ${reason}`);
  }
  return parseScenario(data, file);
}

export function listScenarioNames(dir = SCENARIO_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** Loads a scenario by name from the library, or by path when the argument ends in .json. */
export function loadScenario(nameOrPath: string, dir = SCENARIO_DIR): Scenario {
  if (nameOrPath.endsWith('.json')) return loadScenarioFile(nameOrPath);
  const names = listScenarioNames(dir);
  if (!names.includes(nameOrPath)) {
    throw new UsageError('ERR_UNKNOWN_SCENARIO', `--scenario must be one of ${names.join(', ')} or a path to a .json file, got '${nameOrPath}'`);
  }
  return loadScenarioFile(path.join(dir, `${nameOrPath}.json`));
}
