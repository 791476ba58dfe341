package rules

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Size is a number of bytes.
type Size uint64

// units are the suffixes a size may carry, compared ignoring case: the IEC
// binary prefixes (KiB = 1024) and the SI decimal ones (KB = 1000), as disk
// vendors count. A bare single letter ("4G") is refused: whether it means
// GiB or GB is the question the operator has to answer.
var units = [...]struct {
	name string
	mult uint64
}{
	{"B", 1},
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"PiB", 1 << 50},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"PB", 1e15},
}

// ParseSize reads a size such as "1536MiB", "1.5 GiB", "500GB" or
// "4096" (bytes). A fraction is allowed with a unit; the result is rounded
// down to a whole byte.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && ('0' <= t[i] && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	if num == "" {
		return 0, fmt.Errorf("size %q does not start with a number", s)
	}
	mult := uint64(0)
	if unit == "" {
		mult = 1
	}
	for _, u := range units {
		if strings.EqualFold(u.name, unit) {
			mult = u.mult
		}
	}
	if mult == 0 {
		return 0, fmt.Errorf("size %q has an unknown unit %q (use B, KiB, MiB, GiB, TiB, PiB or KB, MB, GB, TB, PB)", s, t[i:])
	}
	whole, frac, dotted := strings.Cut(num, ".")
	if whole == "" || (dotted && frac == "") || strings.Contains(frac, ".") {
		return 0, fmt.Errorf("size %q: %q is not a number", s, num)
	}
	w, err := strconv.ParseUint(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	hi, n := bits.Mul64(w, mult)
	if hi != 0 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	if frac != "" {
		if mult == 1 {
			return 0, fmt.Errorf("size %q: a fraction of a byte", s)
		}
		f, err := fraction(frac, mult)
		if err != nil {
			return 0, fmt.Errorf("size %q: %w", s, err)
		}
		var carry uint64
		if n, carry = bits.Add64(n, f, 0); carry != 0 {
			return 0, fmt.Errorf("size %q is too large", s)
		}
	}
	return Size(n), nil
}

// fraction is 0.digits × mult in whole bytes, rounded down. Digits past the
// 18th are below a byte for every unit (mult < 10^18) and are ignored.
func fraction(digits string, mult uint64) (uint64, error) {
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, errors.New("bad fraction")
		}
	}
	if len(digits) > 18 {
		digits = digits[:18]
	}
	f, _ := strconv.ParseUint(digits, 10, 64) // at most 18 digits: fits
	den := uint64(1)
	for range digits {
		den *= 10
	}
	hi, lo := bits.Mul64(f, mult)
	q, _ := bits.Div64(hi, lo, den) // f < den, so q < mult: no overflow
	return q, nil
}

// String writes the size in the unit that divides it and gives the
// smallest number, binary or decimal: 1536MiB, 2TB, 4097B.
func (s Size) String() string {
	best := units[0]
	for _, u := range units[1:] {
		if s != 0 && uint64(s)%u.mult == 0 && u.mult > best.mult {
			best = u
		}
	}
	return strconv.FormatUint(uint64(s)/best.mult, 10) + best.name
}

// SizeRange is an inclusive range of sizes. Max is math.MaxUint64 when
// the range has no upper bound.
type SizeRange struct {
	Min, Max Size
}

// Contains reports whether n lies in r.
func (r SizeRange) Contains(n Size) bool { return r.Min <= n && n <= r.Max }

// String writes r as ParseSizeRange reads it.
func (r SizeRange) String() string {
	switch {
	case r.Max == math.MaxUint64:
		return ">=" + r.Min.String()
	case r.Min == 0:
		return "<=" + r.Max.String()
	}
	return r.Min.String() + "-" + r.Max.String()
}

// ParseSizeRange reads "A-B" (both inclusive), ">=A", ">A", "<=B" or
// "<B", sizes as ParseSize reads them: "1GiB-4GiB", ">=100GB". A single
// size is refused: memory and disks are never quite the size on the label.
func ParseSizeRange(s string) (SizeRange, error) {
	t := strings.TrimSpace(s)
	var (
		r   SizeRange
		err error
	)
	switch {
	case strings.HasPrefix(t, ">="):
		r.Max = math.MaxUint64
		r.Min, err = ParseSize(t[2:])
	case strings.HasPrefix(t, ">"):
		r.Max = math.MaxUint64
		r.Min, err = ParseSize(t[1:])
		if err == nil {
			if r.Min == math.MaxUint64 {
				return SizeRange{}, fmt.Errorf("size range %q holds no size", s)
			}
			r.Min++
		}
	case strings.HasPrefix(t, "<="):
		r.Max, err = ParseSize(t[2:])
	case strings.HasPrefix(t, "<"):
		r.Max, err = ParseSize(t[1:])
		if err == nil {
			if r.Max == 0 {
				return SizeRange{}, fmt.Errorf("size range %q holds no size", s)
			}
			r.Max--
		}
	default:
		lo, hi, ok := strings.Cut(t, "-")
		if !ok {
			return SizeRange{}, fmt.Errorf("size range %q is not A-B, >=A or <=B (like 1GiB-4GiB, >=100GB)", s)
		}
		if r.Min, err = ParseSize(lo); err != nil {
			break
		}
		if r.Max, err = ParseSize(hi); err != nil {
			break
		}
		if r.Min > r.Max {
			return SizeRange{}, fmt.Errorf("size range %q runs backwards (%s is above %s)", s, strings.TrimSpace(lo), strings.TrimSpace(hi))
		}
	}
	if err != nil {
		return SizeRange{}, fmt.Errorf("size range %q: %w", s, err)
	}
	return r, nil
}
