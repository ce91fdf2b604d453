/** The volume sources kubets knows, in upstream's declaration order (defaulting and validation share it). */
export const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'secret',
  'configMap',
  'persistentVolumeClaim',
  'downwardAPI',
  'projected',
  'nfs',
  'csi',
  'ephemeral',
  'image',
] as const;
