package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Serving over loopback HTTP lets a second process drive the real SDK client over the
// wire. The handler supplies what the fake servers expect of an in-process request: the
// operation name in the context (from the route table) and an absolute URL.

// shutdownGrace bounds how long Serve waits for requests in flight once ctx ends.
const shutdownGrace = 5 * time.Second

// Handler returns the HTTP handler of the simulated Resource Manager endpoint. It demands
// an Authorization header, as ARM does, but accepts any token.
func (s *Sim) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

func (s *Sim) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") == "" {
		writeResponse(w, unauthenticated().response(r))
		return
	}
	op, routeErr := s.operationFor(r.Method, r.URL.Path)
	if routeErr != nil {
		writeResponse(w, routeErr.response(r))
		return
	}
	resp, err := s.dispatch(forwarded(r, op))
	if err != nil {
		// Only the request's context ends a dispatch with an error: the client is gone.
		return
	}
	writeResponse(w, resp)
}

// forwarded returns the request as the fake servers expect it.
func forwarded(r *http.Request, op string) *http.Request {
	req := r.Clone(context.WithValue(r.Context(), runtime.CtxAPINameKey{}, op))
	req.RequestURI = ""
	req.URL.Scheme = "http"
	if r.TLS != nil {
		req.URL.Scheme = "https"
	}
	req.URL.Host = r.Host
	return req
}

// writeResponse copies a response to the wire.
func writeResponse(w http.ResponseWriter, resp *http.Response) {
	defer resp.Body.Close()
	for name, values := range resp.Header {
		for _, value := range values {
			w.Header().Add(name, value)
		}
	}
	w.WriteHeader(resp.StatusCode)
	// A client that hangs up mid-body has nothing left to tell.
	_, _ = io.Copy(w, resp.Body)
}

// Serve listens on addr, a loopback address such as "127.0.0.1:0", and serves the
// simulated endpoint until ctx ends. It returns the endpoint to configure on clients,
// e.g. "http://127.0.0.1:41234". Plain HTTP carrying bearer tokens is only acceptable on
// loopback, so other addresses are refused.
func (s *Sim) Serve(ctx context.Context, addr string) (string, error) {
	if err := checkLoopback(addr); err != nil {
		return "", err
	}
	var config net.ListenConfig
	listener, err := config.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sim: listen on %s: %w", addr, err)
	}
	server := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		// Serve returns ErrServerClosed after Shutdown; nothing else can be reported
		// once Serve has returned the endpoint.
		_ = server.Serve(listener)
	}()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		_ = server.Shutdown(shutdownCtx)
	}()
	return "http://" + listener.Addr().String(), nil
}

// checkLoopback refuses listen addresses that are not on the loopback interface.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("sim: listen address %q: %w; use host:port such as 127.0.0.1:0",
			addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return errors.New("sim: listen address " + addr + " is not a loopback address; the " +
		"simulator serves plain HTTP, so listen on 127.0.0.1:PORT")
}
