/*
 * What Prometheus 3's OTLP receiver (`--web.enable-otlp-receiver`, POST /api/v1/otlp/v1/metrics) stores for an
 * OTLP metrics export, as Prometheus text exposition, so that a Prometheus without that receiver (Debian's builds
 * have none, not even 3.5) can scrape it (`honor_labels: true`, see `pushedScrapeTarget` in ./prometheus.ts) and
 * dashboards and rules can be run against series labelled and named exactly as on the compose stack.
 *
 * The rules, and where they come from (prometheus/prometheus v3.14.0, storage/remote/otlptranslator/
 * prometheusremotewrite/{metrics_to_prw,helper,number_data_points,otlp_to_openmetrics_metadata}.go, with
 * github.com/prometheus/otlptranslator v1.0.0 {metric_namer,unit_namer,label_namer,strconv}.go; settings from the
 * `otlp:` block of grafana/prometheus/prometheus.yml, see `otlpSettingsFromConfig`):
 *
 * Names (translation_strategy UnderscoreEscapingWithSuffixes, the default; `normalizeName`):
 *   - the OTel name is split into tokens on every character outside [a-zA-Z0-9:] (so `.`, `-` and runs of `_`
 *     become one `_`);
 *   - the unit becomes a suffix token unless a token already equals it: `s`→seconds, `ms`→milliseconds,
 *     `By`→bytes, ... (unitMap), `1`→none; a unit containing `{` or `}` adds nothing (`{call}`, `{session}`);
 *     `a/b` gives `<a>_per_<b>` (perUnitMap: s→second, m→minute, ...); other units are sanitised and added as is;
 *   - monotonic sums get `_total` (an existing `total` token is moved to the end); gauges with unit `1` get
 *     `_ratio`; non-monotonic sums are gauges without `_total`;
 *   - a leading digit gets a `_` prefix;
 *   - histograms (explicit buckets, cumulative): `<name>_bucket{le}` (cumulative counts, `le` formatted with
 *     strconv.FormatFloat(b, 'f', -1, 64), i.e. `1`, `0.005`, plus `+Inf`), `<name>_sum` (if the point has a sum),
 *     `<name>_count`; summaries: `<name>{quantile}`, `<name>_sum`, `<name>_count`.
 * Labels (`createAttributes`):
 *   - data point attributes, sorted by key; names sanitised by the LabelNamer: every character outside
 *     [a-zA-Z0-9] → `_` (runs kept: label_name_preserve_multiple_underscores, default true), `key_` before a
 *     leading digit, `key` before a single leading `_` (label_name_underscore_sanitization, default true);
 *     keys that collide after sanitising are joined with `;` in key order; values as pcommon's Value.AsString
 *     (ints in decimal, doubles as JavaScript/ES6 prints them, bools true/false, arrays and maps as JSON, bytes
 *     as base64);
 *   - then the promoted resource attributes (promote_resource_attributes), only where the point has no such label;
 *   - then `job` = `<service.namespace>/<service.name>` (or `<service.name>`) and `instance` = `service.instance.id`,
 *     each overriding a point attribute of that name and absent when the resource attribute is absent;
 *   - no scope labels (promote_scope_metadata is false), no __type__/__unit__ labels (feature flag off).
 * target_info (`addResourceTargetInfo`): one series per resource with value 1 and the resource attributes as labels
 *   (service.name/namespace/instance.id only with keep_identifying_resource_attributes), plus job and instance
 *   (no promoted-attribute merge); only written when the resource has an attribute besides those three and the
 *   series has job or instance. Its timestamp is the latest point timestamp of the export.
 * Samples carry the data point's timestamp (the exposition has explicit timestamps): like pushed samples, they get
 * no staleness markers.
 * Temporality: cumulative only (delta sums and histograms are rejected, as without the otlp-deltatocumulative /
 * otlp-native-delta-ingestion feature flags); rejections are recorded in `errors()`.
 *
 * Not emulated (the JS SDK's default export has none of it): exponential histograms (native histograms), exemplars,
 * the NoRecordedValue flag (stale markers), `convert_histograms_to_nhcb`, other translation strategies. They are
 * reported in `errors()` or rejected by `otlpSettingsFromConfig` instead of being translated wrongly.
 * A scrape sees only the newest point of each series since the previous scrape (the receiver stores every export):
 * with cumulative data that thins samples out but changes no rate. Prometheus 3 normalises `le` label values of
 * scraped classic histograms (`1` → `1.0`); the receiver stores `1`. Histogram families are therefore exposed
 * without `# TYPE` so that the stored `le` values are the receiver's (see `exposition`).
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

/** The `otlp:` settings of a Prometheus configuration that change what the receiver stores. */
export interface OtlpSettings {
  translationStrategy: 'UnderscoreEscapingWithSuffixes';
  promoteResourceAttributes: string[];
  promoteAllResourceAttributes: boolean;
  ignoreResourceAttributes: string[];
  keepIdentifyingResourceAttributes: boolean;
  labelNameUnderscoreSanitization: boolean;
  labelNamePreserveMultipleUnderscores: boolean;
}

