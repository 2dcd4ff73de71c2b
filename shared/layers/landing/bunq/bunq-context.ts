import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import * as z from 'zod';

/**
 * What the connector keeps between calls so it does not redo installation, device-server and session-server
 * each time (bunq allows one session-server call per 30 s): the key pair, the installation token, bunq's public
 * key, and the current session. Secrets all: it is only ever stored sealed (`sealBunqContext`) and never logged.
 */
export const BunqContext = z.strictObject({
  private_key_pem: z.string().min(1),
  public_key_pem: z.string().min(1),
  installation_token: z.string().min(1),
  server_public_key_pem: z.string().min(1),
  /** Whether device-server accepted the API key for this installation. */
  is_device_registered: z.boolean(),
  session: z
    .strictObject({
      token: z.string().min(1),
      user_id: z.int().positive(),
      /** When the session ends unless used (epoch ms): opened or last used + `session_timeout`. */
      expires_at_ms: z.int(),
      timeout_seconds: z.int().positive(),
    })
    .nullable(),
});
export type BunqContext = z.infer<typeof BunqContext>;

/** A sealed context as stored: AES-256-GCM, the key derived from the API key with HKDF and a per-seal salt. */
export const SealedBunqContext = z.strictObject({
  version: z.literal(1),
  salt: z.base64(),
  iv: z.base64(),
  tag: z.base64(),
  ciphertext: z.base64(),
});
export type SealedBunqContext = z.infer<typeof SealedBunqContext>;

const INFO = Buffer.from('dataplatform bunq context v1');

function contextKey(apiKey: string, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(apiKey, 'utf8'), salt, INFO, 32));
}

/**
 * Seals a context with a key derived from the system's API key: whoever can read the stored document but not
 * the API key (from the secret store) learns nothing, and a new API key simply makes the old context unreadable,
 * which is right, because a new key needs a new installation anyway.
 */
export function sealBunqContext(context: BunqContext, apiKey: string): SealedBunqContext {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', contextKey(apiKey, salt), iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(context), 'utf8'), cipher.final()]);
  return { version: 1, salt: salt.toString('base64'), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ciphertext: ciphertext.toString('base64') };
}

/** Opens a sealed context; `undefined` when it was sealed with another API key or is damaged (start over). */
export function openBunqContext(sealed: unknown, apiKey: string): BunqContext | undefined {
  const envelope = SealedBunqContext.safeParse(sealed);
  if (!envelope.success) return undefined;
  try {
    const { salt, iv, tag, ciphertext } = envelope.data;
    const decipher = createDecipheriv('aes-256-gcm', contextKey(apiKey, Buffer.from(salt, 'base64')), Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString('utf8');
    const parsed = BunqContext.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Where bunq's public server key is kept in the connector state store, beside the sealed context. */
export const BUNQ_SERVER_KEY_STATE = 'bunq-server-key';

/**
 * bunq's server public key as stored unsealed: it is public, and the webhook must verify a callback's signature with
 * it before it knows who calls, so before it may fetch the API key that opens the sealed context.
 */
export const StoredServerKey = z.strictObject({ server_public_key_pem: z.string().min(1) });
