// What an answer was, as a small stable index: the daemon counts replies per index
// (`neighproxy_replies_total{action}`) without building a string per frame. The policy
// sets `Decision.replyAction` on every answer; deferred redirect answers are `Redirect`.
import { ActionKind } from '../config/types';

/** Index of an answer kind in REPLY_ACTION_NAMES. Numbers are stable (metrics arrays). */
export const enum ReplyAction {
  Tell = 0,
  Redirect = 1,
  Mac = 2,
  Self = 3,
  Route = 4,
  Template = 5,
  /** Answered from a static entry. */
  Static = 6,
  /** Not an answer, or an action without an index of its own. */
  Other = 7,
  Probe = 8,
}

export const REPLY_ACTION_COUNT = 9;

/** Metric label per ReplyAction. */
export const REPLY_ACTION_NAMES: readonly string[] = ['tell', 'redirect', 'mac', 'self', 'route', 'template', 'static', 'other', 'probe'];

/** The ReplyAction of an answer made by a rule with this action. */
export function replyActionOf(kind: ActionKind): ReplyAction {
  switch (kind) {
    case ActionKind.Tell: return ReplyAction.Tell;
    case ActionKind.Redirect: return ReplyAction.Redirect;
    case ActionKind.Mac: return ReplyAction.Mac;
    case ActionKind.Self: return ReplyAction.Self;
    case ActionKind.Route: return ReplyAction.Route;
    case ActionKind.Template: return ReplyAction.Template;
    case ActionKind.Probe: return ReplyAction.Probe;
    default: return ReplyAction.Other;
  }
}
