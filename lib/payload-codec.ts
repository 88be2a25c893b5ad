import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { type AesKey, openAesGcm, parseAesKeys, readOrCreateLocalAesKeys, sealAesGcm } from './aes-gcm';
import type { TConfig } from './config';

// @temporalio/proto is CommonJS, so Node's ESM loader offers it only as a default export.
const PayloadMessage = proto.temporal.api.common.v1.Payload;

// Encryption of every Temporal payload (workflow arguments, results, signals, activity inputs) with
// AES-256-GCM, so the Temporal server and its database store them only encrypted. Workflow ids and search
// attributes (meeting and organisation ids) are not payloads and stay readable for operators.
// Each encrypted payload names its key id, so keys can rotate: the first key encrypts and every listed key
// decrypts. Payloads that are not encrypted (histories recorded before encryption) pass through.

export const encryptedEncoding = 'binary/encrypted';
const keyIdMetadata = 'encryption-key-id';

export type PayloadKey = AesKey;

export class EncryptionCodec implements PayloadCodec {
  private readonly keysById: Map<string, Buffer>;

  constructor(private readonly keys: readonly PayloadKey[]) {
    if (keys.length === 0) {
      throw new Error('At least one payload encryption key is required');
    }
    for (const { id, key } of keys) {
      if (key.length !== 32) {
        throw new Error(`Payload encryption key ${id} must be 32 bytes, not ${key.length}`);
      }
    }
    this.keysById = new Map(keys.map(({ id, key }) => [id, key]));
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0]!;

    return Promise.resolve(
      payloads.map((payload) => {
        const sealed = sealAesGcm(key, PayloadMessage.encode(payload).finish());

        return {
          metadata: { encoding: Buffer.from(encryptedEncoding), [keyIdMetadata]: Buffer.from(id) },
          data: sealed,
        };
      }),
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    // An executor turns a failed decryption into a rejection rather than a synchronous throw.
    return new Promise((resolve) =>
      resolve(
        payloads.map((payload) => {
          if (Buffer.from(payload.metadata?.encoding ?? []).toString() !== encryptedEncoding) {
            return payload;
          }
          const keyId = Buffer.from(payload.metadata?.[keyIdMetadata] ?? []).toString();
          const key = this.keysById.get(keyId);
          if (key === undefined) {
            throw new Error(
              `Payload encrypted with unknown key id "${keyId}": add that key to PAYLOAD_ENCRYPTION_KEYS`,
            );
          }
          return PayloadMessage.decode(openAesGcm(key, Buffer.from(payload.data ?? [])));
        }),
      ),
    );
  }
}

/** Parses `PAYLOAD_ENCRYPTION_KEYS`: comma-separated `id:base64key` entries, the first one encrypting. */
export function parsePayloadKeys(value: string): PayloadKey[] {
  return parseAesKeys(value, 'PAYLOAD_ENCRYPTION_KEYS');
}

/**
 * Returns the payload keys: PAYLOAD_ENCRYPTION_KEYS when set (required in production), otherwise a local key
 * generated once and kept in DATA_DIR (mode 0600), shared by every local process that uses that directory.
 */
export async function resolvePayloadKeys(config: TConfig): Promise<PayloadKey[]> {
  if (config.PAYLOAD_ENCRYPTION_KEYS !== undefined) {
    return parsePayloadKeys(config.PAYLOAD_ENCRYPTION_KEYS);
  }
  if (config.NODE_ENV === 'production') {
    throw new Error('PAYLOAD_ENCRYPTION_KEYS must be set when NODE_ENV=production');
  }

  return readOrCreateLocalAesKeys(config.DATA_DIR, 'local-payload-keys', 'PAYLOAD_ENCRYPTION_KEYS');
}
