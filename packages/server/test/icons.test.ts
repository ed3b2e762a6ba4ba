import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DRAWINGS, png, svg } from '../scripts/gen-icons.mjs';
import { SERVER_ICONS, SURFACE_ICONS, type Icon } from '../src/icons.js';
import { createPromptCatalog } from '../src/mcp/prompts.js';
import { allTools, createRegistry } from '../src/tools/registry.js';

interface Decoded {
  width: number;
  height: number;
  /** RGBA */
  pixels: Buffer;
}

/** Decodes an 8-bit indexed PNG (what gen-icons writes), independently of the encoder's zlib. */
function decodePng(bytes: Buffer): Decoded {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks = new Map<string, Buffer[]>();
  for (let at = 8; at < bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    chunks.set(type, [...(chunks.get(type) ?? []), bytes.subarray(at + 8, at + 8 + length)]);
    at += 12 + length;
  }
  const header = chunks.get('IHDR')![0]!;
  const [width, height] = [header.readUInt32BE(0), header.readUInt32BE(4)];
  expect([...header.subarray(8)], 'bit depth 8, indexed colour').toEqual([8, 3, 0, 0, 0]);
  const palette = chunks.get('PLTE')![0]!;
  const alpha = chunks.get('tRNS')![0]!;
  const raw = inflateSync(Buffer.concat(chunks.get('IDAT')!));
  const indices = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (width + 1)];
    if (filter !== 0 && filter !== 1 && filter !== 2) throw new Error(`row ${y}: filter ${filter}, gen-icons writes 0, 1 or 2`);
    for (let x = 0; x < width; x++) {
      const value = raw[y * (width + 1) + 1 + x]!;
      const left = x > 0 ? indices[y * width + x - 1]! : 0;
      const up = y > 0 ? indices[(y - 1) * width + x]! : 0;
      indices[y * width + x] = (value + (filter === 1 ? left : filter === 2 ? up : 0)) & 0xff;
    }
  }
  const pixels = Buffer.alloc(width * height * 4);
  indices.forEach((index, i) => {
    palette.copy(pixels, i * 4, index * 3, index * 3 + 3);
    pixels[i * 4 + 3] = alpha[index]!;
  });
  return { width, height, pixels };
}

function dataUri(icon: Icon): Buffer {
  const match = /^data:([a-z+/]+);base64,([A-Za-z0-9+/]+=*)$/.exec(icon.src);
  expect(match, icon.src.slice(0, 40)).not.toBeNull();
  expect(match![1]).toBe(icon.mimeType);
  return Buffer.from(match![2]!, 'base64');
}

describe('icons', () => {
  it('src/icons.ts holds what scripts/gen-icons.mjs draws (run `pnpm --filter @conduit-mcp/server run icons` after changing a drawing)', () => {
    const { server, ...surfaces } = DRAWINGS;
    expect(Object.keys(SURFACE_ICONS).sort()).toEqual(Object.keys(surfaces).sort());
    const [serverSvg, serverPng] = SERVER_ICONS;
    expect(dataUri(serverSvg!).toString()).toBe(svg(server!));
    const expectSamePixels = (icon: Icon, drawing: NonNullable<typeof server>) => {
      const committed = decodePng(dataUri(icon));
      expect(icon.sizes).toEqual([`${committed.width}x${committed.height}`]);
      expect(committed).toEqual(decodePng(png(drawing)));
    };
    expectSamePixels(serverPng!, server!);
    for (const [name, drawing] of Object.entries(surfaces)) {
      const icons: readonly Icon[] = SURFACE_ICONS[name as keyof typeof SURFACE_ICONS];
      expect(icons.map((icon) => icon.mimeType), name).toEqual(['image/png']);
      expectSamePixels(icons[0]!, drawing);
    }
  });

  it('are small data: URIs that fetch nothing, PNG 48×48 (every icon-rendering client takes PNG), the SVG without script or links', () => {
    const all = [...SERVER_ICONS, ...Object.values(SURFACE_ICONS).flat()];
    for (const icon of all) {
      const bytes = dataUri(icon);
      expect(bytes.length).toBeLessThan(1024);
      if (icon.mimeType === 'image/png') {
        const { width, height, pixels } = decodePng(bytes);
        expect([width, height]).toEqual([48, 48]);
        // Opaque inside, transparent at the rounded corners.
        expect(pixels[(24 * 48 + 24) * 4 + 3]).toBe(255);
        expect(pixels[3]).toBe(0);
      }
    }
    const serverSvg = dataUri(SERVER_ICONS[0]!).toString();
    expect(serverSvg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 24 24">/);
    expect(serverSvg).not.toMatch(/<script|<foreignObject|href|\son\w+=|url\(/i);
  });

  it('every tool shows its surface\'s icon, and every prompt the icon of the tools it uses', () => {
    const registry = createRegistry();
    expect(registry.listed).toHaveLength(allTools.length);
    for (const tool of registry.listed) expect(tool.icons, tool.name).toHaveLength(1);
    const icon = (name: string) => registry.listed.find((tool) => tool.name === name)?.icons;
    expect(icon('list_tickets')).toBe(SURFACE_ICONS.tickets);
    expect(icon('search_knowledge_nodes')).toBe(SURFACE_ICONS.knowledge);
    expect(icon('list_workspaces')).toBe(SURFACE_ICONS.workspaces);
    const prompts = Object.fromEntries(createPromptCatalog().listed.map((prompt) => [prompt.name, prompt.icons]));
    expect(prompts).toEqual({
      use_workspace: SURFACE_ICONS.workspaces,
      triage_tickets: SURFACE_ICONS.tickets,
      find_conversations: SURFACE_ICONS.conversations,
      draft_reply: SURFACE_ICONS.conversations,
      find_knowledge_mentions: SURFACE_ICONS.knowledge,
    });
  });
});
