/**
 * A tail reader that stops reading: it opens `count` episodic.tail streams on `ns`, says
 * `subscribed`, and is then SIGSTOPped by the scenario, so its socket fills and nothing drains it.
 * Usage: node stalled-reader.js <nats-url> <ns> <count>
 */
import { connect, createInbox } from '@nats-io/transport-node';

async function main(): Promise<void> {
  const [url, ns, count] = process.argv.slice(2);
  const nc = await connect({ servers: url.split(','), name: 'chaos-stalled-reader' });
  for (let i = 0; i < Number(count); i++) {
    const inbox = createInbox();
    nc.subscribe(inbox); // never iterated: nothing is consumed
    nc.publish('mem.v1.episodic.tail', JSON.stringify({ ns, afterCursor: 0, maxEvents: 10_000, maxMs: 600_000 }), { reply: inbox });
  }
  await nc.flush();
  console.log('subscribed');
  setTimeout(() => process.exit(0), 10 * 60_000); // bounded even if nobody stops it
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
