import { Admin } from '@platformatic/kafka';

/** The test cluster's brokers from ORDERPULSE_TEST_KAFKA_BROKERS (`host:port,...`, as scripts/services/up.sh exports it); none when unset. */
export function testKafkaBrokers(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env['ORDERPULSE_TEST_KAFKA_BROKERS'] ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
}

/**
 * Deletes the topics of a test cluster whose names start with `prefix` (a test run's own), so that a
 * long-lived development cluster does not gather every run's partitions.
 */
export async function deleteTopicsWithPrefix(brokers: readonly string[], prefix: string): Promise<void> {
  const admin = new Admin({ clientId: 'orderpulse-test-cleanup', bootstrapBrokers: [...brokers] });
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.close();
  }
}
