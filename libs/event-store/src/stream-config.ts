import { DiscardPolicy, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { allEventsFilter } from '@memsidecar/core';

export interface EventLogOptions {
  /** First token of every subject (`mem`). */
  prefix: string;
  /** Name of the JetStream stream holding the log (`MEMSIDECAR`). */
  stream: string;
  replicas: number;
  /** How long JetStream remembers a `Mem-Request-Id`; at least two minutes. */
  duplicateWindowMs: number;
}

export const MIN_DUPLICATE_WINDOW_MS = 120_000;

/** The append-only log: file storage, nothing deleted or purged, reads by direct get. */
export const eventLogStreamConfig = (o: EventLogOptions): Partial<StreamConfig> & { name: string } => ({
  name: o.stream,
  subjects: [allEventsFilter(o.prefix)],
  retention: RetentionPolicy.Limits,
  storage: StorageType.File,
  discard: DiscardPolicy.New,
  max_age: 0,
  max_msgs: -1,
  max_bytes: -1,
  num_replicas: o.replicas,
  duplicate_window: nanos(Math.max(o.duplicateWindowMs, MIN_DUPLICATE_WINDOW_MS)),
  deny_delete: true,
  deny_purge: true,
  allow_rollup_hdrs: false,
  allow_direct: true,
});
