/**
 * The Iceberg file formats of the lake room in one import: schemas and row checks, partition
 * transforms, single-value (bound) serialization, table metadata and its JSON, manifests and
 * manifest lists. Everything here is pure: bytes and values in, bytes and values out; reading and
 * writing files is FileIO's job.
 */
export {
  addColumn,
  allFieldIds,
  assignFreshIds,
  bytesToHex,
  bytesToUuid,
  compileCheck,
  dateToDays,
  daysToDate,
  decimalRequiredBytes,
  decimalType,
  describeValue,
  fieldById,
  fieldByName,
  fitsPrecision,
  formatDecimal,
  hexToBytes,
  highestFieldId,
  isPrimitiveType,
  isUuidText,
  microsToTime,
  parseDate,
  parseDecimal,
  parseTime,
  primitiveInfo,
  requireFieldById,
  requireFieldByName,
  requirePrimitive,
  rowChecker,
  typeName,
  uuidToBytes,
  validateRow,
  validateRows,
} from './schema.js';
export type { NewColumn, PrimitiveInfo, PrimitiveKind, ValueCheck } from './schema.js';

export {
  applyTransform,
  bindPartitionSpec,
  bucketHash,
  canTransform,
  defaultPartitionFieldName,
  hashLong,
  humanPartitionValue,
  murmur3Hash32,
  parseTransform,
  partitionPath,
  partitionSegment,
  partitionValues,
  partitioner,
  transformResultType,
} from './transforms.js';
export type { BoundPartitionField, ParsedTransform, PartitionValue } from './transforms.js';

export {
  bytesToUnscaled,
  compareSerialized,
  compareStrings,
  compareToBound,
  compareValues,
  deserializeValue,
  isNaNValue,
  serializeValue,
  unscaledToBytes,
  unscaledToFixed,
} from './bounds.js';
export type { SingleValue } from './bounds.js';

export {
  MAIN_BRANCH,
  METADATA_PREVIOUS_VERSIONS_MAX,
  PARTITION_FIELD_ID_START,
  UNSORTED_ORDER,
  ancestors,
  currentSchema,
  currentSnapshot,
  deepFreeze,
  defaultSpec,
  metadataFileLocation,
  metadataFileVersion,
  newSnapshotId,
  newTableMetadata,
  schemaById,
  snapshotAsOf,
  snapshotById,
  specById,
  validateSchema,
  validateSpec,
  withLastUpdated,
  withMetadataLog,
  withProperties,
  withSchema,
  withSnapshot,
  withoutSnapshots,
} from './metadata.js';
export type { NewPartitionField, NewTableOptions } from './metadata.js';

export {
  parseTableMetadata,
  schemaJson,
  serializeTableMetadata,
} from './metadata-json.js';

export {
  UNASSIGNED_SEQUENCE_NUMBER,
  inheritFrom,
  manifestEntrySchema,
  readAvroContainer,
  requireWritableId,
  readManifest,
  readManifestFile,
  writeAvroContainer,
  writeManifest,
} from './manifest.js';
export type { AvroCodec, AvroContainer, ManifestContents, WriteManifestInput, WrittenManifest } from './manifest.js';

export {
  MANIFEST_FILE_SCHEMA,
  assignSequenceNumbers,
  readManifestList,
  readManifestListFile,
  writeManifestList,
} from './manifest-list.js';
export type { ManifestListContents, WriteManifestListInput } from './manifest-list.js';
