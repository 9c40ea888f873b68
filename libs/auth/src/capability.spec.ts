import { KeyObject, generateKeyPairSync, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { allowsNamespace, allowsOp, issueToken, verifyToken } from './capability';
import { parsePublicKey, publicKeyHex } from './keys';
import { signV4Public, verifyV4Public } from './paseto-v4';

const keys = () => generateKeyPairSync('ed25519');
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
    const { PublicProtocol } = await import('paseto');
    const v4public = await import('paseto/v4/public');
    const pair = (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const protocol = new PublicProtocol(v4public.SignFactory, v4public.VerifyFactory);
    const theirPublic = await v4public.PublicKeyFromCryptoKey(pair.publicKey);
    const theirSecret = await v4public.SecretKeyFromCryptoKey(pair.privateKey);
    const ours = signV4Public({ sub: 'ours', exp: new Date(Date.now() + 60_000).toISOString() }, KeyObject.from(pair.privateKey));
    expect((await protocol.Verify(theirPublic, ours)).claims).toMatchObject({ sub: 'ours' });
    const theirs = await protocol.Sign(theirSecret, { sub: 'theirs' });
    expect(verifyV4Public(theirs, [KeyObject.from(pair.publicKey)])).toMatchObject({ sub: 'theirs' });
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