/** The receiver's defaults (docs/configuration/configuration.md, `otlp:`). */
export const DEFAULT_OTLP_SETTINGS: OtlpSettings = {
  translationStrategy: 'UnderscoreEscapingWithSuffixes',
  promoteResourceAttributes: [],
  promoteAllResourceAttributes: false,
  ignoreResourceAttributes: [],
  keepIdentifyingResourceAttributes: false,
  labelNameUnderscoreSanitization: true,
  labelNamePreserveMultipleUnderscores: true,
};

/**
 * Settings from the `otlp:` block of a Prometheus configuration. Options this translator does not implement
 * (other translation strategies, scope promotion, NHCB conversion, unknown keys) throw: a test must not pass on
 * a translation that differs from the configured one.
 */
export function otlpSettingsFromConfig(otlp: Obj | undefined): OtlpSettings {
  const s: OtlpSettings = { ...DEFAULT_OTLP_SETTINGS };
  for (const [key, value] of Object.entries(otlp ?? {})) {
    switch (key) {
      case 'translation_strategy':
        if (value !== 'UnderscoreEscapingWithSuffixes') throw new Error(`otlp.translation_strategy ${value} is not emulated`);
        break;
      case 'promote_resource_attributes':
        s.promoteResourceAttributes = [...(value as string[])];
        break;
      case 'promote_all_resource_attributes':
        s.promoteAllResourceAttributes = value === true;
        break;
      case 'ignore_resource_attributes':
        s.ignoreResourceAttributes = [...(value as string[])];
        break;
      case 'keep_identifying_resource_attributes':
        s.keepIdentifyingResourceAttributes = value === true;
        break;
      case 'label_name_underscore_sanitization':
        s.labelNameUnderscoreSanitization = value === true;
        break;
      case 'label_name_preserve_multiple_underscores':
        s.labelNamePreserveMultipleUnderscores = value === true;
        break;
      case 'promote_scope_metadata':
      case 'convert_histograms_to_nhcb':
        if (value === true) throw new Error(`otlp.${key}: true is not emulated`);
        break;
      default:
        throw new Error(`otlp.${key} is not emulated`);
    }
  }
  return s;
}

// ---- names (otlptranslator v1.0.0) -----------------------------------------------------------------------------

export type OtelMetricType = 'gauge' | 'monotonic_counter' | 'non_monotonic_counter' | 'histogram' | 'exponential_histogram' | 'summary';

const UNIT_MAP: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
};
const PER_UNIT_MAP: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

const isMetricChar = (c: string) => /[a-zA-Z0-9:]/.test(c);
const collapseUnderscores = (s: string) => s.replace(/_+/g, '_');
/** cleanUpUnit: invalid characters → `_`, runs collapsed, a leading `_` dropped. */
const cleanUpUnit = (unit: string) => collapseUnderscores([...unit].map((c) => (isMetricChar(c) ? c : '_')).join('')).replace(/^_/, '');

/** buildUnitSuffixes: [main unit suffix, per-unit suffix (`per_<x>`)]. */
export function unitSuffixes(unit: string): [string, string] {
  const tokens = unit.split('/');
  const [mainRaw, ...rest] = tokens;
  const perRaw = rest.join('/');
  let main = '';
  let per = '';
  const mainOtel = (mainRaw ?? '').trim();
  if (mainOtel !== '' && !/[{}]/.test(mainOtel)) main = UNIT_MAP[mainOtel] ?? mainOtel;
  if (tokens.length > 1 && perRaw !== '') {
    const perOtel = perRaw.trim();
    if (perOtel !== '' && !/[{}]/.test(perOtel)) per = PER_UNIT_MAP[perOtel] ?? perOtel;
    if (per !== '') per = `per_${per}`;
  }
  return [main, per];
}

