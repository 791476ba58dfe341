package lease

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pxed/pxed/internal/atomicfile"
	"github.com/pxed/pxed/internal/logsink"
)

// The embedded store is an append-only journal of lease records in
// DATA_DIR/leases.journal. Every change appends one record; a batch of
// concurrent changes shares one write and one sync (group commit: fdatasync
// on Linux, see datasync), and no Commit returns before its record is on
// disk. Loading replays the journal; a torn or corrupt tail (what a crash or
// a full disk may leave) is cut off, so the file always loads. When the
// journal grows well past the live leases, it is rewritten (compacted) to a
// new file that replaces the old one atomically. Compaction does not hold up
// commits: a background goroutine copies the lease map and writes and syncs
// the copy to leases.journal.tmp while commits go on appending to the old
// journal, and the writer then appends the records committed meanwhile to
// the new file, syncs it and renames it into place. Records replace whole
// leases by address, so replaying those later records over a copy taken
// after they began gives the same leases as the old journal.
//
// Failures: a commit whose write or sync fails returns the error (and the
// journal is cut back to its acknowledged records; if that fails too, the
// error says so). What no caller waits for is logged: a compaction that
// failed (the old journal stays in use), a file that could not be extended
// ahead of its records.
//
// File: an 8-byte header, then records. Record: u32 payload length, u32
// CRC-32C of payload, payload (little endian). Payload: u8 kind, the
// address, u8 state, i64 expiry (unix ns), u8+MAC, u8+client id, u8+host
// name. Kind 1 is an IPv4 lease (4-byte address), kind 2 an IPv6 lease
// (16 bytes): IPv4 records are as they were before IPv6, so an IPv4 lease
// costs no more. The header is "PXEDJNL1" while the file holds kind 1 alone
// and "PXEDJNL2" from the first IPv6 record on: a pxed older than IPv6
// leases then refuses the file ("bad header") instead of taking the record
// it cannot read for a damaged tail and cutting off every lease after it.
// A compacted journal's header follows the same rule. The reader takes both
// kinds under either header.

const (
	journalName = "leases.journal"
	lockName    = "lock"
	magic4      = "PXEDJNL1" // IPv4 records only
	magic6      = "PXEDJNL2" // IPv6 records too
	headerLen   = len(magic4)
	recIPv4     = 1
	recIPv6     = 2
	maxPayload  = 1 + 16 + 1 + 8 + 3*(1+255)
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Journal is the durable embedded Store.
type Journal struct {
	dir  string
	now  func() time.Time
	log  *slog.Logger
	lock *os.File

	reqs chan *commitReq
	done chan struct{}
	wg   sync.WaitGroup

	mu     sync.RWMutex
	leases map[netip.Addr]stored

	// Owned by the writer goroutine.
	f          *os.File
	size       int64 // bytes of valid journal
	alloc      int64 // length of the file: size plus zeros written ahead
	noPrealloc int64 // do not preallocate again before size passes this
	records    int   // records in the journal
	slowSync   bool  // the last sync took longer than rawSyncMax
	v6         bool  // the header is magic6
	maxBatch   int
	// The directory entry of a compacted journal is not yet known to be
	// durable (its sync failed): every append syncs the directory first.
	dirUnsynced bool
	// While a compaction runs (compacted != nil): the records committed
	// since its copy was taken, to append to the new file, and whether
	// one of them is an IPv6 lease's.
	compacted    chan compaction
	since        []byte
	sinceRecords int
	sinceV6      bool
	// pauses of the last compaction, for tests and docs/performance.md
	lastCompaction CompactionStats
}

// CompactionStats says how long the last compaction may have held up
// commits: Copy is the copy of the lease map (commits wait for it only to
// update the map after their sync), Swap the append of the records committed
// meanwhile, sync and rename in the writer; Total is from start to end,
// during which commits went on.
type CompactionStats struct {
	Leases           int
	Copy, Swap       time.Duration
	Total            time.Duration
	RecordsMeanwhile int
}

type compaction struct {
	f       *os.File // the new journal, synced; nil on error
	size    int64
	records int
	v6      bool // its header is magic6
	err     error
	start   time.Time
	copied  time.Duration
}

type commitReq struct {
	l   Lease
	err chan error
}

// OpenJournal opens (creating if needed) the journal in dir and takes the
// directory's lock so that no second pxed serves the same leases. log
// receives what fails where no caller waits: compaction, preallocation
// (nil: discard).
func OpenJournal(dir string, now func() time.Time, log *slog.Logger) (*Journal, error) {
	log = logsink.Or(log)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("data directory %s is in use by another pxed: %w", dir, err)
	}
	j := &Journal{dir: dir, now: now, log: log, lock: lock, reqs: make(chan *commitReq, 4096), done: make(chan struct{}), maxBatch: 1024}
	if err := j.load(); err != nil {
		unlock(lock)
		return nil, err
	}
	j.wg.Add(1)
	go j.writer()
	return j, nil
}

