import type { AnyTool } from './define.js';

export const skillTools: AnyTool[] = [];
