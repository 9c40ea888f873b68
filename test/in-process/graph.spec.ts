import { graphBlock } from '@memsidecar/graph';
import { describeInProcess } from '../support/in-process';
import { graphCases, graphEnv } from './graph.cases';

describeInProcess('graph', 'pglite', { blocks: [graphBlock], env: graphEnv() }, graphCases('pglite'));
