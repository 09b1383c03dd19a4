// Package feed fans a JetStream stream out to many live subscribers: the
// live pledge feed (GET /api/v1/feed, coalition watch) and the live alert
// list. One Hub reads its stream once, with a single ordered consumer, and
// hands each message to every subscriber whose filter matches, so hundreds
// of subscribers cost one consumer and never touch the ClickHouse writer.
// A subscriber that falls behind is cut off without slowing the others. A
// subscriber that reconnects with the last sequence it saw (or asks for a
// time of storage, or the whole stream) is first replayed what it missed
// from the stream, however much that is, then joins the live fan-out
// without gap or repeat; a replay that cannot get there ends the
// subscription (ErrReplay) rather than skip anything. docs/feed.md
// describes the HTTP side.
package feed
