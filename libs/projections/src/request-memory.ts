import type { StoredEvent } from '@memsidecar/core';

/** More request ids than this and the memory stops: it could no longer answer "never seen" truthfully. */
const CAPACITY = 200_000;

/**
 * The request ids of every event this instance's read models received from the log since they
 * started, for answering a retried request while the database (and so the request ledger) is
 * unreachable. It can say "never used" only for a block whose read model started from the log's
 * first event and has received everything the log delivered since: then an id it has not seen was
 * never appended, or so recently that JetStream's duplicate window still holds it.
 */
export class RequestMemory {
  private readonly seqs = new Map<string, number>();
  private full = false;

  note(event: StoredEvent): void {
    if (!event.requestId || this.full) return;
    this.seqs.set(`${event.tenant}\u0000${event.requestId}`, event.seq);
    if (this.seqs.size > CAPACITY) {
      this.full = true;
      this.seqs.clear();
    }
  }

  /**
   * The sequence of the request's event, null when it was never appended, undefined when this
   * memory cannot tell (`complete` says whether the block's read models saw the whole log).
   */
  answer(tenant: string, requestId: string, complete: boolean): number | null | undefined {
    const seq = this.seqs.get(`${tenant}\u0000${requestId}`);
    if (seq !== undefined) return seq;
    return complete && !this.full ? null : undefined;
  }
}

