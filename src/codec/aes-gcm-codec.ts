import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM over whole payloads (data and metadata), so the server stores only ciphertext. Each
 * payload names its key id in metadata: new payloads use the active key, old ones still decode with
 * theirs, and keys rotate by adding one and switching the active id.
 */
export class AesGcmCodec implements PayloadCodec {
  constructor(
    private readonly keys: Map<string, Buffer>,
    private readonly activeKeyId: string,
  ) {
    if (!keys.has(activeKeyId)) throw new Error(`active key id "${activeKeyId}" has no key`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.activeKeyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: Buffer.from(ENCODING), [KEY_ID]: Buffer.from(this.activeKeyId) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (Buffer.from(payload.metadata?.encoding ?? []).toString() !== ENCODING) return payload;
      const keyId = Buffer.from(payload.metadata?.[KEY_ID] ?? []).toString();
      const key = this.keys.get(keyId);
      if (!key)
        throw new Error(`no key with id "${keyId}" to decrypt a payload (set it in FTP_PAYLOAD_KEYS)`);
      const data = Buffer.from(payload.data ?? []);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/**
 * The codec from the environment, or undefined when encryption is off (the default):
 *   FTP_PAYLOAD_KEYS="k2:<base64 32 bytes>,k1:<base64 32 bytes>"  FTP_PAYLOAD_KEY_ID=k2
 */
export function codecFromEnv(env: NodeJS.ProcessEnv = process.env): AesGcmCodec | undefined {
  if (!env.FTP_PAYLOAD_KEYS) return undefined;
  const keys = new Map<string, Buffer>();
  for (const entry of env.FTP_PAYLOAD_KEYS.split(',')) {
    const [id, b64] = entry.split(':');
    const key = Buffer.from(b64 ?? '', 'base64');
    if (!id || key.length !== 32)
      throw new Error(`FTP_PAYLOAD_KEYS: entry "${id ?? ''}" must be <id>:<base64 of 32 bytes>`);
    keys.set(id, key);
  }
  const active = env.FTP_PAYLOAD_KEY_ID ?? [...keys.keys()][0];
  return new AesGcmCodec(keys, active);
}
