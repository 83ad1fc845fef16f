// tlspeer: Go's crypto/tls as an interop peer for twisted_reneg's tests.
//
// One program, standard library only, client or server by -mode.  It makes
// (client) or accepts (server) -connections sequential connections, runs the
// -do script on each and prints what happened as "key=value" lines on
// standard output, one block per connection opened by "conn=N":
//
//	conn=1
//	version=TLSv1.3
//	cipher=TLS_AES_128_GCM_SHA256
//	resumed=false
//	peer-cert=localhost
//	alpn=
//	read=hello
//	read-error=EOF
//	end=1
//
// Errors never stop the program: they are printed ("error=", "read-error=",
// "write-error=") and the script goes on, so that a test sees everything Go
// did and decides for itself.  A server prints "listening=PORT" once it
// accepts connections; "exit=0" is the last line of a run that was not
// killed.
//
// Script actions (-do, repeated, in order):
//
//	write:TEXT   write TEXT and a newline
//	read         read one line, print read=LINE (or read-error=...)
//	echo         write back every line read, until the peer closes
//	state        print the connection state again (after a renegotiation)
//	wait         wait for a line on standard input (the test says go on)
//	closewrite   send close_notify (CloseWrite); the script goes on
//	drop-alpn    offer no ALPN from now on (in a renegotiation), as browsers do
//
// With -http URL a client instead makes one GET through net/http and
// prints proto=, status=, body= and the TLS state of the connection used.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// actions collects the repeated -do flag.
type actions []string

func (a *actions) String() string     { return strings.Join(*a, ";") }
func (a *actions) Set(v string) error { *a = append(*a, v); return nil }

var (
	mode          = flag.String("mode", "client", "client or server")
	addr          = flag.String("addr", "127.0.0.1:0", "client: address to connect to; server: address to listen on")
	version       = flag.String("version", "any", "1.2, 1.3 or any (both)")
	certPath      = flag.String("cert", "", "our certificate (PEM); a client's is sent when asked")
	keyPath       = flag.String("key", "", "the key of -cert (PEM)")
	caPath        = flag.String("ca", "", "CA to verify the peer with (client: the server's; server: clients')")
	serverName    = flag.String("servername", "localhost", "client: SNI and the name verified")
	renegotiation = flag.String("renegotiation", "never", "client: never, once or freely (TLS 1.2 HelloRequest)")
	getClientCert = flag.Bool("get-client-cert", false, "client: offer -cert only through GetClientCertificate")
	clientAuth    = flag.String("client-auth", "none", "server: none, request, require, verify-if-given or require-and-verify")
	sessionCache  = flag.Int("session-cache", 0, "client: size of an LRU ClientSessionCache (0: none)")
	noTickets     = flag.Bool("no-tickets", false, "server: SessionTicketsDisabled")
	connections   = flag.Int("connections", 1, "sequential connections to make or accept")
	alpn          = flag.String("alpn", "", "comma-separated ALPN protocols")
	timeout       = flag.Duration("timeout", 20*time.Second, "deadline of each connection")
	httpURL       = flag.String("http", "", "client: GET this URL with net/http instead of running the script")
	script        actions
)

var stdin = bufio.NewReader(os.Stdin)

func say(key, value string) {
	// One write per line: the test reads our output as it comes.
	fmt.Fprintf(os.Stdout, "%s=%s\n", key, value)
}

func fail(key string, err error) {
	say(key, strings.ReplaceAll(err.Error(), "\n", " "))
}

