package efiimage

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
)

// GRUB's module area (include/grub/kernel.h): a grub_module_info64 header
// (magic "mimg", padding, offset and size of the objects from the header's
// start), then objects, each a grub_module_header (type, size including
// the header). OBJ_TYPE_ELF is a module built into the image, an ELF
// object whose .modname section names it (grub-mkimage, util/mkimage.c);
// OBJ_TYPE_PREFIX holds the NUL-terminated prefix that grub-mkimage -p
// wrote.
const (
	grubModuleMagic = 0x676d696d
	grubObjELF      = 0
	grubObjPrefix   = 3
)

// grubCore is what GRUB's module area holds: the prefix and the names of
// the modules built in.
type grubCore struct {
	prefix  string
	modules []string
}

func (g grubCore) has(module string) bool {
	for _, m := range g.modules {
		if m == module {
			return true
		}
	}
	return false
}

func readGRUBCore(mods []byte) (grubCore, error) {
	var g grubCore
	if len(mods) < 24 || binary.LittleEndian.Uint32(mods) != grubModuleMagic {
		return g, errors.New("GRUB's mods section has no module header")
	}
	off := binary.LittleEndian.Uint64(mods[8:])
	end := binary.LittleEndian.Uint64(mods[16:])
	if end > uint64(len(mods)) || off > end {
		return g, errors.New("GRUB's module header points outside its section")
	}
	for p := off; p+8 <= end; {
		typ := binary.LittleEndian.Uint32(mods[p:])
		size := uint64(binary.LittleEndian.Uint32(mods[p+4:]))
		if size < 8 || p+size > end {
			return g, fmt.Errorf("GRUB module object at %d has a bad size %d", p, size)
		}
		body := mods[p+8 : p+size]
		switch typ {
		case grubObjPrefix:
			if i := bytes.IndexByte(body, 0); i >= 0 {
				body = body[:i]
			}
			g.prefix = string(body)
		case grubObjELF:
			// A module whose name cannot be read is left out: the
			// image may still boot, pxed only learns less of it.
			if name, ok := grubModName(body); ok {
				g.modules = append(g.modules, name)
			}
		}
		p += size
	}
	return g, nil
}

// grubModName reads the name of the GRUB module in the ELF object obj
// from its .modname section.
func grubModName(obj []byte) (string, bool) {
	f, err := elf.NewFile(bytes.NewReader(obj))
	if err != nil {
		return "", false
	}
	defer f.Close()
	s := f.Section(".modname")
	if s == nil {
		return "", false
	}
	data, err := s.Data()
	if err != nil {
		return "", false
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		data = data[:i]
	}
	return string(data), len(data) > 0
}
