import { createSign, createVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FAKE_SERVER_PRIVATE_KEY_PEM, FAKE_SERVER_PUBLIC_KEY_PEM } from '../../../dev/fakes/bunq/fake-bunq.ts';
import { openBunqContext, sealBunqContext, type BunqContext } from '../../../shared/layers/landing/bunq/bunq-context.ts';
import { generateBunqKeyPair, isValidServerSignature, signBody } from '../../../shared/layers/landing/bunq/bunq-signing.ts';
import { readFixtureText } from '../../fixtures/bunq/dataset.ts';

const keys = generateBunqKeyPair();

describe('signBody', () => {
  it('signs the body bytes with SHA256withRSA so that the public key verifies them', () => {
    const body = '{"secret":"api-key"}';
    const signature = signBody(body, keys.private_key_pem);
    expect(createVerify('sha256').update(body).verify(keys.public_key_pem, signature, 'base64')).toBe(true);
    expect(createVerify('sha256').update(`${body} `).verify(keys.public_key_pem, signature, 'base64')).toBe(false);
  });

  it('makes PEM keys bunq accepts: PKCS#8 private, SPKI public', () => {
    expect(keys.private_key_pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(keys.public_key_pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });
});

describe('isValidServerSignature', () => {
  // the recorded callback keeps bunq's escapes (\/ and \u2728): re-serialised JSON would not verify
  const raw = Buffer.from(readFixtureText('callback-mutation.json'), 'utf8');
  const signature = createSign('sha256').update(raw).sign(FAKE_SERVER_PRIVATE_KEY_PEM, 'base64');

  it('accepts the server signature over the raw body bytes', () => {
    expect(isValidServerSignature(raw, signature, FAKE_SERVER_PUBLIC_KEY_PEM)).toBe(true);
  });

  it('refuses the same JSON re-serialised', () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))), 'utf8');
    expect(reserialised.equals(raw)).toBe(false);
    expect(isValidServerSignature(reserialised, signature, FAKE_SERVER_PUBLIC_KEY_PEM)).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not base64 of a signature', 'bm90IGEgc2lnbmF0dXJl'],
    ['made with another key', signBody(raw, keys.private_key_pem)],
  ])('refuses a signature that is %s', (_case, candidate) => {
    expect(isValidServerSignature(raw, candidate, FAKE_SERVER_PUBLIC_KEY_PEM)).toBe(false);
  });

  it('refuses rather than throws on a malformed public key', () => {
    expect(isValidServerSignature(raw, signature, 'not a key')).toBe(false);
  });
});

describe('sealBunqContext', () => {
  const context: BunqContext = {
    private_key_pem: keys.private_key_pem,
    public_key_pem: keys.public_key_pem,
    installation_token: 'installation-token',
    server_public_key_pem: FAKE_SERVER_PUBLIC_KEY_PEM,
    is_device_registered: true,
    session: { token: 'session-token', user_id: 7, expires_at_ms: 1_773_853_500_000, timeout_seconds: 3600 },
  };

  it('opens with the API key it was sealed with', () => {
    expect(openBunqContext(sealBunqContext(context, 'api-key-1'), 'api-key-1')).toEqual(context);
  });

  it('keeps no secret readable in the sealed form', () => {
    const sealed = JSON.stringify(sealBunqContext(context, 'api-key-1'));
    for (const secret of ['installation-token', 'session-token', 'PRIVATE KEY', 'api-key-1']) expect(sealed).not.toContain(secret);
  });

  it('gives nothing back for another API key, a damaged envelope, or something else', () => {
    const sealed = sealBunqContext(context, 'api-key-1');
    expect(openBunqContext(sealed, 'api-key-2')).toBeUndefined();
    const flipped = Buffer.from(sealed.ciphertext, 'base64');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(openBunqContext({ ...sealed, ciphertext: flipped.toString('base64') }, 'api-key-1')).toBeUndefined();
    expect(openBunqContext({ version: 1 }, 'api-key-1')).toBeUndefined();
    expect(openBunqContext(null, 'api-key-1')).toBeUndefined();
  });
});
