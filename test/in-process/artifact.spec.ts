import { describeInProcess } from '../support/in-process';
import { artifactCases, artifactInProcess } from './artifact.cases';

describeInProcess('artifact', 'pglite', artifactInProcess(), artifactCases);
