/**
 * Vitest configuration of the end-to-end suite (`npm run test:e2e`): the code-server test, which
 * needs scripts/e2e-setup.sh's tools and a built losslint.vsix. Its files end in `.e2e.ts`, so the
 * unit-test run (`npm test`, vitest's default `*.test.ts` pattern) does not pick them up.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/e2e/**/*.e2e.ts'],
    // One browser and one code-server at a time: the CI machine has 2 cores.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
