import { constants as fsConstants } from 'node:fs';
import { link, open, rename, stat, unlink } from 'node:fs/promises';
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
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new LakeError('OP_LAKE_FILE_EXISTS', `${path} already exists`, { details: { path } });
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') {
      throw new LakeError('OP_LAKE_IO', `cannot move ${tmp} to ${path}`, { cause, details: { path } });
    }
  }
  // No hard links here: check, then rename (a race with another writer of the same path is possible).
  if (await exists(path)) throw new LakeError('OP_LAKE_FILE_EXISTS', `${path} already exists`, { details: { path } });
  try {
    await rename(tmp, path);
  } catch (cause) {
    throw new LakeError('OP_LAKE_IO', `cannot move ${tmp} to ${path}`, { cause, details: { path } });
  }
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
