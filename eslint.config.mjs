// Lint: the layering of docs/overview.md as rules, plus a few checks that catch bugs rather than style.
// The compiler (strict, noUnusedLocals) already covers types and unused code.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** The repository's root: zones and tsconfig.json are found from here, wherever eslint runs. */
const ROOT = fileURLToPath(new URL('.', import.meta.url));

const folders = (dir) =>
  readdirSync(`${ROOT}${dir}`, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `${dir}/${d.name}`);

/** Every folder under libs/blocks is a block and gets the blocks' rules. */
const BLOCKS = folders('libs/blocks');

/**
 * What each folder's code may import, besides its own files and npm packages. Anything of
 * memsidecar not listed is forbidden. A new lib or app must be placed here (checked below).
 */
const LIBS = {
  'libs/core': [],
  'libs/event-store': ['libs/core'],
  'libs/auth': ['libs/core'],
  'libs/policy': ['libs/core'],
  'libs/config': ['libs/core', 'libs/policy'],
  'libs/projections': ['libs/core', 'libs/event-store'],
  'libs/api': ['libs/core', 'libs/event-store', 'libs/projections', 'libs/auth', 'libs/policy', 'libs/config'],
  ...Object.fromEntries(
    BLOCKS.map((block) => [
      block,
      // session -> lease is the one dependency between blocks: a session that ends releases its
      // leases (libs/blocks/lease/src/lease.sessions.ts). No other block may import another. The
      // tokens block records what libs/auth issues, in libs/auth's own types.
      [
        'libs/core',
        'libs/event-store',
        'libs/projections',
        'libs/api',
        'libs/config',
        ...(block === 'libs/blocks/session' ? ['libs/blocks/lease'] : []),
        ...(block === 'libs/blocks/tokens' ? ['libs/auth'] : []),
      ],
    ]),
  ),
  'libs/platform': ['libs/core', 'libs/event-store', 'libs/projections', 'libs/api', 'libs/config', ...BLOCKS],
  'libs/grpc': ['libs/core'],
  // MCP tools take their operations' input classes, whose validation metadata their schemas are read from.
  'libs/mcp': ['libs/core', 'libs/api', ...BLOCKS],
  // The SDK that agents install: nothing of the server at run time. It takes the types of the
  // operations' inputs from the blocks, with `import type` only (checked below).
  'libs/client': ['libs/core', ...BLOCKS],
  // Framework integrations, published beside the SDK (`memsidecar/langgraph`, …): the SDK only.
  'libs/langgraph': ['libs/client'],
  'libs/langchain': ['libs/client'],
  'libs/ai-sdk': ['libs/client'],
  // The in-process tier runs the dispatcher and the blocks' operations (given the block list by its caller).
  'libs/testing': ['libs/core', 'libs/event-store', 'libs/projections', 'libs/auth', 'libs/grpc', 'libs/api', 'libs/config', 'libs/policy'],
};
const CLIENT_SIDE = ['libs/testing', 'libs/client', 'libs/langgraph', 'libs/langchain', 'libs/ai-sdk'];
const SERVER_LIBS = Object.keys(LIBS).filter((l) => !CLIENT_SIDE.includes(l));
const LAYERS = {
  ...LIBS,
  // The apps compose the server libs; neither imports the other, and neither uses the test harness.
  'apps/memsidecar': SERVER_LIBS,
  'apps/memctl': SERVER_LIBS,
  // Examples use the SDK, and the framework integrations, as an agent would.
  examples: ['libs/client', 'libs/langgraph'],
};
const EVERYTHING = [...Object.keys(LAYERS), 'test', 'bench', 'chaos'];

const unplaced = [...folders('libs'), ...folders('apps')].filter((f) => f !== 'libs/blocks' && !EVERYTHING.includes(f));
if (unplaced.length > 0) throw new Error(`eslint.config.mjs: place ${unplaced.join(', ')} in LIBS or LAYERS: what may it import?`);

