import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NO_JWT, issueToken } from '@memsidecar/auth';
import { Authenticator } from './authenticator';

const paseto = generateKeyPairSync('ed25519');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const now = new Date();
const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function rs256(claims: object): string {
  const input = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), rsa.privateKey).toString('base64url')}`;
}

const jwt = rs256({ tenant: 'acme', sub: 'planner', ns: ['kv/*'], ops: ['kv.*'], jti: 'jwt-1', exp: Math.floor(now.getTime() / 1000) + 600 });
const trusting = () => new Authenticator('token', [paseto.publicKey], undefined, { publicKeys: [rsa.publicKey] });

describe('api - authenticator', () => {
  it('accepts PASETO tokens and JWTs, and refuses what neither key signed', async () => {
    const auth = trusting();
    expect((await auth.authenticate(`Bearer ${issueToken({ tenant: 'acme', namespaces: ['*'], ops: ['*'] }, paseto.privateKey)}`, now)).tenant).toBe('acme');
    expect(await auth.authenticate(`Bearer ${jwt}`, now)).toMatchObject({ tenant: 'acme', agent: 'planner', tokenId: 'jwt-1' });
    const foreign = issueToken({ tenant: 'acme', namespaces: ['*'], ops: ['*'] }, generateKeyPairSync('ed25519').privateKey);
    await expect(auth.authenticate(`Bearer ${foreign}`, now)).rejects.toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    await expect(auth.authenticate(undefined, now)).rejects.toThrow(/missing token/);
  });

  it('does not remember a token checked against keys replaced meanwhile', async () => {
    const auth = trusting();
    const inFlight = auth.authenticate(`Bearer ${jwt}`, now);
    auth.setPublicKeys([paseto.publicKey], NO_JWT);
    expect((await inFlight).tenant).toBe('acme');
    await expect(auth.authenticate(`Bearer ${jwt}`, now)).rejects.toThrow(/no JWT keys are configured/);
  });
});
