import { configDefaults, defineConfig } from 'vitest/config';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const lib = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const SOURCES = ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.spec.ts'];
const SERVER_TIERS = ['**/*.int.spec.ts', '**/*.e2e.spec.ts'];

export default defineConfig({
  resolve: {
    // `@memsidecar/<name>`: libs/<name> or libs/blocks/<name>, as tsconfig.json's paths say.
    alias: [
      ...readdirSync(lib('./libs/blocks')).map((name) => ({ find: `@memsidecar/${name}`, replacement: lib(`./libs/blocks/${name}/src/index.ts`) })),
      ...readdirSync(lib('./libs'))
        .filter((name) => name !== 'blocks')
        .map((name) => ({ find: `@memsidecar/${name}`, replacement: lib(`./libs/${name}/src/index.ts`) })),
    ],
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time: each owns its servers (a nats-server child on a free port, a fresh
    // database, the service as its own process), and the suite held under a load of 4-6 on two cores.
    maxWorkers: 2,
    reporters: ['default', './test/summary-reporter.ts'],
    // Tiers, by file name: `npm run test:unit` (pure: deciders, codecs, policies), `test:int` (real
    // nats-server children and databases, in one process), `test:e2e` (the service as a process).
    projects: [
      { extends: true, test: { name: 'unit', include: SOURCES, exclude: [...SERVER_TIERS, ...configDefaults.exclude] } },
      { extends: true, test: { name: 'int', include: ['**/*.int.spec.ts'], exclude: configDefaults.exclude } },
      // Globals for LangGraph's checkpointer conformance suite, which declares its tests with them
      // (libs/langgraph/src/saver.validation.e2e.spec.ts); the other specs import what they use.
      { extends: true, test: { name: 'e2e', include: ['**/*.e2e.spec.ts'], exclude: configDefaults.exclude, globals: true } },
    ],
  },
});
