package ifsock

// Family is the address family of a socket.
type Family uint8

const (
	// IPv4: 0.0.0.0 with SO_BROADCAST (DHCPv4 clients without an address
	// send from 0.0.0.0 to 255.255.255.255).
	IPv4 Family = 4
	// IPv6: [::], IPv6 only (IPV6_V6ONLY), so that the IPv4 server of the
	// same port is a socket apart.
	IPv6 Family = 6
)

// OpenEach opens one link per interface name with open, in the order
// given. If one fails it closes those it opened with close and returns
// that error: a server serves on every interface it was given or on none.
func OpenEach[L any](names []string, open func(name string) (L, error), close func(L)) ([]L, error) {
	links := make([]L, 0, len(names))
	for _, name := range names {
		l, err := open(name)
		if err != nil {
			for _, o := range links {
				close(o)
			}
			return nil, err
		}
		links = append(links, l)
	}
	return links, nil
}
