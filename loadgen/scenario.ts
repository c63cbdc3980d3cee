/**
 * Scenarios are data: one JSON file per scenario in `scenarios/`, validated here. A file states
 * what traffic to replay; CLI options override its numbers for one run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MAX_PROBE_BYTES } from '../common/protocol.ts';
import { UsageError } from '../common/usage.ts';

export const SCENARIO_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));

const weight = z.number().min(0).max(1_000_000);

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and dashes'),
    description: z.string().min(1),
    /** Connections to open (overridable with --clients). */
    clients: z.number().int().min(1).max(1_000_000),
    /** Handshakes in flight at once while connecting. */
    connectConcurrency: z.number().int().min(1).max(10_000).default(200),
    /** Traffic before the measured phase (sent, not counted): past the post-connect and JIT warm-up. */
    warmupSeconds: z.number().min(0).max(3600).default(0),
    /** Length of the measured phase. */
    durationSeconds: z.number().positive().max(86_400),
    /** Messages per second across all clients (open loop: sent on schedule, whatever the replies). */
    rate: z.number().positive().max(10_000_000),
    /** Relative weights of the message kinds; at least one must be > 0. */
    mix: z
      .object({ echo: weight.default(0), broadcast: weight.default(0), sendTo: weight.default(0) })
      .strict()
      .refine((mix) => mix.echo + mix.broadcast + mix.sendTo > 0, 'at least one weight must be > 0'),
    /** Size of each probe payload in bytes (a probe is never smaller than its ~30-byte header). */
    messageBytes: z.number().int().min(0).max(MAX_PROBE_BYTES).default(64),
  })
  .strict();

export type Scenario = z.infer<typeof scenarioSchema>;
export type TrafficMix = Scenario['mix'];

/** Validates a parsed scenario; the error names the file, the field and what is allowed. */
export function parseScenario(data: unknown, source: string): Scenario {
  const parsed = scenarioSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  throw new UsageError('ERR_BAD_SCENARIO', `${source}: ${field}: ${issue.message}`);
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
