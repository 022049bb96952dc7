import { ADMIN_ENTITY, type ClusterFiles, OSD_ID, RGW_ENTITY } from './cluster-files.ts';
import { runCephTool } from './run-ceph-tool.ts';

/** Each entity's capabilities, as a manual (non-cephadm) deployment grants them. */
const ENTITY_CAPS: Record<string, Record<string, string>> = {
  [ADMIN_ENTITY]: { mon: 'allow *', osd: 'allow *', mgr: 'allow *' },
  [`osd.${OSD_ID}`]: { mon: 'allow profile osd', osd: 'allow *', mgr: 'allow profile osd' },
  // 'rw' on the mon: radosgw creates its pools itself.
  [RGW_ENTITY]: { mon: 'allow rw', osd: 'allow rwx' },
};

function keyringArgs(keyring: string, entity: string, caps: Record<string, string>): string[] {
  return [
    '--create-keyring',
    keyring,
    '--gen-key',
    '-n',
    entity,
    ...Object.entries(caps).flatMap(([service, cap]) => ['--cap', service, cap]),
  ];
}

/**
 * A keyring per entity, plus a seed keyring holding the mon's own key and all the others, from which
 * `ceph-mon --mkfs` fills the auth database: every key is known before the mon first starts.
 */
export async function createKeyrings(cephAuthtool: string, files: ClusterFiles): Promise<void> {
  const entities = Object.entries(ENTITY_CAPS);
  await Promise.all([
    runCephTool(cephAuthtool, files.conf, keyringArgs(files.seedKeyring, 'mon.', { mon: 'allow *' })),
    ...entities.map(([entity, caps]) =>
      runCephTool(cephAuthtool, files.conf, keyringArgs(files.keyringOf(entity), entity, caps)),
    ),
  ]);
  for (const [entity] of entities) {
    await runCephTool(cephAuthtool, files.conf, [
      files.seedKeyring,
      '--import-keyring',
      files.keyringOf(entity),
    ]);
  }
}
