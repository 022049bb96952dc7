import { z } from 'zod';

const httpUrl = z
  .string()
  .refine((v) => URL.canParse(v) && ['http:', 'https:'].includes(new URL(v).protocol), {
    message: 'expected a URL starting with http:// or https://',
  })
  .transform((v) => v.replace(/\/+$/, ''));

/**
 * Where the providers' APIs are. Operators point these at emulators or egress proxies; they are
 * trusted configuration, so the SSRF policy that guards client-chosen URLs does not apply to them.
 */
export const ProviderEnvFields = {
  DROPBOX_API_URL: httpUrl.default('https://api.dropboxapi.com'),
  DROPBOX_CONTENT_URL: httpUrl.default('https://content.dropboxapi.com'),
  GDRIVE_API_URL: httpUrl.default('https://www.googleapis.com'),
  GDRIVE_TOKEN_URL: httpUrl.default('https://oauth2.googleapis.com/token'),
};

export interface ProviderUrls {
  dropboxApi: string;
  dropboxContent: string;
  gdriveApi: string;
  gdriveToken: string;
}

export function providerUrls(config: {
  DROPBOX_API_URL: string;
  DROPBOX_CONTENT_URL: string;
  GDRIVE_API_URL: string;
  GDRIVE_TOKEN_URL: string;
}): ProviderUrls {
  return {
    dropboxApi: config.DROPBOX_API_URL,
    dropboxContent: config.DROPBOX_CONTENT_URL,
    gdriveApi: config.GDRIVE_API_URL,
    gdriveToken: config.GDRIVE_TOKEN_URL,
  };
}
