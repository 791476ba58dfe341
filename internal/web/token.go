package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// LoadToken reads the API token from path: the file's first line, trimmed.
// With create set and no file there, it writes a new random token (32
// bytes, hex) readable by the owner only, so that a fresh install has a
// token the local CLI can read and nobody else can.
func LoadToken(path string, create bool) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		buf := make([]byte, 32)
		rand.Read(buf)
		tok := hex.EncodeToString(buf)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("creating API token file: %w", err)
		}
		if _, err := f.WriteString(tok + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("writing API token file %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("writing API token file %s: %w", path, err)
		}
		return []byte(tok), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading API token: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	tok := strings.TrimSpace(line)
	if len(tok) < 16 {
		return nil, fmt.Errorf("API token in %s is shorter than 16 characters", path)
	}
	return []byte(tok), nil
}
