import { existsSync } from 'node:fs';
import type { MemsidecarConfig } from '@memsidecar/config';
import { generateSigningKeys, issueToken, parsePublicKey, publicKeyHex, readSigningKeys, signingKeyPath, verifyToken } from '@memsidecar/auth';
import { revokeToken } from '@memsidecar/api';
import { EventLog } from '@memsidecar/platform';
import { UsageError, csv, optionalOption, parseDuration, requiredOption, type ParsedArgs } from '../args';

/** `memctl token keygen [--force]`: a new Ed25519 signing keypair in the data dir. */
export function keygen(config: MemsidecarConfig, args: ParsedArgs): void {
  if (existsSync(signingKeyPath(config.dataDir)) && !args.options.has('force')) {
    throw new UsageError(`a signing key already exists at ${signingKeyPath(config.dataDir)}; pass --force to replace it`);
  }
  const keys = generateSigningKeys(config.dataDir);
  console.log(`signing key written to ${signingKeyPath(config.dataDir)}`);
  console.log(`public key (hex): ${publicKeyHex(keys.publicKey)}`);
}

/** `memctl token issue --tenant T --agent A --ns 'kv/*' --ops 'kv.*' --ttl 1h`: prints a token. */
export function issue(config: MemsidecarConfig, args: ParsedArgs): void {
  const keys = readSigningKeys(config.dataDir);
  if (!keys) throw new UsageError(`no signing key in ${config.dataDir}: run \`memctl token keygen\` or start the service once`);
  const ttl = optionalOption(args, 'ttl');
  const token = issueToken(
    {
      tenant: requiredOption(args, 'tenant'),
      agent: optionalOption(args, 'agent'),
      namespaces: csv(requiredOption(args, 'ns')),
      ops: csv(requiredOption(args, 'ops')),
      ttlMs: ttl ? parseDuration(ttl) : undefined,
      tokenId: optionalOption(args, 'id'),
    },
    keys.secretKey,
  );
  console.log(token);
}

/** `memctl token revoke --id ID [--reason R]`: recorded in the log; every instance refuses the token from then on. */
export async function revoke(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const tokenId = requiredOption(args, 'id');
  const quiet = { log: () => {}, warn: (m: string) => console.error(m), error: (m: string) => console.error(m) };
  const log = await EventLog.open(config, quiet, { joinRunning: true });
  try {
    const revoked = await revokeToken(log.store, tokenId, optionalOption(args, 'reason') ?? '', 'memctl');
    console.log(revoked ? `token ${tokenId} revoked` : `token ${tokenId} was already revoked`);
  } finally {
    await log.close();
  }
}

/** `memctl token inspect TOKEN`: checks the signature with the trusted keys and prints the claims. */
export function inspect(config: MemsidecarConfig, args: ParsedArgs): void {
  const token = args.words[2];
  if (!token) throw new UsageError('usage: memctl token inspect TOKEN');
  const own = readSigningKeys(config.dataDir);
  const keys = [...(own ? [own.publicKey] : []), ...config.auth.publicKeys.map(parsePublicKey)];
  const capability = verifyToken(token, keys);
  console.log(JSON.stringify({ ...capability, expiresAt: capability.expiresAt?.toISOString() ?? null }, null, 2));
}
