import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // End-to-end tests start real servers and hundreds of sockets: give them room on slow CI.
    testTimeout: 60_000,
    // One test file per CPU (vitest's default leaves one CPU free: on 2 cores, files ran one at a
    // time). The fast tests mostly wait on sockets and timers; two at once on this 2-core machine
    // took npm test from 397 s to 226 s with every test passing. The slow project stays one file at a time.
    maxWorkers: os.availableParallelism(),
    hookTimeout: 30_000,
    // GitHub's workflow parser imports its JSON schema without an import attribute, as bundlers
    // allow and Node does not: let Vite transform it instead of Node loading it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    projects: [
      // npm test: unit tests and one real-socket test per model.
      { extends: true, test: { name: 'tests', include: ['test/**/*.test.ts'], exclude: ['test/slow/**'], sequence: { groupOrder: 0 } } },
      // npm run test:slow: real gate runs, the workflows' steps and other long integration tests, each
      // file alone (they pin CPUs, run npm ci and load the machine: a timing-sensitive socket test
      // beside a workflow run missed its disconnect in 2 of 3 CI runs).
      { extends: true, test: { name: 'slow', include: ['test/slow/**/*.test.ts'], testTimeout: 600_000, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
