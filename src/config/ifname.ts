// Interface names as the kernel accepts them (net/core/dev.c dev_valid_name): not
// empty, not '.' or '..', at most 15 bytes, and no '/', ':' or white space, where the
// kernel's isspace() also counts the byte 0xa0 (so UTF-8 letters such as 'à', c3 a0,
// are refused by `ip link` too). Control characters are refused here as well: a NUL
// would cut the name short in the kernel's C string and open another interface.
import { IFNAME_MAX_BYTES } from './limits';

/** The golden message for the plain cases (too long in characters, blank, '/' or ':'). */
export const IFNAME_EXPECTED = 'an interface name (1 to 15 characters, no space, / or :)';

const KERNEL_SPACE_BYTES = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0]);

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** What `expected ...` says about `name`, or undefined when the kernel would accept it. */
export function explainIfName(name: string): string | undefined {
  if (name === '.' || name === '..' || [...name].length > IFNAME_MAX_BYTES || /[\s/:]/.test(name)) return IFNAME_EXPECTED;
  for (const ch of name) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
      return `an interface name without control characters (found U+${cp.toString(16).toUpperCase().padStart(4, '0')} at character ${[...name.slice(0, name.indexOf(ch))].length + 1})`;
    }
  }
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length > IFNAME_MAX_BYTES) {
    return `an interface name of at most ${IFNAME_MAX_BYTES} bytes (Linux IFNAMSIZ): it has ${[...name].length} characters but ${bytes.length} bytes of UTF-8`;
  }
  for (let i = 0; i < bytes.length; i++) {
    if (KERNEL_SPACE_BYTES.has(bytes[i]!)) {
      const ch = [...name].find((c) => Buffer.from(c, 'utf8').includes(bytes[i]!))!;
      return `an interface name the kernel accepts: '${ch}' is encoded with byte ${hex(bytes[i]!)}, which Linux counts as white space`;
    }
  }
  return undefined;
}