// load replays the journal, cuts off a damaged tail and leaves j.f open for appending.
func (j *Journal) load() error {
	path := filepath.Join(j.dir, journalName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return fmt.Errorf("opening lease journal: %w", err)
	}
	r, err := readJournal(f)
	valid := r.valid
	if err == nil {
		valid, err = j.repair(f, valid)
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("loading lease journal %s: %w", path, err)
	}
	j.f, j.size, j.alloc, j.records, j.v6 = f, valid, valid, r.records, r.v6
	j.leases = make(map[netip.Addr]stored, len(r.leases))
	for ip, l := range r.leases {
		j.leases[ip] = storedOf(l)
	}
	return nil
}

// repair makes f a journal of its valid first bytes, positioned at their
// end: a new file gets its header (durably, directory entry included); a
// torn or corrupt tail is cut off (what was not fully written was never
// acknowledged). It returns the new length of the valid prefix.
func (j *Journal) repair(f *os.File, valid int64) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	switch {
	case valid == 0:
		// New (or unusable from its first byte): start with the header.
		if err := f.Truncate(0); err != nil {
			return 0, fmt.Errorf("starting a new journal: %w", err)
		}
		if _, err := f.WriteAt([]byte(magic4), 0); err != nil {
			return 0, fmt.Errorf("writing the header: %w", err)
		}
		if err := f.Sync(); err != nil {
			return 0, fmt.Errorf("syncing the header: %w", err)
		}
		if err := atomicfile.SyncDir(j.dir); err != nil {
			return 0, fmt.Errorf("making the new journal's name durable: %w", err)
		}
		valid = int64(headerLen)
	case st.Size() > valid:
		if err := f.Truncate(valid); err != nil {
			return 0, fmt.Errorf("cutting off the damaged tail: %w", err)
		}
	}
	if _, err := f.Seek(valid, io.SeekStart); err != nil {
		return 0, err
	}
	return valid, nil
}

// ReadJournalDir reads the leases of the journal in dir without locking it,
// for `pxed leases` while a server runs. A damaged tail is ignored.
func ReadJournalDir(dir string) ([]Lease, error) {
	f, err := os.Open(filepath.Join(dir, journalName))
	if err != nil {
		return nil, fmt.Errorf("opening lease journal: %w", err)
	}
	defer f.Close()
	r, err := readJournal(f)
	if err != nil {
		return nil, err
	}
	return sortedLeases(r.leases), nil
}

// replay is what readJournal found: the leases, the length of the valid
// prefix, the number of records in it, and whether the header is magic6.
type replay struct {
	leases  map[netip.Addr]Lease
	valid   int64
	records int
	v6      bool
}

