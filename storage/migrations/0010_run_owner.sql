-- Which process runs a run ('host:pid:start-time'), so a run left 'running' by a process that
-- was killed (or stopped by a full disk) is closed as 'interrupted' by the next process that
-- starts a run, once its owner is gone. Runs recorded before this migration have no owner and
-- are left as they are: nothing can tell whether their process still runs.
ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS runs_running ON runs(status) WHERE status = 'running';
