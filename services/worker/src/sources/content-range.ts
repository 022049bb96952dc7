export type ContentRange =
  /** `bytes 0-99/1000`, or `bytes 0-99/*` when the origin does not know the total. */
  | { kind: 'range'; start: number; end: number; size: number | null }
  /** `bytes *\/1000`: the answer to an unsatisfiable range (416), which still tells the size. */
  | { kind: 'unsatisfied'; size: number };

/** Parses a Content-Range response header (RFC 9110 §14.4); null when it is absent or malformed. */
export function parseContentRange(header: string | null | undefined): ContentRange | null {
  if (!header) return null;
  const value = header.trim();
  const unsatisfied = /^bytes\s+\*\/(\d+)$/i.exec(value);
  if (unsatisfied?.[1]) {
    const size = Number(unsatisfied[1]);
    return Number.isSafeInteger(size) ? { kind: 'unsatisfied', size } : null;
  }
  const match = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value);
  if (!match?.[1] || !match[2] || !match[3]) return null;
  const start = Number(match[1]);
  const end = Number(match[2]);
  const size = match[3] === '*' ? null : Number(match[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return null;
  if (size !== null && (!Number.isSafeInteger(size) || end >= size)) return null;
  return { kind: 'range', start, end, size };
}
