/**
 * `npm run bench [kv|coordination|langgraph|peers|python|...]`: figures through the running service next to raw NATS,
 * JetStream and Postgres baselines measured in the same run. Not part of the test run.
 */
import { artifactBench } from './artifact';
import { coordinationBench } from './coordination';
import { factsBench } from './facts';
import { encryptionBench } from './encryption';
import { graphBench } from './graph';
import { kvBench } from './kv';
import { langgraphBench } from './langgraph';
import { peersBench } from './peers';
import { pythonClientBench } from './python-client';
import { rebuildBench } from './rebuild';
import { retrievalBench } from './retrieval';
import { securityBench } from './security';
import { semanticBench } from './semantic';
import { transportsBench } from './transports';

const SUITES: Record<string, () => Promise<void>> = { kv: kvBench, coordination: coordinationBench, semantic: semanticBench, artifact: artifactBench, facts: factsBench, security: securityBench, transports: transportsBench, rebuild: rebuildBench, encryption: encryptionBench, graph: graphBench, retrieval: retrievalBench, langgraph: langgraphBench, python: pythonClientBench, peers: peersBench };

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  for (const name of wanted.length ? wanted : Object.keys(SUITES)) {
    const suite = SUITES[name];
    if (!suite) throw new Error(`unknown bench suite ${name}; have ${Object.keys(SUITES).join(', ')}`);
    await suite();
    console.log('');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
