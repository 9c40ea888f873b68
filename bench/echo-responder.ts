/** A bare NATS responder in its own process, the floor for any request/reply service. */
import { connect } from '@nats-io/transport-node';

async function main(): Promise<void> {
  const nc = await connect({ servers: process.argv[2] });
  nc.subscribe('bench.echo', { callback: (_e, m) => void m.respond(m.data) });
  await nc.flush();
  console.log('ready');
  process.stdin.resume();
  process.stdin.on('end', () => void nc.close().then(() => process.exit(0)));
}

void main();
