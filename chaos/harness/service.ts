import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, now, Proc, serviceDir } from './procs';

export interface ServiceOptions {
  natsUrl: string;
  databaseUrl: string;
  /** Kept across restarts; a temp dir by default. */
  dataDir?: string;
  env?: Record<string, string>;
  name?: string;
}

/**
 * One `node bin/memsidecar.js` process of the checkout under test, in its own process group, as a
 * deployment would run it. `crashed` is true when it exited without the scenario asking it to.
 */
export class ServiceProcess {
  proc: Proc | null = null;
  readonly dataDir: string;
  httpAddr = '';
  grpcAddr = '';
  private expectingExit = false;
  /** Exits nobody asked for, over every start of this service. */
  unexpectedExits: Array<{ code: number | null; signal: string | null; tail: string }> = [];
  startedAt = 0;

  constructor(readonly options: ServiceOptions) {
    this.dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'chaos-data-'));
  }

  get name(): string {
    return this.options.name ?? 'memsidecar';
  }

  get httpUrl(): string {
    return `http://${this.httpAddr}`;
  }

  get alive(): boolean {
    return !!this.proc?.alive;
  }

  async start(timeoutMs = 120_000): Promise<void> {
    this.httpAddr ||= `127.0.0.1:${await freePort()}`;
    this.grpcAddr ||= `127.0.0.1:${await freePort()}`;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      MEMSIDECAR_NATS_URL: this.options.natsUrl,
      MEMSIDECAR_DATABASE_URL: this.options.databaseUrl,
      MEMSIDECAR_DATA_DIR: this.dataDir,
      MEMSIDECAR_HTTP_ADDR: this.httpAddr,
      MEMSIDECAR_GRPC_ADDR: this.grpcAddr,
      MEMSIDECAR_AUTH: 'none',
      MEMSIDECAR_ACCESS_LOG: 'off',
      MEMSIDECAR_EMBEDDER: 'hashing',
      ...this.options.env,
    };
    this.expectingExit = false;
    const proc = Proc.spawn(this.name, process.execPath, [join(serviceDir(), 'bin', 'memsidecar.js')], { env, cwd: this.dataDir });
    this.proc = proc;
    void proc.exited.then((e) => {
      if (!this.expectingExit && this.proc === proc) this.unexpectedExits.push({ code: e.code, signal: e.signal, tail: proc.output.slice(-3000) });
    });
    await proc.waitFor(/memsidecar ready/, timeoutMs);
    this.startedAt = now();
  }

  /** kill -9 of the process group. */
  async kill9(): Promise<void> {
    this.expectingExit = true;
    await this.proc?.kill9();
  }

  /** SIGTERM and the exit (SIGKILL after `timeoutMs`). */
  async sigterm(timeoutMs = 30_000): Promise<{ code: number | null; signal: string | null; ms: number }> {
    this.expectingExit = true;
    const t0 = now();
    const e = await this.proc!.stop(timeoutMs);
    return { code: e.code, signal: e.signal, ms: now() - t0 };
  }

  async stop(): Promise<void> {
    this.expectingExit = true;
    await this.proc?.stop(30_000);
  }

  rssKiB(): number | null {
    return this.proc?.rssKiB() ?? null;
  }

  /** The V8 heap in use and the memory outside it (buffers), in MiB, from the service's own /metrics. */
  async memoryMiB(): Promise<{ heap: number; external: number } | null> {
    try {
      const text = await (await fetch(`${this.httpUrl}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024;
      return { heap: Math.round(gauge('memsidecar_process_nodejs_heap_size_used_bytes')), external: Math.round(gauge('memsidecar_process_nodejs_external_memory_bytes')) };
    } catch {
      return null;
    }
  }

  /** GET /readyz: the status, or 0 when it did not answer within `timeoutMs`. */
  async readyz(timeoutMs = 1000): Promise<number> {
    return (await this.readiness(timeoutMs)).status;
  }

  /** `/readyz`'s status and, when not ready, what its body names: `nats: …`, `database: …`, `<read model>: <state>`. */
  async readiness(timeoutMs = 1000): Promise<{ status: number; why: string[] }> {
    try {
      const r = await fetch(`${this.httpUrl}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await r.json().catch(() => null)) as ReadyzBody | null;
      return { status: r.status, why: r.status === 200 || !body ? [] : notReadyReasons(body) };
    } catch {
      return { status: 0, why: [] };
    }
  }

  removeDataDir(): void {
    if (!this.options.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

interface ReadyzBody {
  checks?: { nats?: string; database?: string; projections?: Record<string, { state?: string }> };
}

const notReadyReasons = (body: ReadyzBody): string[] => {
  const why: string[] = [];
  if (body.checks?.nats && body.checks.nats !== 'ok') why.push(`nats: ${body.checks.nats}`);
  if (body.checks?.database && body.checks.database !== 'ok') why.push(`database: ${body.checks.database}`);
  for (const [name, p] of Object.entries(body.checks?.projections ?? {})) if (p.state && p.state !== 'current') why.push(`${name}: ${p.state}`);
  return why;
};
