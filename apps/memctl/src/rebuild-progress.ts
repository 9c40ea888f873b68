import type { EventStore } from '@memsidecar/event-store';
import { RateMeter, type ProjectionRunner } from '@memsidecar/projections';

const TICK_MS = 250;
const PLAIN_LINE_MS = 5_000;
const TARGET_REFRESH_MS = 1_000;
const BAR_WIDTH = 20;

interface Line {
  runner: ProjectionRunner;
  /** Where the read model started, and the log's last sequence for its subjects (it grows while the service writes). */
  from: number;
  target: number;
  /** Sequences of the log the read model moves through per second: what the ETA divides by. */
  progress: RateMeter;
  reported: boolean;
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  return `${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : m}:${String(s % 60).padStart(2, '0')}`;
}

const done = (l: Line): boolean => l.runner.lag === 0 && l.runner.applied >= l.target;

/**
 * Progress through the log's sequences: a shared feed reads the log once for every read model, so
 * each one moves through the same sequences, whether its own events are dense or sparse.
 */
function render(l: Line, width: number): string {
  // The target is refreshed once a second; a read model that passed it stands at the log's end.
  const target = Math.max(l.target, l.runner.applied);
  const share = done(l) || target <= l.from ? 1 : (l.runner.applied - l.from) / (target - l.from);
  const filled = Math.round(share * BAR_WIDTH);
  const seqPerSecond = l.progress.perSecond();
  const eta = done(l) ? 'done' : `ETA ${duration(seqPerSecond > 0 ? (target - l.runner.applied) / seqPerSecond : Infinity)}`;
  return [
    l.runner.name.padEnd(width),
    `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`,
    `${count(l.runner.applied)}/${count(target)}`.padStart(23),
    `${(share * 100).toFixed(1)}%`.padStart(6),
    `${count(l.runner.rate.perSecond())} ev/s`.padStart(14),
    eta,
  ].join('  ');
}

/**
 * Progress of read models filling from the log, on stderr: one line per read model (applied/target
 * sequence, percent, events/s, ETA) redrawn in place on a terminal, plain lines now and then
 * otherwise, so logs stay readable. Returns the function that shows the final state and stops.
 */
export function showRebuildProgress(store: EventStore, out: NodeJS.WriteStream = process.stderr): (runners: ProjectionRunner[]) => () => void {
  return (runners) => {
    const lines: Line[] = runners.map((runner) => ({ runner, from: runner.applied, target: runner.applied, progress: new RateMeter(), reported: false }));
    const width = Math.max(...runners.map((r) => r.name.length));
    let drawn = 0;
    const refreshTargets = () => Promise.all(lines.map(async (l) => (l.target = await store.lastSeq(l.runner.filter)))).catch(() => undefined);
    const redraw = () => {
      const text = lines.map((l) => `\x1b[2K${render(l, width)}\n`).join('');
      out.write(`${drawn ? `\x1b[${drawn}F` : ''}${text}`);
      drawn = lines.length;
    };
    const printPlain = (all: boolean) => {
      for (const l of lines) {
        if (l.reported) continue;
        if (done(l)) l.reported = true;
        else if (!all) continue;
        out.write(`${render(l, width)}\n`);
      }
    };
    const tick = () => {
      for (const l of lines) l.progress.note(l.runner.applied - l.from);
      if (out.isTTY) redraw();
      else printPlain(false);
    };
    let stopped = false;
    const timers: NodeJS.Timeout[] = [];
    // Nothing is drawn before the targets are known: a read model at 0 of 0 would look done.
    const started = refreshTargets().then(() => {
      if (stopped) return;
      timers.push(setInterval(() => void refreshTargets(), TARGET_REFRESH_MS), setInterval(tick, TICK_MS));
      if (!out.isTTY) timers.push(setInterval(() => printPlain(true), PLAIN_LINE_MS));
    });
    return () => {
      stopped = true;
      for (const t of timers) clearInterval(t);
      void started.then(() => (out.isTTY ? redraw() : printPlain(true)));
    };
  };
}
