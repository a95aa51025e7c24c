import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart, S3ClientConfig } from '@aws-sdk/client-s3';
import { LakeError } from './errors.js';
import type { FileInfo, FileIO } from './file-io.js';

/**
 * Table files in an S3-compatible object store (AWS S3, SeaweedFS, Ceph radosgw; path-style endpoints
 * allowed). Locations are `s3://bucket/key` (`s3a://` and `s3n://`, which Hadoop-based engines write,
 * name the same objects).
 *
 * Create-only writes are conditional puts, `If-None-Match: *`: the store itself refuses to replace an
 * object, so two writers racing for one name cannot both win (412 Precondition Failed becomes
 * `OP_LAKE_FILE_EXISTS`). Objects above `multipartThresholdBytes` (16 MiB) go up in parts, and the
 * condition then rides on CompleteMultipartUpload; a failed multipart upload is aborted. The store
 * must honour the condition: s3rver, for one, ignores it and is no test double for this class.
 *
 * How scans of S3 tables work: DuckDB here has no httpfs extension (extension downloads fail), so it
 * cannot read `s3://` itself. A scan asks `localPath` for each data file it plans to read; the object
 * is downloaded once into `cacheDir` (to a temporary name, renamed into place when complete) and
 * DuckDB reads the local copy. Table files are immutable, so a cached copy never goes stale and the
 * cache is never invalidated; removing the directory (or old files in it) is always safe. Metadata
 * files, manifest lists and manifests are read with `read` and never touch the cache. Files DuckDB
 * writes locally go up with `upload`.
 *
 * Errors: `OP_LAKE_FILE_NOT_FOUND` (no such key), `OP_LAKE_FILE_EXISTS` (a create-only write found
 * the key taken), `OP_LAKE_IO` otherwise, retryable on throttling, 5xx answers and network errors
 * (after the SDK's own `maxAttempts` tries).
 */
export interface S3FileIOOptions {
  /** An S3-compatible endpoint, e.g. `http://127.0.0.1:8333`; AWS when absent. */
  readonly endpoint?: string;
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Static credentials; without both, the SDK's default credential chain. */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly sessionToken?: string;
  /** `http://host/bucket/key` rather than `http://bucket.host/key`; default true when an endpoint is given. */
  readonly forcePathStyle?: boolean;
  /** Where `localPath` keeps downloaded objects; default `<os tmpdir>/orderpulse-s3-cache`. */
  readonly cacheDir?: string;
  /** Objects larger than this go up as multipart uploads; default 16 MiB. */
  readonly multipartThresholdBytes?: number;
  /** Part size of multipart uploads; default 16 MiB, at least 5 MiB (S3's minimum). */
  readonly partSizeBytes?: number;
  /** Parts in flight at once; default 4. */
  readonly uploadConcurrency?: number;
  /** Tries per request, the SDK's own retries included; default 3. */
  readonly maxAttempts?: number;
}

const MiB = 1024 * 1024;
const MIN_PART_BYTES = 5 * MiB;
const MAX_PARTS = 10_000;

interface S3Location {
  readonly scheme: string;
  readonly bucket: string;
  readonly key: string;
}

export class S3FileIO implements FileIO {
  readonly scheme = 's3';
  readonly cacheDir: string;
  private readonly client: S3Client;
  private readonly endpointTag: string;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly uploadConcurrency: number;
  private readonly downloads = new Map<string, Promise<string>>();
  private closed = false;

