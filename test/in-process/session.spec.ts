import { kvBlock } from '@memsidecar/kv';
import { leaseBlock } from '@memsidecar/lease';
import { sessionBlock } from '@memsidecar/session';
import { describeInProcess } from '../support/in-process';
import { sessionCases } from './session.cases';

describeInProcess('sessions', 'pglite', { blocks: [sessionBlock, leaseBlock, kvBlock] }, sessionCases);
