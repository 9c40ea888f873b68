import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { NatsTestClient, waitFor } from '@memsidecar/testing';
import { POLICY_RULES } from './in-process/policy.cases';
import { serviceFixture } from './support/fixture';

/**
 * What the policy needs a running service for: its rules applied on every transport
 * (fire-and-forget, NATS and HTTP streams, MCP), the access log, and the config file reloaded on
 * SIGHUP. What each rule does (deny, rate limits, caps) is specified in process:
 * test/in-process/policy.spec.ts.
 */
describe('policy - rules applied the same way on every transport', () => {
  const configFile = join(mkdtempSync(join(tmpdir(), 'memsidecar-policy-')), 'memsidecar.yaml');
  writeFileSync(configFile, POLICY_RULES);
  const f = serviceFixture('postgres', { MEMSIDECAR_CONFIG: configFile });
  let bot: NatsTestClient;
  let botToken: string;

  beforeAll(async () => {
    botToken = f.service.token({ tenant: 'default', agent: 'bot-1', namespaces: ['*'], ops: ['*'], tokenId: 'bot-token-1' });
    bot = f.client.withToken(botToken);
    for (const key of ['a', 'b', 'c']) await f.client.ok('kv.put', { ns: 'notes', key, value: key });
  });

  it('a fire-and-forget request is refused the same way: not carried out, counted', async () => {
    bot.publish('kv.delete', { ns: 'notes', key: 'b' });
    const metrics = await waitFor(
      async () => (await fetch(`${f.service.httpUrl}/metrics`)).text(),
      (m) => m.includes('memsidecar_fire_and_forget_errors_total{op="kv.delete",code="PERMISSION_DENIED"} 1'),
    );
    expect(metrics).toContain('memsidecar_fire_and_forget_errors_total{op="kv.delete",code="PERMISSION_DENIED"} 1');
    expect(await f.client.ok('kv.get', { ns: 'notes', key: 'b' })).toMatchObject({ found: true });
  });

  it('streaming calls over NATS and HTTP are under the policy', async () => {
    const denied = await f.client.stream('episodic.tail', { ns: 'private-notes', afterCursor: 0, maxMs: 200 });
    expect(denied.error).toMatchObject({ code: 'PERMISSION_DENIED', details: { rule: 'private-tails' } });

    const viaHttp = await fetch(`${f.service.httpUrl}/v1/episodic/tail`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.service.adminToken()}` },
      body: JSON.stringify({ ns: 'private-notes', afterCursor: 0, maxMs: 200 }),
    });
    expect(viaHttp.status).toBe(403);
    expect(((await viaHttp.json()) as { error: unknown }).error).toMatchObject({ reason: 'POLICY_DENIED' });
  });

  it('MCP tool calls are under the same policy (transport mcp)', async () => {
    const client = new Client({ name: 'policy-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${f.service.httpUrl}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${f.service.adminToken()}` } } }));
    try {
      const result = (await client.callTool({ name: 'lease_acquire', arguments: { ns: 'jobs', key: 'nightly', ttlMs: 10_000 } })) as { isError?: boolean; content: { text: string }[] };
      expect(result.isError).toBe(true);
      expect(result.content[0].text).toMatch(/^PERMISSION_DENIED\/POLICY_DENIED: .*leases are for workers/);
      expect(await f.client.ok('lease.inspect', { ns: 'jobs', key: 'nightly' })).toEqual({ held: false });
    } finally {
      await client.close();
    }
    // Over NATS the same operation is allowed.
    expect(await f.client.ok('lease.acquire', { ns: 'jobs', key: 'nightly', ttlMs: 10_000 })).toMatchObject({ fencingToken: 1 });
  });

  it('every access-log line carries tenant, agent and token id', async () => {
    await bot.call('kv.get', { ns: 'notes', key: 'a' }, { requestId: 'access-log-probe' });
    const line = await waitFor(
      async () => f.service.logs.split('\n').find((l) => l.includes('"requestId":"access-log-probe"')),
      (l) => l !== undefined,
    );
    expect(JSON.parse(line!)).toMatchObject({ log: 'access', transport: 'nats', op: 'kv.get', code: 'OK', tenant: 'default', agent: 'bot-1', tokenId: 'bot-token-1', ns: 'notes' });
    const denied = f.service.logs.split('\n').filter((l) => l.startsWith('{') && l.includes('"reason":"POLICY_DENIED"'));
    expect(denied.length).toBeGreaterThan(0);
    expect(JSON.parse(denied[0])).toMatchObject({ code: 'PERMISSION_DENIED', tenant: 'default', agent: 'bot-1', tokenId: 'bot-token-1' });
  });

  it('a changed policy applies without a restart; a bad one keeps the rules in force', async () => {
    writeFileSync(configFile, `policy:\n  default: deny\n  rules:\n    - { name: readers, effect: allow, match: { ops: ['kv.get'] } }\n`);
    f.service.signal('SIGHUP');
    const refused = await waitFor(() => f.client.call('kv.list', { ns: 'notes' }), (r) => !r.ok, 5000);
    expect(refused.error).toMatchObject({ code: 'PERMISSION_DENIED', details: { rule: 'default' } });
    expect((await f.client.call('kv.get', { ns: 'notes', key: 'a' })).ok).toBe(true);

    writeFileSync(configFile, `policy:\n  default: allow\n  rules:\n    - { name: broken, effect: permit }\n`);
    f.service.signal('SIGHUP');
    await waitFor(async () => f.service.logs, (l) => l.includes('policy.rules[0].effect'), 5000);
    expect((await f.client.call('kv.list', { ns: 'notes' })).error).toMatchObject({ code: 'PERMISSION_DENIED' });

    writeFileSync(configFile, POLICY_RULES);
    f.service.signal('SIGHUP');
    expect(await waitFor(() => f.client.call('kv.list', { ns: 'notes' }), (r) => r.ok, 5000)).toMatchObject({ ok: true });
  });
});
