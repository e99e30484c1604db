// Summaries and tables of bench/run.mjs: medians over rounds, paired ratios, the issue's targets, and the
// printed report (one summary table at the end; the older per-arm tables with --details).

export const ARM = { bare: 'uninstrumented', otel: 'otel-only', floor: 'floor', mcp: 'instrumented', alt: 'alt' };

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// A ratio may be NaN (floor adds ≤ 0 µs), which the HTTP child's JSON turns into null.
const isRatio = (x) => typeof x === 'number' && Number.isFinite(x);
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;

/**
 * Which target of issue 10 a workload is judged by:
 *  - 'floor': everything on, 100 % sampling, in memory: mcp-otel's added time per request ≤ 1.1 × the floor's;
 *  - 'otel': traces sampled out, or Streamable HTTP (with the HTTP instrumentation in both arms):
 *    throughput ≥ 0.97 × OpenTelemetry alone.
 */
export function targetOf(key, sampledOut) {
  return key === 'http' || sampledOut ? { kind: 'otel', limit: 0.97 } : { kind: 'floor', limit: 1.1 };
}

/** Medians per arm and the paired (per-round, adjacent runs) differences and ratios. */
export function summarise({ key, title, ops, sampledOut, variants, rounds }) {
  const s = { key, title, ops, sampledOut, target: targetOf(key, sampledOut), rounds };
  for (const v of variants) {
    s[v] = {
      opsPerSec: median(rounds.map((r) => r[v].opsPerSec)),
      usPerOp: median(rounds.map((r) => r[v].usPerOp)),
      cpuUsPerOp: median(rounds.map((r) => r[v].cpuUsPerOp)),
    };
  }
  const has = (v) => variants.includes(v);
  const range = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
  if (has(ARM.bare)) {
    // Paired per round (adjacent runs), then the median: robust against load drift.
    s.vsBaseline = {};
    for (const v of variants) {
      if (v === ARM.bare) continue;
      const ratios = range(rounds.map((r) => r[v].opsPerSec / r[ARM.bare].opsPerSec));
      s.vsBaseline[v] = {
        ratio: ratios.median,
        ratioMin: ratios.min,
        ratioMax: ratios.max,
        addedUs: median(rounds.map((r) => r[v].usPerOp - r[ARM.bare].usPerOp)),
        addedCpuUs: median(rounds.map((r) => r[v].cpuUsPerOp - r[ARM.bare].cpuUsPerOp)),
      };
    }
  }
  if (has(ARM.floor) && has(ARM.mcp) && has(ARM.bare)) {
    // Target (a): mcp-otel's added time within 1.1 × the floor's. The headline is the ratio of the two median
    // added times (a per-round ratio divides two small, noisy differences); per-round ratios give the spread.
    const added = (r, v) => r[v].usPerOp - r[ARM.bare].usPerOp;
    const perRound = range(rounds.map((r) => added(r, ARM.mcp) / added(r, ARM.floor)));
    const floorAdded = s.vsBaseline[ARM.floor].addedUs;
    s.vsFloor = {
      addedRatio: floorAdded > 0 ? s.vsBaseline[ARM.mcp].addedUs / floorAdded : NaN,
      addedRatioPerRound: perRound,
      addedCpuRatio: median(rounds.map((r) => (r[ARM.mcp].cpuUsPerOp - r[ARM.bare].cpuUsPerOp) / (r[ARM.floor].cpuUsPerOp - r[ARM.bare].cpuUsPerOp))),
      throughputRatio: median(rounds.map((r) => r[ARM.mcp].opsPerSec / r[ARM.floor].opsPerSec)),
    };
  }
  if (has(ARM.otel) && has(ARM.mcp)) {
    // Targets (b) and (c): what mcp-otel adds to an app that already runs the OpenTelemetry SDK.
    const ratios = range(rounds.map((r) => r[ARM.mcp].opsPerSec / r[ARM.otel].opsPerSec));
    s.vsOtel = {
      ratio: ratios.median,
      ratioMin: ratios.min,
      ratioMax: ratios.max,
      addedUs: median(rounds.map((r) => r[ARM.mcp].usPerOp - r[ARM.otel].usPerOp)),
      addedCpuUs: median(rounds.map((r) => r[ARM.mcp].cpuUsPerOp - r[ARM.otel].cpuUsPerOp)),
    };
  }
  return s;
}

