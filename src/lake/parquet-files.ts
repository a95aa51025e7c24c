import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, constants as fsConstants, linkSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LakeError } from './errors.js';

/**
 * Putting a finished data file in place: fsync, then an atomic create-only move, so that a crash
 * leaves at most a hidden temporary file, never a partial file under the real name.
 */

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

/** Moves the finished file into place without ever replacing an existing one. */
export async function publish(tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path); // atomic create-only
    await unlink(tmp);
    return;
  } catch (cause) {
    throwUnlessNoLinks(cause, tmp, path);
  }
  // No hard links here: check, then rename (a race with another writer of the same path is possible).
  if (await exists(path)) throw new LakeError('OP_LAKE_FILE_EXISTS', `${path} already exists`, { details: { path } });
  try {
    await rename(tmp, path);
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
  if (code === 'EEXIST') throw new LakeError('OP_LAKE_FILE_EXISTS', `${path} already exists`, { details: { path } });
  if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') {
    throw new LakeError('OP_LAKE_IO', `cannot move ${tmp} to ${path}`, { cause, details: { path } });
  }
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** A hidden temporary name next to `path`. */
export function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
}

/**
 * Writes `bytes` as a new file at `path`, durably: into a temporary file, fsynced, moved into place
 * (never replacing a file), and the directory fsynced. Nothing is left under either name on failure.
 */
export async function putFile(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    throw new LakeError('OP_LAKE_IO', `cannot create the directory of ${path}`, { cause, details: { path } });
  }
  if (await exists(path)) throw new LakeError('OP_LAKE_FILE_EXISTS', `${path} already exists`, { details: { path } });
  const tmp = temporaryName(path);
  let published = false;
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await publish(tmp, path);
    published = true;
    await fsyncDir(dir);
  } catch (cause) {
    if (!published) await unlink(tmp).catch(() => undefined);
    if (cause instanceof LakeError) throw cause;
    throw new LakeError('OP_LAKE_IO', `cannot write ${path}`, { cause, details: { path } });
  }
}

/**
 * `putFile` without leaving the calling thread: for the writer thread, where blocking is harmless
 * and the file system calls need not queue behind others on libuv's shared pool (DuckDB's queries
 * of the main thread take its slots too).
 */
export function putFileSync(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (cause) {
    throw new LakeError('OP_LAKE_IO', `cannot create the directory of ${path}`, { cause, details: { path } });
  }
  if (existsSync(path)) throw new LakeError('OP_LAKE_FILE_EXISTS', `${path} already exists`, { details: { path } });
  const tmp = temporaryName(path);
  let published = false;
  try {
    const fd = openSync(tmp, 'wx');
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    publishSync(tmp, path);
    published = true;
    try {
      const d = openSync(dir, fsConstants.O_RDONLY);
      try {
        fsyncSync(d);
      } finally {
        closeSync(d);
      }
    } catch {
      // Best effort, as `fsyncDir`.
    }
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

function publishSync(tmp: string, path: string): void {
  try {
    linkSync(tmp, path);
    unlinkSync(tmp);
    return;
  } catch (cause) {
    throwUnlessNoLinks(cause, tmp, path);
  }
  if (existsSync(path)) throw new LakeError('OP_LAKE_FILE_EXISTS', `${path} already exists`, { details: { path } });
  try {
    renameSync(tmp, path);
  } catch (cause) {
    throw new LakeError('OP_LAKE_IO', `cannot move ${tmp} to ${path}`, { cause, details: { path } });
  }
}
