import { BLOCKS } from '@memsidecar/platform';
import { describeInProcess } from '../support/in-process';
import { tenantIsolationCases, tenantIsolationEnv } from './tenant-isolation.cases';

describeInProcess('tenant isolation', 'pglite', { blocks: BLOCKS, env: tenantIsolationEnv() }, tenantIsolationCases);
