import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { freePort, now, Proc, sleep, until } from './procs';

export function natsServerBinary(): string {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/bin', '/usr/bin']) {
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  throw new Error('nats-server not found on PATH or in /usr/sbin');
}

export interface NatsNodeOptions {
  name: string;
  /** Cluster settings: this node's route port and the other nodes' route ports. */
  cluster?: { name: string; port: number; routes: number[] };
}

/** One nats-server with JetStream on a fixed loopback port and store dir, so it can be killed and brought back as it was. */
export class NatsNode {
  proc: Proc | null = null;
  startedAt = 0;

  private constructor(
    readonly options: NatsNodeOptions,
    readonly port: number,
    readonly storeDir: string,
  ) {}

  static async create(options: NatsNodeOptions, baseDir: string): Promise<NatsNode> {
    const storeDir = join(baseDir, options.name);
    mkdirSync(storeDir, { recursive: true });
    return new NatsNode(options, await freePort(), storeDir);
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, '-n', this.options.name];
    const c = this.options.cluster;
    if (c) {
      args.push('--cluster_name', c.name, '--cluster', `nats://127.0.0.1:${c.port}`, '--routes', c.routes.map((p) => `nats://127.0.0.1:${p}`).join(','));
    }
    // A port just freed by a killed server can take a moment to be bindable again.
    for (let attempt = 0; ; attempt++) {
      this.proc = Proc.spawn(`nats-server ${this.options.name}`, natsServerBinary(), args);
      try {
        await this.proc.waitFor(/Server is ready/, 20_000);
        this.startedAt = now();
        return;
      } catch (e) {
        await this.proc.kill9();
        if (attempt >= 5) throw e;
        await sleep(500);
      }
    }
  }

  async kill9(): Promise<void> {
    await this.proc?.kill9();
  }

  async stop(): Promise<void> {
    await this.proc?.stop(10_000);
  }
}

/** One node or a cluster of three, with a temp base dir removed by `destroy`. */
export class NatsSetup {
  private constructor(
    readonly nodes: NatsNode[],
    private readonly baseDir: string,
  ) {}

  static async single(): Promise<NatsSetup> {
    const baseDir = mkdtempSync(join(tmpdir(), 'chaos-nats-'));
    const node = await NatsNode.create({ name: 'n1' }, baseDir);
    await node.start();
    return new NatsSetup([node], baseDir);
  }

  static async cluster(size = 3): Promise<NatsSetup> {
    const baseDir = mkdtempSync(join(tmpdir(), 'chaos-nats-cluster-'));
    const routePorts: number[] = [];
    for (let i = 0; i < size; i++) routePorts.push(await freePort());
    const nodes: NatsNode[] = [];
    for (let i = 0; i < size; i++) {
      nodes.push(await NatsNode.create({ name: `n${i + 1}`, cluster: { name: 'chaos', port: routePorts[i], routes: routePorts.filter((_, j) => j !== i) } }, baseDir));
    }
    await Promise.all(nodes.map((n) => n.start()));
    const setup = new NatsSetup(nodes, baseDir);
    if (!(await until(() => setup.jetStreamReady(), 30_000, 250))) throw new Error('the JetStream cluster elected no meta leader within 30 s');
    return setup;
  }

  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  /** `$JS.API.INFO` answers without an error (a meta leader exists in a cluster). */
  async jetStreamReady(): Promise<boolean> {
    const nc = await connect({ servers: this.nodes.filter((n) => n.proc?.alive).map((n) => n.url), timeout: 1000, reconnect: false });
    try {
      const reply = (await nc.request('$JS.API.INFO', '', { timeout: 1000 })).json<{ error?: unknown; cluster?: { leader?: string } }>();
      return !reply.error;
    } finally {
      await nc.close();
    }
  }

  /** The server name leading a stream's raft group (`$JS.API.STREAM.INFO.<stream>` → cluster.leader). */
  async streamLeader(stream = 'MEMSIDECAR'): Promise<string | undefined> {
    const nc = await connect({ servers: this.nodes.filter((n) => n.proc?.alive).map((n) => n.url), timeout: 1000, reconnect: false });
    try {
      const reply = (await nc.request(`$JS.API.STREAM.INFO.${stream}`, '', { timeout: 2000 })).json<{ cluster?: { leader?: string } }>();
      return reply.cluster?.leader;
    } finally {
      await nc.close();
    }
  }

  node(name: string): NatsNode {
    const n = this.nodes.find((x) => x.options.name === name);
    if (!n) throw new Error(`no nats node ${name}`);
    return n;
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}
