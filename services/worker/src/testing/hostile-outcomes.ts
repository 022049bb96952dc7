import { ErrorCode } from '@ferry/shared';
import type { HostileClass } from './hostile-answers.ts';

export interface HostileOutcome {
  code: ErrorCode;
  retryable: boolean;
}

const broken = { code: ErrorCode.SOURCE_PROTOCOL_ERROR, retryable: false };
const lost = { code: ErrorCode.SOURCE_NETWORK_ERROR, retryable: true };
const garbledRange = { code: ErrorCode.SOURCE_SIZE_MISMATCH, retryable: true };
const refusedRedirect = { code: ErrorCode.SOURCE_CLIENT_ERROR, retryable: false };
const refusedAddress = { code: ErrorCode.SOURCE_ADDRESS_REFUSED, retryable: false };

/**
 * How a read of each hostile class must end: an answer that breaks HTTP fails for good
 * (SOURCE_PROTOCOL_ERROR); a connection lost, stalled or trickling is retried (SOURCE_NETWORK_ERROR);
 * a range answered with other bytes than asked is retried (SOURCE_SIZE_MISMATCH), one of another size
 * is another version (SOURCE_CHANGED); redirects out of HTTP or to metadata addresses are refused.
 */
export const HOSTILE_OUTCOMES: Record<HostileClass, HostileOutcome> = {
  'status-garbled': broken,
  'status-not-http': broken,
  'status-out-of-range': broken,
  'status-http2-preface': broken,
  'head-bare-lf': broken,
  'header-flood-count': broken,
  'header-flood-single': broken,
  'headers-never-end': lost,
  'header-control-char': broken,
  'header-obs-fold': broken,
  'interim-flood': broken,
  'switching-protocols': broken,
  'length-and-chunked': broken,
  'length-conflict': broken,
  'length-overflow': broken,
  'length-negative': broken,
  'coding-unsupported': broken,
  'chunk-size-negative': broken,
  'chunk-size-garbage': broken,
  'chunk-size-overflow': broken,
  'chunk-data-overrun': broken,
  'chunk-extension-flood': broken,
  'chunk-final-missing': lost,
  'trailer-flood': broken,
  'body-longer-than-length': broken,
  'body-shorter-then-close': lost,
  'body-endless-chunked': garbledRange,
  'body-endless-close-delimited': garbledRange,
  'range-other-bytes': garbledRange,
  'range-wrong-total': { code: ErrorCode.SOURCE_CHANGED, retryable: false },
  'range-missing': garbledRange,
  'range-duplicate': garbledRange,
  'range-ignored': broken,
  'compressed-body': broken,
  'stall-before-head': lost,
  'stall-mid-head': lost,
  'stall-mid-body': lost,
  'trickle-head': lost,
  'trickle-body': lost,
  'reset-before-status': lost,
  'reset-mid-head': lost,
  'reset-mid-body': lost,
  'close-before-status': lost,
  'redirect-ftp': refusedRedirect,
  'redirect-file': refusedRedirect,
  'redirect-metadata': refusedAddress,
  'redirect-metadata-mapped': refusedAddress,
  'redirect-metadata-hex': refusedAddress,
  'redirect-loop': refusedRedirect,
  'redirect-malformed': broken,
  'stream-status-garbled': broken,
  'stream-header-flood': broken,
  // undici refuses both headers itself, as a length mismatch, which cannot be told from a body cut short.
  'stream-length-and-chunked': lost,
  'stream-compressed': broken,
  'stream-shorter-then-close': lost,
  'stream-reset-mid-body': lost,
  'stream-stall-mid-body': lost,
  'stream-trickle-body': lost,
  'stream-endless-chunked': { code: ErrorCode.SOURCE_SIZE_MISMATCH, retryable: true },
};

/** Classes that send without end until the client stops reading: the memory-bound checks. */
export const FLOOD_CLASSES: HostileClass[] = [
  'header-flood-count',
  'header-flood-single',
  'interim-flood',
  'chunk-extension-flood',
  'trailer-flood',
  'body-endless-chunked',
  'body-endless-close-delimited',
  'stream-header-flood',
  'stream-endless-chunked',
];
