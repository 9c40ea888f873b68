import { BLOCKS } from '@memsidecar/platform';
import { describeInProcess } from '../support/in-process';
import { provenanceCases, provenanceEnv } from './provenance.cases';

describeInProcess('provenance', 'postgres', { blocks: BLOCKS, env: provenanceEnv() }, provenanceCases);
