import { KeyObject, createPrivateKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { allowsNamespace, allowsOp, issueToken, verifyToken } from './capability';
import { parsePublicKey, publicKeyHex } from './keys';
import { signV4Public, verifyV4Public } from './paseto-v4';

const keys = () => generateKeyPairSync('ed25519');

/** The paseto library's v4.public, with one Ed25519 key pair known to it and to node:crypto. */
async function pasetoLibrary() {
  const { PublicProtocol } = await import('paseto');
  const v4public = await import('paseto/v4/public');
  const pair = (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  return {
    protocol: new PublicProtocol(v4public.SignFactory, v4public.VerifyFactory),
    pair,
    theirPublic: await v4public.PublicKeyFromCryptoKey(pair.publicKey),
    theirSecret: await v4public.SecretKeyFromCryptoKey(pair.privateKey),
  };
}
const request = { tenant: 'acme', agent: 'bot', namespaces: ['kv/*', 'episodic/events'], ops: ['kv.*', 'episodic.append'] };

describe('auth - PASETO v4.public', () => {
  it('verifies a token it signed and rejects one from another key', () => {
    const a = keys();
    const b = keys();
    const token = signV4Public({ hello: 'world' }, a.privateKey);
    expect(token.startsWith('v4.public.')).toBe(true);
    expect(verifyV4Public(token, [a.publicKey])).toEqual({ hello: 'world' });
    expect(verifyV4Public(token, [b.publicKey])).toBeNull();
    expect(verifyV4Public(token, [b.publicKey, a.publicKey])).toEqual({ hello: 'world' });
  });

  it('rejects a token whose payload was changed', () => {
    const a = keys();
    const token = signV4Public({ tenant: 'a' }, a.privateKey);
    const body = Buffer.from(token.slice('v4.public.'.length), 'base64url');
    body[2] ^= 1;
    expect(verifyV4Public(`v4.public.${body.toString('base64url')}`, [a.publicKey])).toBeNull();
  });

  it('interoperates with the paseto library in both directions', async () => {
    const { protocol, pair, theirPublic, theirSecret } = await pasetoLibrary();
    const ours = signV4Public({ sub: 'ours', exp: new Date(Date.now() + 60_000).toISOString() }, KeyObject.from(pair.privateKey));
    expect((await protocol.Verify(theirPublic, ours)).claims).toMatchObject({ sub: 'ours' });
    const theirs = await protocol.Sign(theirSecret, { sub: 'theirs' });
    expect(verifyV4Public(theirs, [KeyObject.from(pair.publicKey)])).toMatchObject({ sub: 'theirs' });
  });

  it('agrees with the paseto library on footers and on tampered tokens', async () => {
    const { protocol, pair, theirPublic, theirSecret } = await pasetoLibrary();
    const footer = '{"kid":"k1"}';
    const ours = signV4Public({ sub: 'ours' }, KeyObject.from(pair.privateKey), footer);
    const verified = await protocol.Verify(theirPublic, ours, { allowNonExpiring: true, footer: Buffer.from(footer) });
    expect(Buffer.from(verified.footer).toString()).toBe(footer);
    const theirs = await protocol.Sign(theirSecret, { sub: 'theirs' }, { footer: Buffer.from(footer) });
    expect(verifyV4Public(theirs, [KeyObject.from(pair.publicKey)])).toMatchObject({ sub: 'theirs' });
    // The footer is signed: swapping it breaks the token for both implementations.
    const otherFooter = Buffer.from('{"kid":"k2"}').toString('base64url');
    const swapped = (token: string) => `${token.slice(0, token.lastIndexOf('.'))}.${otherFooter}`;
    await expect(protocol.Verify(theirPublic, swapped(ours), { allowNonExpiring: true })).rejects.toThrow();
    expect(verifyV4Public(swapped(theirs), [KeyObject.from(pair.publicKey)])).toBeNull();
  });

  it('issues capability tokens the paseto library verifies, and verifies capability tokens it signs', async () => {
    const { protocol, pair, theirPublic, theirSecret } = await pasetoLibrary();
    const now = new Date();
    const issued = issueToken({ ...request, tokenId: 'tok-ours', ttlMs: 60_000 }, KeyObject.from(pair.privateKey), now);
    const { claims } = await protocol.Verify(theirPublic, issued, { issuer: 'memsidecar', now });
    expect(claims).toMatchObject({ iss: 'memsidecar', jti: 'tok-ours', tenant: 'acme', ns: request.namespaces, ops: request.ops });
    // Tokens without a TTL carry no exp, which the library accepts only when told to.
    const lifelong = issueToken(request, KeyObject.from(pair.privateKey), now);
    await expect(protocol.Verify(theirPublic, lifelong, { now })).rejects.toThrow(/exp/);
    expect((await protocol.Verify(theirPublic, lifelong, { allowNonExpiring: true, now })).claims).toMatchObject({ tenant: 'acme' });
    const theirs = await protocol.Sign(theirSecret, { iss: 'memsidecar', jti: 'tok-theirs', tenant: 'acme', agent: 'bot', ns: ['kv/*'], ops: ['kv.get'] }, { expiresIn: 60 });
    expect(verifyToken(theirs, [KeyObject.from(pair.publicKey)])).toMatchObject({ tenant: 'acme', agent: 'bot', namespaces: ['kv/*'], ops: ['kv.get'], tokenId: 'tok-theirs' });
  });

  it('signs and verifies the PASETO test vectors 4-S-1 and 4-S-2 byte for byte', () => {
    const publicHex = '1eb9dbbbbc047c03fd70604e0071f0987e16b28b757225c11f00415d0e20b1a2';
    const seed = Buffer.from('b4cbfb43df4ce210727d953e4a713307fa19bb7d9f85041438d9e11b942a3774', 'hex');
    const secretKey = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', d: seed.toString('base64url'), x: Buffer.from(publicHex, 'hex').toString('base64url') },
      format: 'jwk',
    });
    const payload = { data: 'this is a signed message', exp: '2022-01-01T00:00:00+00:00' };
    const body = 'eyJkYXRhIjoidGhpcyBpcyBhIHNpZ25lZCBtZXNzYWdlIiwiZXhwIjoiMjAyMi0wMS0wMVQwMDowMDowMCswMDowMCJ9';
    const vectors = [
      { footer: '', token: `v4.public.${body}bg_XBBzds8lTZShVlwwKSgeKpLT3yukTw6JUz3W4h_ExsQV-P0V54zemZDcAxFaSeef1QlXEFtkqxT1ciiQEDA` },
      {
        footer: '{"kid":"zVhMiPBP9fRf2snEcT7gFTioeA9COcNy9DfgL1W60haN"}',
        token: `v4.public.${body}v3Jt8mx_TdM2ceTGoqwrh4yDFn0XsHvvV_D0DtwQxVrJEBMl0F2caAdgnpKlt4p7xBnx1HcO-SPo8FPp214HDw.eyJraWQiOiJ6VmhNaVBCUDlmUmYyc25FY1Q3Z0ZUaW9lQTlDT2NOeTlEZmdMMVc2MGhhTiJ9`,
      },
    ];
    for (const { footer, token } of vectors) {
      expect(signV4Public(payload, secretKey, footer)).toBe(token);
      expect(verifyV4Public(token, [parsePublicKey(publicHex)])).toEqual(payload);
    }
  });

  it('reads public keys as PEM or raw hex', () => {
    const a = keys();
    expect(parsePublicKey(publicKeyHex(a.publicKey)).equals(a.publicKey)).toBe(true);
    expect(parsePublicKey(a.publicKey.export({ format: 'pem', type: 'spki' }) as string).equals(a.publicKey)).toBe(true);
  });
});

