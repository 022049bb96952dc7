import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { crc32CombineAll } from '@ferry/worker/crc32-combine';

/**
 * A minimal S3-compatible sink for benchmarks: it accepts CreateMultipartUpload, UploadPart,
 * CompleteMultipartUpload and PutObject (both conditional too), AbortMultipartUpload, ListMultipartUploads, HeadObject,
 * DeleteObject and CreateBucket, checksums
 * every body with CRC32 (checking a sent x-amz-checksum-crc32), and keeps nothing but sizes and
 * CRC-32s: an object's, combined from the parts its CompleteMultipartUpload lists in that order, is
 * the CRC-32 of the bytes it would hold, answered as `x-bench-crc32` on HEAD. ETags
 * are made from size and CRC32 rather than MD5: an MD5 pass would cost the sink more CPU than the
 * worker spends on the whole transfer, and the sink shares the machine's two cores with it. The npm S3 emulators are CPU-bound near 60 MB/s; this one is not, so the worker's own cost
 * shows. Runs in its own process so its CPU is not counted as the worker's.
 */
interface Upload {
  key: string;
  initiated: string;
  parts: Map<number, { size: number; etag: string; crc32: number }>;
}

interface StoredObject {
  size: number;
  crc32: number;
}

/** Where a worker's checksum-mode probe writes (services/worker/src/sink/probe-endpoint.ts). */
const PROBE_PREFIX = '.ferry-probe/';

const uploads = new Map<string, Upload>();
const objects = new Map<string, StoredObject>();
let checksumFailures = 0;

/** Decodes aws-chunked framing (`<hex size>[;ext]\r\n<data>\r\n ... 0\r\n<trailers>\r\n\r\n`). */
class AwsChunkedDecoder {
  #buffer: Buffer = Buffer.alloc(0);
  #remaining = 0;
  #skipCrlf = false;
  #done = false;
  trailers = '';

  push(chunk: Buffer, onData: (data: Buffer) => void): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    for (;;) {
      if (this.#done) {
        this.trailers += this.#buffer.toString('latin1');
        this.#buffer = Buffer.alloc(0);
        return;
      }
      if (this.#remaining > 0) {
        if (this.#buffer.length === 0) return;
        const take = Math.min(this.#remaining, this.#buffer.length);
        onData(this.#buffer.subarray(0, take));
        this.#buffer = this.#buffer.subarray(take);
        this.#remaining -= take;
        if (this.#remaining === 0) this.#skipCrlf = true;
        continue;
      }
      if (this.#skipCrlf) {
        if (this.#buffer.length < 2) return;
        this.#buffer = this.#buffer.subarray(2);
        this.#skipCrlf = false;
      }
      const lineEnd = this.#buffer.indexOf('\r\n');
      if (lineEnd < 0) return;
      const size = Number.parseInt(
        this.#buffer.subarray(0, lineEnd).toString('latin1').split(';')[0] ?? '0',
        16,
      );
      this.#buffer = this.#buffer.subarray(lineEnd + 2);
      if (size === 0) this.#done = true;
      else this.#remaining = size;
    }
  }
}

function readBody(
  req: IncomingMessage,
): Promise<{ size: number; etag: string; crc32: number; trailers: string }> {
  return new Promise((resolve, reject) => {
    let crc = 0;
    let size = 0;
    const onData = (data: Buffer) => {
      crc = crc32(data, crc);
      size += data.length;
    };
    const chunked = (req.headers['content-encoding'] ?? '').includes('aws-chunked');
    const decoder = chunked ? new AwsChunkedDecoder() : null;
    req.on('data', (chunk: Buffer) => (decoder ? decoder.push(chunk, onData) : onData(chunk)));
    req.on('end', () =>
      resolve({ size, etag: etagOf(size, crc), crc32: crc, trailers: decoder?.trailers ?? '' }),
    );
    req.on('error', reject);
  });
}

/** Quoted and 32 hex digits like an MD5 ETag, so clients that inspect its shape accept it. */
function etagOf(size: number, crc: number): string {
  return `"${size.toString(16).padStart(24, '0')}${(crc >>> 0).toString(16).padStart(8, '0')}"`;
}

function sentCrc32(req: IncomingMessage, trailers: string): string | undefined {
  const header = req.headers['x-amz-checksum-crc32'];
  if (typeof header === 'string') return header;
  return /x-amz-checksum-crc32:([A-Za-z0-9+/=]+)/.exec(trailers)?.[1];
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const unquoted = (etag: string) => etag.replaceAll('"', '');

/** XML character data with its entities resolved (clients write a quote as &quot; or &#34;). */
function xmlText(text: string): string {
  const named: Record<string, string> = { quot: '"', amp: '&', apos: "'", lt: '<', gt: '>' };
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (entity, name: string) => {
    if (name[0] !== '#') return named[name] ?? entity;
    return String.fromCodePoint(
      name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1)),
    );
  });
}

/** The parts a CompleteMultipartUpload body lists, in its order. */
function listedParts(body: string): Array<{ partNumber: number; etag: string }> {
  return [...body.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part = '']) => ({
    partNumber: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(part)?.[1]),
    etag: xmlText(/<ETag>([^<]*)<\/ETag>/.exec(part)?.[1] ?? ''),
  }));
}

function crcBase64(value: number): string {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer.toString('base64');
}

