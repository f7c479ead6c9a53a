import { describe, expect, it, vi } from 'vitest'
import { ApiError, HttpClient, type FetchLike } from '../src/index.ts'

interface Call {
  url: string
  init: RequestInit
}

function fakeFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  const calls: Call[] = []
  const fetch: FetchLike = async (url, init = {}) => {
    calls.push({ url, init })
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    return new Response(status === 204 ? null : text, { status, headers: { 'Content-Type': 'application/json', ...headers } })
  }
  return { fetch, calls }
}

function header(c: Call, name: string): string | undefined {
  return (c.init.headers as Record<string, string>)[name]
}

describe('HttpClient', () => {
  it('sends the token as Authorization: Bearer and follows setToken', async () => {
    const { fetch, calls } = fakeFetch(200, { tenant: 'org_a', user: 'u', role: 'admin', token_exp: 1 })
    const http = new HttpClient({ fetch })
    await http.me()
    expect(header(calls[0]!, 'Authorization')).toBeUndefined()
    http.setToken('tok')
    const me = await http.me()
    expect(me.tenant).toBe('org_a')
    expect(calls[1]!.url).toBe('/api/v1/me')
    expect(header(calls[1]!, 'Authorization')).toBe('Bearer tok')
    http.setToken(null)
    await http.me()
    expect(header(calls[2]!, 'Authorization')).toBeUndefined()
  })

  it('devices, createDevice, revokeDevice', async () => {
    const dev = { id: 'dev_1', name: 'Truck 7', created_ms: 1, last: null }
    const f1 = fakeFetch(200, { devices: [dev] })
    const http = new HttpClient({ fetch: f1.fetch, baseUrl: 'http://h:3000/' })
    http.setToken('t')
    expect(await http.devices()).toEqual([dev])
    expect(f1.calls[0]!.url).toBe('http://h:3000/api/v1/devices')

    const f2 = fakeFetch(201, { device: dev, key: 'fk_x' })
    const http2 = new HttpClient({ fetch: f2.fetch })
    http2.setToken('t')
    expect(await http2.createDevice('Truck 7')).toEqual({ device: dev, key: 'fk_x' })
    expect(f2.calls[0]!.init.method).toBe('POST')
    expect(f2.calls[0]!.init.body).toBe('{"name":"Truck 7"}')
    expect(header(f2.calls[0]!, 'Content-Type')).toBe('application/json')

    const f3 = fakeFetch(200, { device: { ...dev, revoked_ms: 5 } })
    const http3 = new HttpClient({ fetch: f3.fetch })
    expect((await http3.revokeDevice('dev/1')).revoked_ms).toBe(5)
    expect(f3.calls[0]!.url).toBe('/api/v1/devices/dev%2F1')
    expect(f3.calls[0]!.init.method).toBe('DELETE')
  })

  it('history builds the query (Date → epoch ms, strings kept, cursor as after)', async () => {
    const { fetch, calls } = fakeFetch(200, { points: [], next: '43' })
    const http = new HttpClient({ fetch })
    const page = await http.history('dev_1', { from: new Date(1000), to: '2026-11-24T12:00:00Z', limit: 500, after: '42' })
    expect(page.next).toBe('43')
    const u = new URL(calls[0]!.url, 'http://x')
    expect(u.pathname).toBe('/api/v1/devices/dev_1/telemetry')
    expect(Object.fromEntries(u.searchParams)).toEqual({ from: '1000', to: '2026-11-24T12:00:00Z', limit: '500', after: '42' })
    await http.history('dev_1')
    expect(calls[1]!.url).toBe('/api/v1/devices/dev_1/telemetry')
  })

  it('devToken posts without Authorization', async () => {
    const { fetch, calls } = fakeFetch(200, { token: 'eyJ', expires_at_s: 99 })
    const http = new HttpClient({ fetch })
    http.setToken('old')
    const r = await http.devToken({ user: 'user_alice', org: 'org_acme', role: 'admin', ttl_s: 60 })
    expect(r).toEqual({ token: 'eyJ', expires_at_s: 99 })
    expect(calls[0]!.url).toBe('/dev/token')
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({ user: 'user_alice', org: 'org_acme', role: 'admin', ttl_s: 60 })
    expect(header(calls[0]!, 'Authorization')).toBeUndefined()
  })

  it('parses the JSON error body into ApiError', async () => {
    const { fetch } = fakeFetch(400, { error: { code: 'invalid_point', message: 'lat must be in [-90, 90]', index: 3, field: 'lat' } })
    const http = new HttpClient({ fetch })
    const err = await http.devices().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 400, code: 'invalid_point', message: 'lat must be in [-90, 90]', index: 3, field: 'lat' })
  })

  it('503 carries Retry-After; non-JSON error bodies map the status', async () => {
    const a = fakeFetch(503, { error: { code: 'unavailable', message: 'queue full' } }, { 'Retry-After': '2' })
    expect(await new HttpClient({ fetch: a.fetch }).me().catch((e: unknown) => e)).toMatchObject({ status: 503, code: 'unavailable', retryAfterS: 2 })
    const b = fakeFetch(404, '<html>nope</html>')
    expect(await new HttpClient({ fetch: b.fetch }).me().catch((e: unknown) => e)).toMatchObject({ status: 404, code: 'not_found' })
    const c = fakeFetch(418, '')
    expect(await new HttpClient({ fetch: c.fetch }).me().catch((e: unknown) => e)).toMatchObject({ status: 418, code: 'http_error' })
  })

  it('network failures and bad bodies become ApiError too', async () => {
    const http = new HttpClient({ fetch: vi.fn().mockRejectedValue(new TypeError('Failed to fetch')) })
    expect(await http.me().catch((e: unknown) => e)).toMatchObject({ status: 0, code: 'network' })
    const b = fakeFetch(200, 'not json')
    expect(await new HttpClient({ fetch: b.fetch }).me().catch((e: unknown) => e)).toMatchObject({ status: 200, code: 'bad_response' })
  })
})
