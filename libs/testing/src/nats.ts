import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsServerProcess } from '@memsidecar/event-store';

export interface TestNats {
  url: string;
  stop(): Promise<void>;
}

/** A fresh nats-server with JetStream on a free port and a temporary store, for one test run. */
export async function startTestNats(extraArgs: string[] = []): Promise<TestNats> {
  const dir = mkdtempSync(join(tmpdir(), 'memsidecar-nats-'));
  const server = await NatsServerProcess.start({ storeDir: join(dir, 'store'), extraArgs });
  return {
    url: server.url,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
