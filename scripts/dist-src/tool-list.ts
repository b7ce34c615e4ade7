// Run by scripts/build.mjs: the `tools/list` answer, computed from the sources being bundled.
import { toolList } from '../../src/mcp/tools/index.js';

export const tools = toolList();
