import type { BlockDefinition } from '@memsidecar/api';
import { installUpcasters } from '@memsidecar/event-store';
import { artifactBlock } from '@memsidecar/artifact';
import { auditBlock } from '@memsidecar/audit';
import { episodicBlock } from '@memsidecar/episodic';
import { factsBlock } from '@memsidecar/facts';
import { graphBlock } from '@memsidecar/graph';
import { kvBlock } from '@memsidecar/kv';
import { leaseBlock } from '@memsidecar/lease';
import { semanticBlock } from '@memsidecar/semantic';
import { sessionBlock } from '@memsidecar/session';
import { tokensBlock } from '@memsidecar/tokens';

/**
 * The blocks memsidecar serves; each brings its entities, migrations, projections and operations
 * (tokens bring only their listing: memctl issues and revokes them).
 */
export const BLOCKS: BlockDefinition[] = [kvBlock, episodicBlock, leaseBlock, sessionBlock, semanticBlock, artifactBlock, factsBlock, graphBlock, auditBlock, tokensBlock];

// Events are read as their current versions wherever the log is decoded (the service, memctl):
// each block's upcasters are facts about its event formats, so they are installed with the list.
installUpcasters(...BLOCKS.flatMap((b) => (b.upcasters ? [b.upcasters] : [])));
