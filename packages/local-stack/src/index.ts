export * from './ensure-redis.ts';
export * from './file-source-server.ts';
export * from './free-port.ts';
export * from './local-s3-client.ts';
export * from './radosgw/start-radosgw.ts';
export * from './s3-server.ts';
