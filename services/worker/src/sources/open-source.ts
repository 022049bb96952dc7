import type { Source as SourceSpec } from '@ferry/shared';
import type { Dispatcher } from 'undici';
import { HttpSource } from './http-source.ts';
import type { Source } from './source.ts';

export interface SourceDeps {
  /** The SSRF-guarded dispatcher shared by every HTTP-based source of this worker. */
  agent: Dispatcher;
}

export function openSource(spec: SourceSpec, deps: SourceDeps): Source {
  switch (spec.type) {
    case 'http':
      return new HttpSource(spec, deps.agent);
  }
}
