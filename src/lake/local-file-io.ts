import { constants, type Dirent, type Stats } from 'node:fs';
import { copyFile, mkdir, opendir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { LakeError } from './errors.js';
import type { FileInfo, FileIO } from './file-io.js';
import { fsyncDir, fsyncFile, isLocalTempFile, publish, temporaryName, writeLocalFile } from './parquet-files.js';

/**
 * Table files on the local disk. Locations are `file:` URIs (`file:///abs/path`, and the `file:/abs`
 * form Hadoop writes; not percent-decoded) or absolute paths; `list` answers in the form it was
 * asked in.
 *
 * Crash safety: a file is first written in full to a hidden temporary file beside its final name
 * (`.<name>.<random>.op-tmp`), then published under the final name in one atomic step: a hard link
 * for create-only writes (`link` fails with EEXIST when the name is taken, so two writers racing for
 * one name cannot both win, and neither can replace the other), a rename for overwrites. A killed
 * process can therefore leave a stray temporary file but never a half file under the final name.
 * `list` skips temporary files. On a filesystem without hard links the create-only path falls back
 * to check-then-rename. With `fsync` (the default) the file and its directory entry reach the disk
 * before a write resolves, which a power loss needs and a killed process does not (see
 * parquet-files.ts, where these steps live).
 */
export class LocalFileIO implements FileIO {
  readonly scheme = 'file';
  readonly #fsync: boolean;

  constructor(options: { readonly fsync?: boolean } = {}) {
    this.#fsync = options.fsync ?? true;
  }

  async read(location: string): Promise<Uint8Array> {
    const path = toLocalPath(location);
    try {
      return await readFile(path);
    } catch (cause) {
      throw fsError(cause, 'read', location);
    }
  }

  async write(location: string, bytes: Uint8Array, options: { readonly overwrite?: boolean } = {}): Promise<void> {
    const path = toLocalPath(location);
    try {
      await writeLocalFile(path, bytes, { fsync: this.#fsync, overwrite: options.overwrite ?? false });
    } catch (cause) {
      throw asLocationError(cause, 'write', location);
    }
  }

  async exists(location: string): Promise<boolean> {
    const stats = await statOrNull(toLocalPath(location), location);
    return stats !== null && stats.isFile();
  }

  async size(location: string): Promise<number> {
    const stats = await statOrNull(toLocalPath(location), location);
    if (stats === null || !stats.isFile()) throw notFound(location);
    return stats.size;
  }

  async delete(location: string): Promise<void> {
    const path = toLocalPath(location);
    try {
      await unlink(path);
    } catch (cause) {
      const code = errnoCode(cause);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw fsError(cause, 'delete', location);
    }
  }

  /**
   * A prefix naming a directory lists what is under it; any other prefix is a partial name, matched
   * as on S3 (`/t/metadata/v` lists `/t/metadata/v1.metadata.json`, ...). Sorted by name per directory.
   */
  async *list(prefix: string): AsyncIterable<FileInfo> {
    const path = toLocalPath(prefix);
    const asUri = prefix.startsWith('file:');
    const stats = await statOrNull(path, prefix);
    let root: string;
    let match: string | null;
    if (stats?.isDirectory()) {
      root = path;
      match = null;
    } else if (prefix.endsWith('/')) {
      return; // a directory prefix that does not exist: nothing under it
    } else {
      root = dirname(path);
      match = path;
    }
    for await (const file of walk(root, match, prefix)) {
      yield { ...file, location: asUri ? asFileUri(file.location, prefix) : file.location };
    }
  }

  async localPath(location: string): Promise<string> {
    const path = toLocalPath(location);
    const stats = await statOrNull(path, location);
    if (stats === null || !stats.isFile()) throw notFound(location);
    return path;
  }

  async upload(localPath: string, location: string): Promise<void> {
    const path = toLocalPath(location);
    const sourceStats = await statOrNull(localPath, localPath);
    if (sourceStats === null || !sourceStats.isFile()) throw notFound(localPath);
    if (await this.exists(location)) throw fileExists(location);
    try {
      await mkdir(dirname(path), { recursive: true });
    } catch (cause) {
      throw fsError(cause, 'mkdir', location);
    }
    const temp = temporaryName(path);
    try {
      await copyFile(localPath, temp, constants.COPYFILE_EXCL);
      if (this.#fsync) await fsyncFile(temp);
    } catch (cause) {
      await removeQuietly(temp);
      throw fsError(cause, 'upload', location, localPath);
    }
    try {
      await publish(temp, path);
    } catch (cause) {
      await removeQuietly(temp);
      throw asLocationError(cause, 'upload', location);
    }
    if (this.#fsync) await fsyncDir(dirname(path));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export { LOCAL_TEMP_SUFFIX, isLocalTempFile } from './parquet-files.js';

/**
 * The absolute path a local location names; `OP_LAKE_INVALID_ARGUMENT` for anything else. A `file:`
 * URI is taken as written, without percent-decoding (as PyIceberg reads it): Iceberg joins file
 * names onto table locations as plain strings, and `list` must hand back those same strings.
 */
export function toLocalPath(location: string): string {
  let path = location;
  if (location.startsWith('file:')) {
    path = location.slice('file:'.length);
    if (path.startsWith('//')) {
      const rest = path.slice(2);
      if (rest.startsWith('/')) path = rest;
      else if (rest.startsWith('localhost/')) path = rest.slice('localhost'.length);
      else {
        throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `not a local file URI (a host other than localhost): ${location}`, {
          details: { location },
        });
      }
    }
  } else if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(location)) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `not a local location (LocalFileIO takes file: URIs and absolute paths): ${location}`, {
      details: { location },
    });
  }
  if (!isAbsolute(path)) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `a local location must be an absolute path or a file: URI: ${location}`, {
      details: { location },
    });
  }
  return resolve(path);
}

/** `file:///p` for a path, in the URI form of `like` (`file:///p` or `file:/p`), without encoding. */
function asFileUri(path: string, like: string): string {
  return like.startsWith('file:///') ? `file://${path}` : like.startsWith('file://localhost/') ? `file://localhost${path}` : `file:${path}`;
}

async function* walk(dir: string, match: string | null, prefix: string): AsyncIterable<FileInfo> {
  let entries: Dirent[];
  try {
    const handle = await opendir(dir);
    entries = [];
    for await (const entry of handle) entries.push(entry);
  } catch (cause) {
    const code = errnoCode(cause);
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw fsError(cause, 'list', prefix);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (isLocalTempFile(entry.name)) continue;
    const path = join(dir, entry.name);
    if (match !== null && !path.startsWith(match)) continue;
    if (entry.isDirectory()) {
      yield* walk(path, null, prefix);
      continue;
    }
    // Regular files, and symbolic links to files (links to directories are not followed).
    const stats = await statOrNull(path, prefix);
    if (stats === null || !stats.isFile()) continue;
    yield { location: path, size: stats.size, lastModifiedMs: Math.floor(stats.mtimeMs) };
  }
}

async function statOrNull(path: string, location: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (cause) {
    const code = errnoCode(cause);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw fsError(cause, 'stat', location);
  }
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch {
    // already gone, or never created
  }
}

function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = error.code;
  return typeof code === 'string' ? code : undefined;
}

