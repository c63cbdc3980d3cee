/**
 * The load generator stays in small pieces: no function, method or arrow function in loadgen/
 * runs past MAX_LINES lines (read with the TypeScript parser), so that driving, recording and
 * coordinating never grow back into one long function.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAX_LINES = 80;

function functionLengths(file: string): { name: string; lines: number }[] {
  const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const found: { name: string; lines: number }[] = [];
  const line = (pos: number): number => source.getLineAndCharacterOfPosition(pos).line;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const name = 'name' in node && node.name && ts.isIdentifier(node.name) ? node.name.text : `(anonymous at line ${line(node.getStart()) + 1})`;
      found.push({ name: `${file}: ${name}`, lines: line(node.getEnd()) - line(node.getStart()) + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('loadgen/', () => {
  it(`has no function longer than ${MAX_LINES} lines`, () => {
    const files = readdirSync(path.join(ROOT, 'loadgen'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const all = files.flatMap((f) => functionLengths(path.join('loadgen', f)));
    expect(all.length).toBeGreaterThan(100); // the parser found the functions
    expect(all.filter((f) => f.lines > MAX_LINES).map((f) => `${f.name} (${f.lines} lines)`)).toEqual([]);
  });
});