describe('auth - capability tokens', () => {
  it('carries tenant, agent, namespaces, ops and a token id', () => {
    const a = keys();
    const cap = verifyToken(issueToken({ ...request, tokenId: 'tok-1', ttlMs: 60_000 }, a.privateKey), [a.publicKey]);
    expect(cap).toMatchObject({ tenant: 'acme', agent: 'bot', namespaces: request.namespaces, ops: request.ops, tokenId: 'tok-1' });
  });

  it('carries the trust label set at issuance, and none when none was set', () => {
    const a = keys();
    expect(verifyToken(issueToken({ ...request, trust: 'medium' }, a.privateKey), [a.publicKey]).trust).toBe('medium');
    expect(verifyToken(issueToken(request, a.privateKey), [a.publicKey])).not.toHaveProperty('trust');
    expect(() => issueToken({ ...request, trust: 'total' as never }, a.privateKey)).toThrow(/trust must be one of low, medium, high/);
  });

  it('refuses a token whose trust claim is not a label as UNAUTHENTICATED', () => {
    const a = keys();
    const claims = { iss: 'memsidecar', tenant: 'acme', agent: 'bot', ns: ['kv/*'], ops: ['kv.*'], trust: 'absolute' };
    expect(() => verifyToken(signV4Public(claims, a.privateKey), [a.publicKey])).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/trust claim/) }));
  });

  it('refuses expired, foreign and malformed tokens as UNAUTHENTICATED', () => {
    const a = keys();
    const expired = issueToken({ ...request, ttlMs: 1000 }, a.privateKey, new Date(Date.now() - 5000));
    expect(() => verifyToken(expired, [a.publicKey])).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => verifyToken(issueToken(request, keys().privateKey), [a.publicKey])).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => verifyToken('v4.public.garbage', [a.publicKey])).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => verifyToken('not-a-token', [a.publicKey])).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
  });

  it('matches ops exactly, by block wildcard or *, never by bare verb', () => {
    const cap = { ...request, tokenId: '', expiresAt: null };
    expect(allowsOp(cap, 'kv.put')).toBe(true);
    expect(allowsOp(cap, 'episodic.append')).toBe(true);
    expect(allowsOp(cap, 'episodic.range')).toBe(false);
    expect(allowsOp({ ...cap, ops: ['put'] }, 'kv.put')).toBe(false);
    expect(allowsOp({ ...cap, ops: ['*'] }, 'audit.read')).toBe(true);
  });

  it('matches namespaces exactly, by trailing * or *', () => {
    const cap = { ...request, tokenId: '', expiresAt: null };
    expect(allowsNamespace(cap, 'kv', 'anything')).toBe(true);
    expect(allowsNamespace(cap, 'episodic', 'events')).toBe(true);
    expect(allowsNamespace(cap, 'episodic', 'events2')).toBe(false);
    expect(allowsNamespace({ ...cap, namespaces: ['kv/tool-*'] }, 'kv', 'tool-cache')).toBe(true);
    expect(allowsNamespace({ ...cap, namespaces: ['kv/tool-*'] }, 'kv', 'other')).toBe(false);
  });

  it('refuses to issue tokens with bare-verb ops or bad namespace patterns', () => {
    const a = keys();
    expect(() => issueToken({ ...request, ops: ['put'] }, a.privateKey)).toThrow();
    expect(() => issueToken({ ...request, namespaces: ['*/x'] }, a.privateKey)).toThrow();
  });
});