/** Whether the workload's target is met: { text, met } (met undefined when an arm needed is missing). */
export function verdict(s) {
  if (s.target.kind === 'floor') {
    const r = s.vsFloor?.addedRatio;
    if (s.vsFloor === undefined) return { text: 'needs bare, floor, mcp-otel arms' };
    if (!isRatio(r)) return { text: 'n/a: floor adds ≤ 0 µs (noise)' };
    return { met: r <= s.target.limit, text: r <= s.target.limit ? 'met' : 'missed' };
  }
  const r = s.vsOtel?.ratio;
  if (r === undefined) return { text: 'needs OTel-alone and mcp-otel arms' };
  return { met: r >= s.target.limit, text: r >= s.target.limit ? 'met' : 'missed' };
}

export function printHeader(out, info, opts, variants) {
  out('# mcp-otel overhead benchmark');
  out(`machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.platform}`);
  out(`runtime: Node ${info.node}; ${Object.entries(info.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out(`mcp-otel git ${info.git}; ${info.date}; load average at start: ${info.loadavg}`);
  out(
    `config: rounds=${opts.rounds} ops=${opts.ops} warmup=${opts.warmup} concurrency=${opts.concurrency} http-ops=${opts.httpOps}` +
      ` workloads=${opts.workloads.join(',')} arms=${variants.join(',')}` +
      `${opts.churn ? ` churn-sessions=${opts.churnSessions}` : ''} gc-between-runs=${info.gcBetweenRuns ? 'yes' : 'no (run with --expose-gc)'}`,
  );
  out('telemetry: TracerProvider (AlwaysOn; AlwaysOff for *-sampled-out) + BatchSpanProcessor (defaults) -> dropping exporter, ' +
    'MeterProvider + PeriodicExportingMetricReader(1 s) -> dropping exporter, AsyncLocalStorageContextManager, W3C propagators; ' +
    'the HTTP workload also @opentelemetry/instrumentation-http in every arm but bare');
}

const num2 = (x) => (isRatio(x) ? x.toFixed(2) : 'n/a');
const range1 = (r) => (isRatio(r.min) && isRatio(r.max) ? `${r.min.toFixed(1)}–${r.max.toFixed(1)}` : 'n/a');
const cell = (s, v) => (s[v] ? s[v].usPerOp.toFixed(1) : '—');
const added = (s, v) => (s.vsBaseline?.[v] ? signed(s.vsBaseline[v].addedUs) : '—');

/** The one table the run ends with. */
export function printSummary(out, info, results, churn) {
  out(`**mcp-otel overhead** — ${info.date.slice(0, 10)}, ${info.cpu} (${info.cores} cores), Node ${info.node}, ` +
    `OpenTelemetry JS ${info.versions['sdk-trace']} (api ${info.versions.api}), mcp-otel ${info.git}; ` +
    `load average ${info.loadavg} → ${info.loadavgEnd}; ${info.rounds} interleaved rounds, medians.`);
  out('');
  out('| Workload | bare µs/req | OTel alone µs/req | floor µs/req | mcp-otel µs/req | OTel alone adds µs | floor adds µs | mcp-otel adds µs | mcp-otel added ÷ floor added (per-round range) | mcp-otel ÷ OTel alone, throughput (range) | target | result |');
  out('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|');
  for (const s of Object.values(results)) {
    const f = s.vsFloor;
    const o = s.vsOtel;
    const floorCol = f ? `${isRatio(f.addedRatio) ? f.addedRatio.toFixed(2) : '—'} (${range1(f.addedRatioPerRound)})` : '—';
    const otelCol = o ? `${o.ratio.toFixed(3)} (${o.ratioMin.toFixed(2)}–${o.ratioMax.toFixed(2)})` : '—';
    const target = s.target.kind === 'floor' ? `added ≤ ${s.target.limit} × floor's` : `≥ ${s.target.limit} × OTel alone`;
    out(`| ${s.title} | ${cell(s, ARM.bare)} | ${cell(s, ARM.otel)} | ${cell(s, ARM.floor)} | ${cell(s, ARM.mcp)} | ${added(s, ARM.otel)} | ${added(s, ARM.floor)} | ${added(s, ARM.mcp)} | ${floorCol} | ${otelCol} | ${target} | ${verdict(s).text} |`);
  }
  if (churn) {
    const met = churn.bytesPerSessionAfterFill <= 1024;
    out(`| session churn, ${fmt(churn.sessions)} sessions (heap after GC, mcp-otel on) | | | | | | | | | | ≤ 1 KiB retained per closed session once caps are reached | ${met ? 'met' : 'missed'}: ${fmt(churn.bytesPerSessionAfterFill)} B/session after the first ${fmt(churn.fillSessions)} (${fmt(churn.bytesPerSessionFill)} B/session while filling) |`);
  }
  out('');
  out('µs/req: median wall time per request (50 concurrent: per completed request). "adds": median over rounds of the ' +
    'difference to bare in the same round. floor: a stand-in doing only one SERVER span (10 attributes, active) and one ' +
    'duration point per request. OTel alone: SDK registered, its AsyncLocalStorage active (HTTP: plus the HTTP instrumentation), mcp-otel off.');
}

