import { createPublicKey, createSign, createVerify, generateKeyPairSync } from 'node:crypto';

/** An RSA key pair in PEM: the private key as PKCS#8 (what bunq's SDK exports), the public key as SPKI. */
export interface BunqKeyPair {
  readonly private_key_pem: string;
  readonly public_key_pem: string;
}

/** Makes the 2048-bit RSA key pair an installation registers (sources.md §B.2). */
export function generateBunqKeyPair(): BunqKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { private_key_pem: privateKey, public_key_pem: publicKey };
}

/** The key pair of a configured PEM private key (metadata's `private_key`), its public half derived. */
export function keyPairFromPrivateKey(privateKeyPem: string): BunqKeyPair {
  return { private_key_pem: privateKeyPem, public_key_pem: createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString() };
}

/**
 * The `X-Bunq-Client-Signature` of a request body: SHA-256 with RSA (PKCS#1 v1.5) over the exact body bytes,
 * base64. Since 2020 bunq validates only the body (sources.md §B.3); send exactly the bytes that were signed.
 */
export function signBody(body: Buffer | string, privateKeyPem: string): string {
  return createSign('sha256').update(body).sign(privateKeyPem, 'base64');
}

/**
 * Whether `X-Bunq-Server-Signature` is bunq's signature of the raw answer bytes (never re-serialised JSON:
 * `\/` escapes and key order must stay as received). A malformed signature or key is simply not valid.
 */
export function isValidServerSignature(body: Buffer, signature: string | undefined, serverPublicKeyPem: string): boolean {
  if (signature === undefined || signature === '') return false;
  try {
    return createVerify('sha256').update(body).verify(serverPublicKeyPem, signature, 'base64');
  } catch {
    return false;
  }
}
