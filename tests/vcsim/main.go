// Command driftguard-vcsim runs the govmomi vCenter simulator (vcsim 0.24.2)
// with a preloaded, realistic vSphere configuration for driftguard's tests.
//
// It prints exactly one JSON line on stdout once the server accepts
// connections (URL, pid, inventory summary) and logs only to stderr.
// See README.md in this directory for flags, preloaded state and the
// extensions that mirror vCenter behaviour vcsim lacks.
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// exitStopAfterRequests is the exit status after -stop-after-requests fired.
// It is distinct from 1 (startup failure) so tests can tell the two apart.
const exitStopAfterRequests = 3

type options struct {
	datacenters     int
	clusters        int
	hosts           int
	standaloneHosts int
	vms             int
	tls             bool
	listen          string
	stopAfter       int64
	username        string
	password        string
	exitOnStdinEOF  bool
	trace           bool
}

func parseFlags() options {
	var o options
	flag.IntVar(&o.datacenters, "datacenters", 1, "number of datacenters")
	flag.IntVar(&o.clusters, "clusters", 2, "clusters per datacenter")
	flag.IntVar(&o.hosts, "hosts", 3, "hosts per cluster")
	flag.IntVar(&o.standaloneHosts, "standalone-hosts", 1, "standalone hosts per datacenter")
	flag.IntVar(&o.vms, "vms", 2, "virtual machines per host")
	flag.BoolVar(&o.tls, "tls", false, "serve https with a fresh self-signed certificate (default: plain http)")
	flag.StringVar(&o.listen, "listen", "127.0.0.1:0", "listen address (port 0 picks a free port)")
	flag.Int64Var(&o.stopAfter, "stop-after-requests", 0,
		"after serving N SOAP requests on /sdk, drop all connections and exit with status 3 (0 = off)")
	flag.StringVar(&o.username, "username", "",
		"accept only this user name and -password (default: any non-empty user name and password, like vcsim)")
	flag.StringVar(&o.password, "password", "", "the password that goes with -username")
	flag.BoolVar(&o.exitOnStdinEOF, "exit-on-stdin-eof", false,
		"exit cleanly when stdin reaches EOF (lets a parent that dies without cleanup take the simulator with it)")
	flag.BoolVar(&o.trace, "trace", false, "log SOAP requests and responses to stderr")
	flag.Parse()

	if flag.NArg() != 0 {
		fatalf("unexpected arguments: %q", flag.Args())
	}
	for name, v := range map[string]int{
		"datacenters": o.datacenters, "clusters": o.clusters, "hosts": o.hosts,
		"standalone-hosts": o.standaloneHosts, "vms": o.vms,
	} {
		if v < 0 {
			fatalf("-%s must not be negative", name)
		}
	}
	if o.datacenters < 1 {
		fatalf("-datacenters must be at least 1")
	}
	if o.stopAfter < 0 {
		fatalf("-stop-after-requests must not be negative")
	}
	if (o.username == "") != (o.password == "") {
		fatalf("-username and -password go together")
	}
	return o
}

func fatalf(format string, args ...interface{}) {
	log.Printf("driftguard-vcsim: "+format, args...)
	os.Exit(1)
}