// readJournal replays records from the start of r. A file that is not a
// journal at all is an error; damage after a valid prefix is not. A read
// that fails (an I/O error, not the end of the file) is an error too: taking
// it for the end would cut acknowledged leases off the journal.
func readJournal(r io.ReaderAt) (replay, error) {
	leases := map[netip.Addr]Lease{}
	head := make([]byte, headerLen)
	n, err := r.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return replay{}, fmt.Errorf("reading the header: %w", err)
	}
	if n == 0 {
		return replay{leases: leases}, nil // empty file
	} else if n < len(head) || (string(head) != magic4 && string(head) != magic6) {
		// The two headers differ in their last byte alone.
		if n < len(head) && string(head[:n]) == magic4[:n] {
			return replay{leases: leases}, nil // header itself torn: a new journal
		}
		return replay{}, errors.New("not a pxed lease journal (bad header); move it aside to start empty")
	}
	v6 := string(head) == magic6
	off := int64(headerLen)
	br := bufio.NewReaderSize(io.NewSectionReader(r, off, 1<<62), 64<<10)
	var hdr [8]byte
	buf := make([]byte, maxPayload)
	records := 0
	// endOfData tells the end of the records (the file ends, maybe inside
	// a record: a torn tail) from a read that failed.
	endOfData := func(err error) bool { return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) }
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if endOfData(err) {
				break
			}
			return replay{}, fmt.Errorf("reading the record at offset %d: %w", off, err)
		}
		n := binary.LittleEndian.Uint32(hdr[0:4])
		sum := binary.LittleEndian.Uint32(hdr[4:8])
		if n == 0 || n > maxPayload {
			break
		}
		p := buf[:n]
		if _, err := io.ReadFull(br, p); err != nil {
			if endOfData(err) {
				break
			}
			return replay{}, fmt.Errorf("reading the record at offset %d: %w", off, err)
		}
		if crc32.Checksum(p, castagnoli) != sum {
			break
		}
		l, err := decodeLease(p)
		if err != nil {
			break
		}
		leases[l.IP] = l
		records++
		off += 8 + int64(n)
	}
	return replay{leases: leases, valid: off, records: records, v6: v6}, nil
}

func appendRecord(b []byte, l Lease) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	if l.IP.Is4() {
		ip := l.IP.As4()
		b = append(b, recIPv4)
		b = append(b, ip[:]...)
	} else {
		ip := l.IP.As16()
		b = append(b, recIPv6)
		b = append(b, ip[:]...)
	}
	b = append(b, byte(l.State))
	b = binary.LittleEndian.AppendUint64(b, uint64(l.Expires.UnixNano()))
	b = appendShort(b, l.MAC)
	b = appendShort(b, l.ClientID)
	b = appendShort(b, []byte(l.Hostname))
	p := b[start+8:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(p)))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(p, castagnoli))
	return b
}

func appendShort(b, v []byte) []byte {
	if len(v) > 255 {
		v = v[:255]
	}
	b = append(b, byte(len(v)))
	return append(b, v...)
}

func decodeLease(p []byte) (Lease, error) {
	bad := errors.New("malformed lease record")
	var l Lease
	switch {
	case len(p) >= 1+4+1+8 && p[0] == recIPv4:
		l.IP, p = netip.AddrFrom4([4]byte(p[1:5])), p[5:]
	case len(p) >= 1+16+1+8 && p[0] == recIPv6:
		l.IP, p = netip.AddrFrom16([16]byte(p[1:17])), p[17:]
	default:
		return Lease{}, bad
	}
	l.State = State(p[0])
	if l.State < Bound || l.State > Declined {
		return Lease{}, bad
	}
	l.Expires = time.Unix(0, int64(binary.LittleEndian.Uint64(p[1:9]))).UTC()
	rest := p[9:]
	var fields [3][]byte
	for i := range fields {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return Lease{}, bad
		}
		n := int(rest[0])
		fields[i] = rest[1 : 1+n]
		rest = rest[1+n:]
	}
	if len(rest) != 0 {
		return Lease{}, bad
	}
	if len(fields[0]) > 0 {
		l.MAC = net.HardwareAddr(append([]byte(nil), fields[0]...))
	}
	if len(fields[1]) > 0 {
		l.ClientID = append([]byte(nil), fields[1]...)
	}
	l.Hostname = string(fields[2])
	return l, nil
}

