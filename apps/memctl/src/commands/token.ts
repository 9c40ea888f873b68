import { existsSync } from 'node:fs';
import type { MemsidecarConfig } from '@memsidecar/config';
import {
  generateSigningKeys,
  issueTokenWithRecord,
  parseJwtPublicKey,
  parsePublicKey,
  publicKeyHex,
  readSigningKeys,
  signingKeyPath,
  verifyBearerToken,
} from '@memsidecar/auth';
import { TRUST_LABELS, isTrustLabel } from '@memsidecar/core';
import { BLOCKS, NatsLog, openReadModelDatabase } from '@memsidecar/platform';
import { currentTokenListing, recordTokenIssued, revokeToken, tokensBlock, type TokenListing } from '@memsidecar/tokens';
import { UsageError, csv, optionalOption, parseDuration, requiredOption, type ParsedArgs } from '../args';
import { formatTable } from '../table';

const quiet = { log: () => {}, warn: (m: string) => console.error(m), error: (m: string) => console.error(m) };

/** Runs `work` on the log, joining a running service's embedded server rather than replacing it. */
async function withLog<T>(config: MemsidecarConfig, work: (log: NatsLog) => Promise<T>): Promise<T> {
  const log = await NatsLog.open(config, quiet, { joinRunning: true });
  try {
    return await work(log);
  } finally {
    await log.close();
  }
}

/** `memctl token keygen [--force]`: a new Ed25519 signing keypair in the data dir. */
export function keygen(config: MemsidecarConfig, args: ParsedArgs): void {
  if (existsSync(signingKeyPath(config.dataDir)) && !args.options.has('force')) {
    throw new UsageError(`a signing key already exists at ${signingKeyPath(config.dataDir)}; pass --force to replace it`);
  }
  const keys = generateSigningKeys(config.dataDir);
  console.log(`signing key written to ${signingKeyPath(config.dataDir)}`);
  console.log(`public key (hex): ${publicKeyHex(keys.publicKey)}`);
}

/**
 * `memctl token issue --tenant T --agent A --ns 'kv/*' --ops 'kv.*' --ttl 1h [--trust low|medium|high]`:
 * records the issuance in the log (what the token grants, never the token), then prints the token.
 */
export async function issue(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const keys = readSigningKeys(config.dataDir);
  if (!keys) throw new UsageError(`no signing key in ${config.dataDir}: run \`memctl token keygen\` or start the service once`);
  const ttl = optionalOption(args, 'ttl');
  const trust = optionalOption(args, 'trust');
  if (trust !== undefined && !isTrustLabel(trust)) throw new UsageError(`--trust must be one of ${TRUST_LABELS.join(', ')}`);
  const { token, issued } = issueTokenWithRecord(
    {
      tenant: requiredOption(args, 'tenant'),
      agent: optionalOption(args, 'agent'),
      namespaces: csv(requiredOption(args, 'ns')),
      ops: csv(requiredOption(args, 'ops')),
      ttlMs: ttl ? parseDuration(ttl) : undefined,
      tokenId: optionalOption(args, 'id'),
      trust,
    },
    keys.secretKey,
  );
  // Recorded first: a token that `token list` does not show is never handed out.
  const recorded = await withLog(config, (log) => recordTokenIssued(log.store, issued, 'memctl'));
  if (!recorded) throw new UsageError(`a token with id ${issued.tokenId} was issued before; token ids must be unique`);
  console.log(token);
}

/** `memctl token revoke --id ID [--reason R]`: recorded in the log; every instance refuses the token from then on. */
export async function revoke(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const tokenId = requiredOption(args, 'id');
  const revoked = await withLog(config, (log) => revokeToken(log.store, tokenId, optionalOption(args, 'reason') ?? '', 'memctl'));
  console.log(revoked ? `token ${tokenId} revoked` : `token ${tokenId} was already revoked`);
}

/** How long `token list` waits for the listing to hold the whole log. */
const LISTING_CATCH_UP_MS = 60_000;

/**
 * `memctl token list [--tenant T] [--json]`: every recorded token with its status, from the token
 * listing read model, first brought up to the log's end here (so a token just issued is listed,
 * whether or not the service runs). On Postgres that is the service's read model; an embedded
 * PGlite is never opened here (the service may hold it, with or without the embedded NATS server
 * memctl could tell it by), so the listing is filled from the log into a throw-away one instead.
 */
export async function list(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const tenant = optionalOption(args, 'tenant');
  const listings = await withLog(config, async (log) => {
    const db = config.databaseUrl
      ? await openReadModelDatabase(config, BLOCKS, { logger: quiet })
      : await openReadModelDatabase(config, [tokensBlock], { pgliteDir: 'memory://', logger: quiet });
    try {
      return await currentTokenListing(log.store, db, { now: new Date(), tenant, logger: quiet, timeoutMs: LISTING_CATCH_UP_MS });
    } finally {
      await db.close();
    }
  });
  if (args.options.has('json')) {
    for (const t of listings) console.log(JSON.stringify(t));
    return;
  }
  console.log(formatTable(['ID', 'TENANT', 'AGENT', 'OPS', 'NAMESPACES', 'ISSUED', 'EXPIRES', 'STATUS'], listings.map(tokenRow)));
}

const UNKNOWN = '?';

const tokenRow = (t: TokenListing): string[] => [
  t.tokenId,
  t.tenant ?? UNKNOWN,
  t.agent === null ? UNKNOWN : t.agent || '-',
  t.ops?.join(',') ?? UNKNOWN,
  t.namespaces?.join(',') ?? UNKNOWN,
  t.issuedAt ?? UNKNOWN,
  t.issuedAt === null ? UNKNOWN : (t.expiresAt ?? 'never'),
  t.status,
];

/** `memctl token inspect TOKEN`: checks the signature (PASETO or JWT) with the trusted keys and prints the claims. */
export async function inspect(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const token = args.words[2];
  if (!token) throw new UsageError('usage: memctl token inspect TOKEN');
  const own = readSigningKeys(config.dataDir);
  const { jwt } = config.auth;
  const capability = await verifyBearerToken(token, {
    publicKeys: [...(own ? [own.publicKey] : []), ...config.auth.publicKeys.map(parsePublicKey)],
    jwt: { publicKeys: jwt.publicKeys.map(parseJwtPublicKey), issuer: jwt.issuer, audience: jwt.audience },
  });
  console.log(JSON.stringify({ ...capability, expiresAt: capability.expiresAt?.toISOString() ?? null }, null, 2));
}
