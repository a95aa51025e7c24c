import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { DEFAULTS, resolveSettings } from './config.js';

describe('resolveSettings', () => {
  it('takes flags over environment over config file over defaults', () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir.path, 'orderpulse.config.json'), JSON.stringify({ partitions: 3, batchSize: 100, state: 'from-file' }));
      const resolved = resolveSettings({
        flags: { partitions: 12 },
        env: { ORDERPULSE_BATCH_SIZE: '250' },
        cwd: dir.path,
      });
      assert.equal(resolved.settings.partitions, 12);
      assert.equal(resolved.sources.partitions, 'flag');
      assert.equal(resolved.settings.batchSize, 250);
      assert.equal(resolved.sources.batchSize, 'environment');
      assert.equal(resolved.settings.state, 'from-file');
      assert.equal(resolved.sources.state, 'config file');
      assert.equal(resolved.settings.durability, DEFAULTS.durability);
      assert.equal(resolved.sources.durability, 'default');
    } finally {
      dir.remove();
    }
  });

  it('names the variable and the bad value', () => {
    assert.throws(
      () => resolveSettings({ flags: {}, env: { ORDERPULSE_PARTITIONS: 'many' }, cwd: '/' }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'OP_CONFIG_BAD_VALUE');
        assert.match(e.message, /ORDERPULSE_PARTITIONS/);
        assert.match(e.message, /"many"/);
        return true;
      },
    );
    assert.throws(() => resolveSettings({ flags: {}, env: { ORDERPULSE_DURABILITY: 'maybe' }, cwd: '/' }), /process.*power/);
  });

  it('refuses a config file with unknown keys or bad JSON, naming the file', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'c.json');
      writeFileSync(file, JSON.stringify({ partitons: 3 }));
      assert.throws(() => resolveSettings({ flags: {}, configFile: file, env: {}, cwd: dir.path }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'OP_CONFIG_UNKNOWN_KEY');
        assert.ok(e.message.includes(file));
        assert.match(e.message, /"partitons"/);
        return true;
      });
      writeFileSync(file, '{ not json');
      assert.throws(() => resolveSettings({ flags: {}, configFile: file, env: {}, cwd: dir.path }), { code: 'OP_CONFIG_BAD_JSON' });
      assert.throws(
        () => resolveSettings({ flags: {}, configFile: join(dir.path, 'missing.json'), env: {}, cwd: dir.path }),
        { code: 'OP_CONFIG_UNREADABLE' },
      );
      writeFileSync(file, JSON.stringify({ batchSize: 0 }));
      assert.throws(() => resolveSettings({ flags: {}, configFile: file, env: {}, cwd: dir.path }), /"batchSize" in .*c\.json/);
    } finally {
      dir.remove();
    }
  });
});
