package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/pxed/pxed/internal/web"
)

// apiFlags are how a CLI command finds a running pxed's management API:
// from the config (web.address and the token file), or given directly.
type apiFlags struct {
	config    string
	api       string
	tokenFile string
}

func (a *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.config, "config", "", "configuration file of the pxed to talk to (its web.address and token)")
	fs.StringVar(&a.api, "api", "", "base URL of the API, e.g. http://127.0.0.1:9069 (overrides the config)")
	fs.StringVar(&a.tokenFile, "token-file", "", "file holding the API token (overrides the config)")
}

// apiClient calls a running pxed's JSON API.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

func (a *apiFlags) client() (*apiClient, error) {
	c := &apiClient{base: a.api, http: &http.Client{Timeout: 30 * time.Second}}
	tokenPath := a.tokenFile
	if a.config != "" {
		cfg, err := loadConfig(a.config)
		if err != nil {
			return nil, err
		}
		if c.base == "" {
			c.base = "http://" + dialable(cfg.Web.Address)
		}
		if tokenPath == "" {
			tokenPath = cfg.Web.TokenPath(cfg.DataDir)
		}
	}
	if c.base == "" {
		return nil, usageError{errors.New("say which pxed: --config FILE, or --api URL")}
	}
	c.base = strings.TrimRight(c.base, "/")
	if tokenPath != "" {
		tok, err := web.LoadToken(tokenPath, false)
		// Without a readable token, reads still work where they are public.
		if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, os.ErrPermission) {
			return nil, err
		}
		c.token = string(tok)
	}
	return c, nil
}

// dialable turns a listen address into one to connect to: an empty or
// unspecified host means this machine.
func dialable(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// do sends method path with in as the JSON body (when not nil) and decodes
// the answer into out (when not nil). An error status becomes an error
// carrying the server's message.
func (c *apiClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	// Who acts, for the machine's timeline (operator actions).
	req.Header.Set(web.ActorHeader, cliActor())
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("reaching pxed's API: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading pxed's answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		return newAPIError(method, path, resp.StatusCode, data)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decoding pxed's answer to %s %s: %w", method, path, err)
		}
	}
	return nil
}

// stream opens a long-lived GET of path (server-sent events): no overall
// timeout, ended by ctx. The caller closes the body.
func (c *apiClient) stream(ctx context.Context, path string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := (&http.Client{Transport: c.http.Transport}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("reaching pxed's API: %w", err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, newAPIError(http.MethodGet, path, resp.StatusCode, data)
	}
	return resp.Body, nil
}

// apiError is an answer of pxed's API with an error status.
type apiError struct {
	method, path string
	status       int
	msg          string // the answer's "error", if it had one
	body         []byte // the answer, for a command that knows its shape
}

// newAPIError reads the {"error": ...} body the API answers errors with.
func newAPIError(method, path string, status int, body []byte) *apiError {
	var e struct {
		Error string `json:"error"`
	}
	json.Unmarshal(body, &e) // a body of another shape leaves msg empty
	return &apiError{method: method, path: path, status: status, msg: e.Error, body: body}
}

func (e *apiError) Error() string {
	if e.msg != "" {
		return fmt.Sprintf("%s %s: %s (HTTP %d)", e.method, e.path, e.msg, e.status)
	}
	return fmt.Sprintf("%s %s: HTTP %d", e.method, e.path, e.status)
}

// isNotFound reports whether err is the API's 404.
func isNotFound(err error) bool {
	var e *apiError
	return errors.As(err, &e) && e.status == http.StatusNotFound
}
