package syslogd

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     Line
		detail   string
	}{{
		// What busybox syslogd forwards from the Debian installer
		// (log_host=): glibc's syslog(3) line, no HOSTNAME, a newline.
		name: "debian installer, rfc3164 without hostname",
		in:   "<13>Dec  6 14:05:05 anna[1234]: INFO: Retrieving udeb\n",
		want: Line{Format: FormatRFC3164, Severity: Notice, Facility: 1, Time: time.Date(0, 12, 6, 14, 5, 5, 0, time.UTC),
			App: "anna", PID: "1234", Msg: "INFO: Retrieving udeb"},
		detail: "anna[1234]: INFO: Retrieving udeb",
	}, {
		name: "debian installer, a failed step",
		in:   "<11>Dec  6 14:07:45 main-menu[345]: WARNING **: Configuring 'partman-base' failed with error code 10\n",
		want: Line{Format: FormatRFC3164, Severity: Error, Facility: 1, Time: time.Date(0, 12, 6, 14, 7, 45, 0, time.UTC),
			App: "main-menu", PID: "345", Msg: "WARNING **: Configuring 'partman-base' failed with error code 10"},
		detail: "err main-menu[345]: WARNING **: Configuring 'partman-base' failed with error code 10",
	}, {
		// util-linux logger --rfc3164 -n pxed -P 514 -d -t installer
		name: "logger --rfc3164",
		in:   "<13>Dec  6 14:05:05 station-01 installer: partitioning /dev/vda",
		want: Line{Format: FormatRFC3164, Severity: Notice, Facility: 1, Time: time.Date(0, 12, 6, 14, 5, 5, 0, time.UTC),
			Host: "station-01", App: "installer", Msg: "partitioning /dev/vda"},
		detail: "installer: partitioning /dev/vda",
	}, {
		name: "rfc3164 zero-padded day",
		in:   "<30>Dec 06 09:01:02 host systemd[1]: Started Journal Service.",
		want: Line{Format: FormatRFC3164, Severity: Informational, Facility: 3, Time: time.Date(0, 12, 6, 9, 1, 2, 0, time.UTC),
			Host: "host", App: "systemd", PID: "1", Msg: "Started Journal Service."},
		detail: "systemd[1]: Started Journal Service.",
	}, {
		// util-linux logger --rfc5424 -n pxed -P 514 -d -t installer -p user.warning
		name: "logger --rfc5424",
		in:   `<12>1 2026-12-06T14:05:05.123456+00:00 station-01 installer - - [timeQuality tzKnown="1" isSynced="0"] base system installed`,
		want: Line{Format: FormatRFC5424, Severity: Warning, Facility: 1, Time: time.Date(2026, 12, 6, 14, 5, 5, 123456000, time.UTC),
			Host: "station-01", App: "installer", Msg: "base system installed"},
		detail: "warning installer: base system installed",
	}, {
		name: "rfc5424 with procid, msgid, BOM and nil fields",
		in:   "<165>1 2003-10-11T22:14:15.003Z - evntslog 8710 ID47 - \ufeffAn application event\n",
		want: Line{Format: FormatRFC5424, Severity: Notice, Facility: 20, Time: time.Date(2003, 10, 11, 22, 14, 15, 3000000, time.UTC),
			App: "evntslog", PID: "8710", Msg: "An application event"},
		detail: "evntslog[8710]: An application event",
	}, {
		name: "rfc5424 without a message",
		in:   "<14>1 2026-12-06T14:05:05Z h app - - -",
		want: Line{Format: FormatRFC5424, Severity: Informational, Facility: 1, Time: time.Date(2026, 12, 6, 14, 5, 5, 0, time.UTC),
			Host: "h", App: "app"},
		detail: "app: ",
	}, {
		name:   "raw text without a PRI",
		in:     "kernel: eth0: link up\r\n",
		want:   Line{Format: FormatRaw, Severity: Notice, Facility: 1, Msg: "kernel: eth0: link up"},
		detail: "kernel: eth0: link up",
	}, {
		name:   "raw text after a PRI",
		in:     "<3>something odd happened",
		want:   Line{Format: FormatRaw, Severity: Error, Facility: 0, Msg: "something odd happened"},
		detail: "err something odd happened",
	}, {
		name:   "a PRI out of range is text",
		in:     "<192>hello",
		want:   Line{Format: FormatRaw, Severity: Notice, Facility: 1, Msg: "<192>hello"},
		detail: "<192>hello",
	}, {
		name:   "invalid UTF-8 is replaced",
		in:     "<13>bad \xff byte",
		want:   Line{Format: FormatRaw, Severity: Notice, Facility: 1, Msg: "bad \ufffd byte"},
		detail: "bad \ufffd byte",
	}, {
		name:   "empty",
		in:     "\n",
		want:   Line{Format: FormatRaw, Severity: Notice, Facility: 1},
		detail: "",
	}}
	var p Parser // one parser through every case, as the server uses it
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Parse([]byte(tt.in))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
			if d := got.Detail(); d != tt.detail {
				t.Errorf("Detail() = %q, want %q", d, tt.detail)
			}
		})
	}
}

func TestDetailIsBounded(t *testing.T) {
	// A line longer than MaxDetail is cut at a character boundary.
	long := "<13>" + strings.Repeat("é", MaxDetail)
	d := Parse([]byte(long)).Detail()
	if len(d) > MaxDetail {
		t.Errorf("Detail is %d bytes, want at most %d", len(d), MaxDetail)
	}
	if !strings.HasSuffix(d, "é") {
		t.Errorf("Detail ends %q, want a whole character", d[len(d)-4:])
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"<13>Dec  6 14:05:05 anna[1234]: INFO: Retrieving udeb\n",
		`<12>1 2026-12-06T14:05:05.123456+00:00 station-01 installer - - [timeQuality tzKnown="1" isSynced="0"] msg`,
		"<165>1 2003-10-11T22:14:15.003Z - evntslog 8710 ID47 [a@1 b=\"c\"] \ufeffx",
		"<3>raw", "plain", "<", "<999>", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Parser
		l := p.Parse(b)
		if l.Severity > Debug {
			t.Errorf("severity %d out of range", l.Severity)
		}
		if l.Facility > 23 {
			t.Errorf("facility %d out of range", l.Facility)
		}
		d := l.Detail()
		if len(d) > MaxDetail {
			t.Errorf("Detail is %d bytes, past MaxDetail", len(d))
		}
		if !utf8Valid(d) {
			t.Errorf("Detail %q is not valid UTF-8", d)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }
