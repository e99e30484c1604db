import { diag as globalDiag, metrics, trace } from '@opentelemetry/api';
import type { Attributes, DiagLogger, MeterProvider, Tracer, TracerProvider } from '@opentelemetry/api';
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import type { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { InMemoryActivityStore } from './activity/store';
import { resolveConfig } from './config';
import type { ResolvedConfig } from './config';
import { warnOnce } from './register/diag-logger';
import { dynamicImport, importEsmSdk, mainIsEsm, patchWhenImported } from './patch/esm-support';
import { EventLogger } from './telemetry/log-events';
import type { LogEmitter } from './telemetry/log-events';
import { ClientOperationTally, McpMetrics } from './telemetry/metrics';
import { hookCommonJs, moduleDefinitions, patchLoadedCommonJs, SDK_V2_CLIENT_PACKAGE, v2ModuleDefinition } from './patch/module-hooks';
import { patchHttpTransportClass } from './patch/http-transport';
import { patchServerClass } from './patch/server';
import { unpatchClass } from './patch/wrap';
import { ClientTelemetry } from './telemetry/client';
import { patchClientClass, unpatchClientClass } from './patch/client';
import { ServerRequests } from './telemetry/server-requests';
import { ServerTelemetry } from './telemetry/server';
import type { TelemetrySource } from './telemetry/source';
import { callSafely } from './safely';
import type { ClientActivityStore, McpDisconnectReason, McpInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** For the ESM wrappers, through esm-bridge.ts (only this file reaches into patch/); not exported by index.ts. */
export { importEsmSdk, patchWhenImported };

type ClassKind = 'server' | 'streamable-http' | 'sse' | 'client';

/**
 * OpenTelemetry instrumentation for servers built on @modelcontextprotocol/sdk 1.x
 * and @modelcontextprotocol/server 2.x.
 * Use it in an existing OpenTelemetry setup
 * (`new NodeSDK({ instrumentations: [new McpInstrumentation()] })`) or through
 * `register()`. `isEnabled()` is the single source of truth for whether it patches.
 */
export class McpInstrumentation extends InstrumentationBase<McpInstrumentationConfig> {
  // `declare`: these are set from the base constructor (setConfig,
  // _updateMetricInstruments, enable), before field initialisers would run.
  declare private _resolved: ResolvedConfig;
  /** What the telemetry reads (never this class: its declaration is public). */
  declare private _source: Source;
  declare private _telemetry: ServerTelemetry;
  declare private _clientTelemetry: ClientTelemetry;
  declare private _classes: Map<object, ClassKind>;
  declare private _cjsHook: { unhook(): void } | undefined;
  /** The global meter provider the instruments came from, or null once one was set explicitly. */
  declare private _globalMeterProvider: MeterProvider | null;
  /** Kept across setConfig() calls so reconfiguring does not drop recorded activity. */
  declare private _defaultStore: InMemoryActivityStore;
  /** Set once a tracer provider was given explicitly; until then the tracer follows the global provider. */
  declare private _explicitTracer: boolean;
  declare private _tracerFrom: TracerProvider | undefined;

  constructor(config: McpInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
    this._sourceObject().diag = this._diag; // the base constructor creates _diag only after its first setConfig
  }

  override setConfig(config: McpInstrumentationConfig = {}): void {
    super.setConfig(config);
    this._defaultStore ??= new InMemoryActivityStore();
    this._resolved = resolveConfig(this._config, process.env, warnOnce, this._defaultStore);
    this._sourceObject().config = this._resolved;
  }

  override setTracerProvider(tracerProvider: TracerProvider): void {
    super.setTracerProvider(tracerProvider);
    this._explicitTracer = true;
    this._sourceObject().tracer = this.tracer;
  }

  override setMeterProvider(meterProvider: MeterProvider): void {
    this._globalMeterProvider = null;
    super.setMeterProvider(meterProvider);
  }

  protected override _updateMetricInstruments(): void {
    if (this._globalMeterProvider !== null) this._globalMeterProvider = metrics.getMeterProvider();
    const source = this._sourceObject();
    source.metrics = new McpMetrics(this.meter, source.tally);
  }

  /** Created on first use: the base constructor calls setConfig and _updateMetricInstruments before field initialisers run. */
  private _sourceObject(): Source {
    this._source ??= new Source(() => this._syncProviders(), () => this.logger);
    return this._source;
  }

  /**
   * The tracer of the provider given explicitly, else of the global one as it is now (not the one at construction:
   * a tracer taken before the provider was registered stays a no-op for good); instruments remade once a global
   * meter provider is registered.
   */
  private _syncProviders(): void {
    const source = this._source;
    if (!this._explicitTracer) {
      const provider = trace.getTracerProvider();
      if (provider !== this._tracerFrom) {
        this._tracerFrom = provider;
        source.tracer = provider.getTracer(PACKAGE_NAME, PACKAGE_VERSION);
      }
    }
    if (this._globalMeterProvider && this._globalMeterProvider !== metrics.getMeterProvider()) {
      super.setMeterProvider(metrics.getMeterProvider());
    }
  }

  protected override init(): InstrumentationNodeModuleDefinition[] {
    const load = (exports: unknown) => this._patchExports(exports);
    const unload = (exports: unknown) => this._unpatchExports(exports);
    return [moduleDefinitions(load, unload), v2ModuleDefinition(load, unload), v2ModuleDefinition(load, unload, SDK_V2_CLIENT_PACKAGE)];
  }

  override enable(): void {
    const wasEnabled = this.isEnabled();
    super.enable();
    if (wasEnabled) return;
    this._classes ??= new Map();
    for (const [cls, kind] of this._classes) this._patchClass(cls, kind);
    try {
      this._cjsHook ??= hookCommonJs((exports) => this._patchExports(exports), this._diag);
      patchLoadedCommonJs((exports) => this._patchExports(exports));
    } catch (err) {
      this._diag.error('mcp-otel: could not hook the CommonJS build of @modelcontextprotocol/sdk', err);
    }
    try {
      if (mainIsEsm()) patchWhenImported(this, importEsmSdk(dynamicImport));
    } catch (err) {
      this._diag.error('mcp-otel: could not patch the ESM build of the MCP SDK', err);
    }
  }

  override disable(): void {
    super.disable();
    this._cjsHook?.unhook();
    this._cjsHook = undefined;
    for (const cls of this._classes?.keys() ?? []) this._unpatch(cls);
  }

  private _unpatch(cls: unknown): void {
    if (this._classes.get(cls as object) === 'client') unpatchClientClass(cls, this._clientSide());
    else unpatchClass(cls, this._owner(cls));
  }

  /**
   * Manual instrumentation, for bundled apps where module hooks cannot see the
   * SDK, or for an SDK imported before the instrumentation was enabled. Accepts
   * the SDK's `Server` or `Client` class, an `McpServer`, `Server` or `Client`
   * instance, an HTTP transport class, or an SDK module namespace. Returns true if anything new
   * was patched.
   */
  instrument(target: unknown): boolean {
    try {
      return this._instrument(target);
    } catch (err) {
      this._diag.error('mcp-otel: instrument() failed; the server runs uninstrumented', err);
      return false;
    }
  }

  /** The store client activity goes to (`undefined` when `activityStore: false`). */
  get activityStore(): ClientActivityStore | undefined {
    return this._resolved.activityStore;
  }

  /**
   * Ends every open session with `reason` (default `server_shutdown`) and
   * their in-flight requests with `connection_closed`. `register()` calls it on
   * shutdown; call it yourself before flushing in a custom setup.
   */
  endSessions(reason: McpDisconnectReason = 'server_shutdown'): void {
    try {
      this._telemetry?.lifecycle.endAll(reason);
    } catch (err) {
      this._diag.error('mcp-otel: ending sessions failed', err);
    }
  }

  private _instrument(target: unknown): boolean {
    if (target === null || target === undefined) return false;
    if (typeof target === 'function') {
      const proto = (target as { prototype?: Record<string, unknown> }).prototype ?? {};
      if (typeof proto.callTool === 'function' && typeof proto._onresponse === 'function') return this._remember(target, 'client');
      if (typeof proto._onrequest === 'function') return this._remember(target, 'server');
      if (typeof proto.handleRequest === 'function') return this._remember(target, 'streamable-http');
      if (typeof proto.handlePostMessage === 'function') return this._remember(target, 'sse');
      return false;
    }
    if (typeof target !== 'object') return false;
    const obj = target as Record<string, unknown>;
    if (obj.server && typeof (obj.server as Record<string, unknown>)._onrequest === 'function') {
      return this._instrument((obj.server as object).constructor); // McpServer
    }
    if (typeof obj.callTool === 'function' && typeof obj._onresponse === 'function') return this._instrument((target as object).constructor); // Client instance
    if (typeof obj._onrequest === 'function') return this._instrument((target as object).constructor); // Server instance
    return this._patchExports(target);
  }

  private _patchExports(exports: unknown): boolean {
    if (exports === null || typeof exports !== 'object') return false;
    const mod = exports as Record<string, unknown>;
    let patched = false;
    if (typeof mod.Server === 'function') patched = this._remember(mod.Server, 'server') || patched;
    if (typeof mod.Client === 'function') patched = this._remember(mod.Client, 'client') || patched;
    if (typeof mod.StreamableHTTPServerTransport === 'function') {
      patched = this._remember(mod.StreamableHTTPServerTransport, 'streamable-http') || patched;
    }
    if (typeof mod.SSEServerTransport === 'function') patched = this._remember(mod.SSEServerTransport, 'sse') || patched;
    return patched;
  }

  private _unpatchExports(exports: unknown): void {
    const mod = exports as Record<string, unknown>;
    for (const name of ['Server', 'StreamableHTTPServerTransport', 'SSEServerTransport', 'Client']) {
      const cls = mod[name];
      if (typeof cls === 'function') this._unpatch(cls);
    }
  }

  private _remember(cls: unknown, kind: ClassKind): boolean {
    this._classes ??= new Map();
    this._classes.set(cls as object, kind);
    return this.isEnabled() ? this._patchClass(cls, kind) : false;
  }

  /** The object a patch of `cls` is owned by: the telemetry for servers, this instrumentation for transports. */
  private _owner(cls: unknown): object {
    const kind = this._classes.get(cls as object);
    return kind === 'server' ? this._serverTelemetry() : kind === 'client' ? this._clientSide() : this;
  }

  private _clientSide(): ClientTelemetry {
    this._clientTelemetry ??= new ClientTelemetry(this._sourceObject());
    return this._clientTelemetry;
  }

  private _serverTelemetry(): ServerTelemetry {
    if (this._telemetry === undefined) {
      this._telemetry = new ServerTelemetry(this._sourceObject());
      this._telemetry.outgoing = new ServerRequests(this._clientSide(), () => this._resolved.client);
    }
    return this._telemetry;
  }

  private _patchClass(cls: unknown, kind: ClassKind): boolean {
    switch (kind) {
      case 'server':
        return patchServerClass(cls, this._serverTelemetry(), this._diag);
      case 'streamable-http':
        return patchHttpTransportClass(cls, 'handleRequest', this, () => this._serverTelemetry().needsPerRequestPeer());
      case 'sse':
        return patchHttpTransportClass(cls, 'handlePostMessage', this, () => this._serverTelemetry().needsPerRequestPeer());
      case 'client':
        return this._resolved.client ? patchClientClass(cls, this._clientSide(), this._diag) : false;
    }
  }
}

/** The instrumentation's state as telemetry reads it (see TelemetrySource). */
class Source implements TelemetrySource {
  config!: ResolvedConfig;
  tracer: Tracer = trace.getTracer(PACKAGE_NAME, PACKAGE_VERSION);
  metrics!: McpMetrics;
  /** Kept across meter changes: the per-client counter is cumulative. */
  readonly tally = new ClientOperationTally();
  private events: EventLogger | undefined;

  diag: DiagLogger = globalDiag;

  constructor(
    readonly sync: () => void,
    private readonly logger: () => LogEmitter,
  ) {}

  emitEvent(name: string, attributes: Attributes): void {
    this.safe(() => {
      this.events ??= new EventLogger();
      this.events.emit(name, attributes, this.logger());
    }, `event ${name}`);
  }

  safe<T>(fn: () => T, what: string): T | undefined {
    return callSafely(fn, (err) => this.diag.error(`mcp-otel: ${what} failed; continuing without it`, err));
  }
}
