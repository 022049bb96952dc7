import { ErrorCode } from '../errors.ts';

/**
 * Which client-given URL an SSRF refusal is about: the error names its field and carries its code,
 * so a refused callback URL is not reported as a refused source.
 */
export interface OutboundUrl {
  field: string;
  /** What the host is, in messages: "source host ... resolves to ...". */
  noun: string;
  refused: ErrorCode;
  unresolved: ErrorCode;
}

export const SOURCE_URL: OutboundUrl = {
  field: 'source.url',
  noun: 'source',
  refused: ErrorCode.SOURCE_ADDRESS_REFUSED,
  unresolved: ErrorCode.SOURCE_HOST_UNRESOLVED,
};

export const NOTIFY_URL: OutboundUrl = {
  field: 'notify.url',
  noun: 'notify',
  refused: ErrorCode.NOTIFY_ADDRESS_REFUSED,
  unresolved: ErrorCode.NOTIFY_HOST_UNRESOLVED,
};
