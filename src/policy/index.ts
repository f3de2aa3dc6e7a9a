// Public surface of the policy core.
export { Policy, templateMac, type PolicyInit, type PolicyStats, type CacheEntryInfo } from './policy';
export { Decision, Verdict, Reason, REASON_NAMES, REASON_COUNT } from './decision';
export { ReplyAction, REPLY_ACTION_NAMES, REPLY_ACTION_COUNT, replyActionOf } from './reply';
export { DecisionLog, type DecisionRecord } from './log';
export type { PolicyEnvironment, PolicyOutput, PolicyLogger, PolicyOptions } from './types';
export { RuleMatcher } from './matcher';
export { NeighborCache } from './cache';
