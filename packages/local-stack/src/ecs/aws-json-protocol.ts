import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error answer in the shape the AWS SDK parses into a named exception (`error.name === type`). */
export class AwsServiceError extends Error {
  readonly type: string;
  readonly status: number;

  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = status;
  }
}

/** One operation: the request's JSON object in, the answer's JSON (or a promise of it) out. */
export type AwsOperation = (input: Record<string, unknown>) => unknown;

/** One service spoken over the AWS JSON protocol: POST /, `X-Amz-Target: <target>.<Operation>`. */
export interface AwsJsonService {
  /** The target prefix: `AmazonEC2ContainerServiceV20141113`, `GraniteServiceVersion20100801`. */
  target: string;
  /** awsJson1_1 (ECS) or awsJson1_0 (CloudWatch, since it left the Query protocol). */
  jsonVersion: '1.0' | '1.1';
  /**
   * A service that moved from awsQuery keeps its old error codes: the SDK reads the code from
   * `x-amzn-query-error` ("<code>;Sender") and the shape from `__type` ("<namespace>#<type>").
   */
  queryCompatible?: { namespace: string; queryCode: (type: string) => string };
  operations: Record<string, AwsOperation>;
}

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The HTTP framing of the AWS JSON protocols for the stand-ins: reads the JSON body, runs the
 * operation X-Amz-Target names and answers its result, or an AwsServiceError in the SDK's error
 * shape. Signatures are not checked: any credentials do, as with the local S3 servers.
 */
export function awsJsonHandler(
  services: [AwsJsonService, ...AwsJsonService[]],
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const dot = target.lastIndexOf('.');
    const service = services.find((candidate) => candidate.target === target.slice(0, dot));
    // An unknown target is still answered in a framing the SDK can read.
    const framing = service ?? services[0];
    dispatch(req, service, target.slice(dot + 1)).then(
      (result) => answer(res, framing, 200, result ?? {}),
      (error: unknown) => answerError(res, framing, asServiceError(error)),
    );
  };
}

async function dispatch(
  req: IncomingMessage,
  service: AwsJsonService | undefined,
  operationName: string,
): Promise<unknown> {
  const body = await readBody(req);
  const operation =
    service && Object.hasOwn(service.operations, operationName)
      ? service.operations[operationName]
      : undefined;
  if (req.method !== 'POST' || !operation) {
    throw new AwsServiceError(
      'UnknownOperationException',
      `unknown operation ${req.method} ${operationName}`,
    );
  }
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw new AwsServiceError('SerializationException', 'the request body is not JSON');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AwsServiceError('SerializationException', 'the request body is not a JSON object');
  }
  return operation(input as Record<string, unknown>);
}

function asServiceError(error: unknown): AwsServiceError {
  if (error instanceof AwsServiceError) return error;
  return new AwsServiceError('ServerException', error instanceof Error ? error.message : String(error), 500);
}

function answer(
  res: ServerResponse,
  service: AwsJsonService,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': `application/x-amz-json-${service.jsonVersion}`,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(text);
}

function answerError(res: ServerResponse, service: AwsJsonService, error: AwsServiceError): void {
  const compat = service.queryCompatible;
  if (!compat) {
    answer(res, service, error.status, { __type: error.type, message: error.message });
    return;
  }
  const fault = error.status >= 500 ? 'Receiver' : 'Sender';
  answer(
    res,
    service,
    error.status,
    { __type: `${compat.namespace}#${error.type}`, message: error.message },
    { 'x-amzn-query-error': `${compat.queryCode(error.type)};${fault}` },
  );
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new AwsServiceError('SerializationException', 'request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
