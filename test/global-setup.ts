/**
 * Once before all test files: make sure test/external (conformance suite, Inspector, MCPB CLI, Node 22)
 * is installed, so two workers never race to install it.
 */
import { ensureExternal } from './helpers/external.js';

export default function setup(): void {
  ensureExternal();
}
