import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@memsidecar/testing';
import { freePort, now, Proc, until } from './procs';

/** The newest `/usr/lib/postgresql/<v>/bin`, or the directory of `initdb` on PATH. */
function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(base, versions[0], 'bin');
  }
  const initdb = execFileSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).trim();
  if (!initdb) throw new Error('no Postgres binaries found (initdb, postgres)');
  return join(initdb, '..');
}

/** Postgres refuses to run as root: as root, run it as the `postgres` user (spawn's uid/gid). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** A private Postgres cluster (initdb, trust auth) on a free loopback port in a temp dir: can be SIGKILLed and restarted. */
export class PrivatePostgres {
  proc: Proc | null = null;
  startedAt = 0;
  private readonly bin = postgresBinDir();
  private readonly user = runAs();

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'chaos-pg-'));
    const pg = new PrivatePostgres(dir, await freePort());
    if (pg.user) chownSync(dir, pg.user.uid, pg.user.gid);
    execFileSync(join(pg.bin, 'initdb'), ['-D', pg.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
      stdio: 'pipe',
      ...(pg.user ?? {}),
      env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' },
    });
    await pg.start();
    return pg;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    const args = ['-D', this.dataDir, '-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'];
    this.proc = Proc.spawn('postgres', join(this.bin, 'postgres'), args, { ...(this.user ?? {}), env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8' } });
    const up = await until(async () => {
      const c = new Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
      try {
        await c.connect();
        await c.query('SELECT 1');
        return true;
      } finally {
        await c.end().catch(() => undefined);
      }
    }, 60_000, 100);
    if (!up) throw new Error(`private postgres did not accept connections:\n${this.proc.output.slice(-3000)}`);
    this.startedAt = now();
  }

  /** SIGKILL to the postmaster and every backend. */
  async kill9(): Promise<void> {
    await this.proc?.kill9();
  }

  async destroy(): Promise<void> {
    await this.proc?.stop(10_000, 'SIGINT'); // fast shutdown
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A fresh database on the machine's shared Postgres (for scenarios that do not kill Postgres). */
export const sharedDatabase = (): Promise<TestDatabase> => createTestDatabase();
