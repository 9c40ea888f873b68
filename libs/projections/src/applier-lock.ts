import { Client } from 'pg';
import type { Database } from './database';

/** Key of the Postgres advisory lock whose holder applies the read models of its database. */
const APPLIER_LOCK_KEY = 0x6d656d73; // "mems"
const RETRY_MS = 1_000;

export interface ApplierLockLogger {
  log(message: string): void;
}

/**
 * Which instance applies the read models in the background: the one holding a Postgres session
 * advisory lock, on a connection of its own. The lock goes with that connection, so an instance
 * that dies or loses its database hands it on by itself; the others try again every second. On
 * PGlite (one process) this instance always holds it. Holding it is about work, not correctness:
 * two instances applying at once are safe (the checkpoint claim), only wasteful.
 */
export class ApplierLock {
  private client: Client | null = null;
  private trying: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly logger: ApplierLockLogger,
    /** Told when this instance starts or stops holding the lock. */
    private readonly onChange: (held: boolean) => void = () => {},
  ) {}

  get held(): boolean {
    return this.db.kind === 'pglite' || this.client !== null;
  }

  /** Tries once (so a lone instance applies from the start), then every second while another holds it. */
  async start(): Promise<void> {
    if (this.db.kind === 'pglite') return;
    this.timer = setInterval(() => void this.tryAcquire(), RETRY_MS);
    this.timer.unref();
    await this.tryAcquire();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.trying;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private tryAcquire(): Promise<void> {
    if (this.client || this.stopped) return Promise.resolve();
    this.trying ??= this.acquire().finally(() => (this.trying = null));
    return this.trying;
  }

  private async acquire(): Promise<void> {
    const client = new Client(this.db.pool.options);
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1) AS held', [APPLIER_LOCK_KEY]);
      if (rows[0]?.held && !this.stopped) {
        this.client = client;
        this.onChange(true);
        this.logger.log('this instance applies the read models (it holds the applier lock); others follow its checkpoints');
        return;
      }
    } catch {
      // The database is away: tried again in a second.
    }
    await client.end().catch(() => undefined);
  }

  private lost(client: Client): void {
    if (client !== this.client) return;
    this.client = null;
    client.end().catch(() => undefined);
    this.onChange(false);
    if (!this.stopped) this.logger.log('the applier lock was lost with its connection; this instance follows until it holds it again');
  }
}
