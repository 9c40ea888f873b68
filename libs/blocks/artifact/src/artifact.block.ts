import type { BlockDefinition } from '@memsidecar/api';
import { ArtifactEntry, ArtifactReleasedBlob, ArtifactUpload } from './artifact-entry.entity';
import { artifactOperations } from './artifact.operations';
import { artifactProjection } from './artifact.projection';
import { blobCollector, uploadExpiryWorker } from './artifact.workers';
import { ArtifactEntries1763769600600 } from './migrations/1763769600600-artifact-entries';
import { ArtifactProvenance1764806400240 } from './migrations/1764806400240-artifact-provenance';

export const artifactBlock: BlockDefinition = {
  name: 'artifact',
  entities: [ArtifactEntry, ArtifactUpload, ArtifactReleasedBlob],
  migrations: [ArtifactEntries1763769600600, ArtifactProvenance1764806400240],
  projections: [artifactProjection],
  operations: artifactOperations,
  workers: (deps) => [uploadExpiryWorker(deps), blobCollector(deps)],
};
