package tftp

import (
	"errors"
	"io/fs"
)

// Error is an error that Server.Files returns to choose the TFTP error
// packet sent to the client.
type Error struct {
	Code    ErrorCode
	Message string
}

func (e *Error) Error() string { return "tftp error " + e.Code.String() + ": " + e.Message }

// errorPacket maps an error of Server.Files to the code and message sent to
// the client.
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
