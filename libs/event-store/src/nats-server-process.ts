import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The child is started through a tiny shell watchdog that kills it when our stdin pipe closes,
 * so the server goes away with us even when we are killed with SIGKILL.
 */
const WATCHDOG = '"$@" & pid=$!; echo "memsidecar-watchdog child $pid" >&2; read _ignored; kill -TERM $pid 2>/dev/null; wait $pid';

export interface NatsServerOptions {
  /** JetStream store directory. */
  storeDir: string;
  host?: string;
  /** Port to listen on; 0 lets the server choose a free one. */
  port?: number;
  /** Where the running server's pid is kept, to clear a stale one left by a crash. */
  pidFile?: string;
  startTimeoutMs?: number;
  /** More `nats-server` flags (e.g. `--tls …` for tests of TLS deployments). */
  extraArgs?: string[];
}

export class NatsServerNotFound extends Error {
  constructor() {
    super(
      'nats-server was not found on PATH or in /usr/sbin. Install it (Debian/Ubuntu: `apt-get install nats-server`) ' +
        'or point memsidecar at a running server with MEMSIDECAR_NATS_URL.',
    );
  }
}

/** `MEMSIDECAR_NATS_SERVER_BIN` names the binary; otherwise PATH and the usual system folders. */
export function findNatsServer(): string | null {
  const explicit = process.env.MEMSIDECAR_NATS_SERVER_BIN;
  if (explicit) return isExecutable(explicit) ? explicit : null;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'];
  for (const dir of dirs) {
    const candidate = join(dir, 'nats-server');
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** A `nats-server` child with JetStream; `url` is known once it accepts clients. */
export class NatsServerProcess {
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly url: string,
    private readonly pidFile?: string,
  ) {
    this.exited = new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
  }

  static async start(o: NatsServerOptions): Promise<NatsServerProcess> {
    const binary = findNatsServer();
    if (!binary) throw new NatsServerNotFound();
    mkdirSync(o.storeDir, { recursive: true });
    if (o.pidFile) stopStale(o.pidFile);
    const host = o.host ?? '127.0.0.1';
    const args = ['-a', host, '-p', String(o.port ? o.port : -1), '-js', '-sd', o.storeDir, ...(o.extraArgs ?? [])];
    const child = spawn('/bin/sh', ['-c', WATCHDOG, 'sh', binary, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const { port, pid } = await waitForListening(child, o.startTimeoutMs ?? 20_000);
    if (o.pidFile) writeFileSync(o.pidFile, String(pid));
    return new NatsServerProcess(child, `nats://${host}:${port}`, o.pidFile);
  }

  /** Stops the server gracefully (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.child.exitCode === null) {
      this.child.stdin.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.pidFile) rmSync(this.pidFile, { force: true });
  }
}

function waitForListening(child: ChildProcessWithoutNullStreams, timeoutMs: number): Promise<{ port: number; pid: number }> {
  return new Promise((resolve, reject) => {
    let log = '';
    let pid = 0;
    const timer = setTimeout(() => fail(new Error(`nats-server did not start within ${timeoutMs} ms:\n${log}`)), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.stdin.end();
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      pid ||= Number(/memsidecar-watchdog child (\d+)/.exec(log)?.[1] ?? 0);
      const listening = /Listening for client connections on [^\s]+:(\d+)/.exec(log);
      if (listening && pid) {
        clearTimeout(timer);
        child.stderr.off('data', onData);
        child.stderr.resume();
        child.stdout.resume();
        resolve({ port: Number(listening[1]), pid });
      }
    };
    child.stderr.on('data', onData);
    child.once('exit', (code) => fail(new Error(`nats-server exited with code ${code}:\n${log}`)));
  });
}

/** A server left behind by a crashed predecessor would hold the store; stop it first. */
function stopStale(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  if (pid > 0 && isNatsServer(pid)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && isAlive(pid)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const isNatsServer = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nats-server');
  } catch {
    return false;
  }
};