/** MetricNamer.Build with WithMetricSuffixes and without UTF-8 (normalizeName); throws on an empty result. */
export function prometheusMetricName(name: string, unit: string, type: OtelMetricType): string {
  let tokens = name.split(/[^a-zA-Z0-9:]+/).filter((t) => t !== '');
  const [mainSuffixRaw, perSuffixRaw] = unitSuffixes(unit);
  let mainSuffix = cleanUpUnit(mainSuffixRaw);
  let perSuffix = cleanUpUnit(perSuffixRaw);
  // addUnitTokens
  if (tokens.includes(mainSuffix)) mainSuffix = '';
  if (perSuffix === 'per_') perSuffix = '';
  else {
    perSuffix = perSuffix.replace(/_$/, '');
    if (tokens.includes(perSuffix)) perSuffix = '';
  }
  if (perSuffix !== '') mainSuffix = mainSuffix.replace(/_$/, '');
  if (mainSuffix !== '') tokens.push(mainSuffix);
  if (perSuffix !== '') tokens.push(perSuffix);
  if (type === 'monotonic_counter') tokens = [...tokens.filter((t) => t !== 'total'), 'total'];
  if (unit === '1' && type === 'gauge') tokens = [...tokens.filter((t) => t !== 'ratio'), 'ratio'];
  let normalized = tokens.join('_');
  if (/^[0-9]/.test(normalized)) normalized = `_${normalized}`;
  if (normalized === '' || (/^_+$/.test(normalized) && normalized !== name)) {
    throw new Error(`normalization for metric ${JSON.stringify(name)} resulted in invalid name ${JSON.stringify(normalized)}`);
  }
  return normalized;
}

/** LabelNamer.Build without UTF-8. */
export function prometheusLabelName(key: string, settings: Pick<OtlpSettings, 'labelNameUnderscoreSanitization' | 'labelNamePreserveMultipleUnderscores'> = DEFAULT_OTLP_SETTINGS): string {
  if (key === '') throw new Error('label name is empty');
  let name: string;
  if (settings.labelNamePreserveMultipleUnderscores) {
    name = [...key].map((c) => (/[a-zA-Z0-9]/.test(c) ? c : '_')).join('');
  } else {
    const reserved = key.length >= 4 && key.startsWith('__') && key.endsWith('__');
    const inner = reserved ? key.slice(2, -2) : key;
    name = inner.replace(/[^a-zA-Z0-9]+/g, '_');
    if (reserved) name = `__${name}__`;
  }
  if (/^[0-9]/.test(name)) name = `key_${name}`;
  else if (settings.labelNameUnderscoreSanitization && name.startsWith('_') && !name.startsWith('__')) name = `key${name}`;
  if (/^_+$/.test(name)) throw new Error(`normalization for label name ${JSON.stringify(key)} resulted in invalid name ${JSON.stringify(name)}`);
  return name;
}

// ---- values --------------------------------------------------------------------------------------------------

/** pcommon's Value.AsRaw of an OTLP AnyValue (a decoded protobuf object); 64-bit integers outside 2^53 as bigint. */
function anyRaw(v: Obj | undefined | null): unknown {
  if (!v) return null;
  if ('stringValue' in v) return String(v.stringValue);
  if ('boolValue' in v) return Boolean(v.boolValue);
  if ('intValue' in v) {
    const big = BigInt(String(v.intValue));
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return ((v.arrayValue?.values ?? []) as Obj[]).map(anyRaw);
  if ('kvlistValue' in v) {
    const out: Record<string, unknown> = {};
    for (const kv of (v.kvlistValue?.values ?? []) as Obj[]) out[String(kv.key)] = anyRaw(kv.value);
    return out;
  }
  if ('bytesValue' in v) return Buffer.from(v.bytesValue as Uint8Array).toString('base64');
  return null;
}

/**
 * JSON as Go's encoding/json writes it (pcommon marshals maps and slices with a standard-library-compatible
 * encoder): map keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped, numbers as ES6 prints them.
 */
function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${goJson(k)}:${goJson(v)}`).join(',')}}`;
}

