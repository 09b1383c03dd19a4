-- The highest insert block number of the events table when a snapshot's
-- status was computed (system.parts max_block_number): every INSERT into
-- events raises it and merges keep it, so a snapshot is current only while
-- it is unchanged, whoever wrote (a writer that skipped ingest_marks, a
-- crash between an INSERT and its mark).
ALTER TABLE status_snapshots ADD COLUMN blocks UInt64 DEFAULT 0;