func main() {
	started := time.Now()
	log.SetOutput(os.Stderr)
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	opts := parseFlags()
	simulator.Trace = opts.trace
	// Catch SIGTERM/SIGINT from the start: one arriving while the inventory is
	// built is handled (clean exit 0) as soon as the server is up.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)

	model := simulator.VPX()
	model.Datacenter = opts.datacenters
	model.Cluster = opts.clusters
	model.ClusterHost = opts.hosts
	model.Host = opts.standaloneHosts
	// VMs are created per host by preload (vcsim's Model.Machine counts per
	// resource pool and places cluster VMs on random hosts).
	model.Machine = 0
	model.Portgroup = 1 // one DVS per datacenter with DCn_DVPG0
	model.Datastore = 1
	if err := model.Create(); err != nil {
		fatalf("creating the vcsim model: %v", err)
	}
	created := time.Now()

	inv, err := preload(model, opts)
	if err != nil {
		model.Remove()
		fatalf("preloading configuration: %v", err)
	}
	installExtensions()
	log.Printf("driftguard-vcsim: vcsim model built in %s, preloaded in %s",
		created.Sub(started).Round(time.Millisecond), time.Since(created).Round(time.Millisecond))

	front, err := newFrontServer(model, opts)
	if err != nil {
		model.Remove()
		fatalf("%v", err)
	}

	info := startupInfo{
		URL:          front.url,
		Host:         front.host,
		Port:         front.port,
		TLS:          opts.tls,
		PID:          os.Getpid(),
		AnyLogin:     opts.username == "",
		Datacenters:  inv.Datacenters,
		Counts:       inv.Counts,
		StopAfter:    opts.stopAfter,
		StartupMilli: time.Since(started).Milliseconds(),
	}
	about := simulator.Map.Get(serviceInstanceRef).(*simulator.ServiceInstance).Content.About
	info.Version, info.Build, info.InstanceUUID = about.Version, about.Build, about.InstanceUuid
	login := model.Service.Listen.User // set by NewServer: -username or vcsim's default
	info.Username = login.Username()
	info.Password, _ = login.Password()
	if front.cert != nil {
		info.CertPEM = front.cert.pem
		info.CertSHA1 = front.cert.sha1
		info.CertSHA256 = front.cert.sha256
	}

	go front.serve()

	line, err := json.Marshal(info)
	if err != nil {
		front.abort(1, "encoding the startup line: "+err.Error())
	}
	if _, err := os.Stdout.Write(append(line, '\n')); err != nil {
		front.abort(1, "writing the startup line: "+err.Error())
	}
	log.Printf("driftguard-vcsim: serving %s (pid %d, %d hosts, %d VMs, started in %s)",
		front.url, os.Getpid(), inv.Counts.Hosts, inv.Counts.VMs, time.Since(started).Round(time.Millisecond))

	reason := make(chan string, 1)
	go func() { reason <- "signal " + (<-stop).String() }()
	if opts.exitOnStdinEOF {
		go func() {
			_, _ = io.Copy(ioutil.Discard, os.Stdin)
			reason <- "stdin closed"
		}()
	}
	why := <-reason
	log.Printf("driftguard-vcsim: %s, shutting down", why)
	front.shutdown()
	os.Exit(0)
}

var serviceInstanceRef = types.ManagedObjectReference{Type: "ServiceInstance", Value: "ServiceInstance"}

// startupInfo is the single JSON line printed on stdout.
type startupInfo struct {
	URL          string          `json:"url"`
	Host         string          `json:"host"`
	Port         int             `json:"port"`
	TLS          bool            `json:"tls"`
	PID          int             `json:"pid"`
	Username     string          `json:"username"`
	Password     string          `json:"password"`
	AnyLogin     bool            `json:"any_login"` // true: any non-empty user/password logs in
	Version      string          `json:"version"`
	Build        string          `json:"build"`
	InstanceUUID string          `json:"instance_uuid"`
	CertPEM      string          `json:"cert_pem,omitempty"`
	CertSHA1     string          `json:"cert_sha1,omitempty"`
	CertSHA256   string          `json:"cert_sha256,omitempty"`
	StopAfter    int64           `json:"stop_after_requests"`
	StartupMilli int64           `json:"startup_ms"`
	Counts       inventoryCounts `json:"counts"`
	Datacenters  []dcInfo        `json:"datacenters"`
}

// frontServer owns the public listener. vcsim's own server (started by
// Service.NewServer) is closed right away: the launcher serves vcsim's
// ServeMux itself so it can count SOAP requests and drop every connection
// at once for -stop-after-requests, which vcsim has no hook for.
type frontServer struct {
	mux       http.Handler
	model     *simulator.Model
	listener  net.Listener
	srv       *http.Server
	url       string
	host      string
	port      int
	cert      *selfSignedCert
	stopAfter int64
	served    int64 // SOAP requests seen on /sdk, atomically updated

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	lastConn net.Conn // carries the -stop-after-requests N-th request
	once     sync.Once
}

