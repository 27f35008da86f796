// CertificateSigningRequest validation with kube-apiserver's wording (pkg/apis/certificates/validation): the request
// is a signed PEM "CERTIFICATE REQUEST", the signer a qualified name, usages from the known set, a duration of at
// least ten minutes, conditions that make sense (Approved and Denied exclusive, one of each type), a certificate that
// is a PEM bundle; and on update, which endpoint may add which condition or set the certificate.
import type { CertificateSigningRequest, KubeObject, StatusCause } from '../../../../api/types.js';
import { deepEqual } from '../../equality.js';
import { duplicate, forbidden, goBytes, invalidGo, invalidValue, labelMapErrors, labelMessages, notSupported, required, subdomainMessages, tooLong } from '../validation.js';
import { certificateBundleError, certificateRequestError } from './pem.js';

type Any = any;
type Condition = NonNullable<NonNullable<CertificateSigningRequest['status']>['conditions']>[number];

export const KEY_USAGES = [
  'signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment',
  'cert sign', 'crl sign', 'encipher only', 'decipher only', 'any', 'server auth', 'client auth', 'code signing',
  'email protection', 's/mime', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing',
  'microsoft sgc', 'netscape sgc',
];
const SORTED_USAGES = [...KEY_USAGES].sort();
const LEGACY_SIGNER = 'kubernetes.io/legacy-unknown';
/** Conditions that may only be True when present. */
const TRUE_ONLY = ['Approved', 'Denied', 'Failed'];

const bytesOf = (b64: unknown) => Buffer.from(typeof b64 === 'string' ? b64 : '', 'base64');
const conditionsOf = (csr: Any): Condition[] => (Array.isArray(csr?.status?.conditions) ? csr.status.conditions : []);
const usagesOf = (csr: Any): string[] => (Array.isArray(csr?.spec?.usages) ? csr.spec.usages : []);

