import type { AnyTool } from './define.js';

export const conversationTools: AnyTool[] = [];