/** Errors worth another try: the process or the system ran short for a moment. */
const TRANSIENT_CODES = new Set(['EAGAIN', 'EBUSY', 'EINTR', 'EMFILE', 'ENFILE', 'ETIMEDOUT']);

function notFound(location: string): LakeError {
  return new LakeError('OP_LAKE_FILE_NOT_FOUND', `file not found: ${location}`, { details: { location } });
}

function fileExists(location: string): LakeError {
  return new LakeError('OP_LAKE_FILE_EXISTS', `file already exists (table files are never replaced): ${location}`, {
    details: { location },
  });
}

/** A failure of the shared write steps (parquet-files.ts), named by the location the caller gave. */
function asLocationError(cause: unknown, operation: string, location: string): LakeError {
  if (!(cause instanceof LakeError)) return fsError(cause, operation, location);
  if (cause.code === 'OP_LAKE_FILE_EXISTS') return fileExists(location);
  return cause.cause === undefined ? cause : fsError(cause.cause, operation, location);
}

function fsError(cause: unknown, operation: string, location: string, source?: string): LakeError {
  if (cause instanceof LakeError) return cause;
  const code = errnoCode(cause);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    // A missing source of an upload is named as such; otherwise the location itself is missing.
    return notFound(source ?? location);
  }
  if (code === 'EEXIST') return fileExists(location);
  const message = cause instanceof Error ? cause.message : String(cause);
  return new LakeError('OP_LAKE_IO', `${operation} ${location} failed: ${message}`, {
    details: { operation, location, errno: code ?? null, ...(source === undefined ? {} : { source }) },
    retryable: code !== undefined && TRANSIENT_CODES.has(code),
    cause,
  });
}
