import { BlockList, isIPv4 } from 'node:net';

/**
 * The BlockList family of an address: only IPv6 has colons (BlockList itself refuses an invalid one).
 * Not net.isIP: its IPv6 pattern costs ~4 ms of CPU to compile on first use, in every worker's start-up.
 */
const family = (address: string): 'ipv4' | 'ipv6' => (address.includes(':') ? 'ipv6' : 'ipv4');

/** Whether a peer address is in a comma-separated list of IPs and CIDR networks ('*' matches all). */
export class IpAllowList {
  readonly #all: boolean;
  readonly #list = new BlockList();

  constructor(text: string) {
    const items = text.split(',').map((s) => s.trim()).filter(Boolean);
    this.#all = items.includes('*');
    for (const item of items) {
      if (item === '*') continue;
      const [address = '', prefix] = item.split('/');
      const type = family(address);
      if (prefix === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, Number(prefix), type);
    }
  }

  allows(address: string | undefined): boolean {
    if (this.#all) return true;
    if (!address) return false;
    // IPv4 peers on a dual-stack socket show as ::ffff:a.b.c.d.
    const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
    return this.#list.check(plain, family(plain));
  }
}
