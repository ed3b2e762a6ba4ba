// Types for scripts/gen-icons.mjs, which test/icons.test.ts imports.
export type Paint = 'brand' | 'white';
export type Shape = { paint: Paint } & (
  | { rect: [number, number, number, number, number] }
  | { circle: [number, number, number] }
  | { line: [number, number, number, number, number] }
  | { poly: [number, number][] }
);
export declare const DRAWINGS: Record<string, Shape[]>;
export declare function svg(drawing: Shape[]): string;
export declare function png(drawing: Shape[], size?: number): Buffer;
export declare function renderIconModule(): string;
