import { ScopedVars, TypedVariableModel } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

/** FakeVariable is a dashboard variable as the fake template service knows it. */
export interface FakeVariable {
  name: string;
  value: string | string[];
}

/**
 * fakeTemplateSrv replaces $name, ${name} and [[name]] like Grafana does for
 * the formats the plugin uses: plain (values joined by commas) and json.
 */
export function fakeTemplateSrv(variables: FakeVariable[]): TemplateSrv {
  const lookup = (name: string, scopedVars?: ScopedVars) => {
    const scoped = scopedVars?.[name];
    if (scoped) {
      return scoped.value as string | string[];
    }
    return variables.find((v) => v.name === name)?.value;
  };
  const expand = (name: string, scopedVars?: ScopedVars): string[] | undefined => {
    const value = lookup(name, scopedVars);
    if (value === undefined) {
      return undefined;
    }
    const list = Array.isArray(value) ? value : [value];
    return list.includes('$__all') ? ['all-a', 'all-b'] : list;
  };
  return {
    getVariables: () =>
      variables.map(
        (v) =>
          ({ name: v.name, type: 'query', current: { value: v.value, text: v.value } }) as unknown as TypedVariableModel
      ),
    replace: (target?: string, scopedVars?: ScopedVars, format?: string | Function) =>
      (target ?? '').replace(/\$(\w+)|\$\{(\w+)(?::[\w-]+)?\}|\[\[(\w+)\]\]/g, (match, a, b, c) => {
        const values = expand(a ?? b ?? c, scopedVars);
        if (!values) {
          return match;
        }
        return format === 'json' ? JSON.stringify(values.length === 1 ? values[0] : values) : values.join(',');
      }),
    containsTemplate: (target?: string) => /\$\w+|\$\{\w+/.test(target ?? ''),
    updateTimeRange: () => {},
  } as unknown as TemplateSrv;
}
