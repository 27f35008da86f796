// watch (kube: k8s.io/apiserver/pkg/endpoints/handlers/watch.go): the events of a collection, one JSON document per
// line, until the client goes or the timeout (timeoutSeconds, 30 minutes by default) ends the stream. A client that
// stops reading is dropped once its unsent events past the initial ones pass a bound (kube's cacher drops watchers
// whose buffer is full), so a stalled watcher costs the server a few megabytes at most; clients watch again from their
// last resourceVersion.
import { boolParam, encodeJSON, intParam, listOptions, startStream } from '../http.js';
import type { WatchEventOut } from '../registry/store.js';
import { logger } from '../../../api/log.js';
import { watchEventEncoder } from './response.js';
import type { RequestScope } from './scope.js';

const log = logger('apiserver.watch');

/** Bytes of events a watcher may leave unread before it is dropped. */
export const WATCH_BUFFER_LIMIT = 4 * 1024 * 1024;
/** Bytes of events held back to leave together before they are written anyway. */
const FLUSH_BYTES = 64 * 1024;

export async function watch(s: RequestScope): Promise<void> {
  const { req, res, query } = s;
  // Capped at a day: setTimeout overflows (and fires at once) past 2^31 ms.
  const timeout = Math.min(intParam(query, 'timeoutSeconds') ?? 1800, 86_400);
  const encode = watchEventEncoder(s);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    handle?.close();
    clearTimeout(timer);
    flush();
    res.end();
  };
  // Events that come together (a commit's) leave in one write, as kube's watch flushes only when no more events
  // wait: one encrypted record and one system call for all of them. A long run (a list's initial events) leaves as
  // it grows.
  let corked = false;
  const flush = () => {
    if (!corked) return;
    corked = false;
    res.uncork();
  };
  const send = (e: WatchEventOut) => {
    if (ended) return;
    if (!res.headersSent) startStream(res);
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(flush);
    }
    // The watch cache encodes an event once for all who want the object as it is.
    res.write(e.wire && !s.want.table && !s.want.partial ? e.wire() : encodeJSON(encode(e)));
    if (res.writableLength > FLUSH_BYTES) flush();
    if (res.writableLength > unsentLimit) {
      log.warn({ resource: s.def.plural, namespace: s.namespace, user: s.user?.name, unsent: res.writableLength }, 'dropping a watcher that does not read');
      end();
      res.destroy();
    }
  };
  // The initial events (a watch from no resourceVersion, sendInitialEvents) are sent whole, however many (from the
  // watch cache they are its encodings, held by reference): a client is not dropped for the size of what it asked
  // for. The bound counts what comes after them.
  let unsentLimit = Infinity;
  let handle: { close(): void } | undefined;
  const timer = setTimeout(end, Math.max(1, timeout) * 1000);
  req.on('close', end);
  res.on('error', end);
  handle = await s.reads.watch(s.def, s.namespace, { ...listOptions(query), allowWatchBookmarks: boolParam(query, 'allowWatchBookmarks'), sendInitialEvents: boolParam(query, 'sendInitialEvents') }, send, end);
  unsentLimit = WATCH_BUFFER_LIMIT + res.writableLength;
  if (ended) handle.close();
  if (!res.headersSent && !ended) {
    startStream(res);
    res.flushHeaders();
  }
}
