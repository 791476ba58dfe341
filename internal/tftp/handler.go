package tftp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/netip"
)

// Request is a read request as the Handler sees it.
type Request struct {
	// Path is the filename exactly as the client sent it. Handlers that map
	// it to files must confine it themselves (Dir does).
	Path   string
	Remote netip.AddrPort // the client's address and transfer ID
	Local  netip.Addr     // the server address the request was sent to
	// Options are the RFC 2347 options as requested, names lowercased.
	// The server negotiates them itself; they are here for logging and for
	// handlers that care (e.g. a client that asks for tsize is probing).
	Options map[string]string
	// Mode is "octet" or "netascii", lowercased.
	Mode string
}

// File is what a transfer reads from. Blocks are read at their offsets with
// ReadAt into a fixed per-transfer buffer, and re-read on retransmission: no
// file is ever buffered whole.
type File interface {
	io.ReaderAt
	// Size is the length in bytes, answered to the tsize option (RFC 2349).
	Size() int64
	Close() error
}

// Handler answers read requests. It returns the file to send, or an error
// that the server maps to a TFTP error code:
//
//	errors.Is(err, fs.ErrNotExist)   → 1 file not found
//	errors.Is(err, fs.ErrPermission) → 2 access violation
//	errors.As(err, *Error)           → its Code and Message
//	anything else                    → 0, with a generic message (details are logged, not sent)
//
// The context is cancelled when the server shuts down.
type Handler interface {
	ServeTFTP(ctx context.Context, r *Request) (File, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, r *Request) (File, error)

// ServeTFTP calls f.
func (f HandlerFunc) ServeTFTP(ctx context.Context, r *Request) (File, error) { return f(ctx, r) }

// Error is an error that a Handler returns to choose the TFTP error packet.
type Error struct {
	Code    ErrorCode
	Message string
}

func (e *Error) Error() string { return "tftp error " + e.Code.String() + ": " + e.Message }

// Chain returns a Handler that asks each handler in order and answers with
// the first one that does not report fs.ErrNotExist. It is how a dynamic
// lookup (a generated pxelinux.cfg/01-<mac>) is placed in front of Dir.
func Chain(handlers ...Handler) Handler {
	return HandlerFunc(func(ctx context.Context, r *Request) (File, error) {
		for _, h := range handlers {
			f, err := h.ServeTFTP(ctx, r)
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

// errorPacket maps a handler error to the code and message sent to the client.
func errorPacket(err error) (ErrorCode, string) {
	var te *Error
	switch {
	case errors.As(err, &te):
		return te.Code, te.Message
	case errors.Is(err, fs.ErrNotExist):
		return ErrCodeNotFound, "file not found"
	case errors.Is(err, fs.ErrPermission):
		return ErrCodeAccess, "access violation"
	}
	return ErrCodeUndefined, "internal server error"
}