function xml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://sink');
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const uploadId = url.searchParams.get('uploadId');
  const objectId = `${bucket}/${key}`;
  try {
    if (req.method === 'PUT' && !key) {
      await readBody(req);
      return void res.writeHead(200).end();
    }
    if (req.method === 'GET' && !key && url.searchParams.has('uploads')) {
      // ListMultipartUploads, as a worker asks it for an upload an interrupted attempt left.
      const prefix = `${bucket}/${url.searchParams.get('prefix') ?? ''}`;
      const listed = [...uploads.entries()].filter(([, upload]) => upload.key.startsWith(prefix));
      const entries = listed.map(
        ([id, upload]) =>
          `<Upload><Key>${upload.key.slice(bucket.length + 1)}</Key><UploadId>${id}</UploadId><Initiated>${upload.initiated}</Initiated></Upload>`,
      );
      return xml(
        res,
        200,
        `<ListMultipartUploadsResult><Bucket>${bucket}</Bucket><IsTruncated>false</IsTruncated>${entries.join('')}</ListMultipartUploadsResult>`,
      );
    }
    if (req.method === 'POST' && url.searchParams.has('uploads')) {
      await readBody(req);
      const id = randomBytes(12).toString('hex');
      uploads.set(id, { key: objectId, initiated: new Date().toISOString(), parts: new Map() });
      return xml(
        res,
        200,
        `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    if (req.method === 'PUT' && uploadId) {
      const upload = uploads.get(uploadId);
      const body = await readBody(req);
      if (!upload) return xml(res, 404, '<Error><Code>NoSuchUpload</Code></Error>');
      const sent = sentCrc32(req, body.trailers);
      if (sent && sent !== crcBase64(body.crc32)) {
        // A worker's checksum-mode probe sends wrong checksums on purpose: not an import's failure.
        if (!key.startsWith(PROBE_PREFIX)) checksumFailures++;
        return xml(res, 400, '<Error><Code>BadDigest</Code><Message>CRC32 mismatch</Message></Error>');
      }
      const etag = body.etag;
      upload.parts.set(Number(url.searchParams.get('partNumber')), {
        size: body.size,
        etag,
        crc32: body.crc32,
      });
      res.writeHead(200, { etag, ...(sent ? { 'x-amz-checksum-crc32': sent } : {}) });
      return void res.end();
    }
    if (req.method === 'POST' && uploadId) {
      const listed = listedParts(await readText(req));
      const upload = uploads.get(uploadId);
      if (!upload) return xml(res, 404, '<Error><Code>NoSuchUpload</Code></Error>');
      // A conditional Complete (If-None-Match: *), as AWS refuses it for a taken key: the upload stays.
      if (req.headers['if-none-match'] === '*' && objects.has(upload.key)) {
        return xml(res, 412, '<Error><Code>PreconditionFailed</Code></Error>');
      }
      // As S3: the object is the listed parts, in order, each as uploaded under that ETag.
      const parts = listed.map(({ partNumber, etag }) => {
        const part = upload.parts.get(partNumber);
        // Clients differ in quoting the ETags they list (rclone sends them bare).
        return part && unquoted(part.etag) === unquoted(etag) ? part : null;
      });
      if (parts.length === 0 || parts.some((part) => part === null)) {
        return xml(res, 400, '<Error><Code>InvalidPart</Code></Error>');
      }
      const pieces = parts as Array<{ size: number; crc32: number }>;
      const size = pieces.reduce((sum, part) => sum + part.size, 0);
      objects.set(upload.key, { size, crc32: crc32CombineAll(pieces) });
      uploads.delete(uploadId);
      const etag = `"${createHash('md5').update(uploadId).digest('hex')}-${upload.parts.size}"`;
      return xml(
        res,
        200,
        `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>${etag.replaceAll('"', '&quot;')}</ETag></CompleteMultipartUploadResult>`,
      );
    }
    if (req.method === 'DELETE' && uploadId) {
      uploads.delete(uploadId);
      return void res.writeHead(204).end();
    }
    if (req.method === 'PUT') {
      const body = await readBody(req);
      // A conditional write (If-None-Match: *), as the worker's endpoint probe tries one.
      if (req.headers['if-none-match'] === '*' && objects.has(objectId)) {
        return xml(res, 412, '<Error><Code>PreconditionFailed</Code></Error>');
      }
      objects.set(objectId, { size: body.size, crc32: body.crc32 });
      return void res.writeHead(200, { etag: body.etag }).end();
    }
    if (req.method === 'DELETE') {
      objects.delete(objectId);
      return void res.writeHead(204).end();
    }
    if (req.method === 'HEAD') {
      const object = objects.get(objectId);
      if (object === undefined) return void res.writeHead(404).end();
      return void res
        .writeHead(200, {
          'content-length': object.size,
          etag: '"sink"',
          'x-bench-crc32': (object.crc32 >>> 0).toString(16).padStart(8, '0'),
        })
        .end();
    }
    if (req.method === 'GET' && url.pathname === '/_stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify({
          openUploads: uploads.size,
          // Which, for a run that must end with none: the first few keys.
          openUploadKeys: [...uploads.values()].slice(0, 20).map((upload) => upload.key),
          objects: objects.size,
          checksumFailures,
        }),
      );
    }
    xml(res, 501, '<Error><Code>NotImplemented</Code></Error>');
  } catch (error) {
    xml(res, 500, `<Error><Code>InternalError</Code><Message>${(error as Error).message}</Message></Error>`);
  }
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  // The parent reads the endpoint from the first line.
  process.stdout.write(`http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
