import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BlockMetrics, DispatchObserver, Outcome } from '@memsidecar/api';
import type { Block } from '@memsidecar/core';
import type { ProjectionRunner, ReadModelState } from '@memsidecar/projections';

const READ_MODEL_STATES: ReadModelState[] = ['current', 'catching_up', 'stalled', 'parked', 'database_unavailable'];

export interface MetricsLogger {
  error(message: string): void;
}

/** A read model further behind than this is replaying rather than following the log. */
const CATCHING_UP_LAG = 1_000;

/** Prometheus metrics of one instance; tenants never appear as labels. */
export class Metrics implements DispatchObserver, BlockMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'memsidecar_requests_total',
    help: 'Requests by operation, result code and transport.',
    labelNames: ['op', 'code', 'transport'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'memsidecar_request_duration_seconds',
    help: 'Request latency by operation and transport.',
    labelNames: ['op', 'transport'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly appended = new Counter({
    name: 'memsidecar_events_appended_total',
    help: 'Events this instance appended to the log, by block.',
    labelNames: ['block'] as const,
    registers: [this.registry],
  });
  readonly unanswered = new Counter({
    name: 'memsidecar_fire_and_forget_errors_total',
    help: 'Fire-and-forget requests (no reply subject) that failed, by operation and code.',
    labelNames: ['op', 'code'] as const,
    registers: [this.registry],
  });

  private readonly embedderSeconds = new Histogram({
    name: 'memsidecar_embedder_request_duration_seconds',
    help: 'Time per call to the embedding model (cache misses only), by embedder; an upsert embeds its batch in one call.',
    labelNames: ['embedder'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly embedderTexts = new Counter({
    name: 'memsidecar_embedder_texts_total',
    help: 'Texts sent to the embedding model, by embedder.',
    labelNames: ['embedder'] as const,
    registers: [this.registry],
  });

  constructor(private readonly logger: MetricsLogger) {
    collectDefaultMetrics({ register: this.registry, prefix: 'memsidecar_process_' });
  }

  /** Read-model figures are read from the runners at scrape time. */
  watchProjections(runners: ProjectionRunner[]): void {
    const perReadModel = (name: string, help: string, value: (r: ProjectionRunner) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['read_model'] as const,
        registers: [this.registry],
        collect() {
          for (const r of runners) this.set({ read_model: r.name }, value(r));
        },
      });
    perReadModel('memsidecar_projection_lag_events', 'Events of the log a read model has not applied yet.', (r) => r.lag);
    perReadModel('memsidecar_projection_applied_seq', 'Highest log sequence a read model has applied.', (r) => r.applied);
    perReadModel('memsidecar_projection_batches_applied', 'Transactions a read model committed since start (each applies a batch).', (r) => r.stats.batches);
    perReadModel('memsidecar_projection_events_applied', 'Events a read model applied since start.', (r) => r.stats.events);
    perReadModel('memsidecar_projection_standby', '1 while another instance applies this read model in the background and this one follows its checkpoints.', (r) => (r.standby ? 1 : 0));
    perReadModel('memsidecar_projection_events_per_second', 'Events per second a read model applied over the last 10 seconds.', (r) => r.rate.perSecond());
    new Gauge({
      name: 'memsidecar_read_model_state',
      help: `1 for the state each read model is in (${READ_MODEL_STATES.join(', ')}), 0 for the others; stalled, parked and database_unavailable make /readyz fail.`,
      labelNames: ['read_model', 'state'] as const,
      registers: [this.registry],
      collect() {
        for (const r of runners) {
          const { state } = r.state;
          for (const s of READ_MODEL_STATES) this.set({ read_model: r.name, state: s }, s === state ? 1 : 0);
        }
      },
    });
    perReadModel(
      'memsidecar_projection_catching_up',
      `1 while a read model is more than ${CATCHING_UP_LAG} events behind the log (replaying), else 0.`,
      (r) => (r.lag > CATCHING_UP_LAG ? 1 : 0),
    );
  }

  private readonly children = new Map<string, { requests: Counter.Internal; latency: Histogram.Internal<'op' | 'transport'> }>();

  /** Label children are bound once per (op, code, transport): observing is then a plain add. */
  observe(o: Outcome): void {
    const key = `${o.op}\u0000${o.code}\u0000${o.transport}`;
    let child = this.children.get(key);
    if (!child) {
      child = { requests: this.requests.labels(o.op, o.code, o.transport), latency: this.latency.labels(o.op, o.transport) };
      this.children.set(key, child);
    }
    child.requests.inc();
    child.latency.observe(o.seconds);
  }

  embedderCall(embedder: string, texts: number, seconds: number): void {
    this.embedderSeconds.observe({ embedder }, seconds);
    this.embedderTexts.inc({ embedder }, texts);
  }

  eventAppended(block: Block): void {
    this.appended.inc({ block });
  }

  internalError(op: string, errorId: string, error: unknown): void {
    this.logger.error(`internal error ${errorId} in ${op}: ${(error as Error)?.stack ?? String(error)}`);
  }
}
