import type { AnyTool } from './define.js';

export const callTools: AnyTool[] = [];
