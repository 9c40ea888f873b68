import type { StoredEvent } from '@memsidecar/core';
import type { EventBuffer } from './event-buffer';

/** With nobody waiting for a read, events gather this long so one transaction applies many. */
const LINGER_MS = 20;
/**
 * On standby (another instance applies in the background) a batch goes only for a reader, when the
 * applier leaves events unapplied (see `ProjectionRunner.followApplier`), or once this many wait.
 */
export const STANDBY_MAX_BUFFERED = 2_500;

export interface BatcherDeps {
  buffer: EventBuffer;
  maxBatch: number;
  /** Applies the given head of the buffer (with recovery), then drops what it applied. */
  apply(batch: StoredEvent[]): Promise<void>;
  /** On a rebuild's `SharedLogFeed`, which waits for full batches until it has caught up. */
  fed(): boolean;
  /** A partial batch should go now (see `EventSource.urgent`). */
  urgent(): boolean;
  /** A reader waits for this read model. */
  waiting(): boolean;
  /** Another instance applies in the background; this one follows its checkpoints. */
  standby(): boolean;
  stopped(): boolean;
  parked(): boolean;
}

/**
 * Cuts the buffer into batches: applies at once when a reader waits, a batch is full or it is
 * catching up; otherwise, on its own consumer, lingers briefly to batch, and on a feed waits for a
 * full batch until the feed has caught up. On standby it leaves the applying to the instance that
 * applies in the background. One drain at a time.
 */
export class Batcher {
  private draining: Promise<void> | null = null;
  private lingering: NodeJS.Timeout | null = null;

  constructor(private readonly deps: BatcherDeps) {}

  /** Buffers an event; when the buffer is full, resolves once a batch has made room again. */
  take(event: StoredEvent): Promise<void> | undefined {
    const { buffer } = this.deps;
    buffer.push(event);
    this.schedule();
    if (!buffer.full) return undefined;
    this.kick();
    return buffer.waitForRoom();
  }

  schedule(): void {
    if (this.draining || this.deps.buffer.length === 0 || this.deps.parked()) return;
    if (this.applyNow()) {
      this.kick();
      return;
    }
    if (!this.deps.fed() && !this.deps.standby()) this.lingering ??= setTimeout(() => this.kick(), LINGER_MS);
  }

  /** A batch is being applied (the buffer's head is in flight). */
  get busy(): boolean {
    return this.draining !== null;
  }

  /** Drains in the background; only a stop can end a drain with an error, and `drainNow` (from stop) reports that one. */
  private kick(): void {
    this.drainNow().catch(() => undefined);
  }

  private applyNow(): boolean {
    const { buffer, maxBatch } = this.deps;
    if (this.deps.waiting() || this.deps.stopped()) return true;
    if (this.deps.standby()) return buffer.length >= STANDBY_MAX_BUFFERED;
    return buffer.length >= maxBatch || this.deps.urgent();
  }

  /** Applies what the buffer holds now, without lingering. */
  drainNow(): Promise<void> {
    if (this.lingering) {
      clearTimeout(this.lingering);
      this.lingering = null;
    }
    this.draining ??= this.drain();
    return this.draining;
  }

  /**
   * The first batch goes because someone asked for it (a reader, a full batch, the linger's end);
   * what arrived while it was applied goes on at once only if it too has to, and otherwise lingers.
   */
  private async drain(): Promise<void> {
    const { buffer, maxBatch } = this.deps;
    try {
      let first = !this.deps.fed();
      while (buffer.length > 0 && !this.deps.parked() && (first || this.applyNow())) {
        first = false;
        await this.deps.apply(buffer.head(maxBatch));
      }
    } finally {
      this.draining = null;
      // Stopping with a batch that keeps failing: whoever waits for room must not wait forever.
      buffer.releaseAll();
    }
    this.schedule();
  }
}
