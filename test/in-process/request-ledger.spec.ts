import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvBlock } from '@memsidecar/kv';
import { inProcessService, until, type InProcessService } from '@memsidecar/testing';

const HOUR = 3_600_000;

/**
 * The request ledger's retention on the manual clock: a request id is honoured for the configured
 * retention, then its row is swept. (The sweep's SQL on both engines: libs/projections/src/request-ledger.int.spec.ts.)
 */
describe('request ledger - in process', () => {
  let svc: InProcessService;
  const ledgerHas = async (requestId: string) =>
    (await svc.db.query(`SELECT 1 FROM mem_requests WHERE tenant = 'default' AND request_id = $1`, [requestId])).length === 1;

  beforeAll(async () => {
    svc = await inProcessService({ blocks: [kvBlock], env: { MEMSIDECAR_REQUEST_RETENTION_MS: String(2 * HOUR) } });
  });
  afterAll(async () => {
    expect(svc.internalErrors).toEqual([]);
    await svc.close();
  });

  it('a retry within the retention gets the original reply and appends nothing', async () => {
    const first = await svc.when('kv.put', { ns: 'requests', key: 'k', value: 1 }, { requestId: 'req-kept' });
    await svc.clock.advance(HOUR);
    const again = await svc.when('kv.put', { ns: 'requests', key: 'k', value: 2 }, { requestId: 'req-kept' });
    expect(again).toMatchObject({ ok: true, body: { version: 1, seq: first.body.seq }, events: [] });
    await svc.readModels.catchUp(5_000);
    expect(await ledgerHas('req-kept')).toBe(true);
    expect(svc.retention.retentionMs).toBe(2 * HOUR);
  });

  it('past the retention the sweep deletes the request id, and keeps the younger ones', async () => {
    await svc.ok('kv.put', { ns: 'requests', key: 'young', value: 1 }, { requestId: 'req-young' });
    await svc.readModels.catchUp(5_000);
    // req-kept is now 2 h 10 min old, req-young 1 h 10 min: the sweep every 10 minutes takes only the first.
    await svc.clock.advance(HOUR + 10 * 60_000);
    await until(async () => !(await ledgerHas('req-kept')), 5_000);
    expect(await ledgerHas('req-young')).toBe(true);
  });
});
