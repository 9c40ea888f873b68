import { NS_PATTERN, aggregateSubject } from '@memsidecar/core';
import type { AggregateType } from '@memsidecar/event-store';
import { artifactDecider, type ArtifactCommand, type ArtifactState } from './artifact.decider';
import { uploadDecider, type UploadCommand, type UploadState } from './artifact-upload.decider';
import type { ArtifactEvent, UploadEvent } from './artifact.events';

/** One aggregate per artifact id; every event carries the whole version. */
export const artifactAggregate: AggregateType<ArtifactState, ArtifactCommand, ArtifactEvent> = {
  block: 'artifact',
  decider: artifactDecider,
  history: 'last-event',
};

/** One aggregate per upload, folded from all its events: each append adds one part, never the whole list. */
export const uploadAggregate: AggregateType<UploadState, UploadCommand, UploadEvent> = {
  block: 'artifact',
  decider: uploadDecider,
  history: 'full',
};

export const artifactAddress = (tenant: string, ns: string, id: string) => ({ tenant, ns, entity: id });

/** `:` never occurs in an artifact id, so an upload's entity can never collide with an artifact's. */
export const uploadAddress = (tenant: string, ns: string, uuid: string) => ({ tenant, ns, entity: `upload:${uuid}` });

export const uploadSubject = (prefix: string, tenant: string, ns: string, uuid: string): string =>
  aggregateSubject(prefix, { block: 'artifact', ...uploadAddress(tenant, ns, uuid) });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * An uploadId is `<ns>.<uuid>`: it names its namespace so the token can be checked against it
 * before anything is read, and the random uuid makes it unguessable. The tenant is never in it:
 * it always comes from the caller's token, so another tenant's id simply names nothing.
 */
export const formatUploadId = (ns: string, uuid: string): string => `${ns}.${uuid}`;

export function parseUploadId(uploadId: string): { ns: string; uuid: string } | null {
  const dot = uploadId.lastIndexOf('.');
  if (dot <= 0) return null;
  const ns = uploadId.slice(0, dot);
  const uuid = uploadId.slice(dot + 1);
  return NS_PATTERN.test(ns) && UUID.test(uuid) ? { ns, uuid } : null;
}
