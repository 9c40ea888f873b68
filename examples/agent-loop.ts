/**
 * A minimal agent loop on memsidecar. Start the service (`npx memsidecar`), build, then run
 *
 *   MEMSIDECAR_TOKEN=$(cat .memsidecar/admin.token) node dist/examples/agent-loop.js
 *
 * and type messages. `/remember <text>` stores a memory the loop can recall, `/new` starts a new
 * session (turns still buffered are written under the old one first), Ctrl-C shuts down and says
 * what, if anything, could not be written. Set AGENT_TX_LOG to a file path to keep a transaction
 * log: writes a crash interrupts are then sent again on the next start.
 */
import { createInterface } from 'node:readline/promises';
import { MemoryClient, type SemanticSearchResult, type Session } from '@memsidecar/client';

const NS = 'example-agent';

/** Stands in for the model call: an agent would put the recalled memories into its prompt. */
async function callModel(message: string, recalled: SemanticSearchResult | null): Promise<string> {
  const memories = recalled?.hits.map((h) => h.content).filter(Boolean) ?? [];
  return memories.length > 0 ? `(remembering: ${memories.join('; ')}) you said "${message}"` : `you said "${message}"`;
}

async function main(): Promise<void> {
  const client = await MemoryClient.connect({ transactionLog: process.env.AGENT_TX_LOG });
  // A session the service found orphaned (or that was closed elsewhere) says so here; later calls in it throw SessionClosedError.
  const watched = (s: Session) => (s.onEnd((reason) => console.warn(`session ${s.sessionId} ${reason}`)), s);
  let session = watched(await client.openSession({ agent: NS }));
  // Written every 3 turns; a switch or the shutdown writes what is left.
  const turns = client.turns({ ns: NS, sessionId: session.sessionId, retainEveryNTurns: 3 });
  const terminal = createInterface({ input: process.stdin, output: process.stdout });

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      terminal.close();
      const report = await client.shutdown({ timeoutMs: 5_000 });
      console.log(`memory: ${report.flushedTurns} buffered turn(s) written at shutdown, ${report.abandoned.length} write(s) abandoned`);
      process.exitCode = report.abandoned.length > 0 ? 1 : 0;
    })());
  // On a terminal, readline turns Ctrl-C into its own event instead of the process signal.
  terminal.on('SIGINT', () => void stop());
  process.once('SIGINT', () => void stop());

  for await (const line of terminal) {
    const message = line.trim();
    if (message === '') continue;
    if (message.startsWith('/remember ')) {
      await client.semantic.upsert({ ns: NS, records: [{ content: message.slice('/remember '.length) }] });
      continue;
    }
    if (message === '/new') {
      const previous = session;
      session = watched(await client.openSession({ agent: NS, parentSessionId: previous.sessionId }));
      turns.switchSession(session.sessionId, { parentSessionId: previous.sessionId, reason: 'new' });
      await previous.close();
      console.log(`new session ${session.sessionId}`);
      continue;
    }
    // Recall was prepared in the background after the previous turn; never wait long for it.
    const recalled = await turns.prefetch({ waitMs: 500 });
    const reply = await callModel(message, recalled);
    console.log(reply);
    const index = turns.recordTurn({ user: message, assistant: reply });
    turns.queuePrefetch(message);
    await session.checkpoint({ lastMessage: message }, index);
  }
  await stop();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
