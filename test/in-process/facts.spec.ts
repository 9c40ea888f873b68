import { factsBlock } from '@memsidecar/facts';
import { describeInProcess } from '../support/in-process';
import { factsCases } from './facts.cases';

describeInProcess('facts', 'pglite', { blocks: [factsBlock] }, factsCases);
