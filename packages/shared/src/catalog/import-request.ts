import { z } from 'zod';
import { Destination } from './destination.ts';
import { Source } from './sources.ts';

export const ImportRequest = z.strictObject({
  source: Source,
  destination: Destination,
});
export type ImportRequest = z.infer<typeof ImportRequest>;

/** What a queued BullMQ job carries; the worker parses it again on pickup. */
export const ImportJobData = z.strictObject({
  importId: z.string(),
  tenant: z.string(),
  request: ImportRequest,
});
export type ImportJobData = z.infer<typeof ImportJobData>;
