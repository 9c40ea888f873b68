import { join } from 'node:path';
import { ChaosClient } from '../harness/client';
import { fmtMs, percentile } from '../harness/measure';
import { now, Proc, sleep } from '../harness/procs';
import type { ScenarioResult } from '../harness/report';
import { scenario, withCleanup, infrastructure, startedService } from '../harness/scenario';
import { createInbox } from '@nats-io/transport-node';

const NS = 'chaos-tail';
const WRITERS = 4;
const PHASE_MS = 8000;
const STALLED_STREAMS = 16;
const PAYLOAD = 'x'.repeat(2048);
/**
 * What the service holds (V8 heap in use plus buffers), measured a few seconds after the writes while
 * the readers are still stopped, may grow by at most this much: the streams must not pile up what
 * the readers do not take. RSS is printed too, but it is a high-water mark (16 streams replaying the
 * log make a lot of short-lived garbage, and freed memory is not handed back to the system).
 */
const HELD_BUDGET_MIB = 64;
const SETTLE_MS = 5_000;

/**
 * Tail readers that stop reading (a SIGSTOPped process holding 16 tail streams) while writers keep
 * appending: writes, other readers and /readyz unaffected, the service's memory bounded.
 */
export const stalledTail = (): Promise<ScenarioResult> =>
  scenario('stalled-tail', (r) =>
    withCleanup(async (defer) => {
      const { db, nats } = await infrastructure(defer);
      const service = await startedService(defer, { natsUrl: nats.url, databaseUrl: db.url });
      const writers: ChaosClient[] = [];
      for (let c = 0; c < WRITERS; c++) writers.push(await ChaosClient.connect(nats.url, `chaos-tail-writer-${c}`));
      defer(() => Promise.all(writers.map((w) => w.close())));

      const writePhase = async (ms: number) => {
        const latencies: number[] = [];
        let failed = 0;
        let appended = 0;
        const end = now() + ms;
        await Promise.all(
          writers.map(async (w, c) => {
            for (let i = 0; i < 50_000 && now() < end; i++) {
              const a = await w.call('episodic.append', { ns: NS, type: 'chaos', payload: { c, i, pad: PAYLOAD } }, { requestId: `tail-${c}-${now()}-${i}`, timeoutMs: 2000, deadline: end + 10_000 });
              if (a.ok) {
                latencies.push(a.doneAt - a.sentAt);
                appended++;
              } else failed++;
              await sleep(5);
            }
          }),
        );
        return { latencies, failed, appended };
      };

      // A healthy tail reader, counting what it receives, for the whole run.
      const reader = await ChaosClient.connect(nats.url, 'chaos-tail-healthy');
      defer(() => reader.close());
      let received = 0;
      let lastCursor = 0;
      let outOfOrder = 0;
      const inbox = createInbox();
      const sub = reader.nc.subscribe(inbox);
      reader.nc.publish('mem.v1.episodic.tail', JSON.stringify({ ns: NS, afterCursor: 0, maxEvents: 10_000, maxMs: 120_000 }), { reply: inbox });
      const healthy = (async () => {
        for await (const m of sub) {
          if (m.headers?.get('Mem-End') === 'true') break;
          const e = JSON.parse(m.string()) as { cursor?: number };
          if (typeof e.cursor === 'number') {
            if (e.cursor !== lastCursor + 1) outOfOrder++;
            lastCursor = e.cursor;
            received++;
          }
        }
      })();
      defer(() => sub.unsubscribe());

      await sleep(500);
      const rssBefore = service.rssKiB() ?? 0;
      const base = await writePhase(PHASE_MS);
      const rssBase = service.rssKiB() ?? 0;
      const memoryBase = await service.memoryMiB();

      const stalled = Proc.spawn('stalled-reader', process.execPath, [join(__dirname, '..', 'harness', 'stalled-reader.js'), nats.url, NS, String(STALLED_STREAMS)]);
      defer(() => stalled.kill9());
      defer(() => stalled.signal('SIGCONT'));
      await stalled.waitFor(/subscribed/, 20_000);
      stalled.signal('SIGSTOP');
      const tStall = now();
      const readyzSeen: Record<string, number> = {};
      let probing = true;
      const readyzLoop = (async () => {
        for (let n = 0; n < 10_000 && probing; n++) {
          const s = String(await service.readyz(1000));
          readyzSeen[s] = (readyzSeen[s] ?? 0) + 1;
          await sleep(200);
        }
      })();
      const withStall = await writePhase(PHASE_MS * 1.5);
      probing = false;
      await readyzLoop;
      const rssAfter = service.rssKiB() ?? 0;
      const memoryPeak = await service.memoryMiB();
      await sleep(SETTLE_MS);
      const memoryAfter = await service.memoryMiB();
      const held = (m: { heap: number; external: number } | null) => (m ? m.heap + m.external : NaN);
      await sleep(1000);
      const total = base.appended + withStall.appended;

      r.acked = total;
      r.lost = null;
      r.duplicated = null;
      r.crash = service.unexpectedExits.map((e) => `exited (code ${e.code})`).join('; ');
      r.readyz = Object.entries(readyzSeen).map(([k, v]) => `${k === '0' ? 'no-answer' : k}×${v}`).join(' ');
      const p = (xs: number[], q: number) => fmtMs(percentile(xs, q));
      r.lines.push(`appends without stalled readers: ${base.appended} ok, ${base.failed} failed, p50 ${p(base.latencies, 50)} p99 ${p(base.latencies, 99)}`);
      r.lines.push(`appends with ${STALLED_STREAMS} stalled tail streams (SIGSTOPped reader, ${fmtMs(now() - tStall)}): ${withStall.appended} ok, ${withStall.failed} failed, p50 ${p(withStall.latencies, 50)} p99 ${p(withStall.latencies, 99)}`);
      r.lines.push(`healthy tail reader received ${received} of ${total} events (out of order ${outOfOrder})`);
      r.lines.push(`service RSS: ${Math.round(rssBefore / 1024)} MiB before, ${Math.round(rssBase / 1024)} MiB after the baseline, ${Math.round(rssAfter / 1024)} MiB with stalled readers`);
      r.lines.push(
        `service holds (V8 heap in use + buffers): ${held(memoryBase)} MiB after the baseline, ${held(memoryPeak)} MiB at the end of the writes, ` +
          `${held(memoryAfter)} MiB ${SETTLE_MS / 1000} s later with the readers still stopped`,
      );
      if (r.crash) r.failures.push(`service crashed: ${r.crash}`);
      if (!service.alive) r.failures.push('service not alive at the end');
      if (withStall.failed > 0) r.failures.push(`${withStall.failed} appends failed with stalled readers`);
      const p99Base = percentile(base.latencies, 99);
      const p99Stall = percentile(withStall.latencies, 99);
      if (!(p99Stall <= Math.max(3 * p99Base, p99Base + 50))) r.failures.push(`append p99 ${fmtMs(p99Stall)} with stalled readers vs ${fmtMs(p99Base)} without`);
      if (received < total) r.failures.push(`the healthy tail reader missed ${total - received} events`);
      if (outOfOrder) r.failures.push(`the healthy tail reader saw ${outOfOrder} gaps or repeats`);
      if (!(held(memoryAfter) - held(memoryBase) <= HELD_BUDGET_MIB)) r.failures.push(`the service holds ${held(memoryAfter) - held(memoryBase)} MiB more with stalled readers`);
      if ((readyzSeen['200'] ?? 0) === 0) r.failures.push('/readyz never 200 while readers were stalled');
      void healthy;
    }),
  );
