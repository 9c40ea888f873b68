import type { BlockDefinition } from '@memsidecar/api';
import { TokenEntry } from './token-entry.entity';
import { tokensProjection } from './tokens.projection';
import { AuthTokens1764806400100 } from './migrations/1764806400100-auth-tokens';

/**
 * Tokens (block `auth`): the listing read model only. Tokens are issued and revoked by memctl
 * (`tokens.records.ts`), never through an operation, and the service follows revocations with
 * its `RevocationList`.
 */
export const tokensBlock: BlockDefinition = {
  name: 'auth',
  entities: [TokenEntry],
  migrations: [AuthTokens1764806400100],
  projections: [tokensProjection],
  operations: () => [],
};
