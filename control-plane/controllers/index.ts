// kube-controller-manager: every controller in one process, sharing one set of informers, each with its own queue and,
// as with --use-service-account-credentials, its own identity (the service account kube-system/<controller>).
// Each controller is a folder: actions.ts decides (a pure compute… of observed objects), controller.ts acts on it.
import type { ApiClient } from '../../api/client.js';
import { EventRecorder } from '../../api/events.js';
import { InformerFactory } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import { runLeaderElected, type ElectedComponent, type LeaderElectionConfig } from '../../api/leaderelection.js';
import type { KeyPair } from '../../api/pki.js';
import type { ControllerManagerConfig } from '../config.js';
import { bootstrapSigner, tokenCleaner } from './bootstrap/controller.js';
import { certificateController } from './certificates/controller.js';
import { ServiceAccountClients } from './clientbuilder.js';
import { clusterRoleAggregationController } from './clusterroleaggregation/controller.js';
import type { Controller, ControllerContext } from './controller.js';
import { cronJobController } from './cronjob/controller.js';
import { daemonSetController } from './daemonset/controller.js';
import { deploymentController } from './deployment/controller.js';
import { disruptionController } from './disruption/controller.js';
import { endpointsController } from './endpoints/controller.js';
import { endpointSliceController } from './endpointslice/controller.js';
import { garbageCollector } from './garbagecollector/controller.js';
import { horizontalPodAutoscalerController } from './podautoscaler/controller.js';
import { jobController } from './job/controller.js';
import { namespaceController } from './namespace/controller.js';
import { nodeIpamController } from './nodeipam/controller.js';
import { nodeLifecycleController } from './nodelifecycle/controller.js';
import { persistentVolumeBinder } from './persistentvolume/controller.js';
import { replicaSetController, replicationController } from './replicaset/controller.js';
import { resourceQuotaController } from './resourcequota/controller.js';
import { rootCACertPublisher } from './rootcacert/controller.js';
import { serviceAccountController } from './serviceaccount/controller.js';
import { statefulSetController } from './statefulset/controller.js';
import { ttlAfterFinishedController } from './ttlafterfinished/controller.js';

const log = logger('controller-manager');

export interface ControllerManagerOptions {
  /** The cluster CA: published as kube-root-ca.crt, and (with its key) the signer of approved CSRs. */
  ca: KeyPair;
  /** --root-ca-file: the CA published as kube-root-ca.crt when it is not the signing CA. */
  rootCAPem?: string;
  /** --leader-elect: act only while holding kube-system/kube-controller-manager (so two can run). */
  leaderElection?: Omit<LeaderElectionConfig, 'name'>;
  /** Called when leadership is lost; the command exits, as kube-controller-manager does. */
  onLeadershipLost?: () => void;
}

/** Each controller, the service account it runs as, and the event source it records as. */
type Start = (ctx: ControllerContext) => Controller;
const CONTROLLERS = (o: ControllerManagerOptions): [account: string, source: string, start: Start][] => [
  ['deployment-controller', 'deployment-controller', deploymentController],
  ['replicaset-controller', 'replicaset-controller', replicaSetController],
  ['replication-controller', 'replication-controller', replicationController],
  ['daemon-set-controller', 'daemonset-controller', daemonSetController],
  ['statefulset-controller', 'statefulset-controller', statefulSetController],
  ['job-controller', 'job-controller', jobController],
  ['ttl-after-finished-controller', 'ttlafterfinished-controller', ttlAfterFinishedController],
  ['cronjob-controller', 'cronjob-controller', cronJobController],
  ['resourcequota-controller', 'resourcequota-controller', resourceQuotaController],
  ['endpoint-controller', 'endpoint-controller', endpointsController],
  ['endpointslice-controller', 'endpoint-slice-controller', endpointSliceController],
  ['node-controller', 'node-controller', nodeIpamController],
  ['node-controller', 'node-controller', nodeLifecycleController],
  ['generic-garbage-collector', 'garbage-collector-controller', garbageCollector],
  ['disruption-controller', 'controllermanager', disruptionController],
  ['namespace-controller', 'namespace-controller', namespaceController],
  ['service-account-controller', 'service-account-controller', serviceAccountController],
  ['root-ca-cert-publisher', 'root-ca-cert-publisher', (ctx) => rootCACertPublisher({ ...ctx, caPem: o.rootCAPem ?? o.ca.certPem })],
  ['certificate-controller', 'certificate-controller', (ctx) => certificateController({ ...ctx, ca: o.ca })],
  ['bootstrap-signer', 'bootstrap-signer', bootstrapSigner],
  ['token-cleaner', 'token-cleaner', tokenCleaner],
  ['clusterrole-aggregation-controller', 'clusterrole-aggregation-controller', clusterRoleAggregationController],
  ['persistent-volume-binder', 'persistentvolume-controller', persistentVolumeBinder],
  ['horizontal-pod-autoscaler', 'horizontal-pod-autoscaler', (ctx) => horizontalPodAutoscalerController({ ...ctx, syncPeriodSeconds: ctx.config.horizontalPodAutoscalerSyncPeriodSeconds })],
];

export async function startControllerManager(client: ApiClient, config: ControllerManagerConfig, o: ControllerManagerOptions): Promise<ElectedComponent> {
  const election = o.leaderElection && { ...o.leaderElection, name: 'kube-controller-manager' };
  return runLeaderElected(client, election, () => startControllers(client, config, o), o.onLeadershipLost ?? (() => undefined));
}

async function startControllers(client: ApiClient, config: ControllerManagerConfig, o: ControllerManagerOptions): Promise<{ close(): Promise<void> }> {
  const informers = new InformerFactory(client);
  const clients = new ServiceAccountClients(client);
  const controllers: Controller[] = [];
  try {
    for (const [account, source, start] of CONTROLLERS(o)) {
      const own = await clients.clientFor(account);
      controllers.push(start({ client: own, informers, recorder: new EventRecorder(own, source), config }));
    }
  } catch (e) {
    clients.close();
    throw e;
  }
  informers.start();
  await informers.waitForSync();
  const running = controllers.map((c) => c.run().catch((e) => log.error({ controller: c.name, err: (e as Error).message }, 'controller stopped')));
  log.info({ controllers: controllers.map((c) => c.name) }, 'controllers started');
  return {
    async close() {
      for (const c of controllers) c.close();
      await Promise.all(running);
      await informers.close();
      clients.close();
    },
  };
}
