-- When the process building a report file last said it was still at work (seconds since the
-- epoch, as created_at). A build refreshes it every storage.reports.HEARTBEAT_S while it runs,
-- so a build whose process or machine is gone is told apart from a slow one on any host,
-- which the worker's pid alone cannot do for another machine: close_interrupted fails a queued
-- or running file whose heartbeat is older than storage.reports.STALE_AFTER_S. Files claimed
-- before this migration have none and are judged by created_at.
ALTER TABLE report_files ADD COLUMN heartbeat_at REAL;
