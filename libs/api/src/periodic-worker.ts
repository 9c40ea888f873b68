import type { BlockDependencies, BlockWorker } from './block';

/**
 * A background loop: runs `round`, then sleeps for the pause it returns (in ms), until stopped.
 * A failing round is retried after `afterErrorMs` and the loop goes on: a database or log briefly
 * away must not end it. The first failure and the recovery are logged, once each. It sleeps on the
 * block's clock, so a test clock decides when the next round comes.
 */
export function periodicWorker(
  name: string,
  { logger, clock }: Pick<BlockDependencies, 'logger' | 'clock'>,
  round: () => Promise<number>,
  afterErrorMs = 1_000,
): BlockWorker {
  let running = false;
  let loop: Promise<void> | null = null;
  let stopping = new AbortController();
  let failingSince: number | null = null;
  const elapsedSeconds = (since: number) => ((clock.now().getTime() - since) / 1000).toFixed(1);

  return {
    name,
    sleepsOnClock: true,
    start() {
      running = true;
      stopping = new AbortController();
      loop = (async () => {
        while (running) {
          let next = afterErrorMs;
          try {
            next = await round();
            if (failingSince !== null) logger.log(`${name}: working again after ${elapsedSeconds(failingSince)} s`);
            failingSince = null;
          } catch (e) {
            if (failingSince === null) logger.error(`${name}: ${(e as Error).message}; retrying every ${afterErrorMs} ms`);
            failingSince ??= clock.now().getTime();
          }
          if (running) await clock.sleep(next, stopping.signal);
        }
      })();
    },
    async stop() {
      running = false;
      stopping.abort();
      await loop;
    },
  };
}
