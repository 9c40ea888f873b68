import { episodicBlock } from '@memsidecar/episodic';
import { kvBlock } from '@memsidecar/kv';
import { describeInProcess } from '../support/in-process';
import { policyCases, policyEnv } from './policy.cases';

describeInProcess('policy', 'postgres', { blocks: [kvBlock, episodicBlock], env: policyEnv() }, policyCases);
