import { z } from 'zod';

/** Request fields a `cap` rule can bound. */
export const CAPPED_FIELDS = ['topK', 'limit', 'maxEvents', 'maxMs', 'waitMs', 'maxRows', 'ttlMs', 'depth', 'maxNodes', 'fanOut'] as const;
export type CappedField = (typeof CAPPED_FIELDS)[number];

export const RATE_DIMENSIONS = ['tenant', 'agent', 'namespace', 'op'] as const;
export type RateDimension = (typeof RATE_DIMENSIONS)[number];

const patterns = z.array(z.string().min(1).max(256)).min(1);

const match = z
  .strictObject({
    tenants: patterns.optional(),
    agents: patterns.optional(),
    /** Fully qualified ops (`kv.put`), `<block>.*` or `*`. */
    ops: patterns.optional(),
    /** `<block>/<ns>` with exact names, `*` or a trailing `*`. */
    namespaces: patterns.optional(),
    transports: z.array(z.enum(['nats', 'http', 'mcp', 'grpc'])).min(1).optional(),
  })
  .default({});

const bound = z.number().int().min(0).optional();

const common = { name: z.string().min(1).max(128), reason: z.string().max(512).optional(), match };

const caps = z
  .strictObject({
    topK: bound,
    limit: bound,
    maxEvents: bound,
    maxMs: bound,
    waitMs: bound,
    maxRows: bound,
    ttlMs: bound,
    /** `graph.traverse`'s breadth-first walk. */
    depth: bound,
    maxNodes: bound,
    fanOut: bound,
    /** Size of the request body in bytes. */
    bodyBytes: z.number().int().min(1).optional(),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), 'a cap rule needs at least one cap');

const rule = z.discriminatedUnion('effect', [
  z.strictObject({ ...common, effect: z.literal('allow') }),
  z.strictObject({ ...common, effect: z.literal('deny') }),
  z.strictObject({
    ...common,
    effect: z.literal('rate_limit'),
    rate: z.strictObject({
      perSecond: z.number().positive(),
      /** Bucket size: how many requests may come at once; defaults to one second's worth. */
      burst: z.number().int().positive().optional(),
      /** What one bucket counts; default: per tenant and agent. */
      by: z.array(z.enum(RATE_DIMENSIONS)).default(['tenant', 'agent']),
    }),
  }),
  z.strictObject({ ...common, effect: z.literal('cap'), caps }),
]);

export const policySchema = z
  .strictObject({
    /** What happens when no allow or deny rule matches. */
    default: z.enum(['allow', 'deny']).default('allow'),
    rules: z.array(rule).default([]),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.rules.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule name "${r.name}"` });
      seen.add(r.name);
    });
  });

export type Policy = z.infer<typeof policySchema>;
export type PolicyRule = Policy['rules'][number];
export type RuleMatch = PolicyRule['match'];

export class PolicyError extends Error {}

/** Validates a policy as written in YAML; the error names the first bad setting by its path. */
export function parsePolicy(raw: unknown): Policy {
  const parsed = policySchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = ['policy', ...issue.path].map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  throw new PolicyError(`${path}: ${issue.message}`);
}

export const ALLOW_ALL: Policy = { default: 'allow', rules: [] };
