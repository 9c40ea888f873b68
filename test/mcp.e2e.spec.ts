import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { serviceFixture } from './support/fixture';

const MEMCTL = resolve(__dirname, '..', 'bin', 'memctl.js');
const FACT_TOOLS = ['memory_write', 'memory_search', 'memory_tick', 'memory_status', 'memory_reflect', 'memory_export', 'memory_purge'];
const BLOCK_TOOLS = ['kv_get', 'kv_put', 'episodic_append', 'episodic_range', 'semantic_search', 'semantic_upsert', 'lease_acquire', 'lease_release', 'graph_upsert', 'graph_get', 'graph_neighbors', 'graph_traverse', 'graph_delete'];

type ToolResult = { isError?: boolean; content: { type: string; text: string }[] };
const text = (r: unknown) => (r as ToolResult).content[0].text;
const json = (r: unknown) => JSON.parse(text(r));

describe('mcp - over stdio (memctl mcp) and streamable HTTP (/mcp)', () => {
  const f = serviceFixture('postgres', { MEMSIDECAR_EMBEDDER: 'hashing' });
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  const overStdio = async (token: string) => {
    const client = new Client({ name: 'test-agent', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MEMCTL, 'mcp'],
      env: { PATH: process.env.PATH ?? '', MEMSIDECAR_NATS_URL: f.nats.url, MEMSIDECAR_TOKEN: token, MEMSIDECAR_DATA_DIR: f.service.dataDir },
      stderr: 'pipe',
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  };

  const overHttp = async (token: string) => {
    const client = new Client({ name: 'test-agent', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${f.service.httpUrl}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    clients.push(client);
    return client;
  };

  describe.each([
    ['stdio', overStdio],
    ['http', overHttp],
  ] as const)('%s', (transport, connectWith) => {
    it('lists the block tools and runs them against the service', async () => {
      const client = await connectWith(f.service.adminToken());
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining([...FACT_TOOLS, ...BLOCK_TOOLS]));
      const put = json(await client.callTool({ name: 'kv_put', arguments: { ns: `mcp-${transport}`, key: 'k', value: { via: transport } } }));
      expect(put).toMatchObject({ version: 1, seq: expect.any(Number) });
      expect(json(await client.callTool({ name: 'kv_get', arguments: { ns: `mcp-${transport}`, key: 'k' } }))).toMatchObject({ found: true, value: { via: transport } });
      const appended = json(await client.callTool({ name: 'episodic_append', arguments: { ns: `mcp-${transport}`, type: 'message', payload: 'hi' } }));
      expect(appended.cursor).toBe(1);
      expect(json(await client.callTool({ name: 'episodic_range', arguments: { ns: `mcp-${transport}` } })).events).toHaveLength(1);
      await client.callTool({ name: 'semantic_upsert', arguments: { ns: `mcp-${transport}`, records: [{ id: 'n1', content: 'the deploy uses blue green' }] } });
      expect(json(await client.callTool({ name: 'semantic_search', arguments: { ns: `mcp-${transport}`, queryText: 'blue green deploy' } })).hits[0].id).toBe('n1');
      const lease = json(await client.callTool({ name: 'lease_acquire', arguments: { ns: `mcp-${transport}`, key: 'lock', ttlMs: 10_000 } }));
      expect(json(await client.callTool({ name: 'lease_release', arguments: { ns: `mcp-${transport}`, key: 'lock', holderId: lease.holderId } }))).toMatchObject({ existed: true });
    });

    it('serves the seven memory tools', async () => {
      const client = await connectWith(f.service.adminToken());
      const session = `agent-${transport}`;
      expect(json(await client.callTool({ name: 'memory_write', arguments: { content: `D[db-${transport}]: postgres 15`, scope: `db-${transport}`, session_id: session } }))).toMatchObject({ status: 'stored' });
      expect(json(await client.callTool({ name: 'memory_search', arguments: { query: `db-${transport}` } })).facts[0]).toMatchObject({ content: 'postgres 15' });
      expect(json(await client.callTool({ name: 'memory_tick', arguments: { turn: 1, message: 'db work is merged', session_id: session } })).cooled).toEqual([`db-${transport}`]);
      expect(json(await client.callTool({ name: 'memory_status', arguments: { session_id: session } })).block).toContain('MEMORY_SPEC');
      expect(json(await client.callTool({ name: 'memory_reflect', arguments: { topic: `db-${transport}` } })).groups.decisions).toHaveLength(1);
      expect(json(await client.callTool({ name: 'memory_export', arguments: { status: 'cold' } })).lines).toContain(`D[db-${transport}]: postgres 15`);
      expect(json(await client.callTool({ name: 'memory_purge', arguments: { older_than_days: 30 } }))).toEqual({ purged: 0 });
      const bad = await client.callTool({ name: 'memory_write', arguments: { content: 'no notation here' } });
      expect(text(bad)).toMatch(/^INVALID_ARGUMENT: content:.*T\[target\]: content/);
    });

    it("returns the contract's error code as a tool error", async () => {
      const client = await connectWith(f.service.adminToken());
      const bad = await client.callTool({ name: 'kv_put', arguments: { ns: 'bad ns', key: 'k', value: 1 } });
      expect(bad.isError).toBe(true);
      expect(text(bad)).toMatch(/^INVALID_ARGUMENT: ns:/);
      await client.callTool({ name: 'kv_put', arguments: { ns: 'cas', key: `k-${transport}`, value: 1 } });
      const cas = await client.callTool({ name: 'kv_put', arguments: { ns: 'cas', key: `k-${transport}`, value: 2, ifVersion: 0 } });
      expect(text(cas)).toMatch(/^FAILED_PRECONDITION\/VERSION_MISMATCH:/);
    });

    it('applies the token scopes to every tool', async () => {
      const narrow = f.service.token({ tenant: 'default', agent: 'reader', namespaces: ['kv/shared'], ops: ['kv.get'] });
      const client = await connectWith(narrow);
      const denied = await client.callTool({ name: 'kv_put', arguments: { ns: 'shared', key: 'k', value: 1 } });
      expect(text(denied)).toMatch(/^PERMISSION_DENIED:/);
      expect(json(await client.callTool({ name: 'kv_get', arguments: { ns: 'shared', key: 'k' } }))).toEqual({ found: false });
    });
  });

  it('stdio: a bad token gets UNAUTHENTICATED tool errors; HTTP refuses the connection with 401', async () => {
    const client = await overStdio('v4.public.not-a-token');
    expect(text(await client.callTool({ name: 'kv_get', arguments: { ns: 'x', key: 'k' } }))).toMatch(/^UNAUTHENTICATED:/);
    await expect(overHttp('v4.public.not-a-token')).rejects.toThrow(/401|UNAUTHENTICATED/);
    const plain = await fetch(`${f.service.httpUrl}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(plain.status).toBe(401);
  });
});
