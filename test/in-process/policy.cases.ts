import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { InProcessService } from '@memsidecar/testing';
import type { InProcessCases } from '../support/in-process';

/** The rules of the policy specs, in process and end to end (the MCP rule matters only there). */
export const POLICY_RULES = `
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

/** The environment of a service whose config file holds the rules these cases expect. */
export function policyEnv(): Record<string, string> {
  const configFile = join(mkdtempSync(join(tmpdir(), 'memsidecar-policy-')), 'memsidecar.yaml');
  writeFileSync(configFile, POLICY_RULES);
  return { MEMSIDECAR_CONFIG: configFile };
}

/**
 * The policy's rules (deny, rate limits, caps) applied by the dispatcher to every request, read
 * from the config file as the service reads it, on a manual clock; declared on PGlite
 * (policy.spec.ts) and on Postgres (policy.int.spec.ts). The transports (fire-and-forget, HTTP,
 * MCP), the access log and reloading on SIGHUP stay in test/policy.e2e.spec.ts.
 */
export const policyCases: InProcessCases = (service) => {
  let svc: InProcessService;
  const bot = { agent: 'bot-1', tokenId: 'bot-token-1' };
  beforeAll(async () => {
    svc = service();
    for (const key of ['a', 'b', 'c']) await svc.ok('kv.put', { ns: 'notes', key, value: key });
  });

  it('a deny rule refuses a request with its reason and changes nothing', async () => {
    const reply = await svc.when('kv.delete', { ns: 'notes', key: 'a' }, { principal: bot });
    expect(reply).toMatchObject({
      ok: false,
      error: { code: 'PERMISSION_DENIED', reason: 'POLICY_DENIED', details: { rule: 'bots-never-delete', reason: 'bots never delete' } },
      events: [],
    });
    expect(reply.error!.message).toContain('bots never delete');
    expect(await svc.ok('kv.get', { ns: 'notes', key: 'a' })).toMatchObject({ found: true });
    // Another agent is not a bot.
    expect(await svc.ok('kv.delete', { ns: 'notes', key: 'c' })).toMatchObject({ existed: true });
  });

  it('streaming calls are under the policy: denied tails, capped tails', async () => {
    const denied = await svc.stream('episodic.tail', { ns: 'private-notes', afterCursor: 0, maxMs: 200 });
    expect(denied).toMatchObject({ items: [], error: { code: 'PERMISSION_DENIED', details: { rule: 'private-tails' } } });

    for (let i = 0; i < 4; i++) await svc.ok('episodic.append', { ns: 'public', type: 'note', payload: i });
    const over = await svc.stream('episodic.tail', { ns: 'public', afterCursor: 0, maxEvents: 3, maxMs: 200 });
    expect(over).toMatchObject({ items: [], error: { code: 'RESOURCE_EXHAUSTED', reason: 'CAP_EXCEEDED', details: { field: 'maxEvents', cap: 2 } } });
    // Leaving maxEvents out does not escape the cap: the default is lowered to it.
    const capped = await svc.stream('episodic.tail', { ns: 'public', afterCursor: 0, maxMs: 2000 });
    expect(capped.error).toBeUndefined();
    expect(capped.items.map((e) => e.cursor)).toEqual([1, 2]);
  });

  it('caps bound given values and lower defaults', async () => {
    await svc.ok('kv.put', { ns: 'notes', key: 'd', value: 'd' });
    expect(await svc.when('kv.list', { ns: 'notes', limit: 5 })).toMatchObject({ error: { code: 'RESOURCE_EXHAUSTED', details: { field: 'limit', cap: 2 } } });
    const page = await svc.ok('kv.list', { ns: 'notes' });
    expect(page.items.map((i: { key: string }) => i.key)).toEqual(['a', 'b']);
    expect(page.nextStartAfter).toBe('b');
  });

  it('a rate limit counts per tenant, agent and namespace, then refuses with the retry time', async () => {
    const put = (i: number, principal = {}) => svc.when('kv.put', { ns: 'limited', key: `k${i}`, value: i }, { principal });
    for (let i = 0; i < 3; i++) expect((await put(i, bot)).ok).toBe(true);
    const refused = await put(3, bot);
    expect(refused).toMatchObject({ ok: false, error: { code: 'RESOURCE_EXHAUSTED', reason: 'RATE_LIMITED', details: { rule: 'gentle-writers' } }, events: [] });
    const retryAfterMs = refused.error!.details!.retryAfterMs as number;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(await svc.ok('kv.get', { ns: 'limited', key: 'k3' })).toEqual({ found: false });
    // Another agent has a bucket of its own; another namespace is not limited.
    expect((await put(3)).ok).toBe(true);
    expect((await svc.when('kv.put', { ns: 'unlimited', key: 'k', value: 1 }, { principal: bot })).ok).toBe(true);
    // The retry time is when the bucket holds a token again.
    await svc.clock.advance(retryAfterMs - 1);
    expect(await put(4, bot)).toMatchObject({ error: { reason: 'RATE_LIMITED' } });
    await svc.clock.advance(1);
    expect((await put(4, bot)).ok).toBe(true);
  });
};
