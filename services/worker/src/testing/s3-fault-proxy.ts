import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import { pipeline, Transform } from 'node:stream';
import { PROBE_PREFIX } from '../sink/probe-endpoint.ts';
import { listenOnLoopback } from './listen-on-loopback.ts';
import { escapeXml, S3PartLedger } from './s3-part-ledger.ts';

export type S3Operation =
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'Other';

export interface S3ProxyRequest {
  operation: S3Operation;
  method: string;
  bucket: string;
  key: string;
  uploadId?: string;
  partNumber?: number;
  /** 1 for the first request of this operation on this upload and part, 2 for the next... */
  attempt: number;
  /** The access key that signed it (Authorization's Credential=). */
  accessKeyId?: string;
}

/** An S3 error answer, as S3 writes it: status, XML body with Code and Message. */
export interface S3Fault {
  status: number;
  code: string;
  message?: string;
  /**
   * Refuse a request that asks `Expect: 100-continue` (the SDK does for every streamed part) before
   * its body is sent, as S3 does when it turns a request away at the door; the connection closes
   * after. Otherwise the body is read first, as when S3 fails while storing it.
   */
  early?: boolean;
}

export const INTERNAL_ERROR: S3Fault = {
  status: 500,
  code: 'InternalError',
  message: 'We encountered an internal error. Please try again.',
};
export const SLOW_DOWN: S3Fault = {
  status: 503,
  code: 'SlowDown',
  message: 'Please reduce your request rate.',
  early: true,
};
const NOT_IMPLEMENTED: S3Fault = {
  status: 501,
  code: 'NotImplemented',
  message: 'A header you provided implies functionality that is not implemented',
};

export interface S3FaultProxyOptions {
  /** The real S3 server (path-style addressing). */
  upstream: string;
  /** Decides, per request, whether to answer it with an error instead of passing it on. */
  fault?: (request: S3ProxyRequest) => S3Fault | null | undefined;
  /**
   * Decides, per request, whether to pass it on and let the server act, but answer with this fault
   * instead of what the server said: S3 did the work and the client never learned it (a connection
   * lost on the way back). Recorded with the server's status and `lost` as the fault.
   */
  loseAnswer?: (request: S3ProxyRequest) => S3Fault | null | undefined;
  /**
   * ListParts: `pass` it to the server as is; `emulate` it from the uploads and parts seen passing
   * through (for servers without ListParts); or answer `not-implemented` (501). Default `pass`.
   */
  listParts?: 'pass' | 'emulate' | 'not-implemented';
  /**
   * Treat the worker's checksum-mode probe (keys under PROBE_PREFIX) like any request: recorded and
   * open to faults. Default false: tests of an import see only the import's own requests.
   */
  probes?: boolean;
  /**
   * Decides, per request, whether to flip one byte of its body on the way to the server (bytes
   * changed in transit): the length stays, the framing stays, the checksums sent no longer match.
   */
  corrupt?: (request: S3ProxyRequest) => boolean;
  /**
   * Play a server that does not know aws-chunked bodies (s3rver, older appliances): the headers that
   * announce the encoding are taken off every request, so the server stores the framing and the
   * trailer as the object's bytes. Probe requests included: it is the server being played.
   */
  ignoresAwsChunked?: boolean;
}

export interface S3FaultProxy {
  /** For S3_ENDPOINT (path-style). */
  url: string;
  /** Every request, with the status it got (`fault` when the proxy made the answer up). */
  requests: Array<S3ProxyRequest & { status: number; fault?: string }>;
  ledger: S3PartLedger;
  close(): Promise<void>;
}

/**
 * A real HTTP proxy in front of an S3-compatible server that can answer chosen requests with S3's
 * own error responses (500 InternalError, 503 SlowDown...) and can stand in for ListParts, which the
 * local S3 server lacks.
 */
