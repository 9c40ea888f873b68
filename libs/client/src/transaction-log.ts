import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { ClientLogger } from './config';

/** A mutation written to the outbox before it is sent. */
export interface PendingMutation {
  id: string;
  op: string;
  body: unknown;
  at: string;
}

type Line =
  | ({ kind: 'pending' } & PendingMutation)
  | { kind: 'acked'; id: string; seq?: number }
  | { kind: 'refused'; id: string; code: string }
  | { kind: 'expired'; id: string };

/** Settled lines the file may gather before it is rewritten with only what is still unsettled. */
const COMPACT_AFTER_SETTLED_LINES = 10_000;

/**
 * The client's append-only JSONL outbox. Each mutation is written (and fsynced) before it is sent
 * and marked when the service acknowledged or refused it; what is neither after a crash is sent
 * again, in order, with its original request id, so the service applies it exactly once.
 * One client at a time owns a file.
 */
export class TransactionLog {
  private fd: number | null;
  private settledLines = 0;

  private constructor(
    readonly path: string,
    private readonly unsettled: Map<string, PendingMutation>,
  ) {
    this.fd = openSync(path, 'a');
  }

  /** Opens (or creates) the outbox; a torn or unreadable line is skipped with a warning. */
  static open(path: string, logger: ClientLogger): TransactionLog {
    const unsettled = new Map<string, PendingMutation>();
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      const lines = text.split('\n');
      lines.forEach((raw, i) => {
        if (raw.trim() === '') return;
        let line: Line;
        try {
          line = JSON.parse(raw) as Line;
        } catch {
          // A crash mid-write leaves a last line without its newline; its mutation was never sent,
          // because sending waits for the fsync.
          const torn = i === lines.length - 1 && !text.endsWith('\n');
          logger.warn(`transaction log ${path}: ${torn ? 'torn last line' : `unreadable line ${i + 1}`} skipped`);
          return;
        }
        if (line.kind === 'pending') unsettled.set(line.id, { id: line.id, op: line.op, body: line.body, at: line.at });
        else unsettled.delete(line.id);
      });
    }
    const log = new TransactionLog(path, unsettled);
    log.compact();
    return log;
  }

  /** Mutations written but neither acknowledged nor refused, oldest first. */
  pending(): PendingMutation[] {
    return [...this.unsettled.values()];
  }

  /** Durable before the mutation is sent. Writing the same id again (a retry) changes nothing. */
  written(m: PendingMutation): void {
    if (this.unsettled.has(m.id)) return;
    this.unsettled.set(m.id, m);
    this.append({ kind: 'pending', ...m }, true);
  }

  acknowledged(id: string, seq?: number): void {
    if (!this.unsettled.delete(id)) return;
    this.settle({ kind: 'acked', id, ...(seq !== undefined ? { seq } : {}) });
  }

  /** The service refused it (a 4xx): sending it again would be refused again. */
  refused(id: string, code: string): void {
    if (!this.unsettled.delete(id)) return;
    this.settle({ kind: 'refused', id, code });
  }

  /**
   * Moves the unsettled mutations written before `cutoff` out of the outbox into `<path>.expired`
   * (appended and fsynced first, so none is lost), and returns them: past the service's request-id
   * retention, sending one again could apply it twice.
   */
  setAsideOlderThan(cutoff: Date): PendingMutation[] {
    const old = this.pending().filter((m) => Date.parse(m.at) < cutoff.getTime());
    if (old.length === 0) return [];
    const fd = openSync(this.expiredPath, 'a');
    try {
      writeSync(fd, old.map((m) => `${JSON.stringify(m)}\n`).join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    for (const m of old) {
      this.unsettled.delete(m.id);
      this.settle({ kind: 'expired', id: m.id });
    }
    return old;
  }

  /** Where mutations past the request-id retention are kept for an operator to look at. */
  get expiredPath(): string {
    return `${this.path}.expired`;
  }

  /** Leaves only what is unsettled in the file. A reply arriving after this is not recorded: its entry is simply sent again next time. */
  close(): void {
    if (this.fd === null) return;
    this.compact();
    closeSync(this.fd);
    this.fd = null;
  }

  /** Rewrites the file with only what is still unsettled (atomically), dropping settled history. */
  compact(): void {
    if (this.fd === null) return;
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    for (const m of this.unsettled.values()) writeSync(fd, `${JSON.stringify({ kind: 'pending', ...m })}\n`);
    fsyncSync(fd);
    closeSync(fd);
    closeSync(this.fd);
    renameSync(tmp, this.path);
    this.fd = openSync(this.path, 'a');
    this.settledLines = 0;
  }

  private settle(line: Line): void {
    // Not fsynced: a lost settle line only means one more (idempotent) re-send after a crash.
    this.append(line, false);
    if (++this.settledLines >= COMPACT_AFTER_SETTLED_LINES) this.compact();
  }

  private append(line: Line, durable: boolean): void {
    if (this.fd === null) return;
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
    if (durable) fsyncSync(this.fd);
  }
}
