import type { S3Client } from '@aws-sdk/client-s3';
import type { Source as SourceSpec } from '@ferry/shared';
import type { Dispatcher } from 'undici';
import type { FleetLimiter } from '../limits/fleet-limiter.ts';
import { HttpSource } from './http-source.ts';
import type { PooledHttpClient } from './pooled-http-client.ts';
import { DropboxSource } from './providers/dropbox-source.ts';
import { GdriveSource } from './providers/gdrive-source.ts';
import type { ProviderDeps } from './providers/provider-deps.ts';
import { type AssumedRole, sourceRole } from './s3/assumed-role.ts';
import { S3ObjectSource } from './s3/s3-object-source.ts';
import type { Source } from './source.ts';

export interface SourceDeps {
  /** The SSRF-guarded dispatcher shared by every HTTP-based source of this worker. */
  agent: Dispatcher;
  /** The keep-alive client part reads of HTTP sources go through, reading into budget buffers. */
  ranges: PooledHttpClient;
  /**
   * An S3 client for a source bucket's region (the worker's own when none is given), reading with
   * the worker's credentials or, given a role, with that role's.
   */
  s3ForRegion: (region: string | undefined, role?: AssumedRole) => S3Client;
  /** The fleet-wide limiter every plain HTTP origin (by host) and provider account passes. */
  limiter: FleetLimiter;
  /** The import the source is read for: names the session of an assumed role. */
  importId: string;
  /** Dropbox and Google Drive: configured API URLs, their clients and the same limiter. */
  providers: ProviderDeps;
}

export function openSource(spec: SourceSpec, deps: SourceDeps): Source {
  switch (spec.type) {
    case 'http':
      return new HttpSource(spec, deps.agent, deps.ranges, deps.limiter);
    case 's3':
      return new S3ObjectSource(spec, deps.s3ForRegion(spec.region, sourceRole(spec, deps.importId)));
    case 'dropbox':
      return new DropboxSource(spec, deps.providers);
    case 'gdrive':
      return new GdriveSource(spec, deps.providers);
  }
}
