import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { generateSigningKeys, issueToken, parsePublicKey, readSigningKeys } from '@memsidecar/auth';
import type { MemsidecarConfig } from '@memsidecar/config';

export const adminTokenPath = (dataDir: string): string => join(dataDir, 'admin.token');

export interface TrustedKeys {
  publicKeys: KeyObject[];
  /** Set when this start generated the data dir's keypair and wrote the admin token. */
  adminTokenWritten?: string;
}

/**
 * The keys tokens are verified with: the data dir's own keypair plus any configured public keys.
 * On a first start in token mode with no key anywhere, a keypair and an admin token are created.
 */
export function loadTrustedKeys(config: MemsidecarConfig): TrustedKeys {
  const configured = config.auth.publicKeys.map((k, i) => {
    try {
      return parsePublicKey(k);
    } catch (e) {
      throw new Error(`auth.publicKeys[${i}]: ${(e as Error).message}`);
    }
  });
  let own = readSigningKeys(config.dataDir);
  if (own || config.auth.mode !== 'token' || configured.length > 0) {
    return { publicKeys: [...(own ? [own.publicKey] : []), ...configured] };
  }
  own = generateSigningKeys(config.dataDir);
  const path = adminTokenPath(config.dataDir);
  if (!existsSync(path)) {
    const token = issueToken({ tenant: 'default', agent: 'admin', namespaces: ['*'], ops: ['*'], tokenId: 'admin' }, own.secretKey);
    writeFileSync(path, `${token}\n`, { mode: 0o600 });
  }
  return { publicKeys: [own.publicKey], adminTokenWritten: path };
}
