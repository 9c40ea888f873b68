import { leaseBlock } from '@memsidecar/lease';
import { describeInProcess } from '../support/in-process';
import { leaseCases } from './lease.cases';

describeInProcess('lease', 'pglite', { blocks: [leaseBlock], env: { MEMSIDECAR_READ_WAIT_MS: '2000' } }, leaseCases);
