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

export interface RestartableNats extends TestNats {
  /** Stops the server (SIGTERM) and starts it again on the same port and store, as an operator would. */
  restart(): Promise<void>;
}

/** Like `startTestNats`, for specs that restart the server under a running client. */
export async function startRestartableNats(): Promise<RestartableNats> {
  const dir = mkdtempSync(join(tmpdir(), 'memsidecar-nats-'));
  let server = await NatsServerProcess.start({ storeDir: join(dir, 'store') });
  const url = server.url;
  return {
    url,
    async restart() {
      await server.stop();
      server = await NatsServerProcess.start({ storeDir: join(dir, 'store'), port: Number(new URL(url).port) });
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