// Commit queues l for the next group commit and waits until it is durable.
func (j *Journal) Commit(ctx context.Context, l Lease) error {
	if !l.IP.IsValid() || l.IP.Zone() != "" {
		return fmt.Errorf("lease address %v is not an IP address without a zone", l.IP)
	}
	req := &commitReq{l: l, err: make(chan error, 1)}
	select {
	case j.reqs <- req:
	case <-j.done:
		return errors.New("lease store closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the outcome is waited for even if ctx ends, so a caller
	// never mistakes a durable lease for a failed one.
	return <-req.err
}

func (j *Journal) Get(_ context.Context, ip netip.Addr) (Lease, bool, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	s, ok := j.leases[ip]
	if !ok {
		return Lease{}, false, nil
	}
	return s.lease(ip), true, nil
}

func (j *Journal) All(context.Context) ([]Lease, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	out := make([]Lease, 0, len(j.leases))
	for ip, s := range j.leases {
		out = append(out, s.lease(ip))
	}
	slices.SortFunc(out, func(a, b Lease) int { return a.IP.Compare(b.IP) })
	return out, nil
}

// Close finishes queued commits, closes the journal and releases the lock.
// A compaction still running is waited for and abandoned.
func (j *Journal) Close() error {
	close(j.done)
	j.wg.Wait()
	if j.compacted != nil {
		if c := <-j.compacted; c.f != nil {
			c.f.Close()
			os.Remove(filepath.Join(j.dir, journalName+".tmp"))
		}
		j.compacted = nil
	}
	err := j.f.Close()
	unlock(j.lock)
	return err
}

// unlock releases the directory lock before closing its file. The lock
// belongs to the open file description, which a child forked by any
// goroutine shares until it execs: closing our descriptor alone would leave
// the lock held for that moment, and a reopen would find the directory
// "in use by another pxed".
func unlock(f *os.File) {
	unix.Flock(int(f.Fd()), unix.LOCK_UN)
	f.Close()
}

// LastCompaction returns the pauses of the last compaction that completed.
// Call it from the goroutine that committed (after Commit returned).
func (j *Journal) LastCompaction() CompactionStats {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return j.lastCompaction
}

// writer is the one goroutine that appends to the journal. It takes every
// request queued since its last write as one batch: one write, one sync.
func (j *Journal) writer() {
	defer j.wg.Done()
	batch := make([]*commitReq, 0, j.maxBatch)
	buf := make([]byte, 0, 64<<10)
	for {
		batch = batch[:0]
		select {
		case c := <-j.compacted:
			j.finishCompaction(c)
			continue
		case r := <-j.reqs:
			batch = append(batch, r)
			// Let the goroutines that are ready run before the batch is
			// taken: those serving requests queue their leases, and the
			// batch grows. With one processor (GOMAXPROCS=1) the writer
			// otherwise took small batches and, when its sync returned,
			// waited behind the serving loops for its turn, which cost
			// latency and lost leases under load (docs/performance.md has
			// the bench/dhcp figures).
			runtime.Gosched()
		case <-j.done:
			// Serve what is already queued, then stop.
			for {
				select {
				case r := <-j.reqs:
					j.writeBatch(append(batch[:0], r), buf)
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < j.maxBatch {
			select {
			case r := <-j.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		buf = j.writeBatch(batch, buf)
		j.maybeCompact()
	}
}

func (j *Journal) writeBatch(batch []*commitReq, buf []byte) []byte {
	now := j.now()
	buf = buf[:0]
	overlay := make(map[netip.Addr]Lease, len(batch))
	accepted := batch[:0:0]
	v6 := false
	j.mu.RLock()
	for _, r := range batch {
		prev, ok := overlay[r.l.IP]
		if !ok {
			var s stored
			if s, ok = j.leases[r.l.IP]; ok {
				prev = s.lease(r.l.IP)
			}
		}
		if ok && conflicts(prev, r.l, now) {
			r.err <- ErrConflict
			continue
		}
		overlay[r.l.IP] = r.l
		buf = appendRecord(buf, r.l)
		accepted = append(accepted, r)
		v6 = v6 || !r.l.IP.Is4()
	}
	j.mu.RUnlock()
	if len(accepted) == 0 {
		return buf
	}
	var err error
	if v6 && !j.v6 {
		if err = j.markV6(j.f); err == nil {
			j.v6 = true
		}
	}
	if err == nil {
		err = j.appendDurably(buf)
	}
	if err == nil {
		j.mu.Lock()
		for ip, l := range overlay {
			j.leases[ip] = storedOf(l)
		}
		j.mu.Unlock()
		j.records += len(accepted)
		if j.compacted != nil {
			j.since = append(j.since, buf...)
			j.sinceRecords += len(accepted)
			j.sinceV6 = j.sinceV6 || v6
		}
	}
	for _, r := range accepted {
		r.err <- err
	}
	return buf
}

// markV6 changes the header of f, the journal or a compacted one about to
// become it, to magic6 ahead of its first IPv6 record; the caller sets j.v6
// once f is the journal. It is not synced on its own: the sync of the
// record (fdatasync flushes all of the file's data) makes both durable
// before the record is acknowledged, and a crash before that leaves a
// magic6 header over IPv4 records, which loads as well.
func (j *Journal) markV6(f *os.File) error {
	if _, err := f.WriteAt([]byte(magic6), 0); err != nil {
		return fmt.Errorf("marking lease journal %s as holding IPv6 leases: %w", f.Name(), err)
	}
	return nil
}

// appendDurably writes b at the end of the journal and syncs it. On failure
// (a full disk, an I/O error) it cuts the file back so that a half-written
// batch is not mistaken for acknowledged leases later; if even that fails,
// the error says so.
func (j *Journal) appendDurably(b []byte) error {
	end := j.size + int64(len(b))
	if end > j.alloc && end > j.noPrealloc {
		j.preallocate(end)
	}
	if err := j.write(b, j.size); err != nil {
		return j.failedAppend(fmt.Errorf("writing lease journal: %w", err))
	}
	if err := j.sync(); err != nil {
		return j.failedAppend(fmt.Errorf("syncing lease journal: %w", err))
	}
	if j.dirUnsynced {
		// After a compaction whose rename may not be durable, a record
		// in the new file is durable only once the directory is.
		if err := atomicfile.SyncDir(j.dir); err != nil {
			return j.failedAppend(fmt.Errorf("syncing the compacted lease journal's name: %w", err))
		}
		j.dirUnsynced = false
		j.log.Info("lease journal: the compacted journal's name is durable now", "dir", j.dir)
	}
	j.size = end
	return nil
}

// rawSyncMax is the longest sync after which the next one is still a raw
// system call (datasyncRaw), which keeps the writer's processor: syncs on
// this machine's disk took 0.2 ms (median) to 0.5 ms (90th percentile).
// After a slower one (a busy disk: up to 10 ms seen), the next goes
// through the ordinary call, so that a slow disk never holds up the
// reading of requests for more than one sync.
const rawSyncMax = time.Millisecond

// write writes b at off in the journal, raw while syncs are fast (a disk
// that syncs slowly may make writes wait too).
func (j *Journal) write(b []byte, off int64) error {
	if j.slowSync {
		_, err := j.f.WriteAt(b, off)
		return err
	}
	return pwriteRaw(j.f, b, off)
}

// sync makes the journal's appended records durable, raw while syncs are
// fast (rawSyncMax).
func (j *Journal) sync() error {
	start := time.Now()
	var err error
	if j.slowSync {
		err = datasync(j.f)
	} else {
		err = datasyncRaw(j.f)
	}
	j.slowSync = time.Since(start) > rawSyncMax
	return err
}

// failedAppend cuts the file back to its valid records after a failed
// append and returns err, with the failure to cut back joined to it.
func (j *Journal) failedAppend(err error) error {
	j.alloc = j.size
	if terr := j.f.Truncate(j.size); terr != nil {
		// The next append overwrites the partial batch; until then, a
		// crash may leave its whole records in the journal, leases that
		// were never acknowledged (they hold their addresses until they
		// expire, no address is given twice).
		return fmt.Errorf("%w; cutting the partial batch off failed too: %w", err, terr)
	}
	return err
}

// preallocChunk is how far ahead of its records the journal file is
// extended with zeros. An append inside the file's length changes no
// metadata, so its fdatasync (datasync) flushes the data alone instead of committing
// the file system's journal too: on ext4 that halved the kernel CPU time of
// a commit (bench/dhcp). Loading reads the zeros as the end of the records
// and cuts them off.
const preallocChunk = 1 << 20

// preallocate extends the file with zeros to the chunk boundary past end.
// On failure (a nearly full disk) it logs, leaves the file as it was and
// does not try again before another chunk of records has been written.
// Commits go on without it: each sync then writes the file's length too.
func (j *Journal) preallocate(end int64) {
	from := max(j.alloc, j.size)
	to := (end + preallocChunk - 1) / preallocChunk * preallocChunk
	zeros := make([]byte, to-from)
	if _, err := j.f.WriteAt(zeros, from); err != nil {
		// Zeros left behind by a failed cut are harmless: loading reads
		// them as the end of the records.
		if terr := j.f.Truncate(from); terr != nil {
			err = fmt.Errorf("%w; cutting the zeros off failed too: %w", err, terr)
		}
		j.noPrealloc = end + preallocChunk
		j.log.Warn("lease journal: extending the file ahead of its records failed; commits go on, each syncing the file's length",
			"file", j.f.Name(), "bytes", to-from, "err", err)
		return
	}
	j.alloc = to
}

// maybeCompact starts rewriting the journal with one record per lease once
// it holds four times as many records as leases (and at least 4096).
func (j *Journal) maybeCompact() {
	if j.compacted != nil {
		return // one at a time
	}
	j.mu.RLock()
	live := len(j.leases)
	j.mu.RUnlock()
	if j.records < 4096 || j.records < 4*live {
		return
	}
	start := time.Now()
	j.compacted = make(chan compaction, 1)
	j.since, j.sinceRecords, j.sinceV6 = j.since[:0], 0, false
	go func(ch chan<- compaction) {
		// The copy is taken here, not in the writer: the writer keeps
		// writing and syncing, and waits only to apply a batch to the map
		// while the copy holds the read lock. Every batch from now on goes
		// to since too, so the copy may include some of them or not.
		j.mu.RLock()
		all := make([]Lease, 0, len(j.leases))
		for ip, s := range j.leases {
			all = append(all, s.lease(ip))
		}
		j.mu.RUnlock()
		copied := time.Since(start)
		f, size, v6, err := writeSnapshot(filepath.Join(j.dir, journalName+".tmp"), all)
		ch <- compaction{f: f, size: size, records: len(all), v6: v6, err: err, start: start, copied: copied}
	}(j.compacted)
}

// writeSnapshot writes a complete journal of leases to path and syncs it;
// v6 reports that its header is magic6 (one of the leases is IPv6).
func writeSnapshot(path string, leases []Lease) (f *os.File, size int64, v6 bool, err error) {
	f, err = os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o640)
	if err != nil {
		return nil, 0, false, fmt.Errorf("creating the compacted journal: %w", err)
	}
	fail := func(err error) (*os.File, int64, bool, error) {
		f.Close()
		os.Remove(path)
		return nil, 0, false, err
	}
	magic := magic4
	for _, l := range leases {
		if !l.IP.Is4() {
			magic, v6 = magic6, true
			break
		}
	}
	// bufio.Writer keeps its first error and returns it from Flush.
	w := bufio.NewWriterSize(f, 256<<10)
	w.WriteString(magic)
	size = int64(headerLen)
	rec := make([]byte, 0, 8+maxPayload)
	for _, l := range leases {
		rec = appendRecord(rec[:0], l)
		w.Write(rec)
		size += int64(len(rec))
	}
	if err := w.Flush(); err != nil {
		return fail(fmt.Errorf("writing %s: %w", path, err))
	}
	if err := datasync(f); err != nil {
		return fail(fmt.Errorf("syncing %s: %w", path, err))
	}
	return f, size, v6, nil
}

// finishCompaction runs in the writer once the snapshot is on disk: it
// appends what was committed meanwhile, syncs, and renames the new journal
// into place. On any failure it logs, the old journal, complete, stays in
// use, and compaction is tried again after as many records again.
func (j *Journal) finishCompaction(c compaction) {
	j.compacted = nil
	start := time.Now()
	if err := j.installSnapshot(c); err != nil {
		j.mu.RLock()
		j.records = len(j.leases)
		j.mu.RUnlock()
		j.log.Error("lease journal: compaction failed; the old journal stays in use, compaction is tried again later",
			"dir", j.dir, "records", j.records, "err", err)
		j.since = j.since[:0]
		return
	}
	j.f.Close() // the old journal, synced and no longer named: nothing to lose
	j.f, j.size, j.records = c.f, c.size+int64(len(j.since)), c.records+j.sinceRecords
	j.v6 = c.v6 || j.sinceV6
	j.alloc, j.noPrealloc = j.size, 0
	j.mu.Lock()
	j.lastCompaction = CompactionStats{
		Leases: c.records, Copy: c.copied, Swap: time.Since(start),
		Total: time.Since(c.start), RecordsMeanwhile: j.sinceRecords,
	}
	j.mu.Unlock()
	if cap(j.since) > 1<<20 {
		j.since = nil // do not keep a large buffer for the next time
	}
	j.since, j.sinceRecords, j.sinceV6 = j.since[:0], 0, false
}

// installSnapshot completes the snapshot c with the records committed
// since it began and renames it over the journal. On an error before the
// rename, the snapshot is closed and removed, and the old journal is
// intact. When only the sync of the directory after the rename fails, the
// new journal is in use, and the next append syncs the directory before it
// acknowledges anything (dirUnsynced).
func (j *Journal) installSnapshot(c compaction) error {
	path := filepath.Join(j.dir, journalName)
	tmp := path + ".tmp"
	err := c.err
	if err == nil {
		if err = j.completeSnapshot(c, tmp, path); err != nil {
			// A leftover tmp is harmless (loading never reads it, the
			// next compaction truncates it): the errors of this cleanup
			// change nothing.
			c.f.Close()
			os.Remove(tmp)
		}
	}
	if err != nil {
		return err
	}
	if err := atomicfile.SyncDir(j.dir); err != nil {
		j.dirUnsynced = true
		j.log.Error("lease journal: compacted, but its new name may not survive a crash; commits sync the directory before they are acknowledged",
			"dir", j.dir, "err", err)
	}
	return nil
}

// completeSnapshot appends the records committed meanwhile to the snapshot
// c, syncs it and renames it from tmp to path.
func (j *Journal) completeSnapshot(c compaction, tmp, path string) error {
	if !c.v6 && j.sinceV6 {
		// The copy had no IPv6 lease; a record committed meanwhile has.
		if err := j.markV6(c.f); err != nil {
			return err
		}
	}
	if _, err := c.f.WriteAt(j.since, c.size); err != nil {
		return fmt.Errorf("appending the records committed meanwhile: %w", err)
	}
	if err := datasync(c.f); err != nil {
		return fmt.Errorf("syncing %s: %w", tmp, err)
	}
	return os.Rename(tmp, path)
}
