export * from './types/protocol.ts'
export { TypedEmitter, type Listener } from './client/emitter.ts'
export { parseServerMessage, parseTelemetryEvent, type ParsedServerMessage, type ParsedTelemetryFrame } from './client/parse.ts'
export { toWebSocketUrl, joinUrl } from './client/url.ts'
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './client/backoff.ts'
export { checkFrame, type FrameCheck } from './client/sequence.ts'
export { DeviceTable, decodeChunks, type CompactDecode } from './client/compact.ts'
export { type StreamOptions } from './client/streamOptions.ts'
export { VIEW_LIMITS, isScoped, viewMembers, type ViewSpec } from './client/viewSpec.ts'
export { peekIdentity, type TokenIdentity } from './client/jwt.ts'
export { closeAction, type CloseAction } from './client/closeReasons.ts'
export {
  WebSocketClient,
  type ClientStats,
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
