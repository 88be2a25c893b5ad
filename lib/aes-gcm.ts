import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

// AES-256-GCM with key ids, shared by the Temporal payload codec and the OAuth token vault. A sealed value is
// IV (12 bytes) + ciphertext + authentication tag (16 bytes). Key lists come from an environment variable of
// `id:base64key` entries, the first one encrypting and every entry decrypting, so keys can rotate.

const ivLength = 12;
const tagLength = 16;

export interface AesKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/** Encrypts `plain` under a fresh random IV; `associatedData` must be given again to decrypt. */
export function sealAesGcm(key: Buffer, plain: Uint8Array, associatedData?: Buffer): Buffer {
  const iv = randomBytes(ivLength);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (associatedData !== undefined) cipher.setAAD(associatedData);

  return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/** Decrypts a value from `sealAesGcm`; throws when the key, the associated data or any byte differs. */
export function openAesGcm(key: Buffer, sealed: Buffer, associatedData?: Buffer): Buffer {
  if (sealed.length < ivLength + tagLength) {
    throw new Error('Sealed value is shorter than an IV and a tag');
  }
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, ivLength));
  if (associatedData !== undefined) decipher.setAAD(associatedData);
  decipher.setAuthTag(sealed.subarray(sealed.length - tagLength));

  return Buffer.concat([decipher.update(sealed.subarray(ivLength, sealed.length - tagLength)), decipher.final()]);
}

/** Parses comma-separated `id:base64key` entries with 32-byte keys; `variable` names the setting in errors. */
export function parseAesKeys(value: string, variable: string): AesKey[] {
  return value.split(',').map((entry) => {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator).trim();
    const key = Buffer.from(entry.slice(separator + 1).trim(), 'base64');
    if (separator <= 0 || key.length !== 32) {
      throw new Error(`${variable} must be id:base64key entries with 32-byte keys, separated by commas`);
    }

    return { id, key };
  });
}

/**
 * Reads the local key list kept in `dataDir/fileName` (mode 0600), generating one key on first use. Every local
 * process that uses the same directory shares it. Only for development and tests: production sets `variable`.
 */
export async function readOrCreateLocalAesKeys(dataDir: string, fileName: string, variable: string): Promise<AesKey[]> {
  const file = path.join(dataDir, fileName);
  try {
    return parseAesKeys((await readFile(file, 'utf8')).trim(), variable);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`Cannot read ${file}; delete it only if nothing encrypted with it must be read again`, {
        cause: error,
      });
    }
  }
  const entry = `local-${Date.now().toString(36)}:${randomBytes(32).toString('base64')}`;
  await mkdir(dataDir, { recursive: true });
  try {
    // 'wx': when two local processes start together, the second keeps the key the first wrote.
    await writeFile(file, `${entry}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return parseAesKeys((await readFile(file, 'utf8')).trim(), variable);
    }
    throw error;
  }

  return parseAesKeys(entry, variable);
}
