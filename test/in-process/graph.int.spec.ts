import { graphBlock } from '@memsidecar/graph';
import { describeInProcess } from '../support/in-process';
import { graphCases, graphEnv } from './graph.cases';

describeInProcess('graph', 'postgres', { blocks: [graphBlock], env: graphEnv() }, graphCases('postgres'));
