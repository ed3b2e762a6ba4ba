#!/usr/bin/env node
// Draws the server's MCP icons (serverInfo, tools, prompts) and writes them to src/icons.ts as
// data: URIs: 48×48 PNGs (the format every icon-rendering client must support), and an SVG of the
// server's own. Run `pnpm --filter @conduit-mcp/server run icons` after changing a
// drawing; test/icons.test.ts fails while src/icons.ts differs from what this writes.
//
// Every icon is a rounded square in the brand colour with a white glyph, drawn on a 24-unit grid
// from four shapes, so the same drawing becomes SVG elements and, through a small rasterizer
// (4×4 samples per pixel), PNG pixels.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

const BRAND = [79, 70, 229]; // #4f46e5
const WHITE = [255, 255, 255];
const PNG_SIZE = 48;
const SAMPLES = 4;

const tile = { rect: [0, 0, 24, 24, 5], paint: 'brand' };
const fg = (shape) => ({ ...shape, paint: 'white' });
const cut = (shape) => ({ ...shape, paint: 'brand' });

/** The drawings: the server's own, then one per tool surface (prompts use their surface's). */
export const DRAWINGS = {
  // A "C" around a dot: a conduit carrying something.
  server: [tile, fg({ circle: [12, 12, 7.5] }), cut({ circle: [12, 12, 4.5] }), cut({ rect: [12, 9.6, 8, 4.8, 0] }), fg({ circle: [12, 12, 1.9] })],
  // A building with windows and a door.
  workspaces: [
    tile,
    fg({ rect: [6.5, 4.5, 11, 15.5, 1] }),
    cut({ rect: [8.5, 7, 2.5, 2.2, 0.4] }),
    cut({ rect: [13, 7, 2.5, 2.2, 0.4] }),
    cut({ rect: [8.5, 11, 2.5, 2.2, 0.4] }),
    cut({ rect: [13, 11, 2.5, 2.2, 0.4] }),
    cut({ rect: [10.5, 15.5, 3, 4.5, 0.4] }),
  ],
  // A person.
  contacts: [tile, fg({ circle: [12, 8.8, 3.6] }), fg({ rect: [5.8, 14, 12.4, 8, 4] }), cut({ rect: [5, 19.2, 14, 3, 0] })],
  // A tag with its hole.
  custom_attributes: [tile, fg({ poly: [[5, 5], [12.5, 5], [19.5, 12], [12, 19.5], [5, 12.5]] }), cut({ circle: [9, 9, 1.7] })],
  // A speech bubble.
  conversations: [tile, fg({ rect: [4.5, 5.5, 15, 10.5, 3] }), fg({ poly: [[7.5, 14], [7.5, 19.5], [13, 14]] })],
  // A ticket with notches and a tear line.
  tickets: [
    tile,
    fg({ rect: [4, 7, 16, 10, 1.5] }),
    cut({ circle: [4, 12, 2] }),
    cut({ circle: [20, 12, 2] }),
    cut({ line: [14.5, 8.8, 14.5, 9.6, 1] }),
    cut({ line: [14.5, 11.6, 14.5, 12.4, 1] }),
    cut({ line: [14.5, 14.4, 14.5, 15.2, 1] }),
  ],
  // A phone.
  calls: [tile, fg({ rect: [8, 3.5, 8, 17, 2] }), cut({ rect: [9.5, 6, 5, 10.5, 0.5] }), cut({ circle: [12, 18.3, 0.9] })],
  // A calendar page with its rings.
  appointments: [
    tile,
    fg({ rect: [4.5, 6, 15, 13.5, 2] }),
    cut({ rect: [6, 10, 12, 8, 0.5] }),
    fg({ rect: [7.5, 11.5, 3, 2.5, 0.3] }),
    fg({ rect: [13.5, 14.5, 3, 2.5, 0.3] }),
    fg({ line: [9, 4, 9, 7.5, 1.8] }),
    fg({ line: [15, 4, 15, 7.5, 1.8] }),
  ],
  // A room key.
  reservations: [
    tile,
    fg({ circle: [8, 12, 4.2] }),
    cut({ circle: [8, 12, 1.8] }),
    fg({ line: [11, 12, 19.5, 12, 2.6] }),
    fg({ rect: [15, 12, 2, 4.5, 0.4] }),
    fg({ rect: [18, 12, 1.8, 3.5, 0.4] }),
  ],
  // An open book.
  knowledge: [tile, fg({ poly: [[4, 6], [11, 7.5], [11, 19], [4, 17.5]] }), fg({ poly: [[13, 7.5], [20, 6], [20, 17.5], [13, 19]] })],
  // A robot's head.
  agents: [
    tile,
    fg({ rect: [5.5, 8, 13, 10.5, 2.5] }),
    cut({ circle: [9.3, 12.6, 1.5] }),
    cut({ circle: [14.7, 12.6, 1.5] }),
    cut({ line: [10, 16, 14, 16, 1] }),
    fg({ line: [12, 5, 12, 8, 1.4] }),
    fg({ circle: [12, 4.6, 1.5] }),
  ],
  // A lightning bolt.
  skills: [tile, fg({ poly: [[14, 3], [6, 13.2], [11.4, 13.2], [10, 21], [18, 10.8], [12.6, 10.8], [14.5, 3]] })],
};

