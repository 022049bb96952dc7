import { type S3Client, UploadPartCommand, type UploadPartCommandOutput } from '@aws-sdk/client-s3';
import type { AwsChunkedBody } from './aws-chunked-body.ts';

// The SDK's middleware types live in @smithy/types, which is not ours to depend on: the shape used
// here is all this middleware needs.
type Middleware = Parameters<UploadPartCommand['middlewareStack']['addRelativeTo']>[0];
type BuildArgs = { request: unknown };
type BuildHandler = (args: BuildArgs) => Promise<unknown>;

/** Headers the SDK may have put on the request that describe a body other than ours. */
const REPLACED_HEADERS = /^(x-amz-checksum-|content-length$|content-md5$|transfer-encoding$|expect$)/i;

/**
 * UploadPart through the SDK (endpoint rules, credentials, SigV4 signing, retries of nothing, error
 * parsing) with the body framing done here: the request is signed with the aws-chunked headers of
 * `body`, whose trailer carries the part's CRC-32, and the SDK's own checksum pass and body wrappers
 * stay out of the way. The middleware runs after the SDK's checksum middleware (which, with no body
 * given, has only put a checksum of nothing on the request) and before signing.
 *
 * No `Expect: 100-continue`: with it the SDK sends each part on a fresh connection (a TLS handshake
 * per part); S3 that turns a part away early costs at most that part's bytes, and the part is retried.
 */
export function sendUploadPart(
  s3: S3Client,
  input: { Bucket: string; Key: string; UploadId: string; PartNumber: number },
  body: AwsChunkedBody,
  signal: AbortSignal,
): Promise<UploadPartCommandOutput> {
  const command = new UploadPartCommand({ ...input, ContentLength: body.decodedLength });
  const frameBody = (next: BuildHandler) => async (args: BuildArgs) => {
    const request = args.request as { headers?: Record<string, string>; body?: unknown };
    if (request.headers) {
      for (const name of Object.keys(request.headers)) {
        if (REPLACED_HEADERS.test(name)) delete request.headers[name];
      }
      Object.assign(request.headers, {
        'content-length': String(body.encodedLength),
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': String(body.decodedLength),
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-trailer': 'x-amz-checksum-crc32',
        'x-amz-sdk-checksum-algorithm': 'CRC32',
      });
      // A stream body also tells the SDK's retry middleware not to resend it: parts retry here.
      request.body = body;
    }
    return next(args);
  };
  command.middlewareStack.addRelativeTo(frameBody as unknown as Middleware, {
    name: 'ferryAwsChunkedBody',
    relation: 'after',
    toMiddleware: 'flexibleChecksumsMiddleware',
  });
  return s3.send(command, { abortSignal: signal });
}
