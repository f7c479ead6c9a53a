import type {
  ApiErrorCode,
  CreateDeviceResponse,
  DevTokenRequest,
  DevTokenResponse,
  Device,
  DevicesResponse,
  HistoryPage,
  HistoryQuery,
  Me,
  RevokeDeviceResponse,
} from '../types/protocol.ts'
import { joinUrl } from './url.ts'

/** Error codes of the API plus the client-side ones. */
export type HttpErrorCode = ApiErrorCode | 'network' | 'aborted' | 'bad_response' | 'http_error'

/** An API error: the parsed `{"error":{…}}` body, or a client-side failure (network, bad JSON). */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  /** HTTP status (0 for network errors). */
  readonly status: number
  readonly code: HttpErrorCode | string
  readonly index?: number
  readonly field?: string
  /** Seconds from the `Retry-After` header (503), when present. */
  readonly retryAfterS?: number

  constructor(init: {
    status: number
    code: HttpErrorCode | string
    message: string
    index?: number
    field?: string
    retryAfterS?: number
    cause?: unknown
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause })
    this.status = init.status
    this.code = init.code
    if (init.index !== undefined) this.index = init.index
    if (init.field !== undefined) this.field = init.field
    if (init.retryAfterS !== undefined) this.retryAfterS = init.retryAfterS
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

export interface HttpClientOptions {
  /** Base URL; '' (default) means same-origin relative URLs. */
  baseUrl?: string
  /** fetch implementation (default `globalThis.fetch`). */
  fetch?: FetchLike
}

const STATUS_CODES: Record<number, ApiErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  500: 'internal',
  503: 'unavailable',
}

function toTimeParam(v: number | string | Date): string {
  if (v instanceof Date) return String(v.getTime())
  return String(v)
}

interface RequestOptions {
  method?: string
  body?: unknown
  query?: Record<string, string | undefined>
  /** Send the bearer token (default true). */
  auth?: boolean
  signal?: AbortSignal
}

/**
 * Fleet Live HTTP client (fetch-based). Sends the same user token as the WebSocket client, as
 * `Authorization: Bearer <token>`; errors are thrown as `ApiError` parsed from the JSON error body.
 */
export class HttpClient {
  private authToken: string | null = null
  private readonly baseUrl: string
  private readonly fetchImpl: FetchLike | undefined

  constructor(options: HttpClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? ''
    this.fetchImpl = options.fetch
  }

  setToken(token: string | null): void {
    this.authToken = token ? token : null
  }

  getToken(): string | null {
    return this.authToken
  }

  /** `GET /api/v1/me` */
  me(signal?: AbortSignal): Promise<Me> {
    return this.request<Me>('/api/v1/me', { signal })
  }

  /** `GET /api/v1/devices` → the tenant's non-revoked devices. */
  async devices(signal?: AbortSignal): Promise<Device[]> {
    const r = await this.request<DevicesResponse>('/api/v1/devices', { signal })
    return r.devices
  }

  /** `POST /api/v1/devices` (admin) → the device and its key (shown once). */
  createDevice(name: string, signal?: AbortSignal): Promise<CreateDeviceResponse> {
    return this.request<CreateDeviceResponse>('/api/v1/devices', { method: 'POST', body: { name }, signal })
  }

  /** `DELETE /api/v1/devices/{id}` (admin) → the revoked device. */
  async revokeDevice(id: string, signal?: AbortSignal): Promise<Device> {
    const r = await this.request<RevokeDeviceResponse>(`/api/v1/devices/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      signal,
    })
    return r.device
  }

  /** `GET /api/v1/devices/{id}/telemetry` → one page of points (ascending `seq`) and the `next` cursor. */
  history(id: string, q: HistoryQuery = {}, signal?: AbortSignal): Promise<HistoryPage> {
    return this.request<HistoryPage>(`/api/v1/devices/${encodeURIComponent(id)}/telemetry`, {
      signal,
      query: {
        from: q.from === undefined ? undefined : toTimeParam(q.from),
        to: q.to === undefined ? undefined : toTimeParam(q.to),
        limit: q.limit === undefined ? undefined : String(q.limit),
        after: q.after,
      },
    })
  }

  /** `POST /dev/token` (only when fleetd runs with `--dev`); no Authorization header is sent. */
  devToken(req: DevTokenRequest, signal?: AbortSignal): Promise<DevTokenResponse> {
    return this.request<DevTokenResponse>('/dev/token', { method: 'POST', body: req, auth: false, signal })
  }

  private async request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    let url = joinUrl(this.baseUrl, path)
    if (opts.query) {
      const qs = new URLSearchParams()
      for (const [k, v] of Object.entries(opts.query)) if (v !== undefined) qs.set(k, v)
      const s = qs.toString()
      if (s) url += `?${s}`
    }
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
    if (opts.auth !== false && this.authToken) headers.Authorization = `Bearer ${this.authToken}`

    const f = this.fetchImpl ?? globalThis.fetch.bind(globalThis)
    let res: Response
    try {
      res = await f(url, {
        method: opts.method ?? 'GET',
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal,
      })
    } catch (err) {
      const aborted = (err as { name?: string } | null)?.name === 'AbortError'
      throw new ApiError({
        status: 0,
        code: aborted ? 'aborted' : 'network',
        message: aborted ? 'Request aborted' : `Network error: ${String((err as Error)?.message ?? err)}`,
        cause: err,
      })
    }

    const text = await res.text()
    let body: unknown = undefined
    if (text) {
      try {
        body = JSON.parse(text)
      } catch {
        body = undefined
      }
    }
    if (!res.ok) throw errorFromResponse(res, body, text)
    if (body === undefined) {
      throw new ApiError({ status: res.status, code: 'bad_response', message: `Expected a JSON body from ${path}` })
    }
    return body as T
  }
}

function errorFromResponse(res: Response, body: unknown, text: string): ApiError {
  const ra = res.headers.get('Retry-After')
  const retryAfterS = ra !== null && /^\d+$/.test(ra.trim()) ? Number(ra.trim()) : undefined
  const e = (body as { error?: unknown } | undefined)?.error
  if (e && typeof e === 'object') {
    const o = e as Record<string, unknown>
    return new ApiError({
      status: res.status,
      code: typeof o.code === 'string' ? o.code : (STATUS_CODES[res.status] ?? 'http_error'),
      message: typeof o.message === 'string' ? o.message : `HTTP ${res.status}`,
      index: typeof o.index === 'number' ? o.index : undefined,
      field: typeof o.field === 'string' ? o.field : undefined,
      retryAfterS,
    })
  }
  return new ApiError({
    status: res.status,
    code: STATUS_CODES[res.status] ?? 'http_error',
    message: text ? `HTTP ${res.status}: ${text.slice(0, 200)}` : `HTTP ${res.status} ${res.statusText}`.trim(),
    retryAfterS,
  })
}