const zone = (target, allowed) => ({
  target,
  from: EVERYTHING.filter((f) => f !== target && !allowed.includes(f)),
  message: `${target} may import only ${allowed.length > 0 ? allowed.join(', ') : 'its own files'} (docs/overview.md, "Layers").`,
});

/** Another lib is reached through its src/index.ts, the API it chose to export, never a file inside it. */
const publicApiZones = Object.keys(LIBS).map((lib) => ({
  target: EVERYTHING.filter((f) => f !== lib),
  from: `${lib}/src`,
  except: ['index.ts'],
  message: `import ${lib} through its @memsidecar/ path (src/index.ts).`,
}));

/**
 * Specs may also use the harness (libs/testing), except those of core and the SDK; the event
 * store's and the projections' integration specs run the kv block as a fixture, and the platform's
 * contract spec reads the protos through libs/grpc and the input schemas through libs/mcp. Nothing imports an app, specs included.
 */
const SPEC_EXTRAS = {
  'libs/event-store': ['libs/blocks/kv'],
  'libs/projections': ['libs/blocks/kv'],
  'libs/platform': ['libs/grpc', 'libs/mcp'],
};
const specZones = Object.entries(LAYERS).map(([target, allowed]) =>
  zone(target, [...allowed, ...(['libs/core', 'libs/client', 'examples'].includes(target) ? [] : ['libs/testing']), ...(SPEC_EXTRAS[target] ?? [])]),
);

/** Tests, benchmarks and chaos runs may use any lib; they drive the apps as processes. */
const outsideZone = { target: ['test', 'bench', 'chaos'], from: ['apps/memsidecar', 'apps/memctl'], message: 'start the app as a process (libs/testing), never import it.' };

const importRules = (zones) => ({
  'import-x/no-cycle': ['error', { ignoreExternal: true }],
  'import-x/no-self-import': 'error',
  'import-x/no-restricted-paths': ['error', { basePath: ROOT, zones: [...zones, outsideZone, ...publicApiZones] }],
});

export default defineConfig(
  globalIgnores(['dist/', 'coverage/', '.memsidecar/']),
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { ecmaVersion: 'latest', sourceType: 'module' },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      // Without these, import-x follows imports into .js files only, and finds no cycle.
      'import-x/extensions': ['.ts', '.mts', '.js', '.cjs', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts'] },
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      // Resolves the @memsidecar/* paths of tsconfig.json.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${ROOT}tsconfig.json` })],
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      ...importRules(Object.entries(LAYERS).map(([target, allowed]) => zone(target, allowed))),
      // Bugs, not style.
      'no-async-promise-executor': 'error',
      'no-compare-neg-zero': 'error',
      'no-constant-binary-expression': 'error',
      'no-debugger': 'error',
      'no-dupe-else-if': 'error',
      'no-duplicate-case': 'error',
      'no-self-assign': 'error',
      'no-self-compare': 'error',
      'no-sparse-arrays': 'error',
      'no-template-curly-in-string': 'error',
      'no-unsafe-finally': 'error',
      'no-unsafe-negation': 'error',
      'use-isnan': 'error',
      '@typescript-eslint/no-duplicate-enum-values': 'error',
      '@typescript-eslint/no-extra-non-null-assertion': 'error',
      '@typescript-eslint/no-misused-new': 'error',
      '@typescript-eslint/no-non-null-asserted-optional-chain': 'error',
      '@typescript-eslint/no-unsafe-declaration-merging': 'error',
    },
  },
  {
    files: ['**/*.spec.ts'],
    rules: importRules(specZones),
  },
  {
    files: ['libs/client/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: BLOCKS.map((block) => `@memsidecar/${block.split('/').pop()}`),
              allowTypeImports: true,
              message: 'the SDK takes only types from the blocks (`import type`): nothing of the server may load with it.',
            },
          ],
        },
      ],
    },
  },
);
