import { ChaosClient } from './client';
import { MixedLoad, type LoadOptions } from './load';
import { fmtMs, longestGap, percentile, ReadyzMonitor, timeUntilCurrent } from './measure';
import { now, sleep } from './procs';
import { emptyResult, type ScenarioResult } from './report';
import type { TestDatabase } from '@memsidecar/testing';
import { NatsSetup } from './nats';
import { sharedDatabase } from './postgres';
import { ServiceProcess, type ServiceOptions } from './service';
import { verifyMixed, type Verdict } from './verify';

/** Runs `body` with a list of clean-ups that run in reverse order, whatever happens. */
export type Defer = (f: () => Promise<unknown> | unknown) => void;

export async function withCleanup<T>(body: (defer: Defer) => Promise<T>): Promise<T> {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  try {
    return await body((f) => cleanups.push(f));
  } finally {
    for (const f of cleanups.reverse()) {
      try {
        await f();
      } catch (e) {
        console.error(`cleanup: ${(e as Error).message}`);
      }
    }
  }
}

/** Runs a scenario body and turns an exception into a failed result. */
export async function scenario(name: string, body: (r: ScenarioResult) => Promise<void>): Promise<ScenarioResult> {
  const r = emptyResult(name);
  const t0 = now();
  try {
    await body(r);
  } catch (e) {
    r.failures.push(`scenario error: ${(e as Error).stack ?? e}`);
  }
  r.durationMs = now() - t0;
  return r;
}

export interface MixedRunOptions {
  servers: string;
  /** The services under test; the first one's /readyz is watched. */
  services: ServiceProcess[];
  warmupMs?: number;
  fault: () => Promise<void>;
  /** Repairs the fault and returns when it was repaired (epoch ms); absent: nothing to repair. */
  repair?: () => Promise<number>;
  /** Load kept up after the repair. */
  afterMs?: number;
  load?: Partial<LoadOptions>;
}

export interface MixedRun {
  load: MixedLoad;
  readyz: ReadyzMonitor;
  tFault: number;
  tRepair: number;
  currentMs: number | null;
  /** From the repair until writes are acknowledged again after the longest pause since the fault (a cluster elects a new leader meanwhile). */
  writesBackMs: number | null;
  /** Failed minSeq probes after the repair, by code. */
  probeFailures: Record<string, number>;
  verdict: Verdict;
  restarts: string[];
}

/**
 * The common shape of a fault under load: 16 writers and 2 readers, a warm-up, the fault, the
 * repair, the load kept up after it while the time until the read models are current is measured,
 * then verification of every acknowledged write. A service that exited on its own is restarted
 * after the repair (as a supervisor would), so loss can still be checked, and reported as a crash.
 */
export async function mixedRun(o: MixedRunOptions): Promise<MixedRun> {
  const load = new MixedLoad({ servers: o.servers, ...o.load });
  const probe = await ChaosClient.connect(o.servers, 'chaos-probe');
  const readyz = new ReadyzMonitor(() => o.services[0]);
  const restarts: string[] = [];
  try {
    await load.start();
    await sleep(o.warmupMs ?? 4000);
    const tFault = now();
    await o.fault();
    const tRepair = o.repair ? await o.repair() : tFault;
    for (const s of o.services) {
      if (!s.alive && s.unexpectedExits.length > 0) {
        const t = now();
        await s.start();
        restarts.push(`${s.name} restarted by the harness after it crashed (${fmtMs(now() - t)} to ready)`);
      }
    }
    // Current means holding what was written after the repair: a read model that applied everything
    // before the fault proves nothing while no write gets through.
    const seqAtRepair = load.maxAckedSeq;
    const current = timeUntilCurrent(probe, () => (load.maxAckedSeq > seqAtRepair ? load.maxAckedSeq : null), tRepair, 60_000);
    await sleep(Math.max(0, tRepair + (o.afterMs ?? 8000) - now()));
    await load.stop();
    const { ms: currentMs, failures: probeFailures } = await current;
    await readyz.stop();
    const verdict = await verifyMixed(load, o.servers, probe);
    // The end of the longest stretch without an acknowledged write since the fault (writes in flight
    // at the fault may still be acknowledged just after it).
    const okWrites = load.writeAttempts.filter((a) => a.kind === 'ok').map((a) => a.t);
    const gap = longestGap(okWrites, tFault, load.stoppedAt || now());
    const writesBackMs = Math.max(0, gap.start + gap.ms - tRepair);
    return { load, readyz, tFault, tRepair, currentMs, writesBackMs, probeFailures, verdict, restarts };
  } finally {
    if (!load.stoppedAt) await load.stop();
    await readyz.stop();
    await probe.close();
  }
}

