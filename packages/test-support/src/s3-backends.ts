import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { listOpenMultipartUploads, localS3Client, type OpenMultipartUpload } from '@ferry/local-stack';
import { inject } from 'vitest';
// Brings in the ProvidedContext declaration that types inject().
import type {} from './global-setup.ts';

export type S3BackendName = 'fauxqs' | 'radosgw';

/** One S3-compatible server the suite runs against (started once for the whole run). */
export interface S3TestBackend {
  name: S3BackendName;
  /** Server and version, for test names and logs: "fauxqs 2.4.1", "Ceph RGW 16.2.15". */
  label: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** fauxqs's storage folder: it has no ListMultipartUploads, so its open uploads are read there. */
  dir?: string;
}

/**
 * Every S3 server of this run: the embedded fauxqs (light, lenient: no ListParts, no
 * ListMultipartUploads, checks no checksum) and, unless FERRY_TEST_RADOSGW=0, a one-node Ceph
 * cluster's radosgw (a production S3 implementation, strict where fauxqs is not). The conformance
 * tests run once per server.
 */
export function s3Backends(): S3TestBackend[] {
  return inject('s3Backends');
}

/** The server a test that is not about S3 itself runs against: fauxqs, the lighter one. */
export function defaultBackend(): S3TestBackend {
  return s3Backends()[0] as S3TestBackend;
}

export function backendS3Client(backend: S3TestBackend): S3Client {
  return localS3Client(backend.endpoint, backend.credentials);
}

/**
 * Multipart uploads begun in `bucket` but neither completed nor aborted, as the server says
 * (ListMultipartUploads); fauxqs, which has no such call, from its storage folder.
 */
export async function openMultipartUploads(
  backend: S3TestBackend,
  bucket: string,
): Promise<OpenMultipartUpload[]> {
  if (backend.dir) return listOpenMultipartUploads(backend.dir, bucket);
  const s3 = backendS3Client(backend);
  try {
    const uploads: OpenMultipartUpload[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await s3.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
      );
      for (const upload of page.Uploads ?? []) {
        if (upload.UploadId && upload.Key)
          uploads.push({ uploadId: upload.UploadId, bucket, key: upload.Key });
      }
      if (!page.IsTruncated) return uploads;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  } finally {
    s3.destroy();
  }
}
