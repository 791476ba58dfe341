// Package events records every step of every machine's network boot (DHCP
// messages, files fetched over TFTP and HTTP, install callbacks) in bounded
// memory, and derives from them each boot's timeline: how long DHCP took,
// when the boot program, its config, the kernel and the initrd arrived.
//
// Servers report through the Recorder hook; Tee hands each event to the Log
// and to the other recorders (metrics count transfers from it). The log
// line of a finished boot, the dashboard and `pxed status` read the Log.
//
// Each event carries a typed Outcome, set by the server that saw the
// failure, beside its Detail in words for a person. Metric labels and the
// ok/miss/fail status of a timeline step are decided from the Outcome
// alone, so rewording a Detail changes neither. A new kind of event is its
// Kind constant and one line in the kinds table; a new outcome one line in
// the outcomes table; a new file that loaders probe for and may miss, one
// case in expectedMiss.
//
// Some boots stop where nothing is said on the network: the firmware
// refuses a loader (an unsigned one under Secure Boot), or shim refuses
// GRUB. judge reads that from the events alone (the loader sent whole,
// then silence or the firmware's next boot client; shim's MokManager asked
// for after GRUB) and gives a typed Verdict, which the timeline and the
// machine's summary show as the boot's failure.
package events
