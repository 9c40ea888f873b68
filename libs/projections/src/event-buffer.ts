import type { StoredEvent } from '@memsidecar/core';

/**
 * The events a read model received and has not applied yet, in log order, with back-pressure: once
 * it holds `limit` events, whoever feeds it waits until a batch has made room again (not until it is
 * empty: a feed shared with other read models would leave them idle meanwhile).
 */
export class EventBuffer {
  private readonly events: StoredEvent[] = [];
  /** Feeds waiting for the buffer to have room again. */
  private readonly roomWaiters: (() => void)[] = [];

  constructor(readonly limit: number) {}

  get length(): number {
    return this.events.length;
  }

  get full(): boolean {
    return this.events.length >= this.limit;
  }

  /** Sequence of the newest event held, 0 when empty. */
  get lastSeq(): number {
    return this.events.at(-1)?.seq ?? 0;
  }

  push(event: StoredEvent): void {
    this.events.push(event);
  }

  head(count: number): StoredEvent[] {
    return this.events.slice(0, count);
  }

  /** Resolves once the buffer has room again. */
  waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Drops the `count` oldest events (applied). */
  drop(count: number): void {
    this.events.splice(0, count);
    this.makeRoom();
  }

  /** Drops every event at or below `seq` (applied elsewhere, or skipped). */
  dropThrough(seq: number): void {
    const done = this.events.findIndex((e) => e.seq > seq);
    this.events.splice(0, done === -1 ? this.events.length : done);
    this.makeRoom();
  }

  /** Lets every waiting feed go on, room or not (a drain that ends must not leave a feed waiting forever). */
  releaseAll(): void {
    for (const resolve of this.roomWaiters.splice(0)) resolve();
  }

  private makeRoom(): void {
    if (!this.full) this.releaseAll();
  }
}
