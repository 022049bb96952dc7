import type { Dispatcher } from 'undici';
import type { FleetLimiter } from '../../limits/fleet-limiter.ts';
import type { PooledHttpClient } from '../pooled-http-client.ts';
import type { ProviderUrls } from './provider-env.ts';

/** What the Dropbox and Google Drive adapters share within one worker. */
export interface ProviderDeps {
  urls: ProviderUrls;
  /** For the providers' JSON APIs (metadata, token refresh). */
  dispatcher: Dispatcher;
  /** For ranged downloads, read straight into the part's memory-budget buffers. */
  downloads: PooledHttpClient;
  /** Every request passes the fleet-wide limiter of its provider account. */
  limiter: FleetLimiter;
  now: () => number;
}
