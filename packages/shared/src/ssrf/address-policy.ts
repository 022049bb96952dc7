import { BlockList, isIP } from 'node:net';

/** Cloud instance/task metadata endpoints: credentials live there, so they are refused always. */
const METADATA = new BlockList();
METADATA.addAddress('169.254.169.254');
METADATA.addAddress('169.254.170.2'); // ECS task metadata and credentials
METADATA.addAddress('169.254.170.23'); // EKS pod identity agent
METADATA.addAddress('fd00:ec2::254', 'ipv6');
METADATA.addAddress('fd00:ec2::23', 'ipv6');

/** Loopback, private, link-local, unique-local and other non-public ranges. */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** IPv6 forms that embed an IPv4 address (mapped, NAT64): judge the IPv4 address inside. */
function embeddedIPv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted?.[1]) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex?.[1] && hex[2]) {
    const high = Number.parseInt(hex[1], 16);
    const low = Number.parseInt(hex[2], 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return null;
}

/**
 * Why a connection to `address` must be refused, or null when it may go ahead.
 * `allowPrivate` opens loopback and private ranges (dev, tests); metadata addresses stay shut.
 */
export function addressRefusal(address: string, allowPrivate: boolean): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const v4 = family === 6 ? embeddedIPv4(address) : null;
  if (v4) return addressRefusal(v4, allowPrivate);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (METADATA.check(address, type)) return 'is a cloud metadata address';
  if (!allowPrivate && NON_PUBLIC.check(address, type)) return 'is a loopback, private or link-local address';
  return null;
}
