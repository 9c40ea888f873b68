import type { BlockDefinition } from '@memsidecar/api';
import { episodicBlock } from '@memsidecar/episodic';
import { kvBlock } from '@memsidecar/kv';

/** The blocks memsidecar serves; each brings its entities, migrations, projections and operations. */
export const BLOCKS: BlockDefinition[] = [kvBlock, episodicBlock];
