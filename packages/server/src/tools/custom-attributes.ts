import type { AnyTool } from './define.js';

export const customAttributeTools: AnyTool[] = [];
