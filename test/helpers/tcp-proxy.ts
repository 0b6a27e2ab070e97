import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

interface Trigger {
  pattern: string;
  fired: () => void;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a dependency (PostgreSQL, Redis), so a test can take the
 * dependency away from one app without touching the shared server: `cut()` drops every open
 * connection and resets new ones until `restore()`.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private dropping = false;
  private trigger?: Trigger;
  private readonly server = createServer((client) => this.accept(client));

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on a free loopback port and forwards to `host:port`. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target.host, target.port);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  /** A proxy for the host and port of `url` (e.g. TEST_DATABASE_URL), default port by scheme. */
  static forUrl(url: string): Promise<TcpProxy> {
    const parsed = new URL(url);
    const defaultPort = parsed.protocol.startsWith('redis') ? 6379 : 5432;
    return TcpProxy.start({ host: parsed.hostname, port: Number(parsed.port || defaultPort) });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `url` with its host and port replaced by the proxy's. */
  urlThrough(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Whether connections are being dropped right now. */
  get isCut(): boolean {
    return this.dropping;
  }

  /** Destroys every open connection, both sides, and resets every new one until {@link restore}. */
  cut(): void {
    this.dropping = true;
    this.trigger = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.dropping = false;
  }

  /**
   * Cuts the moment a client sends bytes containing `pattern` (e.g. the SQL of one statement),
   * before they reach the dependency; resolves when that happened. One-shot.
   */
  cutWhenClientSends(pattern: string): Promise<void> {
    return new Promise((fired) => {
      this.trigger = { pattern, fired };
    });
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.dropping) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: this.targetHost, port: this.targetPort });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      const trigger = this.trigger;
      if (trigger && chunk.includes(trigger.pattern)) {
        this.cut();
        trigger.fired();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  }
}
