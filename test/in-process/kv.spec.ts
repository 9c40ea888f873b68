import { kvBlock } from '@memsidecar/kv';
import { describeInProcess } from '../support/in-process';
import { kvCases } from './kv.cases';

describeInProcess('kv', 'pglite', { blocks: [kvBlock], env: { MEMSIDECAR_READ_WAIT_MS: '2000' } }, kvCases);
