// kube-controller-manager: every controller in one process, sharing one set of informers, each with its own queue.
// Each controller is a folder: actions.ts decides (a pure compute… of observed objects), controller.ts acts on it.
import type { ApiClient } from '../../api/client.js';
import { EventRecorder } from '../../api/events.js';
import { InformerFactory } from '../../api/informer.js';
import { logger } from '../../api/log.js';
import type { ServerConfig } from '../config.js';
import type { Controller, ControllerContext } from './controller.js';
import { cronJobController } from './cronjob/controller.js';
import { daemonSetController } from './daemonset/controller.js';
import { deploymentController } from './deployment/controller.js';
import { endpointsController } from './endpoints/controller.js';
import { endpointSliceController } from './endpointslice/controller.js';
import { garbageCollector } from './garbagecollector/controller.js';
import { jobController } from './job/controller.js';
import { namespaceController } from './namespace/controller.js';
import { nodeIpamController } from './nodeipam/controller.js';
import { nodeLifecycleController } from './nodelifecycle/controller.js';
import { replicaSetController } from './replicaset/controller.js';
import { resourceQuotaController } from './resourcequota/controller.js';
import { statefulSetController } from './statefulset/controller.js';

const log = logger('controller-manager');

export async function startControllers(client: ApiClient, config: ServerConfig): Promise<{ close(): Promise<void> }> {
  const informers = new InformerFactory(client);
  const ctx: ControllerContext = { client, informers, recorder: new EventRecorder(client, 'kube-controller-manager'), config };
  const controllers: Controller[] = [
    deploymentController({ ...ctx, recorder: new EventRecorder(client, 'deployment-controller') }),
    replicaSetController({ ...ctx, recorder: new EventRecorder(client, 'replicaset-controller') }),
    daemonSetController({ ...ctx, recorder: new EventRecorder(client, 'daemonset-controller') }),
    statefulSetController({ ...ctx, recorder: new EventRecorder(client, 'statefulset-controller') }),
    jobController({ ...ctx, recorder: new EventRecorder(client, 'job-controller') }),
    cronJobController({ ...ctx, recorder: new EventRecorder(client, 'cronjob-controller') }),
    resourceQuotaController(ctx),
    endpointsController(ctx),
    endpointSliceController(ctx),
    nodeIpamController({ ...ctx, recorder: new EventRecorder(client, 'node-controller') }),
    nodeLifecycleController({ ...ctx, recorder: new EventRecorder(client, 'node-controller') }),
    garbageCollector(ctx),
    namespaceController(ctx),
  ];
  informers.start();
  await informers.waitForSync();
  const running = controllers.map((c) => c.run().catch((e) => log.error({ controller: c.name, err: (e as Error).message }, 'controller stopped')));
  log.info({ controllers: controllers.map((c) => c.name) }, 'controllers started');
  return {
    async close() {
      for (const c of controllers) c.close();
      await Promise.all(running);
      await informers.close();
    },
  };
}
