// PodTemplates in the store (kube: pkg/apis/core/validation ValidatePodTemplate): a named pod template that
// controllers and users may refer to.
import type { KubeObject, StatusCause } from '../../../../api/types.js';
import { strategy, type Strategy } from '../strategy.js';
import { podSpecErrors, required } from '../validation.js';

type Any = any;

export function validatePodTemplate(obj: KubeObject): StatusCause[] {
  const template = (obj as Any).template;
  if (!template || typeof template !== 'object') return [required('template')];
  return podSpecErrors(template.spec, 'template.spec');
}

export const podTemplateStrategy: Strategy = strategy({ tracksGeneration: false, validate: validatePodTemplate });
