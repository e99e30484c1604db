import type { ConnectionState } from '../connection';
import type { ClientTelemetry, OutgoingChannel, PreparedSend } from './client';

/*
 * The server's own requests to its client while it handles a call (`sampling/createMessage`,
 * `elicitation/create`, `roots/list`, a server-initiated `ping`): CLIENT spans, children of the span of the
 * request being handled (the active context when the SDK sends), with the session's attributes, ended by the
 * client's response, its error, a cancellation or the connection closing. The server's notifications are not
 * traced (progress and log messages would double the spans of a busy server for little).
 */
export class ServerRequests {
  private readonly channels = new WeakMap<ConnectionState, OutgoingChannel>();

  constructor(
    private readonly telemetry: ClientTelemetry,
    private readonly enabled: () => boolean,
  ) {}

  /** A message the server is about to send on `state`'s transport: a request of its own gets a span. */
  sending(state: ConnectionState, message: unknown): PreparedSend | undefined {
    if (message === null || typeof message !== 'object' || !this.enabled()) return undefined;
    const { method, id } = message as { method?: unknown; id?: unknown };
    if (typeof method !== 'string') return undefined;
    if (typeof id !== 'string' && typeof id !== 'number') {
      // The SDK gives up on a request of its own (timeout, abort) with notifications/cancelled.
      if (method === 'notifications/cancelled') {
        const channel = this.channels.get(state);
        if (channel) this.telemetry.senderCancelled(channel, (message as { params?: unknown }).params);
      }
      return undefined;
    }
    const channel = this.channelOf(state);
    // The session's attributes as they are now (client, protocol version, session id).
    channel.spanAttributes = state.spanAttributes;
    channel.metricAttributes = state.metricAttributes;
    return this.telemetry.sending(channel, message);
  }

  sent(state: ConnectionState, message: unknown, result: unknown, threw?: unknown): void {
    const channel = this.channels.get(state);
    if (channel) this.telemetry.sent(channel, message, result, threw);
  }

  responseReceived(state: ConnectionState, response: unknown): void {
    const channel = this.channels.get(state);
    if (channel && channel.pending.size > 0) this.telemetry.responseReceived(channel, response);
  }

  closed(state: ConnectionState): void {
    const channel = this.channels.get(state);
    if (channel) this.telemetry.closed(channel);
  }

  private channelOf(state: ConnectionState): OutgoingChannel {
    let channel = this.channels.get(state);
    if (channel === undefined) {
      channel = this.telemetry.newChannel(state.spanAttributes, state.metricAttributes);
      this.channels.set(state, channel);
    }
    return channel;
  }
}