const hex = (rgb) => `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
const colour = (paint) => (paint === 'white' ? WHITE : BRAND);
const num = (n) => String(Math.round(n * 100) / 100);

function svgElement(shape) {
  const fill = hex(colour(shape.paint));
  if (shape.rect) {
    const [x, y, w, h, r] = shape.rect;
    return `<rect x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${num(h)}"${r ? ` rx="${num(r)}"` : ''} fill="${fill}"/>`;
  }
  if (shape.circle) {
    const [cx, cy, r] = shape.circle;
    return `<circle cx="${num(cx)}" cy="${num(cy)}" r="${num(r)}" fill="${fill}"/>`;
  }
  if (shape.line) {
    const [x1, y1, x2, y2, w] = shape.line;
    return `<line x1="${num(x1)}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}" stroke="${fill}" stroke-width="${num(w)}" stroke-linecap="round"/>`;
  }
  return `<polygon points="${shape.poly.map(([x, y]) => `${num(x)},${num(y)}`).join(' ')}" fill="${fill}"/>`;
}

export function svg(drawing) {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">${drawing.map(svgElement).join('')}</svg>`;
}

function inside(shape, x, y) {
  if (shape.rect) {
    const [rx, ry, w, h, r] = shape.rect;
    if (x < rx || y < ry || x > rx + w || y > ry + h) return false;
    // Distance to the inner rectangle the corners are rounded around.
    const dx = Math.max(rx + r - x, 0, x - (rx + w - r));
    const dy = Math.max(ry + r - y, 0, y - (ry + h - r));
    return dx * dx + dy * dy <= r * r;
  }
  if (shape.circle) {
    const [cx, cy, r] = shape.circle;
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  }
  if (shape.line) {
    const [x1, y1, x2, y2, w] = shape.line;
    const [vx, vy] = [x2 - x1, y2 - y1];
    const t = Math.max(0, Math.min(1, ((x - x1) * vx + (y - y1) * vy) / (vx * vx + vy * vy || 1)));
    return (x - x1 - t * vx) ** 2 + (y - y1 - t * vy) ** 2 <= (w / 2) ** 2;
  }
  let crossings = 0;
  const points = shape.poly;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i];
    const [xj, yj] = points[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) crossings++;
  }
  return crossings % 2 === 1;
}

/** RGBA pixels: each pixel averages SAMPLES² points, each taking the colour of the last shape over it. */
function rasterize(drawing, size) {
  const pixels = Buffer.alloc(size * size * 4);
  const scale = 24 / size;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let [r, g, b, a] = [0, 0, 0, 0];
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const x = (px + (sx + 0.5) / SAMPLES) * scale;
          const y = (py + (sy + 0.5) / SAMPLES) * scale;
          let hit;
          for (const shape of drawing) if (inside(shape, x, y)) hit = shape;
          if (!hit) continue;
          const c = colour(hit.paint);
          r += c[0];
          g += c[1];
          b += c[2];
          a += 1;
        }
      }
      const o = (py * size + px) * 4;
      if (a > 0) {
        pixels[o] = Math.round(r / a);
        pixels[o + 1] = Math.round(g / a);
        pixels[o + 2] = Math.round(b / a);
      }
      pixels[o + 3] = Math.round((255 * a) / (SAMPLES * SAMPLES));
    }
  }
  return pixels;
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * An indexed PNG (a palette with alpha: an icon holds a few dozen colours, brand and white and the
 * blends at their edges), each row filtered with none, sub or up, whichever leaves the smallest
 * values, as encoders do.
 */
