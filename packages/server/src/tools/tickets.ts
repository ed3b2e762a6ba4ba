import type { AnyTool } from './define.js';

export const ticketTools: AnyTool[] = [];
