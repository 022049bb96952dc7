import type { Source } from '@ferry/shared';

const VARIABLES = ['basename', 'path', 'row'] as const;
const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Why a key template cannot be used, or null: it must name at least one known variable. */
export function keyTemplateProblem(template: string): string | null {
  const names = [...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '');
  const unknown = names.find((name) => !(VARIABLES as readonly string[]).includes(name));
  if (unknown !== undefined) return `{${unknown}} is not one of ${VARIABLES.map((v) => `{${v}}`).join(', ')}`;
  if (names.length === 0) return 'must use {basename}, {path} or {row}, or every row would have one key';
  return null;
}

/**
 * The key of row `row` from a template: `{path}` is the source's path (a URL's path decoded and
 * without its leading slash, an S3 source's key, a Dropbox path, a Drive file id), `{basename}` its
 * last segment, `{row}` the row number.
 */
export function expandKeyTemplate(template: string, source: Source, row: number): string {
  const path = sourcePath(source);
  const basename = path.slice(path.lastIndexOf('/') + 1);
  return template.replace(PLACEHOLDER, (_, name: string) =>
    name === 'row' ? String(row) : name === 'path' ? path : basename,
  );
}

function sourcePath(source: Source): string {
  switch (source.type) {
    case 'http': {
      const pathname = URL.canParse(source.url) ? new URL(source.url).pathname : '';
      try {
        return decodeURIComponent(pathname).replace(/^\/+/, '');
      } catch {
        return pathname.replace(/^\/+/, '');
      }
    }
    case 's3':
      return source.key;
    case 'dropbox':
      return source.path.replace(/^\/+/, '');
    case 'gdrive':
      return source.fileId;
  }
}
