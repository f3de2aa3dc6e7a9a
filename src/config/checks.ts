// Whole-file checks, once every block is read: rules that never match, settings that
// contradict each other, and a file that configures nothing. Each is linear (or
// n log n) in the size of the file, so a reload of 100 000 rules stays fast.
import { formatPrefix } from '../net/addr';
import type { Reporter } from './report';
import { findShadowing } from './shadow';
import { workerChecks } from './checks-workers';
import { ActionKind, type Config, type Rule } from './types';

export function crossChecks(r: Reporter, config: Config): void {
  workerChecks(r, config);
  const usesDelay: Rule[] = [];
  for (const ifc of config.interfaces) {
    const rules = ifc.rules;
    const shadowedBy = findShadowing(rules);
    for (let j = 0; j < rules.length; j++) {
      const x = rules[j]!;
      if (x.delay) usesDelay.push(x);
      const i = shadowedBy[j]!;
      if (i >= 0) {
        const e = rules[i]!;
        r.warn(
          'W_RULE_SHADOWED', x.pos.line, x.pos.column,
          `rule never matches: the rule at line ${e.pos.line} (${formatPrefix(e.source)} ${formatPrefix(e.target)}) matches every request it would`,
        );
      }
      if (config.cache.timeout === 0 && (x.action.kind === ActionKind.Tell || x.action.kind === ActionKind.Redirect)) {
        r.warn('W_LEARNING_OFF', x.pos.line, x.pos.column, `'${x.action.kind}' needs learned MACs, but 'cache timeout 0' turns learning off`);
      }
    }
  }
  if (config.cache.delay.count === 0) {
    for (const x of usesDelay) {
      r.warn('W_DELAY_UNSET', x.pos.line, x.pos.column, "'delay' rule, but the cache block sets no 'delay COUNT*SECONDS': it answers at once");
    }
  }
  if (config.interfaces.length === 0) {
    r.warn('W_NO_INTERFACES', 1, 1, "no 'interface NAME' block: 'run' would open no interface and answer nothing");
  }
}
