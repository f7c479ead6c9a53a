import { HttpClient, WebSocketClient } from '@fleet/api'
import { config, wsBaseUrl } from './config.ts'

/**
 * The app's two API clients. Neither connects nor sends anything on module load: the AuthContext pushes
 * each token to both (`setToken`) and clears both on sign-out.
 */
export const httpClient = new HttpClient({ baseUrl: config.apiBase })
export const wsClient = new WebSocketClient({
  baseUrl: wsBaseUrl,
  backoff: { maxMs: config.reconnectMaxMs },
  stream: config.stream,
})
