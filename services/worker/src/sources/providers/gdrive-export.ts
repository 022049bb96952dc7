/** Google Workspace documents have no bytes of their own: they are exported to a file format. */
export const WORKSPACE_PREFIX = 'application/vnd.google-apps.';

const DEFAULT_EXPORTS: Record<string, string> = {
  'application/vnd.google-apps.document':
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.google-apps.spreadsheet':
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.google-apps.presentation':
    'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.google-apps.drawing': 'image/svg+xml',
  'application/vnd.google-apps.script': 'application/vnd.google-apps.script+json',
};

/** Kinds that cannot be exported at all (folders, shortcuts, forms, sites). */
const NOT_EXPORTABLE = new Set([
  'application/vnd.google-apps.folder',
  'application/vnd.google-apps.shortcut',
  'application/vnd.google-apps.form',
  'application/vnd.google-apps.site',
]);

export function isWorkspaceDocument(mimeType: string): boolean {
  return mimeType.startsWith(WORKSPACE_PREFIX);
}

/** The export format: the one asked for, else the usual office format of the kind, else PDF; null = none. */
export function exportMimeType(documentType: string, requested: string | undefined): string | null {
  if (NOT_EXPORTABLE.has(documentType)) return null;
  return requested ?? DEFAULT_EXPORTS[documentType] ?? 'application/pdf';
}
