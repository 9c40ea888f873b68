import { existsSync } from 'node:fs';
import type { MemsidecarConfig } from '@memsidecar/config';
import { generateSigningKeys, issueToken, publicKeyHex, readSigningKeys, signingKeyPath } from '@memsidecar/auth';
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
