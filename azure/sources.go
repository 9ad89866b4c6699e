package azure

import "context"

// QueueDepthReader reads queue depths. The real one is *QueueReader; the demo hands the
// console an in-process stand-in.
type QueueDepthReader interface {
	// Depths reads each queue (and its poison twin) once and returns a row per queue.
	Depths(ctx context.Context, queues []string) []QueueDepth
}
