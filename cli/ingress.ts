// `kubets ingress-controller`: the ingress controller add-on (ingress-nginx's role) — flags into one IngressConfig,
// then addons/ingress's startIngressController().
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { ingressDefaults, type IngressConfig } from '../addons/ingress/config.js';
import { portFlag, type CommandContext } from './command.js';

export function ingressCommand(ctx: CommandContext) {
  const port = (value: string | boolean | undefined, flag: string, dflt: number) => portFlag(ctx, value, flag, dflt);
  return {
    summary: 'Run the ingress controller (ingress-nginx\'s role): HTTP and HTTPS routes to Services from Ingresses of its class',
    usage: 'kubets ingress-controller [--kubeconfig FILE] [--controller-class NAME] [--ingress-class NAME] [--http-port 80] [--https-port 443] [--healthz-port 10254] [--status-pod-selector SELECTOR]',
    options: {
      kubeconfig: { type: 'string' },
      'controller-class': { type: 'string' },
      'ingress-class': { type: 'string' },
      'bind-address': { type: 'string' },
      'http-port': { type: 'string' },
      'https-port': { type: 'string' },
      'healthz-port': { type: 'string' },
      'status-pod-selector': { type: 'string' },
      'status-pod-namespace': { type: 'string' },
    } satisfies NonNullable<ParseArgsConfig['options']>,
    help: {
      kubeconfig: 'kubeconfig to watch the API with (default: in-cluster, the pod\'s service account)',
      'controller-class': `spec.controller of the IngressClasses served (default ${ingressDefaults.controllerClass})`,
      'ingress-class': `class name also served when an Ingress names it by the kubernetes.io/ingress.class annotation (default ${ingressDefaults.ingressClass})`,
      'bind-address': `address to listen on (default ${ingressDefaults.bindAddress})`,
      'http-port': `plain HTTP port (default ${ingressDefaults.httpPort})`,
      'https-port': `HTTPS port, certificates by SNI (default ${ingressDefaults.httpsPort})`,
      'healthz-port': `/healthz port (default ${ingressDefaults.healthzPort})`,
      'status-pod-selector': 'label selector of the controller\'s own pods: the nodes they run on go into status.loadBalancer of every served Ingress (default: statuses left alone)',
      'status-pod-namespace': 'namespace of those pods (default: $POD_NAMESPACE, the pod\'s own)',
    } as Record<string, string>,
    async run(v: Record<string, string | boolean | undefined>): Promise<void> {
      const controllerClass = String(v['controller-class'] ?? ingressDefaults.controllerClass);
      if (!/^[a-z0-9.-]+\/\S+$/.test(controllerClass)) throw new ctx.UsageError(`--controller-class "${controllerClass}": want a domain-prefixed path, e.g. ${ingressDefaults.controllerClass}`);
      const selector = v['status-pod-selector'] === undefined ? undefined : String(v['status-pod-selector']);
      const namespace = String(v['status-pod-namespace'] ?? process.env.POD_NAMESPACE ?? '');
      if (selector !== undefined && !namespace) throw new ctx.UsageError('--status-pod-selector needs --status-pod-namespace (or $POD_NAMESPACE)');
      const config: IngressConfig = {
        ...ingressDefaults,
        kubeconfig: v.kubeconfig ? path.resolve(String(v.kubeconfig)) : undefined,
        controllerClass,
        ingressClass: String(v['ingress-class'] ?? ingressDefaults.ingressClass),
        bindAddress: String(v['bind-address'] ?? ingressDefaults.bindAddress),
        httpPort: port(v['http-port'], 'http-port', ingressDefaults.httpPort),
        httpsPort: port(v['https-port'], 'https-port', ingressDefaults.httpsPort),
        healthzPort: port(v['healthz-port'], 'healthz-port', ingressDefaults.healthzPort),
        statusPods: selector !== undefined ? { namespace, selector } : undefined,
      };
      const { startIngressController } = await import('../addons/ingress/index.js');
      const running = await startIngressController(config);
      const ports = running.ports();
      process.stderr.write(`kubets ingress-controller: serving class controller ${config.controllerClass} on http :${ports.http}, https :${ports.https}; healthz :${ports.healthz}\n`);
      await ctx.untilSignal(() => running.close());
    },
  };
}
