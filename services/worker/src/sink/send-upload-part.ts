import type { Readable } from 'node:stream';
import { type S3Client, UploadPartCommand, type UploadPartCommandOutput } from '@aws-sdk/client-s3';

// The SDK's middleware types live in @smithy/types, which is not ours to depend on: the shape used
// here is all this middleware needs.
type Middleware = Parameters<UploadPartCommand['middlewareStack']['addRelativeTo']>[0];
type BuildArgs = { request: unknown };
type BuildHandler = (args: BuildArgs) => Promise<unknown>;

/** A part's request body and the headers that describe it (length, framing, checksums). */
export interface PartWire {
  body: Readable | Buffer;
  headers: Record<string, string>;
  /** Runs once the SDK has signed the request, before the body goes: signed chunks start there. */
  afterSigning?: (signedHeaders: Record<string, string>) => Promise<void>;
}

/** Headers the SDK may have put on the request that describe a body other than ours. */
const REPLACED_HEADERS =
  /^(x-amz-checksum-|x-amz-sdk-checksum-|x-amz-trailer$|x-amz-decoded-content-length$|x-amz-content-sha256$|content-length$|content-md5$|content-encoding$|transfer-encoding$|expect$)/i;

/**
 * UploadPart through the SDK (endpoint rules, credentials, SigV4 signing, retries of nothing, error
 * parsing) with the body and the headers describing it set here: the request is signed with
 * `wire.headers` (the signer takes x-amz-content-sha256 as given, so the payload is never hashed for
 * the signature), and the SDK's own checksum pass and body wrappers stay out of the way. The
 * middleware runs after the SDK's checksum middleware and before signing.
 *
 * No `Expect: 100-continue`: with it the SDK sends each part on a fresh connection (a TLS handshake
 * per part); S3 that turns a part away early costs at most that part's bytes, and the part is retried.
 */
export function sendUploadPart(
  s3: S3Client,
  input: { Bucket: string; Key: string; UploadId: string; PartNumber: number },
  wire: PartWire,
  signal: AbortSignal,
): Promise<UploadPartCommandOutput> {
  const command = new UploadPartCommand(input);
  const frameBody = (next: BuildHandler) => async (args: BuildArgs) => {
    const request = args.request as { headers?: Record<string, string>; body?: unknown };
    if (request.headers) {
      for (const name of Object.keys(request.headers)) {
        if (REPLACED_HEADERS.test(name)) delete request.headers[name];
      }
      Object.assign(request.headers, wire.headers);
      // A stream body also tells the SDK's retry middleware not to resend it: parts retry here.
      request.body = wire.body;
    }
    return next(args);
  };
  command.middlewareStack.addRelativeTo(frameBody as unknown as Middleware, {
    name: 'ferryPartBody',
    relation: 'after',
    toMiddleware: 'flexibleChecksumsMiddleware',
  });
  const { afterSigning } = wire;
  if (afterSigning) {
    // The deserialize step wraps the HTTP handler itself: the request is signed by then.
    const signed = (next: BuildHandler) => async (args: BuildArgs) => {
      await afterSigning((args.request as { headers: Record<string, string> }).headers);
      return next(args);
    };
    command.middlewareStack.add(
      signed as unknown as Parameters<UploadPartCommand['middlewareStack']['add']>[0],
      {
        step: 'deserialize',
        priority: 'low',
        name: 'ferryChunkSigning',
      },
    );
  }
  return s3.send(command, { abortSignal: signal });
}
