import type { AnyTool } from './define.js';

export const reservationTools: AnyTool[] = [];
