import type { CallOptions } from '../caller';
import type { Stream } from './method';

/** Thrown into the stream by an item arriving after the reader stopped: it ends the subscription. */
const STOPPED = Symbol('stream stopped by its reader');

/**
 * A streaming operation as an async iterable. The request is sent when iteration starts; items the
 * service sends faster than they are read wait in memory (the service never waits for a reader).
 * Leaving the loop early ends the subscription at the next item, or when the stream ends.
 */
export function streamItems<T>(stream: Stream, op: string, body: object, options?: CallOptions): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const queue: T[] = [];
      let finished = false;
      let failure: { error: unknown } | null = null;
      let stopped = false;
      let wake: (() => void) | null = null;
      let started = false;
      const start = () => {
        started = true;
        stream(
          op,
          body,
          (item) => {
            if (stopped) throw STOPPED;
            queue.push(item as T);
            wake?.();
          },
          options,
        ).then(
          () => (finished = true),
          (error) => {
            finished = true;
            if (error !== STOPPED) failure = { error };
          },
        ).finally(() => wake?.());
      };
      return {
        async next(): Promise<IteratorResult<T>> {
          if (!started) start();
          for (;;) {
            if (queue.length > 0) return { value: queue.shift()!, done: false };
            if (failure) throw failure.error;
            if (finished || stopped) return { value: undefined, done: true };
            await new Promise<void>((resolve) => (wake = resolve));
            wake = null;
          }
        },
        async return(): Promise<IteratorResult<T>> {
          stopped = true;
          queue.length = 0;
          return { value: undefined, done: true };
        },
      };
    },
  };
}
