// Public surface of the policy core.
export { Policy, templateMac, type PolicyInit, type PolicyStats, type CacheEntryInfo } from './policy';
export { Decision, Verdict, Reason, REASON_NAMES, REASON_COUNT } from './decision';
export type { PolicyEnvironment, PolicyOutput, PolicyLogger, PolicyOptions } from './types';
export { RuleMatcher } from './matcher';
export { NeighborCache } from './cache';
