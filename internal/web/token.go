package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/pxed/pxed/internal/atomicfile"
)

// minTokenLen is the shortest API token accepted: 16 characters.
const minTokenLen = 16

// LoadToken reads the API token from path: the file's first line, trimmed,
// of at least 16 characters.
//
// With create set (pxed's own token file in the data directory), a missing
// file, or one that holds nothing but white space, gets a new random token
// (32 bytes, hex) readable by the owner only, so that a fresh install has a
// token the local CLI can read and nobody else can. An empty file holds no
// token anyone could have used (none shorter than 16 characters is ever
// accepted); it is what a crash while an older pxed created the file could
// leave, so replacing it loses nothing and lets pxed start. The file is
// written atomically (atomicfile), so a crash now leaves no file or a
// whole one.
//
// Without create (a file the operator named, or the CLI reading pxed's),
// a missing or empty file is an error: a typo must not mint a token.
// A file with a token too short is an error either way, with the file named:
// it is not pxed's to overwrite.
func LoadToken(path string, create bool) ([]byte, error) {
	data, err := os.ReadFile(path)
	switch {
	case create && (errors.Is(err, fs.ErrNotExist) || err == nil && len(bytes.TrimSpace(data)) == 0):
		return createToken(path)
	case err != nil:
		return nil, fmt.Errorf("reading API token: %w", err)
	}
	return parseToken(path, data)
}

// parseToken takes the token from the content of the file at path.
func parseToken(path string, data []byte) ([]byte, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("API token file %s is empty: write a token of at least %d characters on its first line", path, minTokenLen)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	tok := strings.TrimSpace(line)
	if len(tok) < minTokenLen {
		return nil, fmt.Errorf("API token in %s is shorter than %d characters", path, minTokenLen)
	}
	return []byte(tok), nil
}

// createToken writes a new random token to path, mode 0600.
func createToken(path string) ([]byte, error) {
	buf := make([]byte, 32)
	rand.Read(buf) // never fails (crypto/rand, Go 1.24 and later)
	tok := hex.EncodeToString(buf)
	if err := atomicfile.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("creating API token file: %w", err)
	}
	return []byte(tok), nil
}
