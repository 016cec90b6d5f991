import { BlockList, isIP } from 'node:net';

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
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, Number(prefix), type);
    }
  }

  allows(address: string | undefined): boolean {
    if (this.#all) return true;
    if (!address) return false;
    // IPv4 peers on a dual-stack socket show as ::ffff:a.b.c.d.
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    return this.#list.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
  }
}
