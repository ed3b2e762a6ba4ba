/**
 * Rewrites a JSON schema into the subset every MCP host can map onto its model provider's
 * function-declaration dialect, accepting exactly the same values.
 *
 * zod writes `.nullable()` and unions of primitives as a type array (`"type": ["string", "null"]`).
 * That is valid JSON Schema, but hosts that translate tool schemas to a single-`type` dialect (the
 * OpenAPI subset behind Gemini function declarations, for one) reject the tool or drop the
 * constraint, and the MCP Inspector reports every such array as a portability warning. Each array
 * becomes `anyOf` branches with one `type` each; keywords that only constrain one type move into
 * that type's branch, so the accepted values do not change.
 */

type Schema = Record<string, unknown>;

const NUMERIC = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'];

/** Keywords that only ever constrain values of one JSON type (they ignore values of any other). */
const KEYWORDS_BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  string: ['minLength', 'maxLength', 'pattern', 'format', 'contentEncoding', 'contentMediaType', 'contentSchema'],
  number: NUMERIC,
  integer: NUMERIC,
  array: ['items', 'additionalItems', 'prefixItems', 'contains', 'minContains', 'maxContains', 'minItems', 'maxItems', 'uniqueItems', 'unevaluatedItems'],
  object: [
    'properties',
    'patternProperties',
    'additionalProperties',
    'unevaluatedProperties',
    'propertyNames',
    'required',
    'minProperties',
    'maxProperties',
    'dependencies',
    'dependentRequired',
    'dependentSchemas',
  ],
};
const TYPE_SPECIFIC = new Set(Object.values(KEYWORDS_BY_TYPE).flat());

const SUBSCHEMA = ['items', 'additionalItems', 'contains', 'not', 'propertyNames', 'if', 'then', 'else', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'contentSchema'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'dependentSchemas', 'dependencies', '$defs', 'definitions'];

const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A copy of `schema` with every `type` array split into single-type `anyOf` branches, at any depth. */
export function portableSchema(schema: Schema): Schema {
  const node: Schema = { ...schema };
  for (const key of SUBSCHEMA) {
    const value = node[key];
    if (Array.isArray(value)) node[key] = value.map((item: unknown) => (isSchema(item) ? portableSchema(item) : item));
    else if (isSchema(value)) node[key] = portableSchema(value);
  }
  for (const key of SUBSCHEMA_LISTS) {
    const value = node[key];
    if (Array.isArray(value)) node[key] = value.map((item: unknown) => (isSchema(item) ? portableSchema(item) : item));
  }
  for (const key of SUBSCHEMA_MAPS) {
    const value = node[key];
    if (!isSchema(value)) continue;
    // `dependencies` may map a property to a list of names instead of a schema: left as it is.
    node[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, isSchema(sub) ? portableSchema(sub) : sub]));
  }
  return Array.isArray(node.type) ? splitTypeArray(node, node.type as string[]) : node;
}

function splitTypeArray(node: Schema, types: readonly string[]): Schema {
  const shared: Schema = {};
  for (const [key, value] of Object.entries(node)) if (key !== 'type' && !TYPE_SPECIFIC.has(key)) shared[key] = value;
  const branches = types.map((type) => {
    const branch: Schema = { type };
    for (const key of KEYWORDS_BY_TYPE[type] ?? []) if (key in node) branch[key] = node[key];
    return branch;
  });
  if (!('anyOf' in shared)) return { ...shared, anyOf: branches };
  // The node already has an anyOf of its own: both must hold.
  const { anyOf, allOf, ...rest } = shared;
  return { ...rest, allOf: [...(Array.isArray(allOf) ? allOf : []), { anyOf }, { anyOf: branches }] };
}
