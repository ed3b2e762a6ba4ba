import { Option, type Command } from 'commander';
import type { z } from 'zod';

/**
 * One server setting, declared once: its flag, its environment variable, its default and the
 * zod schema that turns its text into a typed value. The commands register the flags from these
 * declarations and resolve every value through `resolveSettings`, so a setting is added in one
 * place and its help, env variable, validation and error messages cannot drift apart.
 */
interface SettingBase {
  /** Commander flag syntax, e.g. `--port <port>`; none for settings read only from the environment. */
  flag?: string;
  /** Environment variable used when the flag is absent. */
  env?: string;
  description: string;
  /** Never repeat the value in an error (passwords in URLs, signing keys). */
  secret?: boolean;
  /** Masks the secret parts of a value for an error message. */
  redact?: (text: string) => string;
}

export interface ValueSetting<T> extends SettingBase {
  kind: 'value';
  /** Text used when neither the flag nor the environment gives one; parsed like any other. */
  default: string | undefined;
  /** Parses the text; its issue messages say what is accepted ("expected …"). */
  schema: z.ZodType<T, string>;
}

export interface SwitchSetting extends SettingBase {
  kind: 'switch';
}

export type Setting = ValueSetting<unknown> | SwitchSetting;
export type Settings = Record<string, Setting>;

/** A value setting with a default always has a value; one without may be unset. */
export function value<T>(spec: SettingBase & { default: string; schema: z.ZodType<T, string> }): ValueSetting<T>;
export function value<T>(spec: SettingBase & { schema: z.ZodType<T, string> }): ValueSetting<T | undefined>;
export function value<T>(spec: SettingBase & { default?: string; schema: z.ZodType<T, string> }): ValueSetting<T | undefined> {
  return { kind: 'value', default: spec.default, ...spec } as ValueSetting<T | undefined>;
}

/** A flag without a value (`--sessions`), or an env variable set to true/false, 1/0, on/off. */
export function toggle(spec: SettingBase): SwitchSetting {
  return { kind: 'switch', ...spec };
}

export type SettingsValues<S extends Settings> = {
  [K in keyof S]: S[K] extends SwitchSetting ? boolean : S[K] extends ValueSetting<infer T> ? T : never;
};

/** Where a value came from, for error messages and for rules that depend on it. */
export type SettingSource = 'flag' | 'env' | 'default' | 'unset';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** The environment variable's text, with an empty variable counting as unset (as shells leave them). */
function envText(env: NodeJS.ProcessEnv, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const text = env[name];
  return text === undefined || text === '' ? undefined : text;
}

const SWITCH_VALUES: Record<string, boolean> = { true: true, '1': true, on: true, yes: true, false: false, '0': false, off: false, no: false };

/** How a setting is named in an error: by the flag or the variable the value came from. */
export function settingName(setting: Setting, source: SettingSource): string {
  const flag = setting.flag?.split(' ')[0];
  if (source === 'env' && setting.env) return setting.env;
  if (source === 'flag' && flag) return flag;
  return [flag, setting.env].filter(Boolean).join(' / ');
}

function shown(setting: Setting, text: string): string {
  if (setting.secret) return setting.redact ? ` "${setting.redact(text)}"` : '';
  return ` "${text}"`;
}

/**
 * Resolves every setting from the parsed command line (`raw`, keyed like the settings, as
 * commander hands it over) and the environment: the flag wins, then the variable, then the
 * default. Every invalid value is reported, each naming its flag or variable and what it accepts.
 */
export function resolveSettings<S extends Settings>(
  settings: S,
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { values: SettingsValues<S>; sources: Record<keyof S, SettingSource> } {
  const values: Record<string, unknown> = {};
  const sources: Record<string, SettingSource> = {};
  const problems: string[] = [];
  for (const [key, setting] of Object.entries(settings)) {
    const fromFlag = raw[key];
    const fromEnv = envText(env, setting.env);
    const source: SettingSource = fromFlag !== undefined ? 'flag' : fromEnv !== undefined ? 'env' : setting.kind === 'value' && setting.default !== undefined ? 'default' : 'unset';
    sources[key] = source;
    if (setting.kind === 'switch') {
      if (source === 'env') {
        const parsed = SWITCH_VALUES[fromEnv!.toLowerCase()];
        if (parsed === undefined) problems.push(`invalid ${setting.env}${shown(setting, fromEnv!)}: expected true or false (also 1/0, on/off, yes/no)`);
        values[key] = parsed ?? false;
      } else {
        values[key] = fromFlag === true;
      }
      continue;
    }
    const text = source === 'flag' ? String(fromFlag) : source === 'env' ? fromEnv : setting.default;
    if (text === undefined) {
      values[key] = undefined;
      continue;
    }
    const result = setting.schema.safeParse(text);
    if (result.success) {
      values[key] = result.data;
    } else {
      const reasons = [...new Set(result.error.issues.map((issue) => issue.message))].join('; ');
      problems.push(`invalid ${settingName(setting, source)}${shown(setting, text)}: ${reasons}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { values: values as SettingsValues<S>, sources: sources as Record<keyof S, SettingSource> };
}

function helpText(setting: Setting): string {
  const notes = [setting.env && `env ${setting.env}`, setting.kind === 'value' && setting.default !== undefined && `default: ${JSON.stringify(setting.default)}`].filter(Boolean);
  return notes.length ? `${setting.description} (${notes.join(', ')})` : setting.description;
}

/**
 * Registers the flags of `settings` on a command, with no commander default (a default would
 * hide whether the flag was given, and the environment must win over it), and lists the
 * environment-only settings after the options in its help.
 */
export function addSettings(command: Command, settings: Settings): Command {
  const envOnly: string[] = [];
  for (const [key, setting] of Object.entries(settings)) {
    if (!setting.flag) {
      if (setting.env) envOnly.push(`  ${setting.env.padEnd(30)} ${helpText({ ...setting, env: undefined })}`);
      continue;
    }
    const option = new Option(setting.flag, helpText(setting));
    // The action reads values by setting key, so the flag must map to it.
    if (option.attributeName() !== key) throw new Error(`setting ${key}: flag ${setting.flag} is read as ${option.attributeName()}`);
    command.addOption(option);
  }
  if (envOnly.length) command.addHelpText('after', `\nEnvironment only:\n${envOnly.join('\n')}`);
  return command;
}
