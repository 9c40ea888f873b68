import type { StoredEvent } from '@memsidecar/core';
import { openSealedEventStore } from '@memsidecar/event-store';
import type { NatsTestClient } from './client';

export async function readLog(client: NatsTestClient, filter: string): Promise<StoredEvent[]> {
  const { store, keys } = await openSealedEventStore(client.nc, { prefix: 'mem', stream: 'MEMSIDECAR', replicas: 1, duplicateWindowMs: 120_000 });
  try {
    const events: StoredEvent[] = [];
    for await (const e of store.read({ filter })) events.push(e);
    return events;
  } finally {
    await keys.close();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until `done` holds or the time runs out, returning the last value seen. A probe that fails
 * (e.g. a request lost to an instance that was just killed) is tried again until the deadline.
 */
export async function waitFor<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T;
    try {
      value = await probe();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(25);
      continue;
    }
    if (done(value) || Date.now() > deadline) return value;
    await sleep(25);
  }
}

/** Like `waitFor` for a plain condition, failing when it does not hold within `timeoutMs` (a bound, not a target). */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  if (!(await waitFor(async () => condition(), Boolean, timeoutMs))) throw new Error(`condition not met within ${timeoutMs} ms`);
}
