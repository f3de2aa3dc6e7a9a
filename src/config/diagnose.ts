// Why a word is not the address, prefix or MAC it was meant to be, in a phrase an
// operator can act on ("':::' is not allowed", "this has 5 bytes"). Only called once
// a value has already failed to parse, so none of this is on any hot path.
import { parseIp, parseIp4 } from '../net/addr';

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Why `text` is not an IPv4 address, when it looks like one (digits and dots); else undefined. */
export function explainIp4(text: string): string | undefined {
  if (!/^[\d.]+$/.test(text) || !text.includes('.')) return undefined;
  const parts = text.split('.');
  if (parts.length !== 4) return `it has ${parts.length} parts, not 4`;
  for (const p of parts) {
    if (p === '') return 'an empty part between dots';
    if (Number(p) > 255) return `'${p}' is over 255`;
    if (p.length > 1 && p[0] === '0') return `'${p}' has a leading zero, which could mean octal`;
  }
  return undefined;
}

/** Why `text` is not an IPv6 address, when it looks like one (has a ':'); else undefined. */
export function explainIp6(text: string): string | undefined {
  if (!text.includes(':')) return undefined;
  if (text.includes('%')) return "a zone index ('%NAME') is not allowed here";
  if (text.includes(':::')) return "':::' is not allowed: '::' stands for one run of zero groups";
  const doubles = text.split('::').length - 1;
  if (doubles > 1) return "'::' may appear only once";
  if (/^:[^:]/.test(text)) return "it starts with a single ':'";
  if (/[^:]:$/.test(text)) return "it ends with a single ':'";
  const groups = text.split(/::?/).filter((g) => g !== '');
  let count = groups.length;
  const last = groups[groups.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (parseIp4(last) === undefined) return `the embedded IPv4 part '${last}' is not an IPv4 address`;
    groups.pop();
    count++; // the IPv4 part fills two groups
  }
  for (const g of groups) {
    if (!HEX_GROUP.test(g)) {
      return /^[0-9a-fA-F]+$/.test(g) ? `group '${g}' has more than 4 hex digits` : `'${g}' is not a group of hex digits`;
    }
  }
  if (doubles === 1 && count > 7) return `${count} groups besides '::', which leaves none for it`;
  if (doubles === 0 && count !== 8) return `${count} groups and no '::': an IPv6 address has 8`;
  return undefined;
}

/** Why `text` is not an address of either family, when that can be said; else undefined. */
export function explainIp(text: string): string | undefined {
  return explainIp6(text) ?? explainIp4(text);
}

/**
 * What is wrong with the prefix `text` when parsePrefix refused it for a reason other than
 * host bits: a phrase for `expected a ROLE prefix...`, or undefined for the generic message.
 */
export function explainPrefix(text: string, role: string): string | undefined {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseIp(addrText);
  if (addr) {
    const fam = addr.family === 4 ? 'IPv4' : 'IPv6';
    const max = addr.family === 4 ? 32 : 128;
    const len = text.slice(slash + 1);
    if (/^\d+$/.test(len)) return `a ${role} prefix length from 0 to ${max} (an ${fam} address has ${max} bits)`;
    return `a ${role} prefix length after '/': a whole number from 0 to ${max}`;
  }
  const v6 = explainIp6(addrText);
  if (v6) return `a ${role} prefix: an IPv6 address (${v6})`;
  const v4 = explainIp4(addrText);
  if (v4) return `a ${role} prefix: an IPv4 address (${v4})`;
  return undefined;
}

const MACISH = /^[0-9a-fA-F]{1,2}([:-][0-9a-fA-F]{1,2}){2,}$/;

/** How many bytes a MAC-looking word has when it is not 6 (`02:00:5e:00:53`: 5); else undefined. */
export function macByteCount(text: string): number | undefined {
  if (!MACISH.test(text)) return undefined;
  const n = text.split(/[:-]/).length;
  return n === 6 ? undefined : n;
}
