import type { TConfig } from '../config';
import { type AesKey, openAesGcm, parseAesKeys, readOrCreateLocalAesKeys, sealAesGcm } from '../aes-gcm';
import type { TOAuthProvider } from './types';

// OAuth tokens at rest: AES-256-GCM, base64 of IV + ciphertext + tag, with the key id in the row's `key_id`.
// The associated data binds each ciphertext to its user, provider and token kind, so a ciphertext copied into
// another row or column no longer decrypts.

export interface TokenEncryptionKeys {
  /** The key new ciphertexts are written with (the first entry of OAUTH_TOKEN_KEYS). */
  current: AesKey;
  byId: ReadonlyMap<string, Buffer>;
}

export interface TokenBinding {
  userId: string;
  provider: TOAuthProvider;
  kind: 'access' | 'refresh';
}

export function tokenEncryptionKeys(keys: readonly AesKey[]): TokenEncryptionKeys {
  const [current] = keys;
  if (current === undefined) {
    throw new Error('At least one OAuth token encryption key is required');
  }

  return { current, byId: new Map(keys.map(({ id, key }) => [id, key])) };
}

/** Parses `OAUTH_TOKEN_KEYS`: comma-separated `id:base64key` entries, the first one encrypting. */
export function parseTokenEncryptionKeys(value: string): TokenEncryptionKeys {
  return tokenEncryptionKeys(parseAesKeys(value, 'OAUTH_TOKEN_KEYS'));
}

/** OAUTH_TOKEN_KEYS when set (required in production), otherwise a local key kept in DATA_DIR. */
export async function resolveTokenEncryptionKeys(config: TConfig): Promise<TokenEncryptionKeys> {
  if (config.OAUTH_TOKEN_KEYS !== undefined) {
    return parseTokenEncryptionKeys(config.OAUTH_TOKEN_KEYS);
  }
  if (config.NODE_ENV === 'production') {
    throw new Error('OAUTH_TOKEN_KEYS must be set when NODE_ENV=production');
  }

  return tokenEncryptionKeys(
    await readOrCreateLocalAesKeys(config.DATA_DIR, 'local-oauth-token-keys', 'OAUTH_TOKEN_KEYS'),
  );
}

function associatedData(binding: TokenBinding): Buffer {
  return Buffer.from(`oauth-token:${binding.provider}:${binding.kind}:${binding.userId}`);
}

/** Encrypts a token under the current key; store the returned `keyId` with the ciphertext. */
export function encryptToken(
  keys: TokenEncryptionKeys,
  token: string,
  binding: TokenBinding,
): { keyId: string; ciphertext: string } {
  const sealed = sealAesGcm(keys.current.key, Buffer.from(token, 'utf8'), associatedData(binding));

  return { keyId: keys.current.id, ciphertext: sealed.toString('base64') };
}

export function decryptToken(
  keys: TokenEncryptionKeys,
  keyId: string,
  ciphertext: string,
  binding: TokenBinding,
): string {
  const key = keys.byId.get(keyId);
  if (key === undefined) {
    throw new Error(`OAuth token encrypted with unknown key id "${keyId}": add that key to OAUTH_TOKEN_KEYS`);
  }

  return openAesGcm(key, Buffer.from(ciphertext, 'base64'), associatedData(binding)).toString('utf8');
}
