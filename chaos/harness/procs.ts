import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
export { freePort } from '@memsidecar/testing';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const now = (): number => performance.timeOrigin + performance.now();

/** The checkout whose `bin/memsidecar.js` the scenarios start: `CHAOS_SERVICE_DIR`, else this one. */
export function serviceDir(): string {
  if (process.env.CHAOS_SERVICE_DIR) return resolve(process.env.CHAOS_SERVICE_DIR);
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'memsidecar.js'))) return dir;
  }
  throw new Error('cannot find the memsidecar checkout; set CHAOS_SERVICE_DIR');
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/**
 * A child in its own process group (detached), whose output is kept (the last 256 KiB) and whose
 * exit is recorded; `kill9` sends SIGKILL to the whole group.
 */
export class Proc {
  /** Every child still running, so an interrupted run leaves none behind. */
  static readonly running = new Set<Proc>();
  output = '';
  exitInfo: ExitInfo | null = null;
  readonly exited: Promise<ExitInfo>;
  private listeners: Array<(text: string) => void> = [];

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      this.output = (this.output + text).slice(-256 * 1024);
      for (const l of this.listeners) l(text);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    Proc.running.add(this);
    this.exited = new Promise((r) =>
      child.once('exit', (code, signal) => {
        Proc.running.delete(this);
        this.exitInfo = { code, signal, at: now() };
        r(this.exitInfo);
      }),
    );
  }

  /** SIGCONT + SIGKILL to every running child's process group (synchronous: usable in an exit handler). */
  static killAllSync(): void {
    for (const p of Proc.running) {
      for (const sig of ['SIGCONT', 'SIGKILL'] as const) {
        try {
          process.kill(-p.pid, sig);
        } catch {
          /* gone */
        }
      }
    }
  }

  static spawn(name: string, command: string, args: string[], options: SpawnOptions = {}): Proc {
    const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    return new Proc(name, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  /** Resolves when `pattern` shows up in the output (already or later); rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((done, fail) => {
      let settled = false;
      const check = () => {
        const m = pattern.exec(this.output);
        if (m && !settled) {
          settled = true;
          clearTimeout(timer);
          done(m);
        }
      };
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        fail(new Error(`${this.name}: ${pattern} not seen within ${timeoutMs} ms:\n${this.output.slice(-4000)}`));
      }, timeoutMs);
      this.listeners.push(check);
      void this.exited.then((e) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fail(new Error(`${this.name} exited (code ${e.code}, signal ${e.signal}) before ${pattern}:\n${this.output.slice(-4000)}`));
      });
      check();
    });
  }

  signal(sig: NodeJS.Signals): void {
    if (this.alive) this.child.kill(sig);
  }

  /** SIGKILL to the process group (and any descendant that left it), then waits for the exit. */
  async kill9(): Promise<void> {
    if (!this.alive) return;
    const descendants = descendantsOf(this.pid);
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    for (const pid of descendants) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await this.exited;
  }

  /** `sig` (SIGTERM), then SIGKILL to the group after `timeoutMs`. */
  async stop(timeoutMs = 20_000, sig: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> {
    if (!this.alive) return this.exitInfo!;
    this.signal(sig);
    const timer = setTimeout(() => void this.kill9(), timeoutMs);
    const info = await this.exited;
    clearTimeout(timer);
    return info;
  }

  /** Resident set size in KiB (VmRSS), or null when gone. */
  rssKiB(): number | null {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) : null;
    } catch {
      return null;
    }
  }
}

/** Every process below `pid`, from /proc. */
export function descendantsOf(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(entry), ppid);
    } catch {
      /* raced with an exit */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes; returns whether it did. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const end = now() + timeoutMs;
  while (now() < end) {
    try {
      if (await check()) return true;
    } catch {
      /* not yet */
    }
    await sleep(everyMs);
  }
  return false;
}
