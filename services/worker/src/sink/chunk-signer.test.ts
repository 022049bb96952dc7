import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChunkSigner, signingContextOf } from './chunk-signer.ts';

// The worked example of AWS's "Signature Calculations ... Transferring Payload in Multiple Chunks"
// (sigv4-streaming): a 66,560-byte object of 'a' sent as a 65,536-byte chunk, a 1,024-byte chunk and
// the final empty one.
const EXAMPLE = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,' +
    'SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,' +
    'Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
  amzDate: '20130524T000000Z',
  secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  signatures: [
    'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
    '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
    'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
  ],
};

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('ChunkSigner', () => {
  it("signs AWS's own example chunk by chunk, chained from the request's signature", async () => {
    const context = await signingContextOf(
      { authorization: EXAMPLE.authorization, 'x-amz-date': EXAMPLE.amzDate },
      async (accessKeyId) => {
        expect(accessKeyId).toBe('AKIAIOSFODNN7EXAMPLE');
        return EXAMPLE.secret;
      },
    );
    expect(context).toMatchObject({ scope: '20130524/us-east-1/s3/aws4_request', amzDate: EXAMPLE.amzDate });
    const signer = new ChunkSigner(context);
    expect(signer.sign(sha256(Buffer.alloc(65_536, 'a')))).toBe(EXAMPLE.signatures[0]);
    expect(signer.sign(sha256(Buffer.alloc(1_024, 'a')))).toBe(EXAMPLE.signatures[1]);
    expect(signer.sign()).toBe(EXAMPLE.signatures[2]);
  });

  it('refuses a request that carries no SigV4 signature', async () => {
    await expect(signingContextOf({ authorization: 'Basic x' }, async () => 's')).rejects.toThrow(
      'no SigV4 signature',
    );
  });
});
