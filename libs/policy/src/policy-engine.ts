import { MemError, assertNever, matchesPattern } from '@memsidecar/core';
import { ALLOW_ALL, CAPPED_FIELDS, type CappedField, type Policy, type PolicyRule, type RuleMatch } from './policy';
import { TokenBuckets } from './token-bucket';

/** The facts of one authenticated request a policy decides on. */
export interface PolicyRequest {
  tenant: string;
  agent: string;
  /** Fully qualified op: `kv.put`. */
  op: string;
  /** `<block>/<ns>`, as token scopes name it. */
  namespace: string;
  transport: string;
  /** The validated request; `cap` rules read the fields they bound. */
  input: object;
  /** Size of the request body in bytes, computed only when a rule bounds it. */
  bodyBytes(): number;
}

/** Upper bounds in force for one request; operations also lower their defaults to them. */
export type Caps = Partial<Record<CappedField, number>>;

/**
 * Applies the ordered rules of a policy to a request. The first matching `allow` or `deny` ends
 * the evaluation; matching `rate_limit` and `cap` rules apply and evaluation falls through to the
 * next rule; when no allow or deny matches, the policy's default decides.
 */
export class PolicyEngine {
  private readonly buckets = new TokenBuckets();

  constructor(private policy: Policy = ALLOW_ALL) {}

  /** A reloaded policy takes effect for the next request; rate-limit buckets start full again. */
  replace(policy: Policy): void {
    this.policy = policy;
    this.buckets.clear();
  }

  get ruleCount(): number {
    return this.policy.rules.length;
  }

  /** Throws the contract's error when the policy refuses the request; returns the caps in force. */
  apply(request: PolicyRequest, nowMs: number): Caps {
    const caps: Caps = {};
    for (const rule of this.policy.rules) {
      if (!matches(rule.match, request)) continue;
      switch (rule.effect) {
        case 'allow':
          return caps;
        case 'deny':
          throw refusal(rule, `policy rule "${rule.name}" denies ${request.op} on ${request.namespace}`);
        case 'rate_limit': {
          const { perSecond, burst, by } = rule.rate;
          const key = [rule.name, ...by.map((d) => (d === 'namespace' ? request.namespace : request[d]))].join('\u0000');
          const retryAfterMs = this.buckets.take(key, perSecond, burst ?? Math.max(1, Math.ceil(perSecond)), nowMs);
          if (retryAfterMs > 0) {
            throw new MemError('RESOURCE_EXHAUSTED', withReason(rule, `rate limit of policy rule "${rule.name}" reached; retry in ${retryAfterMs} ms`), 'RATE_LIMITED', {
              rule: rule.name,
              retryAfterMs,
            });
          }
          break;
        }
        case 'cap':
          enforceCaps(rule, request, caps);
          break;
        default:
          assertNever(rule);
      }
    }
    if (this.policy.default === 'deny') {
      throw new MemError('PERMISSION_DENIED', `no policy rule allows ${request.op} on ${request.namespace} (the policy's default is deny)`, 'POLICY_DENIED', {
        rule: 'default',
      });
    }
    return caps;
  }
}

const withReason = (rule: PolicyRule, message: string): string => (rule.reason ? `${message}: ${rule.reason}` : message);

const refusal = (rule: PolicyRule, message: string): MemError =>
  new MemError('PERMISSION_DENIED', withReason(rule, message), 'POLICY_DENIED', { rule: rule.name, ...(rule.reason ? { reason: rule.reason } : {}) });

function matches(match: RuleMatch, r: PolicyRequest): boolean {
  const any = (patterns: readonly string[] | undefined, value: string) => !patterns || patterns.some((p) => matchesPattern(p, value));
  return (
    any(match.tenants, r.tenant) &&
    any(match.agents, r.agent) &&
    any(match.ops, r.op) &&
    any(match.namespaces, r.namespace) &&
    any(match.transports, r.transport)
  );
}

function enforceCaps(rule: Extract<PolicyRule, { effect: 'cap' }>, request: PolicyRequest, caps: Caps): void {
  const input = request.input as Record<string, unknown>;
  for (const field of CAPPED_FIELDS) {
    const cap = rule.caps[field];
    if (cap === undefined) continue;
    const value = input[field];
    if (typeof value === 'number' && value > cap) {
      throw new MemError('RESOURCE_EXHAUSTED', withReason(rule, `${field}: ${value} is over the cap of ${cap} set by policy rule "${rule.name}"`), 'CAP_EXCEEDED', {
        field,
        cap,
        rule: rule.name,
      });
    }
    caps[field] = Math.min(cap, caps[field] ?? cap);
  }
  const maxBytes = rule.caps.bodyBytes;
  if (maxBytes !== undefined) {
    const bytes = request.bodyBytes();
    if (bytes > maxBytes) {
      throw new MemError('RESOURCE_EXHAUSTED', withReason(rule, `body: ${bytes} bytes is over the cap of ${maxBytes} set by policy rule "${rule.name}"`), 'CAP_EXCEEDED', {
        field: 'body',
        cap: maxBytes,
        rule: rule.name,
      });
    }
  }
}