export async function startS3FaultProxy(options: S3FaultProxyOptions): Promise<S3FaultProxy> {
  const target = new URL(options.upstream);
  const listPartsMode = options.listParts ?? 'pass';
  const ledger = new S3PartLedger();
  const attempts = new Map<string, number>();
  const proxy: S3FaultProxy = { url: '', requests: [], ledger, close: async () => {} };

  const handle = (req: IncomingMessage, res: ServerResponse, awaitingContinue: boolean): void => {
    if (options.ignoresAwsChunked) forgetAwsChunked(req.headers);
    const parsed = parseRequest(req);
    // The worker's checksum-mode probe is not the import under test: passed on as it is, unrecorded.
    if (!options.probes && parsed.key.startsWith(PROBE_PREFIX)) {
      if (awaitingContinue) res.writeContinue();
      forward(req, res, target, null);
      return;
    }
    const attemptKey = `${parsed.operation} ${parsed.uploadId ?? ''} ${parsed.partNumber ?? ''}`;
    const attempt = (attempts.get(attemptKey) ?? 0) + 1;
    attempts.set(attemptKey, attempt);
    const described: S3ProxyRequest = { ...parsed, method: req.method ?? '', attempt };
    const record = (status: number, fault?: string): void => {
      proxy.requests.push({ ...described, status, ...(fault ? { fault } : {}) });
    };

    let fault = options.fault?.(described) ?? null;
    if (!fault && parsed.operation === 'ListParts' && listPartsMode === 'not-implemented')
      fault = NOT_IMPLEMENTED;
    if (fault) {
      const answer = fault;
      const early = awaitingContinue && answer.early === true;
      const send = (): void => {
        record(answer.status, answer.code);
        sendError(res, answer, { close: early });
      };
      if (early) {
        send();
        return;
      }
      if (awaitingContinue) res.writeContinue();
      req.resume().once('end', send);
      return;
    }
    if (awaitingContinue) res.writeContinue();

    if (parsed.operation === 'ListParts' && listPartsMode === 'emulate') {
      req.resume();
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      const xml = ledger.listPartsXml(parsed.uploadId ?? '', parsed.bucket, parsed.key, {
        maxParts: Math.min(Number(query.get('max-parts') ?? 1000) || 1000, 1000),
        marker: Number(query.get('part-number-marker') ?? 0) || 0,
      });
      if (xml === null) {
        record(404, 'NoSuchUpload');
        sendError(res, {
          status: 404,
          code: 'NoSuchUpload',
          message:
            'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
        });
        return;
      }
      record(200);
      res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
      res.end(xml);
      return;
    }

    const lost = options.loseAnswer?.(described) ?? null;
    const corrupted = options.corrupt?.(described) ? flipByteAt(CORRUPTED_OFFSET) : null;
    forward(req, res, target, corrupted, (answer) => {
      const status = answer.statusCode ?? 502;
      record(status, lost ? 'lost' : corrupted ? 'corrupted' : undefined);
      observe(ledger, parsed, req, answer.headers, status);
      // Small XML answers that say which upload was made, or whether completion really worked.
      const told =
        parsed.operation === 'CreateMultipartUpload' || parsed.operation === 'CompleteMultipartUpload';
      if (!lost && !told) {
        res.writeHead(status, answer.headers);
        pipeline(answer, res, () => {});
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        observeBody(ledger, parsed, status, body.toString('utf8'));
        if (lost) {
          sendError(res, lost);
          return;
        }
        res.writeHead(status, answer.headers);
        res.end(body);
      });
      answer.on('error', () => res.destroy());
    });
  };

  const server = createServer((req, res) => handle(req, res, false));
  server.on('checkContinue', (req, res) => handle(req, res, true));
  const listening = await listenOnLoopback(server);
  proxy.url = listening.url;
  proxy.close = listening.close;
  return proxy;
}

/** Passes a request on to the real server, and its answer back as it is unless `respond` takes it. */
function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  transform: Transform | null,
  respond: (answer: IncomingMessage) => void = (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    pipeline(answer, res, () => {});
  },
): void {
  const headers: IncomingHttpHeaders = { ...req.headers };
  delete headers.expect; // answered here already
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
    respond,
  );
  upstream.on('error', () => res.destroy());
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  if (transform) pipeline(req, transform, upstream, () => {});
  else pipeline(req, upstream, () => {});
}

