// The app's routes, in the URL's hash so that every page can be reloaded and linked: #/overview, #/workloads, #/pods,
// #/services, #/events, #/logs, #/object/GROUP/PLURAL/NAMESPACE/NAME (core is the empty group, _ no namespace).
import { useEffect, useState } from 'react';
import type { ResourceType } from './api';

export type Route =
  | { page: 'overview' | 'workloads' | 'pods' | 'services' | 'events' | 'logs' }
  | { page: 'object'; group: string; plural: string; namespace: string; name: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'object' && parts.length === 5) return { page: 'object', group: parts[1] === 'core' ? '' : parts[1]!, plural: parts[2]!, namespace: parts[3] === '_' ? '' : parts[3]!, name: parts[4]! };
  const page = parts[0];
  if (page === 'workloads' || page === 'pods' || page === 'services' || page === 'events' || page === 'logs') return { page };
  return { page: 'overview' };
}

export function objectHref(t: ResourceType, namespace: string | undefined, name: string): string {
  return `#/object/${t.group || 'core'}/${t.plural}/${namespace ? encodeURIComponent(namespace) : '_'}/${encodeURIComponent(name)}`;
}

export function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return parseRoute(hash);
}
