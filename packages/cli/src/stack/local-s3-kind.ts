/** The S3 servers `ferry up --s3` can run: fauxqs (embedded, light) or Ceph RGW (production). */
export const LOCAL_S3_KINDS = ['fauxqs', 'radosgw'] as const;
export type LocalS3Kind = (typeof LOCAL_S3_KINDS)[number];
