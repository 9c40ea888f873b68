import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import { MemoryClient } from '@memsidecar/client';
import { MemsidecarSaver } from '@memsidecar/langgraph';
import { serviceFixture } from './support/fixture';

const EXAMPLE = resolve(__dirname, '..', 'dist', 'examples', 'langgraph-resume.js');

interface AgentRun {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first line matching `pattern`; rejects if the agent exits first. */
  waitFor(pattern: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The example's agent as its own process, on `threadId`. */
function startAgent(env: Record<string, string>, threadId: string): AgentRun {
  const child = spawn(process.execPath, [EXAMPLE, 'agent', threadId], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; done: (line: string) => void }[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.filter((w) => w.pattern.test(line))) w.done(line);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  const waitFor = (pattern: RegExp) =>
    new Promise<string>((done, fail) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return done(seen);
      waiters.push({ pattern, done });
      void exited.then(({ code, signal }) => fail(new Error(`agent exited (${code ?? signal}) before printing ${pattern}:\n${lines.join('\n')}\n${stderr}`)));
    });
  return { child, lines, waitFor, exited };
}

const turnsStarted = (lines: string[]) => lines.map((l) => /^turn (\d+) started$/.exec(l)?.[1]).filter((t) => t !== undefined).map(Number);
const replies = (lines: string[]) => lines.map((l) => /^turn \d+: (.*)$/.exec(l)?.[1]).filter((r) => r !== undefined);

describe('langgraph - an agent killed with SIGKILL resumes from its last checkpoint in memsidecar', () => {
  const f = serviceFixture('postgres');
  let client: MemoryClient;
  let env: Record<string, string>;

  beforeAll(async () => {
    env = { MEMSIDECAR_NATS_URL: f.nats.url, MEMSIDECAR_TOKEN: f.service.adminToken(), LG_TURNS: '6' };
    client = await MemoryClient.connect({ natsUrl: f.nats.url, token: f.service.adminToken(), logger: { warn: () => undefined } });
  });
  afterAll(async () => {
    await client?.shutdown();
  });

  it('the second process carries on from the turn the first was killed in, without running earlier turns again', async () => {
    const threadId = `resume-${randomUUID()}`;
    const saver = new MemsidecarSaver(client, { namespace: 'langgraph-example' });

    const first = startAgent({ ...env, LG_STALL_AT_TURN: '4' }, threadId);
    await first.waitFor(/^turn 4 started$/);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(turnsStarted(first.lines)).toEqual([1, 2, 3, 4]);

    // What survived the kill: the checkpoint after turn 3, with the agent's next step still to run.
    const last = await saver.getTuple({ configurable: { thread_id: threadId } });
    expect(last?.checkpoint.channel_values).toMatchObject({ turns: 3 });

    const second = startAgent(env, threadId);
    const resumed = await second.waitFor(/^resume from checkpoint /);
    expect(resumed).toBe(`resume from checkpoint ${last?.checkpoint.id} at turn 4`);
    await second.waitFor(/^done after/);
    expect((await second.exited).code).toBe(0);
    expect(turnsStarted(second.lines)).toEqual([4, 5, 6]);
    expect(second.lines).toContain('done after 6 turns, 6 replies');

    // The thread's transcript is the first run's replies, then the second's: each turn once, in order.
    const final = await saver.getTuple({ configurable: { thread_id: threadId } });
    const messages = final?.checkpoint.channel_values.messages as BaseMessage[];
    const transcript = messages.filter((m) => AIMessage.isInstance(m)).map((m) => String(m.content));
    expect(transcript).toEqual([...replies(first.lines), ...replies(second.lines)]);
    expect(new Set(transcript).size).toBe(6);
  });
});
