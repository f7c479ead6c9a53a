// The benchmark baseline: the seed's example Node backend ("wss.on('connection') → verifyToken → tenant →
// send only that tenant's telemetry"), made runnable and speaking the protocol subset of docs/protocol.md
// that the load generator exercises. Written the way a team following the seed would write it: `ws`,
// Clerk's `verifyToken` (networkless, with the instance's PEM public key), an in-memory store.
//
//   node server.js --listen 127.0.0.1:0 --jwt-key public.pem [--port-file FILE]
//
// Routes: GET /ws?token=<JWT> (WebSocket), POST /api/v1/devices (admin token), POST /api/v1/telemetry
// (device key), GET /healthz. Not durable: points live in memory only.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import { verifyToken } from '@clerk/backend';
import { WebSocketServer, WebSocket } from 'ws';

import { InvalidPoint, parsePoints } from './telemetry.js';

const { values: args } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:3000' },
    'jwt-key': { type: 'string' },
    'port-file': { type: 'string' },
  },
});
if (!args['jwt-key']) {
  console.error('usage: node server.js --listen HOST:PORT --jwt-key PUBLIC_KEY.pem [--port-file FILE]');
  process.exit(2);
}
const jwtKey = readFileSync(args['jwt-key'], 'utf8');
const [host, port] = splitHostPort(args.listen);

const MAX_BODY_BYTES = 1 << 20;
const MAX_POINTS = 1000;
const HISTORY_PER_TENANT = 100_000; // the in-memory store keeps the newest points of each tenant

// ---- in-memory store ---------------------------------------------------------------------------------

/** @type {Map<string, {seq: number, devices: Map<string, object>, history: object[]}>} */
const tenants = new Map();
/** device key SHA-256 (hex) → device */
const devicesByKeyHash = new Map();

function tenantState(tenantId) {
  let t = tenants.get(tenantId);
  if (!t) {
    t = { seq: 0, devices: new Map(), history: [] };
    tenants.set(tenantId, t);
  }
  return t;
}

function sha256Hex(text) {
  return createHash('sha256').update(text).digest('hex');
}

function createDevice(tenantId, name) {
  const device = {
    id: 'dev_' + randomBytes(16).toString('hex'),
    tenant: tenantId,
    name,
    created_ms: Date.now(),
    last: null,
  };
  const key = 'fk_' + randomBytes(32).toString('base64url');
  tenantState(tenantId).devices.set(device.id, device);
  devicesByKeyHash.set(sha256Hex(key), device);
  return { device, key };
}

function storePoints(device, points) {
  const t = tenantState(device.tenant);
  const receivedMs = Date.now();
  const events = points.map((p) => ({ seq: ++t.seq, device: device.id, ...p }));
  for (const e of events) t.history.push({ ...e, received_ms: receivedMs });
  if (t.history.length > 2 * HISTORY_PER_TENANT) t.history = t.history.slice(-HISTORY_PER_TENANT);
  device.last = events[events.length - 1];
  return events;
}

// ---- authentication ----------------------------------------------------------------------------------

// Verifies a Clerk session token and extracts who is calling. Clerk session tokens v2 carry the
// organization in `o: {id, rol}`, v1 in `org_id` / `org_role`.
async function authenticate(token) {
  const payload = await verifyToken(token, { jwtKey });
  const tenant = payload.o?.id ?? payload.org_id;
  const role = payload.o?.rol ?? payload.org_role ?? '';
  return { tenant, user: payload.sub, role, exp: payload.exp };
}

function bearerToken(req) {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice('Bearer '.length) : null;
}

// ---- live sessions -----------------------------------------------------------------------------------

/** tenant id → set of authenticated sockets */
const viewersByTenant = new Map();

function publish(tenantId, events) {
  const viewers = viewersByTenant.get(tenantId);
  if (!viewers || viewers.size === 0) return;
  const frame = JSON.stringify({ type: 'telemetry', events });
  for (const ws of viewers) {
    if (ws.readyState === WebSocket.OPEN) ws.send(frame);
  }
}

const server = createServer(handleHttp);
const wss = new WebSocketServer({ server, path: '/ws' });