/** pcommon Value.AsString. */
export function attributeString(v: Obj | undefined | null): string {
  if (!v) return '';
  if ('stringValue' in v) return String(v.stringValue);
  if ('boolValue' in v) return v.boolValue ? 'true' : 'false';
  if ('intValue' in v) return BigInt(String(v.intValue)).toString();
  if ('doubleValue' in v) return String(Number(v.doubleValue));
  if ('bytesValue' in v) return Buffer.from(v.bytesValue as Uint8Array).toString('base64');
  if ('arrayValue' in v || 'kvlistValue' in v) return goJson(anyRaw(v));
  return '';
}

// ---- the translator ------------------------------------------------------------------------------------------

type Labels = Map<string, string>;

interface Family {
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  help: string;
  series: Map<string, Sample>;
}

export interface Sample {
  name: string;
  labels: Labels;
  value: number;
  timestampMs: number;
}

export interface TranslatorOptions {
  settings?: OtlpSettings;
  /**
   * Resource attributes to remove before translating, e.g. `service.instance.id`: emulates an SDK set-up that
   * does not set them (then there is no `instance` label, as on the compose stack).
   */
  dropResourceAttributes?: string[];
}

const IDENTIFYING = ['service.namespace', 'service.name', 'service.instance.id'];

function seriesKey(name: string, labels: Labels): string {
  return `${name}{${[...labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
}

const nanosToMs = (ns: unknown): number => Number(BigInt(String(ns ?? '0')) / 1_000_000n);

/**
 * Translates decoded OTLP ExportMetricsServiceRequest objects (`decodeMetricsRequest` of ./otlp-receiver) into
 * the series Prometheus' OTLP receiver would store, and renders the newest sample of each as text exposition.
 */
export class OtlpToPrometheus {
  private readonly settings: OtlpSettings;
  private readonly drop: Set<string>;
  private readonly families = new Map<string, Family>();
  private readonly _errors: string[] = [];
  private _requests = 0;

  constructor(options: TranslatorOptions = {}) {
    this.settings = options.settings ?? DEFAULT_OTLP_SETTINGS;
    this.drop = new Set(options.dropResourceAttributes ?? []);
  }

  /** Exports translated so far. */
  get requests(): number {
    return this._requests;
  }

  /** What the receiver would have rejected or what is not emulated (should stay empty). */
  errors(): string[] {
    return [...this._errors];
  }

  /** Every stored series name (`__name__`). */
  seriesNames(): string[] {
    const names = new Set<string>();
    for (const f of this.families.values()) for (const s of f.series.values()) names.add(s.name);
    return [...names].sort();
  }

  private labelName(key: string): string {
    return prometheusLabelName(key, this.settings);
  }

  private family(name: string, type: Family['type'], help: string): Family {
    let f = this.families.get(name);
    if (!f) {
      f = { type, help, series: new Map() };
      this.families.set(name, f);
    }
    return f;
  }

  private put(family: Family, name: string, labels: Labels, value: number, timestampMs: number): void {
    const key = seriesKey(name, labels);
    const prev = family.series.get(key);
    // The newest point wins (an older one arriving late would be an out-of-order sample).
    if (!prev || prev.timestampMs <= timestampMs) family.series.set(key, { name, labels, value, timestampMs });
  }

  /** createAttributes without extras: point attributes, promoted resource attributes, job, instance. */
  private attributes(attrs: Obj[] | undefined, resource: { job?: string; instance?: string; promoted: Labels }): Labels {
    const sorted = ((attrs ?? []) as Obj[])
      .filter((kv) => kv.key !== '__name__')
      .map((kv) => [String(kv.key), attributeString(kv.value)] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const labels: Labels = new Map();
    for (const [key, value] of sorted) {
      const name = this.labelName(key);
      const existing = labels.get(name);
      if (existing) labels.set(name, `${existing};${value}`);
      else labels.set(name, value);
    }
    for (const [k, v] of resource.promoted) if (!labels.get(k)) labels.set(k, v);
    if (resource.job) labels.set('job', resource.job);
    if (resource.instance) labels.set('instance', resource.instance);
    // An empty label value is no label in Prometheus.
    for (const [k, v] of labels) if (v === '') labels.delete(k);
    return labels;
  }

  /** Translates one export (the decoded request object). */
  ingest(request: Obj): void {
    this._requests++;
    for (const rm of (request.resourceMetrics ?? []) as Obj[]) {
      const resourceAttrs = ((rm.resource?.attributes ?? []) as Obj[]).filter((kv) => !this.drop.has(String(kv.key)));
      const get = (key: string) => resourceAttrs.find((kv) => kv.key === key);
      const serviceName = get('service.name');
      const serviceNamespace = get('service.namespace');
      const instanceAttr = get('service.instance.id');
      const job = serviceName ? (serviceNamespace ? `${attributeString(serviceNamespace.value)}/` : '') + attributeString(serviceName.value) : undefined;
      const instance = instanceAttr ? attributeString(instanceAttr.value) : undefined;
      const promoted: Labels = new Map();
      const { promoteAllResourceAttributes: all, promoteResourceAttributes: list, ignoreResourceAttributes: ignore } = this.settings;
      for (const kv of resourceAttrs) {
        const key = String(kv.key);
        if (all ? !ignore.includes(key) : list.includes(key)) promoted.set(this.labelName(key), attributeString(kv.value));
      }
      const resource = { job, instance, promoted };

      let earliest = Infinity;
      let latest = -Infinity;
      for (const sm of (rm.scopeMetrics ?? []) as Obj[]) {
        for (const m of (sm.metrics ?? []) as Obj[]) {
          const name = String(m.name ?? '');
          const unit = String(m.unit ?? '');
          const help = String(m.description ?? '');
          const points: Obj[] = m.gauge?.dataPoints ?? m.sum?.dataPoints ?? m.histogram?.dataPoints ?? m.exponentialHistogram?.dataPoints ?? m.summary?.dataPoints ?? [];
          for (const p of points) {
            const t = nanosToMs(p.timeUnixNano);
            earliest = Math.min(earliest, t);
            latest = Math.max(latest, t);
          }
          const temporality = m.sum?.aggregationTemporality ?? m.histogram?.aggregationTemporality ?? m.exponentialHistogram?.aggregationTemporality;
          if (temporality !== undefined && temporality !== 2) {
            this._errors.push(`invalid temporality and type combination for metric "${name}"`);
            continue;
          }
          if (points.some((p) => (Number(p.flags ?? 0) & 1) === 1)) this._errors.push(`${name}: NoRecordedValue points are not emulated`);
          if (m.gauge) {
            const promName = prometheusMetricName(name, unit, 'gauge');
            this.numberPoints(promName, this.family(promName, 'gauge', help), points, resource);
          }
          else if (m.sum) {
            const type = m.sum.isMonotonic ? 'monotonic_counter' : 'non_monotonic_counter';
            const promName = prometheusMetricName(name, unit, type);
            this.numberPoints(promName, this.family(promName, m.sum.isMonotonic ? 'counter' : 'gauge', help), points, resource);
          } else if (m.histogram) {
            const promName = prometheusMetricName(name, unit, 'histogram');
            const family = this.family(promName, 'histogram', help);
            for (const p of points) {
              if ((Number(p.flags ?? 0) & 1) === 1) continue;
              const base = this.attributes(p.attributes, resource);
              const t = nanosToMs(p.timeUnixNano);
              if (p.sum !== undefined && p.sum !== null) this.put(family, `${promName}_sum`, base, Number(p.sum), t);
              this.put(family, `${promName}_count`, base, Number(p.count ?? 0), t);
              const bounds = ((p.explicitBounds ?? []) as unknown[]).map(Number);
              const counts = ((p.bucketCounts ?? []) as unknown[]).map((c) => Number(c));
              let cumulative = 0;
              for (let i = 0; i < bounds.length && i < counts.length; i++) {
                cumulative += counts[i] as number;
                this.put(family, `${promName}_bucket`, new Map([...base, ['le', formatBound(bounds[i] as number)]]), cumulative, t);
              }
              this.put(family, `${promName}_bucket`, new Map([...base, ['le', '+Inf']]), Number(p.count ?? 0), t);
            }
          } else if (m.summary) {
            const promName = prometheusMetricName(name, unit, 'summary');
            const family = this.family(promName, 'summary', help);
            for (const p of points) {
              if ((Number(p.flags ?? 0) & 1) === 1) continue;
              const base = this.attributes(p.attributes, resource);
              const t = nanosToMs(p.timeUnixNano);
              this.put(family, `${promName}_sum`, base, Number(p.sum ?? 0), t);
              this.put(family, `${promName}_count`, base, Number(p.count ?? 0), t);
              for (const q of (p.quantileValues ?? []) as Obj[]) {
                this.put(family, promName, new Map([...base, ['quantile', formatBound(Number(q.quantile ?? 0))]]), Number(q.value ?? 0), t);
              }
            }
          } else if (m.exponentialHistogram) {
            this._errors.push(`${name}: exponential histograms (native histograms) are not emulated`);
          } else {
            this._errors.push(`${name}: unsupported metric type`);
          }
        }
      }
      if (earliest !== Infinity) this.targetInfo(resourceAttrs, resource, latest);
    }
  }

  private numberPoints(name: string, family: Family, points: Obj[], resource: { job?: string; instance?: string; promoted: Labels }): void {
    for (const p of points) {
      if ((Number(p.flags ?? 0) & 1) === 1) continue;
      const value = p.asDouble !== undefined ? Number(p.asDouble) : Number(BigInt(String(p.asInt ?? '0')));
      this.put(family, name, this.attributes(p.attributes, resource), value, nanosToMs(p.timeUnixNano));
    }
  }

  private targetInfo(resourceAttrs: Obj[], resource: { job?: string; instance?: string }, latestMs: number): void {
    const nonIdentifying = resourceAttrs.filter((kv) => !IDENTIFYING.includes(String(kv.key))).length;
    if (nonIdentifying === 0) return;
    const attrs = this.settings.keepIdentifyingResourceAttributes ? resourceAttrs : resourceAttrs.filter((kv) => !IDENTIFYING.includes(String(kv.key)));
    const labels = this.attributes(attrs, { ...resource, promoted: new Map() });
    if (!labels.has('job') && !labels.has('instance')) return;
    this.put(this.family('target_info', 'gauge', 'Target metadata'), 'target_info', labels, 1, latestMs);
  }

  /**
   * Text exposition (format 0.0.4) of the newest sample of every series, with its timestamp. Counter, gauge and
   * summary families get `# HELP` and `# TYPE`; histogram families only `# HELP`: with `# TYPE histogram`,
   * Prometheus 3 would rewrite `le="1"` to `le="1.0"` at scrape time, which the OTLP receiver does not do.
   */
  exposition(): string {
    const lines: string[] = [];
    for (const [name, family] of this.families) {
      if (family.series.size === 0) continue;
      if (family.help) lines.push(`# HELP ${name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      if (family.type !== 'histogram') lines.push(`# TYPE ${name} ${family.type}`);
      for (const s of family.series.values()) lines.push(`${s.name}${formatLabels(s.labels)} ${formatValue(s.value)} ${s.timestampMs}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

/** strconv.FormatFloat(b, 'f', -1, 64): shortest decimal that round-trips, never in exponent notation. */
export function formatBound(b: number): string {
  if (b === Infinity) return '+Inf';
  if (b === -Infinity) return '-Inf';
  if (Number.isNaN(b)) return 'NaN';
  const s = String(b);
  if (!/e/i.test(s)) return s;
  // Expand exponent notation without losing digits.
  const [mantissa, expPart] = s.toLowerCase().split('e') as [string, string];
  const exp = Number(expPart);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '');
  const [intPart, fracPart = ''] = digits.split('.') as [string, string?];
  const all = intPart + fracPart;
  const point = intPart.length + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${all}`;
  else if (point >= all.length) out = all + '0'.repeat(point - all.length);
  else out = `${all.slice(0, point)}.${all.slice(point)}`;
  return (negative ? '-' : '') + out;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: Labels): string {
  if (labels.size === 0) return '';
  // Sorted by name, as Prometheus stores them.
  const parts = [...labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return `{${parts.join(',')}}`;
}

export interface ExpositionServer {
  readonly url: string;
  readonly port: number;
  /** Scrapes answered per path. */
  scrapes(path: string): number;
  close(): Promise<void>;
}

/** Serves `GET <path>` → `render()` as `text/plain; version=0.0.4` on 127.0.0.1 (random port). */
export async function serveExposition(routes: Record<string, () => string>): Promise<ExpositionServer> {
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] as string;
    const render = routes[path];
    if (req.method !== 'GET' || !render) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    let body: string;
    try {
      body = render();
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String((err as Error).stack ?? err));
      return;
    }
    counts.set(path, (counts.get(path) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    scrapes: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