export function png(drawing, size = PNG_SIZE) {
  const pixels = rasterize(drawing, size);
  const palette = new Map();
  const indices = Buffer.alloc(size * size);
  for (let i = 0; i < size * size; i++) {
    const key = pixels.readUInt32BE(i * 4);
    if (!palette.has(key)) palette.set(key, palette.size);
    indices[i] = palette.get(key);
  }
  if (palette.size > 256) throw new Error(`${palette.size} colours do not fit a palette`);
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = indices.subarray(y * size, (y + 1) * size);
    const above = y > 0 ? indices.subarray((y - 1) * size, y * size) : Buffer.alloc(size);
    const candidates = [0, 1, 2].map((filter) => {
      const out = Buffer.alloc(size + 1);
      out[0] = filter;
      for (let i = 0; i < size; i++) {
        const left = i > 0 ? row[i - 1] : 0;
        out[i + 1] = (row[i] - (filter === 1 ? left : filter === 2 ? above[i] : 0)) & 0xff;
      }
      return out;
    });
    const cost = (out) => out.subarray(1).reduce((sum, v) => sum + (v < 128 ? v : 256 - v), 0);
    rows.push(candidates.reduce((best, next) => (cost(next) < cost(best) ? next : best)));
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 3, 0, 0, 0], 8);
  const colours = [...palette.keys()];
  const plte = Buffer.alloc(colours.length * 3);
  const trns = Buffer.alloc(colours.length);
  colours.forEach((rgba, i) => {
    plte.writeUIntBE(rgba >>> 8, i * 3, 3);
    trns[i] = rgba & 0xff;
  });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('PLTE', plte),
    chunk('tRNS', trns),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const pngIcon = (drawing) => `{ src: 'data:image/png;base64,${png(drawing).toString('base64')}', mimeType: 'image/png', sizes: ['${PNG_SIZE}x${PNG_SIZE}'] }`;
const svgIcon = (drawing) => `{ src: 'data:image/svg+xml;base64,${Buffer.from(svg(drawing)).toString('base64')}', mimeType: 'image/svg+xml', sizes: ['any'] }`;

/** The text of src/icons.ts. */
export function renderIconModule() {
  const { server, ...surfaces } = DRAWINGS;
  return [
    '// Generated by `pnpm --filter @conduit-mcp/server run icons` (scripts/gen-icons.mjs). Do not edit.',
    '',
    '/** An icon as MCP 2025-11-25 lists it on serverInfo, tools and prompts. */',
    'export interface Icon {',
    '  src: string;',
    '  mimeType: string;',
    '  sizes: string[];',
    '}',
    '',
    '// Icons are data: URIs, so showing one fetches nothing: clients accept only https: and data:',
    '// icons, and a self-hosted server is often plain http on loopback.',
    '',
    '/** The server\'s own (serverInfo): an SVG for any size and a PNG, the one format every client renders. */',
    `export const SERVER_ICONS: readonly Icon[] = [\n  ${svgIcon(server)},\n  ${pngIcon(server)},\n];`,
    '',
    '/** One per tool surface, for its tools and the prompts that use them: a PNG only, as tools/list repeats it per tool. */',
    'export const SURFACE_ICONS = {',
    ...Object.entries(surfaces).map(([name, drawing]) => `  ${name}: [${pngIcon(drawing)}],`),
    '} as const satisfies Record<string, readonly Icon[]>;',
    '',
    'export type Surface = keyof typeof SURFACE_ICONS;',
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = new URL('../src/icons.ts', import.meta.url);
  writeFileSync(target, renderIconModule());
  console.log(`wrote ${target.pathname}`);
}
