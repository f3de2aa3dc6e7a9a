// Translation of Roy Marples' parpd.conf (parpd.conf(5), github.com/rsmarples/parpd)
// into neighproxy's language. Not to be confused with Lutz Donnerhacke's parpd (FreeBSD
// net/parpd), whose language neighproxy's is and which loads unchanged.
//
// Roy Marples' format, as his load_config() reads it: one entry per line,
// `COMMAND [ADDRESS[/CIDR|/NETMASK]] [MAC]`, words split by spaces and tabs, a line whose
// first word starts with `#` or `;` is a comment. COMMAND is `proxy` (answer, with MAC or
// the interface's own), `halfproxy`/`half` (the same, but never to a sender 0.0.0.0),
// `ignore`, `attack` (a test of RFC 5227 implementations) or `interface NAME` (the entries
// after it apply to NAME only; those before any `interface` line to every interface).
// parpd skips a line it cannot read with a debug message; this import skips it with a
// note. The lookup, for a target on interface I: an entry of I containing the target,
// else I's 0.0.0.0 entry; when that finds nothing or `ignore`, the same in the global
// entries. Overlapping entries have no defined order in parpd's tree; the most specific
// is tried first here.
import { formatIp4, formatMac, isMulticastMac, mask4, parseIp4, parseMac, type Mac } from '../net/addr';
import { ConfigError } from './errors';

type Action = 'proxy' | 'halfproxy' | 'ignore';

interface Entry {
  action: Action;
  net: number;
  bits: number;
  mac: Mac | undefined;
  line: number;
}

interface Parsed {
  global: Entry[];
  byInterface: Map<string, Entry[]>;
  notes: string[];
}

/** Prefix length of a contiguous dotted netmask, or undefined. */
function maskBits(text: string): number | undefined {
  const m = parseIp4(text);
  if (m === undefined) return undefined;
  for (let bits = 0; bits <= 32; bits++) if ((mask4(bits) >>> 0) === m) return bits;
  return undefined;
}

function entry(action: Action, match: string, hw: string | undefined, line: number, notes: string[]): Entry | undefined {
  const skip = (why: string): undefined => {
    notes.push(`line ${line}: ${why}; parpd skips the line, and so does this import`);
    return undefined;
  };
  const cannot = (why: string): undefined => {
    notes.push(`line ${line}: ${why}; not imported`);
    return undefined;
  };
  const [addrText, lenText] = match.split('/', 2) as [string, string | undefined];
  let bits = 32;
  if (lenText !== undefined && lenText !== '') {
    if (/^\d+$/.test(lenText)) {
      bits = Number(lenText);
      if (bits > 32) return skip(`'${lenText}' is not a prefix length from 0 to 32`);
    } else {
      const b = maskBits(lenText);
      if (b === undefined) {
        if (parseIp4(lenText) === undefined) return skip(`'${lenText}' is neither a prefix length nor a netmask`);
        return cannot(`netmask ${lenText} is not contiguous: parpd matches with it, neighproxy rules are prefixes`);
      }
      bits = b;
    }
  }
  const ip = parseIp4(addrText);
  if (ip === undefined) return skip(`'${addrText}' is not an IPv4 address`);
  const net = (ip & mask4(bits)) >>> 0;
  if (net !== ip) notes.push(`line ${line}: ${match} has host bits set; parpd masks them, imported as ${formatIp4(net)}/${bits}`);
  // parpd's fallback entry is whatever masks to 0.0.0.0: it matches every target.
  if (net === 0) bits = 0;
  let mac: Mac | undefined;
  if (hw !== undefined) {
    mac = parseMac(hw);
    if (mac === undefined) return cannot(`'${hw}' is not a 6-byte Ethernet MAC (parpd reads it but never answers with it on Ethernet)`);
    if (isMulticastMac(mac)) return cannot(`'${hw}' is a group (multicast) MAC: parpd answers with it, but no host accepts it as a neighbour's and neighproxy refuses it`);
  }
  return { action, net, bits, mac, line };
}

