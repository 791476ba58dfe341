package efiimage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// GRUB's module area (include/grub/kernel.h): a grub_module_info64 header
// (magic "mimg", padding, offset and size of the objects from the header's
// start), then objects, each a grub_module_header (type, size including
// the header). OBJ_TYPE_PREFIX holds the NUL-terminated prefix that
// grub-mkimage -p wrote.
const (
	grubModuleMagic = 0x676d696d
	grubObjPrefix   = 3
)

func grubPrefix(mods []byte) (string, error) {
	if len(mods) < 24 || binary.LittleEndian.Uint32(mods) != grubModuleMagic {
		return "", errors.New("GRUB's mods section has no module header")
	}
	off := binary.LittleEndian.Uint64(mods[8:])
	end := binary.LittleEndian.Uint64(mods[16:])
	if end > uint64(len(mods)) || off > end {
		return "", errors.New("GRUB's module header points outside its section")
	}
	for p := off; p+8 <= end; {
		typ := binary.LittleEndian.Uint32(mods[p:])
		size := uint64(binary.LittleEndian.Uint32(mods[p+4:]))
		if size < 8 || p+size > end {
			return "", fmt.Errorf("GRUB module object at %d has a bad size %d", p, size)
		}
		if typ == grubObjPrefix {
			body := mods[p+8 : p+size]
			if i := bytes.IndexByte(body, 0); i >= 0 {
				body = body[:i]
			}
			return string(body), nil
		}
		p += size
	}
	return "", nil
}
