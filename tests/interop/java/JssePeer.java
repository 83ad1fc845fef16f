/*
 * A JSSE peer for twisted_reneg's interop tests (tests/interop/test_java.py).
 *
 * One program, client or server, on plain SSLSocket / SSLServerSocket, so
 * that what it does is what any Java application using the JDK's TLS does.
 * Compiled with --release 17 and run on every JDK the tests know.
 *
 *   java JssePeer client|server [options] [action...]
 *
 * Options:
 *   --port N             client: the port on 127.0.0.1 to connect to (a
 *                        comma-separated list: connection i goes to entry
 *                        i modulo its length); server: the port to listen
 *                        on, 0 for any (printed as "listening=N")
 *   --host NAME          client: the name sent in SNI and verified in the
 *                        server's certificate (default localhost)
 *   --version V          TLSv1.2 or TLSv1.3; a comma-separated list on a
 *                        client picks one per connection like --port; on a
 *                        server enables all of them
 *   --keystore F         PKCS#12 key material: the server's certificate,
 *                        or the client's certificate offered when asked
 *   --password P         the keystore's password
 *   --ca F               PEM CA certificate(s) to trust
 *   --need-client-auth   server: require a client certificate
 *   --want-client-auth   server: ask for a client certificate
 *   --connections N      sequential connections with one SSLContext (so
 *                        one session cache: resumption), default 1
 *   --timeout S          socket read timeout in seconds, default 20
 *
 * Actions, run in order on every connection after its handshake:
 *   write:TEXT           write TEXT and a newline
 *   read                 read a line ("read=LINE")
 *   echo                 read a line and write it back
 *   expect:PREFIX        read lines until one starts with PREFIX
 *   handshake            startHandshake() on the live connection: TLS 1.2
 *                        renegotiation (a ClientHello from a client, a
 *                        HelloRequest from a server), TLS 1.3 KeyUpdate;
 *                        it completes while the connection next reads
 *   need-client-auth     server: setNeedClientAuth(true), for the next
 *                        handshake
 *   session              print the current session
 *   read-eof             read until the peer closes
 *
 * Every result is one "key=value" line on stdout; an exception is printed
 * as "error=Class: message" (with "cause=" lines) and ends that
 * connection's script, never the program.  The last line is "done".
 */

import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.HandshakeCompletedEvent;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

public final class JssePeer {
    private boolean server;
    private String[] ports = {"0"};
    private String host = "localhost";
    private String[] versions = {"TLSv1.3"};
    private String keystore;
    private String password = "";
    private String ca;
    private boolean needClientAuth;
    private boolean wantClientAuth;
    private int connections = 1;
    private int timeoutMillis = 20000;
    private final List<String> actions = new ArrayList<>();

    public static void main(String[] args) {
        JssePeer peer = new JssePeer();
        try {
            peer.parse(args);
            SSLContext context = peer.context();
            if (peer.server) {
                peer.serve(context);
            } else {
                peer.connect(context);
            }
        } catch (Throwable e) {
            report(e);
        }
        say("done");
    }

