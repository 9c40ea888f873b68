'use strict';
/**
 * An agent process for crash tests: connects with a transaction log, records one turn with
 * retainEveryNTurns 1, says "recorded" and keeps trying to write it until it is killed.
 * Runs the built client (`npm run build`), as an installed agent would.
 *
 * env: NATS_URL, MEMSIDECAR_TOKEN, TX_LOG, NS, SESSION_ID
 */
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', '..', 'dist', 'libs', 'client', 'src', 'index.js');
if (!existsSync(entry)) {
  console.error('the client is not built yet: run `npm run build` first.');
  process.exit(2);
}
const { MemoryClient } = require(entry);

async function main() {
  const client = await MemoryClient.connect({
    natsUrl: process.env.NATS_URL,
    transactionLog: process.env.TX_LOG,
    retryPolicy: { baseDelayMs: 50, capDelayS: 1 },
    logger: { warn: (m) => process.stderr.write(`${m}\n`) },
  });
  const turns = client.turns({ ns: process.env.NS, sessionId: process.env.SESSION_ID, retainEveryNTurns: 1 });
  turns.recordTurn({ user: 'remember: the door is blue', assistant: 'noted, the door is blue' });
  process.stdout.write('recorded\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
