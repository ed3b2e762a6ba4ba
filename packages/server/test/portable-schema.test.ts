import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { portableSchema } from '../src/tools/portable-schema.js';
import { allTools, createRegistry } from '../src/tools/registry.js';

type Schema = Record<string, unknown>;

const SUBSCHEMA = ['items', 'additionalItems', 'contains', 'not', 'propertyNames', 'if', 'then', 'else', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'contentSchema'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'dependentSchemas', 'dependencies', '$defs', 'definitions'];
const BOOLEAN_VALUED = new Set(['additionalProperties', 'unevaluatedProperties', 'additionalItems', 'unevaluatedItems']);
const CONSTRAINING = new Set([
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength',
  'pattern', 'format', 'contentMediaType', 'contentEncoding', 'contentSchema', 'maxItems', 'minItems', 'uniqueItems', 'maxContains',
  'minContains', 'maxProperties', 'minProperties', 'required', 'dependentRequired', 'allOf', 'anyOf', 'oneOf', 'not', 'items',
  'prefixItems', 'contains', 'additionalItems', 'unevaluatedItems', 'properties', 'patternProperties', 'additionalProperties',
  'unevaluatedProperties', 'propertyNames', 'dependentSchemas', 'dependencies', '$ref', '$dynamicRef', '$recursiveRef',
]);

const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every subschema of `node` with its path and the keyword it sits under. */
function children(node: Schema, path: string): Array<{ sub: unknown; path: string; keyword: string }> {
  const out: Array<{ sub: unknown; path: string; keyword: string }> = [];
  for (const key of SUBSCHEMA_MAPS) {
    if (isSchema(node[key])) for (const [name, sub] of Object.entries(node[key])) out.push({ sub, path: `${path}.${key}.${name}`, keyword: key });
  }
  for (const key of SUBSCHEMA_LISTS) {
    if (Array.isArray(node[key])) (node[key] as unknown[]).forEach((sub, i) => out.push({ sub, path: `${path}.${key}[${i}]`, keyword: key }));
  }
  for (const key of SUBSCHEMA) {
    if (!(key in node)) continue;
    if (Array.isArray(node[key])) (node[key] as unknown[]).forEach((sub, i) => out.push({ sub, path: `${path}.${key}[${i}]`, keyword: key }));
    else out.push({ sub: node[key], path: `${path}.${key}`, keyword: key });
  }
  return out;
}

/**
 * The MCP Inspector's (2.12) tool-schema portability rules: a `type` array, a `$ref` outside the
 * document, a schema that constrains nothing, and a bare boolean where a schema object belongs.
 * The e2e suite runs the Inspector itself against the server process; this keeps the rule in the
 * server's own suite, next to the code that emits the schemas.
 */
function portabilityFindings(node: unknown, path = '', keyword?: string): string[] {
  if (typeof node === 'boolean') return keyword && BOOLEAN_VALUED.has(keyword) ? [] : [`${path}: bare ${node} schema`];
  if (!isSchema(node)) return [];
  const findings: string[] = [];
  if (Array.isArray(node.type)) findings.push(`${path}: type array ${JSON.stringify(node.type)}`);
  if (typeof node.$ref === 'string' && !node.$ref.startsWith('#')) findings.push(`${path}: remote $ref`);
  const constrains = Object.keys(node).some((key) => CONSTRAINING.has(key)) || ('if' in node && ('then' in node || 'else' in node));
  if (!constrains && keyword !== 'not') findings.push(`${path}: constrains nothing`);
  for (const child of children(node, path)) findings.push(...portabilityFindings(child.sub, child.path, child.keyword));
  return findings;
}

const validator = new AjvJsonSchemaValidator();
const PROBES: unknown[] = [
  null, true, false, 0, 1, -1, 2.5, 2 ** 60, -(2 ** 60), '', 'a', 'x'.repeat(300), '2026-01-01T00:00:00.000Z', 'ct_abc',
  [], [1], ['a'], [null], {}, { a: 1 },
];

/**
 * Walks the schema zod wrote and the portable one side by side: identical everywhere, except that a
 * node with a `type` array accepts exactly the same probe values (and its enum values) before and after.
 */
