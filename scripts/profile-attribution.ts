/**
 * Attributes a server's CPU profile: the share of its busy samples, in steady state, whose stack
 * holds instrumentation code (servers/metrics, hdr-histogram-js, performance.now). Start-up (module
 * loading) and admin requests (/stats) are left out: they are not on the message path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
}

export interface Attribution {
  /** Busy samples on the steady-state path. */
  readonly busy: number;
  /** Of those, samples with instrumentation code on the stack. */
  readonly instrumentation: number;
  readonly share: number;
}

const isInstrumentation = (n: ProfileNode): boolean =>
  n.callFrame.url.includes('servers/metrics/') || n.callFrame.url.includes('hdr-histogram-js') || n.callFrame.functionName === 'now';
const isOffPath = (n: ProfileNode): boolean =>
  n.callFrame.functionName === 'handleAdmin' || n.callFrame.functionName.includes('compile') || n.callFrame.url.includes('loader') || n.callFrame.url.includes('esm/');

export function attributeProfile(dir: string): Attribution {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let busy = 0;
  let instrumentation = 0;
  for (const sample of profile.samples) {
    const leaf = byId.get(sample)!;
    if (leaf.callFrame.functionName === '(idle)' || leaf.callFrame.functionName === '(program)') continue;
    let hit = false;
    let off = false;
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id)!;
      if (isOffPath(node)) off = true;
      if (isInstrumentation(node)) hit = true;
    }
    if (off) continue;
    busy++;
    if (hit) instrumentation++;
  }
  return { busy, instrumentation, share: busy > 0 ? instrumentation / busy : 0 };
}
