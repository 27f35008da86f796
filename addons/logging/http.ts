// The store's HTTP API: `POST /ingest` (newline-delimited JSON records from the collectors), `GET /search` (JSON
// lines: time, namespace, pod, container, node, labels, stream, line), `/healthz`. Errors are Kubernetes Status
// objects, so that `kubectl get --raw …/services/cluster-logs:80/proxy/search?…` prints the reason of a 400.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { badRequest, StatusError } from '../../api/errors.js';
import { logger } from '../../api/log.js';
import type { LogRecord } from './record.js';
import { parseSearch, type LogStore } from './store.js';

const log = logger('cluster-logs');

/** A batch larger than this is refused (the collectors send at most a few MB). */
const MAX_BODY = 64 * 1024 * 1024;

const str = (v: unknown) => typeof v === 'string';

/** One line of an ingest body as a record; a 400 saying what is wrong with it. */
export function parseRecord(text: string, n: number): LogRecord {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(text);
  } catch (e) {
    throw badRequest(`line ${n}: not JSON: ${(e as Error).message}`);
  }
  for (const k of ['time', 'namespace', 'pod', 'uid', 'container', 'node', 'line']) if (!str(r?.[k])) throw badRequest(`line ${n}: ${k}: must be a string`);
  if (r.stream !== 'stdout' && r.stream !== 'stderr') throw badRequest(`line ${n}: stream: must be stdout or stderr`);
  const labels = r.labels ?? {};
  if (typeof labels !== 'object' || Array.isArray(labels) || !Object.values(labels as object).every(str)) throw badRequest(`line ${n}: labels: must map strings to strings`);
  if (r.truncated !== undefined && !(Number.isSafeInteger(r.truncated) && (r.truncated as number) >= 0)) throw badRequest(`line ${n}: truncated: must be a count of bytes`);
  return r as unknown as LogRecord;
}

function sendError(res: ServerResponse, e: unknown): void {
  const err = e instanceof StatusError ? e : new StatusError(500, 'InternalError', (e as Error).message);
  if (err.code >= 500) log.error({ err: err.message }, 'request failed');
  res.writeHead(err.code, { 'content-type': 'application/json' }).end(JSON.stringify(err.toStatus()));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new StatusError(413, 'RequestEntityTooLarge', `request body larger than ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

export function createStoreServer(store: LogStore, clock: () => number = Date.now): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://store');
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /healthz' || route === 'GET /readyz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    if (route === 'GET /search') {
      try {
        const lines = store.search(parseSearch(url.searchParams, clock()));
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.end(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
      } catch (e) {
        sendError(res, e);
      }
      return;
    }
    if (route === 'POST /ingest') {
      readBody(req)
        .then((body) => {
          const records = body.toString('utf8').split('\n').map((l, i) => [l, i + 1] as const).filter(([l]) => l.trim()).map(([l, n]) => parseRecord(l, n));
          store.add(records);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ stored: records.length }));
        })
        .catch((e) => sendError(res, e));
      return;
    }
    if (url.pathname === '/search' || url.pathname === '/ingest') return sendError(res, new StatusError(405, 'MethodNotAllowed', `${req.method} is not allowed on ${url.pathname}`));
    sendError(res, new StatusError(404, 'NotFound', `${url.pathname}: not found (try /search?q=TEXT)`));
  });
}