/** A signer name: "<domain with a dot>/<path of DNS subdomains>" (ValidateSignerName). */
export function signerNameErrors(field: string, name: unknown): StatusCause[] {
  if (typeof name !== 'string' || !name) return [required(field)];
  const segments = name.split('/');
  if (segments.length !== 2) return [invalidValue(field, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const [domain, path] = segments;
  const out: StatusCause[] = [];
  if (domain.length > 253) out.push(tooLong(field, 253));
  const labels = domain.split('.');
  for (const l of labels) {
    const msgs = labelMessages(l);
    if (msgs.length) {
      out.push(...msgs.map((m) => invalidValue(field, domain, `validating label ${JSON.stringify(l)}: ${m}`)));
      break;
    }
  }
  if (labels.length < 2) out.push(invalidValue(field, domain, 'should be a domain with at least two segments separated by dots'));
  for (const l of path.split('.')) {
    const msgs = subdomainMessages(l);
    if (msgs.length) {
      out.push(...msgs.map((m) => invalidValue(field, path, `validating label ${JSON.stringify(l)}: ${m}`)));
      break;
    }
  }
  if (name.length > 253 + 253 + 63 + 1 + 1) out.push(tooLong(field, 571));
  return out;
}

/** Leniencies an update grants when the stored object already breaks a rule, and what each endpoint may change. */
export interface UpdateOptions {
  /** /approval: Approved and Denied conditions may be added. */
  allowSettingApprovalConditions?: boolean;
  /** /status: the certificate may be set (once). */
  allowSettingCertificate?: boolean;
}

interface Options {
  allowBothApprovedAndDenied: boolean;
  allowLegacySignerName: boolean;
  allowDuplicateConditionTypes: boolean;
  allowEmptyConditionType: boolean;
  allowArbitraryCertificate: boolean;
  allowUnknownUsages: boolean;
  allowDuplicateUsages: boolean;
}

/** What a stored object that already breaks a rule may keep breaking (getValidationOptions). */
function options(csr: Any, old: Any | undefined): Options {
  if (!old) return { allowBothApprovedAndDenied: false, allowLegacySignerName: false, allowDuplicateConditionTypes: false, allowEmptyConditionType: false, allowArbitraryCertificate: false, allowUnknownUsages: false, allowDuplicateUsages: false };
  const types = conditionsOf(old).map((c) => c.type);
  const usages = usagesOf(old);
  return {
    allowBothApprovedAndDenied: types.includes('Approved') && types.includes('Denied'),
    allowLegacySignerName: old.spec?.signerName === LEGACY_SIGNER,
    allowDuplicateConditionTypes: new Set(types).size !== types.length,
    allowEmptyConditionType: types.some((t) => !t),
    allowArbitraryCertificate: bytesOf(csr.status?.certificate).equals(bytesOf(old.status?.certificate)) || certificateBundleError(bytesOf(old.status?.certificate)) !== undefined,
    allowUnknownUsages: usages.some((u) => !KEY_USAGES.includes(u)),
    allowDuplicateUsages: new Set(usages).size !== usages.length,
  };
}

function conditionErrors(csr: Any, o: Options): StatusCause[] {
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  let approved = false;
  let denied = false;
  conditionsOf(csr).forEach((c, i) => {
    const path = `status.conditions[${i}]`;
    const type = c?.type ?? '';
    if (!o.allowEmptyConditionType && !type) out.push(required(`${path}.type`));
    const allowed = TRUE_ONLY.includes(type) ? ['True'] : ['False', 'True', 'Unknown'];
    if (!c?.status) out.push(required(`${path}.status`));
    else if (!allowed.includes(c.status)) out.push(notSupported(`${path}.status`, c.status, allowed));
    if (!o.allowBothApprovedAndDenied) {
      if (type === 'Approved') {
        approved = true;
        if (denied) out.push(invalidValue(`${path}.type`, type, 'Approved and Denied conditions are mutually exclusive'));
      } else if (type === 'Denied') {
        denied = true;
        if (approved) out.push(invalidValue(`${path}.type`, type, 'Approved and Denied conditions are mutually exclusive'));
      }
    }
    if (!o.allowDuplicateConditionTypes) {
      if (seen.has(type)) out.push(duplicate(`${path}.type`, type));
      seen.add(type);
    }
  });
  return out;
}

function csrErrors(obj: KubeObject, o: Options): StatusCause[] {
  const csr = obj as Any;
  const spec = csr.spec ?? {};
  const out = labelMapErrors('metadata.labels', obj.metadata.labels);
  const request = bytesOf(spec.request);
  const requestError = certificateRequestError(request);
  if (requestError) out.push(invalidGo('spec.request', goBytes(request), requestError));
  const usages = usagesOf(csr);
  if (!usages.length) out.push(required('spec.usages'));
  if (!o.allowUnknownUsages) usages.forEach((u, i) => KEY_USAGES.includes(u) || out.push(notSupported(`spec.usages[${i}]`, u, SORTED_USAGES)));
  if (!o.allowDuplicateUsages) usages.forEach((u, i) => usages.indexOf(u) !== i && out.push(duplicate(`spec.usages[${i}]`, u)));
  if (!o.allowLegacySignerName && spec.signerName === LEGACY_SIGNER) out.push(invalidValue('spec.signerName', spec.signerName, 'the legacy signerName is not allowed via this API version'));
  else out.push(...signerNameErrors('spec.signerName', spec.signerName));
  if (typeof spec.expirationSeconds === 'number' && spec.expirationSeconds < 600)
    out.push(invalidValue('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
  out.push(...conditionErrors(csr, o));
  if (!o.allowArbitraryCertificate) {
    const certError = certificateBundleError(bytesOf(csr.status?.certificate));
    if (certError) out.push(invalidValue('status.certificate', '<certificate data>', certError));
  }
  return out;
}

/** A new CertificateSigningRequest (ValidateCertificateSigningRequestCreate). */
export function create(obj: KubeObject): StatusCause[] {
  return csrErrors(obj, options(obj, undefined));
}

const ofType = (csr: Any, type: string) => conditionsOf(csr).filter((c) => c?.type === type);

/**
 * An update through the main resource, /status or /approval: conditions of type Approved, Denied and Failed are never
 * removed; Approved and Denied change only through /approval; the certificate is set only through /status, once.
 */
export function update(obj: KubeObject, old: KubeObject, endpoint: UpdateOptions = {}): StatusCause[] {
  const out = csrErrors(obj, options(obj, old));
  for (const t of ['Approved', 'Denied', 'Failed'])
    if (ofType(obj, t).length < ofType(old, t).length) out.push(forbidden('status.conditions', `updates may not remove a condition of type ${JSON.stringify(t)}`));
  if (!endpoint.allowSettingApprovalConditions) {
    for (const t of ['Approved', 'Denied']) {
      const [was, now] = [ofType(old, t), ofType(obj, t)];
      if (now.length > was.length) out.push(forbidden('status.conditions', `updates may not add a condition of type ${JSON.stringify(t)}`));
      else if (now.length === was.length && !deepEqual(was, now)) out.push(forbidden('status.conditions', `updates may not modify a condition of type ${JSON.stringify(t)}`));
    }
  }
  const [cert, oldCert] = [bytesOf((obj as Any).status?.certificate), bytesOf((old as Any).status?.certificate)];
  if (!cert.equals(oldCert)) {
    if (!endpoint.allowSettingCertificate) out.push(forbidden('status.certificate', 'updates may not set certificate content'));
    else if (oldCert.length) out.push(forbidden('status.certificate', 'updates may not modify existing certificate content'));
  }
  return out;
}
