/**
 * Every result file is written atomically: to a temporary file beside it, flushed to disk, then
 * renamed into place. A run killed mid-write (Ctrl-C, OOM, a full disk) leaves the previous file
 * or the new one, never half of one — a long compare or sweep must not lose what it had.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export function writeFileAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Writes `value` as pretty JSON (one trailing newline), atomically. */
export function writeJsonAtomically(file: string, value: unknown): void {
  writeFileAtomically(file, JSON.stringify(value, null, 2) + '\n');
}