/** The older detailed tables (ops/s, ratios against bare with min–max, CPU µs per request). */
export function printDetails(out, variants, results) {
  const base = ARM.bare;
  const arms = variants.filter((v) => v !== base);
  if (!variants.includes(base)) {
    out('| Workload | ops/run | arm | ops/s | µs/request | CPU µs/request |');
    out('|---|---:|---|---:|---:|---:|');
    for (const r of Object.values(results)) {
      for (const v of variants) out(`| ${r.title} | ${fmt(r.ops)} | ${v} | ${fmt(r[v].opsPerSec)} | ${r[v].usPerOp.toFixed(1)} | ${r[v].cpuUsPerOp.toFixed(1)} |`);
    }
    return;
  }
  out('| Workload | ops/run | arm | ops/s | ratio vs bare (min–max) | added µs/request | CPU µs/request (added) |');
  out('|---|---:|---|---:|---:|---:|---:|');
  for (const r of Object.values(results)) {
    out(`| ${r.title} | ${fmt(r.ops)} | ${base} | ${fmt(r[base].opsPerSec)} | 1 | 0 | ${r[base].cpuUsPerOp.toFixed(1)} |`);
    for (const v of arms) {
      const d = r.vsBaseline[v];
      out(`| ${r.title} | ${fmt(r.ops)} | ${v} | ${fmt(r[v].opsPerSec)} | ${d.ratio.toFixed(3)} (${d.ratioMin.toFixed(2)}–${d.ratioMax.toFixed(2)}) | ${d.addedUs.toFixed(1)} | ${r[v].cpuUsPerOp.toFixed(1)} (${signed(d.addedCpuUs)}) |`);
    }
  }
  const withOtel = Object.values(results).filter((r) => r.vsOtel);
  if (withOtel.length) {
    out('', '| Workload | instrumented / otel-only (min–max) | added µs/request | added CPU µs/request |', '|---|---:|---:|---:|');
    for (const r of withOtel) out(`| ${r.title} | ${r.vsOtel.ratio.toFixed(3)} (${r.vsOtel.ratioMin.toFixed(2)}–${r.vsOtel.ratioMax.toFixed(2)}) | ${r.vsOtel.addedUs.toFixed(1)} | ${r.vsOtel.addedCpuUs.toFixed(1)} |`);
  }
  const withFloor = Object.values(results).filter((r) => r.vsFloor);
  if (withFloor.length) {
    out('', '| Workload | added µs: instrumented / floor (median of per-round ratios) | added CPU µs: instrumented / floor | throughput instrumented / floor |', '|---|---:|---:|---:|');
    for (const r of withFloor) out(`| ${r.title} | ${num2(r.vsFloor.addedRatioPerRound.median)} | ${num2(r.vsFloor.addedCpuRatio)} | ${r.vsFloor.throughputRatio.toFixed(2)} |`);
  }
}
