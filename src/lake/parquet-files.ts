import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, constants as fsConstants, linkSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LakeError } from './errors.js';

/**
 * Putting a finished table file in place on the local disk: written in full to a hidden temporary
 * file beside its final name, then moved there in one atomic step (a hard link for create-only
 * writes, so that two writers racing for one name cannot both win; a rename for overwrites). A
 * killed process leaves at most a stray temporary file, never a partial file under the real name.
 *
 * `fsync` (the default) also makes the file and its directory entry durable before the write
 * resolves, so that a power loss cannot lose a file a later commit names. Without it the page
 * cache holds the file: a killed process loses nothing (the deployment's `process` durability,
 * the same promise the embedded store's WAL makes), and a commit waits for no disk flush.
 */

export interface PutOptions {
  /** Flush the file and its directory entry to the disk before resolving (default true). */
  readonly fsync?: boolean;
  /** Replace a file already there (default: refuse it with OP_LAKE_FILE_EXISTS). */
  readonly overwrite?: boolean;
}

/** Suffix of the temporary files a write goes through; listings skip them. */
export const LOCAL_TEMP_SUFFIX = '.op-tmp';

/** True for the name of a temporary file left by an interrupted write. */
export function isLocalTempFile(name: string): boolean {
  return name.startsWith('.') && name.endsWith(LOCAL_TEMP_SUFFIX);
}

/** A hidden temporary name next to `path`. */
export function temporaryName(path: string): string {
  // Short enough for NAME_MAX (255 bytes) whatever the final name's length.
  const stem = basename(path).slice(0, 48);
  return join(dirname(path), `.${stem}.${randomBytes(6).toString('hex')}${LOCAL_TEMP_SUFFIX}`);
}

export async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Best effort: some platforms cannot open or fsync a directory. */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    await fsyncFile(dir);
  } catch {
    // ignored
  }
}

/** Moves the finished file into place: never replacing an existing one, unless `overwrite`. */
export async function publish(tmp: string, path: string, overwrite = false): Promise<void> {
  if (overwrite) {
    try {
      await rename(tmp, path);
      return;
    } catch (cause) {
      throw new LakeError('OP_LAKE_IO', `cannot move ${tmp} to ${path}`, { cause, details: { path } });
    }
  }
  try {
    await link(tmp, path); // atomic create-only
    await unlink(tmp);
    return;
  } catch (cause) {
    throwUnlessNoLinks(cause, tmp, path);
  }
  // No hard links here: check, then rename (a race with another writer of the same path is possible).
  if (await exists(path)) throw fileExists(path);
  try {
    await rename(tmp, path);
  } catch (cause) {
    throw new LakeError('OP_LAKE_IO', `cannot move ${tmp} to ${path}`, { cause, details: { path } });
  }
}

function publishSync(tmp: string, path: string, overwrite: boolean): void {
  if (!overwrite) {
    try {
      linkSync(tmp, path);
      unlinkSync(tmp);
      return;
    } catch (cause) {
      throwUnlessNoLinks(cause, tmp, path);
    }
    if (existsSync(path)) throw fileExists(path);
  }
  try {
    renameSync(tmp, path);
  } catch (cause) {
    throw new LakeError('OP_LAKE_IO', `cannot move ${tmp} to ${path}`, { cause, details: { path } });
  }
}

/**
 * After a failed link of `tmp` to `path`: the error to stop with, unless the file system has no
 * hard links (then the caller falls back to check-then-rename).
 */
function throwUnlessNoLinks(cause: unknown, tmp: string, path: string): void {
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === 'EEXIST') throw fileExists(path);
  if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') {
    throw new LakeError('OP_LAKE_IO', `cannot move ${tmp} to ${path}`, { cause, details: { path } });
  }
}

function fileExists(path: string): LakeError {
  return new LakeError('OP_LAKE_FILE_EXISTS', `${path} already exists`, { details: { path } });
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Files up to this size are written with blocking calls on the calling thread. Such a write (a
 * manifest, a metadata file, a small data file) takes a fraction of a millisecond in the kernel,
 * while its dozen asynchronous steps would each wait for a turn of a busy event loop and a slot of
 * libuv's four-thread pool (which DuckDB's queries take too): a commit's wall time was mostly that
 * waiting. Larger files go through the pool, so that the event loop is never held for long.
 */
export const BLOCKING_WRITE_MAX_BYTES = 4 * 1024 * 1024;

/** Writes `bytes` at `path` as `putFile` or `putFileSync` would, blocking for small files. */
export async function writeLocalFile(path: string, bytes: Uint8Array, options: PutOptions = {}): Promise<void> {
  if (bytes.length <= BLOCKING_WRITE_MAX_BYTES) putFileSync(path, bytes, options);
  else await putFile(path, bytes, options);
}

/**
 * Writes `bytes` as a file at `path` (see the module's comment), creating its directory. Nothing is
 * left under either name on failure.
 */
export async function putFile(path: string, bytes: Uint8Array, options: PutOptions = {}): Promise<void> {
  const { fsync = true, overwrite = false } = options;
  const dir = dirname(path);
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    throw new LakeError('OP_LAKE_IO', `cannot create the directory of ${path}`, { cause, details: { path } });
  }
  if (!overwrite && (await exists(path))) throw fileExists(path);
  const tmp = temporaryName(path);
  let published = false;
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(bytes);
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await publish(tmp, path, overwrite);
    published = true;
    if (fsync) await fsyncDir(dir);
  } catch (cause) {
    if (!published) await unlink(tmp).catch(() => undefined);
    if (cause instanceof LakeError) throw cause;
    throw new LakeError('OP_LAKE_IO', `cannot write ${path}`, { cause, details: { path } });
  }
}

/** `putFile` without leaving the calling thread (the writer thread's way, and small files'). */
export function putFileSync(path: string, bytes: Uint8Array, options: PutOptions = {}): void {
  const { fsync = true, overwrite = false } = options;
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (cause) {
    throw new LakeError('OP_LAKE_IO', `cannot create the directory of ${path}`, { cause, details: { path } });
  }
  if (!overwrite && existsSync(path)) throw fileExists(path);
  const tmp = temporaryName(path);
  let published = false;
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      if (fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    publishSync(tmp, path, overwrite);
    published = true;
    if (fsync) fsyncDirSync(dir);
  } catch (cause) {
    if (!published) {
      try {
        unlinkSync(tmp);
      } catch {
        // It was never created.
      }
    }
    if (cause instanceof LakeError) throw cause;
    throw new LakeError('OP_LAKE_IO', `cannot write ${path}`, { cause, details: { path } });
  }
}

/** Best effort, as `fsyncDir`. */
function fsyncDirSync(dir: string): void {
  try {
    const d = openSync(dir, fsConstants.O_RDONLY);
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // ignored
  }
}
