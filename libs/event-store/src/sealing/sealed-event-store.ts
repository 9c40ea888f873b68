import type { NatsConnection } from '@nats-io/transport-node';
import { EventStore } from '../event-store';
import { EventCodec } from '../stored-event-codec';
import type { EventLogOptions } from '../stream-config';
import type { MasterKey } from './master-key';
import { NatsSubjectKeys } from './nats-subject-keys';
import { PayloadCipher } from './payload-cipher';

/** The KV bucket holding a log's data keys. */
export const keyBucketOf = (stream: string): string => `${stream}_KEYS`;

/**
 * The log with its key store: payloads sealed on append when `seal` is on, sealed payloads opened
 * on every read. Close `keys` with the connection.
 */
export async function openSealedEventStore(
  nc: NatsConnection,
  options: EventLogOptions,
  o: { seal: boolean; masterKey?: MasterKey } = { seal: true },
): Promise<{ store: EventStore; keys: NatsSubjectKeys }> {
  const keys = await NatsSubjectKeys.open(nc, { bucket: keyBucketOf(options.stream), replicas: options.replicas, masterKey: o.masterKey });
  const store = await EventStore.open(nc, options, new EventCodec(new PayloadCipher(keys), o.seal));
  return { store, keys };
}
