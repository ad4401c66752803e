// Package core will hold Syncer's record and schema model, the pipeline
// runtime, batching and checkpoints (issues 4 and 5). It is empty today:
// the layout is fixed now so that every layer knows where it belongs, and
// sinks will depend on core, never on sources.
package core
