import { describe, expect, it } from 'vitest';
import { MemError } from '@memsidecar/core';
import { PolicyEngine, type PolicyRequest } from './policy-engine';
import { parsePolicy } from './policy';

const request = (over: Partial<PolicyRequest> = {}): PolicyRequest => ({
  tenant: 'acme',
  agent: 'planner',
  op: 'kv.get',
  namespace: 'kv/notes',
  transport: 'nats',
  input: {},
  bodyBytes: () => 10,
  ...over,
});

const engine = (yaml: object) => new PolicyEngine(parsePolicy(yaml));

const refusal = (run: () => unknown): MemError => {
  try {
    run();
  } catch (e) {
    if (e instanceof MemError) return e;
    throw e;
  }
  throw new Error('expected the policy to refuse the request');
};

describe('policy - parsing', () => {
  it('defaults to allow with no rules', () => {
    expect(parsePolicy(undefined)).toEqual({ default: 'allow', rules: [] });
  });

  it('names the first bad setting by its path', () => {
    expect(() => parsePolicy({ rules: [{ name: 'a', effect: 'allow' }, { name: 'b', effect: 'permit' }] })).toThrow(/^policy\.rules\[1\]\.effect: /);
    expect(() => parsePolicy({ rules: [{ name: 'a', effect: 'allow', match: { op: ['kv.get'] } }] })).toThrow(/^policy\.rules\[0\]\.match: .*op/);
    expect(() => parsePolicy({ default: 'maybe' })).toThrow(/^policy\.default: /);
    expect(() => parsePolicy({ rules: [{ name: 'c', effect: 'cap', caps: {} }] })).toThrow(/needs at least one cap/);
    expect(() => parsePolicy({ rules: [{ name: 'r', effect: 'rate_limit', rate: { perSecond: 0 } }] })).toThrow(/^policy\.rules\[0\]\.rate\.perSecond: /);
  });

  it('refuses two rules of the same name', () => {
    expect(() => parsePolicy({ rules: [{ name: 'x', effect: 'allow' }, { name: 'x', effect: 'deny' }] })).toThrow(/rules\[1\]\.name: duplicate rule name "x"/);
  });
});

describe('policy - allow and deny', () => {
  it('the first matching allow or deny wins, in order', () => {
    const denyFirst = engine({ rules: [{ name: 'no-puts', effect: 'deny', reason: 'read only', match: { ops: ['kv.put'] } }, { name: 'all', effect: 'allow' }] });
    const e = refusal(() => denyFirst.apply(request({ op: 'kv.put' }), 0));
    expect(e).toMatchObject({ code: 'PERMISSION_DENIED', reason: 'POLICY_DENIED', details: { rule: 'no-puts', reason: 'read only' } });
    expect(e.message).toContain('read only');
    expect(denyFirst.apply(request({ op: 'kv.get' }), 0)).toEqual({});

    const allowFirst = engine({ rules: [{ name: 'all', effect: 'allow' }, { name: 'no-puts', effect: 'deny', match: { ops: ['kv.put'] } }] });
    expect(allowFirst.apply(request({ op: 'kv.put' }), 0)).toEqual({});
  });

  it('the default decides when no allow or deny matches', () => {
    const closed = engine({ default: 'deny', rules: [{ name: 'readers', effect: 'allow', match: { ops: ['kv.get', 'kv.list'] } }] });
    expect(closed.apply(request({ op: 'kv.list' }), 0)).toEqual({});
    expect(refusal(() => closed.apply(request({ op: 'kv.put' }), 0))).toMatchObject({ code: 'PERMISSION_DENIED', reason: 'POLICY_DENIED', details: { rule: 'default' } });
    expect(engine({ default: 'allow' }).apply(request(), 0)).toEqual({});
  });

  it('matches every listed dimension, with exact, * and trailing-* patterns', () => {
    const p = engine({
      rules: [
        {
          name: 'bots-off-prod',
          effect: 'deny',
          match: { tenants: ['acme'], agents: ['bot-*'], ops: ['kv.*'], namespaces: ['kv/prod-*'], transports: ['http', 'mcp'] },
        },
      ],
    });
    const hit = request({ agent: 'bot-7', op: 'kv.delete', namespace: 'kv/prod-eu', transport: 'mcp' });
    expect(refusal(() => p.apply(hit, 0)).details).toMatchObject({ rule: 'bots-off-prod' });
    for (const miss of [{ tenant: 'other' }, { agent: 'human' }, { op: 'episodic.append' }, { namespace: 'kv/dev' }, { transport: 'nats' }]) {
      expect(p.apply({ ...hit, ...miss }, 0)).toEqual({});
    }
  });
});