func newFrontServer(model *simulator.Model, opts options) (*frontServer, error) {
	l, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %v", opts.listen, err)
	}
	addr := l.Addr().(*net.TCPAddr)
	f := &frontServer{
		model:     model,
		listener:  l,
		host:      addr.IP.String(),
		port:      addr.Port,
		stopAfter: opts.stopAfter,
		conns:     make(map[net.Conn]struct{}),
	}
	scheme := "http"
	if opts.tls {
		f.cert, err = newSelfSignedCert(addr.IP)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("creating the TLS certificate: %v", err)
		}
		f.listener = tls.NewListener(l, &tls.Config{
			Certificates: []tls.Certificate{f.cert.tls},
			NextProtos:   []string{"http/1.1"},
			MinVersion:   tls.VersionTLS12,
		})
		scheme = "https"
	}
	hostPort := net.JoinHostPort(f.host, fmt.Sprint(f.port))
	f.url = scheme + "://" + hostPort + "/sdk"

	// With Listen.User set, vcsim's Login accepts only that user/password.
	if opts.username != "" {
		model.Service.Listen = &url.URL{User: url.UserPassword(opts.username, opts.password)}
	}
	// NewServer registers every vcsim endpoint on Service.ServeMux and
	// rewrites the URLs vcsim hands out; its listener is then discarded.
	internal := model.Service.NewServer()
	internalHost := internal.URL.Host
	internal.Close()
	f.mux = model.Service.ServeMux
	simulator.Map.SessionManager().ServiceHostName = hostPort
	for _, opt := range simulator.Map.OptionManager().Setting {
		o := opt.GetOptionValue()
		if s, ok := o.Value.(string); ok && strings.Contains(s, internalHost) {
			s = strings.Replace(s, internalHost, hostPort, -1)
			if strings.HasPrefix(s, "http://") && opts.tls {
				s = "https://" + strings.TrimPrefix(s, "http://")
			}
			o.Value = s
		}
	}

	f.srv = &http.Server{
		Handler:  f,
		ErrorLog: log.New(os.Stderr, "http: ", log.Ltime|log.Lmicroseconds),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
		ConnState: func(c net.Conn, state http.ConnState) {
			f.mu.Lock()
			defer f.mu.Unlock()
			switch state {
			case http.StateNew:
				f.conns[c] = struct{}{}
			case http.StateHijacked, http.StateClosed:
				delete(f.conns, c)
			}
			if state != http.StateActive && state != http.StateNew && c == f.lastConn {
				// The N-th response is completely written: now die.
				go f.abort(exitStopAfterRequests, "served the last SOAP request allowed by -stop-after-requests, dying abruptly")
			}
		},
	}
	return f, nil
}

func (f *frontServer) serve() {
	if err := f.srv.Serve(f.listener); err != nil && err != http.ErrServerClosed {
		f.abort(1, "serving: "+err.Error())
	}
}

// ServeHTTP counts SOAP calls for -stop-after-requests and otherwise hands
// every request to vcsim unchanged.
func (f *frontServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.stopAfter == 0 || r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/sdk") {
		f.mux.ServeHTTP(w, r)
		return
	}
	n := atomic.AddInt64(&f.served, 1)
	if n > f.stopAfter {
		// Requests racing with the stop get their connection cut, no response.
		panic(http.ErrAbortHandler)
	}
	if n == f.stopAfter {
		// Die once this response is completely on the wire (its connection
		// turns idle or closes, see ConnState); net/http writes the end of a
		// chunked body only after the handler returns.
		f.mu.Lock()
		f.lastConn, _ = r.Context().Value(connKey{}).(net.Conn)
		f.mu.Unlock()
		time.AfterFunc(2*time.Second, func() {
			f.abort(exitStopAfterRequests, "-stop-after-requests: the last response did not finish within 2s, dying")
		})
	}
	f.mux.ServeHTTP(w, r)
}

// connKey carries the request's connection in its context.
type connKey struct{}

// abort simulates a vCenter that dies: the listener and every connection
// are closed without a graceful HTTP shutdown, then the process exits.
func (f *frontServer) abort(status int, why string) {
	f.once.Do(func() {
		log.Printf("driftguard-vcsim: %s", why)
		f.listener.Close()
		f.mu.Lock()
		for c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.model.Remove()
		os.Exit(status)
	})
}

// shutdown stops accepting connections and lets in-flight calls finish for
// up to two seconds (a long-polling WaitForUpdatesEx would otherwise hold the
// exit), then closes whatever is left and removes vcsim's temporary datastores.
func (f *frontServer) shutdown() {
	f.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := f.srv.Shutdown(ctx); err != nil {
			log.Printf("driftguard-vcsim: graceful shutdown: %v; closing connections", err)
			_ = f.srv.Close()
		}
		f.model.Remove()
	})
}
