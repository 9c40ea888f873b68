import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { generateSigningKeys, issueTokenWithRecord, parseJwtPublicKey, parsePublicKey, readSigningKeys, type IssuedToken, type JwtTrust, type TokenTrust } from '@memsidecar/auth';
import type { MemsidecarConfig } from '@memsidecar/config';

export const adminTokenPath = (dataDir: string): string => join(dataDir, 'admin.token');

export interface TrustedKeys extends TokenTrust {
  publicKeys: KeyObject[];
  /** Set when this start generated the data dir's keypair and wrote the admin token. */
  adminTokenWritten?: string;
  /** What the admin token written by this start grants, to be recorded in the log. */
  adminTokenIssued?: IssuedToken;
}

/**
 * The keys tokens are verified with: the data dir's own keypair plus any configured public keys,
 * and the JWT keys. On a first start in token mode with no key anywhere, a keypair and an admin
 * token are created.
 */
export function loadTrustedKeys(config: MemsidecarConfig): TrustedKeys {
  const configured = parseKeys(config.auth.publicKeys, 'auth.publicKeys', parsePublicKey);
  const jwt: JwtTrust = {
    publicKeys: parseKeys(config.auth.jwt.publicKeys, 'auth.jwt.publicKeys', parseJwtPublicKey),
    issuer: config.auth.jwt.issuer,
    audience: config.auth.jwt.audience,
  };
  let own = readSigningKeys(config.dataDir);
  if (own || config.auth.mode !== 'token' || configured.length > 0) {
    return { publicKeys: [...(own ? [own.publicKey] : []), ...configured], jwt };
  }
  own = generateSigningKeys(config.dataDir);
  const path = adminTokenPath(config.dataDir);
  let adminTokenIssued: IssuedToken | undefined;
  if (!existsSync(path)) {
    const admin = issueTokenWithRecord({ tenant: 'default', agent: 'admin', namespaces: ['*'], ops: ['*'], tokenId: 'admin' }, own.secretKey);
    writeFileSync(path, `${admin.token}\n`, { mode: 0o600 });
    adminTokenIssued = admin.issued;
  }
  return { publicKeys: [own.publicKey], jwt, adminTokenWritten: path, adminTokenIssued };
}

function parseKeys(texts: string[], setting: string, parse: (text: string) => KeyObject): KeyObject[] {
  return texts.map((text, i) => {
    try {
      return parse(text);
    } catch (e) {
      throw new Error(`${setting}[${i}]: ${(e as Error).message}`);
    }
  });
}
