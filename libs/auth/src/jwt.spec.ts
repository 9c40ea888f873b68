import { createHmac, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { SignJWT, exportSPKI, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyBearerToken } from './bearer';
import { issueToken } from './capability';
import { looksLikeJwt, parseJwtPublicKey, verifyJwt, type JwtTrust } from './jwt';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const otherEd = generateKeyPairSync('ed25519');

const now = new Date('2030-01-01T00:00:00Z');
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
const claims = { tenant: 'acme', sub: 'planner', ns: ['kv/notes', 'kv/tool-*'], ops: ['kv.*'], jti: 'jwt-1', exp: seconds(now) + 600 };
const trust = (...keys: KeyObject[]): JwtTrust => ({ publicKeys: keys });

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A JWT signed with node:crypto as the key's type dictates, whatever the header claims, so tests
 * can build what a hostile issuer would.
 */
function jwt(payload: object, key: KeyObject, header: Record<string, unknown> = {}): string {
  const rsaKey = key.asymmetricKeyType === 'rsa';
  const input = `${part({ alg: rsaKey ? 'RS256' : 'EdDSA', typ: 'JWT', ...header })}.${part(payload)}`;
  const signature = sign(rsaKey ? 'sha256' : null, Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

const refused = (token: string, t: JwtTrust, message: string | RegExp) =>
  expect(verifyJwt(token, t, now)).rejects.toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED', message: expect.stringMatching(message) }));

describe('auth - JWT capability tokens', () => {
  it('accepts RS256 and maps the claims onto a capability (agent from sub, jti as token id)', async () => {
    expect(await verifyJwt(jwt(claims, rsa.privateKey), trust(rsa.publicKey), now)).toEqual({
      tenant: 'acme',
      agent: 'planner',
      namespaces: ['kv/notes', 'kv/tool-*'],
      ops: ['kv.*'],
      tokenId: 'jwt-1',
      expiresAt: new Date((seconds(now) + 600) * 1000),
    });
  });

  it('accepts EdDSA, and an agent claim wins over sub', async () => {
    const cap = await verifyJwt(jwt({ ...claims, agent: 'bot', exp: undefined }, ed.privateKey), trust(rsa.publicKey, ed.publicKey), now);
    expect(cap).toMatchObject({ tenant: 'acme', agent: 'bot', expiresAt: null });
    // RFC 9864's fully specified name for the same algorithm.
    expect((await verifyJwt(jwt(claims, ed.privateKey, { alg: 'Ed25519' }), trust(ed.publicKey), now)).tenant).toBe('acme');
  });

  it('refuses a token not signed by a trusted key, or checked against the wrong key type', async () => {
    await refused(jwt(claims, otherRsa.privateKey), trust(rsa.publicKey, ed.publicKey), /not signed by a trusted RS256 key/);
    await refused(jwt(claims, otherEd.privateKey), trust(rsa.publicKey, ed.publicKey), /not signed by a trusted EdDSA key/);
    // A signature labelled with the other algorithm is never tried against the key that made it.
    await refused(jwt(claims, ed.privateKey, { alg: 'RS256' }), trust(rsa.publicKey, ed.publicKey), /not signed by a trusted RS256 key/);
    await refused(jwt(claims, rsa.privateKey, { alg: 'EdDSA' }), trust(rsa.publicKey, ed.publicKey), /not signed by a trusted EdDSA key/);
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const [header, , signature] = jwt(claims, rsa.privateKey).split('.');
    await refused(`${header}.${part({ ...claims, ops: ['*'] })}.${signature}`, trust(rsa.publicKey), /not signed by a trusted/);
  });

  it('refuses alg none, HS256 (even keyed with the public key) and every other algorithm', async () => {
    await refused(`${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`, trust(rsa.publicKey), /alg "none" is not accepted/);
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
    const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
    const hs256 = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    await refused(hs256, trust(rsa.publicKey), /alg "HS256" is not accepted/);
    for (const alg of ['RS512', 'PS256', 'ES256', 'none ', 'rs256', null]) {
      await refused(jwt(claims, rsa.privateKey, { alg }), trust(rsa.publicKey), /is not accepted \(RS256 or EdDSA only\)/);
    }
    await refused(jwt(claims, rsa.privateKey, { crit: ['b64'] }), trust(rsa.publicKey), /crit/);
  });

  it('checks exp and nbf as NumericDates', async () => {
    await refused(jwt({ ...claims, exp: seconds(now) }, rsa.privateKey), trust(rsa.publicKey), /token expired/);
    await refused(jwt({ ...claims, nbf: seconds(now) + 60 }, rsa.privateKey), trust(rsa.publicKey), /not valid yet/);
    await refused(jwt({ ...claims, exp: now.toISOString() }, rsa.privateKey), trust(rsa.publicKey), /exp claim is not a NumericDate/);
    expect((await verifyJwt(jwt({ ...claims, nbf: seconds(now) - 60 }, rsa.privateKey), trust(rsa.publicKey), now)).tenant).toBe('acme');
  });

  it('holds a fractional exp to the millisecond, and iat to a NumericDate as well', async () => {
    const halfSecondLater = new Date(now.getTime() + 500);
    await expect(verifyJwt(jwt({ ...claims, exp: seconds(now) + 0.2 }, rsa.privateKey), trust(rsa.publicKey), halfSecondLater)).rejects.toThrow(/token expired/);
    expect((await verifyJwt(jwt({ ...claims, exp: seconds(now) + 0.8 }, rsa.privateKey), trust(rsa.publicKey), halfSecondLater)).tenant).toBe('acme');
    await refused(jwt({ ...claims, iat: now.toISOString() }, rsa.privateKey), trust(rsa.publicKey), /iat claim is not a NumericDate/);
  });

  it('checks iss and aud when configured, and only then', async () => {
    const strict = { ...trust(rsa.publicKey), issuer: 'https://idp.example', audience: 'memsidecar' };
    const good = { ...claims, iss: 'https://idp.example', aud: ['other', 'memsidecar'] };
    expect((await verifyJwt(jwt(good, rsa.privateKey), strict, now)).tenant).toBe('acme');
    expect((await verifyJwt(jwt({ ...good, aud: 'memsidecar' }, rsa.privateKey), strict, now)).tenant).toBe('acme');
    await refused(jwt({ ...good, iss: 'https://evil.example' }, rsa.privateKey), strict, /issuer must be "https:\/\/idp.example"/);
    await refused(jwt({ ...good, iss: undefined }, rsa.privateKey), strict, /issuer/);
    await refused(jwt({ ...good, aud: 'other' }, rsa.privateKey), strict, /audience must include "memsidecar"/);
    await refused(jwt({ ...good, aud: undefined }, rsa.privateKey), strict, /audience/);
    expect((await verifyJwt(jwt({ ...claims, iss: 'anyone', aud: 'anything' }, rsa.privateKey), trust(rsa.publicKey), now)).tenant).toBe('acme');
  });

  it('needs a valid tenant and well-formed ns/ops, as PASETO tokens do', async () => {
    const t = trust(rsa.publicKey);
    await refused(jwt({ ...claims, tenant: undefined }, rsa.privateKey), t, /no valid tenant claim/);
    await refused(jwt({ ...claims, tenant: 'a b' }, rsa.privateKey), t, /no valid tenant claim/);
    await refused(jwt({ ...claims, ops: ['put'] }, rsa.privateKey), t, /op "put" must be/);
    await refused(jwt({ ...claims, ns: ['*/x'] }, rsa.privateKey), t, /namespace pattern "\*\/x"/);
    await refused(jwt({ ...claims, ns: 'kv/notes' }, rsa.privateKey), t, /no valid ns\/ops claims/);
    await refused(jwt({ ...claims, ops: [] }, rsa.privateKey), t, /at least one op/);
    await refused(jwt({ ...claims, jti: 7 }, rsa.privateKey), t, /jti/);
  });

  it('refuses JWTs outright when no JWT keys are configured, and garbage as malformed', async () => {
    await refused(jwt(claims, rsa.privateKey), trust(), /no JWT keys are configured/);
    await refused('a.b', trust(rsa.publicKey), /malformed/);
    await refused(`${part({ alg: 'RS256' })}.bm90IGpzb24.c2ln`, trust(rsa.publicKey), /not signed by a trusted/);
  });

  it('tells PASETO tokens and JWTs apart by shape', async () => {
    const paseto = issueToken({ tenant: 'acme', namespaces: ['*'], ops: ['*'] }, ed.privateKey);
    expect(looksLikeJwt(paseto)).toBe(false);
    expect(looksLikeJwt(jwt(claims, ed.privateKey))).toBe(true);
    const both = { publicKeys: [ed.publicKey], jwt: trust(rsa.publicKey) };
    expect((await verifyBearerToken(paseto, both, now)).tenant).toBe('acme');
    expect((await verifyBearerToken(jwt(claims, rsa.privateKey), both, now)).tenant).toBe('acme');
    // The PASETO key does not sign JWTs, nor the JWT key PASETO tokens.
    await expect(verifyBearerToken(jwt(claims, ed.privateKey), both, now)).rejects.toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
  });

  it('reads RSA (2048 bits and up) and Ed25519 PEM keys, nothing else', () => {
    expect(parseJwtPublicKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string).asymmetricKeyType).toBe('rsa');
    expect(parseJwtPublicKey(ed.publicKey.export({ type: 'spki', format: 'pem' }) as string).asymmetricKeyType).toBe('ed25519');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(() => parseJwtPublicKey(small)).toThrow(/at least 2048 bits/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(() => parseJwtPublicKey(ec)).toThrow(/RSA \(RS256\) or Ed25519 \(EdDSA\), not ec/);
    expect(() => parseJwtPublicKey('not a key')).toThrow();
  });

  it('verifies tokens signed by jose, with keys exported by jose', async () => {
    for (const alg of ['RS256', 'EdDSA'] as const) {
      const pair = await generateKeyPair(alg, { extractable: true });
      const key = parseJwtPublicKey(await exportSPKI(pair.publicKey));
      const token = await new SignJWT({ tenant: 'acme', ns: ['kv/*'], ops: ['kv.get'] })
        .setProtectedHeader({ alg, kid: 'k1' })
        .setSubject('jose-agent')
        .setIssuer('https://idp.example')
        .setAudience('memsidecar')
        .setJti(`jose-${alg}`)
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime('5m')
        .sign(pair.privateKey);
      const cap = await verifyJwt(token, { publicKeys: [key], issuer: 'https://idp.example', audience: 'memsidecar' });
      expect(cap).toMatchObject({ tenant: 'acme', agent: 'jose-agent', namespaces: ['kv/*'], ops: ['kv.get'], tokenId: `jose-${alg}` });
      await expect(verifyJwt(token, { publicKeys: [createPublicKey(otherRsa.privateKey), otherEd.publicKey] })).rejects.toThrow(
        expect.objectContaining({ code: 'UNAUTHENTICATED' }),
      );
    }
  });
});
