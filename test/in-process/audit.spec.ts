import { auditBlock } from '@memsidecar/audit';
import { episodicBlock } from '@memsidecar/episodic';
import { factsBlock } from '@memsidecar/facts';
import { kvBlock } from '@memsidecar/kv';
import { leaseBlock } from '@memsidecar/lease';
import { sessionBlock } from '@memsidecar/session';
import { describeInProcess } from '../support/in-process';
import { auditCases } from './audit.cases';

describeInProcess('audit', 'pglite', { blocks: [auditBlock, kvBlock, episodicBlock, sessionBlock, leaseBlock, factsBlock], env: { MEMSIDECAR_READ_WAIT_MS: '2000' } }, auditCases);
