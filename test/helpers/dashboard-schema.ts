/*
 * Structural check of dashboard JSON against the Grafana Foundation SDK's TypeScript types (the types the
 * generator builds with, generated from Grafana's dashboard schema). The SDK has no runtime validator, so the
 * JSON is written into a TypeScript file as object literals with `satisfies` and compiled with tsc:
 *
 *   - the dashboard as a whole against `dashboard.Dashboard`;
 *   - every target against the query type of its datasource (`prometheus.Dataquery`, `tempo.Dataquery`), since
 *     `Panel.targets` is only the marker interface `cog.Dataquery`;
 *   - every panel's `options` and `fieldConfig.defaults.custom` against its panel plugin's `Options` /
 *     `FieldConfig` (`Panel.options` is `any` in the dashboard schema).
 *
 * JSON has string values where the SDK has string enums, so the check maps every enum to the union of its
 * literal values (`${Enum}`); object literals with `satisfies` also get excess-property checks, so a misspelt or
 * unknown key is an error. The file is compiled inside this repository's node_modules so that the SDK resolves.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './stdio-child';

const SDK = '@grafana/grafana-foundation-sdk';

/** Panel plugin → the SDK module with its `Options` (and `FieldConfig`, when the plugin has custom field config). */
const PANEL_MODULES: Readonly<Record<string, { module: string; fieldConfig: boolean }>> = {
  timeseries: { module: 'timeseries', fieldConfig: true },
  stat: { module: 'stat', fieldConfig: false },
  table: { module: 'table', fieldConfig: true },
  bargauge: { module: 'bargauge', fieldConfig: false },
  heatmap: { module: 'heatmap', fieldConfig: true },
};

/** Datasource plugin → the SDK module with its query type `Dataquery`. */
const QUERY_MODULES: Readonly<Record<string, string>> = { prometheus: 'prometheus', tempo: 'tempo' };

const PRELUDE = `
/* eslint-disable */
import type * as cog from '${SDK}/cog';
import type * as dashboard from '${SDK}/dashboard';
${[...new Set([...Object.values(PANEL_MODULES).map((m) => m.module), ...Object.values(QUERY_MODULES)])]
  .map((m) => `import type * as ${m} from '${SDK}/${m}';`)
  .join('\n')}

type IsAny<T> = 0 extends 1 & T ? true : false;
/** The JSON form of an SDK type: enums become their literal values; targets are checked on their own. */
type Json<T> =
  IsAny<T> extends true ? any
  : unknown extends T ? unknown
  : T extends cog.Dataquery ? Record<string, unknown>
  : T extends string ? \`\${T}\`
  : T extends number ? (\`\${T}\` extends \`\${infer N extends number}\` ? N : number)
  : T extends boolean | null | undefined ? T
  : T extends readonly (infer U)[] ? Json<U>[]
  : T extends object ? Shape<T>
  : T;
type Shape<T> = { [K in keyof T as K extends '_implementsDataqueryVariant' ? never : K]: Json<T[K]> };
`;

export interface NamedDashboard {
  name: string;
  dashboard: unknown;
}

interface Loose {
  type?: string;
  datasource?: { type?: string };
  targets?: Loose[];
  panels?: Loose[];
  options?: unknown;
  fieldConfig?: { defaults?: { custom?: unknown } };
}

function literal(value: unknown): string {
  return JSON.stringify(value, null, 1);
}

/** The TypeScript source that checks `dashboards`; exported for tests of the check itself. */
export function sdkCheckSource(dashboards: NamedDashboard[]): string {
  const lines: string[] = [PRELUDE];
  let n = 0;
  const check = (what: string, value: unknown, type: string): void => {
    lines.push(`// ${what}\nexport const c${n++} = ${literal(value)} satisfies ${type};`);
  };
  for (const { name, dashboard } of dashboards) {
    check(`${name}`, dashboard, 'Json<dashboard.Dashboard>');
    const walk = (panels: Loose[] | undefined): void => {
      for (const panel of panels ?? []) {
        const where = `${name} panel ${JSON.stringify((panel as { title?: string }).title ?? '')}`;
        const plugin = PANEL_MODULES[panel.type ?? ''];
        if (plugin) {
          check(`${where} options`, panel.options ?? {}, `Json<${plugin.module}.Options>`);
          const custom = panel.fieldConfig?.defaults?.custom;
          if (plugin.fieldConfig && custom !== undefined) check(`${where} fieldConfig.defaults.custom`, custom, `Json<${plugin.module}.FieldConfig>`);
        } else if (panel.type !== 'row') {
          lines.push(`// ${where}\nexport const c${n++}: 'unknown panel type ${panel.type}' = 'not checked';`);
        }
        for (const target of panel.targets ?? []) {
          const type = target.datasource?.type ?? panel.datasource?.type ?? '';
          const module = QUERY_MODULES[type];
          if (module) check(`${where} target`, target, `Shape<${module}.Dataquery>`);
          else lines.push(`// ${where}\nexport const c${n++}: 'unknown datasource type ${type}' = 'not checked';`);
        }
        walk(panel.panels);
      }
    };
    walk((dashboard as Loose).panels);
  }
  return `${lines.join('\n')}\n`;
}

/** tsc's diagnostics for `dashboards` checked against the Foundation SDK's types (empty = every check passes). */
export function foundationSdkTypeErrors(dashboards: NamedDashboard[]): string[] {
  const cache = join(REPO_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'mcp-otel-sdk-check-'));
  try {
    const source = sdkCheckSource(dashboards);
    writeFileSync(join(dir, 'check.ts'), source);
    const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    const args = [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--types', 'node', '--typeRoots', join(REPO_ROOT, 'node_modules/@types'), '--pretty', 'false', join(dir, 'check.ts')];
    try {
      execFileSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
      return [];
    } catch (err) {
      const out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
      const src = source.split('\n');
      const errors = out.split('\n').filter((l) => /error TS\d+/.test(l));
      if (!errors.length) throw err;
      // Name the dashboard/panel each error is in: the nearest `// …` comment above its line.
      return errors.map((line) => {
        const at = Number(/\((\d+),\d+\)/.exec(line)?.[1] ?? 0);
        let i = at - 1;
        while (i > 0 && !(src[i] ?? '').startsWith('// ')) i--;
        return `${(src[i] ?? '').slice(3)}: ${line.replace(/^.*?error /, 'error ')}`;
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
