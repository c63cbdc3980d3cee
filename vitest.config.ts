import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // End-to-end tests start real servers and hundreds of sockets: give them room on slow CI.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'tests', include: ['test/**/*.test.ts'], exclude: ['test/workflows.test.ts', 'test/slow/**'], sequence: { groupOrder: 0 } } },
      // Runs after every other file, alone: it runs npm ci and two gate runs, load that made a
      // timing-sensitive socket test beside it miss its disconnect (2 of 3 CI runs).
      { extends: true, test: { name: 'workflows', include: ['test/workflows.test.ts'], sequence: { groupOrder: 1 } } },
      // npm run test:slow: real gate runs and other long integration tests, each file alone (they pin CPUs and load the machine).
      { extends: true, test: { name: 'slow', include: ['test/slow/**/*.test.ts'], testTimeout: 600_000, fileParallelism: false, sequence: { groupOrder: 2 } } },
    ],
  },
});
