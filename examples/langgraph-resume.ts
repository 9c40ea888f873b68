/**
 * A LangGraph agent that checkpoints into memsidecar, is killed, and resumes. Start the service
 * (`npx memsidecar`), build, then run
 *
 *   MEMSIDECAR_TOKEN=$(cat .memsidecar/admin.token) node dist/examples/langgraph-resume.js
 *
 * It runs the agent as a child process on a new thread. The agent's model call of turn 4 stalls,
 * as a hung LLM call would; the supervisor sees it and kills the agent with SIGKILL, then starts
 * it again on the same thread: the new process reads the thread's last checkpoint and carries on
 * from turn 4, without running turns 1-3 again.
 *
 * `node dist/examples/langgraph-resume.js agent <thread id>` runs the agent alone. Its settings:
 * LG_TURNS (default 6) and LG_STALL_AT_TURN (the turn whose model call never returns; none by default).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { AIMessage, HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { Annotation, END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { MemoryClient } from '@memsidecar/client';
import { MemsidecarSaver } from '@memsidecar/langgraph';

/** What the fake model says at each turn: it stands in for an LLM. */
const SCRIPT = ['Looking at the logs.', 'Found the failing job.', 'It ran out of memory.', 'Raising its limit.', 'Re-running it.', 'It passed.', 'Closing the ticket.', 'Done.'];

const State = Annotation.Root({
  ...MessagesAnnotation.spec,
  turns: Annotation<number>({ reducer: (_, next) => next, default: () => 0 }),
});

async function agent(threadId: string): Promise<void> {
  const totalTurns = Number(process.env.LG_TURNS ?? 6);
  const stallAt = Number(process.env.LG_STALL_AT_TURN ?? 0);
  const client = await MemoryClient.connect();
  const checkpointer = new MemsidecarSaver(client, { namespace: 'langgraph-example' });
  const config = { configurable: { thread_id: threadId } };

  let model: FakeListChatModel | undefined;
  const graph = new StateGraph(State)
    .addNode('agent', async (s) => {
      const turn = s.turns + 1;
      console.log(`turn ${turn} started`);
      if (turn === stallAt) await new Promise<never>(() => undefined); // the model call that never returns
      const reply = await model!.invoke(s.messages);
      console.log(`turn ${turn}: ${String(reply.content)}`);
      return { messages: [reply], turns: turn };
    })
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', (s) => (s.turns >= totalTurns ? END : 'agent'))
    .compile({ checkpointer });

  const saved = await graph.getState(config);
  const turnsDone = (saved.values as typeof State.State).turns ?? 0;
  // The fake model goes on with its script where the thread's state is.
  model = new FakeListChatModel({ responses: SCRIPT.slice(turnsDone) });
  let input: typeof State.Update | null = { messages: [new HumanMessage('The nightly build failed. Fix it.')] };
  if (saved.next.length > 0) {
    console.log(`resume from checkpoint ${saved.config.configurable?.checkpoint_id} at turn ${turnsDone + 1}`);
    input = null; // no new input: run what the checkpoint says comes next
  } else if (saved.config.configurable?.checkpoint_id) {
    console.log(`thread ${threadId} already finished after ${turnsDone} turns`);
    await client.shutdown();
    return;
  } else console.log(`start thread ${threadId}`);

  // `sync`: each step's checkpoint is stored before the next step starts, so a kill loses at most the step it interrupts.
  const final = await graph.invoke(input, { ...config, durability: 'sync', recursionLimit: 4 * totalTurns });
  const replies = (final.messages as BaseMessage[]).filter((m) => AIMessage.isInstance(m)).length;
  console.log(`done after ${final.turns} turns, ${replies} replies`);
  await client.shutdown();
}

/** Runs the agent as a child process; resolves when `until` matches a line of its output (and kills it then), or when it exits. */
function runAgent(threadId: string, env: Record<string, string>, until?: RegExp): Promise<void> {
  const child = spawn(process.execPath, [__filename, 'agent', threadId], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((done, fail) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      console.log(`  [agent ${child.pid}] ${line}`);
      if (until?.test(line)) {
        console.log(`supervisor: turn stalled; killing agent ${child.pid} with SIGKILL`);
        child.kill('SIGKILL');
      }
    });
    child.once('error', fail);
    child.once('exit', (code, signal) => (code === 0 || signal === 'SIGKILL' ? done() : fail(new Error(`agent exited with ${code ?? signal}`))));
  });
}

async function supervise(): Promise<void> {
  const threadId = `example-${randomUUID().slice(0, 8)}`;
  console.log('supervisor: first run, whose 4th model call stalls');
  await runAgent(threadId, { LG_STALL_AT_TURN: '4' }, /^turn 4 started$/);
  console.log('supervisor: second run, same thread');
  await runAgent(threadId, {});
}

(process.argv[2] === 'agent' ? agent(process.argv[3] ?? randomUUID()) : supervise()).catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
