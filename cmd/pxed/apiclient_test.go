package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pxed/pxed/internal/web"
)

func TestDialable(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"127.0.0.1:9069": "127.0.0.1:9069",
		":9069":          "127.0.0.1:9069",
		"0.0.0.0:80":     "127.0.0.1:80",
		"[::]:9069":      "127.0.0.1:9069",
		"10.0.0.5:9069":  "10.0.0.5:9069",
	} {
		if got := dialable(in); got != want {
			t.Errorf("dialable(%q) = %q, want %q", in, got, want)
		}
	}
}

// The client sends the token from the config's token file and turns the
// server's error document into an error that says why.
func TestAPIClient(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tok := "0123456789abcdef0123456789abcdef"
	os.WriteFile(filepath.Join(dir, "api-token"), []byte(tok+"\n"), 0o600)
	s := &web.Server{Token: []byte(tok)}
	s.HandleFunc("POST /w", web.Write, func(w http.ResponseWriter, r *http.Request) {
		var v struct{ Name string }
		if err := web.Decode(r, &v); err != nil {
			web.Error(w, http.StatusBadRequest, err.Error())
			return
		}
		web.JSON(w, http.StatusOK, map[string]string{"hello": v.Name})
	})
	ts := httptest.NewServer(s)
	defer ts.Close()
	cfg := filepath.Join(dir, "pxed.yaml")
	os.WriteFile(cfg, []byte("data_dir: "+dir+"\nweb: {address: \""+strings.TrimPrefix(ts.URL, "http://")+"\"}\n"), 0o644)
	c, err := (&apiFlags{config: cfg}).client()
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]string
	if err := c.do(context.Background(), "POST", "/w", map[string]string{"Name": "station-01"}, &out); err != nil || out["hello"] != "station-01" {
		t.Fatalf("do: %v, %v", out, err)
	}
	err = c.do(context.Background(), "POST", "/w", map[string]string{"Nmae": "x"}, nil)
	if err == nil || !strings.Contains(err.Error(), "unknown field") || !strings.Contains(err.Error(), "400") {
		t.Errorf("a misspelt field gave %v, want the server's reason and status", err)
	}
	c.token = ""
	if err := c.do(context.Background(), "POST", "/w", map[string]string{"Name": "x"}, nil); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("no token gave %v, want 401", err)
	}
}
