import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on a free loopback port to a real server, for network faults in integration specs:
 * `cut()` drops every connection and refuses new ones (as a crashed server does), `hang()` drops
 * them and accepts new ones that are never answered (a hung server), `restore()` relays again.
 * What is relayed is never looked at.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private mode: 'relay' | 'refuse' | 'hang' = 'relay';

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | null = null;
    const server = createServer((client) => proxy!.relay(client, targetHost, targetPort));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
    proxy = new TcpProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  private relay(client: Socket, host: string, port: number): void {
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (this.mode === 'hang') {
      this.sockets.add(client);
      client.on('error', () => client.destroy());
      client.on('close', () => this.sockets.delete(client));
      return;
    }
    const upstream = connect(port, host);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.sockets.delete(a);
        b.destroy();
      });
    }
  }

  /** Every relayed connection is reset and new ones are refused. */
  cut(): void {
    this.mode = 'refuse';
    this.dropAll();
  }

  /** Every relayed connection is reset; new ones are accepted and never answered. */
  hang(): void {
    this.mode = 'hang';
    this.dropAll();
  }

  restore(): void {
    this.mode = 'relay';
  }

  private dropAll(): void {
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