function forgetAwsChunked(headers: IncomingHttpHeaders): void {
  if (!headers['content-encoding']?.includes('aws-chunked')) return;
  delete headers['content-encoding'];
  delete headers['x-amz-decoded-content-length'];
  delete headers['x-amz-trailer'];
  headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
}

/** Past an aws-chunked chunk header (`40000\r\n`): a payload byte in either framing. */
const CORRUPTED_OFFSET = 1000;

/** Passes bytes on, with the one at `offset` inverted. */
function flipByteAt(offset: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (seen <= offset && offset < seen + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[offset - seen] = (copy[offset - seen] ?? 0) ^ 0xff;
        chunk = copy;
      }
      seen += chunk.length;
      callback(null, chunk);
    },
  });
}

function parseRequest(req: IncomingMessage): Omit<S3ProxyRequest, 'method' | 'attempt'> {
  const url = new URL(req.url ?? '/', 'http://x');
  const [, bucket = '', ...keyParts] = url.pathname.split('/');
  const key = decodeURIComponent(keyParts.join('/'));
  const query = url.searchParams;
  const uploadId = query.get('uploadId') ?? undefined;
  const partNumber = query.has('partNumber') ? Number(query.get('partNumber')) : undefined;
  const method = req.method ?? '';
  let operation: S3Operation = 'Other';
  if (key && method === 'POST' && query.has('uploads')) operation = 'CreateMultipartUpload';
  else if (key && uploadId && method === 'PUT' && partNumber !== undefined)
    operation = req.headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart';
  else if (key && uploadId && method === 'POST') operation = 'CompleteMultipartUpload';
  else if (key && uploadId && method === 'DELETE') operation = 'AbortMultipartUpload';
  else if (key && uploadId && method === 'GET') operation = 'ListParts';
  const accessKeyId = /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? '')?.[1];
  return {
    operation,
    bucket: decodeURIComponent(bucket),
    key,
    ...(accessKeyId ? { accessKeyId } : {}),
    ...(uploadId ? { uploadId } : {}),
    ...(partNumber !== undefined ? { partNumber } : {}),
  };
}

/** Keeps the ledger in step with what S3 accepted, from the answer's headers. */
function observe(
  ledger: S3PartLedger,
  parsed: Omit<S3ProxyRequest, 'method' | 'attempt'>,
  req: IncomingMessage,
  headers: IncomingHttpHeaders,
  status: number,
): void {
  if (status < 200 || status >= 300 || !parsed.uploadId) return;
  if (parsed.operation === 'UploadPart' && parsed.partNumber !== undefined && headers.etag) {
    // aws-chunked bodies say their real length in x-amz-decoded-content-length.
    const size = Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length']);
    const crc = headers['x-amz-checksum-crc32'];
    ledger.partStored(parsed.uploadId, {
      partNumber: parsed.partNumber,
      etag: headers.etag,
      size,
      ...(typeof crc === 'string' ? { checksumCrc32: crc } : {}),
      lastModified: new Date(),
    });
  }
  if (parsed.operation === 'AbortMultipartUpload') ledger.ended(parsed.uploadId);
}

function observeBody(
  ledger: S3PartLedger,
  parsed: Omit<S3ProxyRequest, 'method' | 'attempt'>,
  status: number,
  body: string,
): void {
  if (status !== 200 || body.includes('<Error>')) return;
  if (parsed.operation === 'CreateMultipartUpload') {
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(body)?.[1];
    if (uploadId) ledger.created(uploadId, parsed.bucket, parsed.key);
  }
  if (parsed.operation === 'CompleteMultipartUpload' && parsed.uploadId) ledger.ended(parsed.uploadId);
}

function sendError(res: ServerResponse, fault: S3Fault, options: { close?: boolean } = {}): void {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escapeXml(fault.code)}</Code><Message>${escapeXml(fault.message ?? fault.code)}</Message>` +
    `<RequestId>${requestId}</RequestId><HostId>s3-fault-proxy</HostId></Error>`;
  res.writeHead(fault.status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(xml),
    'x-amz-request-id': requestId,
    // The body we did not read is still on the way: this connection cannot carry another request.
    ...(options.close ? { connection: 'close' } : {}),
  });
  res.end(xml);
}
