package rules

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Size
		wantErr bool
	}{
		{in: "4096", want: 4096},
		{in: "0", want: 0},
		{in: "512B", want: 512},
		{in: "1KiB", want: 1024},
		{in: "1KB", want: 1000},
		{in: "1536MiB", want: 1536 << 20},
		{in: "1.5GiB", want: 1536 << 20},
		{in: "1.5 GiB", want: 1536 << 20},
		{in: " 8gib ", want: 8 << 30},
		{in: "16GB", want: 16e9},
		{in: "0.5KB", want: 500},
		{in: "0.3333KiB", want: 341}, // 341.29… rounded down
		{in: "2TiB", want: 2 << 40},
		{in: "1PB", want: 1e15},
		{in: "18446744073709551615", want: math.MaxUint64},
		{in: "16383.999PiB", want: 16383<<50 + 999*(1<<50)/1000},
		{in: "", wantErr: true},
		{in: "GiB", wantErr: true},
		{in: "4G", wantErr: true}, // GiB or GB? the operator says
		{in: "4 gigs", wantErr: true},
		{in: "1.5", wantErr: true}, // a fraction of a byte
		{in: "1.GiB", wantErr: true},
		{in: ".5GiB", wantErr: true},
		{in: "1.2.3GiB", wantErr: true},
		{in: "-1GiB", wantErr: true},
		{in: "18446744073709551616", wantErr: true},
		{in: "16EiB", wantErr: true},
		{in: "16384PiB", wantErr: true}, // 2^64: one past the largest
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseSize(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("ParseSize(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseSizeRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    SizeRange
		wantErr bool
	}{
		{in: "1GiB-4GiB", want: SizeRange{1 << 30, 4 << 30}},
		{in: " 1GiB - 4GiB ", want: SizeRange{1 << 30, 4 << 30}},
		{in: "1GB-1GB", want: SizeRange{1e9, 1e9}},
		{in: ">=1GiB", want: SizeRange{1 << 30, math.MaxUint64}},
		{in: ">1GiB", want: SizeRange{1<<30 + 1, math.MaxUint64}},
		{in: "<=64GiB", want: SizeRange{0, 64 << 30}},
		{in: "<64GiB", want: SizeRange{0, 64<<30 - 1}},
		{in: ">= 100GB", want: SizeRange{100e9, math.MaxUint64}},
		{in: "16GiB", wantErr: true},     // a single size: memory is never quite the label
		{in: "4GiB-1GiB", wantErr: true}, // backwards
		{in: "1GiB-", wantErr: true},
		{in: "-4GiB", wantErr: true},
		{in: ">=", wantErr: true},
		{in: "<0", wantErr: true}, // holds nothing
		{in: ">18446744073709551615", wantErr: true},
		{in: "=>1GiB", wantErr: true},
		{in: "1GiB-2GiB-3GiB", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseSizeRange(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseSizeRange(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); !tt.wantErr && diff != "" {
			t.Errorf("ParseSizeRange(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestSizeRangeContains(t *testing.T) {
	t.Parallel()
	r, err := ParseSizeRange("1GiB-2GiB")
	if err != nil {
		t.Fatal(err)
	}
	for n, want := range map[Size]bool{1<<30 - 1: false, 1 << 30: true, 1536 << 20: true, 2 << 30: true, 2<<30 + 1: false} {
		if got := r.Contains(n); got != want {
			t.Errorf("%v.Contains(%d) = %v, want %v", r, n, got, want)
		}
	}
}

// FuzzParseSizeRange checks that any text either is refused or gives a
// range that is not backwards and that reads back the same from its String.
func FuzzParseSizeRange(f *testing.F) {
	for _, s := range []string{"1GiB-4GiB", ">=1GiB", "<=64GiB", ">1.5TB", "<1KiB", "0-0", "1.0000000000000000001GiB-2GiB", "16383PiB-18446744073709551615"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseSizeRange(s)
		if err != nil {
			return
		}
		if r.Min > r.Max {
			t.Fatalf("ParseSizeRange(%q) = %+v: backwards", s, r)
		}
		back, err := ParseSizeRange(r.String())
		if err != nil {
			t.Fatalf("ParseSizeRange(%q).String() = %q does not parse: %v", s, r.String(), err)
		}
		if back != r {
			t.Fatalf("ParseSizeRange(%q) = %+v, but its String %q reads back as %+v", s, r, r.String(), back)
		}
	})
}

func TestSizeString(t *testing.T) {
	t.Parallel()
	for n, want := range map[Size]string{0: "0B", 4097: "4097B", 1536 << 20: "1536MiB", 2e12: "2TB", 1 << 30: "1GiB", 1e9: "1GB", 1 << 50: "1PiB", 1000: "1KB", 1024: "1KiB"} {
		if got := n.String(); got != want {
			t.Errorf("Size(%d).String() = %q, want %q", uint64(n), got, want)
		}
	}
}