  constructor(options: S3FileIOOptions) {
    const hasKey = options.accessKeyId !== undefined && options.accessKeyId !== '';
    const hasSecret = options.secretAccessKey !== undefined && options.secretAccessKey !== '';
    if (hasKey !== hasSecret) {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'S3FileIO needs both accessKeyId and secretAccessKey, or neither');
    }
    this.partSize = options.partSizeBytes ?? 16 * MiB;
    if (!Number.isInteger(this.partSize) || this.partSize < MIN_PART_BYTES) {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `partSizeBytes must be an integer of at least ${MIN_PART_BYTES}`, {
        details: { partSizeBytes: this.partSize },
      });
    }
    this.multipartThreshold = options.multipartThresholdBytes ?? 16 * MiB;
    this.uploadConcurrency = Math.max(1, options.uploadConcurrency ?? 4);
    this.cacheDir = options.cacheDir ?? join(tmpdir(), 'orderpulse-s3-cache');
    this.endpointTag = options.endpoint ?? 'aws';
    const config: S3ClientConfig = {
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      maxAttempts: options.maxAttempts ?? 3,
      // S3-compatible stores differ in their support of the newer default CRC checksums; send and
      // check them only where an operation requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (options.endpoint !== undefined) config.endpoint = options.endpoint;
    if (hasKey && hasSecret) {
      config.credentials = {
        accessKeyId: options.accessKeyId ?? '',
        secretAccessKey: options.secretAccessKey ?? '',
        ...(options.sessionToken === undefined ? {} : { sessionToken: options.sessionToken }),
      };
    }
    this.client = new S3Client(config);
  }

  async read(location: string): Promise<Uint8Array> {
    const { bucket, key } = this.object(location);
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (answer.Body === undefined) return new Uint8Array(0);
      return await answer.Body.transformToByteArray();
    } catch (cause) {
      throw s3Error(cause, 'read', location);
    }
  }

  async write(location: string, bytes: Uint8Array, options: { readonly overwrite?: boolean } = {}): Promise<void> {
    const { bucket, key } = this.object(location);
    const overwrite = options.overwrite ?? false;
    if (bytes.byteLength > this.multipartThreshold) {
      await this.multipart(location, bucket, key, bytes.byteLength, overwrite, (offset, length) =>
        Promise.resolve(bytes.subarray(offset, offset + length)),
      );
      return;
    }
    await this.put(location, bucket, key, bytes, overwrite);
  }

  async exists(location: string): Promise<boolean> {
    const { bucket, key } = this.object(location);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (cause) {
      const error = s3Error(cause, 'exists', location);
      if (error.code === 'OP_LAKE_FILE_NOT_FOUND') return false;
      throw error;
    }
  }

  async size(location: string): Promise<number> {
    const { bucket, key } = this.object(location);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (cause) {
      throw s3Error(cause, 'size', location);
    }
  }

  async delete(location: string): Promise<void> {
    const { bucket, key } = this.object(location);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (cause) {
      const error = s3Error(cause, 'delete', location);
      if (error.code === 'OP_LAKE_FILE_NOT_FOUND') return;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<FileInfo> {
    const { scheme, bucket, key } = parseS3Location(prefix);
    this.checkOpen();
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            ...(key === '' ? {} : { Prefix: key }),
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
      } catch (cause) {
        throw s3Error(cause, 'list', prefix);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield {
          location: `${scheme}://${bucket}/${object.Key}`,
          size: object.Size ?? 0,
          lastModifiedMs: object.LastModified?.getTime() ?? 0,
        };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  localPath(location: string): Promise<string> {
    const { bucket, key } = this.object(location);
    const hash = createHash('sha256').update(`${this.endpointTag}\n${bucket}\n${key}`).digest('hex');
    const inFlight = this.downloads.get(hash);
    if (inFlight !== undefined) return inFlight;
    const download = this.download(location, bucket, key, hash).finally(() => this.downloads.delete(hash));
    this.downloads.set(hash, download);
    return download;
  }

  async upload(localPath: string, location: string): Promise<void> {
    const { bucket, key } = this.object(location);
    const stats = await stat(localPath).catch(() => null);
    if (stats === null || !stats.isFile()) {
      throw new LakeError('OP_LAKE_FILE_NOT_FOUND', `file not found: ${localPath}`, { details: { location: localPath } });
    }
    const size = stats.size;
    let handle;
    try {
      handle = await open(localPath, 'r');
    } catch (cause) {
      throw localError(cause, 'upload', location, localPath);
    }
    try {
      const readPart = async (offset: number, length: number): Promise<Uint8Array> => {
        const buffer = Buffer.allocUnsafe(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
          if (bytesRead === 0) throw new Error(`${localPath} shrank while uploading`);
          filled += bytesRead;
        }
        return buffer;
      };
      if (size > this.multipartThreshold) {
        await this.multipart(location, bucket, key, size, false, readPart);
      } else {
        let bytes: Uint8Array;
        try {
          bytes = await readPart(0, size);
        } catch (cause) {
          throw localError(cause, 'upload', location, localPath);
        }
        await this.put(location, bucket, key, bytes, false);
      }
    } finally {
      await handle.close();
    }
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.client.destroy();
    }
    return Promise.resolve();
  }

  private object(location: string): S3Location {
    this.checkOpen();
    const parsed = parseS3Location(location);
    if (parsed.key === '' || parsed.key.endsWith('/')) {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `not an object location (no key): ${location}`, { details: { location } });
    }
    return parsed;
  }

  private checkOpen(): void {
    if (this.closed) throw new LakeError('OP_LAKE_IO', 'S3FileIO is closed');
  }

  private async put(location: string, bucket: string, key: string, bytes: Uint8Array, overwrite: boolean): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.byteLength,
          ...(overwrite ? {} : { IfNoneMatch: '*' }),
        }),
      );
    } catch (cause) {
      throw s3Error(cause, 'write', location);
    }
  }

  /** A multipart upload of `size` bytes read by `readPart`; aborted when anything fails. */
  private async multipart(
    location: string,
    bucket: string,
    key: string,
    size: number,
    overwrite: boolean,
    readPart: (offset: number, length: number) => Promise<Uint8Array>,
  ): Promise<void> {
    const partSize = Math.max(this.partSize, Math.ceil(size / MAX_PARTS));
    const partCount = Math.max(1, Math.ceil(size / partSize));
    let uploadId: string | undefined;
    try {
      const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      uploadId = created.UploadId;
      if (uploadId === undefined) throw new Error('CreateMultipartUpload returned no UploadId');
      const id = uploadId;
      const parts: CompletedPart[] = new Array<CompletedPart>(partCount);
      let next = 0;
      let failed = false;
      const worker = async (): Promise<void> => {
        while (next < partCount && !failed) {
          const index = next++;
          const offset = index * partSize;
          const body = await readPart(offset, Math.min(partSize, size - offset));
          const answer = await this.client.send(
            new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: id, PartNumber: index + 1, Body: body, ContentLength: body.byteLength }),
          );
          parts[index] = { PartNumber: index + 1, ETag: answer.ETag };
        }
      };
      const stopOnFailure = (): Promise<void> =>
        worker().catch((error: unknown) => {
          failed = true; // the other workers stop taking parts
          throw error;
        });
      await Promise.all(Array.from({ length: Math.min(this.uploadConcurrency, partCount) }, stopOnFailure));
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: id,
          MultipartUpload: { Parts: parts },
          ...(overwrite ? {} : { IfNoneMatch: '*' }),
        }),
      );
    } catch (cause) {
      if (uploadId !== undefined) {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      }
      throw s3Error(cause, 'write', location);
    }
  }

  private async download(location: string, bucket: string, key: string, hash: string): Promise<string> {
    const dir = join(this.cacheDir, hash.slice(0, 2));
    // The hash keys the cache (endpoint, bucket, key); the object's own name keeps its extension.
    const name = key.slice(key.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9._-]/g, '_').slice(-80);
    const path = join(dir, `${hash}-${name}`);
    try {
      if ((await stat(path)).isFile()) return path;
    } catch {
      // not cached yet
    }
    try {
      await mkdir(dir, { recursive: true });
    } catch (cause) {
      throw localError(cause, 'cache', location, dir);
    }
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = answer.Body;
      if (body instanceof Readable) {
        await pipeline(body, createWriteStream(temp, { flags: 'wx' }));
      } else {
        const bytes = body === undefined ? new Uint8Array(0) : await body.transformToByteArray();
        const handle = await open(temp, 'wx');
        try {
          await handle.writeFile(bytes);
        } finally {
          await handle.close();
        }
      }
      const written = (await stat(temp)).size;
      if (answer.ContentLength !== undefined && written !== answer.ContentLength) {
        throw new LakeError('OP_LAKE_IO', `download of ${location} was cut short (${written} of ${answer.ContentLength} bytes)`, {
          details: { location, written, expected: answer.ContentLength },
          retryable: true,
        });
      }
      await rename(temp, path);
      return path;
    } catch (cause) {
      await unlink(temp).catch(() => undefined);
      throw cause instanceof LakeError ? cause : s3Error(cause, 'download', location);
    }
  }
}