function read(text: string, file: string, notes: string[]): Parsed {
  const out: Parsed = { global: [], byInterface: new Map(), notes };
  let current: Entry[] = out.global;
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const words = raw.split(/[ \t\r]+/).filter((w) => w !== '');
    const [cmd, match, hw, ...rest] = words;
    if (!cmd || cmd.startsWith('#') || cmd.startsWith(';')) return;
    if (cmd === 'interface') {
      if (!match) {
        const col = raw.length + 1;
        throw new ConfigError('E_CONFIG_SYNTAX', file, line, col, `${file}:${line}:${col}: found end of line, expected an interface name after 'interface'`);
      }
      if (!out.byInterface.has(match)) out.byInterface.set(match, []);
      current = out.byInterface.get(match)!;
      return;
    }
    const action: Action | 'attack' | undefined =
      cmd === 'proxy' || cmd === 'ignore' ? cmd : cmd === 'half' || cmd === 'halfproxy' ? 'halfproxy' : cmd === 'attack' ? 'attack' : undefined;
    if (!action) return void notes.push(`line ${line}: '${cmd}' is not a parpd command; parpd logs it and goes on, and so does this import`);
    if (!match) return void notes.push(`line ${line}: '${cmd}' without an address; parpd skips it, and so does this import`);
    if (action === 'attack') {
      return void notes.push(`line ${line}: 'attack ${match}' (answer for an address after its owner announced it twice, to test RFC 5227) has no equivalent; not imported`);
    }
    const macWord = hw && !hw.startsWith('#') && !hw.startsWith(';') ? hw : undefined;
    if (macWord && rest.length && !rest[0]!.startsWith('#') && !rest[0]!.startsWith(';')) {
      notes.push(`line ${line}: words after the MAC ('${rest.join(' ')}') are ignored by parpd, and here`);
    }
    const e = entry(action, match, macWord, line, notes);
    if (e) current.push(e);
  });
  return out;
}

const contains = (outer: Entry, inner: { net: number; bits: number }): boolean =>
  outer.bits <= inner.bits && ((inner.net & mask4(outer.bits)) >>> 0) === outer.net;

/** Most specific first; the order parpd's tree gives overlapping entries is undefined. */
const bySpecificity = (list: Entry[]): Entry[] => [...list].sort((a, b) => b.bits - a.bits || a.line - b.line);

function ruleText(e: Entry, target: { net: number; bits: number }, origin: string): string[] {
  const t = `${formatIp4(target.net)}/${target.bits}`;
  const act = e.action === 'ignore' ? 'ignore' : e.mac !== undefined ? formatMac(e.mac) : 'self';
  // proxy answers every request, probes (sender 0.0.0.0) included; halfproxy does not.
  const flags = e.action === 'proxy' ? 'probes ' : '';
  return [` # parpd line ${e.line}: ${e.action} ${origin}`, ` rule 0.0.0.0/0 ${t} ${flags}${act}`];
}

function interfaceRules(own: Entry[], global: Entry[]): string[] {
  const out: string[] = [];
  const globals = bySpecificity(global);
  for (const e of bySpecificity(own)) {
    if (e.action === 'ignore') {
      // parpd goes on to the global entries for what an interface ignores.
      const whole = globals.find((g) => contains(g, e));
      for (const g of globals) {
        if (contains(e, g) && g !== whole) out.push(...ruleText(g, g, '(global), inside an interface ignore'));
      }
      if (whole) {
        out.push(...ruleText(whole, e, `(global), for the range line ${e.line} of this interface ignores`));
        continue;
      }
    }
    out.push(...ruleText(e, e, '(this interface)'));
  }
  for (const g of globals) {
    const cover = own.find((e) => contains(e, g));
    if (cover?.action === 'ignore') continue; // placed above, where that ignore sends parpd on to the global entries
    if (cover) out.push(` # parpd line ${g.line} (global) never applies here: line ${cover.line} of this interface covers it`);
    else out.push(...ruleText(g, g, '(global)'));
  }
  return out;
}

/**
 * Translates a parpd.conf of Roy Marples' parpd. `interfaces` are the interfaces parpd
 * ran on (its command line), for the entries outside any `interface` section.
 */
export function importParpd(text: string, file: string, interfaces: string[] = []): { text: string; notes: string[] } {
  const notes: string[] = [];
  const parsed = read(text, file, notes);
  const names = [...new Set([...parsed.byInterface.keys(), ...interfaces])];
  if (names.length === 0) {
    throw new ConfigError('E_CONFIG_SYNTAX', file, 1, 1,
      `${file}:1:1: no 'interface' line: parpd answered on the interfaces of its command line (or all of them); name them with --interface IF`);
  }
  if ([...parsed.byInterface.values(), parsed.global].flat().some((e) => e.action === 'halfproxy')) {
    notes.push("halfproxy: neighproxy also leaves ARP announcements (sender = target) unanswered, which parpd's halfproxy answered");
  }
  const out: string[] = [];
  for (const name of names) {
    out.push('', `interface ${name}`);
    const rules = interfaceRules(parsed.byInterface.get(name) ?? [], parsed.global);
    if (rules.length === 0) out.push(' # no parpd entry applies here: nothing is answered');
    out.push(...rules, 'end');
  }
  const head = [`# Imported from ${file} by 'neighproxy import-parpd' (Roy Marples' parpd.conf).`, ...notes.map((n) => `# note: ${n}`)];
  return { text: [...head, ...out].join('\n') + '\n', notes };
}
