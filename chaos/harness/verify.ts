import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { EventCodec, NatsSubjectKeys, PayloadCipher, keyBucketOf } from '@memsidecar/event-store';
import type { ChaosClient } from './client';
import { KV_NS, episodicNs, kvKey, type MixedLoad } from './load';
import { timeUntilCurrent } from './measure';
import { now } from './procs';

export interface LogEntry {
  seq: number;
  type: string;
  block: string;
  rid: string;
}

/**
 * Every event in the stream that carries a chaos mark (`"rid":"…"` in its data), in log order;
 * payloads are opened with the deployment's data keys, as the service reads them.
 * Asked again when a look-up times out: a cluster that just lost a node may still be electing.
 */
export async function readLog(servers: string, stream = 'MEMSIDECAR', timeoutMs = 120_000): Promise<LogEntry[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readLogOnce(servers, stream, timeoutMs);
    } catch (e) {
      if (attempt >= 10) throw e;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

async function readLogOnce(servers: string, stream: string, timeoutMs: number): Promise<LogEntry[]> {
  const nc = await connect({ servers: servers.split(','), timeout: 5000 });
  try {
    const jsm = await jetstreamManager(nc);
    const last = (await jsm.streams.info(stream)).state.last_seq;
    const out: LogEntry[] = [];
    if (last === 0) return out;
    const keys = await NatsSubjectKeys.open(nc, { bucket: keyBucketOf(stream), replicas: 1 });
    const codec = new EventCodec(new PayloadCipher(keys));
    const consumer = await jetstream(nc).consumers.get(stream, {});
    const messages = await consumer.consume();
    const timer = setTimeout(() => void messages.close(), timeoutMs);
    try {
      for await (const m of messages) {
        const event = await codec.decode(m.data, m.seq);
        const rid = /"rid":"([^"]+)"/.exec(JSON.stringify(event.data) ?? '')?.[1];
        if (rid) out.push({ seq: m.seq, type: event.type ?? '?', block: event.block ?? event.type?.split('.')[0] ?? '?', rid });
        if (m.seq >= last) break;
      }
    } finally {
      clearTimeout(timer);
      await messages.close();
      await keys.close();
    }
    return out;
  } finally {
    await nc.close();
  }
}

export interface Verdict {
  acked: number;
  /** Acknowledged writes missing from the log or a read model. */
  lost: number;
  /** Writes applied more than once (in the log or a read model). */
  duplicated: number;
  /** Time until the read models held the last acknowledged write, measured when verification started. */
  settleMs: number | null;
  details: string[];
}

/**
 * After the load stopped: waits for the read models to be current, reads the log and each
 * client's kv key and episodic namespace, and checks every acknowledged write is there exactly once.
 */
export async function verifyMixed(load: MixedLoad, servers: string, client: ChaosClient): Promise<Verdict> {
  const details: string[] = [];
  const t0 = now();
  const settleMs = (await timeUntilCurrent(client, () => load.maxAckedSeq, t0, 30_000)).ms;
  if (settleMs === null) details.push(`read models not current (minSeq ${load.maxAckedSeq}) within 30 s of the end of the load: only the log was checked`);
  const log = await readLog(servers);
  const byRid = new Map<string, LogEntry[]>();
  for (const e of log) byRid.set(e.rid, [...(byRid.get(e.rid) ?? []), e]);

  const lostRids = new Set<string>();
  const dupRids = new Set<string>();
  for (const [rid, entries] of byRid) if (rid.startsWith(load.runId) && entries.length > 1) dupRids.add(rid);
  const acked = load.acked();
  for (const r of acked) if (!byRid.has(r.rid)) lostRids.add(r.rid);

  // Reads wait for the read models; when they never caught up, each would only time out.
  for (let c = 0; c < (settleMs === null ? 0 : load.clients); c++) {
    const prefix = `${load.runId}-c${c}-`;
    const mine = log.filter((e) => e.rid.startsWith(prefix));
    // kv: one key per client, written sequentially; its version counts the puts applied.
    const kvLog = mine.filter((e) => e.block === 'kv');
    const got = await client.once('kv.get', { ns: KV_NS, key: kvKey(c) }, { timeoutMs: 10_000 });
    if (got.kind !== 'ok') {
      details.push(`kv.get c${c}: ${got.kind} ${got.error?.code ?? got.detail ?? ''}`);
    } else if (kvLog.length > 0) {
      const version = got.body.found ? Number(got.body.version) : 0;
      const lastRid = kvLog[kvLog.length - 1].rid;
      if (version < kvLog.length) details.push(`kv c${c}: read model version ${version}, log has ${kvLog.length} puts`);
      if (version > kvLog.length) {
        details.push(`kv c${c}: read model version ${version} > ${kvLog.length} puts in the log (applied twice)`);
        dupRids.add(`${prefix}kv-version`);
      }
      if (got.body.value?.rid !== lastRid) details.push(`kv c${c}: value ${got.body.value?.rid}, last put in the log ${lastRid}`);
      const position = new Map(kvLog.map((e, n) => [e.rid, n + 1]));
      for (const r of acked.filter((x) => x.client === c && x.op === 'kv.put')) {
        const p = position.get(r.rid);
        if (p !== undefined && r.result.body?.version !== p) details.push(`kv c${c}: ${r.rid} acked version ${r.result.body?.version}, is put #${p} in the log`);
        if (p !== undefined && p > version) lostRids.add(r.rid);
      }
    }
    // episodic: every acknowledged append exactly once in the namespace's read model.
    const seen = new Map<string, number>();
    let afterCursor = 0;
    for (let page = 0; page < 1000; page++) {
      const a = await client.once('episodic.range', { ns: episodicNs(c), afterCursor, limit: 1000 }, { timeoutMs: 10_000 });
      if (a.kind !== 'ok') {
        details.push(`episodic.range c${c}: ${a.kind} ${a.error?.code ?? a.detail ?? ''}`);
        break;
      }
      const events = a.body.events as Array<{ cursor: number; payload?: { rid?: string } }>;
      for (const e of events) if (e.payload?.rid) seen.set(e.payload.rid, (seen.get(e.payload.rid) ?? 0) + 1);
      if (events.length < 1000 || !a.body.nextCursor) break;
      afterCursor = a.body.nextCursor;
    }
    for (const [rid, n] of seen) if (n > 1) dupRids.add(rid);
    const epLog = mine.filter((e) => e.block === 'episodic');
    if (seen.size !== epLog.length) details.push(`episodic c${c}: read model has ${seen.size} events, log ${epLog.length}`);
    for (const r of acked.filter((x) => x.client === c && x.op === 'episodic.append')) if (!seen.has(r.rid)) lostRids.add(r.rid);
  }
  if (lostRids.size) details.push(`lost: ${[...lostRids].slice(0, 5).join(', ')}${lostRids.size > 5 ? ', …' : ''}`);
  if (dupRids.size) details.push(`applied twice: ${[...dupRids].slice(0, 5).join(', ')}${dupRids.size > 5 ? ', …' : ''}`);
  return { acked: acked.length, lost: lostRids.size, duplicated: dupRids.size, settleMs, details };
}
