import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serviceDir } from './procs';

export interface MemctlVerify {
  available: boolean;
  code: number | null;
  summary: string;
}

/** `memctl verify` of the checkout under test against the service's NATS, database and data dir. */
export async function memctlVerify(env: { natsUrl: string; databaseUrl: string; dataDir: string }, timeoutMs = 240_000): Promise<MemctlVerify> {
  const bin = join(serviceDir(), 'bin', 'memctl.js');
  if (!existsSync(bin)) return { available: false, code: null, summary: 'no bin/memctl.js' };
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, 'verify'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        MEMSIDECAR_NATS_URL: env.natsUrl,
        MEMSIDECAR_DATABASE_URL: env.databaseUrl,
        MEMSIDECAR_DATA_DIR: env.dataDir,
        MEMSIDECAR_AUTH: 'none',
        MEMSIDECAR_EMBEDDER: 'hashing',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const lines = out.trim().split('\n');
      const unknown = /unknown command|usage/i.test(out) && !/verify:/.test(out);
      const summary = lines.filter((l) => /^verify:/.test(l)).pop() ?? lines.slice(-3).join(' | ');
      const diffs = lines.filter((l) => !/^verify:|^\s/.test(l)).slice(0, 5);
      done({ available: !unknown, code, summary: [summary, ...diffs].join(' / ').slice(0, 800) });
    });
  });
}
