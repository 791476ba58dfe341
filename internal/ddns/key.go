package ddns

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/miekg/dns"
)

// Key is a TSIG key (RFC 8945 §4): its name, the HMAC algorithm, the
// shared secret in base64, as BIND and miekg/dns name and hold them.
type Key struct {
	// Name is the key's name, a fully qualified domain name ("ddns-key.").
	Name string
	// Algorithm is the algorithm's domain name ("hmac-sha256.").
	Algorithm string
	// Secret is the shared secret, base64 as in the key file.
	Secret string
}

// algorithms are the TSIG algorithms pxed signs with, by the names BIND's
// key files use (RFC 8945 §6: HMAC-SHA256 is mandatory to implement;
// hmac-sha1 is kept for old servers, hmac-md5 is not: RFC 8945 §6 says
// it must not be used).
var algorithms = map[string]string{
	"hmac-sha1":   dns.HmacSHA1,
	"hmac-sha224": dns.HmacSHA224,
	"hmac-sha256": dns.HmacSHA256,
	"hmac-sha384": dns.HmacSHA384,
	"hmac-sha512": dns.HmacSHA512,
}

// ReadKey reads the TSIG key in the file at path (ParseKey).
func ReadKey(path string) (Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("reading TSIG key file: %w", err)
	}
	k, err := ParseKey(b)
	if err != nil {
		return Key{}, fmt.Errorf("TSIG key file %s: %w", path, err)
	}
	return k, nil
}

// ParseKey reads a key statement in BIND's syntax, as `tsig-keygen`
// writes it:
//
//	key "ddns-key" {
//		algorithm hmac-sha256;
//		secret "c2VjcmV0...";
//	};
//
// Comments (#, //, /* */) are allowed; there must be exactly one key.
func ParseKey(b []byte) (Key, error) {
	toks, err := tokens(string(b))
	if err != nil {
		return Key{}, err
	}
	var keys []Key
	for len(toks) > 0 {
		if toks[0].text != "key" || toks[0].quoted {
			return Key{}, fmt.Errorf("%q where a key statement should start", toks[0].text)
		}
		if len(toks) < 3 || toks[1].punct() || toks[2].text != "{" || toks[2].quoted {
			return Key{}, errors.New(`key statement: want key "name" { ... };`)
		}
		k := Key{Name: toks[1].text}
		toks = toks[3:]
		for {
			if len(toks) == 0 {
				return Key{}, fmt.Errorf("key %q: no closing brace", k.Name)
			}
			if toks[0].is("}") {
				if len(toks) < 2 || !toks[1].is(";") {
					return Key{}, fmt.Errorf("key %q: want ; after }", k.Name)
				}
				toks = toks[2:]
				break
			}
			if len(toks) < 3 || toks[1].punct() || !toks[2].is(";") {
				return Key{}, fmt.Errorf("key %q: want a clause of the form: word value;", k.Name)
			}
			switch toks[0].text {
			case "algorithm":
				a, ok := algorithms[strings.ToLower(toks[1].text)]
				if !ok {
					return Key{}, fmt.Errorf("key %q: algorithm %q is not one pxed signs with (hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha224, hmac-sha1)", k.Name, toks[1].text)
				}
				k.Algorithm = a
			case "secret":
				k.Secret = toks[1].text
			default:
				return Key{}, fmt.Errorf("key %q: unknown clause %q", k.Name, toks[0].text)
			}
			toks = toks[3:]
		}
		keys = append(keys, k)
	}
	if len(keys) != 1 {
		return Key{}, fmt.Errorf("%d key statements: want exactly one", len(keys))
	}
	k := keys[0]
	if _, ok := dns.IsDomainName(k.Name); !ok || k.Name == "" || k.Name == "." {
		return Key{}, fmt.Errorf("key name %q is not a domain name", k.Name)
	}
	k.Name = dns.CanonicalName(k.Name)
	switch {
	case k.Algorithm == "":
		return Key{}, fmt.Errorf("key %q has no algorithm", k.Name)
	case k.Secret == "":
		return Key{}, fmt.Errorf("key %q has no secret", k.Name)
	}
	raw, err := base64.StdEncoding.DecodeString(k.Secret)
	if err != nil {
		return Key{}, fmt.Errorf("key %q: secret is not base64: %w", k.Name, err)
	}
	if len(raw) < 16 {
		// RFC 8945 §6: a key shorter than half the HMAC's output is weak;
		// tsig-keygen writes as long as the output. 128 bits is the floor.
		return Key{}, fmt.Errorf("key %q: secret of %d bytes is too short (at least 16)", k.Name, len(raw))
	}
	return k, nil
}

type token struct {
	text   string
	quoted bool
}

func (t token) is(p string) bool { return !t.quoted && t.text == p }
func (t token) punct() bool      { return t.is("{") || t.is("}") || t.is(";") }

// tokens splits BIND's configuration syntax: words, quoted strings,
// braces and semicolons, without comments.
func tokens(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || strings.HasPrefix(s[i:], "//"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return nil, errors.New("comment /* not closed")
			}
			i += end + 4
		case c == '{' || c == '}' || c == ';':
			out = append(out, token{text: string(c)})
			i++
		case c == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return nil, errors.New("quoted string not closed")
			}
			out = append(out, token{text: s[i+1 : i+1+end], quoted: true})
			i += end + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n{};\"#", rune(s[j])) && !strings.HasPrefix(s[j:], "//") && !strings.HasPrefix(s[j:], "/*") {
				j++
			}
			out = append(out, token{text: s[i:j]})
			i = j
		}
	}
	return out, nil
}
