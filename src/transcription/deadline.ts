/**
 * A call's deadline: the moment by which every request made for it must have ended, so no tool call
 * outlives its wait budget (`wait_seconds`, else ASR_WAIT_BUDGET_S) whatever the service does.
 */
import type { Config } from '../config/config.js';
import type { CallContext } from '../domain/progress.js';
import { budgetMs } from './context.js';

/**
 * The least a call that must make a request is given: a budget of 0 means "do not wait for the task",
 * not "do not ask the service at all" (a sync call, or one status query, still needs a moment).
 */
const MIN_REQUEST_BUDGET_MS = 3000;

/** The call's deadline (epoch ms) for a budget that started at `started`; an earlier one given by the caller wins. */
export function callDeadline(
  config: Config,
  waitSeconds: number | undefined,
  call: CallContext,
  started = Date.now(),
): number {
  const own = started + Math.max(budgetMs(config, waitSeconds), MIN_REQUEST_BUDGET_MS);
  return call.deadline === undefined ? own : Math.min(call.deadline, own);
}

/** Has the call's deadline passed (give or take a timer's slack)? */
export function outOfTime(call: CallContext): boolean {
  return call.deadline !== undefined && Date.now() >= call.deadline - 50;
}

/** The budget in whole seconds, for messages. */
export function budgetSeconds(config: Config, waitSeconds: number | undefined): number {
  return Math.round(Math.max(budgetMs(config, waitSeconds), MIN_REQUEST_BUDGET_MS) / 1000);
}
