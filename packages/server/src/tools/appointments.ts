import type { AnyTool } from './define.js';

export const appointmentTools: AnyTool[] = [];
