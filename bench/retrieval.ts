/**
 * Retrieval quality on the LoCoMo development split, through the running service (dense, sparse and
 * hybrid search) next to a plain in-process BM25 computed in the same run on the same records and
 * questions; cold-query search latency; ingestion rate; and the evidence behind hybrid's fusion
 * defaults (a grid evaluated offline on the service's own lanes, with leave-one-conversation-out).
 *
 * Protocol (the data's README): one namespace per conversation, one record per turn
 * ("<speaker>: <text>" plus " [shares <caption>]"), the question alone as the query, categories 1-4.
 *
 * Environment:
 *   LOCOMO_DIR                      directory holding locomo-dev.json (default ../shared/data/locomo-dev
 *                                   beside the checkout); the suite is skipped when it is missing
 *   BENCH_DATABASE=pglite           read models in the service's embedded PGlite instead of the system Postgres
 *   BENCH_RETRIEVAL_CONVERSATIONS   e.g. conv-26,conv-30: only these conversations, for quick iterations
 */
import { NatsTestClient } from '@memsidecar/testing';
import { Bm25Index } from './retrieval/bm25';
import { explainEach, printFusionEvidence, writeOrderNeighbors } from './retrieval/fusion-evidence';
import { loadLocomo, locomoFile, type Conversation, type LocomoSplit } from './retrieval/locomo';
import { SCORED_DEPTH, scoreAll } from './retrieval/metrics';
import { latencyLine, printQualityTable, printRecallSummary, type ScoredMode } from './retrieval/report';
import { MODES, Warmth, ingest, prepareForSearches, probeExplain, searchEach, type Mode, type ModeRun } from './retrieval/service';
import { withBenchService } from './setup';

/** Named explicitly so the setup line states what embedded the records, whatever the service's default becomes. */
const EMBEDDER = 'use-lite';

const selectedConversations = (): string[] | undefined => {
  const names = process.env.BENCH_RETRIEVAL_CONVERSATIONS?.split(',').map((s) => s.trim()).filter(Boolean);
  return names?.length ? names : undefined;
};

const bm25Rankings = (conversations: readonly Conversation[]): string[][] =>
  conversations.flatMap((c) => {
    const index = new Bm25Index(c.turns);
    return c.questions.map((q) => index.search(q.text, SCORED_DEPTH));
  });

function printSetup(split: LocomoSplit, database: string): void {
  const records = split.conversations.reduce((n, c) => n + c.turns.length, 0);
  const questions = split.conversations.reduce((n, c) => n + c.questions.length, 0);
  console.log(`setup: database ${database}, embedder ${EMBEDDER}, ${split.conversations.map((c) => c.name).join(' ')}: ${records.toLocaleString('en-US')} records, ${questions} questions (categories 1-4)`);
  const dropped = split.evidenceDropped.length ? ` (${split.evidenceDropped.join(', ')})` : '';
  console.log(
    `data: ${split.evidenceRewritten} malformed evidence ids normalised, ${split.evidenceDropped.length} naming no turn dropped${dropped}; ` +
      `${split.questionsWithoutEvidence} questions left without evidence are not scored\n`,
  );
}

export async function retrievalBench(): Promise<void> {
  console.log('memsidecar retrieval benchmark — LoCoMo development split\n');
  const split = loadLocomo(selectedConversations());
  if (!split) {
    console.log(`skipped: no LoCoMo data at ${locomoFile()} (set LOCOMO_DIR to the directory holding locomo-dev.json)`);
    return;
  }
  const questions = split.conversations.flatMap((c) => c.questions);
  const baseline = bm25Rankings(split.conversations);

  await withBenchService(
    async ({ nats, service, embedded }) => {
      printSetup(split, embedded ? 'PGlite (embedded in the service)' : 'system Postgres');
      const client = await NatsTestClient.connect(nats.url, service.adminToken());
      try {
        const ingestion = await ingest(client, split.conversations);
        console.log(`ingestion: ${ingestion.records.toLocaleString('en-US')} records in ${ingestion.seconds.toFixed(1)} s, ${(ingestion.records / ingestion.seconds).toFixed(1)} records/s (embedded and acknowledged, batches of 100, one client)\n`);

        const warmth = new Warmth();
        warmth.noteEmbedded(split.conversations.flatMap((c) => c.turns.map((t) => t.content)));
        await prepareForSearches(client, split.conversations[0].namespace, ingestion.lastSeq, warmth);
        const runs = {} as Record<Mode, ModeRun>;
        // Dense first on the questions as asked; hybrid embeds a different (prepared) text and sparse embeds nothing.
        for (const mode of MODES) runs[mode] = await searchEach(client, questions, mode, warmth);

        const scored: ScoredMode[] = [
          { label: 'bm25 (in-process baseline)', perQuestion: scoreAll(questions, baseline) },
          ...MODES.map((mode) => ({ label: `service ${mode}`, perQuestion: scoreAll(questions, runs[mode].rankings) })),
        ];
        console.log(`quality (% of questions; MRR = mean 1/rank of the first evidence turn in the top ${SCORED_DEPTH}, 0 if none):`);
        printQualityTable(questions, scored);
        console.log('');
        printRecallSummary(questions, scored);

        console.log(`\ncold-query search latency (topK ${SCORED_DEPTH}, ids only; one client, sequential requests):`);
        console.log('  cold = the first search of a question in that mode, on a text the service has not embedded before (its embedding cache is cold for it);');
        console.log('  the process, its connections and Postgres are warm');
        for (const mode of MODES) console.log(latencyLine(mode, runs[mode].coldLatenciesMs));

        console.log('\nhybrid fusion parameters:');
        const support = await probeExplain(client, split.conversations[0].namespace);
        if (!support.supported) return console.log(`  skipped: the service does not support explain on search (${support.reason})`);
        const neighbors = new Map(split.conversations.map((c) => [c.name, writeOrderNeighbors(c)]));
        printFusionEvidence(questions, await explainEach(client, questions), runs.hybrid.rankings, support.depth, (q) => neighbors.get(q.conversation)!);
      } finally {
        await client.close();
      }
    },
    { MEMSIDECAR_EMBEDDER: EMBEDDER },
  );
}
