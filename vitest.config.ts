import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests start real servers and hundreds of sockets: give them room on slow CI.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
