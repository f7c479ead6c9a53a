export * from './types/protocol.ts'
export { TypedEmitter, type Listener } from './client/emitter.ts'
export { parseServerMessage, parseTelemetryEvent } from './client/parse.ts'
export { toWebSocketUrl, joinUrl } from './client/url.ts'
export {
  WebSocketClient,
  backoffDelay,
  type BackoffOptions,
  type CloseInfo,
  type ConnectionState,
  type ConnectionStatus,
  type Logger,
  type Timers,
  type WebSocketClientEvents,
  type WebSocketClientOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from './client/websocket.ts'
export { ApiError, HttpClient, isApiError, type FetchLike, type HttpClientOptions, type HttpErrorCode } from './client/http.ts'
