// Services in the store (kube: pkg/registry/core/service/strategy.go): names are DNS-1035 labels; a new Service keeps
// the status it is defaulted with, and later writes to the main resource keep the stored status.
import * as defaults from '../defaults.js';
import { strategy, type Strategy } from '../strategy.js';
import { dns1035Errors } from '../validation.js';
import * as validation from '../validation.js';

export const serviceStrategy: Strategy = {
  ...strategy({ statusSubresource: true, defaults: defaults.service, validate: validation.service, validateName: (name) => dns1035Errors('metadata.name', name) }),
  prepareForCreate: () => {},
};
