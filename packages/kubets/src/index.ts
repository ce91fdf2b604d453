// Public API of `kubets`: the PKI library behind `kubets pki` (certificates, kubeconfig files,
// verification helpers), and the CLI entry point for embedding.

export { x509 } from './pki/x509.js';

export type { RandomBytes } from './pki/random.js';
export { randomSerialNumber, SERIAL_NUMBER_BITS } from './pki/random.js';

export {
  parseIp,
  formatIp,
  canonicalIp,
  ipEquals,
  parseCidr,
  formatCidr,
  cidrSize,
  indexedIp,
} from './pki/ip.js';
export type { Cidr, IpFamily } from './pki/ip.js';

export {
  parseSubjectAltName,
  uniqueSubjectAltNames,
  hostMatchesSubjectAltNames,
  formatSubjectAltName,
  dnsSubdomainProblem,
} from './pki/names.js';
export type { SubjectAltName } from './pki/names.js';

export {
  toPem,
  pemBlocks,
  parseCertificates,
  parseCertificate,
  certificateToPem,
} from './pki/pem.js';
export type { PemBlock } from './pki/pem.js';

export {
  generateKeyPair,
  importPrivateKeyPem,
  privateKeyToPem,
  publicKeyToPem,
  publicKeyDer,
  publicKeyPemToDer,
  signingAlgorithmFor,
  CERTIFICATE_KEY_ALGORITHM,
  SERVICE_ACCOUNT_KEY_ALGORITHM,
} from './pki/keys.js';
export type { KeyAlgorithm, CryptoKey, CryptoKeyPair } from './pki/keys.js';

export {
  createCertificateAuthority,
  issueCertificate,
  loadCertificateAuthority,
  validityWindow,
  extendedKeyUsagesFor,
  CLOCK_SKEW_BACKDATE_MS,
  DEFAULT_CA_VALIDITY_MS,
  DEFAULT_CERT_VALIDITY_MS,
} from './pki/certificates.js';
export type {
  CertificateAuthority,
  CertificateKind,
  CertificateRequest,
  CaRequest,
  IssuedCertificate,
  SigningContext,
  ValidityWindow,
} from './pki/certificates.js';

export {
  summarizeCertificate,
  subjectAltNamesOf,
  extendedKeyUsagesOf,
  keyUsagesOf,
  isCertificateAuthority,
  residualTime,
  formatExpiry,
} from './pki/inspect.js';
export type { CertificateSummary, ExtendedKeyUsageName, KeyUsageName } from './pki/inspect.js';

export {
  verifyCertificateChain,
  userFromClientCertificate,
  authenticateClientCertificate,
  certificateMatchesHost,
} from './pki/verify.js';
export type {
  KeyPurpose,
  VerifyOptions,
  ChainVerification,
  CertificateUser,
  ClientCertificateAuthentication,
} from './pki/verify.js';

export {
  buildKubeconfig,
  kubeconfigToYaml,
  renderKubeconfig,
  parseServerUrl,
  kubeconfigClientCertificates,
} from './pki/kubeconfig.js';
export type {
  Kubeconfig,
  KubeconfigOptions,
  KubeconfigCredentials,
  KubeconfigClientCertificate,
} from './pki/kubeconfig.js';

export {
  generateBootstrapToken,
  parseBootstrapToken,
  bootstrapTokenSecret,
  BOOTSTRAP_TOKEN_PATTERN,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  DEFAULT_BOOTSTRAP_TOKEN_GROUP,
} from './pki/bootstrap-token.js';
export type {
  BootstrapToken,
  BootstrapTokenUsage,
  BootstrapTokenSecretOptions,
} from './pki/bootstrap-token.js';

export { generateServiceAccountKeyPair } from './pki/service-account-key.js';
export type { ServiceAccountKeyPair } from './pki/service-account-key.js';

export {
  planClusterPki,
  createClusterPki,
  apiserverSubjectAltNames,
  etcdMemberSubjectAltNames,
  serviceApiserverIps,
  kubeconfigIdentities,
  defaultGroupsFor,
  DEFAULT_CLUSTER_NAME,
  DEFAULT_CLUSTER_DOMAIN,
  DEFAULT_SERVICE_CLUSTER_IP_RANGE,
  DEFAULT_SERVER,
  PRIVATE_FILE_MODE,
  PUBLIC_FILE_MODE,
} from './pki/cluster-pki.js';
export type {
  ClusterPkiOptions,
  ClusterPkiPlan,
  PlannedCertificate,
  PlannedKubeconfig,
  CaName,
  PkiFile,
  PkiContext,
} from './pki/cluster-pki.js';

export {
  writeFiles,
  destinations,
  readTextFile,
  checkRelativePath,
  ExistingFilesError,
} from './pki/files.js';
export type { FileDestination, WriteOptions } from './pki/files.js';

export {
  loadCertificateAuthorityFiles,
  loadCertificateFile,
  listPkiDirectory,
} from './pki/pki-dir.js';
export type { ListedCertificate, PkiListing } from './pki/pki-dir.js';

export { main, rootCommand, processContext } from './cli/main.js';
export { runCli, leafCommand, formatGroupHelp, UsageError } from './cli/command.js';
export type { CliContext, Command, CommandGroup, LeafCommand } from './cli/command.js';
