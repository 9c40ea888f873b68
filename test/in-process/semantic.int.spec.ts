import { semanticBlock } from '@memsidecar/semantic';
import { describeInProcess } from '../support/in-process';
import { semanticCases } from './semantic.cases';

describeInProcess('semantic', 'postgres', { blocks: [semanticBlock], env: { MEMSIDECAR_EMBEDDER: 'hashing' } }, semanticCases);
