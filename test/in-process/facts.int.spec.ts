import { factsBlock } from '@memsidecar/facts';
import { describeInProcess } from '../support/in-process';
import { factsCases } from './facts.cases';

describeInProcess('facts', 'postgres', { blocks: [factsBlock] }, factsCases);
