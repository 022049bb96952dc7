import { randomBytes } from 'node:crypto';
import { DropboxContentHasher } from './dropbox-content-hash.ts';
import { assertContent, type EmulatorContent, scanContent } from './emulator-content.ts';
import { EmulatorError } from './emulator-error.ts';

export interface DropboxRevision {
  rev: string;
  content: EmulatorContent;
  size: number;
  contentHash: string;
  serverModified: number;
}

export interface DropboxFile {
  id: string;
  account: string;
  pathDisplay: string;
  /** Oldest first; the last one is the current content. */
  revisions: DropboxRevision[];
}

export interface StoredRevision {
  file: DropboxFile;
  revision: DropboxRevision;
}

export type DropboxEntry =
  | { tag: 'file'; file: DropboxFile; revision: DropboxRevision }
  | { tag: 'folder'; id: string; pathDisplay: string };

/** Dropbox's file metadata for one revision of a file. */
export function fileMetadata(file: DropboxFile, revision: DropboxRevision): Record<string, unknown> {
  const modified = dropboxTime(revision.serverModified);
  return {
    '.tag': 'file',
    name: lastSegment(file.pathDisplay),
    id: file.id,
    path_lower: file.pathDisplay.toLowerCase(),
    path_display: file.pathDisplay,
    rev: revision.rev,
    size: revision.size,
    content_hash: revision.contentHash,
    server_modified: modified,
    client_modified: modified,
    is_downloadable: true,
  };
}

export function folderMetadata(id: string, pathDisplay: string): Record<string, unknown> {
  return {
    '.tag': 'folder',
    name: lastSegment(pathDisplay),
    id,
    path_lower: pathDisplay.toLowerCase(),
    path_display: pathDisplay,
  };
}

/**
 * The files of every account, found by path (case-insensitively), by `id:` or by `rev:`. Folders
 * exist implicitly as the parents of files. Old revisions stay downloadable after a replace.
 */
export class DropboxFiles {
  readonly #byPath = new Map<string, DropboxFile>();
  readonly #byId = new Map<string, DropboxFile>();
  readonly #byRev = new Map<string, StoredRevision>();
  readonly #folderIds = new Map<string, string>();

  async add(account: string, path: string, content: EmulatorContent, now: number): Promise<StoredRevision> {
    assertFilePath(path);
    assertContent(content, 'content');
    if (this.#byPath.has(pathKey(account, path))) {
      throw new EmulatorError('EMULATOR_CONFLICT', `addFile: ${path} exists; use replaceFile`);
    }
    const revision = await this.#revision(content, now);
    if (this.#byPath.has(pathKey(account, path))) {
      throw new EmulatorError('EMULATOR_CONFLICT', `addFile: ${path} exists; use replaceFile`);
    }
    const file: DropboxFile = {
      id: `id:${randomBytes(16).toString('base64url')}`,
      account,
      pathDisplay: path,
      revisions: [],
    };
    this.#byPath.set(pathKey(account, path), file);
    this.#byId.set(file.id, file);
    this.#push(file, revision);
    return { file, revision };
  }

  async replace(
    account: string,
    path: string,
    content: EmulatorContent,
    now: number,
  ): Promise<StoredRevision> {
    assertContent(content, 'content');
    const file = this.#byPath.get(pathKey(account, path));
    if (file === undefined) throw new EmulatorError('EMULATOR_NOT_FOUND', `replaceFile: no file at ${path}`);
    const revision = await this.#revision(content, now);
    this.#push(file, revision);
    return { file, revision };
  }

  /** What a request's `path` argument names for `account`: a path, `id:...` or `rev:...`. */
  resolve(account: string, path: string): DropboxEntry | null {
    if (path.startsWith('rev:')) {
      const found = this.#byRev.get(path.slice(4));
      return found?.file.account === account ? { tag: 'file', ...found } : null;
    }
    const file = path.startsWith('id:') ? this.#byId.get(path) : this.#byPath.get(pathKey(account, path));
    if (file !== undefined && file.account === account) {
      const revision = file.revisions.at(-1);
      return revision === undefined ? null : { tag: 'file', file, revision };
    }
    return path.startsWith('/') ? this.#folder(account, path) : null;
  }

  #folder(account: string, path: string): DropboxEntry | null {
    const prefix = `${path.toLowerCase()}/`;
    const depth = path.split('/').length;
    for (const file of this.#byPath.values()) {
      if (file.account !== account || !file.pathDisplay.toLowerCase().startsWith(prefix)) continue;
      const pathDisplay = file.pathDisplay.split('/').slice(0, depth).join('/');
      const key = pathKey(account, path);
      let id = this.#folderIds.get(key);
      if (id === undefined) {
        id = `id:${randomBytes(16).toString('base64url')}`;
        this.#folderIds.set(key, id);
      }
      return { tag: 'folder', id, pathDisplay };
    }
    return null;
  }

  async #revision(content: EmulatorContent, now: number): Promise<DropboxRevision> {
    const hasher = new DropboxContentHasher();
    const size = await scanContent(content, (chunk) => hasher.update(chunk));
    let rev = randomBytes(6).toString('hex');
    while (this.#byRev.has(rev)) rev = randomBytes(6).toString('hex');
    return { rev, content, size, contentHash: hasher.digest(), serverModified: now };
  }

  #push(file: DropboxFile, revision: DropboxRevision): void {
    file.revisions.push(revision);
    this.#byRev.set(revision.rev, { file, revision });
  }
}

function assertFilePath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || !/^(\/[^/]+)+$/.test(path)) {
    throw new EmulatorError('EMULATOR_BAD_INPUT', 'path must look like /folder/name.ext (no empty segments)');
  }
}

function pathKey(account: string, path: string): string {
  return `${account}\n${path.toLowerCase()}`;
}

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Dropbox timestamps are ISO 8601 in UTC without fractions of a second. */
function dropboxTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
