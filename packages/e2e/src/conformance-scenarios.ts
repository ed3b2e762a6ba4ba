/**
 * Every server scenario of the MCP conformance suite (@modelcontextprotocol/conformance, the
 * version packages/e2e pins), and how the server fares in each of its two modes: stateless (the
 * default) and `serve --sessions`. A scenario that does not apply fails, in the suite's terms; the
 * test passes those to the suite as its expected-failures baseline and checks that each fails the
 * way written here (the server's own answer), so any other failure still fails the test.
 * docs/protocol.md lists the same, and a test keeps the two in step.
 */

export type ServerMode = 'stateless' | 'sessions';
export type Outcome = 'passes' | 'not applicable';

export interface ScenarioExpectation {
  outcome: Record<ServerMode, Outcome>;
  /** What it checks where it passes, why it does not apply where it does not, as docs/protocol.md says it. */
  why: string;
  /** The text of its failing or warning check where it does not apply. */
  failure?: RegExp;
}

const passes = (why: string): ScenarioExpectation => ({ outcome: { stateless: 'passes', sessions: 'passes' }, why });

const notApplicable = (why: string, failure: RegExp): ScenarioExpectation => ({
  outcome: { stateless: 'not applicable', sessions: 'not applicable' },
  why,
  failure,
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const fixtureTool = (tool: string, more = '') =>
  notApplicable(`calls the suite's fixture tool \`${tool}\`${more}; the server serves its own catalog`, new RegExp(`-32602: Unknown tool: ${escape(tool)}$`));

const fixturePrompt = (prompt: string) =>
  notApplicable(`gets the suite's fixture prompt \`${prompt}\`; the server serves the product page's prompts`, new RegExp(`-32602: Unknown prompt: ${escape(prompt)}\\.`));

const RESOURCES = 'the `resources` capability is not declared: nothing in the product is a resource';

const statelessOnly = (why: string): ScenarioExpectation => ({
  outcome: { stateless: 'not applicable', sessions: 'passes' },
  why,
  failure: /did not provide session ID/,
});

export const SERVER_SCENARIOS: Readonly<Record<string, ScenarioExpectation>> = {
  'server-initialize': passes('initialize (2025-11-25 negotiated) and the initialized notification'),
  'logging-set-level': notApplicable('the `logging` capability is not declared: logs stay on the server', /-32601: Method not found: logging\/setLevel$/),
  ping: passes('answered with `{}`'),
  'completion-complete': notApplicable(
    'completes an argument of the fixture prompt `test_prompt_with_arguments`; for a prompt it does not have the server answers `-32602`, as the specification\'s completion page asks (completion of its own prompts is tested with the SDK client)',
    /-32602: Unknown prompt: test_prompt_with_arguments\./,
  ),
  'tools-list': passes('every tool with a name, a description and an input schema'),
  'tools-call-simple-text': fixtureTool('test_simple_text'),
  'tools-call-image': fixtureTool('test_image_content'),
  'tools-call-audio': fixtureTool('test_audio_content'),
  'tools-call-embedded-resource': fixtureTool('test_embedded_resource'),
  'tools-call-mixed-content': fixtureTool('test_multiple_content_types'),
  'tools-call-with-logging': notApplicable(
    'sets a log level first (`logging` is not declared), then calls the fixture tool `test_tool_with_logging`',
    /-32601: Method not found: logging\/setLevel$/,
  ),
  'tools-call-error': fixtureTool('test_error_handling'),
  'tools-call-with-progress': fixtureTool('test_tool_with_progress'),
  'tools-call-sampling': fixtureTool('test_sampling', ', which asks the client for a sampling (the server sends no requests to clients)'),
  'tools-call-elicitation': fixtureTool('test_elicitation', ', which asks the client for an elicitation (the server sends no requests to clients)'),
  'json-schema-2020-12': notApplicable(
    'looks for the fixture tool `json_schema_2020_12_tool` in tools/list (the server\'s own schemas are checked under 2020-12 by its tests)',
    /Tool 'json_schema_2020_12_tool' not found/,
  ),
  'elicitation-sep1034-defaults': fixtureTool('test_elicitation_sep1034_defaults', ' (an elicitation)'),
  'server-sse-polling': statelessOnly(
    'needs a session and an SSE stream: stateless mode issues no session id (the scenario warns) and every answer is JSON; with `--sessions` nothing fails (the answer is JSON, so its SSE checks do not apply)',
  ),
  'server-sse-multiple-streams': statelessOnly(
    'needs a session: stateless mode issues none (the scenario warns); with `--sessions` three concurrent POSTs on one session are accepted',
  ),
  'elicitation-sep1330-enums': fixtureTool('test_elicitation_sep1330_enums', ' (an elicitation)'),
  'resources-list': notApplicable(RESOURCES, /-32601: Method not found: resources\/list$/),
  'resources-read-text': notApplicable(RESOURCES, /-32601: Method not found: resources\/read$/),
  'resources-read-binary': notApplicable(RESOURCES, /-32601: Method not found: resources\/read$/),
  'resources-templates-read': notApplicable(RESOURCES, /-32601: Method not found: resources\/read$/),
  'resources-subscribe': notApplicable(RESOURCES, /-32601: Method not found: resources\/subscribe$/),
  'resources-unsubscribe': notApplicable(RESOURCES, /-32601: Method not found: resources\/subscribe$/),
  'prompts-list': passes('every prompt with a name and a description'),
  'prompts-get-simple': fixturePrompt('test_simple_prompt'),
  'prompts-get-with-args': fixturePrompt('test_prompt_with_arguments'),
  'prompts-get-embedded-resource': fixturePrompt('test_prompt_with_embedded_resource'),
  'prompts-get-with-image': fixturePrompt('test_prompt_with_image'),
  'dns-rebinding-protection': passes('a request naming another Host and Origin is refused (`403`) before authentication; the server\'s own is served'),
};

/** The scenarios that do not apply in a mode: the suite's expected-failures baseline for it. */
export function expectedFailures(mode: ServerMode): string[] {
  return Object.entries(SERVER_SCENARIOS)
    .filter(([, expectation]) => expectation.outcome[mode] === 'not applicable')
    .map(([name]) => name);
}

/** The row docs/protocol.md has for a scenario. */
export function docsRow(name: string, expectation: ScenarioExpectation): string {
  return `| \`${name}\` | ${expectation.outcome.stateless} | ${expectation.outcome.sessions} | ${expectation.why} |`;
}
