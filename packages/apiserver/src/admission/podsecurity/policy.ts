/** Placeholder, filled below. */
export interface PodSecurityDefaults {
  enforce: string;
  enforceVersion: string;
  audit: string;
  auditVersion: string;
  warn: string;
  warnVersion: string;
}
