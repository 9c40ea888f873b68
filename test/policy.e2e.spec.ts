import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { NatsTestClient, waitFor } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

const RULES = `
policy:
  default: allow
  rules:
    - name: bots-never-delete
      effect: deny
      reason: bots never delete
      match: { agents: ['bot-*'], ops: ['kv.delete', 'episodic.expire'] }
    - name: private-tails
      effect: deny
      reason: private logs are not tailed
      match: { ops: ['episodic.tail'], namespaces: ['episodic/private*'] }
    - name: no-leases-over-mcp
      effect: deny
      reason: leases are for workers, not chat tools
      match: { ops: ['lease.*'], transports: ['mcp'] }
    - name: gentle-writers
      effect: rate_limit
      reason: slow down
      match: { ops: ['kv.put'], namespaces: ['kv/limited'] }
      rate: { perSecond: 0.5, burst: 3, by: [tenant, agent, namespace] }
    - name: small-pages
      effect: cap
      reason: keep replies small
      match: { ops: ['kv.list', 'episodic.tail'] }
      caps: { limit: 2, maxEvents: 2 }
`;

describe('policy - rules applied the same way on every transport', () => {
  const configFile = join(mkdtempSync(join(tmpdir(), 'memsidecar-policy-')), 'memsidecar.yaml');
  writeFileSync(configFile, RULES);
  const f = serviceFixture('postgres', { MEMSIDECAR_CONFIG: configFile });
  let bot: NatsTestClient;
  let botToken: string;

  beforeAll(async () => {
    botToken = f.service.token({ tenant: 'default', agent: 'bot-1', namespaces: ['*'], ops: ['*'], tokenId: 'bot-token-1' });
    bot = f.client.withToken(botToken);
    for (const key of ['a', 'b', 'c']) await f.client.ok('kv.put', { ns: 'notes', key, value: key });
  });

  it('a deny rule refuses a request/reply with its reason and changes nothing', async () => {
    const before = (await f.logOf('mem.evt.kv.>')).length;
    const reply = await bot.call('kv.delete', { ns: 'notes', key: 'a' });
    expect(reply.status).toBe(403);
    expect(reply.error).toMatchObject({ code: 'PERMISSION_DENIED', reason: 'POLICY_DENIED', details: { rule: 'bots-never-delete', reason: 'bots never delete' } });
    expect(reply.error!.message).toContain('bots never delete');
    expect(await f.client.ok('kv.get', { ns: 'notes', key: 'a' })).toMatchObject({ found: true });
    expect(await f.logOf('mem.evt.kv.>')).toHaveLength(before);
    // The admin, another agent, is not a bot.
    expect(await f.client.ok('kv.delete', { ns: 'notes', key: 'c' })).toMatchObject({ existed: true });
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

  it('streaming calls are under the policy: denied tails, capped tails', async () => {
    const denied = await f.client.stream('episodic.tail', { ns: 'private-notes', afterCursor: 0, maxMs: 200 });
    expect(denied.error).toMatchObject({ code: 'PERMISSION_DENIED', details: { rule: 'private-tails' } });

    for (let i = 0; i < 4; i++) await f.client.ok('episodic.append', { ns: 'public', type: 'note', payload: i });
    const over = await f.client.stream('episodic.tail', { ns: 'public', afterCursor: 0, maxEvents: 3, maxMs: 200 });
    expect(over.error).toMatchObject({ code: 'RESOURCE_EXHAUSTED', reason: 'CAP_EXCEEDED', details: { field: 'maxEvents', cap: 2 } });
    // Leaving maxEvents out does not escape the cap: the default is lowered to it.
    const capped = await f.client.stream('episodic.tail', { ns: 'public', afterCursor: 0, maxMs: 2000 });
    expect(capped.error).toBeUndefined();
    expect(capped.items.map((e) => e.cursor)).toEqual([1, 2]);

    const viaHttp = await fetch(`${f.service.httpUrl}/v1/episodic/tail`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.service.adminToken()}` },
      body: JSON.stringify({ ns: 'private-notes', afterCursor: 0, maxMs: 200 }),
    });
    expect(viaHttp.status).toBe(403);
    expect(((await viaHttp.json()) as { error: unknown }).error).toMatchObject({ reason: 'POLICY_DENIED' });
  });

  it('caps bound given values and lower defaults', async () => {
    await f.client.ok('kv.put', { ns: 'notes', key: 'd', value: 'd' });
    expect((await f.client.call('kv.list', { ns: 'notes', limit: 5 })).error).toMatchObject({ code: 'RESOURCE_EXHAUSTED', details: { field: 'limit', cap: 2 } });
    const page = await f.client.ok('kv.list', { ns: 'notes' });
    expect(page.items.map((i: { key: string }) => i.key)).toEqual(['a', 'b']);
    expect(page.nextStartAfter).toBe('b');
  });

  it('a rate limit counts per tenant, agent and namespace, then refuses with the retry time', async () => {
    const put = (c: NatsTestClient, i: number) => c.call('kv.put', { ns: 'limited', key: `k${i}`, value: i });
    for (let i = 0; i < 3; i++) expect((await put(bot, i)).ok).toBe(true);
    const refused = await put(bot, 3);
    expect(refused.status).toBe(429);
    expect(refused.error).toMatchObject({ code: 'RESOURCE_EXHAUSTED', reason: 'RATE_LIMITED', details: { rule: 'gentle-writers' } });
    expect(refused.error!.details!.retryAfterMs).toBeGreaterThan(0);
    expect(await f.client.ok('kv.get', { ns: 'limited', key: 'k3' })).toEqual({ found: false });
    // Another agent has a bucket of its own; another namespace is not limited.
    expect((await put(f.client, 3)).ok).toBe(true);
    expect((await bot.call('kv.put', { ns: 'unlimited', key: 'k', value: 1 })).ok).toBe(true);
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

    writeFileSync(configFile, RULES);
    f.service.signal('SIGHUP');
    expect(await waitFor(() => f.client.call('kv.list', { ns: 'notes' }), (r) => r.ok, 5000)).toMatchObject({ ok: true });
  });
});
