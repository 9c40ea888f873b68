import type { BlockLogger, BlockWorker } from './block';

/**
 * A background loop: runs `round`, then sleeps for the pause it returns (in ms), until stopped.
 * A failing round is logged and the loop goes on: a database or log briefly away must not end it.
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

  return {
    name,
    start() {
      running = true;
      loop = (async () => {
        while (running) {
          let next = afterErrorMs;
          try {
            next = await round();
          } catch (e) {
            logger.error(`${name}: ${(e as Error).message}`);
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
