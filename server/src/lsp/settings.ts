/**
 * The server's settings (`goMacosSign.rules`, `goMacosSign.architectures`) as a client pushes them with
 * `workspace/didChangeConfiguration`, for clients that cannot be asked with `workspace/configuration`. Editors nest
 * them (`{ goMacosSign: { rules } }`, what Neovim sends from `settings`) or spell the key out
 * (`{ "goMacosSign.rules": … }`); both are read. Values are checked where they are used, never trusted.
 */
export interface ServerSettings {
  rules?: unknown;
  architectures?: unknown;
}

export function pushedSettings(settings: unknown): ServerSettings {
  if (typeof settings !== 'object' || settings === null) return {};
  const all = settings as Record<string, unknown>;
  const nested =
    typeof all.goMacosSign === 'object' && all.goMacosSign !== null ? (all.goMacosSign as Record<string, unknown>) : {};
  return {
    rules: nested.rules ?? all['goMacosSign.rules'],
    architectures: nested.architectures ?? all['goMacosSign.architectures'],
  };
}

/** The architecture names in a setting's value; anything else is dropped. */
export function architecturesOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((a): a is string => typeof a === 'string') : [];
}
