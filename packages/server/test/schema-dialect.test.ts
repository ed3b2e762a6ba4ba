import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../src/tools/registry.js';

/**
 * Keywords that mean one thing in draft-07 and another (or nothing) in 2020-12. MCP 2025-11-25
 * reads a schema without $schema as 2020-12, 2025-06-18 clients (and the SDK's validator) as
 * draft-07; the tool schemas carry no $schema, so they must mean the same in both.
 */
const DIALECT_SENSITIVE = ['$schema', 'definitions', '$defs', '$ref', 'dependencies', 'additionalItems', 'prefixItems', '$recursiveRef', '$dynamicRef', 'unevaluatedItems'];

function keywords(node: unknown, path: string, found: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => keywords(item, `${path}/${i}`, found));
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      for (const [name, schema] of Object.entries(value)) keywords(schema, `${path}/properties/${name}`, found);
      continue;
    }
    if (DIALECT_SENSITIVE.includes(key)) found.push(`${path}/${key}`);
    // draft-07's tuple form of items is prefixItems in 2020-12.
    if (key === 'items' && Array.isArray(value)) found.push(`${path}/items[]`);
    keywords(value, `${path}/${key}`, found);
  }
}

describe('tool schemas under JSON Schema draft-07 and 2020-12', () => {
  const registry = createRegistry();
  const draft07 = new Ajv({ strict: true, validateFormats: false });
  const draft2020 = new Ajv2020({ strict: true, validateFormats: false });

  it('use no keyword whose meaning differs between the two dialects', () => {
    const found: string[] = [];
    for (const tool of registry.listed) {
      keywords(tool.inputSchema, `${tool.name}/input`, found);
      keywords(tool.outputSchema, `${tool.name}/output`, found);
    }
    expect(found).toEqual([]);
  });

  it('compile in strict mode under both', () => {
    for (const tool of registry.listed) {
      for (const schema of [tool.inputSchema, tool.outputSchema]) {
        expect(() => draft07.compile(schema), tool.name).not.toThrow();
        expect(() => draft2020.compile(schema), tool.name).not.toThrow();
      }
    }
  });
});