wss.on('connection', async (ws, req) => {
  ws.on('error', (err) => console.warn(`[ws] ${err.message}`)); // protocol errors from the client

  const url = new URL(req.url, 'http://localhost');
  const token = url.searchParams.get('token') ?? bearerToken(req);
  if (!token) {
    ws.close(1008, 'Missing token');
    return;
  }

  let who;
  try {
    who = await authenticate(token);
  } catch {
    ws.close(1008, 'Invalid token');
    return;
  }
  if (!who.tenant) {
    ws.close(1008, 'No organization');
    return;
  }
  if (ws.readyState !== WebSocket.OPEN) return; // the client left while we were verifying

  const t = tenantState(who.tenant);
  ws.send(JSON.stringify({
    type: 'hello', protocol: 1, tenant: who.tenant, user: who.user, role: who.role,
    token_exp: who.exp, server: 'baseline-node/0.1.0', seq: t.seq,
  }));
  ws.send(JSON.stringify({
    type: 'snapshot', seq: t.seq,
    devices: [...t.devices.values()].map((d) => ({ id: d.id, name: d.name, last: d.last })),
  }));

  let viewers = viewersByTenant.get(who.tenant);
  if (!viewers) {
    viewers = new Set();
    viewersByTenant.set(who.tenant, viewers);
  }
  viewers.add(ws);

  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      ws.close(1003, 'Binary messages are not supported');
      return;
    }
    try {
      if (JSON.parse(data.toString()).type === 'ping') ws.send('{"type":"pong"}');
    } catch {
      // Other messages are ignored in protocol 1.
    }
  });
  ws.on('close', () => viewers.delete(ws));
});

// ---- HTTP API ----------------------------------------------------------------------------------------

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res, status, code, message, extra = {}) {
  sendJson(res, status, { error: { code, message, ...extra } });
}

function readBody(req, res, onBody) {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY_BYTES) {
      sendError(res, 413, 'payload_too_large', 'body over 1 MiB');
      return;
    }
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      sendError(res, 400, 'invalid_json', 'body is not JSON');
      return;
    }
    onBody(body);
  });
}

function handleIngest(req, res) {
  const key = bearerToken(req);
  const device = key && devicesByKeyHash.get(sha256Hex(key));
  if (!device) {
    req.resume();
    sendError(res, 401, 'unauthorized', 'missing or unknown device key');
    return;
  }
  readBody(req, res, (body) => {
    const batch = Array.isArray(body) ? body : [body];
    if (batch.length === 0 || batch.length > MAX_POINTS) {
      sendError(res, batch.length ? 413 : 400, batch.length ? 'payload_too_large' : 'bad_request',
        'a batch holds 1 to 1000 points');
      return;
    }
    let points;
    try {
      points = parsePoints(batch, Date.now());
    } catch (err) {
      if (!(err instanceof InvalidPoint)) throw err;
      sendError(res, 400, 'invalid_point', err.message, { index: err.index, field: err.field });
      return;
    }
    const events = storePoints(device, points);
    sendJson(res, 202, { accepted: events.length, last_seq: events[events.length - 1].seq });
    publish(device.tenant, events);
  });
}

async function handleCreateDevice(req, res) {
  const token = bearerToken(req);
  if (!token) {
    req.resume();
    sendError(res, 401, 'unauthorized', 'missing token');
    return;
  }
  let who;
  try {
    who = await authenticate(token);
  } catch {
    req.resume();
    sendError(res, 401, 'unauthorized', 'invalid token');
    return;
  }
  if (!who.tenant || (who.role !== 'admin' && who.role !== 'org:admin')) {
    req.resume();
    sendError(res, 403, 'forbidden', 'organization admin role required');
    return;
  }
  readBody(req, res, (body) => {
    const name = body?.name;
    if (typeof name !== 'string' || name.length < 1 || Buffer.byteLength(name) > 100) {
      sendError(res, 400, 'invalid_field', 'name must be 1 to 100 bytes', { field: 'name' });
      return;
    }
    const { device, key } = createDevice(who.tenant, name);
    sendJson(res, 201, { device: { id: device.id, name: device.name, created_ms: device.created_ms, last: null }, key });
  });
}

function handleHttp(req, res) {
  const { pathname } = new URL(req.url, 'http://localhost');
  if (req.method === 'POST' && pathname === '/api/v1/telemetry') return handleIngest(req, res);
  if (req.method === 'POST' && pathname === '/api/v1/devices') return handleCreateDevice(req, res);
  if (req.method === 'GET' && pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
  req.resume();
  sendError(res, 404, 'not_found', 'no such route');
}

// ---- lifecycle ---------------------------------------------------------------------------------------

function splitHostPort(text) {
  const i = text.lastIndexOf(':');
  return [text.slice(0, i), Number(text.slice(i + 1))];
}

server.listen({ host, port, backlog: 4096 }, () => {
  const actual = server.address().port;
  if (args['port-file']) writeFileSync(args['port-file'], `${actual}\n`);
  console.log(`baseline listening on ${host}:${actual}`);
});

function shutdown() {
  for (const ws of wss.clients) ws.close(1001, 'Server shutting down');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
