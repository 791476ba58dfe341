package tftp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Opcode is the first field of every TFTP packet (RFC 1350 §5, RFC 2347 for OACK).
type Opcode uint16

// The opcodes.
const (
	OpRRQ   Opcode = 1
	OpWRQ   Opcode = 2
	OpDATA  Opcode = 3
	OpACK   Opcode = 4
	OpERROR Opcode = 5
	OpOACK  Opcode = 6 // RFC 2347
)

func (o Opcode) String() string {
	switch o {
	case OpRRQ:
		return "RRQ"
	case OpWRQ:
		return "WRQ"
	case OpDATA:
		return "DATA"
	case OpACK:
		return "ACK"
	case OpERROR:
		return "ERROR"
	case OpOACK:
		return "OACK"
	}
	return "opcode(" + strconv.Itoa(int(o)) + ")"
}

// ErrorCode is the code of an ERROR packet (RFC 1350 appendix, RFC 2347 for 8).
type ErrorCode uint16

// The error codes.
const (
	ErrCodeUndefined      ErrorCode = 0 // "not defined, see error message"
	ErrCodeNotFound       ErrorCode = 1
	ErrCodeAccess         ErrorCode = 2
	ErrCodeDiskFull       ErrorCode = 3
	ErrCodeIllegal        ErrorCode = 4
	ErrCodeUnknownTID     ErrorCode = 5
	ErrCodeFileExists     ErrorCode = 6
	ErrCodeNoSuchUser     ErrorCode = 7
	ErrCodeOptionRejected ErrorCode = 8 // RFC 2347: the client refuses the OACK
)

func (c ErrorCode) String() string {
	switch c {
	case ErrCodeUndefined:
		return "undefined"
	case ErrCodeNotFound:
		return "file not found"
	case ErrCodeAccess:
		return "access violation"
	case ErrCodeDiskFull:
		return "disk full"
	case ErrCodeIllegal:
		return "illegal operation"
	case ErrCodeUnknownTID:
		return "unknown transfer id"
	case ErrCodeFileExists:
		return "file exists"
	case ErrCodeNoSuchUser:
		return "no such user"
	case ErrCodeOptionRejected:
		return "option negotiation refused"
	}
	return "error(" + strconv.Itoa(int(c)) + ")"
}

// Option is one name/value pair of a request or an OACK, kept in wire order
// so that encoding is deterministic.
type Option struct {
	Name, Value string
}

// packet is a decoded TFTP packet. Which fields are set depends on Op.
// DATA and ACK decode without allocating: Data aliases the input.
type packet struct {
	Op       Opcode
	Filename string   // RRQ, WRQ
	Mode     string   // RRQ, WRQ, as sent (compare case-insensitively)
	Options  []Option // RRQ, WRQ, OACK
	Block    uint16   // DATA, ACK
	Data     []byte   // DATA
	Code     ErrorCode
	Message  string // ERROR
}

var (
	errShort        = errors.New("packet too short")
	errUnterminated = errors.New("unterminated string")
	errOddOptions   = errors.New("option without a value")
	errEmptyName    = errors.New("empty filename")
	errEmptyOption  = errors.New("empty option name")
)

