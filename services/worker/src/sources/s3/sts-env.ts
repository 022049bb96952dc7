import { z } from 'zod';

/**
 * Where the worker asks STS for an S3 source's role. Unset: AWS's regional endpoint for the
 * source's region. Operators point it at a VPC endpoint or, in tests, a stand-in.
 */
export const StsEnvFields = {
  STS_ENDPOINT: z
    .string()
    .refine((v) => URL.canParse(v) && ['http:', 'https:'].includes(new URL(v).protocol), {
      message: 'expected a URL starting with http:// or https://',
    })
    .optional(),
};
