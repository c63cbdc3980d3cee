/**
 * The load generator, compare, the scripts and the shared contract never load server code: what
 * they share with the servers lives in common/. Only `import type` may reach into servers/ (it
 * vanishes at run time). Read with the TypeScript parser, so that multi-line and dynamic imports
 * count too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimeImports } from './helpers/imports.ts';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLIENT_FOLDERS = ['loadgen', 'compare', 'scripts', 'common'];

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(folder, f));
}

function reachesServers(file: string, specifier: string): boolean {
  if (!specifier.startsWith('.')) return false;
  const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), specifier));
  return target === 'servers' || target.startsWith(`servers${path.sep}`);
}

describe('import direction', () => {
  it('finds runtime imports, and tells them from type-only ones', () => {
    const text = "import type { A } from '../servers/a.ts';\nimport { type B } from '../servers/b.ts';\nimport { C } from '../servers/c.ts';\nexport { D } from '../servers/d.ts';\nconst e = await import('../servers/e.ts');\nexport type { F } from '../servers/f.ts';\n";
    expect(runtimeImports('loadgen/x.ts', text).map((i) => i.specifier)).toEqual(['../servers/b.ts', '../servers/c.ts', '../servers/d.ts', '../servers/e.ts']);
    expect(reachesServers('loadgen/x.ts', '../servers/c.ts')).toBe(true);
    expect(reachesServers('loadgen/report/x.ts', '../../servers/c.ts')).toBe(true);
    expect(reachesServers('loadgen/x.ts', '../common/models.ts')).toBe(false);
  });

  it.each(CLIENT_FOLDERS)('%s/ loads nothing from servers/ at run time', (folder) => {
    const offending = sourceFiles(folder).flatMap((file) =>
      runtimeImports(file, readFileSync(path.join(ROOT, file), 'utf8'))
        .filter((i) => reachesServers(file, i.specifier))
        .map((i) => `${file}:${i.line} imports ${i.specifier}`),
    );
    expect(offending).toEqual([]);
  });
});
