import { episodicBlock } from '@memsidecar/episodic';
import { describeInProcess } from '../support/in-process';
import { episodicCases } from './episodic.cases';

describeInProcess('episodic', 'pglite', { blocks: [episodicBlock] }, episodicCases);
