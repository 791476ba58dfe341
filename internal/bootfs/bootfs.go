package bootfs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/netip"
)

// Request is a boot loader's request for a file.
type Request struct {
	// Path is the name exactly as the client sent it (a TFTP filename, an
	// HTTP path without its leading slash). Openers that map it to files
	// confine it themselves (Root does).
	Path   string
	Remote netip.AddrPort // the client's address and port
	Local  netip.Addr     // the server address the request was sent to; invalid when unknown
}

// File is what a transfer reads from. It is read at offsets (io.ReaderAt),
// so that a TFTP retransmission re-reads a block and an HTTP Range request
// reads its part: no file is ever buffered whole.
type File interface {
	io.ReaderAt
	// Size is the length in bytes (TFTP's tsize option, RFC 2349; HTTP's
	// Content-Length).
	Size() int64
	Close() error
}

// Opener opens the file a Request names. An error wrapping fs.ErrNotExist
// or fs.ErrPermission says the client may not have it; the caller answers
// it in its protocol's terms. The context ends when the server shuts down
// or the client goes away.
type Opener interface {
	Open(ctx context.Context, r *Request) (File, error)
}

// OpenerFunc adapts a function to Opener.
type OpenerFunc func(ctx context.Context, r *Request) (File, error)

// Open calls f.
func (f OpenerFunc) Open(ctx context.Context, r *Request) (File, error) { return f(ctx, r) }

// Chain returns an Opener that asks each opener in order and answers with
// the first one that does not report fs.ErrNotExist. It places a dynamic
// lookup (a generated pxelinux.cfg/01-<mac>) in front of a Root.
func Chain(openers ...Opener) Opener {
	return OpenerFunc(func(ctx context.Context, r *Request) (File, error) {
		for _, o := range openers {
			f, err := o.Open(ctx, r)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return f, err
		}
		return nil, fs.ErrNotExist
	})
}

// Bytes returns a File that serves data, for generated content. data must
// not be modified while a transfer may still read it.
func Bytes(data []byte) File { return bytesFile{bytes.NewReader(data)} }

type bytesFile struct{ *bytes.Reader }

func (bytesFile) Close() error { return nil }