/** Fills the common columns of a result from a mixed run and checks loss, duplicates and crashes. */
export function recordMixed(r: ScenarioResult, run: MixedRun, services: ServiceProcess[]): void {
  const { load, verdict } = run;
  const okWrites = load.writeAttempts.filter((a) => a.kind === 'ok').map((a) => a.t);
  const okReads = load.reads.filter((a) => a.kind === 'ok').map((a) => a.t);
  const from = okWrites.reduce((m, t) => Math.min(m, t), run.tFault);
  r.acked = verdict.acked;
  r.lost = verdict.lost;
  r.duplicated = verdict.duplicated;
  r.writeGapMs = longestGap(okWrites, from, load.stoppedAt).ms;
  r.readGapMs = longestGap(okReads, from, load.stoppedAt).ms;
  r.currentMs = run.currentMs;
  const exits = services.flatMap((s) => s.unexpectedExits.map((e) => `${s.name} exited (code ${e.code}, signal ${e.signal})`));
  r.crash = exits.join('; ');
  const refused = load.refused();
  const writeLat = load.writeAttempts.filter((a) => a.kind === 'ok').map((a) => a.ms);
  r.lines.push(
    `writes: ${load.records.length} sent, ${verdict.acked} acked, refused ${JSON.stringify(refused)}, gave up (unknown outcome) ${load.gaveUp()}; ` +
      `attempt latency p50 ${fmtMs(percentile(writeLat, 50))} p99 ${fmtMs(percentile(writeLat, 99))}`,
  );
  const retried: Record<string, number> = {};
  for (const a of load.writeAttempts) if (a.kind !== 'ok') retried[a.kind] = (retried[a.kind] ?? 0) + 1;
  r.lines.push(`write attempts not acked (retried or refused): ${JSON.stringify(retried)}`);
  const staleEnd = run.currentMs === null ? load.stoppedAt : run.tRepair + run.currentMs;
  const stale200 = run.readyz.samples.filter((x) => x.t >= run.tRepair && x.t < staleEnd && x.status === 200).length;
  r.lines.push(
    `after the repair: minSeq probes failed ${JSON.stringify(run.probeFailures)} before the read models were current; /readyz answered 200 ${stale200} times meanwhile; ` +
      `read models current at the end of the load after ${fmtMs(verdict.settleMs)}`,
  );
  for (const x of run.restarts) r.lines.push(x);
  for (const d of verdict.details.slice(0, 12)) r.lines.push(`check: ${d}`);
  if (verdict.lost > 0) r.failures.push(`${verdict.lost} acknowledged writes lost`);
  if (verdict.duplicated > 0) r.failures.push(`${verdict.duplicated} writes applied twice`);
  if (exits.length) r.failures.push(`service crashed: ${exits.join('; ')}`);
  if (verdict.settleMs === null) r.failures.push('read models never became current after the load');
  for (const s of services)
    for (const e of s.unexpectedExits) {
      const lines = e.tail.trim().split('\n');
      const errors = lines.filter((l) => /error|exception|ECONN|terminat/i.test(l) && !/^\s+at /.test(l)).slice(0, 3);
      const tail = (errors.length ? errors : lines.slice(-3)).map((l) => l.trim()).join(' | ');
      r.lines.push(`${s.name} last output before exiting: ${tail.slice(0, 600)}`);
    }
}

/** A fresh database on the shared Postgres and a nats-server (one node, or a cluster of `nodes`), torn down by `defer`. */
export async function infrastructure(defer: Defer, nodes = 1): Promise<{ db: TestDatabase; nats: NatsSetup }> {
  const db = await sharedDatabase();
  defer(() => db.drop());
  const nats = nodes === 1 ? await NatsSetup.single() : await NatsSetup.cluster(nodes);
  defer(() => nats.destroy());
  return { db, nats };
}

/** A service process, started; `defer` stops it and removes its data dir. */
export async function startedService(defer: Defer, options: ServiceOptions): Promise<ServiceProcess> {
  const service = new ServiceProcess(options);
  defer(() => service.removeDataDir());
  defer(() => service.stop());
  await service.start();
  return service;
}
