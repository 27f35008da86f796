// Live lists (kube: client-go's ListWatch / reflector): list, then watch from the list's resourceVersion over a
// streamed fetch of newline-delimited JSON events; a 410 Gone (or an ERROR event) or a closed stream lists again,
// after a back-off that grows from 1 s to 30 s while failures repeat. No polling.
import { useEffect, useState } from 'react';
import { ApiError, getJSON, lines, request, resourcePath, type KubeList, type KubeObject, type ResourceType } from './api';

export interface WatchedList<T> {
  items: T[];
  /** The last failure, until a list succeeds again. */
  error?: ApiError;
  loaded: boolean;
}

/** A watch that ends sooner than this is taken as a failure to back off from. */
const MIN_WATCH_MS = 1000;

const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export function useWatchList<T extends KubeObject>(t: ResourceType, namespace: string, o: { fieldSelector?: string; enabled?: boolean } = {}): WatchedList<T> {
  const [state, setState] = useState<WatchedList<T>>({ items: [], loaded: false });
  const enabled = o.enabled ?? true;
  useEffect(() => {
    if (!enabled) return;
    const abort = new AbortController();
    const { signal } = abort;
    setState({ items: [], loaded: false });
    const objects = new Map<string, T>();
    const publish = () => setState({ items: [...objects.values()], loaded: true });
    const query = (extra: Record<string, string>) => {
      const q = new URLSearchParams(extra);
      if (o.fieldSelector) q.set('fieldSelector', o.fieldSelector);
      return `${resourcePath(t, namespace)}?${q}`;
    };
    const run = async () => {
      let backoff = 1000;
      while (!signal.aborted) {
        try {
          const list = await getJSON<KubeList<T>>(query({}), { signal });
          objects.clear();
          for (const item of list.items) objects.set(key(item), item);
          publish();
          let rv = list.metadata.resourceVersion ?? '';
          backoff = 1000;
          const watchedAt = Date.now();
          const res = await request(query({ watch: '1', resourceVersion: rv, allowWatchBookmarks: 'true' }), { signal });
          for await (const line of lines(res, signal)) {
            if (!line.trim()) continue;
            const ev = JSON.parse(line) as { type: string; object: T & { code?: number; message?: string; reason?: string } };
            if (ev.type === 'ERROR') throw new ApiError(ev.object.code ?? 500, ev.object.reason ?? '', ev.object.message ?? 'watch error');
            rv = ev.object.metadata?.resourceVersion ?? rv;
            if (ev.type === 'BOOKMARK') continue;
            if (ev.type === 'DELETED') objects.delete(key(ev.object));
            else objects.set(key(ev.object), ev.object);
            publish();
          }
          // The stream closed (the API server's watch timeout, a restart): list again — after a pause if it closed
          // at once, so that a server ending every watch straight away is not asked again in a tight loop.
          if (Date.now() - watchedAt < MIN_WATCH_MS) await new Promise((r) => setTimeout(r, backoff));
        } catch (e) {
          if (signal.aborted) return;
          const err = e instanceof ApiError ? e : new ApiError(0, 'Error', (e as Error).message);
          // 410 Gone: the resourceVersion is too old; a fresh list is the cure, at once.
          if (err.code === 410) continue;
          setState((s) => ({ ...s, error: err, loaded: true }));
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, 30_000);
        }
      }
    };
    void run();
    return () => abort.abort();
  }, [t, namespace, o.fieldSelector, enabled]);
  return state;
}

/** One object, live: a list and watch narrowed to its name. */
export function useWatchObject<T extends KubeObject>(t: ResourceType, namespace: string, name: string): { object?: T; error?: ApiError; loaded: boolean } {
  const w = useWatchList<T>(t, namespace, { fieldSelector: `metadata.name=${name}` });
  return { object: w.items[0], error: w.error, loaded: w.loaded };
}