describe('policy - rate limits', () => {
  const limited = (rate: object, rest: object[] = []) => engine({ rules: [{ name: 'rl', effect: 'rate_limit', reason: 'be gentle', rate }, ...rest] });

  it('lets a burst through, then refuses with the retry time until tokens flow back', () => {
    const p = limited({ perSecond: 2, burst: 3 });
    for (let i = 0; i < 3; i++) p.apply(request(), 1000);
    const e = refusal(() => p.apply(request(), 1000));
    expect(e).toMatchObject({ code: 'RESOURCE_EXHAUSTED', reason: 'RATE_LIMITED', details: { rule: 'rl', retryAfterMs: 500 } });
    expect(e.message).toContain('be gentle');
    expect(refusal(() => p.apply(request(), 1400)).details).toMatchObject({ retryAfterMs: 100 });
    expect(p.apply(request(), 1500)).toEqual({});
    expect(() => p.apply(request(), 1500)).toThrow(MemError);
  });

  it('keeps one bucket per value of the `by` dimensions', () => {
    const p = limited({ perSecond: 1, burst: 1, by: ['tenant', 'namespace'] });
    p.apply(request({ namespace: 'kv/a' }), 0);
    p.apply(request({ namespace: 'kv/b' }), 0);
    p.apply(request({ tenant: 'other', namespace: 'kv/a' }), 0);
    // The agent is not a dimension here: another agent shares the bucket.
    expect(() => p.apply(request({ agent: 'someone-else', namespace: 'kv/a' }), 0)).toThrow(/rate limit/);
  });

  it('falls through to later rules, and does not apply after an allow', () => {
    const before = engine({ default: 'deny', rules: [{ name: 'rl', effect: 'rate_limit', rate: { perSecond: 1, burst: 1 } }, { name: 'ok', effect: 'allow' }] });
    before.apply(request(), 0);
    expect(refusal(() => before.apply(request(), 0)).reason).toBe('RATE_LIMITED');

    const after = engine({ rules: [{ name: 'ok', effect: 'allow' }, { name: 'rl', effect: 'rate_limit', rate: { perSecond: 1, burst: 1 } }] });
    for (let i = 0; i < 5; i++) after.apply(request(), 0);
  });

  it('a reloaded policy starts with full buckets', () => {
    const p = limited({ perSecond: 1, burst: 1 });
    p.apply(request(), 0);
    expect(() => p.apply(request(), 0)).toThrow(MemError);
    p.replace(parsePolicy({ rules: [{ name: 'rl', effect: 'rate_limit', rate: { perSecond: 1, burst: 1 } }] }));
    expect(p.apply(request(), 0)).toEqual({});
  });
});

describe('policy - caps', () => {
  it('refuses a given value over the cap, naming the field, and returns the tightest caps in force', () => {
    const p = engine({
      rules: [
        { name: 'small-pages', effect: 'cap', reason: 'keep replies small', caps: { limit: 50, topK: 20 } },
        { name: 'smaller-for-bots', effect: 'cap', match: { agents: ['bot-*'] }, caps: { limit: 10 } },
      ],
    });
    expect(p.apply(request({ input: { limit: 50 } }), 0)).toEqual({ limit: 50, topK: 20 });
    expect(p.apply(request({ agent: 'bot-1', input: {} }), 0)).toEqual({ limit: 10, topK: 20 });
    const e = refusal(() => p.apply(request({ input: { topK: 21 } }), 0));
    expect(e).toMatchObject({ code: 'RESOURCE_EXHAUSTED', reason: 'CAP_EXCEEDED', details: { field: 'topK', cap: 20, rule: 'small-pages' } });
    expect(e.message).toMatch(/^topK: 21 is over the cap of 20.*keep replies small/);
    expect(refusal(() => p.apply(request({ agent: 'bot-1', input: { limit: 11 } }), 0)).details).toMatchObject({ field: 'limit', cap: 10 });
  });

  it('bounds waits and request sizes', () => {
    const p = engine({ rules: [{ name: 'bounded', effect: 'cap', caps: { waitMs: 1000, bodyBytes: 100 } }] });
    expect(refusal(() => p.apply(request({ op: 'lease.acquire', input: { waitMs: 5000 } }), 0)).details).toMatchObject({ field: 'waitMs', cap: 1000 });
    expect(refusal(() => p.apply(request({ bodyBytes: () => 101 }), 0)).details).toMatchObject({ field: 'body', cap: 100 });
    expect(p.apply(request({ bodyBytes: () => 100, input: { waitMs: 1000 } }), 0)).toEqual({ waitMs: 1000 });
  });

  it('a deny after a cap still denies; a cap after an allow does not apply', () => {
    const p = engine({ rules: [{ name: 'c', effect: 'cap', caps: { limit: 5 } }, { name: 'd', effect: 'deny', match: { ops: ['kv.list'] } }] });
    expect(refusal(() => p.apply(request({ op: 'kv.list', input: { limit: 1 } }), 0)).details).toMatchObject({ rule: 'd' });
    const q = engine({ rules: [{ name: 'ok', effect: 'allow' }, { name: 'c', effect: 'cap', caps: { limit: 5 } }] });
    expect(q.apply(request({ input: { limit: 500 } }), 0)).toEqual({});
  });
});
