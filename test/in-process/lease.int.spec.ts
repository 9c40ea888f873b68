import { leaseBlock } from '@memsidecar/lease';
import { describeInProcess } from '../support/in-process';
import { leaseCases } from './lease.cases';

describeInProcess('lease', 'postgres', { blocks: [leaseBlock], env: { MEMSIDECAR_READ_WAIT_MS: '2000' } }, leaseCases);
