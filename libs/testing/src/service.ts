import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { issueToken, readSigningKeys, type IssueRequest } from '@memsidecar/auth';

/** The checkout this code runs from (source under vitest, or dist/ after a build). */
const repoRoot = (): string => {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'memsidecar.js'))) return dir;
  }
  throw new Error('cannot find the memsidecar checkout');
};
const entry = (checkout = repoRoot()): string => join(checkout, 'bin', 'memsidecar.js');

export const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

export interface ServiceOptions {
  natsUrl: string;
  /** A Postgres URL; without one the service uses PGlite in its data dir. */
  databaseUrl?: string;
  dataDir?: string;
  auth?: 'token' | 'none';
  env?: Record<string, string>;
  /** The built checkout whose service runs (default: this one), e.g. an older one for a before/after benchmark. */
  checkout?: string;
}

/** One memsidecar process, built from this checkout, driven as a user would. */
export class RunningService {
  private output = '';
  private exit: Promise<number | null>;

  private constructor(
    private child: ChildProcess,
    readonly options: Required<Pick<ServiceOptions, 'natsUrl' | 'dataDir'>> & ServiceOptions,
    readonly httpUrl: string,
    /** host:port of the gRPC TCP listener. */
    readonly grpcAddr: string,
  ) {
    this.exit = new Promise((r) => child.once('exit', (code) => r(code)));
  }

  static async start(o: ServiceOptions): Promise<RunningService> {
    const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'memsidecar-data-'));
    const httpAddr = `127.0.0.1:${await freePort()}`;
    const grpcAddr = o.env?.MEMSIDECAR_GRPC_ADDR ?? `127.0.0.1:${await freePort()}`;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      MEMSIDECAR_NATS_URL: o.natsUrl,
      MEMSIDECAR_DATA_DIR: dataDir,
      MEMSIDECAR_HTTP_ADDR: httpAddr,
      MEMSIDECAR_GRPC_ADDR: grpcAddr,
      MEMSIDECAR_AUTH: o.auth ?? 'token',
      ...(o.databaseUrl ? { MEMSIDECAR_DATABASE_URL: o.databaseUrl } : {}),
      ...o.env,
    };
    const child = spawn(process.execPath, [entry(o.checkout)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const service = new RunningService(child, { ...o, dataDir }, `http://${httpAddr}`, grpcAddr);
    await service.ready();
    return service;
  }

  private ready(): Promise<void> {
    return new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`service not ready in time:\n${this.output}`)), 90_000);
      let ready = false;
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (!ready && this.output.includes('memsidecar ready')) {
          ready = true;
          clearTimeout(timer);
          done();
        }
      };
      this.child.stdout!.on('data', onData);
      this.child.stderr!.on('data', onData);
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`service exited with ${code}:\n${this.output}`));
      });
    });
  }

  /** Still running: it has not exited, whatever happened around it. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get logs(): string {
    return this.output;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  adminToken(): string {
    return readFileSync(join(this.dataDir, 'admin.token'), 'utf8').trim();
  }

  /** A token signed with this service's own key. */
  token(request: IssueRequest): string {
    const keys = readSigningKeys(this.dataDir);
    if (!keys) throw new Error('the service has no signing key');
    return issueToken(request, keys.secretKey);
  }

  /** CPU time (user + system) the service process has used so far, in seconds (Linux only). */
  cpuSeconds(): number {
    return processCpuSeconds(this.child.pid!);
  }

  /** Sends a signal (e.g. SIGHUP to reload keys). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Graceful stop (SIGTERM) and the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exit;
  }

  /** A crash: SIGKILL, no chance to clean up. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.exit;
  }

  /** Starts the same service again on the same data dir and infrastructure. */
  restart(): Promise<RunningService> {
    return RunningService.start(this.options);
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process from /proc/<pid>/stat, in seconds. */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** CPU time every core of the machine has spent busy so far, in seconds (Linux only). */
export function machineBusySeconds(): number {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = ticks[3] + ticks[4];
  return (ticks.reduce((a, b) => a + b, 0) - idle) / CLOCK_TICKS_PER_SECOND;
}
