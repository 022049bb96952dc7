import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** SHA-256 of nothing: the chunk extensions' hash in every chunk's string to sign. */
const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** How a request was signed (SigV4), all a chunk signature chains from. */
export interface SigningContext {
  /** HMAC-SHA256 key of the request's date, region and service. */
  signingKey: Buffer;
  /** x-amz-date of the request. */
  amzDate: string;
  /** `<date>/<region>/<service>/aws4_request`. */
  scope: string;
  /** The request's own signature: the first chunk's "previous" one. */
  seed: string;
}

/**
 * Signs the chunks of an aws-chunked body sent as STREAMING-AWS4-HMAC-SHA256-PAYLOAD: each chunk's
 * signature covers the SHA-256 of its bytes and the signature before it, so a server that checks
 * them refuses a chunk changed on the way, or one missing, before storing the part.
 */
export class ChunkSigner {
  readonly #context: SigningContext;
  /** Made once: a raw key is turned into a KeyObject by every createHmac, which costs more than the HMAC. */
  readonly #key: KeyObject;
  #previous: string;

  constructor(context: SigningContext) {
    this.#context = context;
    this.#key = createSecretKey(context.signingKey);
    this.#previous = context.seed;
  }

  /** The signature of the next chunk, given its bytes' SHA-256 in hex (the final chunk: of nothing). */
  sign(chunkSha256: string = EMPTY_SHA256): string {
    const { amzDate, scope } = this.#context;
    const toSign = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      amzDate,
      scope,
      this.#previous,
      EMPTY_SHA256,
      chunkSha256,
    ].join('\n');
    this.#previous = createHmac('sha256', this.#key).update(toSign).digest('hex');
    return this.#previous;
  }
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,.*Signature=([0-9a-f]{64})/;

/**
 * The signing context of a request the SDK has signed: its Authorization header names the key, the
 * scope and the seed signature; `secretFor` gives the secret key of that access key.
 */
export async function signingContextOf(
  headers: Record<string, string>,
  secretFor: (accessKeyId: string) => Promise<string>,
): Promise<SigningContext> {
  const authorization = headers.authorization ?? headers.Authorization ?? '';
  const amzDate = headers['x-amz-date'] ?? headers['X-Amz-Date'];
  const match = AUTHORIZATION.exec(authorization);
  if (!match || !amzDate)
    throw new Error('the request carries no SigV4 signature to chain chunk signatures from');
  const [, accessKeyId = '', date = '', region = '', service = '', seed = ''] = match;
  const secret = await secretFor(accessKeyId);
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  return { signingKey, amzDate, scope: `${date}/${region}/${service}/aws4_request`, seed };
}
