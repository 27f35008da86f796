// APIService (kube: kube-aggregator pkg/registry/apiservice/strategy.go and pkg/apis/apiregistration/validation):
// named `<version>.<group>` (`v1.` for the legacy core group), with a service or none (Local), priorities above zero.
import type { APIService, KubeObject, StatusCause } from '../../../../api/types.js';
import { strategy } from '../strategy.js';
import { invalidValue, required } from '../validation.js';

export function validateAPIService(o: KubeObject): StatusCause[] {
  const s = o as APIService;
  const errs: StatusCause[] = [];
  const spec = s.spec ?? ({} as APIService['spec']);
  const want = `${spec.version ?? ''}.${spec.group ?? ''}`;
  if (s.metadata.name !== want) errs.push(invalidValue('metadata.name', s.metadata.name, `must be ${want}`));
  if (!spec.version) errs.push(required('spec.version'));
  if (!(spec.groupPriorityMinimum > 0) || spec.groupPriorityMinimum > 20000) errs.push(invalidValue('spec.groupPriorityMinimum', spec.groupPriorityMinimum ?? 0, 'must be positive and less than 20000'));
  if (!(spec.versionPriority > 0) || spec.versionPriority > 1000) errs.push(invalidValue('spec.versionPriority', spec.versionPriority ?? 0, 'must be positive and less than 1000'));
  if (spec.service) {
    if (!spec.service.namespace) errs.push(required('spec.service.namespace'));
    if (!spec.service.name) errs.push(required('spec.service.name'));
    const port = spec.service.port;
    if (port !== undefined && !(port >= 1 && port <= 65535)) errs.push(invalidValue('spec.service.port', port, 'port is not valid: must be between 1 and 65535, inclusive'));
    if (spec.insecureSkipTLSVerify && spec.caBundle) errs.push(invalidValue('spec.insecureSkipTLSVerify', true, 'may not be true if caBundle is present'));
  } else {
    if (spec.insecureSkipTLSVerify) errs.push(invalidValue('spec.insecureSkipTLSVerify', true, 'local APIServices may not have insecureSkipTLSVerify'));
    if (spec.caBundle) errs.push(invalidValue('spec.caBundle', '', 'local APIServices may not have a caBundle'));
  }
  return errs;
}

const defaults = (o: KubeObject) => {
  const svc = (o as APIService).spec?.service;
  if (svc) svc.port ??= 443;
};

// Names are `<version>.<group>`: any string the validation above accepts (`v1.` ends with a dot).
export const apiServiceStrategy = strategy({ statusSubresource: true, defaults, validate: validateAPIService, validateName: () => [] });
