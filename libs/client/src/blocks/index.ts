import { artifactClient, type ArtifactClient } from './artifact';
import { auditClient, type AuditClient } from './audit';
import { episodicClient, type EpisodicClient } from './episodic';
import { factsClient, type FactsClient } from './facts';
import { graphClient, type GraphClient } from './graph';
import { kvClient, type KvClient } from './kv';
import { leaseClient, type LeaseClient } from './lease';
import type { Call, Stream } from './method';
import { semanticClient, type SemanticClient } from './semantic';
import { sessionOpsClient, type SessionOpsClient } from './session';

/** One typed client per block of the contract. */
export interface BlockClients {
  kv: KvClient;
  episodic: EpisodicClient;
  semantic: SemanticClient;
  artifact: ArtifactClient;
  lease: LeaseClient;
  session: SessionOpsClient;
  facts: FactsClient;
  graph: GraphClient;
  audit: AuditClient;
}

export function createBlockClients(call: Call, stream: Stream): BlockClients {
  return {
    kv: kvClient(call),
    episodic: episodicClient(call, stream),
    semantic: semanticClient(call),
    artifact: artifactClient(call, stream),
    lease: leaseClient(call),
    session: sessionOpsClient(call),
    facts: factsClient(call),
    graph: graphClient(call),
    audit: auditClient(call),
  };
}

export type { Call, Stream, Method, Metadata, ReadInput } from './method';
export type * from './kv';
export type * from './episodic';
export type * from './semantic';
export type * from './artifact';
export { UPLOAD_CHUNK_BYTES, type ArtifactSource, type ArtifactUploadOptions } from './artifact-transfer';
export type * from './lease';
export type * from './session';
export type * from './facts';
export type * from './graph';
export type * from './audit';
