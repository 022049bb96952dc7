import { createHash, randomBytes } from 'node:crypto';
import { assertContent, type EmulatorContent, scanContent } from './emulator-content.ts';
import { EmulatorError } from './emulator-error.ts';

export interface GdriveBinaryFile {
  kind: 'binary';
  id: string;
  account: string;
  name: string;
  mimeType: string;
  abusive: boolean;
  content: EmulatorContent;
  size: number;
  md5: string;
  headRevisionId: string;
  modifiedTime: number;
}

export interface GdriveWorkspaceDocument {
  kind: 'workspace';
  id: string;
  account: string;
  name: string;
  mimeType: string;
  exports: ReadonlyMap<string, Buffer>;
  modifiedTime: number;
}

export type GdriveFile = GdriveBinaryFile | GdriveWorkspaceDocument;

export interface AddBinaryOptions {
  account: string;
  name: string;
  mimeType: string;
  abusive: boolean;
}

export interface AddWorkspaceOptions {
  account: string;
  name: string;
  mimeType: string;
  exports: Record<string, Buffer>;
}

/** The fields files.get can return; a request for any other is refused, as Drive refuses unknown ones. */
export const GDRIVE_FIELDS = [
  'kind',
  'id',
  'name',
  'mimeType',
  'size',
  'md5Checksum',
  'headRevisionId',
  'modifiedTime',
] as const;

/** The Drive v3 resource, limited to `fields`; Workspace documents have no size, md5 or revision. */
export function driveResource(file: GdriveFile, fields: readonly string[]): Record<string, unknown> {
  const all: Record<string, unknown> = {
    kind: 'drive#file',
    id: file.id,
    name: file.name,
    mimeType: file.mimeType,
    ...(file.kind === 'binary'
      ? { size: String(file.size), md5Checksum: file.md5, headRevisionId: file.headRevisionId }
      : {}),
    modifiedTime: new Date(file.modifiedTime).toISOString(),
  };
  return Object.fromEntries(fields.filter((field) => field in all).map((field) => [field, all[field]]));
}

/** Files of every account, by id. A replace gives a binary file new content and a new revision id. */
export class GdriveFiles {
  readonly #byId = new Map<string, GdriveFile>();

  async addBinary(
    content: EmulatorContent,
    options: AddBinaryOptions,
    now: number,
  ): Promise<GdriveBinaryFile> {
    assertContent(content, 'content');
    if (options.mimeType.startsWith('application/vnd.google-apps.')) {
      throw new EmulatorError(
        'EMULATOR_BAD_INPUT',
        'mimeType: use addWorkspaceDocument for Google Workspace types',
      );
    }
    const digest = await md5Of(content);
    const file: GdriveBinaryFile = {
      kind: 'binary',
      id: newFileId(),
      ...options,
      content,
      ...digest,
      headRevisionId: newRevisionId(),
      modifiedTime: now,
    };
    this.#byId.set(file.id, file);
    return file;
  }

  addWorkspace(options: AddWorkspaceOptions, now: number): GdriveWorkspaceDocument {
    if (!options.mimeType.startsWith('application/vnd.google-apps.')) {
      throw new EmulatorError(
        'EMULATOR_BAD_INPUT',
        'mimeType must be a Google Workspace type (application/vnd.google-apps.*)',
      );
    }
    const exports = new Map<string, Buffer>();
    for (const [mime, bytes] of Object.entries(options.exports)) {
      if (!Buffer.isBuffer(bytes))
        throw new EmulatorError('EMULATOR_BAD_INPUT', `exports[${mime}] must be a Buffer`);
      exports.set(mime, bytes);
    }
    const file: GdriveWorkspaceDocument = {
      kind: 'workspace',
      id: newFileId(),
      ...options,
      exports,
      modifiedTime: now,
    };
    this.#byId.set(file.id, file);
    return file;
  }

  async replace(id: string, content: EmulatorContent, now: number): Promise<GdriveBinaryFile> {
    assertContent(content, 'content');
    const file = this.#byId.get(id);
    if (file === undefined) throw new EmulatorError('EMULATOR_NOT_FOUND', `replaceFile: no file ${id}`);
    if (file.kind !== 'binary') {
      throw new EmulatorError(
        'EMULATOR_BAD_INPUT',
        'replaceFile: Workspace documents have no binary content',
      );
    }
    const digest = await md5Of(content);
    Object.assign(file, { content, ...digest, headRevisionId: newRevisionId(), modifiedTime: now });
    return file;
  }

  /** The file `id` as `account` sees it: another account's file is as good as missing. */
  find(account: string, id: string): GdriveFile | null {
    const file = this.#byId.get(id);
    return file?.account === account ? file : null;
  }
}

async function md5Of(content: EmulatorContent): Promise<{ size: number; md5: string }> {
  const hash = createHash('md5');
  const size = await scanContent(content, (chunk) => hash.update(chunk));
  return { size, md5: hash.digest('hex') };
}

function newFileId(): string {
  return `1${randomBytes(24).toString('base64url')}`;
}

function newRevisionId(): string {
  return `0B${randomBytes(24).toString('base64url')}`;
}
