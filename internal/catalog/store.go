package catalog

import (
	"context"
	"errors"
	"time"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/inventory"
)

// Store keeps the catalog's changes durably: the hosts, profiles and
// discovery rules made through the API (the overlay over the YAML file),
// the install-once state
// of hosts, and the machines seen booting without a host entry. pxed has
// two: the file in the data directory (OpenFile), and the PostgreSQL
// database several instances share (internal/postgres); storetest.Run
// checks that each keeps this contract.
//
// Every method that changes something returns only once the change is
// durable: the API answers after it, and a restart must find it. Methods
// are called from one goroutine at a time per Catalog, but a Store shared
// by several pxed instances sees them concurrently.
//
// Names (of hosts, profiles and rules, and the host of SetInstalled) are compared
// ignoring case, as host names are (RFC 4343): Put replaces an entry whose
// name differs only in case, and Delete removes it.
type Store interface {
	// Load returns everything stored. Order does not matter: the Catalog
	// sorts by name.
	Load(ctx context.Context) (State, error)

	// PutHost stores h, replacing the entry with the same name.
	PutHost(ctx context.Context, h config.Host) error
	// DeleteHost removes the host entry called name; ErrNotFound if none.
	DeleteHost(ctx context.Context, name string) error

	// PutProfile stores p, replacing the profile with the same name.
	PutProfile(ctx context.Context, p config.Profile) error
	// DeleteProfile removes the profile called name; ErrNotFound if none.
	DeleteProfile(ctx context.Context, name string) error

	// PutRule stores discovery rule r, replacing the rule with the same
	// name.
	PutRule(ctx context.Context, r config.Rule) error
	// DeleteRule removes the discovery rule called name; ErrNotFound if
	// none.
	DeleteRule(ctx context.Context, name string) error

	// SetInstalled records that host reported its installation done at
	// at; a zero at clears the record (the host installs again).
	SetInstalled(ctx context.Context, host string, at time.Time) error

	// PutMachine stores m, replacing the record of the same MAC.
	PutMachine(ctx context.Context, m Machine) error
	// DeleteMachine forgets the machine with hardware address mac
	// (adopted as a host, or removed by the operator); no error if unknown.
	DeleteMachine(ctx context.Context, mac config.MAC) error

	// Changes delivers a value when the store was changed by someone else
	// (another pxed sharing it), so the Catalog reloads. A store no one
	// else writes returns nil (a nil channel never delivers).
	Changes() <-chan struct{}

	// Close releases the store; pending changes are already durable.
	Close() error
}

// ErrNotFound is returned for a name that is not stored.
var ErrNotFound = errors.New("not found")

// State is the content of a Store.
type State struct {
	// Hosts, Profiles and Rules (discovery rules) are the entries made
	// through the API. A name that is also in the YAML file overrides it
	// (see Catalog).
	Hosts    []config.Host    `json:"hosts,omitempty"`
	Profiles []config.Profile `json:"profiles,omitempty"`
	Rules    []config.Rule    `json:"rules,omitempty"`
	// Installed maps a host name, in lower case, to when its installed
	// system called back.
	Installed map[string]time.Time `json:"installed,omitempty"`
	// Machines are the machines seen PXE-booting without a host entry.
	Machines []Machine `json:"machines,omitempty"`
}

// Machine is a machine that PXE-booted without a host entry, recorded so
// that an operator can adopt it.
type Machine struct {
	MAC config.MAC `json:"mac"`
	// Arch is its client architecture (option 93), by pxed's name ("bios",
	// "efi-x64"); empty when it sent none.
	Arch string `json:"arch,omitempty"`
	// UUID is its SMBIOS UUID (option 97), empty when it sent none.
	UUID      string    `json:"uuid,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Inventory is the hardware its discovery boot reported; nil until
	// then.
	Inventory *inventory.Inventory `json:"inventory,omitempty"`
	// Rule names the discovery rule that matched it once its inventory
	// was in; empty when none did (it waits to be adopted by hand).
	Rule string `json:"rule,omitempty"`
	// Host is the host entry it was adopted as. A machine with an
	// inventory stays recorded after its adoption, so that its host
	// shows its hardware; one without leaves the record at adoption.
	Host string `json:"host,omitempty"`
}
