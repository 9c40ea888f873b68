import { ChaosClient } from '../harness/client';
import { fmtMs, longestGap, timeUntilCurrent } from '../harness/measure';
import { now, sleep } from '../harness/procs';
import type { ScenarioResult } from '../harness/report';
import { scenario, withCleanup, infrastructure } from '../harness/scenario';
import { ServiceProcess } from '../harness/service';
import { readLog } from '../harness/verify';

const CLIENTS = 20;
const NS = 'chaos-cas';
const KEY = 'counter';
const RUN_MS = 14_000;
const KILL_AT_MS = 5000;

interface Counter {
  n: number;
  rid: string;
}

/**
 * Two instances on one stream and one database; 20 clients increment one counter with
 * get + put ifVersion; one instance is killed -9 mid-run. The final counter must equal the number
 * of acknowledged CAS writes, each acknowledged increment exactly once.
 */
export const twoInstances = (): Promise<ScenarioResult> =>
  scenario('two-instances', (r) =>
    withCleanup(async (defer) => {
      const { db, nats } = await infrastructure(defer);
      const a = new ServiceProcess({ natsUrl: nats.url, databaseUrl: db.url, name: 'memsidecar-a' });
      const b = new ServiceProcess({ natsUrl: nats.url, databaseUrl: db.url, name: 'memsidecar-b' });
      for (const s of [a, b]) {
        defer(() => s.removeDataDir());
        defer(() => s.stop());
      }
      await a.start();
      await b.start();

      const runId = `cas${Math.random().toString(16).slice(2, 8)}`;
      const acked: Array<{ rid: string; n: number; version: number; seq: number; t: number }> = [];
      let conflicts = 0;
      let gaveUp = 0;
      const refused: Record<string, number> = {};
      const t0 = now();
      const stopAt = t0 + RUN_MS;
      const deadline = () => stopAt + 30_000;
      let maxSeq = 0;
      const clients: ChaosClient[] = [];
      for (let c = 0; c < CLIENTS; c++) clients.push(await ChaosClient.connect(nats.url, `chaos-cas-${c}`));
      defer(() => Promise.all(clients.map((c) => c.close())));

      const worker = async (c: number, client: ChaosClient) => {
        for (let i = 0; i < 100_000 && now() < stopAt; i++) {
          const got = await client.call<{ found: boolean; version?: number; value?: Counter }>('kv.get', { ns: NS, key: KEY }, { deadline, timeoutMs: 2000 });
          if (!got.ok) {
            if (got.gaveUp) return;
            await sleep(20);
            continue;
          }
          const version = got.body!.found ? got.body!.version! : 0;
          const n = (got.body!.found ? got.body!.value!.n : 0) + 1;
          const rid = `${runId}-c${c}-${i}`;
          const put = await client.call<{ version: number; seq: number }>('kv.put', { ns: NS, key: KEY, value: { n, rid }, ifVersion: version }, { requestId: rid, deadline, timeoutMs: 2000 });
          if (put.ok) {
            acked.push({ rid, n, version: put.body!.version, seq: put.body!.seq, t: now() });
            maxSeq = Math.max(maxSeq, put.body!.seq);
          } else if (put.gaveUp) {
            gaveUp++;
            return;
          } else if (put.error?.reason === 'VERSION_MISMATCH') conflicts++;
          else refused[put.error?.code ?? '?'] = (refused[put.error?.code ?? '?'] ?? 0) + 1;
        }
      };
      const loops = clients.map((client, c) => worker(c, client));
      await sleep(KILL_AT_MS);
      const tKill = now();
      await a.kill9();
      await Promise.all(loops);
      const tEnd = now();

      const probe = clients[0];
      const settle = (await timeUntilCurrent(probe, () => maxSeq, now(), 30_000)).ms;
      const final = await probe.once<{ found: boolean; version?: number; value?: Counter }>('kv.get', { ns: NS, key: KEY, minSeq: maxSeq }, { timeoutMs: 10_000 });
      const log = (await readLog(nats.url)).filter((e) => e.rid.startsWith(runId));
      const inLog = new Map<string, number>();
      for (const e of log) inLog.set(e.rid, (inLog.get(e.rid) ?? 0) + 1);

      const finalN = final.body?.value?.n ?? 0;
      const finalVersion = final.body?.version ?? 0;
      const lost = acked.filter((x) => !inLog.has(x.rid)).length;
      const twice = [...inLog.values()].filter((k) => k > 1).length;
      const ns = new Map<number, number>();
      for (const x of acked) ns.set(x.n, (ns.get(x.n) ?? 0) + 1);
      const sameIncrement = [...ns.values()].filter((k) => k > 1).length;

      r.acked = acked.length;
      r.lost = lost + (finalN < acked.length ? acked.length - finalN : 0);
      r.duplicated = twice + sameIncrement;
      r.writeGapMs = longestGap(acked.map((x) => x.t), acked[0]?.t ?? t0, tEnd).ms;
      r.currentMs = settle;
      const exits = [a, b].flatMap((s) => s.unexpectedExits.map((e) => `${s.name} exited (code ${e.code})`));
      r.crash = exits.join('; ');
      r.lines.push(`CAS writes: ${acked.length} acked, ${conflicts} version conflicts, refused ${JSON.stringify(refused)}, gave up ${gaveUp}; memsidecar-a killed at ${fmtMs(tKill - t0)}`);
      r.lines.push(`final counter ${finalN} at version ${finalVersion} (read ${final.kind}); log holds ${log.length} increments; acked increments sharing a value: ${sameIncrement}`);
      r.lines.push(`longest period without an acked increment ${fmtMs(r.writeGapMs)}`);
      if (final.kind !== 'ok') r.failures.push(`final read failed: ${final.kind} ${final.error?.code ?? ''}`);
      if (finalN < acked.length || finalN > acked.length + gaveUp) r.failures.push(`final counter ${finalN} != ${acked.length} acked CAS writes (+${gaveUp} of unknown outcome)`);
      if (finalVersion !== finalN) r.failures.push(`counter value ${finalN} != its version ${finalVersion}`);
      if (lost) r.failures.push(`${lost} acked CAS writes missing from the log`);
      if (twice) r.failures.push(`${twice} CAS writes applied twice in the log`);
      if (sameIncrement) r.failures.push(`${sameIncrement} counter values acknowledged to more than one writer (lost update)`);
      if (exits.length) r.failures.push(`service crashed: ${exits.join('; ')}`);
    }),
  );
