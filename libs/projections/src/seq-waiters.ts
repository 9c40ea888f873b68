import type { MemError } from '@memsidecar/core';

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: MemError) => void;
}

/** Readers waiting for a read model to reach a sequence, each with its own deadline. */
export class SeqWaiters {
  private waiters: Waiter[] = [];

  get size(): number {
    return this.waiters.length;
  }

  /** Resolves once `resolveThrough` reaches `seq`; rejects with `timedOut()` after `timeoutMs`. */
  add(seq: number, timeoutMs: number, timedOut: () => MemError): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(timedOut());
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  resolveThrough(seq: number): void {
    const ready = this.waiters.filter((w) => w.seq <= seq);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.seq > seq);
    for (const w of ready) w.resolve();
  }

  /** Fails at once every waiter `blockedFor` has an error for. */
  rejectBlocked(blockedFor: (seq: number) => MemError | null): void {
    const stay: Waiter[] = [];
    for (const w of this.waiters) {
      const blocked = blockedFor(w.seq);
      if (blocked) w.reject(blocked);
      else stay.push(w);
    }
    this.waiters = stay;
  }
}
