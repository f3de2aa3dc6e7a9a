// The configuration module's public surface.
export * from './types';
export * from './errors';
export { parseConfig, loadConfig, DEFAULT_CACHE, DEFAULT_HOLD_TIMEOUT } from './parse';
export { formatConfig, formatRule, formatAction, formatVlans, formatRing } from './format';
export * from './limits';
export { describePace, describeRing, effectivePace, effectiveRing, ringBytes } from './ring';
export { findShadowing } from './shadow';
export { explainIfName } from './ifname';
export { importNdppd } from './ndppd';
export { summarizeConfig, defaultFilterDescriber, type FilterDescriber } from './summary';
export { CONFIG_REFERENCE } from './reference';