    /** One output line, whole: the handshake listener prints from its own thread. */
    static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static void report(Throwable e) {
        say("error=" + describe(e));
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            say("cause=" + describe(cause));
        }
    }

    static String describe(Throwable e) {
        return e.getClass().getName() + ": " + e.getMessage();
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "client": server = false; break;
                case "server": server = true; break;
                case "--port": ports = args[++i].split(","); break;
                case "--host": host = args[++i]; break;
                case "--version": versions = args[++i].split(","); break;
                case "--keystore": keystore = args[++i]; break;
                case "--password": password = args[++i]; break;
                case "--ca": ca = args[++i]; break;
                case "--need-client-auth": needClientAuth = true; break;
                case "--want-client-auth": wantClientAuth = true; break;
                case "--connections": connections = Integer.parseInt(args[++i]); break;
                case "--timeout": timeoutMillis = 1000 * Integer.parseInt(args[++i]); break;
                case "--": break;
                default:
                    if (arg.startsWith("--")) {
                        throw new IllegalArgumentException("unknown option " + arg);
                    }
                    actions.add(arg);
            }
        }
    }

    private SSLContext context() throws Exception {
        KeyManager[] keyManagers = null;
        if (keystore != null) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = new FileInputStream(keystore)) {
                keys.load(in, password.toCharArray());
            }
            // PKIX (not the default SunX509): it picks a certificate by the
            // key types and CA names the peer asks for.
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
            kmf.init(keys, password.toCharArray());
            keyManagers = kmf.getKeyManagers();
        }
        TrustManager[] trustManagers = null;
        if (ca != null) {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            int n = 0;
            try (InputStream in = new FileInputStream(ca)) {
                for (Certificate cert : factory.generateCertificates(in)) {
                    trust.setCertificateEntry("ca" + n++, cert);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            trustManagers = tmf.getTrustManagers();
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers, trustManagers, null);
        return context;
    }

    private void serve(SSLContext context) throws Exception {
        try (SSLServerSocket listener = (SSLServerSocket) context.getServerSocketFactory()
                .createServerSocket(Integer.parseInt(ports[0]), 50,
                        InetAddress.getByName("127.0.0.1"))) {
            listener.setEnabledProtocols(versions);
            listener.setNeedClientAuth(needClientAuth);
            if (wantClientAuth) {
                listener.setWantClientAuth(true);
            }
            say("listening=" + listener.getLocalPort());
            for (int i = 0; i < connections; i++) {
                SSLSocket socket;
                try {
                    socket = (SSLSocket) listener.accept();
                } catch (IOException e) {
                    report(e);
                    continue;
                }
                converse(i, socket);
            }
        }
    }

    private void connect(SSLContext context) throws Exception {
        for (int i = 0; i < connections; i++) {
            int port = Integer.parseInt(ports[i % ports.length]);
            String version = versions[i % versions.length];
            SSLSocket socket;
            try {
                Socket raw = new Socket();
                raw.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
                // Layered on a socket to 127.0.0.1 with the name given: the
                // name is what the session cache is keyed by (host and
                // port), what SNI carries and what the certificate must
                // match, and "localhost" may resolve to ::1 first.
                socket = (SSLSocket) context.getSocketFactory()
                        .createSocket(raw, host, port, true);
            } catch (IOException e) {
                report(e);
                continue;
            }
            socket.setEnabledProtocols(new String[] {version});
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            // JSSE sends no SNI for a dotless name like "localhost" unless
            // told to.
            parameters.setServerNames(List.of(new SNIHostName(host)));
            socket.setSSLParameters(parameters);
            converse(i, socket);
        }
    }

    private void converse(int index, SSLSocket socket) {
        say("connection=" + index);
        try (SSLSocket s = socket) {
            s.setSoTimeout(timeoutMillis);
            s.addHandshakeCompletedListener(JssePeer::handshakeCompleted);
            s.startHandshake();
            awaitNotifications();
            printSession("", s.getSession());
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            for (String action : actions) {
                if (!perform(action, s, in, out)) {
                    break;
                }
            }
        } catch (Throwable e) {
            report(e);
        }
        awaitNotifications();
        say("closed=" + index);
    }

    /**
     * Wait for JSSE's handshake-completed notifications to be printed: it
     * calls listeners on a thread it starts as the handshake completes, so
     * without this a renegotiation's line could come after "closed=".
     */
    static void awaitNotifications() {
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().startsWith("HandshakeCompletedNotify")) {
                try {
                    thread.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * Called after every completed handshake, renegotiations included
     * (never for a TLS 1.3 KeyUpdate), on a thread of JSSE's.
     */
    static void handshakeCompleted(HandshakeCompletedEvent event) {
        say("handshake-completed=" + event.getSession().getProtocol()
                + " " + event.getCipherSuite()
                + " peer-cert=" + peerName(event.getSession()));
    }

    private boolean perform(String action, SSLSocket s, InputStream in, OutputStream out)
            throws IOException {
        if (action.startsWith("write:")) {
            String text = action.substring("write:".length());
            out.write((text + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            say("wrote=" + text);
        } else if (action.equals("read")) {
            String line = readLine(in);
            if (line == null) {
                say("eof");
                return false;
            }
            say("read=" + line);
        } else if (action.equals("echo")) {
            String line = readLine(in);
            if (line == null) {
                say("eof");
                return false;
            }
            say("read=" + line);
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            say("wrote=" + line);
        } else if (action.startsWith("expect:")) {
            String prefix = action.substring("expect:".length());
            while (true) {
                String line = readLine(in);
                if (line == null) {
                    say("eof");
                    return false;
                }
                say("read=" + line);
                if (line.startsWith(prefix)) {
                    break;
                }
            }
        } else if (action.equals("handshake")) {
            s.startHandshake();
            say("handshake-started");
        } else if (action.equals("need-client-auth")) {
            s.setNeedClientAuth(true);
            say("need-client-auth");
        } else if (action.equals("session")) {
            printSession("", s.getSession());
        } else if (action.equals("read-eof")) {
            while (readLine(in) != null) {
                // Whatever comes before the end.
            }
            say("eof");
            return false;
        } else {
            throw new IllegalArgumentException("unknown action " + action);
        }
        return true;
    }

    /**
     * A line without its end, or null at the end of the stream.  Byte by
     * byte: a buffered reader would read ahead of what the script asked
     * for, and a read is what makes JSSE process handshake messages.
     */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            }
            if (b == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(b);
        }
    }

    static void printSession(String prefix, SSLSession session) {
        say(prefix + "protocol=" + session.getProtocol());
        say(prefix + "cipher=" + session.getCipherSuite());
        say(prefix + "peer-cert=" + peerName(session));
        say(prefix + "local-cert=" + localName(session));
        say(prefix + "session-id=" + HexFormat.of().formatHex(session.getId()));
        say(prefix + "session-created=" + session.getCreationTime());
    }

    static String peerName(SSLSession session) {
        try {
            Certificate[] chain = session.getPeerCertificates();
            return commonName((X509Certificate) chain[0]);
        } catch (SSLPeerUnverifiedException e) {
            return "none";
        }
    }

    static String localName(SSLSession session) {
        Certificate[] chain = session.getLocalCertificates();
        if (chain == null || chain.length == 0) {
            return "none";
        }
        return commonName((X509Certificate) chain[0]);
    }

    static String commonName(X509Certificate cert) {
        for (String part : cert.getSubjectX500Principal().getName().split(",")) {
            if (part.startsWith("CN=")) {
                return part.substring(3);
            }
        }
        return cert.getSubjectX500Principal().getName();
    }
}
