import { settlesWithin } from './abort';
import type { ClientLogger } from './config';

/**
 * Background recall whose result can only reach the session that asked for it. Each request
 * takes a ticket; a result is kept only if its generation is still current and no newer ticket
 * has delivered, so a recall that outlives a session switch is dropped, and of two recalls the
 * newer wins even when the older finishes last. Matching on the query text would not do: the
 * recall is queued with the finished turn's text and taken with the next turn's.
 */
export class LatestRecall<T> {
  private generation = 0;
  private lastTicket = 0;
  private deliveredTicket = 0;
  private result: { value: T } | null = null;
  private newest: Promise<unknown> | null = null;
  private cancel = new AbortController();

  constructor(private readonly logger: ClientLogger) {}

  /** Starts `recall` in the background; its signal aborts when the generation changes. */
  start(recall: (signal: AbortSignal) => Promise<T>, describe: string): void {
    const generation = this.generation;
    const ticket = ++this.lastTicket;
    const signal = this.cancel.signal;
    const running = Promise.resolve()
      .then(() => recall(signal))
      .then(
        (value) => {
          if (generation !== this.generation || ticket < this.deliveredTicket) return;
          this.deliveredTicket = ticket;
          this.result = { value };
        },
        (e) => {
          if (generation === this.generation) this.logger.warn(`prefetch ${describe} failed: ${(e as Error).message}`);
        },
      );
    this.newest = running;
  }

  /**
   * Returns and clears the newest result of the current generation, first waiting up to `waitMs`
   * for the newest recall still running; null when there is none.
   */
  async take(waitMs: number): Promise<T | null> {
    const newest = this.newest;
    if (newest && waitMs > 0) await settlesWithin(newest, waitMs);
    const taken = this.result;
    this.result = null;
    return taken ? taken.value : null;
  }

  /** A new generation: nothing started before this can deliver any more, and what was kept is dropped. */
  fence(reason: string): void {
    this.generation++;
    this.result = null;
    this.newest = null;
    this.cancel.abort(new Error(reason));
    this.cancel = new AbortController();
  }
}
