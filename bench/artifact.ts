/**
 * Artifact put/get throughput through the service, next to the raw JetStream object store measured
 * in the same run on the same server.
 */
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { NatsTestClient } from '@memsidecar/testing';
import { withBenchService } from './setup';

const MB = 1024 * 1024;
const SIZE_MB = Number(process.env.BENCH_ARTIFACT_MB ?? 32);
const CHUNK = 512 * 1024;
const SMALL = 256 * 1024;

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;
const mbps = (bytes: number, s: number) => `${(bytes / MB / s).toFixed(1)} MB/s`;

function* chunks(total: number): Generator<Uint8Array> {
  const block = new Uint8Array(CHUNK).map((_, i) => (i * 31) & 0xff);
  for (let sent = 0; sent < total; sent += CHUNK) yield block.subarray(0, Math.min(CHUNK, total - sent));
}

async function rawObjectStore(url: string, bytes: number): Promise<[string, string]> {
  const nc = await connect({ servers: url });
  try {
    const os = await new Objm(jetstream(nc)).create('BENCH_RAW_OBJ', { storage: 'file' });
    const source = chunks(bytes);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = source.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
    });
    let t = process.hrtime.bigint();
    await os.put({ name: 'blob' }, stream);
    const put = mbps(bytes, seconds(t));
    t = process.hrtime.bigint();
    const result = await os.get('blob');
    let read = 0;
    for await (const c of result!.data) read += c.length;
    const get = mbps(read, seconds(t));
    await os.destroy();
    return [put, get];
  } finally {
    await nc.close();
  }
}

export async function artifactBench(): Promise<void> {
  await withBenchService(async ({ nats, service }) => {
    const bytes = SIZE_MB * MB;
    console.log(`memsidecar artifact benchmark — ${SIZE_MB} MB blob, JetStream object store, read models on Postgres\n`);
    const [rawPut, rawGet] = await rawObjectStore(nats.url, bytes);
    const client = await NatsTestClient.connect(nats.url, service.adminToken());

    let t = process.hrtime.bigint();
    const { uploadId } = await client.ok('artifact.upload.begin', { ns: 'bench', id: 'big' });
    for (const c of chunks(bytes)) await client.ok('artifact.upload.append', { uploadId, data: Buffer.from(c).toString('base64') });
    await client.ok('artifact.upload.commit', { uploadId }, { timeoutMs: 120_000 });
    const upload = mbps(bytes, seconds(t));

    t = process.hrtime.bigint();
    const { items } = await client.stream('artifact.read', { ns: 'bench', id: 'big' }, { timeoutMs: 120_000 });
    const read = items.reduce((n, i) => n + Buffer.from(i.data, 'base64').length, 0);
    const stream = mbps(read, seconds(t));

    const small = Buffer.alloc(SMALL, 7).toString('base64');
    t = process.hrtime.bigint();
    for (let i = 0; i < 40; i++) await client.ok('artifact.put', { ns: 'bench', id: `small-${i}`, data: small });
    const put = mbps(40 * SMALL, seconds(t));
    t = process.hrtime.bigint();
    for (let i = 0; i < 40; i++) await client.ok('artifact.get', { ns: 'bench', id: `small-${i}` });
    const get = mbps(40 * SMALL, seconds(t));
    await client.close();

    console.log(`raw object store put (one stream)                 ${rawPut}`);
    console.log(`raw object store get (one stream)                 ${rawGet}`);
    console.log(`artifact.upload.begin/append(512 KiB)/commit      ${upload}`);
    console.log(`artifact.read (stream of 256 KiB items)           ${stream}`);
    console.log(`artifact.put, 256 KiB blobs, sequential           ${put}`);
    console.log(`artifact.get, 256 KiB blobs, sequential           ${get}`);
  });
}
