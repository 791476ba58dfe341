//go:build !unix

package rootimage

import "io/fs"

// metaOf reads what Go's portable file info gives: no owners or links.
func metaOf(fi fs.FileInfo) meta { return metaFromMode(fi) }