/** Splits `s3://bucket/key` (also `s3a://`, `s3n://`); `OP_LAKE_INVALID_ARGUMENT` otherwise. */
export function parseS3Location(location: string): S3Location {
  const match = /^(s3|s3a|s3n):\/\/([^/]+)(?:\/(.*))?$/.exec(location);
  const scheme = match?.[1];
  const bucket = match?.[2];
  if (scheme === undefined || bucket === undefined) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `not an S3 location (s3://bucket/key): ${location}`, { details: { location } });
  }
  return { scheme, bucket, key: match?.[3] ?? '' };
}

// ---- errors -----------------------------------------------------------------------------------------

const RETRYABLE_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
  // AWS answers 409 to a conditional write racing another one on the same key: try again.
  'ConditionalRequestConflict',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null && name in error ? (error as Record<string, unknown>)[name] : undefined;
}

function httpStatus(error: unknown): number | undefined {
  const metadata = field(error, '$metadata');
  const status = field(metadata, 'httpStatusCode');
  return typeof status === 'number' ? status : undefined;
}

/** Maps an SDK or network error to a LakeError. */
function s3Error(cause: unknown, operation: string, location: string): LakeError {
  if (cause instanceof LakeError) return cause;
  const name = cause instanceof Error ? cause.name : '';
  const status = httpStatus(cause);
  const errno = field(cause, 'code');
  const message = cause instanceof Error ? cause.message : String(cause);
  const details = { operation, location, s3Error: name, httpStatus: status ?? null };
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket' && name !== 'NoSuchUpload')) {
    return new LakeError('OP_LAKE_FILE_NOT_FOUND', `file not found: ${location}`, { details, cause });
  }
  if (name === 'PreconditionFailed' || status === 412) {
    return new LakeError('OP_LAKE_FILE_EXISTS', `file already exists (table files are never replaced): ${location}`, {
      details,
      cause,
    });
  }
  const retryable =
    RETRYABLE_NAMES.has(name) ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    (typeof errno === 'string' && NETWORK_CODES.has(errno)) ||
    field(cause, '$retryable') !== undefined;
  return new LakeError('OP_LAKE_IO', `S3 ${operation} ${location} failed: ${name === '' ? '' : `${name}: `}${message}`, {
    details,
    retryable,
    cause,
  });
}

function localError(cause: unknown, operation: string, location: string, path: string): LakeError {
  const errno = field(cause, 'code');
  const message = cause instanceof Error ? cause.message : String(cause);
  if (errno === 'ENOENT') {
    return new LakeError('OP_LAKE_FILE_NOT_FOUND', `file not found: ${path}`, { details: { location: path }, cause });
  }
  return new LakeError('OP_LAKE_IO', `${operation} ${location} failed on local file ${path}: ${message}`, {
    details: { operation, location, path, errno: typeof errno === 'string' ? errno : null },
    retryable: errno === 'EMFILE' || errno === 'ENFILE' || errno === 'EAGAIN',
    cause,
  });
}
