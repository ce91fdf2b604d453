export { findCycles } from './cycles.js';
export { findImports, kubetsPackageOf, type ImportRef } from './imports.js';
export {
  checkLayers,
  formatViolation,
  isTestFile,
  LAYER_NAMES,
  type Violation,
  type ViolationRule,
} from './layers.js';
export { checkManifest, checkManifests } from './manifest.js';
export { packAndInstall, packedFiles, type PackResult } from './pack.js';
export {
  findStaleGenerated,
  generatePackageProtos,
  GENERATED_HEADER,
  type ProtoBundle,
  type ProtoConfig,
} from './proto-gen.js';
export {
  listWorkspacePackages,
  readManifest,
  type PackageManifest,
  type WorkspacePackage,
} from './workspace.js';
export {
  collectTestCounts,
  formatSummary,
  RESULTS_FILE,
  type PackageTestCounts,
} from './test-summary.js';
