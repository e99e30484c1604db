import { isIPv4, isIPv6 } from 'node:net';
import { VALUE_OTHER } from '../semconv';

/** How `client.address` is recorded: as is, truncated to its network, or as a keyed hash. */
export type AddressMode = 'full' | 'truncate' | 'hash';

/** IPv4 to its /24, IPv6 to its /48 (the usual anonymisation of web analytics). */
export function truncateAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const v4 = mapped ? mapped[1] : address;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0`;
  if (isIPv6(address)) {
    const [head] = address.split('::');
    const groups = head.split(':').filter((g) => g !== '');
    return `${[...groups, '0', '0', '0'].slice(0, 3).join(':')}::`;
  }
  return VALUE_OTHER;
}

/** The `client.address` value to record under `mode`: as is, truncated to its network, or keyed-hashed. */
export function recordedAddress(address: string, mode: AddressMode, hash: (material: string) => string): string {
  if (mode === 'truncate') return truncateAddress(address);
  if (mode === 'hash') return hash(`address\u0000${address}`);
  return address;
}
