import { configDefaults, defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const lib = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const SOURCES = ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.spec.ts'];
const SERVER_TIERS = ['**/*.int.spec.ts', '**/*.e2e.spec.ts'];

export default defineConfig({
  resolve: {
    alias: {
      '@memsidecar/core': lib('./libs/core/src/index.ts'),
      '@memsidecar/event-store': lib('./libs/event-store/src/index.ts'),
      '@memsidecar/projections': lib('./libs/projections/src/index.ts'),
      '@memsidecar/auth': lib('./libs/auth/src/index.ts'),
      '@memsidecar/policy': lib('./libs/policy/src/index.ts'),
      '@memsidecar/api': lib('./libs/api/src/index.ts'),
      '@memsidecar/grpc': lib('./libs/grpc/src/index.ts'),
      '@memsidecar/mcp': lib('./libs/mcp/src/index.ts'),
      '@memsidecar/config': lib('./libs/config/src/index.ts'),
      '@memsidecar/platform': lib('./libs/platform/src/index.ts'),
      '@memsidecar/testing': lib('./libs/testing/src/index.ts'),
      '@memsidecar/client': lib('./libs/client/src/index.ts'),
      '@memsidecar/episodic': lib('./libs/blocks/episodic/src/index.ts'),
      '@memsidecar/lease': lib('./libs/blocks/lease/src/index.ts'),
      '@memsidecar/semantic': lib('./libs/blocks/semantic/src/index.ts'),
      '@memsidecar/session': lib('./libs/blocks/session/src/index.ts'),
      '@memsidecar/facts': lib('./libs/blocks/facts/src/index.ts'),
      '@memsidecar/kv': lib('./libs/blocks/kv/src/index.ts'),
      '@memsidecar/artifact': lib('./libs/blocks/artifact/src/index.ts'),
      '@memsidecar/audit': lib('./libs/blocks/audit/src/index.ts'),
    },
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
    // Tiers, by file name: `npm run test:unit` (pure: deciders, codecs, policies), `test:int` (real
    // nats-server children and databases, in one process), `test:e2e` (the service as a process).
    projects: [
      { extends: true, test: { name: 'unit', include: SOURCES, exclude: [...SERVER_TIERS, ...configDefaults.exclude] } },
      // Each file starts its own servers (a nats-server child on a free port, a fresh database), so files run side by side.
      { extends: true, test: { name: 'int', include: ['**/*.int.spec.ts'], exclude: configDefaults.exclude } },
      { extends: true, test: { name: 'e2e', include: ['**/*.e2e.spec.ts'], exclude: configDefaults.exclude, fileParallelism: false } },
    ],
  },
});
