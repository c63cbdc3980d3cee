/**
 * `npm run history -- <file>`: the change points of every series in the gate's history of main
 * (regress/history.ts says how they are found), each with the commit where it began.
 */
import { Command } from 'commander';
import { runMain } from '../common/main.ts';
import { EXIT } from '../common/exit-codes.ts';
import { ALPHA, historyChanges, MIN_SEGMENT, readHistory, runtimeChanges } from './history.ts';

const program = new Command()
  .name('npm run history --')
  .description('Change points in the history of main that `npm run regress -- --history <file>` appends to.')
  .argument('<file>', 'the JSON-lines history')
  .option('--json', 'print the change points as JSON');

async function main(): Promise<number> {
  program.parse();
  const [file] = program.args as [string];
  const entries = readHistory(file);
  const changes = historyChanges(entries);
  const runtimes = runtimeChanges(entries);
  if (program.opts<{ json?: boolean }>().json) {
    process.stdout.write(`${JSON.stringify(changes, null, 2)}\n`);
    return EXIT.success;
  }

  process.stdout.write(`${entries.length} runs in ${file}\n`);
  for (const r of runtimes) process.stdout.write(`the runtime changed at ${r.commit.slice(0, 12)} (${r.createdAt}): ${r.from} → ${r.to}\n`);
  process.stdout.write(`change points (binary segmentation, permutation test at α = ${ALPHA}, at least ${MIN_SEGMENT} runs each side):\n`);
  if (changes.length === 0) process.stdout.write('none\n');
  for (const c of changes) {
    const sign = c.change >= 0 ? '+' : '';
    process.stdout.write(`${c.series}: ${sign}${(c.change * 100).toFixed(1)}% (${c.before.toPrecision(4)} → ${c.after.toPrecision(4)}), beginning at ${c.commit.slice(0, 12)} (${c.createdAt}), p = ${c.p.toFixed(3)}${c.runtimeChanged ? `; the runtime changed ${c.runtimeChanged.commit === c.commit ? 'there' : `nearby, at ${c.runtimeChanged.commit.slice(0, 12)}`} (${c.runtimeChanged.from} → ${c.runtimeChanged.to}): the step may be the runtime's` : ''}\n`);
  }
  return EXIT.success;
}

runMain(main);
