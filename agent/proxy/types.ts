// The one interface every kube-proxy backend (iptables, nftables) implements, shaped like kube-proxy's pkg/proxy
// types.go: cheap event handlers that only record changes, a `synced` signal per resource so nothing is programmed
// from partial state, `sync()` to ask for a (rate-limited) sync, and `syncLoop()` to run the periodic loop.
import type { EndpointSlice, Service } from '../../api/types.js';

export interface ServiceHandler {
  onServiceAdd(service: Service): void;
  onServiceUpdate(oldService: Service, service: Service): void;
  onServiceDelete(service: Service): void;
  /** Called once, after the initial list of Services has been delivered through onServiceAdd. */
  onServiceSynced(): void;
}

export interface EndpointSliceHandler {
  onEndpointSliceAdd(slice: EndpointSlice): void;
  onEndpointSliceUpdate(oldSlice: EndpointSlice, slice: EndpointSlice): void;
  onEndpointSliceDelete(slice: EndpointSlice): void;
  /** Called once, after the initial list of EndpointSlices has been delivered through onEndpointSliceAdd. */
  onEndpointSlicesSynced(): void;
}

export interface Provider extends ServiceHandler, EndpointSliceHandler {
  /** Asks for the data plane to be brought up to date as soon as the rate limit allows. Never blocks. */
  sync(): void;
  /** Starts the bounded-frequency loop that runs requested syncs and a periodic full resync. */
  syncLoop(): void;
  /** Stops the loop and waits for an in-flight sync. Idempotent. Programmed rules stay in place, as kube-proxy's do. */
  close(): Promise<void>;
}

/** Where a backend reports sync progress; the :10256 health server implements it. */
export interface SyncHealthReporter {
  /** A change was received that has not been programmed yet. */
  queuedUpdate(): void;
  /** The data plane now reflects every change received so far. */
  updated(): void;
}

/** Result of one command; a non-zero exit is a result, not an exception, so callers decide what failure means. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (iptables, iptables-restore, conntrack, sysctl…). Injected so tests capture input or use a netns. */
export type Exec = (file: string, args: string[], opts?: { input?: string }) => Promise<ExecResult>;
