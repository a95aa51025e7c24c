import java.util.Collection;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.common.Node;

/**
 * Waits until a KRaft cluster serves clients: the controller quorum has a leader and the cluster
 * metadata lists the expected number of brokers (a broker is listed once it registered and was
 * unfenced). Run by scripts/services/kafka.sh as a single-file program on the broker's classpath:
 *
 *   java -cp 'libs/*' BrokersReady.java BOOTSTRAP BROKERS SECONDS
 *
 * Exits 0 when ready, 1 with the last thing it saw after SECONDS.
 */
public class BrokersReady {
  public static void main(String[] args) throws InterruptedException {
    String bootstrap = args[0];
    int expected = Integer.parseInt(args[1]);
    long deadline = System.currentTimeMillis() + Long.parseLong(args[2]) * 1000;
    Properties config = new Properties();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
    String seen = "no answer yet";
    try (Admin admin = Admin.create(config)) {
      while (System.currentTimeMillis() < deadline) {
        try {
          QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(5, TimeUnit.SECONDS);
          Collection<Node> brokers = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          seen = "quorum leader " + quorum.leaderId() + ", " + brokers.size() + " of " + expected + " brokers";
          if (quorum.leaderId() >= 0 && brokers.size() >= expected) {
            System.out.println("ready: " + seen);
            return;
          }
        } catch (Exception e) {
          seen = e.getCause() != null ? e.getCause().toString() : e.toString();
        }
        Thread.sleep(250);
      }
    }
    System.err.println("not ready after " + args[2] + " s: " + seen);
    System.exit(1);
  }
}