func versionName(v uint16) string {
	switch v {
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

func config() (*tls.Config, error) {
	cfg := &tls.Config{ServerName: *serverName}
	switch *version {
	case "1.2":
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	case "1.3":
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS13, tls.VersionTLS13
	case "any":
		cfg.MinVersion = tls.VersionTLS12
	default:
		return nil, fmt.Errorf("unknown -version %q", *version)
	}
	if *alpn != "" {
		cfg.NextProtos = strings.Split(*alpn, ",")
	}
	if *caPath != "" {
		pem, err := os.ReadFile(*caPath)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", *caPath)
		}
		cfg.RootCAs, cfg.ClientCAs = pool, pool
	}
	var certs []tls.Certificate
	if *certPath != "" {
		cert, err := tls.LoadX509KeyPair(*certPath, *keyPath)
		if err != nil {
			return nil, err
		}
		certs = []tls.Certificate{cert}
	}
	if *mode == "server" {
		cfg.Certificates = certs
		cfg.SessionTicketsDisabled = *noTickets
		auth, ok := map[string]tls.ClientAuthType{
			"none":               tls.NoClientCert,
			"request":            tls.RequestClientCert,
			"require":            tls.RequireAnyClientCert,
			"verify-if-given":    tls.VerifyClientCertIfGiven,
			"require-and-verify": tls.RequireAndVerifyClientCert,
		}[*clientAuth]
		if !ok {
			return nil, fmt.Errorf("unknown -client-auth %q", *clientAuth)
		}
		cfg.ClientAuth = auth
		return cfg, nil
	}
	reneg, ok := map[string]tls.RenegotiationSupport{
		"never":  tls.RenegotiateNever,
		"once":   tls.RenegotiateOnceAsClient,
		"freely": tls.RenegotiateFreelyAsClient,
	}[*renegotiation]
	if !ok {
		return nil, fmt.Errorf("unknown -renegotiation %q", *renegotiation)
	}
	cfg.Renegotiation = reneg
	if *sessionCache > 0 {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(*sessionCache)
	}
	if *getClientCert {
		// Called when the server sends a CertificateRequest, also in a
		// renegotiation: the line tells the test that Go was asked.
		cfg.GetClientCertificate = func(info *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			say("client-cert-requested", versionName(info.Version))
			if len(certs) == 0 {
				return &tls.Certificate{}, nil
			}
			return &certs[0], nil
		}
	} else {
		cfg.Certificates = certs
	}
	return cfg, nil
}

func printState(state tls.ConnectionState) {
	say("version", versionName(state.Version))
	say("cipher", tls.CipherSuiteName(state.CipherSuite))
	say("resumed", fmt.Sprint(state.DidResume))
	peer := ""
	if len(state.PeerCertificates) > 0 {
		peer = state.PeerCertificates[0].Subject.CommonName
	}
	say("peer-cert", peer)
	say("alpn", state.NegotiatedProtocol)
}

// run does the handshake and the script on one connection; cfg is the
// Config the connection uses.
func run(conn *tls.Conn, cfg *tls.Config) {
	conn.SetDeadline(time.Now().Add(*timeout))
	if err := conn.Handshake(); err != nil {
		fail("error", err)
		return
	}
	printState(conn.ConnectionState())
	reader := bufio.NewReader(conn)
	write := func(text string) {
		if _, err := conn.Write([]byte(text + "\n")); err != nil {
			fail("write-error", err)
		}
	}
	for _, action := range script {
		name, arg, _ := strings.Cut(action, ":")
		switch name {
		case "write":
			write(arg)
		case "read":
			line, err := reader.ReadString('\n')
			if err != nil {
				fail("read-error", err)
				// A failed read does not end the script: after refusing a
				// renegotiation Go's Read fails once and reads on.
				continue
			}
			say("read", strings.TrimSuffix(line, "\n"))
		case "echo":
			for {
				line, err := reader.ReadString('\n')
				if err != nil {
					if err != io.EOF {
						fail("read-error", err)
					} else {
						say("read-error", "EOF")
					}
					break
				}
				say("echoed", strings.TrimSuffix(line, "\n"))
				write(strings.TrimSuffix(line, "\n"))
			}
		case "state":
			printState(conn.ConnectionState())
		case "wait":
			if _, err := stdin.ReadString('\n'); err != nil {
				fail("stdin-error", err)
			}
		case "drop-alpn":
			// crypto/tls asks that a Config in use be left alone; this one
			// is only read again by the renegotiation that this goroutine
			// runs inside a later Read, so nothing races.  It is the only
			// way to make Go's renegotiation ClientHello offer no ALPN.
			cfg.NextProtos = nil
		case "closewrite":
			if err := conn.CloseWrite(); err != nil {
				fail("close-error", err)
			}
		default:
			say("error", "unknown action "+action)
		}
	}
}

func client(cfg *tls.Config) {
	for i := 1; i <= *connections; i++ {
		say("conn", fmt.Sprint(i))
		dialer := &net.Dialer{Timeout: *timeout}
		conn, err := tls.DialWithDialer(dialer, "tcp", *addr, cfg)
		if err != nil {
			fail("error", err)
		} else {
			run(conn, cfg)
			conn.Close()
		}
		say("end", fmt.Sprint(i))
	}
}

func server(cfg *tls.Config) {
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		fail("error", err)
		return
	}
	defer listener.Close()
	say("listening", fmt.Sprint(listener.Addr().(*net.TCPAddr).Port))
	for i := 1; i <= *connections; i++ {
		raw, err := listener.Accept()
		if err != nil {
			fail("error", err)
			return
		}
		say("conn", fmt.Sprint(i))
		conn := tls.Server(raw, cfg)
		run(conn, cfg)
		conn.Close()
		say("end", fmt.Sprint(i))
	}
}

func httpGet(cfg *tls.Config) {
	transport := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}
	httpClient := &http.Client{Transport: transport, Timeout: *timeout}
	say("conn", "1")
	response, err := httpClient.Get(*httpURL)
	if err != nil {
		fail("error", err)
		return
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		fail("read-error", err)
	}
	if response.TLS != nil {
		printState(*response.TLS)
	}
	say("proto", response.Proto)
	say("status", fmt.Sprint(response.StatusCode))
	say("body", strings.TrimSpace(string(body)))
	transport.CloseIdleConnections()
	say("end", "1")
}

func main() {
	flag.Var(&script, "do", "a script action (repeatable)")
	flag.Parse()
	cfg, err := config()
	if err != nil {
		fail("error", err)
		os.Exit(2)
	}
	switch {
	case *mode == "server":
		server(cfg)
	case *httpURL != "":
		httpGet(cfg)
	default:
		client(cfg)
	}
	say("exit", "0")
}
