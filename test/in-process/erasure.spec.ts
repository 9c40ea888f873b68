import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeInProcess } from '../support/in-process';
import { ERASURE_BLOCKS, erasureCases } from './erasure.cases';

const blobs = mkdtempSync(join(tmpdir(), 'memsidecar-erasure-'));
afterAll(() => rmSync(blobs, { recursive: true, force: true }));

describeInProcess('erasure', 'pglite', { blocks: ERASURE_BLOCKS, env: { MEMSIDECAR_READ_WAIT_MS: '2000', MEMSIDECAR_EMBEDDER: 'hashing', MEMSIDECAR_ARTIFACT_STORE: `fs:${blobs}` } }, erasureCases('pglite', ERASURE_BLOCKS));
