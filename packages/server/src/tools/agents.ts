import type { AnyTool } from './define.js';

export const agentTools: AnyTool[] = [];
