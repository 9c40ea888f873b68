import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aggregateSubject, type Block, type EventEnvelope, type StoredEvent } from '@memsidecar/core';
import { InMemoryEventLog } from '@memsidecar/event-store';
import { BOOKKEEPING_MIGRATIONS, Database, ProjectionCheckpoint, ProjectionRunner, ReadModels, withRequestLedger, AppliedRequest, everyEvent, type Projection } from './index';

const quiet = { log: () => {}, warn: () => {}, error: () => {} };

/** A read model of one block that records the sequences it applied, and cannot apply an event marked poison. */
const recording = (block: Block): Projection => ({
  name: `seen_${block}`,
  block,
  tables: [`seen_${block}`],
  canHandle: everyEvent,
  async apply(sql, events: StoredEvent[]) {
    for (const e of events) {
      if ((e.data as { poison?: boolean }).poison) throw new Error(`poison at ${e.seq}`);
      await sql.query(`INSERT INTO seen_${block} (seq) VALUES ($1)`, [e.seq]);
    }
  },
});

let counter = 0;
const append = (log: InMemoryEventLog, block: Block, data: Record<string, unknown> = {}) => {
  const entity = `e${++counter}`;
  const envelope = { id: entity, type: `${block}.noted`, v: 1, at: new Date().toISOString(), tenant: 't', agent: 'a', block, ns: 'n', entity, data } as EventEnvelope;
  return log.append(aggregateSubject('mem', { tenant: 't', block, ns: 'n', entity }), envelope, { expectedLastSubjectSeq: 0 });
};

describe('read models on one live feed', () => {
  let log: InMemoryEventLog;
  let db: Database;
  let readModels: ReadModels;

  beforeEach(async () => {
    log = new InMemoryEventLog();
    db = await Database.open({ pgliteDir: 'memory://', entities: [ProjectionCheckpoint, AppliedRequest], migrations: BOOKKEEPING_MIGRATIONS });
    for (const block of ['kv', 'episodic']) await db.query(`CREATE TABLE seen_${block} (seq bigint PRIMARY KEY)`);
    const runners = withRequestLedger([recording('kv'), recording('episodic')]).map((p) => new ProjectionRunner(p, log, db, quiet));
    readModels = new ReadModels(runners, db, 5_000, { log, logger: quiet });
  });

  afterEach(async () => {
    await readModels.stop();
    await db.close();
  });

  const runner = (name: string) => readModels.runners.find((r) => r.name === name)!;
  const seen = async (block: Block) => (await db.query<{ seq: string }>(`SELECT seq FROM seen_${block} ORDER BY seq`)).map((r) => Number(r.seq));

  it('applies each read model its own events, from one subscription', async () => {
    await readModels.start();
    const kv = await append(log, 'kv');
    const episodic = await append(log, 'episodic');
    await readModels.ready('kv', episodic.seq);
    await readModels.ready('episodic', episodic.seq);
    expect(await seen('kv')).toEqual([kv.seq]);
    expect(await seen('episodic')).toEqual([episodic.seq]);
    expect(runner('seen_kv').fed && runner('seen_episodic').fed).toBe(true);
  });

  it('a read model with nothing of its own to apply stands at the feed\'s position, so a read with minSeq goes ahead', async () => {
    await readModels.start();
    await append(log, 'kv');
    const { seq } = await append(log, 'episodic');
    await runner('seen_episodic').waitFor(seq, 5_000);
    await expect.poll(() => runner('seen_kv').applied).toBe(seq);
    expect(await runner('seen_kv').checkpoint()).toBe(seq - 1);
  });

  it('a read model stopped at a poison event leaves the feed once its buffer is full, and the others keep going', async () => {
    await readModels.start();
    await append(log, 'episodic', { poison: true });
    await expect.poll(() => runner('seen_episodic').state.state, { timeout: 30_000 }).toBe('parked');
    for (let i = 0; i < 5_100; i++) await append(log, 'episodic');
    const { seq } = await append(log, 'kv');
    await runner('seen_kv').waitFor(seq, 10_000);
    expect(await seen('kv')).toEqual([seq]);
    expect(runner('seen_episodic').fed).toBe(false);
    expect(runner('seen_kv').fed).toBe(true);
  }, 60_000);
});