// parsePacket decodes one TFTP packet. It never panics on any input; the
// fuzz target FuzzParsePacket holds it to that.
func parsePacket(b []byte) (packet, error) {
	if len(b) < 2 {
		return packet{}, errShort
	}
	p := packet{Op: Opcode(binary.BigEndian.Uint16(b))}
	b = b[2:]
	switch p.Op {
	case OpRRQ, OpWRQ:
		// RFC 1350 §5: | opcode | filename | 0 | mode | 0 |, then RFC 2347 §2
		// appends | opt1 | 0 | value1 | 0 | ... pairs.
		name, rest, ok := cstring(b)
		if !ok {
			return packet{}, fmt.Errorf("%v filename: %w", p.Op, errUnterminated)
		}
		if name == "" {
			return packet{}, fmt.Errorf("%v: %w", p.Op, errEmptyName)
		}
		mode, rest, ok := cstring(rest)
		if !ok {
			return packet{}, fmt.Errorf("%v mode: %w", p.Op, errUnterminated)
		}
		opts, err := parseOptions(rest)
		if err != nil {
			return packet{}, fmt.Errorf("%v options: %w", p.Op, err)
		}
		p.Filename, p.Mode, p.Options = name, mode, opts
	case OpOACK:
		opts, err := parseOptions(b)
		if err != nil {
			return packet{}, fmt.Errorf("OACK: %w", err)
		}
		p.Options = opts
	case OpDATA:
		if len(b) < 2 {
			return packet{}, errShort
		}
		p.Block, p.Data = binary.BigEndian.Uint16(b), b[2:]
	case OpACK:
		// Some clients pad ACKs; only the block number counts.
		if len(b) < 2 {
			return packet{}, errShort
		}
		p.Block = binary.BigEndian.Uint16(b)
	case OpERROR:
		if len(b) < 2 {
			return packet{}, errShort
		}
		p.Code = ErrorCode(binary.BigEndian.Uint16(b))
		// A missing terminator is tolerated: the message is informative only
		// and a client aborting must still be heard.
		msg, _, ok := cstring(b[2:])
		if !ok {
			msg = string(b[2:])
		}
		p.Message = msg
	default:
		return packet{}, fmt.Errorf("unknown opcode %d", uint16(p.Op))
	}
	return p, nil
}

// parseOptions reads NUL-terminated name/value pairs up to the end of b.
// RFC 2347 §2 requires every option to have a value; trailing garbage or a
// lone name is malformed.
func parseOptions(b []byte) ([]Option, error) {
	var opts []Option
	for len(b) > 0 {
		name, rest, ok := cstring(b)
		if !ok {
			return nil, errUnterminated
		}
		if name == "" {
			return nil, errEmptyOption
		}
		if len(rest) == 0 {
			return nil, errOddOptions
		}
		value, rest2, ok := cstring(rest)
		if !ok {
			return nil, errUnterminated
		}
		opts = append(opts, Option{Name: name, Value: value})
		b = rest2
	}
	return opts, nil
}

func cstring(b []byte) (s string, rest []byte, ok bool) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), b[i+1:], true
		}
	}
	return "", nil, false
}

// append encodes p onto b. Strings containing NUL cannot be encoded faithfully;
// the caller never builds such packets.
func (p *packet) append(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(p.Op))
	switch p.Op {
	case OpRRQ, OpWRQ:
		b = appendCString(b, p.Filename)
		b = appendCString(b, p.Mode)
		b = appendOptions(b, p.Options)
	case OpOACK:
		b = appendOptions(b, p.Options)
	case OpDATA:
		b = binary.BigEndian.AppendUint16(b, p.Block)
		b = append(b, p.Data...)
	case OpACK:
		b = binary.BigEndian.AppendUint16(b, p.Block)
	case OpERROR:
		b = binary.BigEndian.AppendUint16(b, uint16(p.Code))
		b = appendCString(b, p.Message)
	}
	return b
}

func appendCString(b []byte, s string) []byte {
	return append(append(b, s...), 0)
}

func appendOptions(b []byte, opts []Option) []byte {
	for _, o := range opts {
		b = appendCString(b, o.Name)
		b = appendCString(b, o.Value)
	}
	return b
}

// appendError encodes an ERROR packet (RFC 1350 §5) onto b.
func appendError(b []byte, code ErrorCode, msg string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(OpERROR))
	b = binary.BigEndian.AppendUint16(b, uint16(code))
	return appendCString(b, msg)
}

// putDataHeader writes the 4-byte DATA header in place, so that a block can
// be read straight into the packet buffer behind it.
func putDataHeader(b []byte, block uint16) {
	binary.BigEndian.PutUint16(b, uint16(OpDATA))
	binary.BigEndian.PutUint16(b[2:], block)
}
