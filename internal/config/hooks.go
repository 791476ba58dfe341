package config

// Hook tells another system of chosen events: a JSON document POSTed to a
// URL, or given to a command on its standard input (docs/discovery.md).
type Hook struct {
	Name string `yaml:"name"`
	// Events are the event names that fire the hook; empty: all.
	Events []string `yaml:"events"`
	// URL receives each event as a JSON POST.
	URL string `yaml:"url"`
	// Secret keys the HMAC-SHA256 signature of each POST.
	Secret string `yaml:"secret"`
	// Command runs once per event with the JSON on its standard input.
	Command []string `yaml:"command"`
	// Timeout bounds one delivery or one run of Command.
	Timeout Duration `yaml:"timeout"`
}