function expectSameValues(original: unknown, portable: unknown, path: string): void {
  if (!isSchema(original) || !isSchema(portable)) {
    expect(portable, path).toEqual(original);
    return;
  }
  if (Array.isArray(original.type)) {
    const probes = [...PROBES, ...(Array.isArray(original.enum) ? original.enum : [])];
    const before = validator.getValidator(original);
    const after = validator.getValidator(portable);
    for (const probe of probes) expect(after(probe).valid, `${path} on ${JSON.stringify(probe)}`).toBe(before(probe).valid);
    return;
  }
  const own = (node: Schema) => Object.fromEntries(Object.entries(node).filter(([key]) => ![...SUBSCHEMA, ...SUBSCHEMA_LISTS, ...SUBSCHEMA_MAPS].includes(key)));
  expect(own(portable), path).toEqual(own(original));
  const a = children(original, path);
  const b = children(portable, path);
  expect(b.map((c) => c.path), path).toEqual(a.map((c) => c.path));
  a.forEach((child, i) => expectSameValues(child.sub, b[i]!.sub, child.path));
}

const registry = createRegistry();

describe('portable tool schemas', () => {
  it('every input and output schema passes the Inspector portability check with no finding', () => {
    const findings = registry.listed.flatMap((tool) => [
      ...portabilityFindings(tool.inputSchema, `${tool.name}.inputSchema`),
      ...portabilityFindings(tool.outputSchema, `${tool.name}.outputSchema`),
    ]);
    expect(findings).toEqual([]);
  });

  it('accepts exactly the values the schema zod writes accepts (the JSON the tools return is unchanged)', () => {
    let split = 0;
    for (const tool of allTools) {
      const listed = registry.listed.find((entry) => entry.name === tool.name)!;
      for (const [io, schema, emitted] of [['input', tool.input, listed.inputSchema], ['output', tool.output, listed.outputSchema]] as const) {
        const { $schema: _ignored, ...original } = z.toJSONSchema(schema, { io, target: 'draft-7', unrepresentable: 'any' });
        expect(emitted, `${tool.name} ${io}`).toEqual(portableSchema(original));
        expectSameValues(original, emitted, `${tool.name}.${io}`);
        split += JSON.stringify(original).split('"type":[').length - 1;
      }
    }
    expect(split).toBeGreaterThan(0); // zod still writes type arrays: the rewrite is what removes them
  });

  it('moves each keyword into the branch of the type it constrains and keeps the rest on the node', () => {
    const schema = {
      type: 'object',
      properties: {
        count: { type: ['integer', 'null'], minimum: 0, maximum: 10, description: 'How many.' },
        label: { type: ['string', 'null'], enum: ['a', 'b', null], maxLength: 1 },
        value: { type: ['string', 'number', 'boolean'], pattern: '^x', multipleOf: 2 },
        either: { type: ['string', 'array'], anyOf: [{ minLength: 2 }, { minItems: 2 }], items: { type: ['number', 'null'] } },
      },
      additionalProperties: false,
    };
    expect(portableSchema(schema)).toEqual({
      type: 'object',
      properties: {
        count: { description: 'How many.', anyOf: [{ type: 'integer', minimum: 0, maximum: 10 }, { type: 'null' }] },
        label: { enum: ['a', 'b', null], anyOf: [{ type: 'string', maxLength: 1 }, { type: 'null' }] },
        value: { anyOf: [{ type: 'string', pattern: '^x' }, { type: 'number', multipleOf: 2 }, { type: 'boolean' }] },
        either: {
          allOf: [
            { anyOf: [{ minLength: 2 }, { minItems: 2 }] },
            { anyOf: [{ type: 'string' }, { type: 'array', items: { anyOf: [{ type: 'number' }, { type: 'null' }] } }] },
          ],
        },
      },
      additionalProperties: false,
    });
    expectSameValues(schema, portableSchema(schema), 'example');
    expect(portabilityFindings(portableSchema(schema))).toEqual([]);
    expect(portabilityFindings(schema)).toHaveLength(5);
  });
});
