import type { BlockLogger, BlockWorker } from './block';

/**
 * A background loop: runs `round`, then sleeps for the pause it returns (in ms), until stopped.
 * A failing round is retried after `afterErrorMs` and the loop goes on: a database or log briefly
 * away must not end it. The first failure and the recovery are logged, once each.
 */
export function periodicWorker(name: string, logger: BlockLogger, round: () => Promise<number>, afterErrorMs = 1_000): BlockWorker {
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      wake = done;
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
    });

  let failingSince: number | null = null;

  return {
    name,
    start() {
      running = true;
      loop = (async () => {
        while (running) {
          let next = afterErrorMs;
          try {
            next = await round();
            if (failingSince !== null) logger.log(`${name}: working again after ${((Date.now() - failingSince) / 1000).toFixed(1)} s`);
            failingSince = null;
          } catch (e) {
            if (failingSince === null) logger.error(`${name}: ${(e as Error).message}; retrying every ${afterErrorMs} ms`);
            failingSince ??= Date.now();
          }
          if (running) await pause(next);
        }
      })();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
