import type { ClusterFiles } from './cluster-files.ts';
import { RGW_ENTITY } from './cluster-files.ts';

export interface CephConfigInput {
  files: ClusterFiles;
  fsid: string;
  monAddress: string;
  rgwPort: number;
}

/** The mon's messenger v2 and v1 addresses, as monmaptool and mon_host spell them. */
export function monAddress(ports: { v2: number; v1: number }): string {
  return `[v2:127.0.0.1:${ports.v2},v1:127.0.0.1:${ports.v1}]`;
}

const GIB = 1024 ** 3;

/** ceph.conf of a one-node test cluster: one mon, one BlueStore OSD on a sparse file, one radosgw. */
export function cephConfig({ files, fsid, monAddress, rgwPort }: CephConfigInput): string {
  return `[global]
fsid = ${fsid}
mon_host = ${monAddress}
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
keyring = ${files.keyringOf('$name')}
run_dir = ${files.runDir}
admin_socket = ${files.runDir}/$name.asok
pid_file = ${files.runDir}/$name.pid
crash_dir = ${files.crashDir}
log_file = ${files.logOf('$name')}
log_to_stderr = false
err_to_stderr = true
mon_cluster_log_file = ${files.logOf('cluster')}
mon_data = ${files.monData}
osd_data = ${files.osdData}
rgw_data = ${files.rgwData}
# One OSD: every pool keeps a single copy, and CRUSH picks OSDs, not hosts.
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_crush_chooseleaf_type = 0
# radosgw creates 7 pools; 8 PGs each stays far below mon_max_pg_per_osd (250) and peers at once.
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_warn_on_pool_no_redundancy = false

[mon]
keyring = ${files.monData}/keyring
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
# Commit each map change (pool creation, OSD boot) within 50 ms instead of a second.
paxos_propose_interval = 0.05

[osd]
osd_objectstore = bluestore
osd_journal = ${files.osdData}/journal
# BlueStore creates its block device <osd_data>/block as a sparse file of this size.
bluestore_block_create = true
bluestore_block_size = ${20 * GIB}
bluestore_fsck_on_mkfs = false
# Closing the block device waits for the aio thread's poll; start-up opens and closes it a dozen times.
bdev_aio_poll_ms = 20
# Each op shard opens the block device once at start-up; one shard with two threads is plenty here.
osd_op_num_shards = 1
osd_op_num_threads_per_shard = 2
# The lowest value Ceph accepts.
osd_memory_target = 939524096
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1

[client]
# radosgw starts with the OSD and its first requests wait for it to boot; the objecter retries them
# on its tick, every 5 s by default.
objecter_tick_interval = 0.5

[${RGW_ENTITY}]
rgw_frontends = beast endpoint=127.0.0.1:${rgwPort}
# Beast serves requests asynchronously; its default of 512 threads only costs memory here.
rgw_thread_pool_size = 16
rgw_enable_usage_log = false
# Fail (and so report) well within startRadosgw's own deadline rather than after 5 minutes.
rgw_init_timeout = 60
`;
}
