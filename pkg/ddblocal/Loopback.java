// Loopback runs DynamoDB Local as its own main class does, with two differences that its
// command line cannot express:
//
//   - It listens on one address (system property ddblocal.host, default 127.0.0.1). The jar's
//     main class builds its Jetty server with new Server(port), which listens on every
//     interface, and no option changes that (DynamoDB Local 3.3.0, -help). The server is
//     built by ServerRunner.createServerFromCommandLineArgs, DynamoDB Local's public entry
//     point for running it inside a Java program; its Jetty server is a private field that
//     is read by reflection, so a DynamoDB Local that renames it makes this fail with exit
//     status 3 instead of silently listening everywhere.
//   - With ddblocal.watchStdin=true it exits as soon as its standard input reaches end of
//     file: the Go process that started it holds the pipe's other end, and the kernel closes
//     that end when the process dies, however it dies (kill -9 included, on every OS).
//
// Once it listens, or once it has failed, it writes one line to the file named by
// ddblocal.status: "listening HOST:PORT", or "failed: REASON". That tells the starter that
// the engine answering on the port is this process, not an older one that holds the port.
//
// pkg/ddblocal runs it with Java's source-file mode (java -cp DynamoDBLocal.jar Loopback.java),
// so nothing is compiled ahead of time. Exit status: 2 when it cannot listen (port taken),
// 3 when the server cannot be limited to the address, 4 for bad arguments.

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class Loopback {
    public static void main(String[] args) {
        String host = System.getProperty("ddblocal.host", "127.0.0.1");
        String statusPath = System.getProperty("ddblocal.status");
        Path status = statusPath == null ? null : Path.of(statusPath);
        if (Boolean.getBoolean("ddblocal.watchStdin")) {
            watchStdin();
        }

        DynamoDBProxyServer proxy;
        try {
            proxy = ServerRunner.createServerFromCommandLineArgs(args);
        } catch (Exception e) {
            fail(status, 4, "DynamoDB Local arguments: " + e);
            return;
        }
        ServerConnector connector;
        try {
            Field f = DynamoDBProxyServer.class.getDeclaredField("server");
            f.setAccessible(true);
            Connector[] connectors = ((Server) f.get(proxy)).getConnectors();
            if (connectors.length != 1) {
                throw new IllegalStateException(connectors.length + " connectors, want 1");
            }
            connector = (ServerConnector) connectors[0];
            connector.setHost(host);
        } catch (ReflectiveOperationException | RuntimeException e) {
            fail(status, 3, "cannot limit DynamoDB Local to " + host + " (its internals changed?): " + e);
            return;
        }
        try {
            proxy.start();
        } catch (Exception e) {
            fail(status, 2, "cannot listen on " + host + ":" + connector.getPort() + ": " + rootCause(e));
            return;
        }
        // DynamoDBProxyServer.start reports some bind errors on stderr and returns normally.
        if (!connector.isStarted() || connector.getLocalPort() <= 0) {
            fail(status, 2, "cannot listen on " + host + ":" + connector.getPort());
            return;
        }
        writeStatus(status, "listening " + host + ":" + connector.getLocalPort());
        // Jetty's threads keep the JVM running.
    }

    // watchStdin exits the JVM when standard input ends: the starter has died.
    private static void watchStdin() {
        Thread t = new Thread(() -> {
            InputStream in = System.in;
            byte[] buf = new byte[64];
            try {
                while (in.read(buf) >= 0) {
                    // The starter never writes; ignore anything that arrives.
                }
            } catch (IOException e) {
                // A broken pipe means the same: nobody is there any more.
            }
            System.err.println("ddblocal: the process that started DynamoDB Local is gone; exiting");
            // halt, not exit: nothing may keep this process alive now.
            Runtime.getRuntime().halt(0);
        }, "ddblocal-stdin-watch");
        t.setDaemon(true);
        t.start();
    }

    private static Throwable rootCause(Throwable e) {
        while (e.getCause() != null && e.getCause() != e) {
            e = e.getCause();
        }
        return e;
    }

    private static void fail(Path status, int code, String reason) {
        System.err.println("ddblocal: " + reason);
        writeStatus(status, "failed: " + reason);
        System.exit(code);
    }

    // writeStatus writes the line through a rename, so the starter never reads half of it.
    private static void writeStatus(Path status, String line) {
        if (status == null) {
            return;
        }
        try {
            Path tmp = status.resolveSibling(status.getFileName() + ".tmp");
            Files.writeString(tmp, line + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, status, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            System.err.println("ddblocal: status file " + status + ": " + e);
        }
    }
}
