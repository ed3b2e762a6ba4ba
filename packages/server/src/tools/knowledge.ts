import type { AnyTool } from './define.js';

export const knowledgeTools: AnyTool[] = [];
